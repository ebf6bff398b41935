"""The shipped samples: found labels equal the planted truth, and every citation holds its text."""

from __future__ import annotations

import json

import pytest

from .conftest import SAMPLES

SCENARIOS = sorted(p.stem for p in (SAMPLES / "truth").glob("*.json"))


def truth(name: str) -> dict[str, str | None]:
    return json.loads((SAMPLES / "truth" / f"{name}.json").read_text())["releases"]


def found_labels(analysis) -> dict[str, str | None]:
    return {v.release: v.primary for v in analysis.verdicts}


@pytest.mark.parametrize("name", SCENARIOS)
def test_labels_equal_the_planted_truth(name, analyses):
    analysis = analyses(SAMPLES / name).analysis
    assert found_labels(analysis) == truth(name)
    healthy = {r for r, label in truth(name).items() if label is None}
    assert not [f.id for f in analysis.findings if f.release in healthy], "a finding on a healthy release"
    assert all(r.status != "error" for r in analysis.rules)


def test_archive_and_folder_give_the_same_findings(analyses):
    folder = analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis
    archive = analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz").analysis
    assert archive.bundle.root.startswith("support-bundle-") and archive.bundle.layout == folder.bundle.layout == "troubleshoot"
    assert [f.model_dump() for f in archive.findings] == [f.model_dump() for f in folder.findings]
    assert [v.model_dump() for v in archive.verdicts] == [v.model_dump() for v in folder.verdicts]


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_citation_holds_its_excerpt(name, analyses):
    analysis = analyses(SAMPLES / name).analysis
    cited = 0
    for finding in analysis.findings:
        assert finding.evidence, finding.id
        for evidence in finding.evidence:
            lines = (SAMPLES / name / evidence.source).read_text(encoding="utf-8").split("\n")
            assert evidence.line and 1 <= evidence.line <= len(lines), (finding.id, evidence)
            text = evidence.excerpt.removesuffix("…")
            assert text and text in lines[evidence.line - 1], (finding.id, evidence.source, evidence.line, text)
            cited += 1
    assert cited >= len(analysis.findings)


def test_the_upgrade_is_placed_on_the_timeline(analyses):
    result = analyses(SAMPLES / "upgrade-2.1-to-2.2")
    upgrade = result.analysis.upgrades[0]
    assert upgrade.to_version == "v0.37.2"
    assert upgrade.at.isoformat().startswith("2024-01-15T09:02")
    assert result.timeline.filter(result.timeline["reason"] == "ControllerUpgrade").height == 1
