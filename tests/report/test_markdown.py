"""The Markdown draft a commander can paste (issue 19, item 6): a summary of two or three
sentences from trigger to impact, one line per affected release, the healthy ones counted,
the cited lines folded in <details>."""

from __future__ import annotations

import re

import pytest

from forensics.report import render

from ..conftest import SAMPLES


def _summary(markdown: str) -> str:
    return markdown.split("## Summary\n")[1].split("\n## ")[0]


@pytest.mark.parametrize(
    "sample", ["upgrade-2.1-to-2.2.tar.gz", "v1-controller-crash", "v037-failures", "healthy-control"]
)
def test_the_summary_ties_trigger_to_impact_and_lists_each_affected_release_once(analyses, sample):
    analysis = analyses(SAMPLES / sample).analysis
    summary = _summary(render(analysis, "md"))
    story = summary.strip().split("\n\n")[0]
    assert 1 <= len(re.findall(r"[.?!](?:\s|$)", story)) <= 3, story
    broken = [v for v in analysis.verdicts if not v.healthy]
    healthy = [v for v in analysis.verdicts if v.healthy]
    bullets = [line for line in summary.splitlines() if line.startswith("- ")]
    assert [line.split("**")[1] for line in bullets] == sorted(
        (v.release for v in broken), key=lambda r: ([v for v in broken if v.release == r][0].severity.rank * -1, r)
    )
    for verdict in broken:
        line = next(line for line in bullets if line.startswith(f"- **{verdict.release}**"))
        assert verdict.label in line and (verdict.summary or "")[:40] in line.replace("\\", "")
    for verdict in healthy:
        assert not any(line.startswith(f"- **{verdict.release}**") for line in bullets)  # counted, not listed
    if broken and healthy:
        assert f"{len(healthy)} healthy HelmRelease(s), not listed here" in summary
    if not broken:
        assert f"All {len(analysis.verdicts)} HelmReleases are healthy." in story


def test_the_story_names_the_upgrade_and_what_followed(analyses):
    summary = _summary(render(analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz").analysis, "md"))
    assert summary.lstrip().startswith(
        "helm-controller was upgraded from \\<= v0.36 (log wording) to v0.37.2 at 2024-01-15 09:02:09Z."
    )
    assert (
        "After it, 5 of the 12 HelmReleases have a problem (2 dependency-stale, 2 migration-skip, 1 stale-status)."
        in summary
    )
    crash = _summary(render(analyses(SAMPLES / "v1-controller-crash").analysis, "md"))
    assert crash.lstrip().startswith("helm-controller restarted 2 times from 2024-06-12 13:13:52Z (OOMKilled).")
    assert "3 of them since then" in crash  # the release that failed the day before is not blamed on it


def test_cited_lines_are_folded_in_details_that_stay_markdown(analyses):
    from markdown_it import MarkdownIt

    analysis = analyses(SAMPLES / "upgrade-2.1-to-2.2.tar.gz").analysis
    markdown = render(analysis, "md")
    html = MarkdownIt("commonmark", {"html": True}).render(markdown)
    blocks = re.findall(
        r"<details><summary>Evidence: (\d+) cited line\(s\) from \d+ file\(s\)</summary>(.*?)</details>", html, re.S
    )
    assert len(blocks) == len(analysis.findings)
    for count, body in blocks:
        assert body.count("<li>") == int(count)  # a Markdown list inside, not raw text
        assert "<code>" in body
    # long excerpts only inside the folds; the resolution plan keeps its order and comments
    outside = re.sub(r"<details>.*?</details>", "", markdown, flags=re.S)
    assert "has drifted from the desired state" not in outside.split("## Resolution")[0]
    resolution = markdown.split("## Resolution")[1].split("## Detection")[0]
    assert "# first stop the drift loop" in resolution
    assert [int(n) for n in re.findall(r"^(\d+)\. \*\*", resolution, re.M)] == list(range(1, len(analysis.plan) + 1))
