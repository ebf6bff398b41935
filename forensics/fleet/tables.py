"""One analysed bundle as the fleet dataset's Arrow tables (schemas: `forensics.fleet_schema`),
and the atomic write of one Parquet part."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa

from forensics.fleet_schema import COMMON, FLEET_SCHEMA_VERSION, SCHEMAS


def tables_of(result, common: dict) -> dict[str, pa.Table]:
    """Every table's rows for one analysed bundle (the bundles row aside)."""
    import polars as pl

    analysis = result.analysis
    charts: dict[str, tuple[str | None, str | None]] = {}
    releases = result.frames["releases"]
    if releases.height:
        for release, chart, version in releases.select("release", "chart", "chart_version").iter_rows():
            charts.setdefault(release, (chart, version))
    findings = [
        {
            **common,
            "id": f.id,
            "rule": f.rule,
            "name": f.name,
            "label": f.label,
            "release": f.release,
            "severity": f.severity.value,
            "confidence": f.confidence.value,
            "confidence_reason": f.confidence_reason,
            "summary": f.summary,
            "first_ts": f.first_ts,
            "last_ts": f.last_ts,
            "evidence": len(f.evidence),
            "cited": f"{f.evidence[0].source}:{f.evidence[0].line}" if f.evidence else None,
            "remediation": f.remediation,
            "chart": charts.get(f.release, (None, None))[0],
            "chart_version": charts.get(f.release, (None, None))[1],
        }
        for f in analysis.findings
    ]
    verdicts = [
        {
            **common,
            "release": v.release,
            "healthy": v.healthy,
            "primary": v.primary,
            "rule": v.rule,
            "severity": v.severity.value if v.severity else None,
            "confidence": v.confidence.value if v.confidence else None,
            "since": v.since,
            "summary": v.summary,
            "chain": [link.release for link in v.chain],
            "findings": list(v.findings),
            "ready": v.ready,
            "ready_message": v.ready_message,
            "status_format": v.status_format,
            "chart": charts.get(v.release, (None, None))[0],
            "chart_version": charts.get(v.release, (None, None))[1],
        }
        for v in analysis.verdicts
    ]
    inventory = [{**common, **item.model_dump()} for item in analysis.inventory]
    controllers = [{**common, **c.model_dump(exclude={"evidence"})} for c in analysis.controllers]
    upgrades = [{**common, **u.model_dump(exclude={"evidence"})} for u in analysis.upgrades]
    schema = SCHEMAS["timeline"]
    lines = result.timeline
    timeline = (
        lines.select(
            *[
                pl.lit(common[name], dtype=pl.Datetime("us", "UTC") if name == "analysed_at" else pl.String).alias(name)
                for name, _ in COMMON
            ],
            *[pl.col(name) for name in schema.names[len(COMMON) :]],
        )
        .to_arrow()
        .cast(schema)
    )
    return {
        "findings": arrow_table("findings", findings),
        "verdicts": arrow_table("verdicts", verdicts),
        "timeline": timeline,
        "inventory": arrow_table("inventory", inventory),
        "controllers": arrow_table("controllers", controllers),
        "upgrades": arrow_table("upgrades", upgrades),
    }


def arrow_table(name: str, rows: list[dict]) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema=schema)


def write_part(folder: Path, table: pa.Table) -> None:
    """DIR/dataset/<table>/bundle=<key>/part.parquet, atomically (a hidden temporary name first,
    which DuckDB's `*.parquet`, Spark and Polars all pass over)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".part.parquet.{os.getpid()}.tmp"
    metadata = {b"forensics.fleet_schema_version": FLEET_SCHEMA_VERSION.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), temporary)
    os.replace(temporary, folder / "part.parquet")
