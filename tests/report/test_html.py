"""The HTML report: self-contained, structured as promised, and inert on hostile text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from forensics.report import render

from ..conftest import SAMPLES

XSS = ['<script>alert(1)</script>', '"><img src=x onerror=alert(1)>']


class Collect(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Collect:
    collected = Collect()
    collected.feed(html)
    return collected


def test_self_contained(analyses):
    html = render(analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis, "html")
    doc = parse(html)
    for tag, attrs in doc.tags:
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            assert not value.startswith(("http:", "https:", "//")), (tag, attrs)
        assert not (tag == "link" and attrs.get("rel") == "stylesheet")
        assert not (tag == "script" and "src" in attrs)


def test_structure(analyses):
    analysis = analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis
    doc = parse(render(analysis, "html"))
    rows = [attrs for tag, attrs in doc.tags if tag == "tr" and "data-release" in attrs]
    assert sorted(a["data-release"] for a in rows) == sorted(v.release for v in analysis.verdicts)
    articles = [attrs for tag, attrs in doc.tags if tag == "article"]
    assert len(articles) == len(analysis.findings)
    text = "".join(doc.text)
    for finding in analysis.findings:
        for evidence in finding.evidence:
            assert f"{evidence.source}:{evidence.line}" in text
        assert finding.remediation.splitlines()[0] in text
    assert "flux reconcile helmrelease ingress-nginx -n infra --force" in text
    assert sum(1 for tag, _ in doc.tags if tag == "svg") >= len(analysis.verdicts) - 1


def test_hostile_text_is_shown_as_text_in_every_format(tmp_path, analyses):
    table = "NAMESPACE\tNAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\t\n"
    table += f"bad\tx\t1.0.0\tFalse\tTrue\tHelm upgrade succeeded\t\ngood\ty\t1.0.0\tFalse\tFalse\t{XSS[0]} {XSS[1]}\t\n"
    table += "good\tz\t1.0.0\tFalse\tTrue\tHelm upgrade succeeded for release good/z.v2 with chart z@1.0.0\t\n"
    (tmp_path / "flux-get-hr.txt").write_text(table)
    analysis = analyses(tmp_path).analysis
    html = render(analysis, "html")
    doc = parse(html)
    assert not [attrs for tag, attrs in doc.tags if tag == "img"]
    assert sum(1 for tag, _ in doc.tags if tag == "script") == 1  # our own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert XSS[0] in "".join(doc.text)  # shown, as text
    markdown = render(analysis, "md")
    outside_code = re.sub(r"``.*?``", "", markdown)  # code spans show their text literally
    assert not re.search(r"(?<!\\)<(script|img)", outside_code)  # every < from the bundle is escaped
    assert "\\<script\\>" in markdown  # escaped in table cells
    data = render(analysis, "json")
    assert "\\u003cscript" in data or "<script>alert(1)</script>" in data  # JSON carries the text verbatim, as data


HOSTILE_HR = """apiVersion: helm.toolkit.fluxcd.io/v2beta2
kind: HelmRelease
metadata: {name: x, namespace: good, generation: 2}
spec:
  interval: 5m
  chart: {spec: {chart: x, version: 1.0.0, sourceRef: {kind: HelmRepository, name: repo}}}
status:
  observedGeneration: 2
  conditions:
  - type: Ready
    status: "False"
    reason: UpgradeFailed
    message: MESSAGE
    lastTransitionTime: "2024-01-15T09:00:00Z"
"""
RICH_MARKUP = "[bold red]not markup[/bold red]"


def test_hostile_text_is_shown_as_text_on_the_terminal_and_in_exports(tmp_path, analyses):
    import csv
    import json

    import polars as pl
    from rich.console import Console

    from forensics.report import print_timeline, print_triage
    from forensics.report.export import write_parquet, write_timesketch

    message = f"{XSS[0]} {XSS[1]} {RICH_MARKUP}"
    (tmp_path / "bundle").mkdir()
    (tmp_path / "bundle" / "hr.yaml").write_text(HOSTILE_HR.replace("MESSAGE", json.dumps(message)))
    run = analyses(tmp_path / "bundle")
    assert run.timeline.filter(pl.col("message") == message).height == 1

    for show in (lambda c: print_triage(run.analysis, c), lambda c: print_timeline(run.analysis, run.timeline, "good/x", 50, c)):
        console = Console(record=True, width=400, color_system="truecolor", force_terminal=True)
        show(console)
        plain, styled = console.export_text(clear=False), console.export_text(styles=True)
        assert message in plain  # literally, markup and all
        assert "[bold red]not markup" in styled and "\x1b[1;31mnot markup" not in styled  # never styled by the bundle

    write_timesketch(run.timeline, tmp_path / "t.jsonl")
    rows = [json.loads(line) for line in (tmp_path / "t.jsonl").read_text().splitlines()]
    assert any(message in row["message"] for row in rows)
    write_timesketch(run.timeline, tmp_path / "t.csv")
    with (tmp_path / "t.csv").open(newline="") as handle:
        assert any(message in row["message"] for row in csv.DictReader(handle))
    write_parquet(run.frames.data, run.timeline, tmp_path / "pq")
    assert pl.read_parquet(tmp_path / "pq" / "conditions.parquet")["message"].to_list() == [message]

    html = render(run.analysis, "html")
    doc = parse(html)
    assert not [attrs for tag, attrs in doc.tags if tag == "img"]
    assert sum(1 for tag, _ in doc.tags if tag == "script") == 1
    assert message in "".join(doc.text)


LIVE = [
    '<a href="javascript:alert(1)" onclick="alert(2)">click</a>',
    "<svg onload=alert(3)><circle/></svg>",
    '<iframe src="https://evil.example/x"></iframe>',
    "<meta http-equiv=refresh content='0;url=https://evil.example/'>",
]


def test_no_event_handler_or_url_from_the_bundle_becomes_live(tmp_path, analyses):
    """Hostile text in a condition message, a log line, an event and a release name stays text:
    every attribute in the report is ours (no on* handler, every link a #fragment)."""
    import json

    message = " ".join(LIVE)
    bundle = tmp_path / "bundle"
    (bundle / "logs").mkdir(parents=True)
    hr = HOSTILE_HR.replace("MESSAGE", json.dumps(message)).replace("name: x,", 'name: "x\\" onmouseover=\\"alert(4)",')
    (bundle / "hr.yaml").write_text(hr)
    record = {"level": "error", "ts": "2024-01-15T09:00:01Z", "msg": message, "controllerKind": "HelmRelease",
              "HelmRelease": {"name": 'x" onmouseover="alert(4)', "namespace": "good"}}
    (bundle / "logs" / "manager.log").write_text(json.dumps(record) + "\n")
    analysis = analyses(bundle).analysis
    html = render(analysis, "html")
    doc = parse(html)
    for tag, attrs in doc.tags:
        assert not any(key.startswith("on") for key in attrs), (tag, attrs)
        for key in ("href", "src", "xlink:href", "action", "formaction"):
            value = attrs.get(key)
            assert value is None or value.startswith("#"), (tag, attrs)
        assert tag not in ("iframe", "object", "embed", "form", "base"), (tag, attrs)
        assert tag != "meta" or attrs.get("http-equiv", "Content-Security-Policy") == "Content-Security-Policy", attrs  # ours only
    assert sum(1 for tag, _ in doc.tags if tag == "script") == 1
    text = "".join(doc.text)
    assert LIVE[0] in text and LIVE[2] in text  # shown, as text
    for raw in ('<a href="javascript', 'onclick="alert', "<svg onload", "<iframe", "<meta http-equiv=refresh", 'onmouseover="alert'):
        assert raw not in html, raw  # only in escaped form
