"""Build the small per-rule cases in samples/cases/<RULE>/{fires,quiet}-*/ (deterministic).

Each case is a loose folder as an SRE would save it: `helmreleases.yaml` (`kubectl get hr -A
-o yaml`), `events.yaml` (`kubectl get events -A -o yaml`), `helm-controller.log` (`kubectl
logs`), `flux-system-pods.yaml`. Releases a rule must fire on live in namespace `bad`, the
others in `good` (tests/rules/test_cases.py). Every controller string is taken from
../shared/reference/helm-controller.md (section noted in comments).

The cases are built by rule family in samples/rule_cases/ (common.py: the shared builders).

Run: python samples/make_cases.py   (the MG001, ST001 and DP001 cases are hand-written files)
"""

from __future__ import annotations

import shutil

from rule_cases.common import CASES, GENERATED, failed, healthy
from rule_cases.helm_actions import build_helm_actions
from rule_cases.inputs import build_inputs
from rule_cases.runtime import build_runtime
from rule_cases.v1_helm import build_catalog
from rule_cases.v1_state import build_catalog_state


def build() -> None:
    for rule in GENERATED:
        shutil.rmtree(CASES / rule, ignore_errors=True)
    up = "Helm upgrade failed for release bad/{0} with chart {0}@{1}: {2}"  # §3.2 UpgradeFailed format

    build_inputs(up)
    build_helm_actions(up)
    build_runtime(up)
    build_catalog(up, healthy, failed)
    build_catalog_state(up, healthy, failed)


if __name__ == "__main__":
    build()
