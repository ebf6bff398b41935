"""The remediation plan of a verdict, and of the bundle, in order.

Per release: fix each cause, first cause first (what to change in Git, with the finding's own
commands), then unblock (unlock a pending Helm revision where the controller never does it,
`flux resume` a suspended release), then reconcile (`--reset` when the retries are used up,
`--force` only where the rules say it is the fix). Every step says why and what to check after it.
For the bundle: every release's steps, a dependency's before its dependents', a cause in the
controller itself first.
"""

from __future__ import annotations

import heapq
import re
from typing import TYPE_CHECKING

from forensics.model import Finding, PlanStep, Verdict

if TYPE_CHECKING:
    from forensics.causes import Decision
    from forensics.verdicts import _Facts

CONTROLLER_WIDE = (
    "controller-restart",
    "crd-mismatch",
)  # causes in the controller or its CRDs, fixed before any release
GENERIC_ACTIONS = ("install-failed", "upgrade-failed")  # fixed with the more specific cause that failed them


# What fixing each cause means: (action, what to check afterwards). The finding's own
# remediation lines (commands with the object, value or field it names) go under it, minus
# the release's own reconcile/resume, which the plan places after the fix and the unblock.
FIXES = {
    "controller-restart": (
        "Give helm-controller the memory this action needs: raise resources.limits.memory of the helm-controller "
        "Deployment (a patch in the Flux kustomization, in Git) or lower --concurrent",
        "`kubectl -n flux-system get pods -l app=helm-controller`: no new restart, last state not OOMKilled",
    ),
    "crd-mismatch": (
        "Make Flux's CRDs and objects agree: apply the CRDs of the Flux version that runs (its install manifests, in "
        "Git), and move stored objects to a served apiVersion (`flux migrate`, Flux >= 2.7)",
        "`kubectl get crd helmreleases.helm.toolkit.fluxcd.io -o jsonpath='{.status.storedVersions}'` lists only "
        "served versions",
    ),
    "chart-fetch": (
        "Make the chart available: set spec.chart.spec.version (or the source's ref) in Git to a published version, or "
        "publish it, or fix the source's access",
        "`flux get sources chart -A`: the HelmChart/OCIRepository is Ready with the wanted version",
    ),
    "values-missing": (
        "Create the ConfigMap/Secret (or key) that spec.valuesFrom names, or fix the reference in Git",
        "the next reconcile composes the values: Ready no longer names the missing reference",
    ),
    "values-schema": (
        "Change the values in Git so that the chart's values.schema.json accepts them (the error names the field)",
        "Ready no longer says the values don't meet the specifications of the schema",
    ),
    "render-failed": (
        "Fix the template, the values it reads or the post-renderer patch in Git (the error names the template and "
        "line)",
        "`helm template` of the same chart and values renders; the next action passes rendering",
    ),
    "api-removed": (
        "Use a chart version whose manifests use APIs the cluster serves, or install the missing CRDs first (in Git)",
        "`kubectl api-resources` lists the kind and version the chart renders",
    ),
    "ownership-conflict": (
        "Adopt the existing object into the release (label app.kubernetes.io/managed-by=Helm, annotations "
        "meta.helm.sh/release-name and meta.helm.sh/release-namespace) or delete it if nothing else needs it; a forced "
        "upgrade meets the same object and fails again",
        "`kubectl get` of the object shows the Helm ownership metadata (or it is gone)",
    ),
    "release-missing": (
        "Bring Helm's storage back to what the controller expects (`helm history`): remove the leftover or "
        "stuck-uninstalling release, or let the controller install again",
        "`helm history NAME -n NS` ends with a deployed (or no) revision",
    ),
    "immutable-field": (
        "Replace the object the API server refuses to patch: delete it so the next upgrade recreates it, or change the "
        "chart so the immutable field stays as it is",
        "the next upgrade recreates the object; `kubectl get` shows it new, Released=True",
    ),
    "timeout": (
        "Make the resource the Helm wait names become ready (capacity, image, probes: see its events), or raise "
        "spec.timeout in Git",
        "the workload's pods are Running and Ready; no FailedScheduling/BackOff events",
    ),
    "health-check-canceled": (
        "Let one revision finish its health check: stop pushing new revisions meanwhile, or use spec.upgrade.strategy "
        "RetryOnFailure (helm-controller >= v1.4) so a canceled check is retried",
        "the latest revision's health check completes (no HealthCheckCanceled)",
    ),
    "install-failed": (
        "Fix the error the install failure names (chart, values or the object it meets) in Git or in the cluster; "
        "forcing the same install fails the same way",
        "`kubectl -n NS get events` has no new InstallFailed; `helm history NAME -n NS` shows a deployed revision",
    ),
    "upgrade-failed": (
        "Fix the error the upgrade failure names (a hook Job, the chart, its values) in Git; forcing the same upgrade "
        "re-runs what failed",
        "`helm history NAME -n NS`: the next revision is deployed; failing hook Jobs have completed",
    ),
    "rollback-failed": (
        "Fix what made the remediation rollback fail (an object the previous revision cannot take back, e.g. one kept "
        "by helm.sh/resource-policy: keep)",
        "`helm history NAME -n NS` shows no new failed rollback",
    ),
    "test-failed": (
        "Fix the failing test hook or what it tests (`kubectl -n NS logs` of the test pod), in Git",
        "the next upgrade's tests pass: TestSuccess=True",
    ),
    "drift": (
        "Stop the correction loop: ignore the field the other writer owns (spec.driftDetection.ignore), in Git",
        "no new DriftDetected/DriftCorrected events after the next reconcile",
    ),
    "dependency-missing": (
        "Create the dependsOn target, or fix the name/namespace in spec.dependsOn in Git",
        "`flux get helmreleases -A` lists the dependency; the dependent's check passes",
    ),
    "stuck-pending": (
        "Unlock the pending Helm revision by hand (helm-controller <= v0.36 never does it, and a newer one did not "
        "here): roll back to the last deployed revision or delete the pending revision's Secret",
        "`helm history NAME -n NS` ends with a deployed or failed revision, none pending",
    ),
    "evidence-gap": (
        "Collect the evidence the bundle lacks and analyse again",
        "the new bundle has the controller's logs and events for this release",
    ),
}
# The release's own reconcile is the fix: it is in sync and only its status is old (the rules say
# which reconcile, --force included); these get no fix step of their own.
FIX_BY_RECONCILE = ("migration-skip", "stale-status", "dependency-stale")


def _own_command(line: str, name: str, ns: str) -> bool:
    """A line that reconciles or resumes this very release: the plan puts it in its place."""
    words = line.split()
    return (
        len(words) >= 5
        and words[0] == "flux"
        and words[1] in ("reconcile", "resume")
        and words[2] in ("helmrelease", "hr")
        and words[3] == name
        and "-n" in words
        and words[words.index("-n") + 1 :][:1] == [ns]
    )


def _named(text: str, name: str, ns: str) -> str:
    """A FIXES text with the release's NAME and NS filled in."""
    named = re.sub(r"\bNAME\b", lambda _: name, text)  # functions: a name is never read as a pattern
    return re.sub(r"\bNS\b", lambda _: ns, named)


def _commands(finding: Finding, name: str, ns: str) -> str:
    return "\n".join(line for line in finding.remediation.splitlines() if not _own_command(line, name, ns)).strip()


def release_plan(release: str, decision: Decision, facts: _Facts) -> list[PlanStep]:
    ns, _, name = release.partition("/")
    top = decision.primary
    labels = {f.label: f for f in decision.found}
    ordered = decision.order()
    steps: list[dict] = []

    if top.label == "evidence-gap":
        steps.append(
            dict(
                phase="collect",
                action=FIXES["evidence-gap"][0],
                commands=top.remediation,
                why=f"the bundle cannot tell why: {top.summary}",
                check=FIXES["evidence-gap"][1],
            )
        )
        return _numbered(release, steps)
    if top.label == "dependency-failed":
        up = top.upstream or "the dependency"
        steps.append(
            dict(
                phase="wait",
                action=f"Fix {up} first (its steps come before these); this release re-checks its dependency every 30s "
                f"and proceeds by itself",
                commands=f"flux get helmreleases -n {ns}",
                why=f"blocked by {up}, which really fails: nothing to change on {release} itself",
                check=f"{release} Ready=True once {up} is Ready",
            )
        )
        return _numbered(release, steps)

    # 1. Fix each cause, first cause first (consequences and status-only labels have none).
    for finding in ordered:
        label = finding.label
        if label not in FIXES or label in ("evidence-gap", "stuck-pending"):
            continue
        if label in GENERIC_ACTIONS and finding.id in decision.cause_of:
            continue  # an install/upgrade failure explained by a more specific cause: fixed with it
        if finding is top:
            cause = "the first cause"
        elif finding.id in decision.cause_of:
            cause = f"a consequence of {decision.cause_of[finding.id].label} that needs a fix of its own"
        else:
            cause = f"another cause found with {top.label}"
        action, check = FIXES[label]
        steps.append(
            dict(
                phase="fix",
                action=_named(action, name, ns),
                commands=_commands(finding, name, ns),
                why=f"{label} is {cause}: {finding.summary}",
                check=_named(check, name, ns),
            )
        )

    # 2. Unblock: unlock (by hand only where the controller never does it), then resume.
    if "stuck-pending" in labels:
        lock = labels["stuck-pending"]
        if facts.old_controller or lock is top:  # >= v0.37 unlocks by itself, unless it was seen not to
            steps.append(
                dict(
                    phase="unblock",
                    action=FIXES["stuck-pending"][0],
                    commands=_commands(lock, name, ns),
                    why=f"every action fails while the revision is pending: {lock.summary}",
                    check=_named(FIXES["stuck-pending"][1], name, ns),
                )
            )
    suspended = "suspended" in labels or bool(facts.info.get(release, {}).get("suspended"))
    if suspended:
        after = f" after {top.label}" if top.label != "suspended" else ""
        steps.append(
            dict(
                phase="unblock",
                action=f"Resume it{' now that the cause is fixed' if after else ' when the freeze is over'}: `flux "
                f"resume` also reconciles it at once",
                commands=f"flux resume helmrelease {name} -n {ns}",
                why=f"reconciliation is suspended{after}: nothing runs until it is resumed"
                + (", and resuming before the fix would repeat the failure" if after else ""),
                check=f"`flux get helmreleases -n {ns} {name}`: SUSPENDED False and a new reconcile"
                + (
                    ", the pending revision unlocked by the controller (`helm history`)"
                    if "stuck-pending" in labels and not facts.old_controller
                    else ""
                ),
            )
        )

    # 3. Reconcile (a resume already did, unless the retries must be reset).
    exhausted = "retries-exhausted" in labels
    if top.label in FIX_BY_RECONCILE:
        steps.append(
            dict(
                phase="reconcile",
                action="Reconcile it as its rule says: the release is in sync and only its status is old, so a one-off "
                "run rewrites it",
                commands=top.remediation,
                why=f"{top.label}: {top.summary}",
                check=f"`kubectl -n {ns} get helmrelease {name} -o yaml`: Ready describes the latest generation, "
                f"observedGeneration == generation",
            )
        )
    elif exhausted and facts.old_controller:
        steps.append(
            dict(
                phase="reconcile",
                action="Make a new state in Git (the chart version or a value): helm-controller <= v0.36 resets its "
                "failure count only then (it has no --reset)",
                commands=f"flux reconcile helmrelease {name} -n {ns}",
                why=f"the retries are used up: {labels['retries-exhausted'].summary}",
                check="a new install/upgrade attempt starts; Ready=True after it",
            )
        )
    elif exhausted:
        steps.append(
            dict(
                phase="reconcile",
                action="Reset the failure count and reconcile: nothing happens by itself once the retries are used up",
                commands=f"flux reconcile helmrelease {name} -n {ns} --reset",
                why=f"the retries are used up: {labels['retries-exhausted'].summary}",
                check=f"`flux get helmreleases -n {ns} {name}`: a new attempt, then Ready=True; `helm history {name} "
                f"-n {ns}` ends with a deployed revision",
            )
        )
    elif not suspended:
        source = " --with-source" if top.label == "chart-fetch" else ""
        unlock = (
            "; helm-controller >= v0.37 unlocks the pending revision itself on this reconcile"
            if "stuck-pending" in labels and labels["stuck-pending"] is not top and not facts.old_controller
            else ""
        )
        steps.append(
            dict(
                phase="reconcile",
                action=f"Reconcile it now rather than wait for its "
                f"interval{' (with its source, to fetch the chart again)' if source else ''}",
                commands=f"flux reconcile helmrelease {name} -n {ns}{source}",
                why=f"run the release again once {top.label} is fixed{unlock}",
                check=f"`flux get helmreleases -n {ns} {name}`: Ready=True; `helm history {name} -n {ns}` ends with a "
                f"deployed revision",
            )
        )
    return _numbered(release, steps)


def _numbered(release: str, steps: list[dict]) -> list[PlanStep]:
    return [PlanStep(order=i, release=release, **step) for i, step in enumerate(steps, 1)]


def bundle_plan(verdicts: list[Verdict]) -> list[PlanStep]:
    """Every release's plan in one order: a dependency's steps before its dependents' (the
    chains' first edges, in a topological order built with a queue, not recursion), a cause in
    the controller itself first, then the most severe, then by name; a cycle is entered at its
    first release in that order."""
    planned = {v.release: v for v in verdicts if v.plan}

    def order(release: str) -> tuple:
        verdict = planned[release]
        severity = -verdict.severity.rank if verdict.severity else 1  # the most severe first, none last
        return (verdict.primary not in CONTROLLER_WIDE, severity, release)

    priority = sorted(planned, key=order)
    position = {release: i for i, release in enumerate(priority)}
    waiting = {release: 0 for release in planned}
    dependents: dict[str, list[str]] = {}
    for v in planned.values():
        for link in v.chain[1:2]:
            if link.release in planned and link.release != v.release:
                waiting[v.release] += 1
                dependents.setdefault(link.release, []).append(v.release)
    ready = [(position[r], r) for r in priority if not waiting[r]]
    heapq.heapify(ready)
    done: list[str] = []
    placed: set[str] = set()
    next_free = 0  # where to look for a release to break a cycle with
    while len(done) < len(planned):
        if not ready:
            while priority[next_free] in placed:
                next_free += 1
            heapq.heappush(ready, (next_free, priority[next_free]))
        _, release = heapq.heappop(ready)
        if release in placed:
            continue
        placed.add(release)
        done.append(release)
        for dependent in dependents.get(release, []):
            waiting[dependent] -= 1
            if waiting[dependent] == 0 and dependent not in placed:
                heapq.heappush(ready, (position[dependent], dependent))
    steps = []
    for release in done:
        for step in planned[release].plan:
            steps.append(step.model_copy(update={"order": len(steps) + 1}))
    return steps
