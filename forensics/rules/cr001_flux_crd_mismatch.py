"""Rule CR001: the class docstring is its documentation."""

from __future__ import annotations

import polars as pl

from forensics.exprs import msg_matches
from forensics.model import CLUSTER, Label, Severity
from forensics.rules._base import Context, cite, findings_of, no_findings
from forensics.rules._events import NAMED_RELEASE
from forensics.rules._exprs import fmt
from forensics.rules._failure import FailureRule
from forensics.rules._sources import is_helm_operator
from forensics.signatures import SIGNATURES, classify, is_cut

CRD = next(s.pattern for s in SIGNATURES if s.label == "crd-mismatch")
# Cheap first test of a message before the signature table runs on it.
MAYBE = r"toolkit\.fluxcd\.io|failed to list \*v| is invalid: "
HELMRELEASE_GROUP = "helm.toolkit.fluxcd.io"
# HelmRelease API versions served by each helm-controller line (reference §0.2).
SERVED = (
    ("v0.0.0", "v0.36.99", ("v2beta1",)),
    ("v0.37.0", "v0.37.99", ("v2beta1", "v2beta2")),
    ("v1.0.0", "v1.3.99", ("v2", "v2beta1", "v2beta2")),
    ("v1.4.0", "v1.4.99", ("v2", "v2beta2")),
    ("v1.5.0", "v99.0.0", ("v2",)),
)
FIX = (
    "flux check   # controllers and the CRD versions they need\n"
    "kubectl get crd helmreleases.helm.toolkit.fluxcd.io"
    " -o jsonpath='{.spec.versions[*].name} stored: {.status.storedVersions}'\n"
    "# re-apply the CRDs of the Flux version the controllers run"
    " (flux install --export | kubectl apply -f -, or flux bootstrap),\n"
    "# write the manifests in an apiVersion those CRDs serve (flux migrate, flux >= 2.7, rewrites stored objects)"
)

CLUSTER_SUMMARY = "the cluster does not serve a Flux kind/version the controllers or manifests use: {message}"
CLUSTER_WIDE = "a message about the cluster, not about one release: every HelmRelease the kind concerns is affected"
NOT_SERVED = (
    "the manifest asks for HelmRelease in apiVersion {api_version}: the cluster serves it only as {served}{where}"
)


class FluxCrdMismatch(FailureRule):
    """Flux's CRDs and objects disagree: a Flux kind/version the cluster does not serve, or a Flux object its CRD
    schema rejects.

    What it detects
    ---------------
    - A Flux object refused by the API server: `no matches for kind "<Kind>" in version
      "<group>.toolkit.fluxcd.io/<v>"` (kubectl apply, a Kustomization's dry-run, a chart that
      renders Flux objects), the CRD schema's `<Kind>.<group>.toolkit.fluxcd.io "<name>" is
      invalid: ...` / kubectl's `The HelmRelease "<name>" is invalid: ...` (a field the CRD
      version does not have, an enum value it does not allow), server-side apply's `field not
      declared in schema`, and a CRD update refused by `status.storedVersions` (`must appear
      in spec.versions`). A Kustomization error naming `HelmRelease/<ns>/<name>` is attributed
      to that release.
    - A HelmRelease manifest (no status) whose apiVersion the cluster can never serve (a wrong
      group; Flux v1's `helm.fluxcd.io` is another CRD, not this), or, when the controller
      version is known, one its CRD no longer serves (v2beta1 is gone from v1.4.0, v2beta2 from
      v1.5.0; v2 exists from v1.0.0).
    - About the cluster (release `(cluster)`): a controller's reflector that cannot list its
      own kind (`Failed to watch *v2beta1.HelmRelease: failed to list *v2beta1.HelmRelease: the
      server could not find the requested resource`) or API discovery listing a Flux group
      version it cannot serve. The same words after `failed to get API group resources` are a
      client (the flux CLI) newer than the cluster: not reported.

    Why it matters
    --------------
    Typical after a Flux upgrade done halfway (controllers without their CRDs, or the reverse),
    manifests written for another Flux version, or a third-party packaging of Flux that dropped
    CRDs. Nothing downstream can work until the CRDs and objects agree. Known false positives:
    a manifest in a `v2beta*` apiVersion that is converted before it is applied (not reported
    unless the controller version shows it is not served).

    Evidence
    --------
    The refused apply/dry-run line, the reflector or discovery error, the manifest's apiVersion.

    Remediation
    -----------
    `flux check`; compare the CRD's served and stored versions (`kubectl get crd
    helmreleases.helm.toolkit.fluxcd.io -o jsonpath=...`) with the controllers'; re-apply the
    CRDs of the running Flux version and write manifests in a served apiVersion (`flux migrate`
    from flux 2.7 rewrites stored objects).
    """

    id = "CR001"
    name = "flux-crd-mismatch"
    label = Label.crd_mismatch
    severity = Severity.error
    needs = ("releases", "events", "logs")
    summary = "Flux's CRDs and this object disagree{during}: {cause}"
    cause = CRD
    cause_lines = 2

    def remediation(self, ctx: Context) -> pl.Expr:
        return pl.lit(FIX)

    def check(self, ctx: Context) -> pl.DataFrame:
        found = [part for part in (super().check(ctx), self._manifests(ctx), self._cluster(ctx)) if part.height]
        return pl.concat(found, how="vertical_relaxed") if found else no_findings()

    def _manifests(self, ctx: Context) -> pl.DataFrame:
        """HelmRelease manifests (no status) in an apiVersion the cluster cannot serve."""
        releases = (
            ctx.frames["releases"]
            .filter(
                pl.col("api_version").is_not_null()
                & pl.col("ready_status").is_null()
                & (pl.col("input_format") == "object")
                & ~is_helm_operator()
            )
            .join(
                ctx.frames["conditions"].select("release").unique(), on="release", how="anti"
            )  # no status: a manifest
        )
        group = pl.col("api_version").str.split("/").list.first()
        version = pl.col("api_version").str.split("/").list.get(1, null_on_oob=True)
        served = self._served(ctx)
        not_served = pl.lit(served is not None) & ~version.is_in(list(served or ()))
        bad = releases.filter((group != HELMRELEASE_GROUP) | not_served | ~version.is_in(["v2beta1", "v2beta2", "v2"]))
        if served:
            served_text, where = (
                ", ".join(f"{HELMRELEASE_GROUP}/{v}" for v in served),
                f" by {ctx.controller.describe()}",
            )
        else:
            served_text, where = f"{HELMRELEASE_GROUP}/v2 (v2beta1, v2beta2 on older controllers)", ""
        verdicts = bad.select(
            "release",
            summary=fmt(NOT_SERVED, served=pl.lit(served_text), where=pl.lit(where)),
            confidence=pl.lit("medium"),
            confidence_reason=pl.lit(
                "a manifest without status: what the API server answers to it is inferred from its apiVersion"
            ),
            remediation=pl.lit(FIX),
        )
        return findings_of([cite(bad, "apiVersion: {api_version}", ts=None)], verdicts)

    @staticmethod
    def _served(ctx: Context) -> tuple[str, ...] | None:
        for low, high, versions in SERVED:
            if ctx.controller.between(low, high):
                return versions
        return None

    def _cluster(self, ctx: Context) -> pl.DataFrame:
        """Messages about no release that show a Flux CRD not served: one finding on `(cluster)`."""
        # messages that name a HelmRelease are that release's (release_events), not the cluster's
        events = ctx.frames["events"].filter(
            pl.col("release").is_null() & msg_matches(MAYBE) & ~msg_matches(NAMED_RELEASE)
        )
        events = events.filter(classify(pl.col("message")) == "crd-mismatch").with_columns(release=pl.lit(CLUSTER))
        text = pl.concat_str([pl.col("msg"), pl.col("error")], separator=": ", ignore_nulls=True).alias("text")
        # one pass over the log: only the few candidate rows are copied, then classified
        logs = ctx.frames["logs"].filter(pl.col("release").is_null() & text.str.contains(MAYBE).fill_null(False))
        logs = logs.filter(classify(text) == "crd-mismatch").with_columns(release=pl.lit(CLUSTER))
        if events.height == 0 and logs.height == 0:
            return no_findings()
        first = (events["message"].to_list() + logs.select(text)["text"].to_list())[0]
        cut = bool(events.select(is_cut(pl.col("message")).any()).item()) if events.height else False
        verdicts = pl.DataFrame(
            {
                "release": [CLUSTER],
                "summary": [CLUSTER_SUMMARY.format(message=first.splitlines()[0][:220])],
                "confidence": ["low" if cut else "medium"],
                "confidence_reason": [CLUSTER_WIDE],
                "remediation": [FIX],
            }
        )
        evidence = [
            cite(events, "refused: a Flux kind/version not served", ts="last_ts"),
            cite(logs, "a controller cannot list its own kind"),
        ]
        return findings_of(evidence, verdicts)
