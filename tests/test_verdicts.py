"""Verdicts that reason: the first cause from the declared cause -> effect table and the times,
the alternatives ruled out, the remediation plan in order, the chain walked iteratively, and a
confidence that says what it rests on."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone

import polars as pl
import pytest

from forensics import causes, verdicts
from forensics.model import LABELS, Evidence, Finding
from forensics.report import graph, render


T0 = datetime(2024, 6, 12, 10, 0, tzinfo=timezone.utc)


def finding(
    label: str,
    minute: float | None = None,
    *,
    release: str = "apps/web",
    upstream: str | None = None,
    until: float | None = None,
    severity: str = "error",
    confidence: str = "high",
    cited_from: float | None = None,
    source: str = "hr.yaml",
) -> Finding:
    """A hand-made finding: `minute` after T0 is when the rule says it began, `cited_from` its earliest cited line."""
    at = None if minute is None else T0 + timedelta(minutes=minute)
    end = at if until is None else T0 + timedelta(minutes=until)
    cited = at if cited_from is None else T0 + timedelta(minutes=cited_from)
    rule = f"T{LABELS.index(label):03d}"
    return Finding(
        id=f"{rule}:{release}",
        rule=rule,
        name=label,
        label=label,
        release=release,
        severity=severity,
        confidence=confidence,
        summary=f"{label} of {release}",
        first_ts=at,
        last_ts=end,
        upstream=upstream,
        evidence=[
            Evidence(source=source, line=10 + i, ts=t, excerpt=label)
            for i, t in enumerate(dict.fromkeys([cited, at, end]))
        ],
    )


def judge(*found: Finding, **facts):
    releases = sorted({f.release for f in found})
    return {v.release: v for v in verdicts.build(pl.DataFrame({"release": releases}), list(found), **facts)}


def one(*found: Finding, **facts):
    return judge(*found, **facts)["apps/web"]


def reason(verdict, label: str) -> str:
    return next(r.reason for r in verdict.ruled_out if r.label == label)


# ---------------------------------------------------------------------------------------------
# The declared table


def test_the_table_in_the_docstring_is_the_table_in_the_code():
    rows = re.findall(r"^\| ([^|]+) \| ([^|]+) \|$", verdicts.__doc__, flags=re.M)
    documented: dict[str, set[str]] = {label: set() for label in LABELS}
    for cause, effects in rows[1:]:  # after the header
        effects = {e.strip() for e in effects.split("(")[0].split(",")}
        if cause.startswith("every label"):
            but = {x.strip() for x in cause.removeprefix("every label but").replace(" and ", ", ").split(",")}
            for label in documented:
                if label not in but:
                    documented[label] |= effects
        else:
            documented[cause.strip()] |= effects
    assert documented == {label: set(effects) for label, effects in causes.CAUSES.items()}


def test_the_table_has_no_cycle():
    # an iterative topological sort empties the table only when it has no cycle
    remaining = {label: set(effects) for label, effects in causes.CAUSES.items()}
    while remaining:
        sinks = [label for label, effects in remaining.items() if not effects & set(remaining)]
        assert sinks, f"cycle among {sorted(remaining)}"
        for label in sinks:
            del remaining[label]


def test_consequences_are_never_causes_of_what_caused_them():
    assert "retries-exhausted" not in causes.caused_by("timeout")
    assert causes.can_cause("evidence-gap") == ()
    assert "suspended" in causes.can_cause("timeout") and "timeout" not in causes.can_cause("suspended")
    for label in LABELS:  # every label is placed in the table
        assert causes.can_cause(label) or causes.caused_by(label)


# ---------------------------------------------------------------------------------------------
# Cause before effect: every declared pair, both ways in time


PAIRS = sorted((cause, effect) for cause, effects in causes.CAUSES.items() for effect in effects)


@pytest.mark.parametrize("cause, effect", PAIRS, ids=[f"{c}->{e}" for c, e in PAIRS])
def test_a_cause_that_shows_first_is_primary_over_its_effect(cause, effect):
    verdict = one(finding(effect, 3), finding(cause, 0))
    assert verdict.primary == cause
    assert reason(verdict, effect).startswith(f"a consequence of {cause}")
    assert verdict.ruled_out[0].evidence, "the rejected alternative cites its lines"


@pytest.mark.parametrize("cause, effect", PAIRS, ids=[f"{c}->{e}" for c, e in PAIRS])
def test_a_cause_that_shows_only_after_the_effect_began_is_not_its_cause(cause, effect):
    verdict = one(finding(effect, 0), finding(cause, 30))
    if effect in causes.MOMENTS:  # a restart over before the other began is an earlier, resolved incident
        assert verdict.primary == cause and reason(verdict, effect).startswith("an earlier incident")
        return
    assert verdict.primary == effect
    assert "came after" in reason(verdict, cause)


@pytest.mark.parametrize("cause, effect", PAIRS[:: max(1, len(PAIRS) // 12)])
def test_without_times_the_table_decides(cause, effect):
    assert one(finding(effect), finding(cause)).primary == cause


# Pairs seen together in real incidents, written out with the primary they must give.
CASES = [
    # (findings as (label, minute), expected primary, why)
    ([("timeout", 0), ("retries-exhausted", 0)], "timeout", "the timeouts used the retries up"),
    (
        [("immutable-field", 0), ("upgrade-failed", 0), ("retries-exhausted", 5)],
        "immutable-field",
        "the rejected patch failed every upgrade",
    ),
    ([("values-schema", 0), ("upgrade-failed", 0)], "values-schema", "the schema error is what failed the upgrade"),
    (
        [("render-failed", 0), ("install-failed", 0), ("retries-exhausted", 1)],
        "render-failed",
        "a template error fails the install",
    ),
    (
        [("ownership-conflict", 0), ("install-failed", 0)],
        "ownership-conflict",
        "an object Helm will not adopt fails the install",
    ),
    ([("api-removed", 0), ("rollback-failed", 2)], "api-removed", "the rollback meets the same removed API"),
    ([("release-missing", 0), ("upgrade-failed", 0)], "release-missing", "no deployed release to upgrade"),
    (
        [("crd-mismatch", 0), ("controller-restart", 1), ("stuck-pending", 1)],
        "crd-mismatch",
        "missing CRDs crash the controller",
    ),
    (
        [("health-check-canceled", 0), ("retries-exhausted", 0)],
        "health-check-canceled",
        "a canceled check counts as a failure",
    ),
    (
        [("test-failed", 0), ("rollback-failed", 0), ("retries-exhausted", 0)],
        "test-failed",
        "the failed test triggered the rollback",
    ),
    (
        [("upgrade-failed", 0), ("rollback-failed", 0), ("retries-exhausted", 0)],
        "upgrade-failed",
        "v1-controller-crash apps/orders",
    ),
    ([("stuck-pending", 0), ("upgrade-failed", 5)], "stuck-pending", "a lock fails every later upgrade"),
    (
        [("upgrade-failed", 0), ("suspended", 20)],
        "upgrade-failed",
        "suspended after the failure: the failure stays the cause",
    ),
    ([("suspended", 0), ("migration-skip", 5)], "suspended", "a suspended release keeps its old status shape"),
    ([("chart-fetch", 0), ("stale-status", 0)], "chart-fetch", "a stale status is a consequence"),
    (
        [("dependency-missing", 0), ("evidence-gap", 0)],
        "dependency-missing",
        "an evidence gap is never primary next to a cause",
    ),
    (
        [("dependency-failed", 0), ("evidence-gap", 0)],
        "dependency-failed",
        "an evidence gap is never primary next to a cause",
    ),
    (
        [("drift", 0), ("dependency-stale", 5)],
        "drift",
        "a correction loop that ran first keeps the block from clearing",
    ),
    (
        [("dependency-stale", 0), ("drift", 1)],
        "dependency-stale",
        "the block came first; the loop only keeps it (upgrade-2.1-to-2.2)",
    ),
    ([("test-failed", 0), ("values-missing", 60)], "test-failed", "independent: the earlier one is the first cause"),
    ([("drift", 0), ("timeout", 30)], "drift", "independent: the earlier one is the first cause"),
]


@pytest.mark.parametrize("found, expected, why", CASES, ids=[c[2] for c in CASES])
def test_co_occurring_labels(found, expected, why):
    verdict = one(*(finding(label, minute) for label, minute in found))
    assert verdict.primary == expected, why
    assert {r.label for r in verdict.ruled_out} >= {label for label, _ in found} - {expected}
    assert all(r.reason for r in verdict.ruled_out)


def test_a_resolved_restart_is_not_the_primary_of_a_later_independent_failure():
    """The lock left by the crash was released after the restart; the upgrade failed later on its own hook."""
    crash = finding("controller-restart", 0, cited_from=-1)
    failed = finding("upgrade-failed", 30)
    verdict = one(crash, failed)
    assert verdict.primary == "upgrade-failed"
    assert reason(verdict, "controller-restart").startswith(
        "an earlier incident, over at 2024-06-12 10:00:00Z before upgrade-failed began at 2024-06-12 10:30:00Z"
    )
    # with the lock still held the crash is the first cause of everything after it
    assert one(crash, finding("stuck-pending", -0.5), failed).primary == "controller-restart"


def test_a_crash_is_the_cause_of_the_lock_although_the_pending_revision_was_written_before_it():
    """v1-controller-crash: the pending revision is stamped when the upgrade starts (13:13:55), the
    OOM kill comes later (13:14:31); the crash's finding cites the upgrade it interrupted."""
    crash = finding("controller-restart", 0.6, cited_from=0.003)
    lock = finding("stuck-pending", 0)
    suspended = finding("suspended", 1.3)
    verdict = one(lock, suspended, crash)
    assert verdict.primary == "controller-restart" and verdict.suspended
    assert verdict.findings == [crash.id, lock.id, suspended.id]
    assert reason(verdict, "suspended").startswith("a consequence of controller-restart")
    assert "suspended afterwards" in verdict.summary


def test_ties_without_times_fall_to_severity_then_confidence():
    verdict = one(finding("drift", severity="warning"), finding("values-missing"))
    assert verdict.primary == "values-missing"
    assert "is more severe (error)" in reason(verdict, "drift")
    assert verdict.confidence.value == "medium" and "no time orders it" in verdict.confidence_reason


# ---------------------------------------------------------------------------------------------
# Unexplained, chains, and the iterative walk


def test_unexplained_is_decided_in_the_verdict():
    releases = pl.DataFrame(
        {
            "release": ["apps/a", "apps/b"],
            "ready_status": ["False", "True"],
            "ready_reason": ["InstallFailed", None],
            "ready_message": ["boom", "ok"],
        }
    )
    a, b = verdicts.build(releases, [])
    assert (a.unexplained, a.healthy, a.label) == (True, False, "unexplained")
    assert (b.unexplained, b.healthy, b.label) == (False, True, "healthy")


def test_the_chain_follows_the_upstream_field_not_the_text():
    found = [
        finding("chart-fetch", 0, release="apps/c"),
        finding("dependency-failed", 1, release="apps/b", upstream="apps/c"),
        finding("dependency-failed", 2, release="apps/a", upstream="apps/b"),
    ]
    found[2] = found[2].model_copy(
        update={"summary": "blocked by dependency 'apps/zzz', which is not Ready"}
    )  # text that lies
    judged = judge(*found)
    assert [(link.release, link.label, link.relation) for link in judged["apps/a"].chain] == [
        ("apps/a", "dependency-failed", ""),
        ("apps/b", "dependency-failed", "depends on"),
        ("apps/c", "chart-fetch", "depends on"),
    ]
    plan = verdicts.bundle_plan(list(judged.values()))
    assert [(s.release, s.phase) for s in plan] == [
        ("apps/c", "fix"),
        ("apps/c", "reconcile"),
        ("apps/b", "wait"),
        ("apps/a", "wait"),
    ]
    assert [s.order for s in plan] == [1, 2, 3, 4]
    assert plan[2].action.startswith("Fix apps/c first")


def test_a_cycle_is_named_where_it_closes():
    found = [finding("dependency-failed", 0, release=f"apps/r{i}", upstream=f"apps/r{(i + 1) % 3}") for i in range(3)]
    chain = judge(*found)["apps/r0"].chain
    assert [(link.release, link.relation) for link in chain] == [
        ("apps/r0", ""),
        ("apps/r1", "depends on"),
        ("apps/r2", "depends on"),
        ("apps/r0", "dependency cycle"),
    ]


@pytest.mark.parametrize("length, cycle", [(3000, False), (1500, True)])
def test_long_chains_and_cycles_are_walked_without_recursion_and_cut(length, cycle):
    found = [finding("chart-fetch", 0, release="apps/r0")] if not cycle else []
    found += [
        finding("dependency-failed", 1, release=f"apps/r{i}", upstream=f"apps/r{(i - 1) % length}")
        for i in range(0 if cycle else 1, length)
    ]
    judged = verdicts.build(pl.DataFrame({"release": [f.release for f in found]}), found)
    assert max(len(v.chain) for v in judged) == verdicts.MAX_CHAIN + 1
    assert sum(len(v.chain) for v in judged) <= length * (verdicts.MAX_CHAIN + 1)
    assert next(v for v in judged if v.release == f"apps/r{length - 1}").chain[-1].relation == "chain cut"
    plan = verdicts.bundle_plan(judged)
    assert len(plan) == sum(len(v.plan) for v in judged)


def _dependency_bundle(folder, length: int, cycle: bool):
    """HelmReleases in one `kubectl get hr -A -o json` list: r<i> dependsOn r<i-1> (r0 on the last one in a cycle)."""
    items = []
    for i in range(length):
        dep = f"r{i - 1}" if i else (f"r{length - 1}" if cycle else None)
        message = (
            f"dependency 'apps/{dep}' is not ready"
            if dep
            else "Helm install failed for release apps/r0 with chart c@1.0.0: boom"
        )
        items.append(
            {
                "apiVersion": "helm.toolkit.fluxcd.io/v2",
                "kind": "HelmRelease",
                "metadata": {"name": f"r{i}", "namespace": "apps", "generation": 1},
                "spec": {
                    "interval": "10m",
                    **({"dependsOn": [{"name": dep}]} if dep else {}),
                    "chart": {"spec": {"chart": "c", "sourceRef": {"kind": "HelmRepository", "name": "repo"}}},
                },
                "status": {
                    "observedGeneration": 1,
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "False",
                            "reason": "DependencyNotReady" if dep else "InstallFailed",
                            "message": message,
                            "lastTransitionTime": "2024-01-15T09:00:00Z",
                            "observedGeneration": 1,
                        }
                    ],
                },
            }
        )
    (folder / "helmreleases.json").write_text(json.dumps({"apiVersion": "v1", "kind": "List", "items": items}))
    return folder


@pytest.mark.parametrize("length, cycle", [(3000, False), (1500, True)], ids=["chain-3000", "cycle-1500"])
def test_a_hostile_dependency_graph_is_reported_not_recursed(tmp_path, length, cycle):
    """issue 22: a 3,000-long dependsOn chain or a 1,500-long cycle raised RecursionError (the HTML
    graph) and wrote JSON quadratic in the chain; both outputs now grow with the input only."""
    import forensics

    folder = _dependency_bundle(tmp_path, length, cycle)
    analysis = forensics.analyze(str(folder))
    size = (folder / "helmreleases.json").stat().st_size
    assert len(render(analysis, "json")) < 20 * size
    drawn = graph.dependency_graph(analysis, lambda name: name)  # the HTML report's graph (where the recursion was)
    assert (
        len(drawn["nodes"]) == length
        and drawn["width"] <= 20 + graph.GRAPH_MAX_DEPTH * graph.GRAPH_COL + graph.GRAPH_NODE_W + 10
    )
    blocked = [v for v in analysis.verdicts if v.primary == "dependency-failed"]
    assert len(blocked) >= length - 1
    assert max(len(v.chain) for v in analysis.verdicts) <= verdicts.MAX_CHAIN + 1


def test_a_restart_is_over_when_it_happened_even_if_later_terminations_are_cited():
    """HC001 cites every termination of the controller; the one that interrupted this release is its time."""
    crash = finding("controller-restart", 0, until=50, cited_from=-1)
    assert one(crash, finding("upgrade-failed", 30)).primary == "upgrade-failed"


def test_findings_with_and_without_times_are_ordered_together():
    verdict = one(finding("suspended"), finding("retries-exhausted", 2), finding("timeout", 0), finding("stale-status"))
    assert verdict.primary == "timeout"
    assert verdict.findings[0] == "T011:apps/web" and len(verdict.findings) == 4


def test_times_at_the_edges_of_the_calendar_do_not_sink_the_verdict():
    low, high = datetime(1, 1, 1, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
    crash = finding("controller-restart", 0).model_copy(update={"first_ts": low, "last_ts": low, "evidence": []})
    lock = finding("stuck-pending", 0).model_copy(update={"first_ts": high, "last_ts": high, "evidence": []})
    restart = verdicts.ControllerRestart(controller="helm-controller", at=low)
    verdict = one(
        crash,
        lock,
        finding("upgrade-failed", 0).model_copy(update={"first_ts": high}),
        restarts=[restart],
        window_end=high,
    )
    assert verdict.primary == "controller-restart" and verdict.plan
