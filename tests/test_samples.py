"""The shipped samples: found labels equal the planted truth, and every citation holds its text."""

from __future__ import annotations

import json

import pytest

from .conftest import SAMPLES

SCENARIOS = sorted(p.stem for p in (SAMPLES / "truth").glob("*.json"))


def truth(name: str) -> dict[str, dict | None]:
    """release -> None (healthy) or {"primary": label, "labels": [every label expected]}."""
    planted = json.loads((SAMPLES / "truth" / f"{name}.json").read_text())["releases"]
    return {
        r: (None if v is None else v if isinstance(v, dict) else {"primary": v, "labels": [v]})
        for r, v in planted.items()
    }


@pytest.mark.parametrize("name", SCENARIOS)
def test_primary_verdicts_equal_the_planted_truth(name, analyses):
    analysis = analyses(SAMPLES / name).analysis
    expected = {r: (v["primary"] if v else None) for r, v in truth(name).items()}
    assert {v.release: v.primary for v in analysis.verdicts} == expected
    assert all(r.status != "error" for r in analysis.rules), [r for r in analysis.rules if r.status == "error"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_no_missed_and_no_extra_label(name, analyses):
    analysis = analyses(SAMPLES / name).analysis
    found: dict[str, set[str]] = {}
    for finding in analysis.findings:
        found.setdefault(finding.release, set()).add(finding.label)
    expected = {r: set(v["labels"]) for r, v in truth(name).items() if v}
    assert found == expected


def test_archive_and_folder_give_the_same_findings(analyses):
    folder = analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis
    archive = analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz").analysis
    assert (
        archive.bundle.root.startswith("support-bundle-")
        and archive.bundle.layout == folder.bundle.layout == "troubleshoot"
    )
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
