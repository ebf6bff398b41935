"""Fleet triage: many bundles -> one Parquet dataset partitioned by bundle, the single-bundle
reports beside it, and a fleet summary (`forensics.report.fleet`).

`process_bundle(source, out, options)` is the whole per-bundle job: read (or fetch) the bundle,
hash its content, skip it when that content was analysed before, run `forensics.run`, write the
bundle's Parquet parts and its HTML report, and return one small row (never a frame). The same
function is fanned out by a local process pool (one persistent worker per core) or by Dask
distributed (`engine="dask"`); there is no scheduler, queue or RPC of our own.

Layout of the output folder DIR:

    DIR/dataset/<table>/bundle=<key>/part.parquet   tables: TABLES (hive partitioning)
    DIR/reports/<key>.html                          the single-bundle reports
    DIR/state/<bundle_id>.json                      what was done with a content hash (the skip key)
    DIR/fleet.html, DIR/fleet.md                    the fleet summary

`<key>` is `<name>-<first 12 hex digits of the content hash>`; `bundle_id` is the 32-digit hash:
sha256 of the file bytes for an archive or a single file, of the sorted relative paths and bytes
for a folder. The schema of every table is `SCHEMAS` (see README "Fleet"): columns are added,
never renamed, and `FLEET_SCHEMA_VERSION` changes when that happens.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa

# The tables' schemas, derived from the analysis models (TABLES: named here for importers too).
from forensics.fleet_schema import COMMON, FLEET_SCHEMA_VERSION, SCHEMAS, TABLES, WORST_ORDER  # noqa: F401

DEFAULT_TIMEOUT = 1800.0
_ARCHIVE = re.compile(r"(\.tar\.gz|\.tgz|\.tar|\.zip|\.gz)$", re.IGNORECASE)
_GLOB = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Options:
    """What every per-bundle job needs besides its source (small and picklable)."""

    generated_at: datetime | None = None
    max_bytes: int | None = None
    force: bool = False
    retry_failed: bool = False
    reports: bool = True
    timeout: float | None = DEFAULT_TIMEOUT  # seconds one bundle's analysis may take (None: no limit)


# ---- inputs -------------------------------------------------------------------------------


def _is_url(source: str) -> bool:
    return "://" in source and not source.startswith("file://")


def expand(paths: Iterable[str], manifests: Iterable[str] = ()) -> tuple[list[str], list[dict]]:
    """The bundle sources named by PATH arguments (folders, archives, files, globs, URLs,
    `@MANIFEST`) and manifest files (one source per line, `#` comments; relative lines are
    relative to the manifest). Returns (sources in order, without duplicates; unmatched
    arguments as failure rows)."""
    sources: list[str] = []
    missing: list[dict] = []
    items = [(p, None) for p in paths] + [("@" + m, None) for m in manifests]
    for item, base in items:
        if item.startswith("@"):
            manifest = item[1:]
            try:
                text = Path(manifest).read_text(encoding="utf-8") if manifest != "-" else _stdin()
            except OSError as error:
                missing.append(_unreadable(manifest, f"manifest not readable: {error.strerror or error}"))
                continue
            folder = Path(manifest).parent if manifest != "-" else Path.cwd()
            for line in text.splitlines():
                line = line.strip()
                if line and not line.startswith("#"):
                    found, lost = _expand_one(line, folder)
                    sources += found
                    missing += lost
            continue
        found, lost = _expand_one(item, base)
        sources += found
        missing += lost
    seen: set[str] = set()
    unique = [s for s in sources if not (s in seen or seen.add(s))]
    return unique, missing


def _stdin() -> str:
    import sys

    return sys.stdin.read()


def _expand_one(item: str, base: Path | None) -> tuple[list[str], list[dict]]:
    if item.startswith("file://"):
        item = item[len("file://") :]
    if _is_url(item):
        if _GLOB.search(item.split("://", 1)[1]):
            fsspec = _fsspec()
            if fsspec is None:
                return [], [_unreadable(item, "a URL glob needs fsspec (pip install fsspec)")]
            fs, pattern = fsspec.core.url_to_fs(item)
            protocol = item.split("://", 1)[0]
            found = [f"{protocol}://{p}" for p in sorted(fs.glob(pattern))]
            return found, [] if found else [_unreadable(item, "no bundle matches this pattern")]
        return [item], []
    path = Path(item).expanduser()
    if base is not None and not path.is_absolute():
        path = base / path
    if _GLOB.search(item):
        found = sorted(glob.glob(str(path)))
        return [os.path.abspath(p) for p in found], [] if found else [
            _unreadable(item, "no bundle matches this pattern")
        ]
    if not path.exists():
        return [], [_unreadable(item, "no such file or folder")]
    return [os.path.abspath(path)], []


def _unreadable(source: str, error: str) -> dict:
    return {
        "source_path": source,
        "bundle_name": _stem(source),
        "status": "failed",
        "error": error,
        "outcome": "failed",
    }


def _fsspec():
    try:
        import fsspec
    except ImportError:  # pragma: no cover - fsspec comes with dask
        return None
    return fsspec


def _stem(source: str) -> str:
    name = source.rstrip("/").rsplit("/", 1)[-1] or "bundle"
    return _ARCHIVE.sub("", name) or name


def _slug(name: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60]
    return slug or "bundle"


# ---- content hash -------------------------------------------------------------------------


def content_hash(path: str) -> tuple[str, int]:
    """(32 hex digits, bytes read): sha256 of an archive's or file's bytes; for a folder, of its
    sorted relative paths and file bytes (symlinks by their target, never followed)."""
    digest = hashlib.sha256()
    size = 0
    if os.path.isdir(path):
        entries: list[tuple[str, str]] = []
        for folder, dirs, files in os.walk(path, followlinks=False):
            for name in files + [d for d in dirs if os.path.islink(os.path.join(folder, d))]:
                full = os.path.join(folder, name)
                entries.append((os.path.relpath(full, path).replace(os.sep, "/"), full))
        for rel, full in sorted(entries):
            if os.path.islink(full):
                digest.update(b"L\0" + rel.encode() + b"\0" + os.readlink(full).encode() + b"\0")
                continue
            digest.update(b"F\0" + rel.encode() + b"\0" + str(os.path.getsize(full)).encode() + b"\0")
            size += _feed(digest, full)
    else:
        size = _feed(digest, path)
    return digest.hexdigest()[:32], size


def _feed(digest, path: str) -> int:
    size = 0
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return size


@contextlib.contextmanager
def local_copy(source: str) -> Iterator[str]:
    """A local path for the bundle: the path itself, or a private temporary copy of a URL
    (fsspec; the copy keeps the bundle's file name, which names the bundle)."""
    if not _is_url(source):
        yield source
        return
    fsspec = _fsspec()
    if fsspec is None:
        raise RuntimeError("reading a URL needs fsspec (pip install fsspec)")
    fs, remote = fsspec.core.url_to_fs(source)
    folder = tempfile.mkdtemp(prefix="forensics-fleet-")
    try:
        target = os.path.join(folder, _stem(source) if fs.isdir(remote) else source.rstrip("/").rsplit("/", 1)[-1])
        fs.get(remote, target, recursive=fs.isdir(remote))
        yield target
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---- one bundle ---------------------------------------------------------------------------


def process_bundle(source: str, out: str, options: Options = Options()) -> dict:
    """Analyse one bundle into DIR (`out`); returns one small summary row, never raises.

    `outcome` is `analysed`, `failed` or `skipped` (this content was done before)."""
    started = time.perf_counter()
    row: dict = {"source_path": source, "bundle_name": _stem(source), "status": "failed", "outcome": "failed"}
    try:
        with local_copy(source) as local:
            bundle_id, size = content_hash(local)
            key = f"{_slug(_stem(source))}-{bundle_id[:12]}"
            row.update(bundle_id=bundle_id, bundle=key, size_bytes=size)
            state = Path(out) / "state" / f"{bundle_id}.json"
            if not options.force and state.exists():
                done = json.loads(state.read_text(encoding="utf-8"))
                if done.get("status") == "ok" or not options.retry_failed:
                    return {**done, "source_path": source, "outcome": "skipped"}
            claim = state.with_suffix(".claim")
            claim.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.close(os.open(claim, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:  # the same content under another name, in this run
                return {
                    **row,
                    "status": "duplicate",
                    "outcome": "skipped",
                    "error": "same content as another bundle of this run",
                }
            try:
                row.update(_analyse(local, source, key, bundle_id, size, Path(out), options, started))
                _write_json(
                    state,
                    {
                        k: row.get(k)
                        for k in ("bundle", "bundle_id", "bundle_name", "source_path", "status", "error", "severity")
                    },
                )
            finally:
                claim.unlink(missing_ok=True)
    except Exception as error:  # unreadable source: recorded, the fleet goes on
        row["error"] = _error_text(error)
    row["seconds"] = round(time.perf_counter() - started, 4)
    return row


def _analyse(
    local: str, source: str, key: str, bundle_id: str, size: int, out: Path, options: Options, started: float
) -> dict:
    import forensics
    from forensics.bundle import BundleError

    analysed_at = options.generated_at or datetime.now(timezone.utc)
    common = {
        "bundle_id": bundle_id,
        "bundle_name": _stem(source),
        "source_path": source,
        "analysed_at": analysed_at,
        "tool_version": forensics.__version__,
    }
    result, error = None, None
    try:
        with _time_limit(options.timeout):
            result = forensics.run(local, generated_at=analysed_at, max_bytes=options.max_bytes)
    except (BundleError, BundleTimeout) as failure:
        error = str(failure)
    except Exception as failure:  # an internal error on this bundle must not stop the fleet
        error = _error_text(failure)
    if result is not None and not any(n for kind, n in result.analysis.bundle.rows.items() if kind != "problems"):
        first = result.analysis.problems[0] if result.analysis.problems else None
        error = "nothing usable found" + (f" ({first.source}: {first.reason})" if first else "")
    bundle_row = {
        **common,
        "status": "failed" if error else "ok",
        "error": error,
        "size_bytes": size,
        "schema_version": FLEET_SCHEMA_VERSION,
    }
    parts = out / "dataset"
    if error is None:
        analysis = result.analysis
        common["bundle_name"] = bundle_row["bundle_name"] = analysis.bundle.name
        tables = tables_of(result, common)
        for table, data in tables.items():
            _write_part(parts / table / f"bundle={key}", data)
        report = None
        if options.reports:
            from forensics import report as reports

            report = f"reports/{key}.html"
            _write_text(out / report, reports.render(analysis, "html"))
        worst, worst_label = _worst(analysis.verdicts)
        bundle_row.update(
            layout=analysis.bundle.layout,
            collected_at=_naive(analysis.bundle.collected_at),
            window_start=analysis.bundle.window_start,
            window_end=analysis.bundle.window_end,
            releases=len(analysis.verdicts),
            broken=sum(1 for v in analysis.verdicts if not v.healthy),
            findings=len(analysis.findings),
            worst=worst,
            worst_label=worst_label,
            problems=analysis.problems_total,
            report=report,
        )
    else:
        bundle_row["worst"] = "failed"
    bundle_row["seconds"] = round(time.perf_counter() - started, 4)
    _write_part(
        parts / "bundles" / f"bundle={key}", _table("bundles", [bundle_row])
    )  # written last: the bundle is complete
    summary = {
        k: bundle_row.get(k)
        for k in ("bundle_name", "status", "error", "worst", "worst_label", "releases", "broken", "findings")
    }
    # the highest severity of its findings, for the exit code (kept with the bundle's state: a
    # re-run that skips it still counts it)
    summary["severity"] = (
        max((f.severity for f in result.analysis.findings), key=lambda severity: severity.rank).value
        if error is None and result.analysis.findings
        else None
    )
    return {**summary, "outcome": "analysed" if error is None else "failed"}


class BundleTimeout(Exception):
    """A bundle's analysis took longer than --timeout."""


@contextlib.contextmanager
def _time_limit(seconds: float | None) -> Iterator[None]:
    """BundleTimeout raised in this thread once `seconds` have passed, by a SIGALRM timer
    (restored afterwards). Only in a process's main thread, where the process engine runs
    each bundle (a worker process's, or this one's with one worker); Python acts on it
    between two of its steps, so a single Polars call under way finishes first. Elsewhere
    (Dask's worker threads) there is no limit."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(signum, frame):
        raise BundleTimeout(f"timed out after {seconds:g} s (raise the limit with --timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _worst(verdicts) -> tuple[str, str | None]:
    """The worst verdict of a bundle (WORST_ORDER) and its label."""
    if not verdicts:
        return "empty", None

    def rank(v) -> int:
        if v.healthy:
            return WORST_ORDER.index("healthy")
        return WORST_ORDER.index(v.severity.value if v.severity else "unexplained")

    worst = min(verdicts, key=lambda v: (rank(v), v.release))
    return WORST_ORDER[rank(worst)], None if worst.healthy else worst.label


def _naive(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(timezone.utc).replace(tzinfo=None)


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
        "findings": _table("findings", findings),
        "verdicts": _table("verdicts", verdicts),
        "timeline": timeline,
        "inventory": _table("inventory", inventory),
        "controllers": _table("controllers", controllers),
        "upgrades": _table("upgrades", upgrades),
    }


def _table(name: str, rows: list[dict]) -> pa.Table:
    schema = SCHEMAS[name]
    return pa.Table.from_pylist([{k: row.get(k) for k in schema.names} for row in rows], schema=schema)


def _write_part(folder: Path, table: pa.Table) -> None:
    """DIR/dataset/<table>/bundle=<key>/part.parquet, atomically (a hidden temporary name first,
    which DuckDB's `*.parquet`, Spark and Polars all pass over)."""
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / f".part.parquet.{os.getpid()}.tmp"
    metadata = {b"forensics.fleet_schema_version": FLEET_SCHEMA_VERSION.encode()}
    pq.write_table(table.replace_schema_metadata(metadata), temporary)
    os.replace(temporary, folder / "part.parquet")


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _write_json(path: Path, data: dict) -> None:
    _write_text(path, json.dumps(data, default=str, sort_keys=True) + "\n")


def _error_text(error: BaseException) -> str:
    """An error as recorded in the dataset and printed: redacted (it may quote the bundle)."""
    from forensics.redact import redact_text

    text = f"{type(error).__name__}: {error}"
    if not isinstance(error, (OSError, ValueError, RuntimeError)):
        frames = traceback.extract_tb(error.__traceback__)
        if frames:
            last = frames[-1]
            text += f" (at {Path(last.filename).name}:{last.lineno})"
    return redact_text(text[:2000])


# ---- many bundles -------------------------------------------------------------------------


@dataclass
class FleetRun:
    """What one `forensics fleet` run did (the dataset holds the results themselves)."""

    rows: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def count(self, outcome: str) -> int:
        return sum(1 for r in self.rows if r.get("outcome") == outcome)


Callback = Callable[[dict], None]


def run_fleet(
    sources: list[str],
    out: str | os.PathLike,
    options: Options = Options(),
    *,
    workers: int | None = None,
    engine: str = "process",
    scheduler: str | None = None,
    on_result: Callback | None = None,
) -> FleetRun:
    """Analyse every source into `out` with `engine` (`process`: a local pool of `workers`
    persistent processes, in-process when 1; `dask`: the Dask distributed cluster at
    `scheduler`, or a local one when None). Results arrive in completion order."""
    out = os.path.abspath(out)
    Path(out).mkdir(parents=True, exist_ok=True)
    for stale in Path(out).glob("state/*.claim"):  # left by an interrupted run
        stale.unlink(missing_ok=True)
    started = time.perf_counter()
    run = FleetRun()

    def collect(row: dict) -> None:
        run.rows.append(row)
        if on_result:
            on_result(row)

    if engine == "dask":
        _run_dask(sources, out, options, scheduler, workers, collect)
    elif engine == "process":
        _run_processes(sources, out, options, workers or os.cpu_count() or 1, collect)
    else:
        raise ValueError(f"unknown engine {engine!r}")
    run.seconds = time.perf_counter() - started
    return run


def _init_worker() -> None:
    """Import the heavy modules and compile the report template once per worker process."""
    import pyarrow.parquet  # noqa: F401

    import forensics  # noqa: F401
    from forensics.report import html

    html._template()


def _run_processes(sources: list[str], out: str, options: Options, workers: int, collect: Callback) -> None:
    if workers <= 1 or len(sources) <= 1:
        for source in sources:
            collect(process_bundle(source, out, options))
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # One Polars thread per worker: the workers are the parallelism (set before they start;
    # spawned processes read it when they import Polars).
    saved = os.environ.get("POLARS_MAX_THREADS")
    os.environ.setdefault("POLARS_MAX_THREADS", "1")
    try:
        context = multiprocessing.get_context("spawn")  # never fork a process that runs Polars threads
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker) as pool:
            pending: dict = {}
            queue = iter(sources)
            window = workers * 4  # bounded: memory does not grow with the number of bundles
            for source in queue:
                pending[pool.submit(process_bundle, source, out, options)] = source
                if len(pending) >= window:
                    _drain(pending, wait(pending, return_when=FIRST_COMPLETED).done, collect)
            while pending:
                _drain(pending, wait(pending, return_when=FIRST_COMPLETED).done, collect)
    finally:
        if saved is None:
            os.environ.pop("POLARS_MAX_THREADS", None)


def _drain(pending: dict, done, collect: Callback) -> None:
    for future in done:
        source = pending.pop(future)
        try:
            collect(future.result())
        except Exception as error:  # the worker died (killed, out of memory): recorded, go on
            collect({**_unreadable(source, f"worker failed: {_error_text(error)}")})


def _run_dask(
    sources: list[str], out: str, options: Options, scheduler: str | None, workers: int | None, collect: Callback
) -> None:
    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError as error:
        raise RuntimeError("--engine dask needs Dask distributed: pip install 'flux-forensics[fleet-dask]'") from error
    cluster = None
    if scheduler:
        client = Client(scheduler)
    else:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True)
        client = Client(cluster)
    try:
        window = max(4, 4 * sum(client.nthreads().values()))
        queue = iter(sources)
        names: dict = {}
        running = as_completed()
        for source in queue:
            future = client.submit(process_bundle, source, out, options, pure=False)
            names[future.key] = source
            running.add(future)
            if running.count() >= window:
                break
        for future in running:
            source = names.pop(future.key)
            try:
                collect(future.result())
            except Exception as error:  # KilledWorker and the like
                collect(_unreadable(source, f"worker failed: {_error_text(error)}"))
            future.release()
            following = next(queue, None)
            if following is not None:
                nxt = client.submit(process_bundle, following, out, options, pure=False)
                names[nxt.key] = following
                running.add(nxt)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# ---- the command --------------------------------------------------------------------------


def cli_fleet(
    paths: list[str],
    manifests: list[str],
    out: str,
    options: Options,
    *,
    workers: int | None,
    engine: str,
    scheduler: str | None,
    console,
) -> list[dict] | None:
    """`forensics fleet`: expand the inputs, run them with a progress display on a terminal,
    write the summary; returns the rows of every bundle named (`outcome` failed for those that
    failed or matched nothing, `severity` the highest of each bundle's findings), or None when
    no bundle was named or the engine could not start."""
    import sys

    from rich.markup import escape
    from rich.text import Text

    from forensics.report.fleet import write_summary

    sources, unreadable = expand(paths, manifests)
    if not sources and not unreadable:
        console.print(
            "[bold red]error:[/] no bundle given: name folders, archives, globs or --manifest FILE", highlight=False
        )
        return None
    from forensics.report.terminal import visible  # bundle names and errors quote the bundle: no control character

    not_found = list(unreadable)
    missing = len(unreadable)
    for row in unreadable:
        console.print(
            visible(f"not found: {row['source_path']}: {row['error']}"), highlight=False, markup=False, soft_wrap=True
        )
    progress = None
    if sys.stderr.isatty() and sources:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        task = progress.add_task("bundles", total=len(sources), counts="")
    counts = {"analysed": 0, "skipped": 0, "failed": 0}

    def on_result(row: dict) -> None:
        counts[row.get("outcome", "failed")] = counts.get(row.get("outcome", "failed"), 0) + 1
        if row.get("outcome") == "failed" and progress is not None:
            progress.console.print(
                visible(f"failed {row.get('source_path')}: {row.get('error')}"), highlight=False, markup=False
            )
        if progress is not None:
            progress.update(
                task,
                advance=1,
                counts=" · ".join(f"{k} {v}" for k, v in counts.items()),
                description=escape(visible((row.get("bundle_name") or "")[-30:])),
            )

    try:
        if progress is not None:
            with progress:
                run = run_fleet(
                    sources, out, options, workers=workers, engine=engine, scheduler=scheduler, on_result=on_result
                )
        else:
            run = run_fleet(
                sources, out, options, workers=workers, engine=engine, scheduler=scheduler, on_result=on_result
            )
    except RuntimeError as error:
        console.print(Text.assemble(("error:", "bold red"), " " + visible(str(error))), highlight=False)
        return None
    failed = [r for r in run.rows if r.get("outcome") == "failed"]
    # Failures with a content hash are in the dataset; the others only in this run's summary.
    unreadable += [r for r in failed if not r.get("bundle_id")]
    written = write_summary(out, unreadable, options.generated_at)
    rate = len(sources) / run.seconds if run.seconds else 0.0
    console.print(
        f"{len(sources)} bundles in {run.seconds:.1f}s ({rate:.1f}/s): {counts['analysed']} analysed, "
        f"{counts['skipped']} skipped (analysed before), {counts['failed']} failed"
        + (f"; {missing} not found" if missing else ""),
        highlight=False,
        soft_wrap=True,
    )
    for row in failed:
        console.print(visible(f"  failed {row.get('source_path')}: {row.get('error')}"), highlight=False, markup=False)
    console.print(
        f"wrote {written[0]} and {written[1].name}; dataset in {Path(out) / 'dataset'}", highlight=False, markup=False
    )
    return run.rows + not_found
