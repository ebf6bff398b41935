"""Frame schemas, the parse result type and helpers shared by every parser.

The schemas below are the contract between `parsers` and `forensics` (DESIGN.md §3).
Every frame carries provenance: `source` (path of the member inside the bundle) and
`line` (1-based line of the evidence in that member), so a finding can cite `source:line`.
All timestamps are `Datetime("us", "UTC")`. A frame a bundle lacks is an empty frame with
its schema, never a missing key.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import polars as pl

TS = pl.Datetime("us", "UTC")

PROVENANCE = {"source": pl.String, "line": pl.Int64}
# Object frames also keep the text of the cited line (the evidence excerpt).
CITED = {"excerpt": pl.String, **PROVENANCE}

SCHEMAS: dict[str, dict[str, pl.DataType]] = {
    # One row per controller log record.
    "logs": {
        "ts": TS,
        "level": pl.String,
        "msg": pl.String,
        "error": pl.String,
        "logger": pl.String,
        "controller": pl.String,  # reconciler name from the record ("helmrelease"), if any
        "kind": pl.String,  # object kind the record is about ("HelmRelease", "HelmChart", ...)
        "namespace": pl.String,
        "name": pl.String,
        "release": pl.String,  # "namespace/name" when kind is HelmRelease
        "reconcile_id": pl.String,
        "pod": pl.String,
        "container": pl.String,
        "previous": pl.Boolean,  # the log of the container's previous instance
        # the line as written (evidence excerpt); null while it can be read again from `offset`
        # (forensics.lines.with_raw), so that a big log is not held twice
        "raw": pl.String,
        **PROVENANCE,
        "line_end": pl.Int64,  # last physical line of the record (joined CRI partials, attached stack trace)
        "extra": pl.String,  # continuation text attached to the record (a Go panic / stack trace)
        "encoding": pl.String,  # what the record body was: json | console | flux-logs | text
        "offset": pl.Int64,  # byte offset of the record's first line in its member (null: `raw` is kept)
    },
    # One row per Kubernetes Event object (aggregated: first/last/count).
    "events": {
        "first_ts": TS,
        "last_ts": TS,
        "count": pl.Int64,
        "type": pl.String,
        "reason": pl.String,
        "message": pl.String,
        "kind": pl.String,
        "namespace": pl.String,
        "name": pl.String,
        "field_path": pl.String,
        "release": pl.String,
        "component": pl.String,
        "revision": pl.String,
        "token": pl.String,
        "uid": pl.String,
        **CITED,
        # first_ts/last_ts come from a relative age ("5m") anchored on the collection time:
        # approximate to the age's unit; null when no anchor was known (order kept in `line`).
        "approximate": pl.Boolean,
        "age_first": pl.String,  # the relative ages as printed, when the input was a table
        "age_last": pl.String,
        # how the release was told from a text that does not name it in full (a pasted message:
        # "named as HelmRelease/<ns>/<name>", "the Helm release named in the message", ...)
        "release_basis": pl.String,
    },
    # One row per HelmRelease object.
    "releases": {
        "release": pl.String,
        "namespace": pl.String,
        "name": pl.String,
        "uid": pl.String,
        "api_version": pl.String,
        "generation": pl.Int64,
        "observed_generation": pl.Int64,
        "suspended": pl.Boolean,
        "chart": pl.String,
        "chart_version": pl.String,
        "source_ref": pl.String,
        "depends_on": pl.List(pl.String),
        "drift_mode": pl.String,
        "interval": pl.String,
        "ready_status": pl.String,
        "ready_reason": pl.String,
        "ready_message": pl.String,
        "ready_since": TS,
        # Which controller generation's status shape this is: "v2beta1" (written by
        # helm-controller <= v0.36), "v2beta2" (v0.37.x), "v2" (v1.x), or "unknown"
        # (too little status to tell, e.g. a `flux get hr` row).
        "status_format": pl.String,
        "status_format_basis": pl.String,  # the field(s) that decided status_format
        "status_format_line": pl.Int64,  # line of that field
        "last_attempted_revision": pl.String,
        "last_applied_revision": pl.String,
        "last_release_revision": pl.Int64,
        "last_attempted_values_checksum": pl.String,
        "last_attempted_generation": pl.Int64,
        "storage_namespace": pl.String,
        "history_len": pl.Int64,
        "failures": pl.Int64,
        "install_failures": pl.Int64,
        "upgrade_failures": pl.Int64,
        "last_handled_reconcile_at": pl.String,
        "last_handled_force_at": pl.String,
        "created": TS,
        "input_format": pl.String,  # "object" (full YAML/JSON) or "flux-get-table", ...
        "suspend_line": pl.Int64,  # line of `spec.suspend` (or of the table row), when present
        "suspend_excerpt": pl.String,  # the text of that line
        "release_basis": pl.String,  # how the release was told when its row does not name it in full
        **CITED,
    },
    # One row per condition of a HelmRelease; `line` is the line of its message.
    "conditions": {
        "release": pl.String,
        "type": pl.String,
        "status": pl.String,
        "reason": pl.String,
        "message": pl.String,
        "last_transition": TS,
        "observed_generation": pl.Int64,
        **CITED,
    },
    # One row per status.history snapshot.
    "history": {
        "release": pl.String,
        "version": pl.Int64,
        "chart_name": pl.String,
        "chart_version": pl.String,
        "app_version": pl.String,
        "status": pl.String,
        "first_deployed": TS,
        "last_deployed": TS,
        "digest": pl.String,
        "config_digest": pl.String,
        "action": pl.String,
        **CITED,
    },
    # One row per metadata.managedFields entry of a HelmRelease.
    "managed_fields": {
        "release": pl.String,
        "manager": pl.String,
        "operation": pl.String,
        "api_version": pl.String,
        "subresource": pl.String,
        "time": TS,
        **CITED,
    },
    # One row per controller container instance seen (current or last terminated).
    "controllers": {
        "controller": pl.String,  # "helm-controller", "source-controller", ...
        "namespace": pl.String,
        "pod": pl.String,
        "container": pl.String,
        "image": pl.String,
        "version": pl.String,  # image tag, e.g. "v0.37.2"
        "instance": pl.String,  # "current" | "previous" | "spec" (Deployment/ReplicaSet template)
        "started_at": TS,
        "finished_at": TS,
        "restarts": pl.Int64,
        "last_termination_reason": pl.String,
        # the container's `--feature-gates` value as written in its args/command ("A=true,B=false";
        # several flags joined by ","), null when it sets none: the gates change the controller's
        # wording (reference/helm-controller.md §10.2). A "previous" instance has none (not recorded).
        "feature_gates": pl.String,
        **CITED,
    },
    # Helm storage Secrets: labels only, never the payload.
    "helm_storage": {
        "release": pl.String,
        "revision": pl.Int64,
        "status": pl.String,
        "modified_at": TS,
        **CITED,
    },
    # HelmChart / HelmRepository / OCIRepository / GitRepository objects.
    "sources": {
        "kind": pl.String,
        "namespace": pl.String,
        "name": pl.String,
        "ready_status": pl.String,
        "ready_reason": pl.String,
        "ready_message": pl.String,
        "since": TS,
        "artifact_revision": pl.String,
        **CITED,
    },
    # Input that could not be used.
    "problems": {
        "source": pl.String,
        "line": pl.Int64,
        "reason": pl.String,
        "excerpt": pl.String,
    },
}

FRAME_NAMES = tuple(SCHEMAS)

EXCERPT_MAX = 300


def empty(kind: str) -> pl.DataFrame:
    """An empty frame with the schema of `kind`."""
    return pl.DataFrame(schema=SCHEMAS[kind])


def conform(df: pl.DataFrame, kind: str) -> pl.DataFrame:
    """Select and cast `df` to the schema of `kind`; absent columns become nulls."""
    schema = SCHEMAS[kind]
    present = set(df.columns)
    return df.select(
        [
            (pl.col(name) if name in present else pl.lit(None)).cast(dtype, strict=False).alias(name)
            for name, dtype in schema.items()
        ]
    )


def frame(kind: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Build a frame of `kind` from Python rows (small inputs: objects, tables)."""
    if not rows:
        return empty(kind)
    schema = SCHEMAS[kind]
    columns = {name: [row.get(name) for row in rows] for name in schema}
    return pl.DataFrame(columns, schema=schema, strict=False)


def line_record(
    raw: str, number: int, source: str, encoding: str, *, line_end: int | None = None, **fields
) -> dict[str, Any]:
    """A `logs` row of a log line read in Python (the small line-by-line dialects): the line as
    written, where it is (`line_end`: its last line when it was wrapped onto the next ones), and
    the record's own fields (`level`, `msg`, `pod`, ...)."""
    end = number if line_end is None else line_end
    return {**fields, "raw": raw, "source": source, "line": number, "line_end": end, "encoding": encoding}


def excerpt(text: str | None) -> str:
    """A one-line, length-capped excerpt of `text`."""
    if text is None:
        return ""
    text = text.replace("\r", "").strip()
    return text if len(text) <= EXCERPT_MAX else text[: EXCERPT_MAX - 1] + "…"


# What Python's `str.strip()` strips (`str.isspace`), for `excerpt_expr` to strip the same.
_PY_WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)


def excerpt_expr(text: pl.Expr) -> pl.Expr:
    """`excerpt` as an expression (same values, vectorised)."""
    stripped = text.str.replace_all("\r", "", literal=True).str.strip_chars(_PY_WHITESPACE)
    return (
        pl.when(stripped.is_null())
        .then(pl.lit(""))
        .when(stripped.str.len_chars() <= EXCERPT_MAX)
        .then(stripped)
        .otherwise(pl.concat_str(stripped.str.slice(0, EXCERPT_MAX - 1), pl.lit("…")))
    )


class _Gauge:
    """How many threads are inside a stretch of work (`with GAUGE:`); `active` reads it."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def __enter__(self) -> None:
        with self._lock:
            self._count += 1

    def __exit__(self, *exc) -> None:
        with self._lock:
            self._count -= 1

    @property
    def active(self) -> bool:
        return self._count > 0


# Parsing that is Python nearly throughout (objects decoded and walked one by one) and so
# holds the GIL: work that can wait, and needs the GIL often, waits for it (`_logs`).
PYTHON_BOUND = _Gauge()


class Background:
    """`function(*args)` run on a daemon thread; `result()` waits for it and returns its value
    (or raises its exception)."""

    def __init__(self, function, *args, name: str):
        self._outcome: dict = {}
        self._thread = threading.Thread(target=self._run, args=(function, args), name=name, daemon=True)
        self._thread.start()

    def _run(self, function, args) -> None:
        try:
            self._outcome["value"] = function(*args)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            self._outcome["error"] = error

    def result(self):
        self._thread.join()
        if "error" in self._outcome:
            raise self._outcome["error"]
        return self._outcome["value"]


class FileData:
    """A big member on disk, not read into memory: parsers that declare `STREAMS = True`
    read it piece by piece (`head`, `open`); the others get its bytes (`read`)."""

    def __init__(self, path: str, size: int) -> None:
        self.path, self.size = path, size

    def __len__(self) -> int:
        return self.size

    def head(self, count: int) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read(count)

    def open(self):
        return open(self.path, "rb")  # noqa: SIM115 - the caller closes it

    def read(self) -> bytes:
        with open(self.path, "rb") as handle:
            return handle.read()


@dataclass
class ParseResult:
    """What one parser made of one member: frames, problems and a note for the inventory.

    Problems are kept in order as single rows (`problem`) or whole frames of the `problems`
    schema (`add_problems`, for the many rows of a big log member); `problem_frame()` gives
    them all as one frame, `problems` as a list of dicts."""

    parser: str | None  # None: not read (`parsers.foreign`), the note says why
    frames: dict[str, pl.DataFrame] = field(default_factory=dict)
    note: str = ""
    _problem_parts: list[Any] = field(default_factory=list, repr=False)  # dicts and frames, in order
    # the member's rows when its frames are built with other members' (`objects.parse_many`):
    # this result may then hold theirs as well, or none
    counted: int | None = None
    # every line of the member was read as the parser's format (objects of kinds it knows, no
    # problem), rows or none: nothing a paste reading could take from it (`parse_member`)
    whole: bool = False

    def add(self, kind: str, df: pl.DataFrame) -> None:
        if df.height == 0:
            return
        if list(df.schema.items()) != list(SCHEMAS[kind].items()):  # a select of a frame pieced
            df = conform(df, kind)  # together copies it into one piece: only when it changes it
        self.frames[kind] = pl.concat([self.frames[kind], df]) if kind in self.frames else df

    def problem(self, source: str, line: int | None, reason: str, text: str | None = None) -> None:
        self._problem_parts.append({"source": source, "line": line, "reason": reason, "excerpt": excerpt(text)})

    def add_problems(self, df: pl.DataFrame) -> None:
        """Problem rows as a frame (columns of the `problems` schema), after those so far."""
        if df.height:
            self._problem_parts.append(conform(df, "problems"))

    @property
    def problems(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for part in self._problem_parts:
            if isinstance(part, dict):
                out.append(part)
            else:
                out += part.to_dicts()
        return out

    @problems.setter
    def problems(self, rows: list[dict[str, Any]]) -> None:
        self._problem_parts = list(rows)

    def problems_at(self) -> int:
        """The place of the next problem (`insert_problems` puts problems found later there)."""
        return len(self._problem_parts)

    def insert_problems(self, at: int, rows: list[dict[str, Any]]) -> None:
        """Problem rows at a place taken with `problems_at` (places taken later first)."""
        self._problem_parts[at:at] = rows

    def problem_count(self) -> int:
        return sum(1 if isinstance(part, dict) else part.height for part in self._problem_parts)

    def problem_frame(self) -> pl.DataFrame:
        """Every problem, in order, as one frame of the `problems` schema."""
        pieces: list[pl.DataFrame] = []
        rows: list[dict[str, Any]] = []
        for part in self._problem_parts:
            if isinstance(part, dict):
                rows.append(part)
                continue
            if rows:
                pieces.append(frame("problems", rows))
                rows = []
            pieces.append(part)
        if rows:
            pieces.append(frame("problems", rows))
        return pl.concat(pieces) if pieces else empty("problems")

    def rows(self) -> int:
        return self.counted if self.counted is not None else sum(df.height for df in self.frames.values())


# --- timestamps -----------------------------------------------------------------------------

_TS_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%.f%z",  # RFC3339 / zap ISO8601 ("+0200" or "+02:00"), any fraction
    "%Y-%m-%d %H:%M:%S%.f %z",  # Go Time.String() without the zone name
)


def parse_ts(expr: pl.Expr) -> pl.Expr:
    """Parse the timestamp dialects of Kubernetes and zap into `Datetime(us, UTC)`.

    Accepts RFC3339 with or without fraction (`Z` or an offset with or without colon),
    zap's ISO8601 (`2024-02-12T09:30:00.101Z`, `...+0200`) and Go's `Time.String()`
    (`2024-05-01 10:00:00.123456789 +0000 UTC`). Unparseable values become null.
    """
    normalised = (
        expr.cast(pl.String)
        .str.strip_chars()
        .str.replace(r" [A-Z]{2,5}$", "")  # Go Time.String() zone name suffix
        .str.replace(r"[Zz]$", "+00:00")
    )
    return pl.coalesce(
        [normalised.str.to_datetime(fmt, time_unit="us", time_zone="UTC", strict=False) for fmt in _TS_FORMATS]
    )


def ts_value(text: str | None):
    """Parse one timestamp string of an object field; None when unparseable.

    RFC3339 goes through `datetime.fromisoformat` (fast); other dialects through `parse_ts`.
    A time without a zone is taken as UTC (Kubernetes writes UTC).
    """
    if not text:
        return None
    try:
        value = datetime.fromisoformat(str(text).strip())
    except ValueError:
        return pl.select(parse_ts(pl.lit(str(text)))).item()
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
