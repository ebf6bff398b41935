"""`forensics fleet`'s display: expand the inputs, run the fleet with a progress bar on a
terminal, print the failures and write the fleet summary."""

from __future__ import annotations

from pathlib import Path

from forensics.fleet import Options, expand, run_fleet


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
