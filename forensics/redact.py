"""Secrets out of every frame, before any rule or output sees them (DESIGN.md §7).

The parsers never keep HelmRelease `spec.values`, `valuesFrom` content, Secret `data` or
Helm release payloads; what is left are secrets quoted in text: log lines, event and
condition messages, evidence excerpts, problem rows, member names and link targets.
`redact(frames)` replaces them in every String column of every frame with `MARKER` and
counts what it replaced; `redact_texts` does the same for strings that live outside the
frames (the inventory).

What is a secret is the catalogue `SHAPES` (`forensics/secret_shapes.py`), after gitleaks'
rule set and detect-secrets' plugins. Long base64 runs (mixed case and digits, 40+
characters: Secret `data` values, Helm release payloads, PEM bodies) are the entropy check
that is kept beside them; hex digests and revisions are not base64 runs. Neither tool is a
dependency: they scan a line at a time (detect-secrets 1.5.0 took 71 s for 20,000 of the
benchmark's controller log lines, 3.5 ms a line, and flagged 175,569 strings in them, reconcile
ids and digests as high-entropy strings), where the bundle's millions of log lines are
redacted here by Polars' regex engine over distinct values (see the README, Performance).

Troubleshoot's own `***HIDDEN***` masks (and an existing `[REDACTED]`) are left as they are.
Only rows that hold one of the shapes' hints (a cheap pre-filter) go through the patterns.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from forensics.secret_shapes import CUT, MARKER, SHAPES, Shape


def _steps(shapes: tuple[Shape, ...]) -> list[tuple[str, str, str]]:
    """(pattern, replacement, hint) to apply in order: neighbouring shapes replaced whole by
    MARKER are joined into one alternation (one pass and one compiled regex instead of one
    each; a match of either is replaced alike), their hints too."""
    steps: list[tuple[str, str, str]] = []
    for shape in shapes:
        hint = r"…$" if shape.hint == CUT else f"(?:{shape.hint})"
        if steps and shape.replacement == MARKER and steps[-1][1] == MARKER:
            pattern, _, hints = steps[-1]
            steps[-1] = (f"{pattern}|(?:{shape.pattern})", MARKER, f"{hints}|{hint}")
        else:
            pattern = f"(?:{shape.pattern})" if shape.replacement == MARKER else shape.pattern
            steps.append((pattern, shape.replacement, hint))
    return [(pattern, replacement, "(?i)" + hints) for pattern, replacement, hints in steps]


PATTERNS: list[tuple[str, str, str]] = _steps(SHAPES)

BASE64_RUN = r"[A-Za-z0-9+/]{40,}={0,2}"
BASE64_HINT = r"[A-Za-z0-9+/]{40}"
# A row is looked at only when one of the hints is in it. Word boundaries, in hints and
# patterns alike, are the ASCII ones (`(?-u:\b)`: a non-ASCII letter is no word character):
# they keep the regex on its fast automaton (a Unicode `\b` falls back to a slow one on every
# text with a non-ASCII character, such as an excerpt cut with `…`: 24 ms for 850 such rows).
# The base64 hint is a pass of its own: joined to the shapes' alternation it made the whole
# pre-filter ~4x slower (a counted repetition in a case-insensitive alternation).
PREFILTER = r"(?i)" + "|".join(f"(?:{shape.hint})" for shape in SHAPES if shape.hint != CUT)
_MIXED = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])")


def _base64_runs(values: pl.Series) -> list[str]:
    """The long base64 runs of these strings that look like encoded data, not like a digest."""
    runs = values.str.extract_all(BASE64_RUN).explode().drop_nulls().unique().to_list()
    return sorted((run for run in runs if _MIXED.match(run)), key=len, reverse=True)


# A column whose first SAMPLE values hold fewer than SAMPLE / LOW_CARDINALITY distinct ones
# (reason, kind, component, level, controller, ...) is redacted by its distinct values,
# mapped back onto the rows.
SAMPLE = 4096
LOW_CARDINALITY = 8
# A column longer than this is also redacted by its distinct values when fewer than one row
# in DISTINCT_SHARE holds a value of its own: counting them and running the pre-filter on
# them costs less than one pass of the pre-filter over every row (measured: counting costs
# about 0.4 of the pre-filter's pass; event messages, 200k rows of which 41% distinct: 27 ms
# instead of 46).
LONG = 65536
DISTINCT_SHARE = 2


def redact_series(values: pl.Series) -> tuple[pl.Series, int]:
    """The strings with every secret replaced by MARKER, and how many were replaced."""
    if values.dtype != pl.String or values.len() == 0:
        return values, 0
    if values.len() > SAMPLE and values.head(SAMPLE).n_unique() * LOW_CARDINALITY < SAMPLE:
        return _redact_distinct(values)
    if values.len() > LONG:
        distinct = _unique(values)
        if distinct.len() * DISTINCT_SHARE < values.len():
            return _redact_distinct(values, distinct)  # templated messages: varied at the start, fewer overall
    hit = _hints(values)
    if not hit.any():
        return values, 0
    index = hit.arg_true()
    subset, counts = _redact_hits(values.gather(index))
    count = counts.sum() or 0
    if not count:
        return values, 0
    return values.clone().scatter(index, subset), count


def _redact_distinct(values: pl.Series, distinct: pl.Series | None = None) -> tuple[pl.Series, int]:
    """`redact_series` of a column with few distinct values: each distinct value is redacted
    once and the count weighs it by how often it occurs (the same values and count); the
    occurrences are counted only of the values that hold a secret. `distinct`: the values'
    `_unique` when the caller has them already."""
    if distinct is None:
        distinct = _unique(values)
    if distinct.len() == 0:
        return values, 0
    hit = _hints(distinct)
    if not hit.any():
        return values, 0
    old = distinct.filter(hit)
    new, counts = _redact_hits(old)
    if not counts.sum():
        return values, 0
    found = _value_counts(values.filter(values.is_in(old.implode())))
    occurrences = old.to_frame().join(found, on=values.name, how="left", maintain_order="left")["_n"].fill_null(0)
    count = (counts.cast(pl.Int64) * occurrences.cast(pl.Int64)).sum() or 0
    if not count:
        return values, 0
    changed = old != new
    return values.replace(old.filter(changed), new.filter(changed)), count


def _hints(values: pl.Series) -> pl.Series:
    """Which strings hold a hint of a secret: the shapes' pre-filter, a long base64 run, or a
    cut at their end (a test of the last bytes, cheaper than a non-ASCII character in the
    pre-filter's automaton)."""
    return values.to_frame("_v").select(_hinted(pl.col("_v")).fill_null(False)).to_series()


def _hinted(text: pl.Expr) -> pl.Expr:
    """`_hints` as an expression (of a column, or of a list's elements)."""
    return text.str.contains(PREFILTER) | text.str.contains(BASE64_HINT) | text.str.ends_with(CUT)


def _redact_hits(subset: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The pre-filtered strings redacted, and the number of replacements in each."""
    counts = pl.Series([0] * len(subset), dtype=pl.Int64)
    # A step is tried only where one of its shapes' hints is (one pass for all of them): most
    # rows come through the pre-filter for one hint (a word, a long base64 or hex run), and
    # each step tried costs a pass of its own even on a few rows.
    hinted = subset.to_frame("_s").select(
        pl.col("_s").str.contains(hint).any().alias(str(i)) for i, (_, _, hint) in enumerate(PATTERNS)
    )
    for (pattern, replacement, _), tried in zip(PATTERNS, hinted.row(0)):
        if not tried:
            continue
        found = subset.str.count_matches(pattern)
        if found.sum():
            counts = counts + found.fill_null(0).cast(pl.Int64)
            subset = subset.str.replace_all(pattern, replacement)
    runs = _base64_runs(subset)
    if runs:
        for run in runs:
            counts = counts + subset.str.count_matches(run, literal=True).fill_null(0).cast(pl.Int64)
        subset = subset.str.replace_many(runs, [MARKER] * len(runs))
    return subset, counts


# Identifier columns the controllers fill with digests, UIDs and versions, never with text a
# person typed: their hex digests would only trip the base64 pre-filter (a cost, never a hit).
IDENTIFIERS = frozenset(
    {
        "uid",
        "digest",
        "config_digest",
        "token",
        "reconcile_id",
        "api_version",
        "app_version",
        "chart_version",
        "last_attempted_values_checksum",
        "last_attempted_revision",
        "last_applied_revision",
        "artifact_revision",
    }
)


# Columns of Kubernetes object names and enum-like values: skipped when every value has the
# shape of a name (lower-case DNS labels, `/` and `.`, an optional `Kind/` prefix) or of one
# word of letters: no secret pattern (key=value, URL credentials, mixed-case base64) can match.
NAME_COLUMNS = frozenset(
    {
        "release",
        "name",
        "namespace",
        "pod",
        "container",
        "chart",
        "chart_name",
        "source_ref",
        "component",
        "controller",
        "kind",
        "manager",
        "operation",
        "subresource",
        "status",
        "type",
        "level",
        "logger",
        "encoding",
        "instance",
    }
)
DNS_LIKE = (
    r"^(?:[A-Z][A-Za-z]{0,62}/)?[a-z0-9][a-z0-9./_-]{0,252}$|^[A-Za-z]{1,63}$"  # `Kind/ns/name`, names, enum words
)


def _distinct(values: pl.Series) -> pl.Series:
    """The values to check of a name column: a short one as it is, the distinct values of a
    long one (names repeat: each is checked once)."""
    return values if values.len() <= SAMPLE else _unique(values)


def _unique(values: pl.Series) -> pl.Series:
    """The distinct non-null values of a column (by its runs when it comes in long runs)."""
    if _in_runs(values):
        return values.rle().struct.field("value").unique().drop_nulls().alias(values.name)
    return values.unique().drop_nulls()


# Fewer runs of equal values than this in the first SAMPLE values: the column is read by runs.
FEW_RUNS = SAMPLE // 64


def _in_runs(values: pl.Series) -> bool:
    """The values come in long runs of one value (a member's pod, container, source, a
    reconciler's kind): its runs, one per member or block, are far fewer than its rows, and
    comparing each value with the one before costs a third of hashing every row."""
    return values.len() > SAMPLE and values.head(SAMPLE).rle_id().max() < FEW_RUNS


def _value_counts(values: pl.Series) -> pl.DataFrame:
    """`values.drop_nulls().value_counts(name="_n")` (in no particular order), counted by
    runs when the values come in long runs."""
    if not _in_runs(values):
        return values.drop_nulls().value_counts(name="_n")
    runs = values.rle().struct.unnest()  # columns `len` and `value`, whatever the values' name
    return (
        runs.filter(pl.col("value").is_not_null())
        .group_by("value")
        .agg(pl.col("len").sum().cast(pl.UInt32).alias("_n"))
        .select(pl.col("value").alias(values.name), "_n")
    )


THREADS_FROM_ROWS = 200_000  # String cells (rows summed over the columns to redact)


def redact(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], int]:
    """Every frame with its String columns redacted, and the number of values replaced."""

    def one(kind: str, name: str) -> tuple[str, pl.Series | None, int]:
        values = frames[kind][name]
        if values.dtype == pl.List(pl.String):  # releases' depends_on
            column, count = _redact_lists(values)
            return kind, (column if count else None), count
        if name in NAME_COLUMNS and _distinct(values).str.contains(DNS_LIKE).fill_null(True).all():
            return kind, None, 0  # Kubernetes names hold no `key=value`, URL credentials or base64
        column, count = redact_series(values)
        return kind, (column.alias(name) if count else None), count

    columns = [
        (kind, name)
        for kind, df in frames.items()
        for name, dtype in df.schema.items()
        if dtype in (pl.String, pl.List(pl.String)) and name not in IDENTIFIERS and df.height
    ]
    # Columns are independent and Polars releases the GIL: two threads, where the frames are
    # big enough for each call to outweigh the threads' contention for the GIL (on a small
    # bundle, two threads took longer than one; bench/README.md).
    if sum(frames[kind].height for kind, _ in columns) < THREADS_FROM_ROWS:
        done = [one(*pair) for pair in columns]
    else:
        with ThreadPoolExecutor(max_workers=2) as pool:
            done = list(pool.map(lambda pair: one(*pair), columns))
    changed: dict[str, list[pl.Series]] = {}
    total = 0
    for kind, column, count in done:
        total += count
        if column is not None:
            changed.setdefault(kind, []).append(column)
    out = {kind: df.with_columns(changed[kind]) if kind in changed else df for kind, df in frames.items()}
    return out, total


def _redact_lists(values: pl.Series) -> tuple[pl.Series, int]:
    """A column of lists of strings redacted: the few lists that hold a hint, one by one."""
    hit = values.list.eval(_hinted(pl.element())).list.any().fill_null(False)
    if not hit.any():
        return values, 0
    rows, count = values.to_list(), 0
    for index in hit.arg_true().to_list():
        rows[index], found = redact_texts(rows[index])
        count += found
    return pl.Series(values.name, rows, dtype=values.dtype), count


def redact_texts(texts: list[str]) -> tuple[list[str], int]:
    """Strings that do not live in a frame (the inventory's paths and notes) redacted, and the
    number of values replaced."""
    redacted, count = redact_series(pl.Series(texts, dtype=pl.String))
    return redacted.to_list(), count


def redact_text(text: str) -> str:
    """One string redacted (for text that does not live in a frame)."""
    return redact_texts([text])[0][0]
