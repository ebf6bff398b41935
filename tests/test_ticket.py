"""A support ticket's pastes, analysed without flags: `flux get hr`, `kubectl describe hr`,
a `kubectl get events` table and a few `kubectl logs --timestamps` lines; the finding cites
lines of each."""

from __future__ import annotations

import json

import forensics

from .conftest import ROOT

CTX = {"controller": "helmrelease", "controllerGroup": "helm.toolkit.fluxcd.io", "controllerKind": "HelmRelease"}


def log_line(kubelet_ts: str, ts: str, msg: str) -> str:
    record = {
        "level": "info",
        "ts": ts,
        "msg": msg,
        **CTX,
        "HelmRelease": {"name": "frontend", "namespace": "apps"},
        "namespace": "apps",
        "name": "frontend",
        "reconcileID": "9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d",
    }
    return f"{kubelet_ts} {json.dumps(record, separators=(',', ':'))}"


def test_ticket_folder(tmp_path):
    (tmp_path / "describe-frontend.txt").write_bytes(
        (ROOT / "tests" / "corpus" / "describe" / "frontend.txt").read_bytes()
    )
    (tmp_path / "flux-get-hr.txt").write_text(
        "NAMESPACE\tNAME    \tREVISION\tSUSPENDED\tREADY\tMESSAGE                                                                    \t\n"
        "apps     \tbackend \t1.4.0   \tFalse    \tTrue \tHelm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0\t\n"
        "apps     \tfrontend\t2.3.1   \tFalse    \tFalse\tdependency 'apps/backend' is not ready                                    \t\n"
    )
    (tmp_path / "events.txt").write_text(
        "NAMESPACE   LAST SEEN   TYPE      REASON          OBJECT                  MESSAGE\n"
        "apps        2m          Warning   DriftDetected   helmrelease/frontend    Cluster state of release apps/frontend.v12 has drifted from the desired state: Deployment/apps/frontend changed (0 additions, 1 changes, 0 removals)\n"
    )
    (tmp_path / "helm-controller.log").write_text(
        "\n".join(
            [
                log_line("2024-01-15T09:03:12.415612207Z", "2024-01-15T09:03:12.415Z", "checking 1 dependencies"),
                log_line(
                    "2024-01-15T09:03:12.416024930Z",
                    "2024-01-15T09:03:12.416Z",
                    "dependencies do not meet ready condition (dependency 'apps/backend' is not ready): retrying in 30s",
                ),
                log_line("2024-01-15T09:04:12.533871001Z", "2024-01-15T09:04:12.533Z", "all dependencies are ready"),
                log_line(
                    "2024-01-15T09:04:13.102558310Z",
                    "2024-01-15T09:04:13.102Z",
                    "detected changes in cluster state: removed: 0, changed: 1, excluded: 0",
                ),
                log_line(
                    "2024-01-15T09:04:13.140003771Z",
                    "2024-01-15T09:04:13.140Z",
                    "running 'correct cluster drift' action with timeout of 5m0s",
                ),
            ]
        )
        + "\n"
    )
    analysis = forensics.analyze(str(tmp_path))
    parsers = {item.path: item.parser for item in analysis.inventory}
    assert parsers == {
        "describe-frontend.txt": "kubectl-describe-hr",
        "flux-get-hr.txt": "flux-get-hr-table",
        "events.txt": "event-table",
        "helm-controller.log": "kubectl-timestamps-log",
    }
    finding = next(f for f in analysis.findings if f.release == "apps/frontend" and f.label == "dependency-stale")
    assert finding.confidence.value == "high"
    assert {e.source for e in finding.evidence} == set(parsers)
    assert analysis.verdict("apps/frontend").primary == "dependency-stale"
    assert analysis.verdict("apps/backend").healthy
