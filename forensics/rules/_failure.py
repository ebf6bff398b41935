"""Shared shape of the rules that report a release's current failure by its label.

A subclass names its label, its `summary` as a format string and its `remediation()` as an
expression, both over the failure_state columns (release, text, since, exhausted, attempts,
ready_reason, ...), the three below, and the named columns of its own `columns()`:

- `{failure}`: the failure's first line (or the Ready reason when the evidence has no message);
- `{during}`: ` (upgrade failed)` when the failed action is known, else nothing;
- `{retry_note}`: what the RetryOnFailure strategy changes (appended to every summary);
- `{cause}`, for a rule that declares a `cause` pattern: the failure text from that pattern's
  first match on (its first `cause_lines` lines), the part of a long message that names it.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from forensics.rules._base import Context, Rule, findings_of, no_findings
from forensics.rules._events import failure_evidence
from forensics.rules._exprs import flux, fmt
from forensics.rules._state import FULL_OBJECT, failing_labels, failure_state, message_for

DEFAULT_MAX_HISTORY = 5  # spec.maxHistory default of v2beta2/v2


def first_line(text: pl.Expr, limit: int = 220) -> pl.Expr:
    """The first line of a message, capped (Helm log tails follow on later lines)."""
    line = text.str.split("\n").list.first()
    return pl.when(line.str.len_chars() > limit).then(line.str.slice(0, limit - 1) + pl.lit("…")).otherwise(line)


class FailureRule(Rule):
    """Base: fires on releases whose current failure carries this rule's label."""

    needs = ("releases", "events", "logs")
    cause: ClassVar[str | None] = None
    cause_lines: ClassVar[int | None] = None

    def text(self) -> pl.Expr:
        """The failure message this rule's label comes from."""
        return message_for(self.label)

    def columns(self, ctx: Context) -> dict[str, pl.Expr]:
        """Named columns for the summary and the remediation (they may use those above)."""
        return {}

    def remediation(self, ctx: Context) -> pl.Expr:
        return flux("reconcile", " --force")

    def select(self, state: pl.DataFrame) -> pl.DataFrame:
        """The releases with this label, `text` narrowed to the message that carries it."""
        return state.filter(pl.col("labels").list.contains(self.label)).with_columns(self.text().alias("text"))

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        """Rule-specific lines beyond the failure's own (conditions, events, error log)."""
        return []

    def enrich(self, ctx: Context, state: pl.DataFrame) -> pl.DataFrame:
        """Add rule-specific columns read from other frames (default: none)."""
        return state

    def may_fire(self, ctx: Context) -> bool:
        """Whether `select` can find a release, known without reading a frame: a failing
        release carries this rule's label."""
        return self.label in failing_labels(ctx)

    def check(self, ctx: Context) -> pl.DataFrame:
        if not self.may_fire(ctx):
            return no_findings()
        state = self.select(failure_state(ctx))
        if state.height == 0:
            return no_findings()
        state = self.enrich(ctx, state)
        level, reason = confidence()
        verdicts = (
            state.with_columns(failure=failure_line(), during=during(), retry_note=retry_note(ctx))
            .with_columns(
                cause=from_match(pl.col("text"), self.cause, lines=self.cause_lines) if self.cause else pl.lit(None)
            )
            .with_columns(**self.columns(ctx))
            .with_columns(confidence=level, confidence_reason=reason, remediation=self.remediation(ctx))
        )
        return self.findings(failure_evidence(ctx, state) + self.more_evidence(ctx, state), verdicts)

    def findings(self, evidence: list[pl.DataFrame], verdicts: pl.DataFrame) -> pl.DataFrame:
        summary = fmt(self.summary + "{retry_note}")
        return findings_of(evidence, verdicts.with_columns(summary.alias("summary")))


def from_match(text: pl.Expr, pattern: str, limit: int = 240, lines: int | None = None) -> pl.Expr:
    """The text from the first match of `pattern` on (its first `lines` lines, else all of
    them), lines joined with " | " and capped: the part of a long failure message that names
    the cause; the first line when it does not match."""
    at = text.str.find(pattern)
    part = pl.when(at.is_not_null()).then(text.str.slice(at)).otherwise(text.str.split("\n").list.first())
    if lines is not None:
        part = part.str.split("\n").list.head(lines).list.join("\n")
    part = part.str.replace_all(r"\s*\n\s*", " | ").str.strip_chars(" |:")
    return pl.when(part.str.len_chars() > limit).then(part.str.slice(0, limit - 1) + pl.lit("…")).otherwise(part)


def action_of() -> pl.Expr:
    """The Helm action that failed, from the text (`Helm upgrade failed ...`) or the reasons."""
    by_text = pl.col("text").str.extract(r"Helm (install|upgrade|rollback|test|uninstall) failed", 1)
    by_reason = (
        pl.coalesce("ready_reason", "released_reason", "fail_reason")
        .str.extract(r"^(Install|Upgrade|Rollback|Test)Failed$", 1)
        .str.to_lowercase()
    )
    return pl.coalesce(by_text, by_reason)


def during() -> pl.Expr:
    """` (upgrade failed)` when the failed action is known, else ''."""
    action = action_of()
    return pl.when(action.is_not_null()).then(pl.format(" ({} failed)", action)).otherwise(pl.lit(""))


def failure_line() -> pl.Expr:
    """The failure's first line, or, when the evidence holds no message (an alert's labels, a
    table row), the Ready reason that is all there is."""
    return (
        pl.when(pl.col("text").fill_null("").str.strip_chars() != "")
        .then(first_line(pl.col("text")))
        .otherwise(
            pl.format(
                "Ready={} {} (no message in the evidence)",
                pl.col("ready_status").fill_null("?"),
                pl.coalesce("ready_reason", "released_reason", "fail_reason").fill_null("reason not shown"),
            )
        )
    )


def retry_note(ctx: Context) -> pl.Expr:
    """`; RetryOnFailure: retried every 5m0s, it never stalls` when the status shows the v1.4+
    RetryOnFailure strategy, with the v1.4.0-v1.4.4 history bug when the version and a long
    `status.history` show it (reference §10.2)."""
    note = (
        pl.when(pl.col("retry_interval").is_not_null())
        .then(
            pl.format("; RetryOnFailure: retried every {}, it never stalls (not retries-exhausted)", "retry_interval")
        )
        .otherwise(pl.lit(""))
    )
    if ctx.controller.between("v1.4.0", "v1.4.4"):
        note = note + pl.when(
            pl.col("retry_interval").is_not_null() & (pl.col("history_len") > DEFAULT_MAX_HISTORY)
        ).then(
            pl.format(
                "; status.history holds {} snapshots: {} does not truncate it under RetryOnFailure (fixed in v1.4.5)",
                "history_len",
                pl.lit(ctx.controller.current_version),
            )
        ).otherwise(pl.lit(""))
    return note


def confidence() -> tuple[pl.Expr, pl.Expr]:
    """(confidence, its reason) of a failure finding, from what the evidence is:

    - high: the whole HelmRelease object (YAML/JSON or `kubectl describe`) with its Ready
      condition shows the failure at the end of the window;
    - medium: a named release seen only in table rows, events, alerts or logs;
    - low: a release whose name or namespace is not known (`?/name`, `?/?`), or whose
      message was cut by the paste (`...`): the part that names the cause may be missing.
    """
    full = pl.col("input_format").is_in(FULL_OBJECT).fill_null(False) & pl.col("ready_status").is_not_null()
    level = (
        pl.when(~pl.col("named") | pl.col("cut"))
        .then(pl.lit("low"))
        .when(full)
        .then(pl.lit("high"))
        .otherwise(pl.lit("medium"))
    )
    reason = (
        pl.when(~pl.col("named"))
        .then(
            pl.format(
                "the release is named only as {} in the evidence: its namespace (or name) is not known", "release"
            )
        )
        .when(pl.col("cut"))
        .then(pl.lit("the message is cut (`...`) in the evidence: the part that names the cause may be missing"))
        .when(full)
        .then(
            pl.format(
                "the Ready condition (Ready={}, {}) shows the failure at the end of the window",
                "ready_status",
                pl.col("ready_reason").fill_null("?"),
            )
        )
        .when(pl.col("ready_status").is_not_null())
        .then(
            pl.format(
                "from a `{}` input (Ready={}, {}): the status only, without the object's conditions, times or history",
                pl.col("input_format").fill_null("table row"),
                "ready_status",
                pl.col("ready_reason").fill_null("reason not shown"),
            )
        )
        .otherwise(
            pl.lit("from events/logs only (no HelmRelease status in the evidence): the latest outcome is this failure")
        )
    )
    return level, reason


def retry_reset(ctx: Context) -> str:
    """How to let the controller try again, for the controller version in the bundle."""
    if ctx.controller.current_generation == "v2beta1":
        return (
            "\n# helm-controller <= v0.36 resets its failure count only on a new state: change the chart"
            " version or values, or roll the Helm release back by hand"
        )
    return ""
