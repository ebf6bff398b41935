"""Text as users paste it into a ticket -> every frame it has evidence for.

A paste mixes what the other parsers read one per file: the command and its prompt, a table,
a `kubectl describe` fragment, YAML, log records of any dialect, flux and helm CLI output,
alert labels, a status message on its own. It is read by line and by block:

1. `clean`: what the terminal, the shell and Markdown added is taken off (each physical line
   keeps its number; nothing is dropped without a role that says why);
2. `blocks`: the cleaned lines are cut into blocks of one format;
3. each block is read by the parser of its format (`flux_tables`, `event_tables`,
   `describe_hr`, the log parsers, `parsers.kube` objects) or by the small readers here
   (headerless rows, source and Helm tables, flux/helm CLI output, alert labels, metric
   series, messages), and their rows cite the original line numbers.

Every physical line ends up used by a block, cleaned away (counted by why in the inventory
note), or a problem row with its reason.
"""

from __future__ import annotations

from collections import Counter

import polars as pl

from parsers._base import ParseResult, excerpt, frame
from parsers.paste import blocks as segmenting
from parsers.paste import clean, readers
from parsers.paste.blocks import Block
from parsers.paste.clean import Line
from parsers.paste.jsonfix import close_json  # noqa: F401 - part of the package's interface

NAME = "paste"
KIND = "any frame: tables, describe fragments, YAML, logs, CLI output, messages"
TIMESTAMPS = {"first_ts": "a message's own time when the paste shows one, else null"}
# A paste is small; a bigger text member is a log or a document and goes to its own parser.
MAX_BYTES = 2 * 1024 * 1024


def matches(path: str, head: bytes) -> bool:
    """Text: no NUL byte, and decodes as UTF-8 (a few replaced characters allowed)."""
    if b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="replace")
    return text.count("\ufffd") <= max(2, len(text) // 100)


def parse(data: bytes, source: str) -> ParseResult:
    return read(data, source)[0]


def read(data: bytes, source: str) -> tuple[ParseResult, dict[int, str]]:
    """The paste's frames, and what became of each physical line (1-based): `read: <block>`,
    `cleaned: <role>` or `problem: <reason>`."""
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    lines = clean.clean(text)
    reader = Reader(source, result)
    for line in lines:
        if not line.content:
            reader.account[line.first] = f"cleaned: {line.role}"
    for block in segmenting.segment(lines):
        reader.read(block)
    reader.finish()
    if result.rows() == 0 and reader.unread > 1:  # nothing in it is known: one problem row says so
        first = min((p["line"] for p in result.problems if p["line"]), default=None)
        excerpt_text = next((p["excerpt"] for p in result.problems if p["line"] == first), "")
        result.problems = [p for p in result.problems if p["line"] is None]
        result.problem(
            source, first, f"no line of it is a known output, log line or message ({reader.unread} lines)", excerpt_text
        )
    result.note = _note(lines, reader)
    if len(reader.parsers) == 1 and sum(reader.read_as.values()) == 1:
        result.parser = reader.parsers.pop()  # one block, read by that parser: named after it
    return result, reader.account


class Reader:
    """Reads blocks into one ParseResult, remapping delegated parsers' lines to the paste's."""

    batch = True  # log blocks of one parser parsed together (`queue`)

    def __init__(self, source: str, result: ParseResult) -> None:
        self.source, self.result = source, result
        self.read_as: Counter[str] = Counter()  # block kind -> blocks read
        self.unread = 0
        self.repairs: list[str] = []
        self.labels: dict[str, tuple[str, Line]] = {}  # alert labels, from every list of the paste
        self.parsers: set[str] = set()  # the parsers blocks were handed to
        self.notes: list[str] = []  # their notes
        self.account: dict[int, str] = {}  # physical line -> what became of it
        self.queued: list[tuple] = []  # log blocks to parse together: (parser key, lines, text, place of problems)
        self.cut: list[int] = []  # lines of JSON records cut short (closed to be read)

    def read(self, block: Block) -> None:
        kind = block.kind
        method = readers.READERS.get(kind.split(":")[0])
        rows = method(self, block) if method else None
        if rows is None:  # nothing known in it: every line a problem row
            for line in block.lines:
                self.result.problem(self.source, line.first, "not a known output, log line or message", line.text)
                for number in range(line.first, line.last + 1):
                    self.account[number] = "problem: not a known output, log line or message"
            self.unread += len(block.lines)
            return
        for line in block.lines:
            for number in range(line.first, line.last + 1):
                self.account[number] = f"read: {kind}"
        self.read_as[kind if not kind.startswith("log:") else "log " + kind[4:]] += 1

    # --- delegation -------------------------------------------------------------------------

    def delegate(self, parse, lines: list[Line], text: str | None = None, header: int = 0, **options) -> int:
        """Hand `lines` (or `text`, whose first `header` lines are not from the paste) to a
        parser; its rows and problems are added with the paste's line numbers. Returns rows."""
        body = text if text is not None else "\n".join(line.text for line in lines) + "\n"
        frames, problems = self._parsed(parse, lines, body, header, options)
        for kind, df in frames.items():
            self.result.add(kind, df)
        self.result.insert_problems(self.result.problems_at(), problems)
        return sum(df.height for df in frames.values())

    def queue(self, parse, lines: list[Line], text: str, together: bool = True, **options) -> None:
        """`delegate` a log block later, with the other blocks of its parser (and options) when
        `together`: a parse has a fixed cost (~50 Polars calls) and a log read as a paste has a
        block for each run of records between two lines of another kind. A block read together
        must start with a record its parser reads as one (then no line of it continues a record
        of the block before, and each record's lines are the same together as apart); each
        block's rows and problems go where its own parse would have put them."""
        if not self.batch:
            self.delegate(parse, lines, text, **options)
            return
        key = (parse, tuple(sorted(options.items())), None if together else len(self.queued))
        self.queued.append((key, lines, text, self.result.problems_at()))

    def flush(self) -> None:
        groups: dict[tuple, list[int]] = {}
        for index, (key, *_) in enumerate(self.queued):
            groups.setdefault(key, []).append(index)
        frames: list[dict[str, pl.DataFrame]] = [{} for _ in self.queued]
        problems: list[list[dict]] = [[] for _ in self.queued]
        for (parse, options, _), indexes in groups.items():
            lines = [line for i in indexes for line in self.queued[i][1]]
            body = "".join(self.queued[i][2] for i in indexes)
            parsed, found = self._parsed(parse, lines, body, 0, dict(options))
            block = {line.first: i for i in indexes for line in self.queued[i][1]}
            for kind, df in parsed.items():
                owner = pl.col("line").replace_strict(block, default=indexes[0], return_dtype=pl.Int64)
                parts = df.with_columns(owner.alias("_block")).partition_by("_block", as_dict=True, maintain_order=True)
                for (i,), part in parts.items():
                    frames[i][kind] = part.drop("_block")
            for problem in found:
                problems[block.get(problem["line"], indexes[0])].append(problem)
        for i in range(len(self.queued)):
            for kind, df in frames[i].items():
                self.result.add(kind, df)
        for i in reversed(range(len(self.queued))):  # a later place first: the earlier stay put
            self.result.insert_problems(self.queued[i][3], problems[i])
        self.queued.clear()

    def _parsed(
        self, parse, lines: list[Line], body: str, header: int, options: dict
    ) -> tuple[dict[str, pl.DataFrame], list[dict]]:
        """A parser's frames and problems of `body`, with the paste's line numbers."""
        sub = parse(body.encode("utf-8"), self.source, **options)
        self.parsers.add(sub.parser)
        self.notes.append(sub.note)
        first = {i + 1 + header: line.first for i, line in enumerate(lines)}
        last = {i + 1 + header: line.last for i, line in enumerate(lines)}
        raw = {i + 1 + header: line.text for i, line in enumerate(lines)}
        frames = {}
        for kind, df in sub.frames.items():
            if df.height == 0:
                continue
            columns = {"line": pl.col("line").replace_strict(first, default=None, return_dtype=pl.Int64)}
            if "line_end" in df.columns:
                columns["line_end"] = pl.col("line_end").replace_strict(last, default=None, return_dtype=pl.Int64)
            if kind == "logs":
                columns["raw"] = pl.coalesce(
                    pl.col("raw"), pl.col("line").replace_strict(raw, default=None, return_dtype=pl.String)
                )
                columns["offset"] = pl.lit(None, pl.Int64)
            frames[kind] = df.with_columns(**columns)
        problems = []
        for problem in sub.problems:
            if problem["line"] is not None and problem["line"] <= header:
                continue
            line = first.get(problem["line"]) if problem["line"] is not None else None
            reason, text = problem["reason"], excerpt(problem["excerpt"])
            problems.append({"source": self.source, "line": line, "reason": reason, "excerpt": text})
        return frames, problems

    def add(self, kind: str, rows: list[dict]) -> int:
        self.result.add(kind, frame(kind, rows))
        return len(rows)

    def finish(self) -> None:
        self.flush()
        readers.after_logs(self)
        readers.alert(self)


_ROLES = {
    "blank": "blank",
    "command": "command line",
    "prompt": "bare prompt",
    "fence": "Markdown fence",
    "markdown": "Markdown",
    "frame": "frame border",
    "elision": "elision",
}


def _note(lines: list[Line], reader: Reader) -> str:
    roles = Counter(line.role for line in lines if not line.content)
    joined = sum(line.last - line.first for line in lines if line.content)
    single = len(reader.notes) == 1 and sum(reader.read_as.values()) == 1
    parts = [
        reader.notes[0]
        if single
        else ", ".join(f"{kind}×{n}" if n > 1 else kind for kind, n in sorted(reader.read_as.items())) or "nothing read"
    ]
    cleaned = [
        f"{n} {_ROLES.get(role, role)}" + ("s" if n > 1 and not _ROLES.get(role, role).endswith("s") else "")
        for role, n in sorted(roles.items())
    ]
    if cleaned:
        parts.append("cleaned away: " + ", ".join(cleaned))
    if joined:
        parts.append(f"{joined} wrapped line(s) joined")
    if reader.unread:
        parts.append(f"{reader.unread} line(s) not understood")
    commands = [line.command.text for line in lines if line.role == "command" and line.command]
    if commands:
        parts.append("pasted command: " + " | ".join(commands)[:200])
    parts += reader.repairs[:5]
    return "; ".join(parts)
