"""Big YAML documents through yaml-rs, when it gives exactly what PyYAML's safe loader gives.

PyYAML's C loader builds Python objects at about 1 MB/s: a `kubectl get hr -A -o yaml` of
5,000 HelmReleases (20 MB) takes it 6 s on an idle core. yaml-rs, a Rust loader, reads the
same file in about a sixth of the time (bench/README.md, "YAML"). The two do not read every
text alike: PyYAML follows YAML 1.1 (`yes`/`on` are booleans, `0755` is octal, `1e3` a string,
an unquoted time a datetime, `<<` merges), yaml-rs YAML 1.2; PyYAML refuses some text that
yaml-rs takes (control characters, very deep nesting).

`load(text)` is the fast path of `parsers.kube`'s YAML reading: `(document,)` when nothing in
the text can tell the two loaders apart, else None and PyYAML (the reference) reads it. It
declines text with anchors or aliases (so the hostile-input caps of `kube` apply to every
document that has them), tags, complex keys, directives, deep indentation or characters
PyYAML refuses; and every plain scalar that either loader could read as something other
than a string is read by both, the document declined when they differ, unless yaml-rs'
document shows that such a scalar was only a piece of a longer text (a line of a multi-line
message, `Last Helm logs:` lines starting with a time): no string holding it that PyYAML
would resolve otherwise, no value of its own.
"""

from __future__ import annotations

import json
import re

import polars as pl
import yaml

try:
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on the PyYAML build
    from yaml import SafeLoader

try:
    import yaml_rs
except ImportError:  # pragma: no cover - a platform without a wheel: PyYAML reads everything
    yaml_rs = None

MIN_BYTES = 64 * 1024  # a smaller document alone: PyYAML (its time is small); many of them: `load_many`

# Text only PyYAML can judge: an anchor or alias (the alias caps), a tag, a complex key, a
# directive, 128 spaces of indentation (PyYAML's nesting limit is lower than yaml-rs'), a
# character PyYAML's reader refuses. A match inside a quoted string declines too (harmless).
# (Polars' regex, on the text cut into pieces at line ends: Python's `re` takes ~10x longer.)
_DECLINE = (
    r"(?m)(?:^|[ \t\[{,])[&*!][^ \t\n,\]}]|^[ \t]*(?:-[ \t]+)*\?(?:[ \t]|$)|^%|^ {128}"
    r"|[^\x09\x0A\x0D\x20-\x7E\x{85}\x{A0}-\x{D7FF}\x{E000}-\x{FFFD}\x{10000}-\x{10FFFF}]"
)
# A plain scalar that could resolve to something other than a string: where a plain scalar
# starts (a line's start after its indentation and sequence dashes, after `: `, `- `, `? `,
# `---`, or `[`, `{`, `,` in flow), text starting like a number, a time, `~`, `<<`, `=` or a
# YAML 1.1 boolean or null word, up to where a scalar that could resolve so ends (a line end,
# a comment, `: `, a flow indicator). A match holds what precedes it (`_TOKEN` takes it off);
# the scalars that are no such word nor start like a number are dropped in Python.
_PLAIN = r"((?:[-+.0-9~<=]|(?i:yes|no|on|off|true|false|null|y|n))(?:[^\n#:,\[\]{}]|:[^ \t\n,\[\]{}])*)"
_CANDIDATE = r"(?m)(?:^[ \t]*(?:-[ \t]+)*|^---[ \t]+|[:?\-][ \t]+|[\[{,][ \t]*)" + _PLAIN
_TOKEN = re.compile(r"(?:[ \t]*(?:-[ \t]+)*|---[ \t]+|[:?\-][ \t]+|[\[{,][ \t]*)" + _PLAIN)
_NUMBER_LIKE = re.compile(r"[-+]?[.0-9]|[~<=]")
_WORD_SET = {"yes", "no", "on", "off", "true", "false", "null", "y", "n"}
# Past a sign and digits, a letter that no number or time has (hex digits come only after
# `0x`; `e`, `t`, `z`, `b`, `o`, `x` are excluded): a string to both loaders.
_SURELY_TEXT = re.compile(r"[-+]?[0-9][0-9_.:\-]*[ac-dfg-np-su-wyAC-DFG-NP-SU-WY]")
PIECES = 16  # the text is searched in this many pieces (Polars spreads them over the cores)

_AGREED: dict[str, bool] = {}  # plain scalar -> both loaders read it alike (bounded below)
_JUDGED: dict[str, str | bool] = {}  # `_CANDIDATE` match -> `_judge` (the same matches recur in every file)


def load(text: str) -> tuple | None:
    """`(document,)` as `yaml.load(text, SafeLoader)` gives it, or None: the caller reads the
    text with PyYAML. None also for text PyYAML refuses (its error is the reference's)."""
    if yaml_rs is None:
        return None
    doubtful = _doubtful_in(text)
    return None if doubtful is None else _checked(text, doubtful)


def load_pieces(text: str, pieces: list[str]) -> list | None:
    """The documents of `pieces`, each read alone, where `load(text)` would read `text` with
    yaml-rs (the checks made on the whole text, each piece's document checked for the whole
    text's doubtful scalars); None where it would not, or a piece cannot be read. For a big
    list cut into groups of items (`kube`): yaml-rs builds a document of its own before the
    Python objects, and a 22 MB one cost it twice the time of its pieces (bench/README.md)."""
    if yaml_rs is None:
        return None
    doubtful = _doubtful_in(text)
    if doubtful is None:
        return None
    documents = []
    for piece in pieces:
        held = doubtful if _may_hold(piece, doubtful) else []
        read = _checked(piece, held, prune=1)  # a piece of a list: its items at the top
        if read is None:
            return None
        documents.append(read[0])
    return documents


def _doubtful_in(text: str) -> list[str] | None:
    """The plain scalars of the text the two loaders read differently (`_doubtful`); None when
    a line declines it (`_DECLINE`, a fold into a time) or there are too many to check."""
    pieces = _pieces(text)
    if pieces.str.contains(_DECLINE).any() or _folds_to_a_time(text):
        return None
    return _doubtful(pieces.str.extract_all(_CANDIDATE).explode().drop_nulls().unique().to_list())


# A scalar of these characters is read from text that holds it as it is: no escape, fold or
# doubled quote can make it.
_AS_WRITTEN = re.compile(r"[^\s'\"\\\x85\u2028\u2029]+")


def _may_hold(text: str, doubtful: list[str]) -> bool:
    """Some key or value of the text's document could be or hold one of the doubtful scalars.
    Not when the text holds none of them nor a backslash (an escape) and each is made of
    `_AS_WRITTEN`'s characters: a string's text is then copied from the text but for folds
    (line ends and indentation read as a space or a line end) and doubled quotes (`''` as
    `'`), which make only characters such a scalar has not. A piece of a big list where no
    doubtful scalar is written needs no walk (`_only_in_text` would find none there)."""
    return "\\" in text or any(token in text or not _AS_WRITTEN.fullmatch(token) for token in doubtful)


def load_many(texts: list[str]) -> list[tuple | None]:
    """`load` of each of many texts, each pattern tried on all of them in one Polars call:
    small documents (crust-gather writes every object as a file) pay the calls' cost once
    (a call costs ~0.1 ms, PyYAML ~0.1 ms a small document, yaml-rs a tenth of that)."""
    if yaml_rs is None or not texts:
        return [None] * len(texts)
    found = (
        pl.Series(texts, dtype=pl.String)
        .to_frame("t")
        .select(
            pl.col("t").str.contains(_DECLINE).alias("declined"),
            pl.col("t").str.extract_all(_CANDIDATE).alias("matches"),
        )
    )
    return [
        None if declined or _folds_to_a_time(text) else _read(text, list(dict.fromkeys(matches or ())))
        for text, declined, matches in zip(texts, found["declined"].to_list(), found["matches"].to_list())
    ]


def _read(text: str, matches: list[str]) -> tuple | None:
    """yaml-rs' document of a text none of whose lines declines, checked against the plain
    scalars found in it (`_CANDIDATE`'s distinct matches)."""
    doubtful = _doubtful(matches)
    return None if doubtful is None else _checked(text, doubtful)


def _doubtful(matches: list[str]) -> list[str] | None:
    """What looks like a plain scalar among `_CANDIDATE`'s matches that the two loaders read
    differently; None when there are too many to check, or a match is not understood."""
    doubtful = []
    for match in matches:
        known = _JUDGED.get(match)
        if known is None:
            known = _judge(match)
            if len(_JUDGED) > 100_000:
                _JUDGED.clear()
            _JUDGED[match] = known
        if known is False:
            return None
        if known:
            doubtful.append(known)
    return None if len(doubtful) > MAX_DOUBTFUL else doubtful


def _judge(match: str) -> str | bool:
    """The doubtful scalar of a `_CANDIDATE` match, "" when there is none (both loaders read
    it alike, or it is no such word nor starts like a number), False when not understood."""
    found = _TOKEN.fullmatch(match)
    if found is None:
        return False
    token = found[1].rstrip(" \t")
    return token if (_NUMBER_LIKE.match(token) or token.lower() in _WORD_SET) and not _agree(token) else ""


def _checked(text: str, doubtful: list[str], prune: int | None = None) -> tuple | None:
    """yaml-rs' document of the text, unless it holds one of the doubtful scalars as a scalar
    (`prune`: the depth of the list items of the document, PRUNE_DEPTH unless said)."""
    try:
        document = yaml_rs.loads(text, parse_datetime=False, duplicate_key_policy=yaml_rs.DuplicateKeyPolicy.LastWins)
    except Exception:  # noqa: BLE001 - yaml-rs refuses it (an error, a limit): PyYAML says why
        return None
    if doubtful and not _only_in_text(document, doubtful, PRUNE_DEPTH if prune is None else prune):
        return None
    return (document,)


# Doubtful scalars a document may hold and still be checked (each is looked for in its strings).
MAX_DOUBTFUL = 64
_RESOLVER = yaml.resolver.Resolver()
# The first characters of the text PyYAML may resolve to something other than a string.
_FIRST = frozenset(key for key in yaml.resolver.Resolver.yaml_implicit_resolvers if key)
_STR = "tag:yaml.org,2002:str"
_NESTED = (dict, list)
# The walk for doubtful strings passes over a container whose JSON text holds none of them
# (JSON escapes a string character by character: a string holding a token holds its escaped
# form), looked at this deep: the items of a `kubectl get -o yaml` list (JSON text costs a
# third of the walk; a list of 5,000 HelmReleases with 2 Helm logs is walked in 2 items).
PRUNE_DEPTH = 2
_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False, separators=(",", ":"))


def _only_in_text(document, doubtful: list[str], prune: int = PRUNE_DEPTH) -> bool:
    """None of the doubtful scalars is a scalar of the document read by yaml-rs: no key or
    value is what yaml-rs makes of one alone, and no string holding one is a plain scalar
    PyYAML would resolve to something else (a multi-line plain scalar is resolved as the
    text it folds to, the same in both loaders)."""
    alone = _alone(doubtful)
    if alone is None:
        return False
    texts = [value for value in alone if type(value) is str]
    others = [value for value in alone if type(value) is not str]
    escaped = [_ENCODER.encode(token)[1:-1] for token in texts]

    def otherwise(value) -> bool:  # a leaf that may be one of the doubtful scalars
        if type(value) is str:
            return (
                value[:1] in _FIRST
                and any(token in value for token in texts)
                and _RESOLVER.resolve(yaml.ScalarNode, value, (True, False)) != _STR
            )
        return bool(others) and any(identical(value, other) for other in others)

    def holds(node, depth: int) -> bool:  # recursive: about half the time of a loop over a stack
        if depth == prune and not (others or _mentions(node, escaped)):
            return False
        if type(node) is dict:
            for key, value in node.items():
                if otherwise(key) or (holds(value, depth + 1) if type(value) in _NESTED else otherwise(value)):
                    return True
        else:
            for value in node:
                if holds(value, depth + 1) if type(value) in _NESTED else otherwise(value):
                    return True
        return False

    try:
        return not (holds(document, 0) if type(document) in _NESTED else otherwise(document))
    except RecursionError:  # nested deeper than Python's stack: PyYAML judges
        return False


def _alone(doubtful: list[str]) -> list | None:
    """What yaml-rs makes of each doubtful scalar alone (None: it refuses one; PyYAML judges)."""
    alone = []
    for token in doubtful:
        try:
            alone.append(yaml_rs.loads(f"a: {token}\n", parse_datetime=False)["a"])
        except Exception:  # noqa: BLE001 - yaml-rs refuses it alone: PyYAML must judge
            return None
    return alone


def _mentions(node, escaped: list[str]) -> bool:
    """The node's JSON text holds one of the escaped texts (or JSON cannot hold the node)."""
    try:
        encoded = _ENCODER.encode(node)
    except (TypeError, ValueError, RecursionError):  # a value JSON cannot hold: walk it
        return True
    return any(token in encoded for token in escaped)


# A line that starts with a time of day, after a line that ends with a date: a plain scalar
# over the two lines folds to `<date> <time>`, a timestamp to PyYAML, though neither line
# alone reads as one (the only YAML 1.1 type whose text may hold a space).
_TIME_LINE = re.compile(r"\n[ \t]*[0-9][0-9]?:[0-9][0-9]:[0-9][0-9]")
_DATE_END = re.compile(r"[0-9]{4}-[0-9][0-9]?-[0-9][0-9]?[ \t]*$")


def _folds_to_a_time(text: str) -> bool:
    return any(
        _DATE_END.search(text, text.rfind("\n", 0, match.start()) + 1, match.start())
        for match in _TIME_LINE.finditer(text)
    )


def _pieces(text: str) -> pl.Series:
    """The text in about PIECES pieces, each ending at a line end (the patterns are per line)."""
    size = len(text) // PIECES + 1
    out, start = [], 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end < 0 else end + 1
        out.append(text[start:end])
        start = end
    return pl.Series(out, dtype=pl.String)


def _agree(token: str) -> bool:
    """Both loaders read `token` as a plain scalar to the same value of the same type."""
    if _SURELY_TEXT.match(token):
        return True
    known = _AGREED.get(token)
    if known is None:
        known = _same(f"a: {token}\n")
        if len(_AGREED) > 100_000:
            _AGREED.clear()
        _AGREED[token] = known
    return known


def _same(doc: str) -> bool:
    try:
        expected = yaml.load(doc, Loader=SafeLoader)  # noqa: S506 - the safe loader
        got = yaml_rs.loads(doc, parse_datetime=False)
    except Exception:  # noqa: BLE001 - either refuses it: not the same
        return False
    return identical(expected, got)


def identical(left, right, ordered: bool = True) -> bool:
    """Equal values of the same types, containers included (1 == 1.0 == True in Python), and
    mappings' keys in the same order (unless not `ordered`)."""
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        keys = list(left) == list(right) if ordered else left.keys() == right.keys()
        return keys and all(identical(left[key], right[key], ordered) for key in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(identical(a, b, ordered) for a, b in zip(left, right))
    return left == right or (type(left) is float and left != left and right != right)  # NaN is NaN
