"""Tables as kubectl, flux and helm print them, pasted with or without their header.

`kubectl` pads its columns with spaces (tabwriter), `flux` separates them with a TAB (often
turned into spaces on the way); a header's words give the column starts. A row that is longer
than the terminal was wrapped: a line that is not a row continues the row before it. Which
object a table lists comes from the pasted command (`get ks`), else from its columns (`CHART`
and `SOURCE KIND` for HelmCharts, `URL` for repositories, `RELEASE`+`STATUS` for Flux v1's
helm-operator), else from its rows (`helmrelease/<name>` in `flux get all`; a Git revision
`main@sha1:...` is a Kustomization's). HelmRelease tables are read by `parsers.flux_tables`,
event tables by `parsers.event_tables`; the rest here.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

from parsers import flux_tables
from parsers._base import excerpt, parse_ts, ts_value
from parsers.paste.clean import cells
from parsers.paste.clean import Line, join
from parsers.paste.commands import Command

STATUSES = ("True", "False", "Unknown")
_AGE = re.compile(r"^(?:\d+[smhdy])+$|^<unknown>$|^<invalid>$")
_GIT_REVISION = re.compile(r"@sha1:|@sha256:|^[\w.\-]+/[0-9a-f]{4,40}$|^[0-9a-f]{40}$|^sha256:")
_TWO_WORD = ("LAST SEEN", "FIRST SEEN", "SOURCE KIND", "SOURCE NAME", "APP VERSION", "LAST DEPLOYED", "LAST SCHEDULE", "NOMINATED NODE", "READINESS GATES")
SOURCE_KINDS = ("HelmChart", "HelmRepository", "OCIRepository", "GitRepository", "Bucket", "ExternalArtifact")


def columns(header: str) -> list[tuple[str, int]]:
    """(name, start) of each column of a header line; two-word names kept together."""
    text = header.replace("\t", "  ") if "\t" not in header.strip() else header
    found: list[tuple[str, int]] = []
    for match in re.finditer(r"\S+", text):
        word, start = match.group(0), match.start()
        if found and f"{found[-1][0]} {word}" in _TWO_WORD and start - (found[-1][1] + len(found[-1][0])) == 1:
            found[-1] = (f"{found[-1][0]} {word}", found[-1][1])
        else:
            found.append((word, start))
    return found


def cut(row: str, header: str, cols: list[tuple[str, int]]) -> dict[str, str]:
    """A row's cells by column name: TAB-separated when both have TABs, else at the header's
    column starts (falling back to runs of 2+ spaces when the row does not line up)."""
    names = [name for name, _ in cols]
    if "\t" in row and "\t" in header:
        parts = [c.strip() for c in row.split("\t")]
        parts = [p for p in parts if p != ""] if len(parts) > len(names) + 2 else parts
        if len(parts) >= len(names):
            return dict(zip(names, parts[: len(names) - 1] + [" ".join(parts[len(names) - 1 :]).strip()]))
    starts = [start for _, start in cols]
    aligned = all(i == 0 or start >= len(row) or row[start - 1] in " \t" for i, start in enumerate(starts))
    if aligned:
        out = {}
        for i, (name, start) in enumerate(cols):
            end = starts[i + 1] if i + 1 < len(starts) else None
            out[name] = (row[start:end] if end else row[start:]).strip()
        return out
    parts = cells(row)
    return dict(zip(names, parts[: len(names) - 1] + [" ".join(parts[len(names) - 1 :])]))


def join_wrapped(lines: list[Line], is_row) -> list[Line]:
    """Rows with the lines that continue them (a wrapped last cell) joined to them."""
    out: list[Line] = []
    for line in lines:
        if out and not is_row(line.text):
            join(out[-1], line, "" if out[-1].at_width else " ", "a wrapped row joined")
            continue
        out.append(line)
    return out


def table_kind(header: str, cols: list[str], rows: list[dict[str, str]], command: Command | None) -> str:
    """The kind of object a table lists."""
    if command is not None and command.kind and command.verb in ("get", "list", "ls", "history"):
        return command.kind
    names = set(cols)
    if {"CHART", "SOURCE KIND"} <= names:
        return "HelmChart"
    if "RELEASE" in names and "STATUS" in names and "MESSAGE" in names:
        return "HelmRelease"
    if "UPDATED" in names and "REVISION" in names and ("CHART" in names or "DESCRIPTION" in names):
        return "HelmRelease (Helm)"
    if "APIVERSION" in names and "NAMESPACED" in names:
        return "APIResource"
    if "RESTARTS" in names:
        return "Pod"
    if "URL" in names:
        urls = [r.get("URL", "") for r in rows]
        if all(u.startswith("oci://") for u in urls if u):
            return "OCIRepository"
        if any(u.endswith(".git") or u.startswith(("ssh://", "git@")) for u in urls):
            return "GitRepository"
        return "HelmRepository"
    prefixed = [r.get("NAME", "").split("/", 1)[0].lower() for r in rows if "/" in r.get("NAME", "")]
    if prefixed:
        kinds = {"helmrelease": "HelmRelease", "kustomization": "Kustomization", "helmchart": "HelmChart", "helmrepository": "HelmRepository",
                 "ocirepository": "OCIRepository", "gitrepository": "GitRepository", "bucket": "Bucket"}
        return kinds.get(prefixed[0], "mixed")
    revisions = [r.get("REVISION", "") for r in rows if r.get("REVISION")]
    if revisions and all(_GIT_REVISION.search(v) for v in revisions):
        return "Kustomization"
    if "READY" in names and ("MESSAGE" in names or "STATUS" in names):
        return "HelmRelease"
    return "unknown"


def source_row(cells_: dict[str, str], kind: str, namespace: str | None, source: str, line: Line) -> dict:
    message = cells_.get("STATUS") or cells_.get("MESSAGE")
    return {
        "kind": kind,
        "namespace": cells_.get("NAMESPACE") or namespace,
        "name": cells_.get("NAME", "").split("/", 1)[-1],
        "ready_status": cells_.get("READY") if cells_.get("READY") in STATUSES else None,
        "ready_message": message,
        "artifact_revision": cells_.get("REVISION") or cells_.get("VERSION") or None,
        "excerpt": excerpt(line.text),
        "source": source,
        "line": line.first,
    }


def storage_row(cells_: dict[str, str], command: Command | None, source: str, line: Line) -> dict | None:
    """A `helm list` / `helm history` row -> helm_storage (labels only: release, revision, status)."""
    name = cells_.get("NAME") or (command.name if command else None)
    namespace = cells_.get("NAMESPACE") or (command.namespace if command else None)
    revision = cells_.get("REVISION", "")
    if not name or not revision.isdigit():
        return None
    return {
        "release": f"{namespace or '?'}/{name}",
        "revision": int(revision),
        "status": (cells_.get("STATUS") or "").lower() or None,
        "modified_at": helm_time(cells_.get("UPDATED")),
        "excerpt": excerpt(line.text),
        "source": source,
        "line": line.first,
    }


def helm_time(text: str | None) -> datetime | None:
    """`helm list` (Go `Time.String()`) and `helm history` (ANSI C, no zone: taken as UTC) times."""
    if not text:
        return None
    for fmt in ("%a %b %d %H:%M:%S %Y",):
        try:
            return datetime.strptime(re.sub(r"\s+", " ", text.strip()), fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            pass
    import polars as pl

    return pl.select(parse_ts(pl.lit(text))).item()


def pod_row(cells_: dict[str, str], namespace: str | None, source: str, line: Line) -> dict | None:
    """A `kubectl get pods` row of a Flux controller -> controllers (restarts, last state)."""
    from parsers.controllers import FLUX_CONTROLLERS

    pod = cells_.get("NAME", "")
    controller = next((c for c in FLUX_CONTROLLERS if pod.startswith(c) or f"-{c}-" in pod), None)
    if controller is None:
        return None
    restarts = re.match(r"(\d+)", cells_.get("RESTARTS", ""))
    status = cells_.get("STATUS") or None
    return {
        "controller": controller,
        "namespace": cells_.get("NAMESPACE") or namespace,
        "pod": pod,
        "container": controller,
        "instance": "current",
        "restarts": int(restarts.group(1)) if restarts else None,
        "last_termination_reason": status if status not in (None, "Running", "Completed", "Pending") else None,
        "excerpt": excerpt(line.text),
        "source": source,
        "line": line.first,
    }


def headerless(line: Line) -> dict | None:
    """The cells of a `flux get` / `kubectl get` row pasted without its header: the Ready
    status is the last True/False/Unknown cell before the message; before it SUSPENDED
    (True/False: a `flux get` row, with REVISION before it) or AGE (`kubectl get`), before
    those the name, and the namespace when there is one more cell."""
    parts = [c for c in re.split(r"\t+|\s{2,}", line.text.strip()) if c.strip()]
    parts = [p.strip() for p in parts]
    ready_at = max((i for i, p in enumerate(parts[:-1]) if p in STATUSES and i > 0), default=None)
    if ready_at is None:
        return None
    out: dict[str, str] = {"READY": parts[ready_at], "MESSAGE": _rest(line.text, parts, ready_at)}
    before = parts[:ready_at]
    if before and before[-1] in ("True", "False") and len(before) >= 2:
        out["SUSPENDED"] = before.pop()
        if len(before) >= 2:
            out["REVISION"] = before.pop()
        out["_form"] = "flux-get-table"
    elif before and _AGE.match(before[-1]):
        out["AGE"] = before.pop()
        out["_form"] = "kubectl-get-table"
    else:
        out["_form"] = "flux-get-table"
    if not before or len(before) > 2:
        return None
    out["NAME"] = before[-1]
    if len(before) == 2:
        out["NAMESPACE"] = before[0]
    return out


def _rest(text: str, parts: list[str], ready_at: int) -> str:
    """The message: the row's text after its Ready cell, as written (inner spacing kept)."""
    position = 0
    for part in parts[: ready_at + 1]:
        position = text.index(part, position) + len(part)
    return text[position:].strip()


def since(text: str | None) -> datetime | None:
    return ts_value(text)


__all__ = ["columns", "cut", "join_wrapped", "table_kind", "source_row", "storage_row", "pod_row", "headerless"]
