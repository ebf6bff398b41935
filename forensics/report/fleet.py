"""The fleet summary (DIR/fleet.html and DIR/fleet.md), read back from the fleet dataset.

Bundles by worst verdict, the labels of each bundle, root causes that recur across clusters
(same label on the same chart and chart version in two bundles or more), controller versions
and upgrades in use, links to each bundle's report (relative: DIR/reports/<bundle>.html) and
the failed bundles with their error. Only the small tables are read (bundles, findings,
verdicts, controllers, upgrades), never the timeline.

The HTML is one self-contained file (inline CSS, no script, no network), Jinja2 autoescape on.
"""

from __future__ import annotations

import functools
from datetime import datetime
from importlib import resources
from pathlib import Path

import jinja2
import polars as pl

from forensics.fleet_schema import SCHEMAS, WORST_ORDER
from forensics.report.markdown import _cell

RECUR_MIN_BUNDLES = 2
LINKS_SHOWN = 10  # bundles linked per recurring root cause
COLUMNS = {
    "findings": ("label", "release"),
    "verdicts": ("release", "healthy", "primary", "chart", "chart_version"),
    "controllers": ("controller", "version", "api_generation"),
    "upgrades": ("controller", "from_version", "to_version", "at"),
}


def read_table(out: str | Path, table: str) -> pl.DataFrame:
    """One table of the dataset with its `bundle` partition column (empty with the documented
    schema when no bundle has a part yet)."""
    files = sorted(Path(out, "dataset", table).glob("bundle=*/part.parquet"))
    if not files:
        empty = pl.from_arrow(SCHEMAS[table].empty_table())
        return empty.with_columns(pl.lit(None, dtype=pl.String).alias("bundle"))
    frame = pl.scan_parquet([str(f) for f in files], hive_partitioning=True, hive_schema={"bundle": pl.String})
    if table in COLUMNS:  # only what the summary shows
        frame = frame.select("bundle", "bundle_id", *COLUMNS[table])
    return frame.collect()


def _ts(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if isinstance(value, datetime) else ""


def view(out: str | Path, unreadable: list[dict] | None = None, generated_at: datetime | None = None) -> dict:
    """Everything both summaries show, prepared from the dataset."""
    bundles = read_table(out, "bundles")
    findings = read_table(out, "findings")
    verdicts = read_table(out, "verdicts")
    controllers = read_table(out, "controllers")
    upgrades = read_table(out, "upgrades")

    rank = {name: i for i, name in enumerate(WORST_ORDER)}
    labels_of: dict[str, list[tuple[str, int]]] = {}
    if findings.height:
        per = (
            findings.group_by("bundle", "label")
            .agg(pl.len().alias("n"))
            .sort("bundle", "n", "label", descending=[False, True, False])
        )
        for key, label, n in per.iter_rows():
            labels_of.setdefault(key, []).append((label, n))
    versions_of: dict[str, list[str]] = {}
    if controllers.height:
        for key, controller, version in (
            controllers.select("bundle", "controller", "version")
            .unique()
            .sort("bundle", "controller", "version", nulls_last=True)
            .iter_rows()
        ):
            versions_of.setdefault(key, []).append(f"{controller} {version or '?'}")

    rows = []
    for row in bundles.iter_rows(named=True):
        if row["status"] != "ok":
            continue
        rows.append({**row, "labels": labels_of.get(row["bundle"], []), "versions": versions_of.get(row["bundle"], [])})
    rows.sort(
        key=lambda r: (rank.get(r["worst"] or "", len(rank)), -(r["broken"] or 0), r["bundle_name"] or "", r["bundle"])
    )
    groups = []
    for worst in WORST_ORDER:
        members = [r for r in rows if r["worst"] == worst]
        if members:
            groups.append({"worst": worst, "bundles": members})

    failed = [
        {"name": r["bundle_name"], "source": r["source_path"], "error": r["error"] or "", "bundle": r["bundle"]}
        for r in bundles.filter(pl.col("status") != "ok").sort("bundle_name", "bundle").iter_rows(named=True)
    ]
    failed += [
        {"name": r.get("bundle_name") or "", "source": r["source_path"], "error": r.get("error") or "", "bundle": None}
        for r in unreadable or []
    ]

    label_totals = []
    if findings.height:
        totals = findings.group_by("label").agg(
            pl.len().alias("findings"),
            pl.col("bundle").n_unique().alias("bundles"),
            pl.struct("bundle", "release").n_unique().alias("releases"),
        )
        label_totals = totals.sort("findings", "label", descending=[True, False]).to_dicts()

    recurring, one_offs = [], 0
    broken = verdicts.filter(~pl.col("healthy")) if verdicts.height else verdicts
    if broken.height:
        causes = (
            broken.with_columns(pl.col("primary").fill_null("unexplained"))
            .group_by("primary", "chart", "chart_version")
            .agg(
                pl.col("bundle").n_unique().alias("bundles"),
                pl.len().alias("releases"),
                pl.col("bundle").unique().sort().alias("keys"),
                pl.col("release").unique().sort().alias("names"),
            )
            .sort(
                ["bundles", "releases", "primary", "chart", "chart_version"],
                descending=[True, True, False, False, False],
                nulls_last=True,
            )
        )
        names = dict(bundles.select("bundle", "bundle_name").iter_rows())
        for cause in causes.iter_rows(named=True):
            if cause["bundles"] < RECUR_MIN_BUNDLES:
                one_offs += 1
                continue
            cause["links"] = [{"bundle": k, "name": names.get(k, k)} for k in cause["keys"]]
            recurring.append(cause)

    in_use = []
    if controllers.height:
        in_use = (
            controllers.group_by("controller", "version", "api_generation")
            .agg(pl.col("bundle").n_unique().alias("bundles"))
            .sort(["controller", "bundles", "version"], descending=[False, True, False], nulls_last=True)
            .to_dicts()
        )
    upgrade_rows = []
    if upgrades.height:
        upgrade_rows = (
            upgrades.group_by("controller", "from_version", "to_version")
            .agg(
                pl.col("bundle").n_unique().alias("bundles"),
                pl.col("at").min().alias("first"),
                pl.col("at").max().alias("last"),
            )
            .sort(["bundles", "controller"], descending=[True, False])
            .to_dicts()
        )
    ok = [r for r in bundles.iter_rows(named=True) if r["status"] == "ok"]
    return {
        "generated_at": generated_at,
        "groups": groups,
        "bundles": rows,
        "failed": failed,
        "label_totals": label_totals,
        "recurring": recurring,
        "one_offs": one_offs,
        "controllers": in_use,
        "upgrades": upgrade_rows,
        "totals": {
            "bundles": bundles.height + len(unreadable or []),
            "ok": len(ok),
            "failed": len(failed),
            "releases": sum(r["releases"] or 0 for r in ok),
            "broken": sum(r["broken"] or 0 for r in ok),
            "findings": findings.height,
        },
        "tool_version": _tool_version(bundles),
        "recur_min": RECUR_MIN_BUNDLES,
        "links_shown": LINKS_SHOWN,
    }


def _tool_version(bundles: pl.DataFrame) -> str:
    if not bundles.height:
        from forensics import __version__

        return __version__
    return ", ".join(sorted(v for v in bundles["tool_version"].unique().to_list() if v))


@functools.lru_cache(maxsize=1)
def _template() -> tuple[jinja2.Template, str]:
    package = resources.files("forensics.report") / "templates"
    env = jinja2.Environment(
        loader=jinja2.DictLoader({"fleet.html.j2": (package / "fleet.html.j2").read_text(encoding="utf-8")}),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["ts"] = _ts
    return env.get_template("fleet.html.j2"), (package / "style.css").read_text(encoding="utf-8")


def render_fleet_html(context: dict) -> str:
    template, style = _template()
    return template.render(style=style, **context)


def render_fleet_markdown(context: dict) -> str:
    t = context["totals"]
    out = ["# Fleet triage", ""]
    when = f" Generated {_ts(context['generated_at'])} (UTC)." if context["generated_at"] else ""
    out += [
        f"{t['bundles']} bundles: {t['ok']} analysed, {t['failed']} failed; {t['releases']} HelmReleases, "
        f"{t['broken']} with a problem, {t['findings']} findings.{when}",
        "",
        "## Bundles by worst verdict",
        "",
        "| Bundle | Worst | Broken / releases | Labels | Controllers | Report |",
        "|---|---|---|---|---|---|",
    ]
    for r in context["bundles"]:
        labels = ", ".join(f"{label} ×{n}" for label, n in r["labels"]) or "-"
        worst = r["worst"] + (f" ({r['worst_label']})" if r["worst_label"] and r["worst_label"] != r["worst"] else "")
        report = f"[report](reports/{r['bundle']}.html)" if r["report"] else "-"
        out.append(
            f"| {_cell(r['bundle_name'])} | {worst} | {r['broken']} / {r['releases']} | {labels} | "
            f"{_cell(', '.join(r['versions']))} | {report} |"
        )
    out += ["", "## Labels", ""]
    if context["label_totals"]:
        out += ["| Label | Findings | Releases | Bundles |", "|---|---|---|---|"]
        out += [
            f"| {x['label']} | {x['findings']} | {x['releases']} | {x['bundles']} |" for x in context["label_totals"]
        ]
    else:
        out.append("No finding in any bundle.")
    out += ["", f"## Recurring root causes (same label, chart and version in {context['recur_min']}+ bundles)", ""]
    if context["recurring"]:
        out += ["| Root cause | Chart | Version | Bundles | Releases | Where |", "|---|---|---|---|---|---|"]
        for c in context["recurring"]:
            where = ", ".join(
                f"[{_cell(link['name'])}](reports/{link['bundle']}.html)" for link in c["links"][:LINKS_SHOWN]
            )
            more = f" and {len(c['links']) - LINKS_SHOWN} more" if len(c["links"]) > LINKS_SHOWN else ""
            out.append(
                f"| {c['primary']} | {_cell(c['chart'] or '?')} | {_cell(c['chart_version'] or '?')} | {c['bundles']} |"
                f" {_cell(', '.join(c['names']))} | {where}{more} |"
            )
    else:
        out.append("No root cause recurs across bundles.")
    if context["one_offs"]:
        out += ["", f"{context['one_offs']} other root cause(s) seen in one bundle only."]
    out += ["", "## Controller versions in use", ""]
    if context["controllers"]:
        out += ["| Controller | Version | API | Bundles |", "|---|---|---|---|"]
        out += [
            f"| {_cell(c['controller'])} | {_cell(c['version'] or '?')} | {_cell(c['api_generation'] or '?')} | "
            f"{c['bundles']} |"
            for c in context["controllers"]
        ]
    else:
        out.append("No controller version evidence.")
    if context["upgrades"]:
        out += ["", "| Upgrade | From | To | Bundles | First (UTC) | Last (UTC) |", "|---|---|---|---|---|---|"]
        out += [
            f"| {_cell(u['controller'])} | {_cell(u['from_version'] or '?')} | {_cell(u['to_version'] or '?')} | "
            f"{u['bundles']} | {_ts(u['first'])} | {_ts(u['last'])} |"
            for u in context["upgrades"]
        ]
    out += ["", "## Failed bundles", ""]
    if context["failed"]:
        out += ["| Bundle | Source | Error |", "|---|---|---|"]
        out += [f"| {_cell(f['name'])} | {_cell(f['source'])} | {_cell(f['error'])} |" for f in context["failed"]]
    else:
        out.append("None.")
    return "\n".join(out) + "\n"


def write_summary(
    out: str | Path, unreadable: list[dict] | None = None, generated_at: datetime | None = None
) -> list[Path]:
    """Write DIR/fleet.html and DIR/fleet.md; returns their paths."""
    context = view(out, unreadable, generated_at)
    written = []
    for name, text in (("fleet.html", render_fleet_html(context)), ("fleet.md", render_fleet_markdown(context))):
        path = Path(out) / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
