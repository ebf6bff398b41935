"""`forensics mcp`: the offline analyzer as a Model Context Protocol server, over stdio.

An AI assistant calls the tools; every answer is the analysis' own (labels, verdicts,
`source:line` evidence), so a person can check each claim the assistant makes from it:

- `analyze(path)`: the bundle's summary, verdicts (worst first) and findings with their
  evidence, bounded in size whatever the bundle's, and a handle for the calls that follow;
- `release(path_or_handle, release)`: one release's story (verdict with the alternatives it
  ruled out and its plan, findings, the last timeline entries, dependencies);
- `evidence(handle, source, line, context)`: the cited lines around one evidence reference,
  read again from the bundle through `forensics.bundle.Reader` and redacted;
- `explain(label_or_rule)`: a rule's documentation and a label's cause -> effect row;
- `collect(part, form)`: what to collect and how (`forensics collect`).

Resources: the rule catalog (`forensics://rules`) and each rule's documentation
(`forensics://rules/{key}`, by id, name or label). Prompt: `investigate`, which walks an
incident from the summary to the worst verdict, its evidence and its plan.

Safety, as in the CLI: a path is read only when it lies under a folder the client grants as
an MCP root or one given with `--root` (symlinks resolved first); the CLI's caps
(`--max-bytes`, `--max-members`, `--max-ratio`) apply to every read; every string of every
result goes through `forensics.redact` once more before it leaves (file names included);
nothing is written but the reader's spool in the temporary folder; every failure is one
line in an MCP tool error, never a traceback (`forensics.mcp_guards`).

A loaded bundle is kept per handle for the connection (the process: one client over
stdio), at most `KEEP_RUNS` at a time; a handle whose analysis was dropped is analysed again.
"""

from __future__ import annotations

import difflib
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import CallToolResult, ListRootsResult, ToolAnnotations
from pydantic import Field

from forensics import __version__, mcp_results as results
from forensics.mcp_guards import GrantedRoots, _cut, _folders, _real, _result, _tool_errors
from forensics.model import TimelineEntry

KEEP_RUNS = 3  # analyses kept in memory at once (a 1 GB bundle holds ~1.4 GB while it is analysed)
STORY_CAPS = {
    "timeline": 100,
    "evidence": 20,
    "releases": 200,
}  # a release's last entries, evidence per finding, dependents
TIMELINE_TEXT = 300  # characters of a timeline message (evidence() reads the whole line)
MAX_CONTEXT = 50  # lines either side of a cited line
LINE_CHARS = 2000  # characters of one line read back
_CHUNK = 1 << 20

INSTRUCTIONS = """\
flux-forensics explains FluxCD helm-controller incidents offline, from a support bundle, a
`kubectl cluster-info dump` or a folder of pasted kubectl/flux output. It names, per
HelmRelease, the first cause with `source:line` evidence. Start with analyze(path); follow a
verdict with release(handle, release) and check its evidence with evidence(handle, source,
line). Quote the evidence you rely on as source:line; secrets are already [REDACTED]."""


# --- the server's state -------------------------------------------------------------------------------


@dataclass
class Loaded:
    handle: str
    path: Path
    stamp: tuple[int, int]
    run: object  # forensics.Run


class Forensics:
    """The analyses of one connection, by handle, and the tools' work."""

    def __init__(self, roots: list[Path], caps: dict[str, int | None]) -> None:
        self.roots = [real for real in (_real(Path(root).expanduser()) for root in roots) if real is not None]
        self.caps = caps
        self.paths: dict[str, Path] = {}  # handle -> path, for the life of the connection
        self.runs: OrderedDict[Path, Loaded] = OrderedDict()  # the KEEP_RUNS last analyses
        self.lock = threading.Lock()  # one analysis at a time (2 cores; a second one would wait anyway)

    # paths

    def allowed(self, granted: ListRootsResult) -> list[Path]:
        client = [real for real in (_real(folder) for folder in _folders(granted)) if real is not None]
        return list(dict.fromkeys(self.roots + client))

    def resolve(self, path: str, granted: ListRootsResult) -> Path:
        """The real path of `path` when it lies under an allowed folder; ToolError otherwise."""
        roots = self.allowed(granted)
        if not roots:
            raise ToolError(
                f"refused: no folder is open to this server (start it with `forensics mcp --root DIR`, or grant roots "
                f"from the client) for {path}"
            )
        given = Path(path).expanduser()
        candidates = [given] if given.is_absolute() else [root / given for root in roots]
        inside = []
        for candidate in candidates:
            real = _real(candidate)
            if real is not None and any(real == root or real.is_relative_to(root) for root in roots):
                inside.append(real)
        if not inside:
            shown = ", ".join(str(root) for root in roots)
            raise ToolError(f"refused: outside the folders this server may read ({shown}): {path}")
        found = next((real for real in inside if real.exists()), None)
        if found is None:
            raise ToolError(f"no such file or folder: {path}")
        return found

    def target(self, path_or_handle: str, granted: ListRootsResult) -> Path:
        """A handle's path or a path, checked against the roots (they may have changed)."""
        known = self.paths.get(path_or_handle.strip())
        return self.resolve(str(known) if known else path_or_handle, granted)

    # analyses

    def load(self, path: Path) -> Loaded:
        import forensics
        from forensics.report.terminal import unusable

        stat = path.stat()
        stamp = (stat.st_size, stat.st_mtime_ns)
        with self.lock:
            kept = self.runs.get(path)
            if kept is not None and kept.stamp == stamp:
                self.runs.move_to_end(path)
                return kept
            run = forensics.run(str(path), **self.caps)
            analysis = run.analysis
            if not any(count for kind, count in analysis.bundle.rows.items() if kind != "problems"):
                raise ToolError("nothing usable found: " + "; ".join(unusable(analysis)[:10]) + f" (in {path})")
            handle = next((h for h, p in self.paths.items() if p == path), f"b{len(self.paths) + 1}")
            self.paths[handle] = path
            self.runs[path] = loaded = Loaded(handle, path, stamp, run)
            while len(self.runs) > KEEP_RUNS:
                self.runs.popitem(last=False)
            return loaded

    def summary(self, loaded: Loaded) -> results.Summary:
        return results.fit(lambda caps: results.summary(loaded, caps), results.CAPS)

    def story(self, loaded: Loaded, release: str) -> results.Story:
        import polars as pl

        analysis = loaded.run.analysis
        release = release.strip()
        verdict = analysis.verdict(release)
        # Its own rows: the release-less ones (every pod's events in a big bundle) would crowd
        # them out; the controller's versions, upgrades and restarts are in analyze().
        rows = loaded.run.last_rows(STORY_CAPS["timeline"] + 1, {release}).filter(pl.col("release") == release)
        if verdict is None and rows.height == 0:
            known = [v.release for v in results.worst_first(analysis.verdicts)]
            close = difflib.get_close_matches(release, known, n=5, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; releases: {', '.join(known[:20])}"
            raise ToolError(f"no release {release!r} in this bundle (give it as NAMESPACE/NAME){hint}")
        columns = ["release", "ts", "ts_end", "origin", "level", "reason", "message", "count", "source", "line"]
        entries = [
            TimelineEntry(**{**row, "message": _cut(row["message"] or "", TIMELINE_TEXT)})
            for row in rows.select(columns).iter_rows(named=True)
        ]
        findings = [f for f in analysis.findings if f.release == release]
        depends = [d.depends_on for d in analysis.dependencies if d.release == release]
        dependents = [d.release for d in analysis.dependencies if d.depends_on == release]

        def story(caps: dict[str, int]) -> results.Story:
            shown = entries[-caps["timeline"] :]
            omitted = {
                "timeline": len(entries) - len(shown),  # at least (earlier entries are not counted)
                "evidence": sum(max(0, len(f.evidence) - caps["evidence"]) for f in findings),
                "dependents": max(0, len(dependents) - caps["releases"]),
            }
            return results.Story(
                handle=loaded.handle,
                release=release,
                verdict=verdict,
                findings=[f.model_copy(update={"evidence": f.evidence[: caps["evidence"]]}) for f in findings],
                depends_on=depends,
                dependents=dependents[: caps["releases"]],
                timeline=shown,
                omitted={key: value for key, value in omitted.items() if value},
            )

        return results.fit(story, STORY_CAPS)

    def lines(self, loaded: Loaded, source: str, line: int, context: int) -> results.Lines:
        from forensics.bundle import Reader, strip_root
        from forensics.redact import redact_series
        from forensics.secret_shapes import MARKER

        import polars as pl

        if line < 1:
            raise ToolError(f"line {line}: lines are numbered from 1")
        context = max(0, min(context, MAX_CONTEXT))
        root = loaded.run.analysis.bundle.root
        # A source whose name held a secret is cited redacted: its [REDACTED] stands for any text.
        pattern = re.compile(".+?".join(re.escape(part) for part in source.split(MARKER))) if MARKER in source else None
        reader = Reader(loaded.path, **{key: value for key, value in self.caps.items() if value})
        seen: list[str] = []
        found = None
        try:
            for member, data in reader.files():
                name = strip_root(member.path, root)
                if name == source or (pattern is not None and pattern.fullmatch(name)):
                    found = _read_lines(data, line - context, line + context)
                    break
                seen.append(name)
        finally:
            if reader.spool is not None:  # big archive members copied to the temporary folder
                reader.spool.cleanup()
        if found is None:
            close = difflib.get_close_matches(source, seen, n=3, cutoff=0.6)
            raise ToolError(
                "no such file in the bundle" + (f" (did you mean {', '.join(close)}?)" if close else "") + f": {source}"
            )
        if line not in found:
            size = f"ends at line {max(found)}" if found else f"has fewer than {max(1, line - context)} lines"
            raise ToolError(f"no line {line}: the file {size}: {source}")
        numbers = sorted(found)
        texts = redact_series(pl.Series([found[n] for n in numbers], dtype=pl.String))[0].to_list()
        return results.Lines(
            handle=loaded.handle,
            source=source,
            line=line,
            lines=[results.Line(line=n, text=t) for n, t in zip(numbers, texts)],
        )


def _read_lines(data, first: int, last: int) -> dict[int, str]:
    """Lines `first`..`last` (1-based, split at "\n" as the parsers split them) of a member's
    bytes, or of its file on disk read a chunk at a time; each cut at LINE_CHARS."""
    from parsers._base import FileData

    first = max(1, first)
    kept: dict[int, bytearray] = {}
    number, chunk = 1, b""  # the line the next byte belongs to
    with data.open() if isinstance(data, FileData) else io.BytesIO(data) as stream:
        while number <= last:
            previous, chunk = chunk, stream.read(_CHUNK)
            if not chunk:  # the end: a final newline ends the last line, it starts none
                if previous.endswith(b"\n"):
                    kept.pop(number, None)
                break
            breaks = chunk.count(b"\n")
            if number + breaks < first:  # the whole chunk lies before the window
                number += breaks
                continue
            for index, piece in enumerate(chunk.split(b"\n")):
                number += 1 if index else 0
                if first <= number <= last:
                    text = kept.setdefault(number, bytearray())
                    text += piece[: max(0, 4 * LINE_CHARS - len(text))]  # UTF-8: at most 4 bytes a character
    return {n: bytes(t).decode("utf-8", errors="replace").rstrip("\r")[:LINE_CHARS] for n, t in kept.items()}


# --- explain and collect ---------------------------------------------------------------------------


def explanation(key: str) -> results.Explanation:
    from forensics.causes import CAUSES, can_cause, caused_by
    from forensics.rules import RULES, lookup

    found = lookup(key)
    labels = [rule.label for rule in found]
    if not labels and key.strip() in CAUSES:  # a label no rule reports yet
        labels = [key.strip()]
    if not labels:
        known = [r.id for r in RULES] + sorted({r.label for r in RULES})
        close = difflib.get_close_matches(key.strip(), known + [r.name for r in RULES], n=3, cutoff=0.5)
        raise ToolError(
            f"no rule with id, name or label {key!r}"
            + (f"; did you mean {', '.join(close)}?" if close else f"; known: {', '.join(known)}")
        )
    return results.Explanation(
        key=key,
        rules=[
            results.RuleDoc(
                id=r.id, name=r.name, label=r.label, severity=r.severity.value, documentation=r.documentation()
            )
            for r in found
        ],
        labels=[
            results.LabelRow(label=label, can_cause=list(can_cause(label)), caused_by=list(caused_by(label)))
            for label in dict.fromkeys(labels)
        ],
    )


def collection(part: str | None, form: str, namespace: str, since: str) -> str:
    from forensics import collect as parts

    for check, value in ((parts.check_namespace, namespace), (parts.check_since, since)):
        try:
            check(value)
        except ValueError as error:
            raise ToolError(str(error)) from None
    if part is not None:
        if form != "table":
            raise ToolError("give a part or a form (troubleshoot, script), not both")
        try:
            return parts.describe(part, namespace, since)
        except KeyError as error:
            raise ToolError(error.args[0]) from None
    if form == "troubleshoot":
        return parts.troubleshoot_spec(namespace, since)
    if form == "script":
        return parts.script(namespace, since)
    return parts.table(namespace, since)


PROMPT = """\
Investigate the FluxCD incident in the bundle at {path} with the flux-forensics tools, step by step:

1. Call analyze(path="{path}"). Report the bundle (layout, evidence window, controller versions
   and upgrades) and how many releases are healthy and how many are not, by label.
2. Take the worst verdict: the first of `verdicts`. Call release(path_or_handle=<handle>,
   release=<that release>) and state its primary cause, its chain (a blocked release points at
   the dependency's own cause), its confidence and why, and the alternatives it ruled out.
3. Call evidence(handle=<handle>, source=<source>, line=<line>) for the evidence of its primary
   finding, and quote each line you rely on as source:line. Say so when a line does not
   support the claim.
4. Give the remediation plan in order (fix, unblock, reconcile), with its commands and what to
   check after each step. Then list the other releases that are not healthy, one line each.

Claim nothing the tools did not return; where the bundle lacks evidence, name what to collect
(collect(part=...)). Secrets are already [REDACTED]: never try to recover them."""


# --- the server ----------------------------------------------------------------------------------------

READ_ONLY = ToolAnnotations(read_only_hint=True, idempotent_hint=True, open_world_hint=False)


def build(roots: list[str | Path], caps: dict[str, int | None] | None = None) -> MCPServer:
    """The MCP server: tools, rule resources and the prompt, over a `Forensics` state."""
    state = Forensics([Path(root) for root in roots], dict(caps or {}))
    app = MCPServer("flux-forensics", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING")

    @app.tool(annotations=READ_ONLY)
    def analyze(
        path: Annotated[str, Field(description="the bundle: absolute, or relative to a root")], roots: GrantedRoots
    ) -> Annotated[CallToolResult, results.Summary]:
        """Analyse a bundle (folder, .tar.gz/.tgz/.tar/.zip, or one file): its verdicts per
        HelmRelease, worst first, and the findings with their source:line evidence. The result
        is bounded in size; it carries a handle for release() and evidence()."""
        with _tool_errors():
            return _result(state.summary(state.load(state.resolve(path, roots))))

    @app.tool(annotations=READ_ONLY)
    def release(
        path_or_handle: Annotated[str, Field(description="the handle analyze() returned, or the bundle's path")],
        release: Annotated[str, Field(description="the HelmRelease as NAMESPACE/NAME")],
        roots: GrantedRoots,
    ) -> Annotated[CallToolResult, results.Story]:
        """One release's story (NAMESPACE/NAME): its verdict with the alternatives ruled out and
        the remediation plan, its findings, dependencies and last timeline entries."""
        with _tool_errors():
            return _result(state.story(state.load(state.target(path_or_handle, roots)), release))

    @app.tool(annotations=READ_ONLY)
    def evidence(
        handle: Annotated[str, Field(description="the handle analyze() returned (or the bundle's path)")],
        source: Annotated[str, Field(description="the evidence's source: a path inside the bundle")],
        line: Annotated[int, Field(description="the evidence's line (1-based)")],
        roots: GrantedRoots,
        context: Annotated[int, Field(description="lines either side, 0 to 50")] = 5,
    ) -> Annotated[CallToolResult, results.Lines]:
        """The lines around one evidence reference (source:line of a finding), read again from
        the bundle and redacted; `context` lines either side (at most 50)."""
        with _tool_errors():
            return _result(state.lines(state.load(state.target(handle, roots)), source, line, context))

    @app.tool(annotations=READ_ONLY)
    def explain(
        label_or_rule: Annotated[
            str, Field(description="a label (timeout), a rule id (HR005) or a rule name (action-timed-out)")
        ],
    ) -> Annotated[CallToolResult, results.Explanation]:
        """A rule's documentation (what it detects, why it matters, evidence, remediation) by
        id, name or label, and what the label can cause or be caused by."""
        with _tool_errors():
            return _result(explanation(label_or_rule))

    @app.tool(annotations=READ_ONLY, structured_output=False)  # a text to read or save as it is
    def collect(
        part: Annotated[str | None, Field(description="one evidence part by name (the table lists them)")] = None,
        form: Annotated[
            Literal["table", "troubleshoot", "script"],
            Field(description="the parts table, a troubleshoot.sh spec or a kubectl script"),
        ] = "table",
        namespace: Annotated[str, Field(description="the namespace of the Flux controllers")] = "flux-system",
        since: Annotated[str, Field(description="how far back the controller logs go (Go duration)")] = "72h",
    ) -> str:
        """What to collect for an analysis and how: the table of evidence parts, one part's
        commands (part=NAME), a troubleshoot.sh SupportBundle spec or a kubectl shell script."""
        with _tool_errors():  # the tool's own text: no bundle data in it
            return collection(part, form, namespace, since)

    @app.resource("forensics://rules", name="rules", title="Rule catalog", mime_type="text/markdown")
    def catalog() -> str:
        """Every rule: id, name, label, severity and what it detects."""
        from forensics.rules import catalog_markdown

        return catalog_markdown() + "\nOne rule's documentation: forensics://rules/{id, name or label}\n"

    @app.resource("forensics://rules/{key}", name="rule", title="Rule documentation", mime_type="text/markdown")
    def rule(key: str) -> str:
        """One rule's documentation, by id (HR005), name or label."""
        try:
            found = explanation(key)
        except ToolError as error:
            raise ResourceError(str(error)) from None
        parts = [f"# {r.id} {r.name} (label `{r.label}`, {r.severity})\n\n{r.documentation}\n" for r in found.rules]
        parts += [
            f"Label `{row.label}` can cause: {', '.join(row.can_cause) or 'nothing'}; can be caused by: "
            f"{', '.join(row.caused_by) or 'nothing'}.\n"
            for row in found.labels
        ]
        return "\n".join(parts)

    @app.prompt(name="investigate", title="Investigate a Flux incident")
    def investigate(path: str) -> str:
        """Walk an incident: the summary, the worst verdict, its evidence, then its plan."""
        return PROMPT.format(path=path)

    return app


def serve(roots: list[str | Path], caps: dict[str, int | None] | None = None) -> None:
    """Run the server over stdio until the client closes it."""
    build(roots, caps).run("stdio")
