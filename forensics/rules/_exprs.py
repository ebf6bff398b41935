"""What the rules write again and again, written once: a format string over named columns, the
latest row per release, times as the reports print them, and the remediation commands
(predicates over messages, and the Ready condition, are in forensics.exprs).

A rule then says *what* it cites and prints (`latest(errors)`, `"Ready={status} since
{last_transition:ts}"`, `flux("reconcile", " --force")`); these functions say *how*, once.
"""

from __future__ import annotations

import string

import polars as pl

# The two ways a report prints a time: the full UTC stamp, or the clock time within a day.
TIME_SPECS = {"ts": "%Y-%m-%d %H:%M:%SZ", "hms": "%H:%M:%SZ"}

# Remediation lines, as format strings over a frame with a `release` column.
HELM_HISTORY = "helm history {release.name} -n {release.namespace}"
HELM_TEMPLATE = "helm template {release.name} <chart> --version <version> -f values.yaml"


def fmt(text: str, **values: pl.Expr) -> pl.Expr:
    """A format string over the columns of a frame, as one expression; null where a field is null.

    - `{column}`: the column as text; a field given as a keyword: that expression instead;
    - `{release.name}`, `{release.namespace}`: the two parts of a `namespace/name` column;
    - `{column:ts}`, `{column:hms}`: a time as `2024-01-15 12:00:00Z`, `12:00:00Z` (TIME_SPECS);
      any other spec is a strftime format.
    """
    parts = []
    for literal, field, spec, _ in string.Formatter().parse(text):
        if literal:
            parts.append(pl.lit(literal))
        if field is not None:
            parts.append(_field(field, spec, values))
    return pl.concat_str(parts) if parts else pl.lit("")


def _field(field: str, spec: str | None, values: dict[str, pl.Expr]) -> pl.Expr:
    column, _, part = field.partition(".")
    expr = values[column] if column in values else pl.col(column)
    if part:
        name, namespace = name_ns(expr)
        expr = {"name": name, "namespace": namespace}[part]
    if spec:
        expr = expr.dt.to_string(TIME_SPECS.get(spec, spec))
    return expr


def name_ns(release: str | pl.Expr = "release") -> tuple[pl.Expr, pl.Expr]:
    """(name, namespace) of a `namespace/name` column."""
    parts = (pl.col(release) if isinstance(release, str) else release).str.split("/")
    return parts.list.get(1, null_on_oob=True), parts.list.get(0, null_on_oob=True)


def flux(verb: str, suffix: str = "", column: str = "release") -> pl.Expr:
    """`flux <verb> helmrelease NAME -n NS<suffix>` for each release (the remediation commands)."""
    return fmt(f"flux {verb} helmrelease {{{column}.name}} -n {{{column}.namespace}}{suffix}")


def stamp(column: str, spec: str = "ts") -> pl.Expr:
    """A time column as the reports print it (TIME_SPECS)."""
    return pl.col(column).dt.to_string(TIME_SPECS.get(spec, spec))


def latest(df: pl.DataFrame, ts: str = "ts", by: str | list[str] = "release") -> pl.DataFrame:
    """The latest row of each release (by `ts`; null times first)."""
    return df.sort(ts).group_by(by, maintain_order=True).last()


def earliest(df: pl.DataFrame, ts: str = "ts", by: str | list[str] = "release") -> pl.DataFrame:
    """The earliest row of each release (by `ts`; null times first)."""
    return df.sort(ts).group_by(by, maintain_order=True).first()


def extract(pattern: str, *groups: int, column: str = "text") -> tuple[pl.Expr, ...]:
    """The capture groups of a regex in a column, one expression each (null without a match)."""
    return tuple(pl.col(column).str.extract(pattern, group) for group in groups)


def named() -> pl.Expr:
    """The release's namespace and name are known (a pasted fragment may give only `?/name`)."""
    return ~pl.col("release").str.starts_with("?/").fill_null(True)


def pick(condition: pl.Expr, yes: str, no: str) -> pl.Expr:
    """One of two texts (a confidence level, a wording) by a condition."""
    return pl.when(condition).then(pl.lit(yes)).otherwise(pl.lit(no))
