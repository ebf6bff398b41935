"""The fast YAML path (`parsers.yaml_fast`) gives what PyYAML's safe loader gives, or declines."""

from __future__ import annotations

import json

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from parsers import kube, yaml_fast

yaml_rs = pytest.importorskip("yaml_rs")

# Plain scalars on which YAML 1.1 (PyYAML) and YAML 1.2 loaders disagree, and ones they share.
SCALARS = [
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "n",
    "true",
    "True",
    "FALSE",
    "null",
    "Null",
    "~",
    "",
    "0755",
    "012",
    "0o14",
    "0x1F",
    "0b101",
    "1_000",
    "1:30",
    "+12",
    "-0",
    "7",
    "-3",
    "12345678901234567890",
    "1e3",
    "1.5e3",
    "3.0e+2",
    "1e-3",
    "-.5",
    "+.5",
    "1.",
    "0.1",
    "1.50",
    ".inf",
    "-.Inf",
    ".NaN",
    "nan",
    "Infinity",
    "2024-03-12T10:00:00Z",
    "2024-03-12",
    "2001-12-14 21:59:43.10 -5",
    "2001-12-14\t21:59:43.10 -5",  # a tab, which JSON escapes
    "2024-03-12T10:00:00.5+01:00",
    "1.2.3",
    "v1.2.3",
    "10m",
    "5m0s",
    "1h",
    "7ad03e1d-58dc-4b46",
    "sha256:ab12",
    "a b",
    "x#y",
    "a:b",
    "<<",
    "=",
    "0.",
    "00",
    "1__0",
    "0x_1",
    ".",
    "-",
    "+",
    "1e",
    "12E3",
    "2024-1-1",
    "1.0e3",
    "Yes please",
    "no-op",
    "1 2",
    "-1.5",
    "0o7",
    "'quoted yes'",
    '"2024-03-12T10:00:00Z"',
    '"x\\ty"',
    '"\\u00e9"',
    '"a\\/b"',
    "'it''s'",
    '"\\x79es"',  # `yes` written with an escape
    '"1\\x32"',
]
KEYS = ["a", "name", "1", "yes", "on", "2024-01-01", "0x10", "f:spec", ".", 'k:{"type":"Ready"}', "null", "~"]


def _same(left, right) -> bool:
    if type(left) is not type(right):
        return False
    if isinstance(left, dict):
        return list(left) == list(right) and all(_same(left[k], right[k]) for k in left)
    if isinstance(left, list):
        return len(left) == len(right) and all(_same(a, b) for a, b in zip(left, right))
    return left == right or (type(left) is float and left != left and right != right)  # NaN is NaN


def _document(entries: list[tuple[str, str, str]]) -> str:
    lines = ["items:"]
    for key, value, form in entries:
        if form == "map":
            lines += [f"- {key}: {value}", f"  other: {value}"]
        elif form == "seq":
            lines += ["- values:", f"  - {value}", f"  - [{value}, {value}]"]
        elif form == "flow":
            lines.append(f"- {{{key}: {value}}}")
        elif form == "next":  # a value on the line after its key
            lines += [f"- {key}:", f"    {value}"]
        # The scalar inside a longer text (a message of several lines): not a scalar of its own
        elif form == "literal":
            lines += [f"- {key}: |-", "    Last Helm logs:", f"    {value}: more", f"    {value}"]
        elif form == "quoted":
            lines += [f"- {key}: 'failed", f"    {value}: more'"]
        elif form == "folded":  # a plain scalar over two lines, folded into one
            lines += [f"- {key}: failed", f"    {value}"]
        else:  # the same, first: the folded text is what resolves (a time with a space)
            lines += [f"- {key}: {value}", "    21:59:43.10 -5"]
    return "\n".join(lines) + "\n"


FORMS = ["map", "seq", "flow", "next", "literal", "quoted", "folded", "folded-first"]
ENTRY = st.tuples(st.sampled_from(KEYS), st.sampled_from(SCALARS), st.sampled_from(FORMS))


@settings(max_examples=600, deadline=None, database=None)
@given(st.lists(ENTRY, min_size=1, max_size=12))
def test_the_fast_path_gives_pyyamls_document_or_declines(entries):
    text = _document(entries)
    fast = yaml_fast.load(text)
    if fast is None:
        return
    assert _same(fast[0], yaml.load(text, Loader=kube.SafeLoader))


@settings(max_examples=60, deadline=None, database=None)
@given(st.lists(st.lists(ENTRY, min_size=1, max_size=6), min_size=1, max_size=20))
def test_many_small_documents_are_read_as_one_by_one(documents):
    """`load_many` (the patterns tried on all texts in one call) gives what `load` gives each."""
    texts = [_document(entries) for entries in documents] + ["a: &x [1]\nb: *x\n", "a: b: c\n", "a: 1\n"]
    together, alone = yaml_fast.load_many(texts), [yaml_fast.load(text) for text in texts]
    assert [read is None for read in together] == [read is None for read in alone]
    assert all(yaml_fast.identical(a[0], b[0]) for a, b in zip(together, alone) if a is not None)
    assert together[-3:-1] == [None, None] and together[-1] == ({"a": 1},)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(ENTRY, min_size=1, max_size=12),
    st.lists(st.sampled_from([s for s in SCALARS if s and not s.startswith(("'", '"'))]), min_size=1, max_size=3),
)
def test_the_walk_for_doubtful_scalars_passes_over_only_items_that_cannot_hold_one(entries, tokens):
    """The items whose JSON text holds no doubtful scalar are not walked: the same answer as
    walking every string of the document."""
    try:
        document = yaml_rs.loads(_document(entries), parse_datetime=False)
    except Exception:  # noqa: BLE001 - a text yaml-rs refuses is never walked
        return
    pruned = yaml_fast._only_in_text(document, tokens)
    depth, yaml_fast.PRUNE_DEPTH = yaml_fast.PRUNE_DEPTH, -1  # never reached: every container walked
    try:
        assert pruned == yaml_fast._only_in_text(document, tokens)
    finally:
        yaml_fast.PRUNE_DEPTH = depth


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.lists(ENTRY, min_size=1, max_size=12),
    st.lists(st.sampled_from([s for s in SCALARS if s and not s.startswith(("'", '"'))]), min_size=1, max_size=3),
)
@example([("a", '"\\x79es"', "map")], ["yes"])
@example([("a", "2001-12-14", "folded-first")], ["2001-12-14 21:59:43.10 -5"])
def test_a_piece_that_cannot_hold_a_doubtful_scalar_needs_no_walk(entries, tokens):
    """Where `_may_hold` says a text cannot hold the doubtful scalars, no key or value of its
    document holds one (one written with an escape, or folded from two lines, would be)."""
    text = _document(entries)
    try:
        document = yaml_rs.loads(text, parse_datetime=False)
    except Exception:  # noqa: BLE001 - a text yaml-rs refuses is never walked
        return
    if not yaml_fast._may_hold(text, tokens):
        assert not [value for value in _strings(document) if any(token in value for token in tokens)]


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node


@pytest.mark.parametrize(
    "text",
    [
        "a: &x [1, 2]\nb: *x\n",  # aliases: the caps of kube apply
        "a: !!binary aGk=\n",
        "a: !custom x\n",
        "? [a]\n: 1\n",
        "%YAML 1.1\n---\na: 1\n",
        "a:\n" + "".join(" " * (2 * i + 2) + f"k{i}:\n" for i in range(80)),  # nesting PyYAML may refuse
        "a: \x07bell\n",  # a character PyYAML's reader refuses
        "a: yes\n",
        "a: 2024-03-12T10:00:00Z\n",
        "a: b: c\n",  # invalid: PyYAML's error is the reference
    ],
)
def test_what_only_pyyaml_can_judge_is_declined(text):
    assert yaml_fast.load(text) is None


def test_a_kubectl_list_of_helmreleases_is_read_fast_with_the_same_objects_and_lines():
    """The shape the fast path is for: `kubectl get hr -A -o yaml`, quoted times, plain
    versions and durations, managed fields keys, a failure's message with the lines of `Last
    Helm logs:` (they start like times). Objects and their line spans are PyYAML's."""
    item = """\
- apiVersion: helm.toolkit.fluxcd.io/v2
  kind: HelmRelease
  metadata:
    creationTimestamp: "2024-02-08T10:00:00Z"
    generation: 3
    managedFields:
    - fieldsV1:
        f:status:
          .: {{}}
          k:{{"type":"Ready"}}: {{}}
      manager: helm-controller
      time: "2024-03-09T10:00:30Z"
    name: svc-{i}
    namespace: team-{ns}
    uid: 7ad03e1d-58dc-4b46-934e-{i:012d}
  spec:
    chart:
      spec:
        chart: svc-{i}
        version: 1.{i}.0
    interval: 10m
    values:
      replicaCount: 2
      enabled: true
      ratio: 0.5
  status:
    conditions:
    - lastTransitionTime: "2024-03-09T10:00:30Z"
      message: "Helm upgrade succeeded for release team/svc.v4 with chart svc@1.0.0"
      status: "True"
      type: Ready
    - lastTransitionTime: "2024-03-09T09:00:30Z"
      message: |-
        Helm upgrade failed: timed out waiting for the condition

        Last Helm logs:

        2024-03-09T09:00:30.123Z: preparing upgrade for svc-{i}
        2024-03-09T09:00:31.456Z: performing update for svc-{i}
      reason: UpgradeFailed
      status: "False"
      type: Released
"""
    text = (
        "apiVersion: v1\nitems:\n"
        + "".join(item.format(i=i, ns=i % 3) for i in range(400))
        + 'kind: List\nmetadata:\n  resourceVersion: ""\n'
    )
    assert len(text) >= yaml_fast.MIN_BYTES
    fast = yaml_fast.load(text)
    assert fast is not None
    assert _same(fast[0], yaml.load(text, Loader=kube.SafeLoader))
    found, problems = kube.load(text)
    assert problems == [] and len(found) == 400
    reference = kube._document_objects(
        yaml.load(text, Loader=kube.SafeLoader), text.split("\n"), 1, text.count("\n") + 1
    )
    assert [(o.start, o.end) for o in found] == [(o.start, o.end) for o in reference]
    assert json.dumps([o.doc for o in found]) == json.dumps([o.doc for o in reference])


@pytest.mark.parametrize(
    "message",
    [
        "|-\n    1 of 2 hooks failed\n\n    2024-03-09T09:00:30.123Z: preparing upgrade\n    yes",
        "'1 of 2 hooks failed\n\n    2024-03-09T09:00:30.123Z: preparing upgrade'",
        "1 of 2 hooks failed\n    2024-03-09T09:00:30.123Z preparing upgrade",
    ],
    ids=["literal", "quoted", "folded"],
)
def test_a_time_or_word_inside_a_longer_text_is_read_fast(message):
    """Lines of a message that start like a time or a YAML 1.1 word are no scalars of their
    own: yaml-rs reads the document, as PyYAML does; the same scalar alone declines it."""
    text = f"items:\n- message: {message}\n  reason: UpgradeFailed\n"
    fast = yaml_fast.load(text)
    assert fast is not None
    assert _same(fast[0], yaml.load(text, Loader=kube.SafeLoader))
    assert yaml_fast.load(text + "- message: 2024-03-09T09:00:30.123Z\n") is None
    assert yaml_fast.load(text + "- message: yes\n") is None


# Entries that cut badly: text that goes on past a line starting with `- ` at the entries' depth.
AWKWARD = [
    '- a: "quoted\n- on the next line"',
    "- a: [1,\n- 2]",
    "- a: 'single\n\n- quoted'",
    "# a comment between entries\n- a: 1",
    "- a: |\n    block\n- b: 2",
    "- &anchor a: 1",
]
# Entries both loaders read alike, so that most lists are read (the others decline whole).
PLAIN_ENTRY = st.tuples(
    st.sampled_from(["a", "name", "f:spec"]),
    st.sampled_from(["7", "v1.2.3", "10m", "a b", "'it''s'", '"x\\ty"', '"2024-03-12T10:00:00Z"']),
    st.sampled_from(FORMS),
)
HEADS = ["", "apiVersion: v1\n", "apiVersion: v1\nkind: List\n"]
# After the list: its other keys (most often), or another `items` key, which wins (PyYAML's last).
TAILS = ["", 'kind: List\nmetadata:\n  resourceVersion: ""\n'] * 3 + ["items: []\n", "items: null\n", '"items": 3\n']


@settings(max_examples=400, deadline=None, database=None)
@given(
    st.lists(
        st.one_of(
            *[PLAIN_ENTRY.map(lambda entry: _document([entry])[len("items:\n") :])] * 6,
            ENTRY.map(lambda entry: _document([entry])[len("items:\n") :]),
            st.sampled_from(AWKWARD),
        ),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from(HEADS),
    st.sampled_from(TAILS),
    st.integers(1, 4),
)
def test_a_list_read_a_group_of_entries_at_a_time_is_the_list_read_whole(entries, head, tail, piece_lines):
    """`kube._list_in_pieces` gives the document and entry spans the whole text gives, or
    declines: entries cut anywhere (PIECE_LINES of 1-4), quoted and flow values that go on
    past a `- ` line, comments, another `items` key after the list."""
    text = head + "items:\n" + "".join(entry.rstrip("\n") + "\n" for entry in entries) + tail
    lines = kube.Lines(text)
    saved, kube.PIECE_LINES = kube.PIECE_LINES, piece_lines
    try:
        read = kube._list_in_pieces(text, lines, 1, len(lines))
    finally:
        kube.PIECE_LINES = saved
    if read is None:
        return
    assert _same(read[0], yaml.load(text, Loader=kube.SafeLoader))
    whole = yaml_fast.load(text)  # may decline where the pieces read (below)
    assert whole is None or _same(read[0], whole[0])
    assert read[1] == kube._yaml_items(lines, 1, len(lines), kube._items_line(lines, 1, len(lines)))


def test_a_piece_where_no_doubtful_scalar_is_written_is_not_walked(monkeypatch):
    """`0o14` (12 to yaml-rs, a string to PyYAML) is written only inside a block's text: the
    walk of the whole document declines at any 12 (it cannot tell which text made it), the
    walk of the pieces only where `0o14` is written; what is read is PyYAML's document."""
    text = "items:\n- a: |-\n    Last Helm logs:\n    0o14: more\n    0o14\n- b: 12\n"
    monkeypatch.setattr(kube, "PIECE_LINES", 1)
    lines = kube.Lines(text)
    read = kube._list_in_pieces(text, lines, 1, len(lines))
    assert read is not None and _same(read[0], yaml.load(text, Loader=kube.SafeLoader))
    assert yaml_fast.load(text) is None
    written = text.replace("- b: 12", "- b: 0o14")  # written as a value of its own: declined
    written_lines = kube.Lines(written)
    assert kube._list_in_pieces(written, written_lines, 1, len(written_lines)) is None


def test_a_big_kubectl_list_is_read_a_group_of_entries_at_a_time(monkeypatch):
    """The shape the pieces are for, cut into many: the same objects and lines as read whole."""
    entry = '- apiVersion: v1\n  kind: Event\n  message: "step {i}: done"\n  count: {i}\n  reason: Sync\n'
    text = "apiVersion: v1\nitems:\n" + "".join(entry.format(i=i) for i in range(5000)) + "kind: List\n"
    assert len(text) >= yaml_fast.MIN_BYTES
    monkeypatch.setattr(kube, "PIECE_LINES", 100)
    lines = kube.Lines(text)
    read = kube._list_in_pieces(text, lines, 1, len(lines))
    assert read is not None and len(read[0]["items"]) == 5000
    assert _same(read[0], yaml.load(text, Loader=kube.SafeLoader))
    found, problems = kube.load(text)
    reference = kube._document_objects(yaml.load(text, Loader=kube.SafeLoader), text.split("\n"), 1, len(lines))
    assert problems == [] and [(o.start, o.end) for o in found] == [(o.start, o.end) for o in reference]
