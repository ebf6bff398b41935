"""The commands that read bundles: `analyze`, `timeline`, `export`, `inventory`, `fleet`."""

from __future__ import annotations

import difflib
import gc
import sys
from pathlib import Path

import click

from forensics.cli import common
from forensics.cli.common import FAIL_ON, UserError
from forensics.report import FORMATS


def _rule_keys(ctx, param, values: tuple[str, ...]) -> list[str]:
    """--select/--ignore values (repeatable or comma-separated); an unknown one is an error
    with the nearest rule ids, names or labels."""
    from forensics.rules import RULES, lookup

    keys = [key.strip() for value in values for key in value.split(",") if key.strip()]
    for key in keys:
        if not lookup(key):
            known = (
                [rule.id for rule in RULES]
                + [rule.name for rule in RULES]
                + sorted({str(rule.label) for rule in RULES})
            )
            close = difflib.get_close_matches(key, known, n=3, cutoff=0.6) or difflib.get_close_matches(
                key.upper(), known, n=3, cutoff=0.6
            )
            hint = f"; did you mean {' or '.join(close)}?" if close else "; `forensics rules` lists them"
            raise UserError(f"{param.opts[-1]} {key}: no rule has this id, name or label{hint}")
    return keys


@click.command()
@click.argument("path", type=click.Path(allow_dash=True))
@click.option(
    "-f",
    "--format",
    "formats",
    type=click.Choice(FORMATS),
    multiple=True,
    help="Output format(s); default: html + terminal. jsonl/csv: the timeline for Timesketch. Repeatable.",
)
@click.option(
    "-o",
    "--output",
    help="Write to FILE, in the format its suffix names (.html .json .md .jsonl .csv .txt) unless --format says; "
    "'-' is standard output; a format's name alone (-o json) prints that format.",
)
@click.option(
    "--out-dir",
    type=click.Path(),
    default="reports",
    show_default=True,
    help="Folder for report files when --output is not given.",
)
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON)),
    default="warning",
    show_default=True,
    help="Lowest finding severity that makes the exit code non-zero (3 = error, 4 = warning/info).",
)
@click.option(
    "--select",
    "include",
    multiple=True,
    callback=_rule_keys,
    help="Run only these rules (id, name or label; comma-separated or repeated).",
)
@click.option(
    "--ignore",
    "exclude",
    multiple=True,
    callback=_rule_keys,
    help="Skip these rules (id, name or label; comma-separated or repeated).",
)
@click.option("--generated-at", help="Fixed report time (ISO 8601), for reproducible reports.")
@common.caps
@common.verbosity
def analyze(path, formats, output, out_dir, fail_on, include, exclude, generated_at, quiet, verbose, **caps):
    """Analyse a bundle: a folder, .tar.gz/.tgz/.tar/.zip, a single file, or '-' (stdin).

    Writes an HTML report to reports/<bundle>.html and prints the triage table: one line
    per release, the broken first, then the fix in order.

    Example:

    \b
        forensics analyze support-bundle-2024-01-15T09_48_30.tar.gz
        forensics analyze ./dump -o json | jq '.verdicts[] | select(.healthy | not)'
        forensics analyze ./dump -o postmortem.md
    """
    from forensics.report import print_triage, render_run_pieces, targets

    try:
        outputs = targets(formats, output)
    except ValueError as error:
        raise UserError(str(error)) from None
    for where in {where for _, where in outputs if where not in (None, "-")}:
        common.writable(Path(where))
    if any(where is None and fmt != "terminal" for fmt, where in outputs):
        common.writable(Path(out_dir), folder=True)
    stamp = common.generated_at(generated_at)
    on_screen = [fmt for fmt, where in outputs if where == "-" or (fmt == "terminal" and where is None)]
    with common.progress(path, quiet) as progress:
        result = common.run_analysis(
            path, progress, include=include or None, exclude=exclude or None, generated_at=stamp, **caps
        )
        analysis = result.analysis
        usable = any(rows for kind, rows in analysis.bundle.rows.items() if kind != "problems")
        progress.phase("report")
        written = [
            _write_file(result, fmt, where, Path(out_dir), verbose)
            for fmt, where in outputs
            if usable and fmt not in on_screen
        ]
        texts = [render_run_pieces(result, fmt) for fmt in on_screen if usable and fmt != "terminal"]
    if not usable:
        _nothing_usable(path, analysis)
    for pieces in texts:  # after the progress line is gone
        _echo(pieces)
    if "terminal" in on_screen and not (quiet and not formats):  # -q alone: the exit code and the files
        print_triage(analysis, verbose=verbose)
    for target in written if not quiet else []:
        common.note(f"wrote {target}")
    if verbose:
        common.note(progress.summary())
    sys.exit(exit_code(analysis, fail_on))


ECHO_BYTES = 1 << 20  # standard output written this many characters at a time, about


def _echo(pieces) -> None:
    """A report's pieces on standard output, a MB or so at a time (the JSON report of a bundle
    of 200,000 files is not held whole), ending in a newline; no control character reaches a
    terminal."""
    from forensics.report.terminal import visible

    batch: list[str] = []
    size, last = 0, ""
    for piece in pieces:
        batch.append(piece)
        size += len(piece)
        last = piece or last
        if size >= ECHO_BYTES:
            click.echo(visible("".join(batch)), nl=False)
            batch, size = [], 0
    click.echo(visible("".join(batch)), nl=not last.endswith("\n"))


def _write_file(result, fmt: str, where: str | None, out_dir: Path, verbose: bool) -> Path:
    """One output written to its file (OUT_DIR/<bundle>.<suffix> by default); the terminal
    format as a pipe gets it: plain text, one record per line, whole."""
    from rich.console import Console

    from forensics.report import SUFFIXES, print_triage, render_run_pieces

    target = Path(where) if where else out_dir / f"{result.analysis.bundle.name}{SUFFIXES[fmt]}"
    if fmt != "terminal":
        common.write(target, render_run_pieces(result, fmt))
        return target
    common.write(target, "")
    with target.open("w", encoding="utf-8") as handle:
        print_triage(result.analysis, Console(file=handle, highlight=False, color_system=None), verbose=verbose)
    return target


def _nothing_usable(path: str, analysis) -> None:
    from forensics.report.terminal import unusable, visible

    common.print_error(f"nothing usable found in {path}")
    console = common.stderr_console()
    for line in unusable(analysis)[:20]:
        console.print(visible(f"  {line}"), markup=False, soft_wrap=True)
    console.print(
        visible(f"  (every file and what was read of it: forensics inventory {path})"), markup=False, soft_wrap=True
    )
    sys.exit(common.EXIT_INPUT)


def exit_code(analysis, fail_on: str) -> int:
    """3 when an error finding is at/above the threshold, 4 for warnings/info only, else 0."""
    return common.severity_exit_code((f.severity.rank for f in analysis.findings), fail_on)


@click.command()
@click.argument("path", type=click.Path(allow_dash=True))
@click.option(
    "-r", "--release", required=True, help="The release: NAMESPACE/NAME, or NAME alone when one namespace has it."
)
@click.option(
    "--limit",
    type=click.IntRange(min=1),
    default=200,
    show_default=True,
    help="Show at most this many entries (the last ones).",
)
@common.verbosity
def timeline(path, release, limit, quiet, verbose):
    """Print one release's story: its verdict, the fix in order, then its logs, events,
    conditions and history in time order.

    Example:

    \b
        forensics timeline bundle.tar.gz --release apps/podinfo
        forensics timeline bundle.tar.gz -r podinfo
    """
    from forensics import report
    from forensics.report.terminal import release_named

    with common.progress(path, quiet) as progress:
        result = common.run_analysis(path, progress)
        progress.phase("report")
        found, same, close = release_named(result.analysis, result.timeline, release)
    if same:
        raise UserError(
            f"--release {release}: {len(same)} releases have this name ({', '.join(same)}); give NAMESPACE/NAME"
        )
    if found is None:
        hint = (
            f"did you mean {' or '.join(close)}?"
            if close
            else f"`forensics analyze {path} -f terminal` lists its releases"
        )
        raise UserError(f"--release {release}: no such release in this bundle; {hint}")
    report.print_timeline(result.analysis, result.timeline, found, limit)
    if verbose:
        common.note(progress.summary())


@click.command()
@click.argument("path", type=click.Path(allow_dash=True))
@click.option(
    "--timesketch",
    "timesketch",
    type=click.Path(dir_okay=False),
    help="Write the whole timeline for Timesketch: FILE.jsonl or FILE.csv.",
)
@click.option(
    "--parquet",
    "parquet",
    type=click.Path(file_okay=False),
    help="Write every frame and the timeline as DIR/<frame>.parquet.",
)
@common.verbosity
def export(path, timesketch, parquet, quiet, verbose):
    """Export the timeline (Timesketch JSONL/CSV) and the parsed frames (Parquet).

    Timesketch columns: message, datetime (ISO 8601 UTC), timestamp (µs), timestamp_desc,
    release, source, line, reason, origin, level, count; one row per timeline record.

    Example:

        forensics export bundle.tar.gz --timesketch timeline.jsonl --parquet frames/
    """
    from forensics.report import export as exports

    if not timesketch and not parquet:
        raise UserError("give --timesketch FILE.jsonl|.csv and/or --parquet DIR")
    if timesketch and Path(timesketch).suffix.lower() not in (".jsonl", ".ndjson", ".csv"):
        raise UserError(f"--timesketch {timesketch}: the file name must end in .jsonl or .csv")
    if timesketch:
        common.writable(Path(timesketch))
    if parquet:
        common.writable(Path(parquet), folder=True)
    notes = []
    with common.progress(path, quiet) as progress:
        result = common.run_analysis(path, progress)
        progress.phase("report")
        try:
            if timesketch:
                rows = exports.write_timesketch(result.timeline, Path(timesketch))
                notes.append(f"wrote {timesketch} ({rows} rows)")
            if parquet:
                files = exports.write_parquet(result.frames, result.timeline, Path(parquet))
                notes.append(f"wrote {len(files)} Parquet files to {parquet}")
        except OSError as error:
            raise UserError(
                f"cannot write {error.filename or timesketch or parquet}: {error.strerror or error}"
            ) from None
    for note in notes if not quiet else []:
        common.note(note)
    if verbose:
        common.note(progress.summary())


@click.command()
@click.argument("path", type=click.Path(allow_dash=True))
@common.caps
def inventory(path, **caps):
    """List every member of a bundle: the parser that read it, rows, problems, or why it was skipped.

    Example:

        forensics inventory support-bundle.tar.gz
    """
    from forensics.bundle import BundleError
    from forensics.load import load
    from forensics.report.terminal import visible

    try:
        frames = load(path, **caps)
    except BundleError as error:
        raise UserError(str(error)) from None
    bundle = frames.bundle
    collected = bundle.collected_at.isoformat() if bundle.collected_at else "unknown"
    click.echo(
        visible(f"{bundle.name}: layout {bundle.layout}, collected at {collected}, {len(frames.inventory)} members")
    )
    for item in frames.inventory:  # paths and notes come from the bundle (redacted by load)
        parser = item.parser or "-"
        click.echo(f"{visible(item.path)}\t{parser}\trows={item.rows}\tproblems={item.problems}\t{visible(item.note)}")


@click.command()
@click.argument("paths", nargs=-1)
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for the dataset, the reports and fleet.html/fleet.md.",
)
@click.option(
    "--manifest",
    "manifests",
    multiple=True,
    help="A file listing bundles, one path, glob or URL a line ('-': standard input). "
    "Repeatable; '@FILE' as a PATH works too.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Worker processes (default: one per core); with --engine dask, the workers of a local cluster.",
)
@click.option(
    "--engine",
    type=click.Choice(["process", "dask"]),
    default="process",
    show_default=True,
    help="Local process pool, or Dask distributed (extra: fleet-dask).",
)
@click.option(
    "--scheduler", help="Dask scheduler address (tcp://HOST:8786) for --engine dask; default: a local cluster."
)
@click.option("--force", is_flag=True, help="Analyse every bundle again, even when its content was analysed before.")
@click.option("--retry-failed", is_flag=True, help="Analyse again the bundles that failed before.")
@click.option("--no-reports", is_flag=True, help="Skip the per-bundle HTML reports.")
@click.option(
    "--fail-on",
    type=click.Choice(list(FAIL_ON)),
    default="warning",
    show_default=True,
    help="Lowest finding severity, in any bundle, that makes the exit code non-zero (3 = error, 4 = warning/info).",
)
@click.option("--generated-at", help="Fixed analysis time (ISO 8601), for reproducible output.")
@click.option(
    "--max-bytes", type=click.IntRange(min=1), help="Cap on decompressed bytes read from each bundle (default 8 GiB)."
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0),
    default=1800,
    show_default=True,
    help="Seconds one bundle's analysis may take (process engine; 0: no limit); "
    "a bundle over it is recorded as failed.",
)
def fleet(
    paths,
    out,
    manifests,
    workers,
    engine,
    scheduler,
    force,
    retry_failed,
    no_reports,
    fail_on,
    generated_at,
    max_bytes,
    timeout,
):
    """Analyse many bundles into one Parquet dataset, per-bundle reports and a fleet summary.

    PATHS are bundle folders, archives, globs, URLs (fsspec) or @MANIFEST files. Bundles
    whose content was analysed before (same content hash) are skipped. Writes
    OUT/dataset/<table>/bundle=<bundle>/part.parquet, OUT/reports/<bundle>.html,
    OUT/fleet.html and OUT/fleet.md. Exit codes as `analyze`, over every bundle named
    (those skipped included): 2 when a bundle failed or a name matched nothing, else 3/4
    by the worst finding and --fail-on.

    Example:

        forensics fleet 'bundles/*.tar.gz' --out fleet/
    """
    from forensics.cli.fleet import cli_fleet
    from forensics.fleet import Options

    gc.enable()  # many bundles in one process: the collector on (see tune_process)
    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    common.writable(Path(out), folder=True)
    options = Options(
        generated_at=common.generated_at(generated_at),
        max_bytes=max_bytes,
        force=force,
        retry_failed=retry_failed,
        reports=not no_reports,
        timeout=timeout or None,
    )
    rows = cli_fleet(
        list(paths),
        list(manifests),
        out,
        options,
        workers=workers,
        engine=engine,
        scheduler=scheduler,
        console=common.stderr_console(),
    )
    if not rows or any(
        "failed" in (row.get("outcome"), row.get("status")) for row in rows
    ):  # a bundle failed now or before
        sys.exit(common.EXIT_INPUT)
    from forensics.model import Severity

    sys.exit(
        common.severity_exit_code((Severity(row["severity"]).rank for row in rows if row.get("severity")), fail_on)
    )


COMMANDS = (analyze, timeline, export, inventory, fleet)
