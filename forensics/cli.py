"""The `forensics` command: a thin layer over `forensics.run` plus output files and exit codes.

Exit codes (as troubleshoot/preflight): 0 nothing at or above --fail-on, 3 an error finding,
4 warnings only, 2 unusable input or usage error, 1 internal error.
"""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import click

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_ERROR, EXIT_WARNING = 0, 1, 2, 3, 4
FORMATS = ("html", "json", "md", "terminal")


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


def _print_error(message: str, console=None) -> None:
    """`error: MESSAGE` on stderr: the message (which may quote the bundle) redacted, its
    control characters visible and never read as rich markup."""
    from rich.text import Text

    from forensics.redact import redact_text
    from forensics.report.terminal import visible

    line = Text("error:", style="bold red")
    line.append(" " + visible(redact_text(str(message))))
    (console or _stderr_console()).print(line, highlight=False, soft_wrap=True)


def _progress_for(path: str):
    """A progress callback showing the member being read, on an interactive stderr only."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import BarColumn, DownloadColumn, Progress, SpinnerColumn, TextColumn

    total = Path(path).stat().st_size if Path(path).is_file() else None
    progress = Progress(SpinnerColumn(), TextColumn("reading {task.description}"), BarColumn(), DownloadColumn(), transient=True, console=_stderr_console())
    task = progress.add_task("bundle", total=total)
    shown = [0.0]

    def advance(member: str, size: int) -> None:
        import time

        from rich.markup import escape

        from forensics.redact import redact_text
        from forensics.report.terminal import visible

        now = time.monotonic()
        if now - shown[0] < 0.2:  # the member's name is redacted and cleaned a few times a second, not per member
            progress.update(task, advance=size if total is None else 0)
            return
        shown[0] = now
        progress.update(task, advance=size if total is None else 0, description=escape(visible(redact_text(member[-60:]))))

    return progress, advance


def _generated_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise click.BadParameter(f"not an ISO 8601 time: {value}") from error
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def _caps(command):
    """The archive caps beyond --max-bytes (forensics.bundle), for the commands that read a bundle."""
    command = click.option("--max-ratio", type=click.IntRange(min=1), help="Cap on the compression ratio of an archive, a zip entry or a .gz member (default 200:1).")(command)
    return click.option("--max-members", type=click.IntRange(min=1), help="Cap on the number of entries read from an archive or folder (default 200000).")(command)


class _Guarded(click.Group):
    """An unexpected exception is one line on stderr and exit code 1; its traceback with --debug."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit, KeyboardInterrupt):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if ctx.meta.get("forensics.debug"):
                raise
            from forensics.redact import redact_text
            from forensics.report.terminal import visible

            text = visible(" ".join(redact_text(f"{type(error).__name__}: {error}").split())[:300])
            click.echo(f"internal error: {text} (a bug; re-run with --debug for the traceback)", err=True)
            ctx.exit(EXIT_INTERNAL)


def _run(path: str, **options):
    import forensics
    from forensics.bundle import BundleError

    progress, advance = _progress_for(path)
    try:
        if progress:
            with progress:
                return forensics.run(path, progress=advance, **options)
        return forensics.run(path, **options)
    except BundleError as error:
        _print_error(str(error))
        sys.exit(EXIT_INPUT)


# Set once `analyze` has written its outputs: the process may then end without the
# interpreter's teardown (see `entry`).
_DONE = {"analysis": False}


def entry() -> None:
    """The `forensics` command (the console script). After an analysis, once its reports are
    written and its exit code is known, the process ends without the interpreter's teardown:
    freeing a big bundle's frames buffer by buffer took 0.15-0.2 s of every run, and the
    operating system takes the memory back at once. The exit handlers still run first
    (temporary folders such as the spool of a tar's big members are removed), and the output
    streams are flushed. Any other command, and an error, exit as usual."""
    import atexit
    import os

    try:
        main()
    except SystemExit as done:
        code = done.code
        if not _DONE["analysis"] or not (code is None or isinstance(code, int)):
            raise
    else:
        raise SystemExit(0)
    run_exit_handlers = getattr(atexit, "_run_exitfuncs", None)
    if run_exit_handlers is None:  # not CPython: the usual exit
        raise SystemExit(code)
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (`| head`): nothing more to say there
            pass
    run_exit_handlers()
    os._exit(code or 0)


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flux-forensics")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error instead of one line.")
def main(debug: bool) -> None:
    """Explain what helm-controller did to each HelmRelease, from a support bundle, a
    cluster dump or loose kubectl/flux output, offline.

    Example:

        forensics analyze support-bundle.tar.gz
    """
    click.get_current_context().meta["forensics.debug"] = debug


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=True, allow_dash=True))
@click.option("-f", "--format", "formats", type=click.Choice(FORMATS), multiple=True, help="Output format(s); default: html + terminal table. Repeatable.")
@click.option("-o", "--output", type=str, help="File for the (single) --format; '-' writes to standard output.")
@click.option("--out-dir", type=click.Path(file_okay=False), default="reports", show_default=True, help="Folder for report files when --output is not given.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]), default="warning", show_default=True, help="Lowest finding severity that makes the exit code non-zero (3 = error, 4 = warning/info).")
@click.option("--select", "include", multiple=True, help="Run only these rules (id, name or label). Repeatable.")
@click.option("--ignore", "exclude", multiple=True, help="Skip these rules (id, name or label). Repeatable.")
@click.option("--generated-at", help="Fixed report time (ISO 8601), for reproducible reports.")
@click.option("--max-bytes", type=int, help="Cap on decompressed bytes read from the bundle (default 8 GiB).")
@_caps
def analyze(path, formats, output, out_dir, fail_on, include, exclude, generated_at, max_bytes, **caps):
    """Analyse a bundle: a folder, .tar.gz/.tgz/.tar/.zip, or a single file.

    Writes an HTML report to reports/<bundle>.html and prints a triage table.

    Example:

        forensics analyze support-bundle-2024-01-15T09_48_30.tar.gz

        forensics analyze ./dump --format json --output -
    """
    from forensics import collector_paused, report

    if output and len(formats) != 1:
        raise click.UsageError("--output needs exactly one --format")
    with collector_paused():  # the reports too: rendering makes as many objects as parsing
        _analyze(path, formats, output, out_dir, fail_on, include, exclude, generated_at, max_bytes, **caps)


def _analyze(path, formats, output, out_dir, fail_on, include, exclude, generated_at, max_bytes, **caps):
    from forensics import report

    result = _run(path, include=list(include) or None, exclude=list(exclude) or None, generated_at=_generated_at(generated_at), max_bytes=max_bytes, **caps)
    analysis = result.analysis
    if not any(analysis.bundle.rows[k] for k in analysis.bundle.rows if k != "problems"):
        from forensics.report.terminal import visible

        console = _stderr_console()
        _print_error(f"nothing usable found in {path}", console)
        for line in unusable(analysis)[:20]:
            console.print(visible(f"  {line}"), highlight=False, markup=False, soft_wrap=True)
        console.print(visible(f"  (every file and what was read of it: forensics inventory {path})"), highlight=False, markup=False, soft_wrap=True)
        sys.exit(EXIT_INPUT)

    chosen = formats or ("html", "terminal")
    for fmt in chosen:
        if fmt == "terminal":
            report.print_triage(analysis)
            continue
        text = report.render(analysis, fmt)
        if output == "-":
            from forensics.report.terminal import visible

            click.echo(visible(text), nl=not text.endswith("\n"))  # no control character reaches a terminal
            continue
        target = Path(output) if output else Path(out_dir) / f"{analysis.bundle.name}.{ {'md': 'md'}.get(fmt, fmt) }"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        if output != "-":
            _stderr_console().print(f"wrote {target}", highlight=False, markup=False)
    _DONE["analysis"] = True
    sys.exit(exit_code(analysis, fail_on))


def unusable(analysis) -> list[str]:
    """One line per file of a bundle where nothing was usable: the file and why."""
    first_problem: dict[str, str] = {}
    for problem in analysis.problems:
        first_problem.setdefault(problem.source, problem.reason if problem.line is None else f"line {problem.line}: {problem.reason}")
    lines = []
    for item in analysis.inventory:
        if item.note.startswith("symlink to"):
            continue
        why = first_problem.get(item.path) or item.note or ("no parser recognises this file" if item.parser is None else "nothing in it")
        if item.size == 0:
            why = "empty file"
        lines.append(f"{item.path}: {why}")
    listed = {item.path for item in analysis.inventory}
    lines += [f"{source}: {reason}" for source, reason in first_problem.items() if source not in listed]  # the bundle's own (caps, refusals)
    return lines or ["no file in it"]


def exit_code(analysis, fail_on: str) -> int:
    """3 when an error finding is at/above the threshold, 4 for warnings/info only, else 0."""
    if fail_on == "never":
        return EXIT_OK
    threshold = {"error": 2, "warning": 1, "info": 0}[fail_on]
    ranks = [f.severity.rank for f in analysis.findings if f.severity.rank >= threshold]
    if not ranks:
        return EXIT_OK
    return EXIT_ERROR if max(ranks) == 2 else EXIT_WARNING


def rules_markdown() -> str:
    """The rule catalog as a Markdown table (the README embeds it; tests/test_docs.py checks)."""
    from forensics.rules import RULES

    rows = ["| rule | label | severity | what it detects |", "|---|---|---|---|"]
    def cell(text: str) -> str:
        return text.replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")

    rows += [f"| {r.id} {r.name} | `{r.label}` | {r.severity.value} | {cell(r.description())} |" for r in RULES]
    return "\n".join(rows) + "\n"


@main.command()
@click.option("--markdown", is_flag=True, help="Print the catalog as a Markdown table.")
def rules(markdown):
    """List the rule catalog: id, name, label, severity and what each detects.

    Example:

        forensics rules
    """
    if markdown:
        click.echo(rules_markdown(), nl=False)
        return
    from rich.table import Table

    from forensics.report.terminal import _console, _text
    from forensics.rules import RULES

    table = Table(box=None)
    for header in ("id", "name", "label", "severity"):
        table.add_column(header, no_wrap=True)
    table.add_column("detects")
    for rule in RULES:
        table.add_row(*(_text(cell) for cell in (rule.id, rule.name, rule.label, rule.severity.value, rule.description())))
    _console().print(table)


@main.command()
@click.argument("key")
def explain(key):
    """Print the documentation of a rule, by id, name or label.

    Example:

        forensics explain migration-skip
    """
    from forensics import verdicts
    from forensics.rules import lookup

    found = lookup(key)
    labels = [rule.label for rule in found]
    if not labels and key.strip() in verdicts.CAUSES:  # a label of the vocabulary that no rule reports yet
        labels = [key.strip()]
    if not labels:
        raise click.BadParameter(f"no rule with id, name or label {key!r}; see `forensics rules`", param_hint="KEY")
    from forensics.report.terminal import visible

    for rule in found:
        click.echo(visible(f"{rule.id} {rule.name} (label: {rule.label}, severity: {rule.severity.value})\n"))
        click.echo(visible(rule.documentation() + "\n"))
    for label in dict.fromkeys(labels):  # the verdict's cause -> effect table (forensics/verdicts.py)
        click.echo(f"Label {label}{'' if found else ' (no rule reports it yet)'}:")
        click.echo(f"  can cause: {', '.join(verdicts.can_cause(label)) or 'nothing'}")
        click.echo(f"  can be caused by: {', '.join(verdicts.caused_by(label)) or 'nothing'}\n")


@main.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("-r", "--release", required=True, help="The release, as NAMESPACE/NAME.")
@click.option("--limit", type=int, default=200, show_default=True, help="Show at most this many entries (the last ones).")
def timeline(path, release, limit):
    """Print one release's story: logs, events, conditions and history in time order.

    Example:

        forensics timeline bundle.tar.gz --release apps/podinfo
    """
    from forensics import report

    result = _run(path)
    if not report.print_timeline(result.analysis, result.timeline, release, limit):
        sys.exit(EXIT_INPUT)


@main.command()
@click.argument("path", type=click.Path(exists=True))
@click.option("--timesketch", "timesketch", type=click.Path(dir_okay=False), help="Write the whole timeline for Timesketch: FILE.jsonl or FILE.csv.")
@click.option("--parquet", "parquet", type=click.Path(file_okay=False), help="Write every frame and the timeline as DIR/<frame>.parquet.")
def export(path, timesketch, parquet):
    """Export the timeline (Timesketch JSONL/CSV) and the parsed frames (Parquet).

    Timesketch columns: message, datetime (ISO 8601 UTC), timestamp (µs), timestamp_desc,
    release, source, line, reason, origin, level, count; one row per timeline record.

    Example:

        forensics export bundle.tar.gz --timesketch timeline.jsonl --parquet frames/
    """
    from forensics.report import export as exports

    if not timesketch and not parquet:
        raise click.UsageError("give --timesketch FILE.jsonl|.csv and/or --parquet DIR")
    if timesketch and Path(timesketch).suffix.lower() not in (".jsonl", ".ndjson", ".csv"):
        raise click.BadParameter("the file name must end in .jsonl or .csv", param_hint="--timesketch")
    result = _run(path)
    console = _stderr_console()
    if timesketch:
        rows = exports.write_timesketch(result.timeline, Path(timesketch))
        console.print(f"wrote {timesketch} ({rows} rows)", highlight=False, markup=False)
    if parquet:
        files = exports.write_parquet(result.frames, result.timeline, Path(parquet))
        console.print(f"wrote {len(files)} Parquet files to {parquet}", highlight=False, markup=False)


@main.command()
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write to this file (the repo keeps it in schema/analysis.schema.json).")
def schema(output):
    """Print the JSON Schema of the analysis JSON (`analyze --format json`).

    Example:

        forensics schema -o schema/analysis.schema.json
    """
    from forensics.schema import json_schema_text

    text = json_schema_text()
    if output:
        Path(output).parent.mkdir(parents=True, exist_ok=True)
        Path(output).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


@main.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=True, allow_dash=True))
@click.option("--max-bytes", type=int, help="Cap on decompressed bytes read from the bundle (default 8 GiB).")
@_caps
def inventory(path, max_bytes, **caps):
    """List every member of a bundle: the parser that read it, rows, problems, or why it was skipped.

    Example:

        forensics inventory support-bundle.tar.gz
    """
    from forensics.bundle import BundleError
    from forensics.load import load
    from forensics.report.terminal import visible

    try:
        frames = load(path, max_bytes=max_bytes, **caps)
    except BundleError as error:
        _print_error(str(error))
        sys.exit(EXIT_INPUT)
    bundle = frames.bundle
    collected = bundle.collected_at.isoformat() if bundle.collected_at else "unknown"
    click.echo(visible(f"{bundle.name}: layout {bundle.layout}, collected at {collected}, {len(frames.inventory)} members"))
    for item in frames.inventory:  # paths and notes come from the bundle (redacted by load)
        parser = item.parser or "-"
        click.echo(f"{visible(item.path)}\t{parser}\trows={item.rows}\tproblems={item.problems}\t{visible(item.note)}")


@main.command()
@click.option("--troubleshoot", is_flag=True, help="Print a troubleshoot.sh SupportBundle spec that collects every part.")
@click.option("--script", is_flag=True, help="Print a POSIX shell script of kubectl commands that writes every part into one folder.")
@click.option("--part", "part_name", metavar="NAME", help="Print one part: why, what reads it, its commands and its troubleshoot collector.")
@click.option("--namespace", default="flux-system", show_default=True, help="The namespace the Flux controllers run in.")
@click.option("--since", default="72h", show_default=True, help="How far back the controller logs go: a duration such as 24h or 1h30m.")
def collect(troubleshoot, script, part_name, namespace, since):
    """Print what to collect for `forensics analyze`, part by part.

    Without an option, the table of evidence parts: each part's name, why the analysis needs
    it and how to collect it. The spec, the script and the hints of evidence gaps are built
    from that one table. Neither writes Secret payloads; HelmReleases are collected as
    kubectl prints them, inline values included (the analysis never prints values).

    Example:

    \b
        forensics collect
        forensics collect --part helm-controller-logs
        forensics collect --script > collect.sh && sh collect.sh evidence
        forensics analyze evidence
        forensics collect --troubleshoot > flux-forensics.yaml
        kubectl support-bundle flux-forensics.yaml
    """
    from forensics import collect as parts

    if sum((troubleshoot, script, part_name is not None)) > 1:
        raise click.UsageError("give one of --troubleshoot, --script and --part")
    for check, value, hint in ((parts.check_namespace, namespace, "--namespace"), (parts.check_since, since, "--since")):
        try:
            check(value)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=hint) from None
    if troubleshoot:
        text = parts.troubleshoot_spec(namespace, since)
    elif script:
        text = parts.script(namespace, since)
    elif part_name is not None:
        try:
            text = parts.describe(part_name, namespace, since)
        except KeyError as error:
            raise click.BadParameter(error.args[0], param_hint="--part") from None
    else:
        text = parts.table(namespace, since)
    click.echo(text, nl=False)


@main.command()
@click.option("--root", "roots", multiple=True, type=click.Path(exists=True, file_okay=False), help="A folder whose bundles the server may read (besides the roots the client grants). Repeatable.")
@click.option("--max-bytes", type=int, help="Cap on decompressed bytes read from a bundle (default 8 GiB).")
@_caps
def mcp(roots, max_bytes, **caps):
    """Serve the analysis to an AI assistant: a Model Context Protocol server over stdio.

    Tools: analyze, release, evidence, explain, collect; the rule catalog as resources; the
    prompt `investigate`. Only paths under a --root or a root the client grants are read.
    Needs the extra: pip install 'flux-forensics[mcp]'.

    Example:

        forensics mcp --root ~/bundles
    """
    try:
        from forensics import mcp_server
    except ImportError as error:
        if not (error.name or "").split(".")[0] == "mcp":
            raise
        click.echo("forensics mcp needs the MCP SDK: pip install 'flux-forensics[mcp]'", err=True)
        sys.exit(EXIT_INPUT)
    mcp_server.serve(list(roots), {"max_bytes": max_bytes, **caps})


@main.command()
@click.argument("paths", nargs=-1)
@click.option("--out", "out", required=True, type=click.Path(file_okay=False), help="Folder for the dataset, the reports and fleet.html/fleet.md.")
@click.option("--manifest", "manifests", multiple=True, help="A file listing bundles, one path, glob or URL a line ('-': standard input). Repeatable; '@FILE' as a PATH works too.")
@click.option("--workers", type=click.IntRange(min=1), help="Worker processes (default: one per core); with --engine dask, the workers of a local cluster.")
@click.option("--engine", type=click.Choice(["process", "dask"]), default="process", show_default=True, help="Local process pool, or Dask distributed (extra: fleet-dask).")
@click.option("--scheduler", help="Dask scheduler address (tcp://HOST:8786) for --engine dask; default: a local cluster.")
@click.option("--force", is_flag=True, help="Analyse every bundle again, even when its content was analysed before.")
@click.option("--retry-failed", is_flag=True, help="Analyse again the bundles that failed before.")
@click.option("--no-reports", is_flag=True, help="Skip the per-bundle HTML reports.")
@click.option("--generated-at", help="Fixed analysis time (ISO 8601), for reproducible output.")
@click.option("--max-bytes", type=int, help="Cap on decompressed bytes read from each bundle (default 8 GiB).")
@click.option("--timeout", type=click.FloatRange(min=0), default=1800, show_default=True, help="Seconds one bundle's analysis may take (process engine; 0: no limit); a bundle over it is recorded as failed.")
def fleet(paths, out, manifests, workers, engine, scheduler, force, retry_failed, no_reports, generated_at, max_bytes, timeout):
    """Analyse many bundles into one Parquet dataset, per-bundle reports and a fleet summary.

    PATHS are bundle folders, archives, globs, URLs (fsspec) or @MANIFEST files. Bundles
    whose content was analysed before (same content hash) are skipped. Writes
    OUT/dataset/<table>/bundle=<bundle>/part.parquet, OUT/reports/<bundle>.html,
    OUT/fleet.html and OUT/fleet.md.

    Example:

        forensics fleet 'bundles/*.tar.gz' --out fleet/
    """
    from forensics.fleet import Options, cli_fleet

    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    options = Options(generated_at=_generated_at(generated_at), max_bytes=max_bytes, force=force, retry_failed=retry_failed, reports=not no_reports, timeout=timeout or None)
    sys.exit(cli_fleet(list(paths), list(manifests), out, options, workers=workers, engine=engine, scheduler=scheduler, console=_stderr_console()))


if __name__ == "__main__":  # pragma: no cover
    main()
