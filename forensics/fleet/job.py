"""One bundle of a fleet run: `process_bundle(source, out, options)` reads (or fetches) it, hashes
its content, skips it when that content was analysed before, runs `forensics.run` under a time
limit, writes its Parquet parts and HTML report, and returns one small row (never a frame)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import signal
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from forensics.fleet.inputs import local_copy, slug, stem
from forensics.fleet.tables import arrow_table, tables_of, write_part
from forensics.fleet_schema import FLEET_SCHEMA_VERSION, WORST_ORDER

DEFAULT_TIMEOUT = 1800.0


@dataclass(frozen=True)
class Options:
    """What every per-bundle job needs besides its source (small and picklable)."""

    generated_at: datetime | None = None
    max_bytes: int | None = None
    force: bool = False
    retry_failed: bool = False
    reports: bool = True
    timeout: float | None = DEFAULT_TIMEOUT  # seconds one bundle's analysis may take (None: no limit)


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


# ---- one bundle ---------------------------------------------------------------------------


def process_bundle(source: str, out: str, options: Options = Options()) -> dict:
    """Analyse one bundle into DIR (`out`); returns one small summary row, never raises.

    `outcome` is `analysed`, `failed` or `skipped` (this content was done before)."""
    started = time.perf_counter()
    row: dict = {"source_path": source, "bundle_name": stem(source), "status": "failed", "outcome": "failed"}
    try:
        with local_copy(source) as local:
            bundle_id, size = content_hash(local)
            key = f"{slug(stem(source))}-{bundle_id[:12]}"
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
        row["error"] = error_text(error)
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
        "bundle_name": stem(source),
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
        error = error_text(failure)
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
            write_part(parts / table / f"bundle={key}", data)
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
    write_part(
        parts / "bundles" / f"bundle={key}", arrow_table("bundles", [bundle_row])
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


def _write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _write_json(path: Path, data: dict) -> None:
    _write_text(path, json.dumps(data, default=str, sort_keys=True) + "\n")


def error_text(error: BaseException) -> str:
    """An error as recorded in the dataset and printed: redacted (it may quote the bundle)."""
    from forensics.redact import redact_text

    text = f"{type(error).__name__}: {error}"
    if not isinstance(error, (OSError, ValueError, RuntimeError)):
        frames = traceback.extract_tb(error.__traceback__)
        if frames:
            last = frames[-1]
            text += f" (at {Path(last.filename).name}:{last.lineno})"
    return redact_text(text[:2000])
