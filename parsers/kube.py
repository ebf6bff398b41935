"""Kubernetes objects in every container format, each with the lines it spans.

Reads JSON and YAML as `kubectl get -o json|yaml` (a `*List` with `items`), troubleshoot's
bare JSON arrays, one object per file (crust-gather) and multi-document YAML. Every object
comes back with its first and last line, and a `Locator` finds the line of a field inside
it, so evidence can cite the exact line (`source:line`) that holds the quoted text.

Go writes the items of a typed list (`EventList`, `PodList`) without their `kind`: they take
the list's element kind here (the list declares it). The items of a `List`, of a list written
without any kind and of a bare array keep none: `parsers.objects` infers it from the member's
path or the object's shape.

YAML is read with PyYAML's C safe loader (no object construction, no code); documents with
an excessive number of aliases are refused (alias expansion bombs). A big document is read by
`parsers.yaml_fast` instead when it gives the same values (never one with aliases).
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from itertools import accumulate
from dataclasses import dataclass
from functools import lru_cache

import yaml

from parsers import yaml_fast

try:  # the C loader is much faster; fall back to the pure-Python safe loader
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader

MAX_ALIASES = 100
LONG_LINE = 65_536  # a longer line (minified JSON, last-applied-configuration) is never searched nor cited whole
MAX_EXPANDED = 1_000_000  # nodes a YAML document may expand to through its anchors and aliases
MAX_EXPANDED_TEXT = 16 * 1024**2  # characters of scalars its aliases may add to the document's own


@dataclass
class KubeObject:
    """One object of a document, with its 1-based first and last line in the member."""

    doc: dict
    start: int
    end: int


_PLUS_ONE = (1).__add__


_FIRST_CHARACTER = re.compile(r"\S")


class Lines(list):
    """The lines of a member (`text.split("\n")`) that also keep `text`, so that a `Locator`
    searches it with `str.find` instead of testing each line in Python."""

    def __init__(self, text: str):
        super().__init__(text.split("\n"))
        self.text = text
        first = _FIRST_CHARACTER.search(text)
        self.yaml = not (first and first.group(0) in "{[")  # YAML, not JSON
        self._offsets: list[int] | None = None
        self._long: tuple[int, list[int]] | None = None
        self.documents: list[tuple[int, int]] | None = None  # `_yaml_documents`, once found

    @property
    def offsets(self) -> list[int]:
        """Offset in `text` of the start of each line, and len(text) + 1 last."""
        if self._offsets is None:
            self._offsets = list(accumulate(map(_PLUS_ONE, map(len, self)), initial=0))
        return self._offsets

    def long_lines(self) -> list[int]:
        """The numbers of the lines longer than LONG_LINE (never searched), in order."""
        if self._long is None or self._long[0] != LONG_LINE:
            longest = len(self.text) if len(self.text) <= LONG_LINE else max(map(len, self), default=0)
            self._long = (
                LONG_LINE,
                [] if longest <= LONG_LINE else [i for i, line in enumerate(self, start=1) if len(line) > LONG_LINE],
            )
        return self._long[1]


class Locator:
    """Finds the lines of fields inside one object's text, in document order."""

    def __init__(self, lines: list[str], start: int, end: int):
        self.lines = lines
        self.start = start
        self.end = end

    def find(self, *needles: str, after: int | None = None, before: int | None = None) -> int | None:
        """The first line (1-based) in the object, after `after`, holding every needle."""
        first = max(self.start, (after or 0) + 1) if after else self.start
        last = min(self.end, before) if before else self.end
        lines = self.lines
        if first > last:
            return None
        if type(lines) is Lines and 1 <= first and last <= len(lines) and 0 < len(needles) <= 2:
            # The same answer as the loop below, each candidate line found by `str.find` in the
            # member's text (a needle without a newline never spans lines).
            if len(needles) == 1:
                lead = other = needles[0]
            else:
                lead, other = needles if len(needles[0]) >= len(needles[1]) else needles[::-1]
            long = lines.long_lines()
            if (
                "\n" not in lead
                and "\n" not in other
                and not (long and bisect_right(long, last) > bisect_right(long, first - 1))
            ):
                # (a long line in the span: the loop skips it without searching it)
                text, offsets = lines.text, lines.offsets
                stop = offsets[last] - 1  # the end of line `last`
                position = text.find(lead, offsets[first - 1], stop)
                while position >= 0:
                    number = bisect_right(offsets, position, first - 1, last)
                    line = lines[number - 1]
                    if len(line) <= LONG_LINE and other in line:
                        return number
                    position = text.find(lead, offsets[number], stop)
                return None
        for number in range(first, last + 1):
            text = lines[number - 1]
            if len(text) <= LONG_LINE and all(needle in text for needle in needles):
                return number
        return None

    def text(self, number: int | None) -> str:
        if number is None or not (1 <= number <= len(self.lines)):
            return ""
        return self.lines[number - 1][:LONG_LINE].strip()

    def key(self, key: str, after: int | None = None) -> int | None:
        """The line of a mapping key (`"key":` in JSON, `key:` in YAML; the member's own
        syntax tried first, so a YAML object is not searched in vain for the quoted key)."""
        if type(self.lines) is Lines and self.lines.yaml:
            return self.find(f"{key}:", after=after) or self.find(f'"{key}"', after=after)
        return self.find(f'"{key}"', after=after) or self.find(f"{key}:", after=after)

    def value(self, key: str, value: str | None, after: int | None = None) -> int | None:
        """The line of `key: value` (value matched on a quote-free prefix; YAML may wrap)."""
        if value:
            needle = _needle(value)
            if needle:
                found = self.find(key, needle, after=after)
                if found:
                    return found
        return self.key(key, after=after)


_NEEDLE = re.compile(r"[^\"'\\\n\t]{1,40}")


def _needle(value: str) -> str:
    """The longest quote- and escape-free prefix of `value` (at most 40 characters)."""
    match = _NEEDLE.match(str(value))
    return match.group(0) if match else ""


def looks_like_objects(head: bytes) -> bool:
    """JSON or YAML that could hold Kubernetes objects (`kind`/`apiVersion` near the top)."""
    text = head.lstrip()
    if text.startswith((b"{", b"[")):
        return True
    return bool(re.search(rb"(?m)^(- )?\s*(apiVersion|kind|items):", head[:4096]))


def load(
    text: str, lines: Lines | None = None, small: dict[int, tuple | None] | None = None
) -> tuple[list[KubeObject], list[tuple[int | None, str]]]:
    """All objects of a JSON or YAML member, and (line, reason) problems (`lines`: its
    `Lines`, when the caller has them already; `small`: `yaml_fast`'s reading of its small
    YAML documents by their first line, when `load_many` made it)."""
    if _is_json(text):
        try:
            return _load_json(text, lines), []
        except RecursionError:
            return [], [(None, "JSON refused: nested deeper than the decoder's limit")]
        except ValueError as error:
            if not _maybe_yaml(text):
                line = getattr(error, "lineno", None)
                return [], [(line, f"invalid JSON: {error}")]
    return _load_yaml(text, lines, small)


def load_many(texts: list[str], lines: list[Lines]) -> list[tuple[list[KubeObject], list[tuple[int | None, str]]]]:
    """`load` of each of many members (`lines`: their `Lines`), the small YAML documents of
    all of them read by `yaml_fast.load_many` at once (PyYAML reads the others, as in `load`)."""
    documents = [
        (index, start, chunk)
        for index, (text, known) in enumerate(zip(texts, lines))
        if not _is_json(text)
        for start, chunk in _yaml_chunks(known)
        if len(chunk) < yaml_fast.MIN_BYTES
    ]
    small: list[dict[int, tuple | None]] = [{} for _ in texts]
    for (index, start, _), read in zip(documents, yaml_fast.load_many([chunk for _, _, chunk in documents])):
        small[index][start] = read
    return [load(text, known, found) for text, known, found in zip(texts, lines, small)]


def _is_json(text: str) -> bool:
    return text.lstrip("\ufeff \t\r\n").startswith(("{", "["))


def _maybe_yaml(text: str) -> bool:
    return bool(re.search(r"(?m)^(apiVersion|kind|items):", text[:4096]))


# --- JSON -----------------------------------------------------------------------------------

_DECODER = json.JSONDecoder()


def _load_json(text: str, lines: Lines | None = None) -> list[KubeObject]:
    starts = (lines if lines is not None and lines.text is text else Lines(text)).offsets

    def line_of(offset: int) -> int:
        return bisect_right(starts, offset)

    objects: list[KubeObject] = []
    pos = _skip_ws(text, 0)
    while pos < len(text):
        decoded = _decode_array(text, pos, line_of) if text[pos] == "[" else None
        if decoded is not None:  # a bare array (troubleshoot's custom resources, its older lists), decoded once
            found, pos = decoded
            objects += found
            continue
        value, end = _DECODER.raw_decode(text, pos)
        if isinstance(value, list):
            objects += _json_elements(text, pos, value, line_of)
        elif isinstance(value, dict):
            items = value.get("items")
            if _is_list(value):
                match = re.compile(r'(?<!\\)"items"\s*:\s*\[').search(text, pos, end)
                spans = _json_elements(text, match.end() - 1, items, line_of) if match else []
                if len(spans) != len(items):
                    spans = [KubeObject(item, line_of(pos), line_of(end)) for item in items if isinstance(item, dict)]
                objects += _inherit_kind(spans, value.get("kind"))
            else:
                objects.append(KubeObject(value, line_of(pos), line_of(end - 1)))
        pos = _skip_ws(text, end)
    return objects


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _decode_array(text: str, bracket: int, line_of) -> tuple[list[KubeObject], int] | None:
    """The JSON array whose `[` is at `bracket` decoded element by element, as the decoder's own
    array parser does (JSON whitespace, `,` between elements): the elements with their lines in
    one pass, and the position after the array (whitespace skipped as `_load_json` does).
    None when anything is amiss: the caller decodes the array whole and reports its error."""
    out: list[KubeObject] = []
    skip = _JSON_SPACE.match
    pos = skip(text, bracket + 1).end()
    if text.startswith("]", pos):
        return out, _skip_ws(text, pos + 1)
    try:
        while True:
            value, end = _DECODER.raw_decode(text, pos)
            if isinstance(value, dict):
                out.append(KubeObject(value, line_of(pos), line_of(end - 1)))
            pos = skip(text, end).end()
            if text.startswith("]", pos):
                return out, _skip_ws(text, pos + 1)
            if not text.startswith(",", pos):
                return None
            pos = skip(text, pos + 1).end()
    except (ValueError, RecursionError):
        return None


def _is_list(doc: dict) -> bool:
    """A list object: a `*List` (`List` included) with `items`, or `items` with nothing but the
    list's own keys (a typed list written without `kind`, as troubleshoot's run-pod events)."""
    if not isinstance(doc.get("items"), list):
        return False
    kind = doc.get("kind")
    return str(kind).endswith("List") if kind else set(doc) <= {"apiVersion", "kind", "metadata", "items"}


def _inherit_kind(items: list[KubeObject], list_kind) -> list[KubeObject]:
    """Items of a typed list (`PodList`, `EventList`) written by Go carry no `kind`: the list's
    element kind. (`List` and a list without kind name no element kind.)"""
    kind = str(list_kind or "")[: -len("List")]
    if kind:
        for item in items:
            if not item.doc.get("kind"):
                item.doc["kind"] = kind
    return items


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _json_elements(text: str, bracket: int, values: list, line_of) -> list[KubeObject]:
    """Positions of the elements of the JSON array whose `[` is at `bracket`."""
    out: list[KubeObject] = []
    pos = _skip_ws(text, bracket + 1)
    for value in values:
        _, end = _DECODER.raw_decode(text, pos)
        if isinstance(value, dict):
            out.append(KubeObject(value, line_of(pos), line_of(end - 1)))
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
    return out


# --- YAML -----------------------------------------------------------------------------------

_DOC_SEP = re.compile(r"^(---|\.\.\.)(\s.*)?$")


def _load_yaml(
    text: str, known: Lines | None = None, small: dict[int, tuple | None] | None = None
) -> tuple[list[KubeObject], list[tuple[int | None, str]]]:
    lines = known if known is not None and known.text is text else text.split("\n")
    objects: list[KubeObject] = []
    problems: list[tuple[int | None, str]] = []
    for start, end in _yaml_documents(lines):
        chunk = _chunk(lines, start, end)
        if len(chunk) >= yaml_fast.MIN_BYTES:
            fast = _list_in_pieces(chunk, lines, start, end) or yaml_fast.load(chunk)
        else:
            fast = small.get(start) if small else None
        if fast is not None:  # the document PyYAML would give (yaml_fast: when it is sure)
            objects += _document_objects(fast[0], lines, start, end, *fast[1:])
            continue
        if chunk.count("*") > MAX_ALIASES and len(re.findall(r"(?<![\w*])\*[\w-]+", chunk)) > MAX_ALIASES:
            problems.append((start, f"YAML document refused: more than {MAX_ALIASES} aliases"))
            continue
        try:
            doc = yaml.load(chunk, Loader=SafeLoader)  # noqa: S506 - SafeLoader / CSafeLoader
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            problems.append((start + mark.line if mark else start, f"invalid YAML: {getattr(error, 'problem', error)}"))
            continue
        except RecursionError:
            problems.append((start, "YAML document refused: nested deeper than the loader's limit"))
            continue
        if "&" in chunk and "*" in chunk and not _expands_safely(doc, len(chunk)):
            problems.append(
                (
                    start,
                    f"YAML document refused: its aliases expand to more than {MAX_EXPANDED} nodes or "
                    f"{MAX_EXPANDED_TEXT} characters beyond its own (or to itself)",
                )
            )
            continue
        objects += _document_objects(doc, lines, start, end)
    return objects, problems


# Lines of entries read at once by `_list_in_pieces` (~250 kB of `kubectl get -o yaml`).
PIECE_LINES = 6000
# The value put in the place of the entries when the list's own keys are read apart: a plain
# scalar both loaders read as this string, that no other key can be mistaken for.
_PLACE = "forensics-entries-read-apart"


def _list_in_pieces(text: str, lines: list[str], start: int, end: int) -> tuple | None:
    """(document, spans of its entries) where `yaml_fast.load(text)` gives (document,) for a big
    list document (lines `start`..`end`: `items:` at the top, its entries right after), read a
    group of entries at a time and the list's own keys apart (`items: <_PLACE>` in the
    entries' place); None when it is no such list or a piece does not read as exactly its
    entries (a cut inside a quoted or flow value fails or reads otherwise; another `items`
    key shows in the place's value), and the caller reads the text whole. The same document,
    in half of yaml-rs' time: it builds a document of its own before the Python objects,
    costly when big (bench/README.md)."""
    if not (text.startswith("items:") or "\nitems:" in text):  # (a substring search before a line loop)
        return None
    at = _items_line(lines, start, end)
    if at < start:
        return None
    spans, after = _yaml_entries(lines, start, end, at)
    if not spans or spans[0][0] != at + 1:
        return None
    groups, first = [], spans[0][0]  # (first line, last line, entries so far)
    for number, (_, span_end) in enumerate(spans, start=1):
        last = after - 1 if number == len(spans) else span_end
        if last - first + 1 >= PIECE_LINES or number == len(spans):
            groups.append((first, last, number))
            first = last + 1
    head = lines[start - 1 : at - 1] + [f"items: {_PLACE}"] + lines[after - 1 : end]
    pieces = ["\n".join(head)] + ["\n".join(lines[a - 1 : b]) for a, b, _ in groups]
    documents = yaml_fast.load_pieces(text, pieces)
    if documents is None or not isinstance(documents[0], dict) or documents[0].get("items") != _PLACE:
        return None
    items, taken = [], 0
    for document, (_, _, count) in zip(documents[1:], groups):
        if not isinstance(document, list) or len(document) != count - taken:
            return None
        items += document
        taken = count
    documents[0]["items"] = items
    return documents[0], spans


def _yaml_chunks(lines: list[str]) -> list[tuple[int, str]]:
    """Each YAML document's first line and text, as `_load_yaml` reads them."""
    return [(start, _chunk(lines, start, end)) for start, end in _yaml_documents(lines)]


def _chunk(lines: list[str], start: int, end: int) -> str:
    """The text of lines `start`..`end` (a member's whole text, most often: not joined again)."""
    if start == 1 and end == len(lines) and type(lines) is Lines:
        return lines.text
    return "\n".join(lines[start - 1 : end])


def _document_objects(
    doc, lines: list[str], start: int, end: int, spans: list[tuple[int, int]] | None = None
) -> list[KubeObject]:
    """The objects of one YAML document (lines `start`..`end`): itself, or its items (`spans`:
    the lines of the entries under its `items:`, when found already)."""
    if isinstance(doc, list):
        return _pair(doc, _yaml_items(lines, start, end, 0), start, end)
    if not isinstance(doc, dict):
        return []
    if _is_list(doc):
        if spans is None:
            spans = _yaml_items(lines, start, end, _items_line(lines, start, end))
        return _inherit_kind(_pair(doc["items"], spans, start, end), doc.get("kind"))
    return [KubeObject(doc, start, end)]


def _expands_safely(doc, length: int) -> bool:
    """The document, its aliases expanded, has at most MAX_EXPANDED nodes, at most
    MAX_EXPANDED_TEXT characters of scalars beyond its own `length`, and no cycle (a
    billion-laughs document passes the alias count with ~90 aliases nested 9 deep; a 20 MB
    string aliased 99 times, with 99 aliases, is 2 GB of text once read)."""
    sizes: dict[int, tuple[int, int]] = {}
    active: set[int] = set()

    def size(node) -> tuple[int, int]:
        """(nodes, characters of scalars) of a node, its aliases expanded."""
        if not isinstance(node, (dict, list)):
            return 1, len(node) if isinstance(node, str) else 1
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise RecursionError("the document refers to itself")
        active.add(key)
        nodes, text = 1, 0
        for child in (item for pair in node.items() for item in pair) if isinstance(node, dict) else node:
            child_nodes, child_text = size(child)
            nodes, text = nodes + child_nodes, text + child_text
        active.discard(key)
        sizes[key] = nodes, text
        return nodes, text

    try:
        nodes, text = size(doc)
    except RecursionError:
        return False
    return nodes <= MAX_EXPANDED and text <= length + MAX_EXPANDED_TEXT


def _yaml_documents(lines: list[str]) -> list[tuple[int, int]]:
    """The first and last line of each YAML document that holds more than comments."""
    if type(lines) is not Lines:
        return _documents_in(lines)
    if lines.documents is None:  # `load_many` asks, then `load` (and the Lines are not changed)
        lines.documents = _documents_in(lines)
    return lines.documents


def _documents_in(lines: list[str]) -> list[tuple[int, int]]:
    docs, start = [], 1
    for number in _separators(lines):
        if number > start:
            docs.append((start, number - 1))
        start = number + 1
    if start <= len(lines):
        docs.append((start, len(lines)))
    return [
        (s, e)
        for s, e in docs
        if any(lines[i - 1].strip() and not lines[i - 1].lstrip().startswith("#") for i in range(s, e + 1))
    ]


def _separators(lines: list[str]) -> list[int]:
    """The numbers of the document separator lines (`---`, `...`), in order."""
    if type(lines) is not Lines:
        return [number for number, line in enumerate(lines, start=1) if _DOC_SEP.match(line)]
    if "---" not in lines.text and "..." not in lines.text:  # most members: one document
        return []
    # The same lines found in the member's text (`\s` of a line holds no newline), each after
    # a newline (a pattern that starts with one is searched for it, not tried at every character).
    offsets = lines.offsets
    first = [1] if lines and _DOC_SEP.match(lines[0]) else []
    return first + [bisect_right(offsets, match.start()) + 1 for match in _DOC_SEP_IN_TEXT.finditer(lines.text)]


_DOC_SEP_IN_TEXT = re.compile(r"\n(?:---|\.\.\.)(?:[^\S\n][^\n]*)?(?=\n|\Z)")


def _next_not_starting(lines: list[str], number: int, width: int, end: int) -> int:
    """The first line after `number` (at most `end + 1`) that does not start with `width`
    spaces: the next line, or in a member's text the line a regex finds."""
    if type(lines) is not Lines:
        return number + 1
    offsets = lines.offsets
    match = _not_starting(width).search(lines.text, offsets[number] - 1, offsets[end])
    return min(end + 1, bisect_right(offsets, match.start()) + 1) if match else end + 1


@lru_cache(maxsize=64)
def _not_starting(width: int) -> re.Pattern:
    """A newline before a line that does not start with `width` spaces."""
    return re.compile(r"\n(?! {%d})" % width)


def _items_line(lines: list[str], start: int, end: int) -> int:
    for number in range(start, end + 1):
        if re.match(r"^items:\s*$", lines[number - 1]):
            return number
    return start - 1


_ITEM = re.compile(r"(\s*)-(?: |$)")


def _yaml_items(lines: list[str], start: int, end: int, after: int) -> list[tuple[int, int]]:
    """Line spans of the `- ` entries of the first sequence after line `after`."""
    return _yaml_entries(lines, start, end, after)[0]


def _yaml_entries(lines: list[str], start: int, end: int, after: int) -> tuple[list[tuple[int, int]], int]:
    """`_yaml_items`, and the line that ends the sequence: the first line of text no deeper
    than the entries that is no entry (`end + 1` when none; the last span goes on to `end`)."""
    starts, indent, inside = [], None, None
    number = max(start, after + 1) - 1
    stop = end + 1
    while number < end:
        number += 1
        line = lines[number - 1]
        if inside is not None and line.startswith(inside):
            # deeper than the entries: inside one (most lines), up to the next line that is not
            number = _next_not_starting(lines, number, len(inside), end) - 1
            continue
        match = _ITEM.match(line)
        if match and (indent is None or len(match.group(1)) == indent):
            indent = len(match.group(1))
            inside = " " * (indent + 1)
            starts.append(number)
        elif indent is not None and line.strip() and not match:
            if len(line) - len(line.lstrip()) <= indent and not line.lstrip().startswith("#"):
                stop = number
                break
    spans = []
    for i, first in enumerate(starts):
        last = starts[i + 1] - 1 if i + 1 < len(starts) else end
        spans.append((first, last))
    return spans, stop


def _pair(values: list, spans: list[tuple[int, int]], start: int, end: int) -> list[KubeObject]:
    if len(spans) != len(values):
        spans = [(start, end)] * len(values)
    return [KubeObject(value, s, e) for value, (s, e) in zip(values, spans) if isinstance(value, dict)]
