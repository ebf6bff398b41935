"""Cleaning a paste: what the terminal, the ticket and the shell added to the evidence.

The text of a paste is split into physical lines, and each cleaner below turns the list of
`Line`s into another one. A line is never lost: it stays `content`, is merged into another
line (its numbers then span both: `first`..`last`), or becomes a `Line` with another role that
says why it is not content (`blank`, `command`, `prompt`, `fence`, `frame`, `markdown`,
`elision`). The evidence keeps citing the original line numbers.

Cleaners, in order:
- control characters: ANSI colours and other escape sequences, other C0/C1 characters;
- Markdown left in: code fences (alone or glued to the text), `>` quotes, lone backticks, a
  line wrapped in one backtick pair, the unpaired backtick opening or closing a span of lines,
  `<details>`/`<summary>` wrappers;
- TUI frames (k9s): box-drawing borders taken off, and a line that filled the frame to its
  border joined with the next one (the text was wrapped there, often mid-word);
- shell: prompts with their command, bare commands, `set -x` traces, CI steps (the command is
  kept: it says what the output is);
- elisions: `...`, `[...]`, `....`, `<snip>` on a line of their own;
- terminal hard wraps: lines cut at the terminal's width (several lines of the same, maximal
  length) are joined with the line that follows them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from parsers.paste import commands

CONTENT = "content"


@dataclass
class Line:
    text: str
    first: int  # first physical line, 1-based
    last: int  # last physical line (a joined line spans several)
    role: str = CONTENT
    note: str = ""  # what cleaning did to the line
    command: commands.Command | None = None  # for role `command`: what it asks for
    joins: list[int] = field(default_factory=list)  # offsets in `text` where a physical line was joined
    at_width: bool = False  # hard_wraps: the line ended at the terminal's width

    @property
    def content(self) -> bool:
        return self.role == CONTENT


# ESC [ ... final, ESC ] ... BEL/ST, ESC P ... ST, other two-byte ESC sequences, 8-bit CSI
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|"
    r"\x1bP[^\x1b]*(?:\x1b\\)?|\x1b[@-Z\\-_]|\x9b[0-?]*[ -/]*[@-~]"
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})\s*[\w+.#-]*\s*$")
_FENCE_HEAD = re.compile(r"^\s*`{3,}(?=\S)(?P<rest>.*\s.*)$")  # "```NAMESPACE   NAME ..." glued
_FENCE_TAIL = re.compile(r"^(?P<rest>.*\S)\s*`{3,}\s*$")
_QUOTE = re.compile(r"^\s{0,3}>(?: |$)")
_MARKDOWN_SIGNS = re.compile(r"[`>~<]")
_TICKS = re.compile(r"^\s*`(?P<rest>[^`]+)`\s*$")
# one end of an inline code span around several lines (`{...}` on the first, `...}` on the last)
_TICK_OPEN = re.compile(r"^\s*`(?!`)(?P<rest>.+)$")
_TICK_CLOSE = re.compile(r"^(?P<rest>.*[^`\s])`\s*$")
_HTML = re.compile(r"^\s*</?(?:details|summary|pre|code|br)\b[^>]*>(?:.*</summary>)?\s*$", re.I)
_BOX_ONLY = re.compile(
    r"^[\s─━═┌┐└┘├┤┬┴┼╭╮╰╯╔╗╚╝╠╣╦╩╬+\-=]*(?:[^\s─━═┌┐└┘├┤┬┴┼╭╮╰╯╔╗╚╝╠╣╦╩╬│║┃]+[\s─━═┌┐└┘├┤┬┴┼╭╮╰╯╔╗╚╝╠╣╦╩╬+\-=]*)?$"
)
_ELISION = re.compile(
    r"^\s*(?:\[\s*(?:\.{2,}|…|snip(?:ped)?|truncated|cut|redacted|omitted)\s*\]|\.{3,}|"
    r"…+|\(\s*\.{3}\s*\)|<\s*snip\s*>|#\s*\.{3,}"
    r"|\.{3}\s*\(?\d+ more lines?\)?|--\s*snip\s*--)\s*$",
    re.I,
)

WRAP_MIN = 60  # a terminal narrower than this is not believed
_HEADER_WORDS = {
    "NAMESPACE",
    "NAME",
    "READY",
    "STATUS",
    "MESSAGE",
    "AGE",
    "REVISION",
    "SUSPENDED",
    "SOURCE",
    "URL",
    "CHART",
    "VERSION",
    "KIND",
    "LAST",
    "SEEN",
    "TYPE",
    "REASON",
    "OBJECT",
    "FIRST",
    "COUNT",
    "RELEASE",
    "APP",
    "UPDATED",
    "DESCRIPTION",
    "SHORTNAMES",
    "APIVERSION",
    "NAMESPACED",
    "SUBOBJECT",
    "RESTARTS",
    "PHASE",
    "FROM",
    "CREATED",
    "AT",
}
_ROW_CELLS = re.compile(r"\t+|\s{2,}")
_STATUSES = {"True", "False", "Unknown"}


def split(text: str) -> list[Line]:
    """The physical lines of a text (a final newline ends the last line, it adds none)."""
    physical = text.split("\n")
    if physical and physical[-1] == "":
        physical.pop()
    return [Line(raw.rstrip("\r"), number, number) for number, raw in enumerate(physical, start=1)]


def clean(text: str) -> list[Line]:
    """Every physical line of `text`, cleaned: content lines and lines with the role they had."""
    lines = split(text)
    for step in (control_characters, markdown, frames, shell, elisions, blanks, hard_wraps):
        lines = step(lines)
    return lines


def control_characters(lines: list[Line]) -> list[Line]:
    for line in lines:
        plain = _CONTROL.sub("", _ESCAPES.sub("", line.text))
        if plain != line.text:
            line.text, line.note = plain, _add(line.note, "control characters removed")
    return lines


def markdown(lines: list[Line]) -> list[Line]:
    for line in lines:
        if not line.content or not _MARKDOWN_SIGNS.search(line.text):  # every pattern below needs one
            continue
        if _QUOTE.match(line.text):
            line.text, line.note = _QUOTE.sub("", line.text, count=1), _add(line.note, "quote marker taken off")
        if _FENCE.match(line.text):
            line.role = "fence"
            continue
        if _HTML.match(line.text):
            line.role = "markdown"
            continue
        head = _FENCE_HEAD.match(line.text)
        if head:
            line.text, line.note = head["rest"], _add(line.note, "code fence taken off")
        tail = _FENCE_TAIL.match(line.text)
        if tail:
            line.text, line.note = tail["rest"], _add(line.note, "code fence taken off")
        if line.text.strip() == "`":
            line.role = "markdown"
            continue
        ticks = _TICKS.match(line.text)
        if ticks:
            line.text, line.note = ticks["rest"], _add(line.note, "backticks taken off")
            continue
        for end in (_TICK_OPEN, _TICK_CLOSE):  # an unpaired backtick (an odd count) at either end
            found = end.match(line.text) if line.text.count("`") % 2 else None
            if found:
                line.text, line.note = found["rest"], _add(line.note, "backtick taken off")
    return lines


def frames(lines: list[Line]) -> list[Line]:
    """k9s and other TUI frames: borders off; a line that filled the frame joined with the next."""
    out: list[Line] = []
    wrapped_before = False  # the previous framed line reached its right border
    for line in lines:
        if not line.content:
            out.append(line)
            wrapped_before = False
            continue
        text = line.text
        if text.strip() and any(c in text for c in "─━═┌┐└┘╭╮╰╯╔╗╚╝") and _BOX_ONLY.match(text):
            line.role = "frame"
            out.append(line)
            wrapped_before = False
            continue
        left = re.match(r"^\s*[│┃║] ?", text)
        right = re.search(r"(?P<pad> ?)[│┃║]\s*$", text)
        if not left and not right:
            out.append(line)
            wrapped_before = False
            continue
        inner = text[left.end() if left else 0 : right.start() if right else len(text)]
        reaches = bool(right) and not inner.endswith(" ") and (right["pad"] == " " or not inner[-1:].isspace())
        line.text, line.note = inner.rstrip() if not reaches else inner, _add(line.note, "frame border taken off")
        if wrapped_before and left and out and out[-1].content:
            _join(out[-1], line, "", "wrapped at the frame border")
        else:
            out.append(line)
        wrapped_before = reaches
    return out


def shell(lines: list[Line]) -> list[Line]:
    for line in lines:
        if not line.content:
            continue
        found = commands.find(line.text)
        if found is not None:
            line.role, line.command = "command", commands.read(found, line.first)
        elif commands.bare_prompt(line.text):
            line.role = "prompt"
    return lines


def elisions(lines: list[Line]) -> list[Line]:
    for line in lines:
        if line.content and _ELISION.match(line.text):
            line.role = "elision"
    return lines


def blanks(lines: list[Line]) -> list[Line]:
    for line in lines:
        if line.content and not line.text.strip():
            line.role = "blank"
    return lines


def hard_wraps(lines: list[Line]) -> list[Line]:
    """Lines cut by the terminal at its width: at least two content lines share the longest
    length (>= WRAP_MIN) of the paste; each of them is joined with the content line after it,
    unless that line starts a record of its own (a timestamp, a JSON object, a prompt...)."""
    lengths = [len(line.text) for line in lines if line.content]
    if not lengths:
        return lines
    width = max(lengths)
    if width < WRAP_MIN or lengths.count(width) < 2:
        return lines
    out: list[Line] = []
    for line in lines:
        previous = out[-1] if out else None
        if (
            line.content
            and previous is not None
            and previous.content
            and previous.at_width
            and not starts_record(line.text)
            and not is_header(previous.text)
            and not _columns_line_up(previous.text, line.text)
        ):
            _join(previous, line, "", "wrapped at the terminal's width")
            previous.at_width = len(line.text) == width
            continue
        line.at_width = line.content and len(line.text) == width
        out.append(line)
    return out


_RECORD_START = re.compile(
    r"^\s*(?:\{|\[|\d{4}-\d\d-\d\d[T ]|[IWEF]\d{4} |\w+=\S|(?:NAMESPACE|NAME|LAST SEEN|"
    r"TYPE)\s{2,}|[A-Z][\w ]*:\s|-\s|[►✔✗◎⚠✚]|\$ )"
)


def starts_record(text: str) -> bool:
    """A line that begins something of its own rather than continuing the line before."""
    return bool(_RECORD_START.match(text)) or is_header(text) or is_row(text)


def is_header(text: str) -> bool:
    """An all-caps table header (`NAMESPACE  NAME  READY  STATUS`, `LAST SEEN  TYPE ...`)."""
    words = [w for w in re.split(r"\s+", text.strip()) if w]
    if len(words) < 3 or not all(w.isupper() or w in ("%",) for w in words):
        return False
    known = sum(1 for w in words if w in _HEADER_WORDS)
    return "NAME" in words and known >= 3 or known >= 4 and ("REVISION" in words or "LAST" in words)


def cells(text: str) -> list[str]:
    return [c.strip() for c in _ROW_CELLS.split(text.strip()) if c.strip()]


def is_row(text: str) -> bool:
    """A table row without its header: 3+ cells apart by TABs or 2+ spaces, one of them a
    Ready status (`True`, `False`, `Unknown`) that is not the last."""
    parts = cells(text)
    return len(parts) >= 3 and any(p in _STATUSES for p in parts[1:-1]) and parts[0] not in _STATUSES


def _columns_line_up(a: str, b: str) -> bool:
    """Two lines whose gaps of 2+ spaces (or TABs) sit at the same places: rows of one table."""

    def gaps(text: str) -> set[int]:
        return {m.start() for m in re.finditer(r"(?<=\S)(?:\t|\s{2,})(?=\S)", text)}

    shared = gaps(a) & gaps(b)
    return len(shared) >= 2 or ("\t" in a and "\t" in b)


def _join(into: Line, line: Line, separator: str, note: str) -> None:
    at = len(into.text) + len(separator)
    into.joins += [at, *(at + offset for offset in line.joins)]
    into.text = into.text + separator + line.text
    into.last = line.last
    into.note = _add(into.note, note)


def join(into: Line, line: Line, separator: str, note: str) -> None:
    """Merge `line` into `into` (the readers re-join wrapped table rows and messages)."""
    _join(into, line, separator, note)


def _add(note: str, more: str) -> str:
    return more if not note else note if more in note else f"{note}; {more}"
