"""What every result and failure of `forensics mcp` goes through on its way out, and the roots
a client grants on the way in.

A result's every string is redacted (`forensics.redact`) and cut before it leaves; a failure
becomes one redacted line in an MCP tool error, never a traceback; the client's `file://`
roots are read as local folders, resolved, for `mcp_server.Forensics` to check each path
against. They live apart from the tools (`mcp_server`) so that what guards every answer reads
in one place.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from urllib.parse import unquote, urlparse

from mcp.server.mcpserver import Context, ListRoots, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, ListRootsResult, TextContent
from pydantic import BaseModel

from forensics import mcp_results as results


# --- errors and redaction -------------------------------------------------------------------------


def _one_line(text: str) -> str:
    from forensics.redact import redact_text

    return " ".join(redact_text(text).split())[: results.MAX_TEXT]


@contextmanager
def _tool_errors():
    """Every failure as one redacted line in a tool error (the SDK answers `isError: true`)."""
    from forensics.bundle import BundleError

    try:
        yield
    except ToolError as error:
        raise ToolError(_one_line(str(error))) from None
    except BundleError as error:
        raise ToolError(_one_line(f"cannot read the bundle: {error}")) from None
    except Exception as error:  # noqa: BLE001 - the last line of defence: never a traceback
        raise ToolError(_one_line(f"internal error: {type(error).__name__}: {error} (a bug)")) from None


def _scrub(tree):
    """A JSON tree with every string redacted (`forensics.redact`) and cut at MAX_TEXT."""
    import polars as pl

    from forensics.redact import redact_series

    texts: list[str] = []

    def gather(node) -> None:
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                gather(value)
        elif isinstance(node, list):
            for value in node:
                gather(value)

    gather(tree)
    clean = iter(redact_series(pl.Series(texts, dtype=pl.String))[0].to_list() if texts else [])

    def rebuild(node):
        if isinstance(node, str):
            return _cut(next(clean), results.MAX_TEXT)
        if isinstance(node, dict):
            return {key: rebuild(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rebuild(value) for value in node]
        return node

    return rebuild(tree)


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"


def _result(model: BaseModel) -> CallToolResult:
    """A typed result (`structuredContent`) and the same JSON, compact, as its text."""
    data = _scrub(model.model_dump(mode="json"))
    return CallToolResult(content=[TextContent(type="text", text=results.to_json(data))], structured_content=data)


# --- roots ------------------------------------------------------------------------------------------


def _client_roots(ctx: Context) -> ListRootsResult | ListRoots:
    """The client's roots when it declares the capability (asked at each call: they may change)."""
    capabilities = ctx.client_capabilities
    if capabilities is None or capabilities.roots is None:
        return ListRootsResult(roots=[])
    return ListRoots()


GrantedRoots = Annotated[ListRootsResult, Resolve(_client_roots)]


def _folders(granted: ListRootsResult) -> list[Path]:
    """The local folders of `file://` roots."""
    out = []
    for root in granted.roots:
        uri = urlparse(str(root.uri))
        if uri.scheme == "file" and uri.netloc in ("", "localhost"):
            out.append(Path(unquote(uri.path)))
    return out


def _real(path: Path) -> Path | None:
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a symlink loop
        return None
