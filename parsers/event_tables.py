"""Event tables as printed by `kubectl get events`, `kubectl events` and `flux events` -> events.

Formats (ecosystem.md §1d/§1e; kubernetes `pkg/printers/internalversion/printers.go`,
kubectl `pkg/cmd/events`, fluxcd/flux2 `cmd/flux/events.go`):

- `kubectl get events`: `[NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE`; `-o wide`:
  `LAST SEEN TYPE REASON OBJECT SUBOBJECT SOURCE MESSAGE FIRST SEEN COUNT NAME`;
  OBJECT is `lower(kind)/name`; columns padded with spaces (tabwriter), so cells are cut at
  the header's column positions.
- `kubectl events` and `flux events`: `[NAMESPACE] LAST SEEN TYPE REASON OBJECT MESSAGE`, LAST
  SEEN `5m`, `3m (x4 over 10m)` or `<unknown>`; flux's OBJECT is `Kind/name` and its cells are
  TAB-separated (tablewriter with a TAB padding).

Ages are relative to when the command ran (`duration.HumanDuration`: `45s`, `2m30s`, `5h`,
`3d4h`, `2y10d`). The parser keeps them as printed (`age_first`, `age_last`) and leaves the
times null; `anchor()` turns them into approximate times once the collection time is known
(the bundle reader knows it, parsers do not). `FIRST SEEN` is the `over` age or the `-o wide`
column; COUNT the `xN` or the COUNT column. One row = one aggregated event (a span). An age
beyond reason (over `MAX_AGE`: `5000y`, or more digits than any duration) is a problem of its
row: the row is kept, its times unknown.
"""

from __future__ import annotations

import re
from datetime import datetime

import polars as pl

from parsers._base import ParseResult, excerpt, frame

NAME = "event-table"
KIND = "events"
TIMESTAMPS = {
    "first_ts": "FIRST SEEN / `over` age anchored on the collection time",
    "last_ts": "LAST SEEN age anchored on the collection time",
}

_COLUMNS = (
    "NAMESPACE",
    "LAST SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "SUBOBJECT",
    "SOURCE",
    "MESSAGE",
    "FIRST SEEN",
    "COUNT",
    "NAME",
)
_HEADER = re.compile(
    r"^\s*(NAMESPACE\s+)?LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+(SUBOBJECT\s+SOURCE\s+)?MESSAGE(\s+FIRST "
    r"SEEN\s+COUNT\s+NAME)?\s*$"
)
_AGE = re.compile(r"^(?P<last>\S+)(?: \(x(?P<count>\d+) over (?P<first>\S+)\))?$")
_UNITS = {"y": 365 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
MAX_AGE = 50 * _UNITS["y"]  # no event is older than Kubernetes; anchored, every age stays a time the outputs can show

# `kubectl get events` lower-cases the kind; these are the kinds this tool reasons about.
KINDS = {
    k.lower(): k
    for k in (
        "HelmRelease",
        "HelmChart",
        "HelmRepository",
        "OCIRepository",
        "GitRepository",
        "Bucket",
        "Kustomization",
        "Pod",
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "Service",
        "Node",
        "Namespace",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "HorizontalPodAutoscaler",
        "Lease",
    )
}


def age_seconds(text: str | None) -> int | None:
    """Seconds of a `HumanDuration` age (`3d4h`, `45s`); None for `<unknown>`, junk, or an
    age beyond reason (over MAX_AGE)."""
    if not text or len(text) > 40 or not re.fullmatch(r"(\d+[ydhms])+", text):
        return None
    seconds = sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([ydhms])", text))
    return seconds if seconds <= MAX_AGE else None


def _beyond_reason(text: str | None) -> bool:
    """An age written as one (`5000y`) that `age_seconds` refuses for its size."""
    return bool(text) and re.fullmatch(r"(\d+[ydhms])+", text) is not None and age_seconds(text) is None


def matches(path: str, head: bytes) -> bool:
    if b"LAST SEEN" not in head:  # in every header `_HEADER` matches: most members are told apart here
        return False
    text = head.decode("utf-8", errors="replace")
    return any(_HEADER.match(line.replace("\t", "  ")) for line in text.splitlines()[:20])


def _cells(line: str, header: str, names: list[str], starts: list[int]) -> dict[str, str]:
    if "\t" in line and "\t" in header:
        cells = [c.strip() for c in line.split("\t")]
        if len(cells) >= len(names):
            if names[-1] == "MESSAGE":
                cells = cells[: len(names) - 1] + ["\t".join(cells[len(names) - 1 :]).strip()]
            return dict(zip(names, cells))
    out = {}
    for i, (name, start) in enumerate(zip(names, starts)):
        end = starts[i + 1] if i + 1 < len(starts) else None
        out[name] = (line[start:end] if end else line[start:]).strip()
    return out


def parse(data: bytes, source: str, *, namespace: str | None = None) -> ParseResult:
    """Read the event tables of `data`. `namespace`: the namespace of rows without a NAMESPACE
    column when the caller knows it (the `-n` of the pasted command)."""
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    header, names, starts = None, [], []
    rows, blank = [], 0
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()  # the final newline ends the last line; it is not a blank line
    for number, line in enumerate(physical, start=1):
        raw = line.rstrip("\r")
        if not raw.strip():
            blank += 1
            continue
        if _HEADER.match(raw.replace("\t", "  ")):
            header = raw
            plain = raw if "\t" in raw else raw
            found = sorted((m.start(), c) for c in _COLUMNS for m in [re.search(rf"(?:^|\s)({c})(?:\s|$)", plain)] if m)
            starts = [plain.index(c, pos) for pos, c in found]
            names = [c for _, c in found]
            continue
        if header is None:
            result.problem(source, number, "text before the events table header", raw)
            continue
        cells = _cells(raw, header, names, starts)
        age = _AGE.match(cells.get("LAST SEEN", ""))
        obj = cells.get("OBJECT", "")
        if not age or "/" not in obj or not re.fullmatch(r"\w+", cells.get("TYPE", "")) or not cells.get("REASON"):
            result.problem(source, number, "not an events table row", raw)
            continue
        kind, _, name = obj.partition("/")
        kind = KINDS.get(kind.lower(), kind if kind[:1].isupper() else kind[:1].upper() + kind[1:])
        row_namespace = cells.get("NAMESPACE") or namespace
        count = int(age["count"]) if age["count"] else int(cells["COUNT"]) if cells.get("COUNT", "").isdigit() else 1
        first_age = age["first"] or cells.get("FIRST SEEN") or age["last"]
        last_age = age["last"]
        if _beyond_reason(first_age) or _beyond_reason(last_age):
            result.problem(
                source,
                number,
                f"age beyond reason ({last_age}, first {first_age}): the event's times are not known",
                raw,
            )
            first_age = last_age = None
        source_cell = cells.get("SOURCE") or None
        rows.append(
            {
                "count": count,
                "type": cells["TYPE"],
                "reason": cells["REASON"],
                "message": cells.get("MESSAGE"),
                "kind": kind,
                "namespace": row_namespace,
                "name": name,
                "field_path": cells.get("SUBOBJECT") or None,
                "release": f"{row_namespace}/{name}" if kind == "HelmRelease" and row_namespace else None,
                "component": source_cell.split(",")[0].strip() if source_cell else None,
                "age_first": first_age,
                "age_last": last_age,
                "excerpt": excerpt(raw),
                "source": source,
                "line": number,
            }
        )
    if header and "NAMESPACE" not in names and rows and namespace is None:
        result.problem(source, None, "no NAMESPACE column: the namespace of these events is not known (run with -A)")
    result.add("events", frame("events", rows))
    result.note = f"{len(rows)} event rows, {blank} blank lines" if header else "no events table header"
    return result


def anchor(events: pl.DataFrame, collected_at: datetime | None) -> pl.DataFrame:
    """Give table rows approximate times: collection time minus the printed ages."""
    if collected_at is None or events.height == 0 or "age_last" not in events.columns:
        return events
    table = pl.col("age_last").is_not_null() & pl.col("last_ts").is_null()
    last = events["age_last"].map_elements(age_seconds, return_dtype=pl.Int64)
    first = events["age_first"].map_elements(age_seconds, return_dtype=pl.Int64)
    at = pl.lit(collected_at).dt.cast_time_unit("us").dt.convert_time_zone("UTC")
    return events.with_columns(
        pl.when(table & last.is_not_null())
        .then(at - pl.duration(seconds=last))
        .otherwise(pl.col("last_ts"))
        .alias("last_ts"),
        pl.when(table & first.is_not_null())
        .then(at - pl.duration(seconds=first))
        .otherwise(pl.col("first_ts"))
        .alias("first_ts"),
        pl.when(table).then(last.is_not_null()).otherwise(pl.col("approximate")).alias("approximate"),
    )
