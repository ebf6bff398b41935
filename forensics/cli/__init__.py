"""The `forensics` command: a thin layer over `forensics.run` plus output files and exit codes.

Conventions: what a command is asked for goes to standard output; progress, `wrote FILE`
and errors go to standard error, an error in one line (`error: ...`). Exit codes (as
troubleshoot/preflight): 0 nothing at or above --fail-on, 3 an error finding, 4 warnings
only, 2 unusable input or a mistake in the command (a missing path, an output that cannot be
written, an unknown rule or release), 1 internal error, 130 interrupted (Ctrl-C).

The group and the process tuning of the console script are here; the commands that read
bundles are in `analysis`, the others in `catalog`, what they share in `common`.
"""

from __future__ import annotations

import gc
import os

import click

from forensics.cli import analysis, catalog
from forensics.cli.analysis import exit_code
from forensics.cli.common import EXIT_INTERNAL, EXIT_INTERRUPTED

__all__ = ["entry", "main", "exit_code"]


class _Guarded(click.Group):
    """Ctrl-C is exit code 130; an unexpected exception is one line on stderr and exit code 1
    (its traceback with --debug)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort, SystemExit):
            raise
        except Exception as error:  # noqa: BLE001 - the last line of defence
            if ctx.meta.get("forensics.debug"):
                raise
            from forensics.redact import redact_text
            from forensics.report.terminal import visible

            text = visible(" ".join(redact_text(f"{type(error).__name__}: {error}").split())[:300])
            click.echo(f"internal error: {text} (a bug; re-run with --debug for the traceback)", err=True)
            ctx.exit(EXIT_INTERNAL)


def entry() -> None:
    """The `forensics` console script: `main` in a process tuned for one big analysis."""
    tune_process()
    main()


def tune_process() -> None:
    """The process settings of the `forensics` command; the library sets none of them. Each
    stays for a gain measured on the benchmark (bench/README.md, "Process tuning"):

    - Polars' allocator (jemalloc) gives freed pages back at once (MADV_DONTNEED) instead of
      lazily: peak memory -8% on the 2M-line bundle. Read when Polars is first imported,
      which is after this; a value already in the environment wins.
    - Python's cyclic garbage collector is off: parsing makes millions of objects and no
      cycles to speak of, and the collector's passes over them cost 16% of the CPU of
      reading 5,000 HelmReleases of YAML. `mcp` and `fleet`, which live long, turn it on.
    """
    os.environ.setdefault("_RJEM_MALLOC_CONF", "muzzy_decay_ms:0")
    gc.disable()


@click.group(cls=_Guarded, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="flux-forensics", prog_name="forensics")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error instead of one line.")
def main(debug: bool) -> None:
    """Explain what helm-controller did to each HelmRelease, from a support bundle, a
    cluster dump or loose kubectl/flux output, offline.

    Example:

        forensics analyze support-bundle.tar.gz
    """
    click.get_current_context().meta["forensics.debug"] = debug


for command in analysis.COMMANDS + catalog.COMMANDS:
    main.add_command(command)
