"""The HTML report: self-contained, structured as promised, and inert on hostile text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from forensics.report import render

from ..conftest import SAMPLES

XSS = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>']


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
    table += (
        f"bad\tx\t1.0.0\tFalse\tTrue\tHelm upgrade succeeded\t\ngood\ty\t1.0.0\tFalse\tFalse\t{XSS[0]} {XSS[1]}\t\n"
    )
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

    for show in (
        lambda c: print_triage(run.analysis, c),
        lambda c: print_timeline(run.analysis, run.timeline, "good/x", 50, c),
    ):
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
    record = {
        "level": "error",
        "ts": "2024-01-15T09:00:01Z",
        "msg": message,
        "controllerKind": "HelmRelease",
        "HelmRelease": {"name": 'x" onmouseover="alert(4)', "namespace": "good"},
    }
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
        assert tag != "meta" or attrs.get("http-equiv", "Content-Security-Policy") == "Content-Security-Policy", (
            attrs
        )  # ours only
    assert sum(1 for tag, _ in doc.tags if tag == "script") == 1
    text = "".join(doc.text)
    assert LIVE[0] in text and LIVE[2] in text  # shown, as text
    for raw in (
        '<a href="javascript',
        'onclick="alert',
        "<svg onload",
        "<iframe",
        "<meta http-equiv=refresh",
        'onmouseover="alert',
    ):
        assert raw not in html, raw  # only in escaped form


def test_every_chip_and_row_is_coloured_by_its_severity(analyses):
    """A verdict's chip and triage row carry its severity; a bare label (counts, chain, ruled
    out) its rule's; no label of the vocabulary is left without one (grey)."""
    from forensics.model import LABELS
    from forensics.report.html import label_severity
    from forensics.rules import RULES

    assert all(label_severity(label) in ("error", "warning", "info") for label in LABELS)
    for rule in RULES:
        assert (
            label_severity(rule.label) == rule.severity.value or rule.label == "drift"
        )  # drift: error and warning rules
    analysis = analyses(SAMPLES / "v036-failures").analysis
    doc = parse(render(analysis, "html"))
    rows = {attrs["data-release"]: attrs["class"] for tag, attrs in doc.tags if tag == "tr" and "data-release" in attrs}
    for verdict in analysis.verdicts:
        expected = verdict.severity.value if verdict.severity else ("ok" if verdict.healthy else "warning")
        assert rows[verdict.release].split()[0] in (f"sev-{expected}", "sev-recovered"), verdict.release
    chips = [
        attrs["class"].split() for tag, attrs in doc.tags if tag == "span" and "chip" in attrs.get("class", "").split()
    ]
    labelled = [c for c in chips if any(x.startswith("lbl-") for x in c)]
    assert labelled and all(any(x.startswith("sev-") and x != "sev-none" for x in c) for c in labelled)
    counts = {c[2][4:]: c[1][4:] for c in labelled}  # chip sev-X lbl-Y
    assert counts["suspended"] == "info" and counts["values-missing"] == "error" and counts["healthy"] == "ok"


def test_recovered_releases_are_marked(analyses):
    """A healthy release with failed records on its timeline is marked recovered (triage row,
    release details, incident), and only those."""
    analysis = analyses(SAMPLES / "healthy-control").analysis
    failed = {e.release for e in analysis.timeline if e.level in ("error", "warning")}
    recovered = sorted(v.release for v in analysis.verdicts if v.healthy and v.release in failed)
    assert recovered  # the sample has some
    doc = parse(render(analysis, "html"))
    rows = {
        attrs["data-release"] for tag, attrs in doc.tags if tag == "tr" and "sev-recovered" in attrs.get("class", "")
    }
    details = {
        attrs["data-release"]
        for tag, attrs in doc.tags
        if tag == "details" and "sev-recovered" in attrs.get("class", "")
    }
    assert sorted(rows) == sorted(details) == recovered


def test_timelines_scale_and_every_mark_links_to_a_record(analyses):
    analysis = analyses(SAMPLES / "v1-controller-crash").analysis
    doc = parse(render(analysis, "html"))
    ids = {attrs["id"] for _, attrs in doc.tags if "id" in attrs}
    svgs = [attrs for tag, attrs in doc.tags if tag == "svg"]
    assert svgs and all("viewbox" in a for a in svgs)  # (the parser lowers attribute names)
    assert all(
        "width" not in a for a in svgs if "aria-labelledby" in a and a["aria-labelledby"] != "graph-caption"
    )  # CSS sizes them
    links = [attrs["href"][1:] for tag, attrs in doc.tags if tag == "a" and attrs.get("href", "").startswith("#")]
    assert links and all(target in ids for target in links), sorted(set(links) - ids)[:5]
    marks = [t for t in links if "." in t]  # a record row: <release anchor>.<n> or ctl.<n>
    assert len(marks) > 50


def test_label_rows_keep_labels_apart():
    from forensics.report.svg import GAP, Rows, text_width

    rows = Rows(0, 300)
    first = rows.place(10, "upgrade-failed", [100])
    assert first == {
        "x": 100,
        "y": 10,
        "text": "upgrade-failed",
        "cls": "",
        "w": round(text_width("upgrade-failed"), 1),
    }
    assert rows.place(10, "timeout", [110]) is None  # overlaps, no other place
    second = rows.place(10, "timeout", [110, 100 - GAP - text_width("timeout")])  # its other side
    assert second and second["x"] + text_width("timeout") + GAP <= 100 + 0.05  # x is rounded to 0.1
    assert rows.place(30, "timeout", [110])  # another row
    assert rows.place(10, "x" * 60, [0]) is None  # wider than the bounds


def test_ticks_fall_on_round_times_and_their_labels_fit():
    from datetime import datetime, timedelta, timezone

    from forensics.report import svg

    start = datetime(2024, 6, 12, 13, 13, 24, tzinfo=timezone.utc)
    for span in (timedelta(seconds=140), timedelta(hours=2), timedelta(days=2, hours=5)):
        x = svg._scale(start, start + span, svg.LEFT, svg.WIDTH - svg.RIGHT)
        placed = svg.ticks(start, start + span, x, svg.LEFT, svg.WIDTH - svg.RIGHT, 100)
        assert 4 <= len(placed) <= 12 and all(t["label"] for t in placed)
        times = [round(t["at"].timestamp()) for t in placed]
        assert all(abs(t["x"] - x(t["at"])) < 0.01 and start <= t["at"] <= start + span for t in placed)
        step = times[1] - times[0]
        assert (
            step in svg.STEPS
            and all(t % step == 0 for t in times)
            and times == list(range(times[0], times[-1] + 1, step))
        ), (span, times)
        ends = [(t["label"]["x"], t["label"]["x"] + t["label"]["w"]) for t in placed]
        assert all(a[1] + svg.GAP <= b[0] + 0.1 for a, b in zip(ends, ends[1:]))  # labels apart


def test_a_timeline_opens_on_its_interest_with_margins():
    from datetime import datetime, timedelta, timezone

    from forensics.report import svg

    at = datetime(2024, 6, 12, 13, 14, tzinfo=timezone.utc)
    assert svg.focus_window([at]) == (at - svg.FOCUS_MIN_PAD, at + svg.FOCUS_MIN_PAD)
    start, end = svg.focus_window([at, at + timedelta(hours=1)])
    assert start == at - timedelta(minutes=6) and end == at + timedelta(minutes=66)
    assert svg.focus_window([]) is None
    assert (
        svg.duration(2 * 86400 + 5 * 3600 + 7) == "2 d 5 h"
        and svg.duration(141) == "2 min 21 s"
        and svg.duration(0) == "0 s"
    )


def test_a_big_inventory_is_shown_a_folder_at_a_time_but_its_problems_file_by_file(analyses):
    from forensics.model import InventoryEntry
    from forensics.report.html import INVENTORY_ROWS

    analysis = analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis
    events = [
        InventoryEntry(
            path=f"namespaces/team-{i % 2}/v1/event/e{i:05d}.yaml", size=800, parser="k8s", rows=1, problems=0
        )
        for i in range(INVENTORY_ROWS + 2)
    ]
    odd = [
        InventoryEntry(path="namespaces/team-0/v1/event/broken.yaml", size=9, parser="k8s", rows=0, problems=1),
        InventoryEntry(
            path="namespaces/team-1/notes.txt", size=5, parser=None, rows=0, problems=0, note="nothing read"
        ),
    ]
    inventory = sorted(events + odd, key=lambda entry: entry.path)
    text = "".join(parse(render(analysis.model_copy(update={"inventory": inventory}), "html")).text)
    half = (INVENTORY_ROWS + 2) // 2
    assert f"namespaces/team-0/v1/event/ ({half:,} files)" in text
    assert f"namespaces/team-1/v1/event/ ({half:,} files)" in text
    assert f"{half * 800}" in text and "e00001.yaml" not in text
    assert "namespaces/team-0/v1/event/broken.yaml" in text and "namespaces/team-1/notes.txt" in text
    assert f"{len(inventory)} files: those read without a problem are shown a folder at a time" in text
    small = "".join(parse(render(analysis, "html")).text)
    assert all(entry.path in small for entry in analysis.inventory) and "a folder at a time" not in small
