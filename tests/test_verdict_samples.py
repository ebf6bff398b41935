"""Verdicts on the shipped samples: the alternatives ruled out with their evidence, and the
remediation plan step by step in every output format."""

from __future__ import annotations

import json
import re

import pytest

from forensics import plan
from forensics.report import render

from .conftest import SAMPLES


def reason(verdict, label: str) -> str:
    return next(r.reason for r in verdict.ruled_out if r.label == label)


# ---------------------------------------------------------------------------------------------
# The samples: ruled-out alternatives with evidence, and the remediation plan step by step


def test_v1_controller_crash_plan_fixes_the_cause_then_resumes_and_never_forces(analyses):
    analysis = analyses(SAMPLES / "v1-controller-crash").analysis
    steps = [(s.release, s.phase, s.commands.splitlines()[-1] if s.commands else "") for s in analysis.plan]
    assert steps == [
        ("monitoring/kube-prometheus-stack", "fix", "helm history kube-prometheus-stack -n monitoring"),
        ("monitoring/kube-prometheus-stack", "unblock", "flux resume helmrelease kube-prometheus-stack -n monitoring"),
        (
            "apps/keycloak",
            "fix",
            "# helm-controller <= v1.0 never adopts: Flux >= 2.4 (helm-controller v1.1.0) takes ownership by default",
        ),
        ("apps/keycloak", "reconcile", "flux reconcile helmrelease keycloak -n apps"),
        ("apps/orders", "fix", ""),
        ("apps/orders", "fix", ""),
        ("apps/orders", "reconcile", "flux reconcile helmrelease orders -n apps --reset"),
        (
            "apps/reporting",
            "collect",
            "forensics collect --script > collect.sh && sh collect.sh evidence  # collect every part, then: forensics analyze evidence",
        ),
    ]
    first = analysis.plan[0]
    assert "resources.limits.memory" in first.action and "OOMKilled" in first.why and "OOMKilled" in first.check
    assert "resuming before the fix would repeat the failure" in analysis.plan[1].why
    text = "\n".join(f"{s.action}\n{s.commands}\n{s.why}\n{s.check}" for s in analysis.plan)
    assert "--force" not in "\n".join(
        s.commands for s in analysis.plan
    )  # not for an ownership conflict, not for a failing migration Job
    assert "upgradeTo" not in text
    assert all(s.why and s.check for s in analysis.plan)
    orders = analysis.verdict("apps/orders")
    assert "job orders-db-migrate failed" in orders.plan[0].why and "a fix of its own" in orders.plan[1].why


def test_v1_controller_crash_verdicts_rule_out_with_evidence(analyses):
    analysis = analyses(SAMPLES / "v1-controller-crash").analysis
    kps = analysis.verdict("monitoring/kube-prometheus-stack")
    assert (kps.primary, kps.suspended) == ("controller-restart", True)
    assert [(r.label, r.reason.split(":")[0]) for r in kps.ruled_out] == [
        ("stuck-pending", "a consequence of controller-restart (HC001)"),
        ("suspended", "a consequence of controller-restart (HC001)"),
    ]
    keycloak = analysis.verdict("apps/keycloak")
    restart = next(r for r in keycloak.ruled_out if r.label == "controller-restart")
    assert (
        restart.finding is None
        and restart.evidence
        and all(e.source == "cluster-resources/pods/flux-system.json" for e in restart.evidence)
    )


def test_upgrade_sample_rules_out_the_drift_and_the_real_block(analyses):
    analysis = analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz").analysis
    frontend = analysis.verdict("apps/frontend")
    assert frontend.primary == "dependency-stale"
    assert reason(frontend, "drift").startswith(
        "drift can cause dependency-stale, but its first sign (2024-01-15 09:04:13Z) came after"
    )
    real = next(r for r in frontend.ruled_out if r.label == "dependency-failed")
    assert real.reason.startswith("apps/backend is Ready=True (UpgradeSucceeded) from 2024-01-15 09:03:48Z")
    assert real.evidence[0].source.endswith("helmreleases.helm.toolkit.fluxcd.io/apps.json")
    phases = [(s.phase, s.commands.splitlines()[-1]) for s in frontend.plan]
    assert (
        phases[0][0] == "fix" and "driftDetection" in frontend.plan[0].commands
    )  # the loop stopped before the forced reconcile
    assert (
        frontend.plan[1].phase == "reconcile"
        and "flux reconcile helmrelease frontend -n apps --force" in frontend.plan[1].commands
    )
    order = [s.release for s in analysis.plan]
    assert order.index("infra/cert-manager") < order.index("apps/worker")  # the dependency before its dependent


def test_dependency_chain_sample_plans_the_upstream_first(analyses):
    analysis = analyses(SAMPLES / "v037-failures").analysis
    worker = analysis.verdict("apps/payment-worker")
    assert [link.release for link in worker.chain] == ["apps/payment-worker", "apps/payment-gateway"]
    assert reason(worker, "dependency-stale").startswith(
        "apps/payment-gateway really is not Ready: Ready=False (HelmChartNotReady) from"
    )
    order = [(s.release, s.phase) for s in analysis.plan]
    assert (
        order.index(("apps/payment-gateway", "fix"))
        < order.index(("apps/payment-gateway", "reconcile"))
        < order.index(("apps/payment-worker", "wait"))
    )
    gateway = analysis.verdict("apps/payment-gateway")
    assert gateway.plan[-1].commands == "flux reconcile helmrelease payment-gateway -n apps --with-source"
    search = analysis.verdict("apps/search-api")
    assert (search.primary, search.plan[-1].commands) == (
        "timeout",
        "flux reconcile helmrelease search-api -n apps --reset",
    )


def test_v036_retries_are_reset_by_a_new_state_not_a_flag(analyses):
    analysis = analyses(SAMPLES / "v036-failures").analysis
    recommender = analysis.verdict("apps/recommender")
    assert recommender.primary == "timeout"
    assert (
        recommender.plan[-1].action.startswith("Make a new state in Git")
        and "--reset" not in recommender.plan[-1].commands
    )
    cart = analysis.verdict("apps/cart")
    assert [s.phase for s in cart.plan] == ["unblock", "reconcile"] and "helm rollback cart" in cart.plan[0].commands


@pytest.mark.parametrize(
    "name",
    [
        "upgrade-2.1-to-2.2.tar.gz",
        "ticket-flux-get-hr",
        "v036-failures",
        "v037-failures",
        "v1-controller-crash",
        "healthy-control",
    ],
)
def test_force_only_where_it_is_the_fix(name, analyses):
    analysis = analyses(SAMPLES / name).analysis
    for step in analysis.plan:
        forced = any(line.startswith("flux reconcile") and "--force" in line for line in step.commands.splitlines())
        if forced:
            assert analysis.verdict(step.release).primary in plan.FIX_BY_RECONCILE, step
        assert "upgradeTo" not in step.commands + step.action + step.why


def test_confidence_says_what_it_rests_on(analyses):
    crash = analyses(SAMPLES / "v1-controller-crash").analysis.verdict("apps/orders")
    assert crash.confidence.value == "high"
    assert re.match(
        r"high: HR002 is high \(.+\); cited from 3 file\(s\) .+ of full HelmRelease objects; helm-controller v1\.0\.1$",
        crash.confidence_reason,
    )
    pasted = analyses(SAMPLES / "ticket-flux-get-hr").analysis.verdict("apps/frontend")
    assert (
        pasted.confidence.value == "medium"
        and "of a pasted" in pasted.confidence_reason
        and "controller version unknown" in pasted.confidence_reason
    )
    drift = analyses(SAMPLES / "v037-failures").analysis.verdict("apps/web-frontend")
    assert (
        drift.confidence.value == "high"
        and "cited from 2 file(s) (events.yaml, helm-controller.log)" in drift.confidence_reason
    )
    migrated = analyses(SAMPLES / "cases" / "MG001" / "fires-v2beta1-status-new-controller").analysis.verdict(
        "bad/nginx"
    )
    assert migrated.confidence.value == "medium" and migrated.confidence_reason.endswith(
        "lowered because a single file cites it"
    )


def test_every_format_shows_the_ruled_out_alternatives_and_the_plan(analyses):
    analysis = analyses(SAMPLES / "v1-controller-crash").analysis
    data = json.loads(render(analysis, "json"))
    orders = next(v for v in data["verdicts"] if v["release"] == "apps/orders")
    assert [r["label"] for r in orders["ruled_out"]][:2] == ["rollback-failed", "retries-exhausted"] and orders[
        "ruled_out"
    ][0]["evidence"][0]["line"]
    assert [s["phase"] for s in data["plan"]][:2] == ["fix", "unblock"]
    md = render(analysis, "md")
    resolution = md.split("## Resolution")[1].split("## Detection")[0]
    assert resolution.index("flux resume helmrelease kube-prometheus-stack") < resolution.index(
        "flux reconcile helmrelease orders -n apps --reset"
    )
    assert "# raise helm-controller's memory limit" in resolution  # the comments are kept
    assert "Ruled out:" in md and "- rollback-failed (HR003:apps/orders): a consequence of upgrade-failed" in md
    html = render(analysis, "html")
    assert "<h4>Ruled out</h4>" in html and 'id="plan"' in html and "a consequence of upgrade-failed (HR002)" in html


def test_the_terminal_prints_every_line_of_a_step(analyses):
    from io import StringIO

    from rich.console import Console

    from forensics.report.terminal import print_timeline

    run = analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz")
    out = StringIO()
    print_timeline(run.analysis, run.timeline, "apps/frontend", 5, Console(file=out, width=400))
    text = out.getvalue()
    assert "fix, in this order:" in text
    for line in (
        run.analysis.verdict("apps/frontend").plan[0].commands.splitlines()
    ):  # the YAML snippet, comments included
        assert line in text
    assert text.index("1. [fix]") < text.index("2. [reconcile]")
