"""Dependency claims — "dependency '<ns>/<name>' is not ready" — joined with the dependency's state.

A claim comes from the dependent's Ready condition, or, when the bundle has no status for
it, from its latest dependency-check log line. Shared by the dependency rules (stale,
failed) and the evidence-gap rule (dependency not in the bundle).
"""

from __future__ import annotations

import polars as pl

from forensics.exprs import (
    DEPENDENCY_CHECK_FAILED,
    DEPENDENCY_CHECK_PASSED,
    DEPENDENCY_NOT_READY,
    msg_matches,
)
from forensics.rules._base import Context, controller_logs


def literal_prefix(pattern: str) -> str:
    """The literal text every match of a `^`-anchored regex starts with ('' when unknown)."""
    if not pattern.startswith("^"):
        return ""
    depth, prefix, i, stop = 0, [], 1, None
    for j, ch in enumerate(pattern):  # a top-level alternative is not anchored: no prefix
        if ch == "\\":
            continue
        if ch == "(" and (j == 0 or pattern[j - 1] != "\\"):
            depth += 1
        elif ch == ")" and pattern[j - 1] != "\\":
            depth -= 1
        elif ch == "|" and depth == 0 and pattern[j - 1] != "\\":
            return ""
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\" and i + 1 < len(pattern) and not pattern[i + 1].isalnum():
            prefix.append(pattern[i + 1])
            i += 2
            continue
        if ch in ".^$*+?{}[]|()\\":
            stop = ch
            break
        prefix.append(ch)
        i += 1
    if stop in ("*", "?", "{") and prefix:  # the quantifier applies to the last character
        prefix.pop()
    return "".join(prefix)


def _matching(logs: pl.DataFrame, pattern: str) -> pl.DataFrame:
    """Log rows about a release whose message matches `pattern`: its literal prefix is tested
    first, so that the pattern runs on (and the filter copies) the few candidate rows only."""
    candidates = logs.filter(pl.col("release").is_not_null() & pl.col("msg").str.starts_with(literal_prefix(pattern)))
    return candidates.filter(msg_matches(pattern, "msg"))


def dependency_checks(ctx: Context) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(failed checks, last failure per release, first pass after that failure per release)."""
    cache = ctx.cache
    if "dependency_checks" not in cache:
        logs = controller_logs(ctx)
        failed = _matching(logs, DEPENDENCY_CHECK_FAILED)
        last_fail = (
            failed.sort("ts")
            .group_by("release")
            .last()
            .select(
                "release",
                pl.col("ts").alias("fail_ts"),
                pl.col("msg").str.extract(DEPENDENCY_NOT_READY).alias("log_dependency"),
            )
        )
        passes = _matching(logs, DEPENDENCY_CHECK_PASSED).join(last_fail, on="release", how="left")
        first_pass_after = (
            passes.filter(pl.col("fail_ts").is_null() | (pl.col("ts") > pl.col("fail_ts")))
            .sort("ts")
            .group_by("release")
            .first()
        )
        cache["dependency_checks"] = (failed, last_fail, first_pass_after)
    return cache["dependency_checks"]


def dependency_claims(ctx: Context) -> pl.DataFrame:
    """One row per (dependent, dependency) claim with the dependency's state.

    Columns: release, dependency, claim_from (status|log), claim_input (the claimant's input
    form), since, fail_ts, pass_ts,
    dep_present, dep_ready, dep_reason, dep_message, dep_since, dep_generation, dep_observed,
    dep_input.
    """
    if "dependency_claims" in ctx.cache:
        return ctx.cache["dependency_claims"]
    releases = ctx.frames["releases"]
    _, last_fail, first_pass_after = dependency_checks(ctx)
    status_claims = releases.filter(
        (pl.col("ready_status") == "False") & msg_matches(DEPENDENCY_NOT_READY, "ready_message")
    ).select(
        "release",
        pl.col("ready_message").str.extract(DEPENDENCY_NOT_READY).alias("dependency"),
        pl.lit("status").alias("claim_from"),
        pl.col("input_format").alias("claim_input"),
    )
    log_claims = (
        last_fail.join(first_pass_after.select("release"), on="release", how="anti")
        .join(releases.select("release"), on="release", how="anti")
        .select(
            "release",
            pl.col("log_dependency").alias("dependency"),
            pl.lit("log").alias("claim_from"),
            pl.lit(None, pl.String).alias("claim_input"),
        )
    )
    claims = pl.concat([status_claims, log_claims]).filter(pl.col("dependency").is_not_null())
    dependency = releases.select(
        pl.col("release").alias("dependency"),
        pl.lit(True).alias("dep_present"),
        pl.col("ready_status").alias("dep_ready"),
        pl.col("ready_reason").alias("dep_reason"),
        pl.col("ready_message").alias("dep_message"),
        pl.col("ready_since").alias("dep_since"),
        pl.col("generation").alias("dep_generation"),
        pl.col("observed_generation").alias("dep_observed"),
        pl.col("input_format").alias("dep_input"),
    )
    rows = (
        claims.join(releases.select("release", pl.col("ready_since").alias("since")), on="release", how="left")
        .join(dependency, on="dependency", how="left")
        .with_columns(pl.col("dep_present").fill_null(False))
        .join(first_pass_after.select("release", pl.col("ts").alias("pass_ts")), on="release", how="left")
        .join(last_fail.select("release", "fail_ts"), on="release", how="left")
        .with_columns(pl.coalesce("since", "fail_ts").alias("since"))
    )
    ctx.cache["dependency_claims"] = rows
    return rows
