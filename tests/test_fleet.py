"""`forensics fleet`: a fleet of generated bundles -> the Parquet dataset, checked with DuckDB
against the single-bundle analyses; re-runs skip by content hash; a corrupt archive is recorded;
Dask distributed gives the same dataset."""

from __future__ import annotations

import io
import os
import re
import shutil
import tarfile
import zipfile
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

import forensics
from forensics.cli import main
from forensics.fleet import SCHEMAS, TABLES, content_hash, expand

duckdb = pytest.importorskip("duckdb")

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
STAMP = "2024-01-15T12:00:00Z"
CASES = (
    "DP001/fires-flux-get-table",
    "DP002/fires-dependency-upgrade-failed",
    "HR005/fires-v036",
    "HC001/fires-oomkilled-mid-upgrade",
)


def _renamed_tar(target: Path, suffix: str) -> None:
    """The upgrade sample re-packed with its apps/frontend release renamed (new content)."""
    with tarfile.open(SAMPLES / "upgrade-2.1-to-2.2.tar.gz") as source, tarfile.open(target, "w:gz") as out:
        for member in source.getmembers():
            if member.isfile():
                data = source.extractfile(member).read().replace(b"frontend", b"frontend" + suffix.encode())
                member.size = len(data)
                out.addfile(member, io.BytesIO(data))
            else:
                out.addfile(member)


def _zip(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w") as out:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                out.write(path, f"{folder.name}/{path.relative_to(folder)}")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory) -> dict:
    """Ten bundles: folders, .tar.gz, .zip, a ticket fragment, four rule cases and a corrupt
    archive; named by paths, a glob and a manifest."""
    root = tmp_path_factory.mktemp("fleet")
    bundles = root / "bundles"
    (bundles / "cases").mkdir(parents=True)
    shutil.copytree(SAMPLES / "upgrade-2.1-to-2.2", bundles / "upgrade-2.1-to-2.2", symlinks=True)
    shutil.copy(SAMPLES / "upgrade-2.1-to-2.2.tar.gz", bundles / "cluster-a.tar.gz")
    _renamed_tar(bundles / "cluster-b.tar.gz", "-b")
    _zip(SAMPLES / "upgrade-2.1-to-2.2", bundles / "cluster-c.zip")
    shutil.copytree(SAMPLES / "ticket-flux-get-hr", bundles / "ticket-flux-get-hr")
    for case in CASES:
        shutil.copytree(SAMPLES / "cases" / case, bundles / "cases" / case.replace("/", "-"), symlinks=True)
    (bundles / "corrupt.tar.gz").write_bytes(b"\x1f\x8b\x08\x00 this is not a gzip stream " * 50)
    manifest = root / "manifest.txt"
    manifest.write_text(
        "# the loose folders\nbundles/upgrade-2.1-to-2.2\nbundles/ticket-flux-get-hr\n\nbundles/corrupt.tar.gz\n",
        encoding="utf-8",
    )
    args = [
        str(bundles / "cluster-a.tar.gz"),
        str(bundles / "cluster-b.tar.gz"),
        str(bundles / "cluster-c.zip"),
        str(bundles / "cases" / "*"),
        "--manifest",
        str(manifest),
    ]
    sources, missing = expand(args[:4], [str(manifest)])
    assert len(sources) == 10 and not missing
    return {"root": root, "args": args, "sources": sources, "corrupt": str(bundles / "corrupt.tar.gz")}


def _fleet(args: list[str], out: Path, *extra: str):
    """The fleet run of the fixture: its corrupt archive fails (exit code 2), the rest go on."""
    result = CliRunner().invoke(main, ["fleet", *args, "--out", str(out), "--generated-at", STAMP, *extra])
    assert result.exit_code == 2 and isinstance(result.exception, (SystemExit, type(None))), result.output + repr(
        result.exception
    )
    return result


def _sql(out: Path, table: str) -> str:
    return f"read_parquet('{out}/dataset/{table}/*/*.parquet', hive_partitioning=true)"


@pytest.fixture(scope="module")
def first_run(fleet) -> dict:
    out = fleet["root"] / "out"
    result = _fleet(fleet["args"], out, "--workers", "2")
    return {"out": out, "output": result.output}


def test_label_counts_equal_the_single_bundle_analyses(fleet, first_run):
    out = first_run["out"]
    expected: Counter = Counter()
    verdicts = 0
    for source in fleet["sources"]:
        if source == fleet["corrupt"]:
            continue
        analysis = forensics.analyze(source)
        expected.update((source, f.label) for f in analysis.findings)
        verdicts += len(analysis.verdicts)
    con = duckdb.connect()
    rows = con.execute(f"SELECT source_path, label, count(*) FROM {_sql(out, 'findings')} GROUP BY ALL").fetchall()
    assert Counter({(s, label): n for s, label, n in rows}) == expected
    per_label = dict(con.execute(f"SELECT label, count(*) FROM {_sql(out, 'findings')} GROUP BY label").fetchall())
    assert per_label == dict(Counter(label for (_, label), n in expected.items() for _ in range(n)))
    assert con.execute(f"SELECT count(*) FROM {_sql(out, 'verdicts')}").fetchone()[0] == verdicts
    assert {"migration-skip", "stale-status", "dependency-stale"} <= set(per_label)
    # every analysed bundle has a part in every table, and its report
    keys = {k for (k,) in con.execute(f"SELECT bundle FROM {_sql(out, 'bundles')} WHERE status = 'ok'").fetchall()}
    assert len(keys) == 9
    for table in TABLES:
        assert {p.name.removeprefix("bundle=") for p in (out / "dataset" / table).iterdir()} >= keys
        columns = [c for c, *_ in con.execute(f"DESCRIBE SELECT * FROM {_sql(out, table)}").fetchall()]
        assert columns == SCHEMAS[table].names + ["bundle"]
    assert all((out / "reports" / f"{k}.html").is_file() for k in keys)


def test_failed_bundle_is_recorded_and_the_rest_go_on(fleet, first_run):
    out = first_run["out"]
    con = duckdb.connect()
    failed = con.execute(
        f"SELECT source_path, error, worst FROM {_sql(out, 'bundles')} WHERE status = 'failed'"
    ).fetchall()
    assert failed == [(fleet["corrupt"], failed[0][1], "failed")] and failed[0][1]
    assert "9 analysed" in first_run["output"] and "1 failed" in first_run["output"]
    summary = (out / "fleet.md").read_text(encoding="utf-8")
    assert "## Failed bundles" in summary and "corrupt" in summary.split("## Failed bundles")[1]


def test_summary_links_are_relative_and_resolve(first_run):
    out = first_run["out"]
    page = (out / "fleet.html").read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*)"', page)
    assert links and not re.search(r"(?i)(src|href)=\"(https?:)?//", page)
    for link in links:
        assert link.startswith("#") or (out / link).is_file(), link
    assert "Recurring root causes" in page and "Controller versions in use" in page
    assert "v0.37.2" in page


def test_rerun_skips_everything(fleet, first_run):
    out = first_run["out"]
    parts = {p: p.stat().st_mtime_ns for p in (out / "dataset").rglob("part.parquet")}
    result = _fleet(fleet["args"], out, "--workers", "2")
    assert "0 analysed, 10 skipped" in result.output
    assert {p: p.stat().st_mtime_ns for p in (out / "dataset").rglob("part.parquet")} == parts


def test_content_hash_ignores_the_folder_name(tmp_path):
    a = tmp_path / "a"
    shutil.copytree(SAMPLES / "ticket-flux-get-hr", a)
    b = tmp_path / "b"
    shutil.copytree(SAMPLES / "ticket-flux-get-hr", b)
    assert content_hash(str(a)) == content_hash(str(b))
    next(b.iterdir()).write_text("changed", encoding="utf-8")
    assert content_hash(str(a))[0] != content_hash(str(b))[0]


def test_dask_local_cluster_gives_the_same_dataset(fleet, first_run):
    distributed = pytest.importorskip("distributed")
    out = fleet["root"] / "out-dask"
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
    ) as cluster:
        _fleet(fleet["args"], out, "--engine", "dask", "--scheduler", cluster.scheduler_address)
    con = duckdb.connect()
    for table in TABLES:
        drop = " EXCLUDE (seconds)" if table == "bundles" else ""
        query = "SELECT *{drop} FROM {src} ORDER BY ALL"
        local = con.execute(query.format(drop=drop, src=_sql(first_run["out"], table))).fetchall()
        remote = con.execute(query.format(drop=drop, src=_sql(out, table))).fetchall()
        assert remote == local, table
    assert sorted(os.listdir(out / "reports")) == sorted(os.listdir(first_run["out"] / "reports"))
