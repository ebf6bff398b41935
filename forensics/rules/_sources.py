"""Statuses that outlived their cause: a release waiting on a chart source that is Ready since,
and a Flux v1 helm-operator release whose message is left from an earlier sync."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.rules._base import Context
from forensics.rules._exprs import latest

# `<Kind> '<ns>/<name>' is not ready` of helm-controller (v0.36 .. v1.x): the chart source it waits for.
SOURCE_NOT_READY = r"(HelmChart|OCIRepository|ExternalArtifact) '([^'/]+)/([^']+)' is not ready"
# source-controller's Ready=True messages (HelmChart `pulled`/`packaged ... chart with version`,
# repositories `stored artifact ...`).
SOURCE_READY_MESSAGE = r"(?i)^(?:pulled|packaged) '[^']+' chart with version|^stored artifact"
HELM_OPERATOR_API = "helm.fluxcd.io/"  # Flux v1's HelmRelease group (helm.toolkit.fluxcd.io is Flux v2's)


def is_helm_operator() -> pl.Expr:
    """A Flux v1 helm-operator HelmRelease: its table's status shape, or its API group."""
    return (pl.col("status_format") == "helm-operator").fill_null(False) | pl.col("api_version").str.starts_with(
        HELM_OPERATOR_API
    ).fill_null(False)


def operator_deployed(ctx: Context) -> pl.DataFrame:
    """Flux v1 helm-operator releases whose Helm release is `deployed`: their message is whatever
    the last new release left (the operator rewrites it only then), not a current failure."""
    releases = ctx.frames["releases"].filter(is_helm_operator()).select("release")
    storage = latest(ctx.frames["helm_storage"], "revision")
    return releases.join(storage.filter(pl.col("status") == "deployed").select("release"), on="release")


def outlived_source_claims(ctx: Context) -> pl.DataFrame:
    """A release's `<Kind> '<ns>/<name>' is not ready` (Ready condition, or a condition whose
    type was cut from the paste) while that source, in the evidence, is Ready since a time
    at or after the claim: the release's status outlived its cause.

    Columns: release, kind, source_ns, source_name, claimed_at, claim source/line/excerpt,
    the source's row (src_since, src_message, src_source, src_line, src_excerpt)."""
    if "outlived_sources" in ctx.cache:
        return ctx.cache["outlived_sources"]
    frames = ctx.frames
    claim = pl.col("message").str.extract
    claims = (
        frames["conditions"]
        .filter(
            (pl.col("type").is_null() | (pl.col("type") == "Ready"))
            & (pl.col("status").is_null() | (pl.col("status") != "True"))
            & msg_matches(SOURCE_NOT_READY)
        )
        .select(
            "release",
            kind=claim(SOURCE_NOT_READY, 1),
            source_ns=claim(SOURCE_NOT_READY, 2),
            source_name=claim(SOURCE_NOT_READY, 3),
            claimed_at="last_transition",
            source="source",
            line="line",
            excerpt="excerpt",
            message="message",
        )
    )
    # Ready, or (a pasted fragment cut before its Status/Type lines) a source-controller success
    # message: `pulled '<chart>' chart with version '<v>'`, `packaged ...`, `stored artifact ...`
    ready = (pl.col("ready_status") == "True").fill_null(False) | (
        pl.col("ready_status").is_null() & msg_matches(SOURCE_READY_MESSAGE, "ready_message")
    )
    sources = (
        frames["sources"]
        .filter(ready & pl.col("since").is_not_null())
        .select(
            "kind",
            source_ns="namespace",
            source_name="name",
            src_since="since",
            src_message="ready_message",
            src_source="source",
            src_line="line",
            src_excerpt="excerpt",
        )
    )
    found = claims.join(sources, on=["kind", "source_ns", "source_name"]).filter(
        pl.col("claimed_at").is_not_null() & (pl.col("src_since") >= pl.col("claimed_at"))
    )
    ctx.cache["outlived_sources"] = found
    return found
