"""Every rule against its cases: samples/cases/<ID>/fires-*/ must fire, quiet-*/ must not.

Convention: in a case, the releases a rule must fire on live in namespace `bad`; everything
else lives in `good`. A fires case passes when the rule fires on every `bad` release and on
nothing else; a quiet case passes when the rule does not fire at all.
"""

from __future__ import annotations

import pytest

from forensics.rules import RULES

from ..conftest import SAMPLES

CASES = sorted(p for p in (SAMPLES / "cases").glob("*/*") if p.is_dir())


def _bad_releases(analysis) -> set[str]:
    return {v.release for v in analysis.verdicts if v.release.startswith("bad/")}


@pytest.mark.parametrize("case", CASES, ids=[f"{c.parent.name}/{c.name}" for c in CASES])
def test_case(case, analyses):
    rule_id = case.parent.name
    assert rule_id in {r.id for r in RULES}, f"cases for an unregistered rule {rule_id}"
    analysis = analyses(case).analysis
    fired = {f.release for f in analysis.findings if f.rule == rule_id}
    statuses = {r.rule: r.status for r in analysis.rules}
    assert statuses[rule_id] != "error", [r.reason for r in analysis.rules if r.rule == rule_id]
    if case.name.startswith("fires-"):
        bad = _bad_releases(analysis)
        assert bad, "a fires case needs a release in namespace `bad`"
        assert fired == bad
    else:
        assert case.name.startswith("quiet-")
        assert fired == set()
