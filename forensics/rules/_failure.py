"""Shared shape of the rules that report a release's current failure by its label.

A subclass names its label and writes its summary and remediation as Polars expressions over
the failure_state columns (release, text, since, exhausted, attempts, ready_reason, ...).
"""

from __future__ import annotations

import polars as pl

from forensics.rules._base import Context, Rule, findings, flux, name_ns  # noqa: F401 - re-exported to the rule modules
from forensics.rules._state import failure_evidence, failure_state, message_for


def first_line(text: pl.Expr, limit: int = 220) -> pl.Expr:
    """The first line of a message, capped (Helm log tails follow on later lines)."""
    line = text.str.split("\n").list.first()
    return pl.when(line.str.len_chars() > limit).then(line.str.slice(0, limit - 1) + pl.lit("…")).otherwise(line)


class FailureRule(Rule):
    """Base: fires on releases whose current failure carries this rule's label."""

    needs = ("releases", "events", "logs")

    def summary(self) -> pl.Expr:
        return pl.format("{}: {}", pl.lit(self.label), first_line(pl.col("text")))

    def text(self) -> pl.Expr:
        """The failure message this rule's label comes from."""
        return message_for(self.label)

    def remediation(self, ctx: Context) -> pl.Expr:  # pragma: no cover - overridden
        return flux("reconcile", " --force")

    def select(self, state: pl.DataFrame) -> pl.DataFrame:
        """The releases with this label, `text` narrowed to the message that carries it."""
        return state.filter(pl.col("labels").list.contains(self.label)).with_columns(self.text().alias("text"))

    def more_evidence(self, ctx: Context, state: pl.DataFrame) -> list[pl.DataFrame]:
        """Rule-specific lines beyond the failure's own (conditions, events, error log)."""
        return []

    def enrich(self, ctx: Context, state: pl.DataFrame) -> pl.DataFrame:
        """Add rule-specific columns used by summary/remediation (default: none)."""
        return state

    def check(self, ctx: Context) -> pl.DataFrame:
        state = self.select(failure_state(ctx))
        if state.height == 0:
            return findings([], state)
        state = self.enrich(ctx, state)
        from_status = pl.col("ready_status").is_not_null()
        verdicts = state.select(
            "release",
            self.summary().alias("summary"),
            pl.when(from_status).then(pl.lit("high")).otherwise(pl.lit("medium")).alias("confidence"),
            pl.when(from_status)
            .then(pl.format("the Ready condition (Ready={}, {}) shows the failure at the end of the window", "ready_status", pl.col("ready_reason").fill_null("?")))
            .otherwise(pl.lit("from events/logs only (no HelmRelease status in the bundle): the latest outcome is this failure"))
            .alias("confidence_reason"),
            self.remediation(ctx).alias("remediation"),
            "since",
        )
        return findings(failure_evidence(ctx, state) + self.more_evidence(ctx, state), verdicts)


def retry_reset(ctx: Context) -> str:
    """How to let the controller try again, for the controller version in the bundle."""
    if ctx.controller.current_generation == "v2beta1":
        return (
            "\n# helm-controller <= v0.36 resets its failure count only on a new state: change the chart"
            " version or values, or roll the Helm release back by hand"
        )
    return ""
