"""Many bundles: `run_fleet` fans `process_bundle` out over a local pool of persistent worker
processes (one per core) or a Dask distributed cluster; results arrive in completion order.
There is no scheduler, queue or RPC of our own."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from forensics.fleet.inputs import unreadable
from forensics.fleet.job import Options, error_text, process_bundle


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
            collect({**unreadable(source, f"worker failed: {error_text(error)}")})


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
                collect(unreadable(source, f"worker failed: {error_text(error)}"))
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
