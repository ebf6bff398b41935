"""What the commands share: errors as one line on stderr, the options every bundle command
takes, output files checked before the work, and exit codes (see `forensics.cli`)."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path

import click

EXIT_OK, EXIT_INTERNAL, EXIT_INPUT, EXIT_ERROR, EXIT_WARNING, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 130
FAIL_ON = {"error": 2, "warning": 1, "info": 0, "never": None}  # the lowest Severity.rank that fails


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def print_error(message: str) -> None:
    """`error: MESSAGE` on stderr: the message (which may quote the bundle) redacted, its
    control characters visible and never read as rich markup."""
    from rich.text import Text

    from forensics.redact import redact_text
    from forensics.report.terminal import visible

    line = Text("error:", style="bold red")
    line.append(" " + visible(redact_text(str(message))))
    stderr_console().print(line, soft_wrap=True)


def note(message: str) -> None:
    """A line of the command's own on stderr (`wrote FILE`); it may quote the bundle."""
    from forensics.report.terminal import visible

    stderr_console().print(visible(message), markup=False, soft_wrap=True)


class UserError(click.ClickException):
    """A mistake in what was asked (a missing path, an output that cannot be written, an
    unknown rule) or unusable input: one line on stderr, exit code 2."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        print_error(self.message)


def generated_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"--generated-at {value}: not an ISO 8601 time (2024-01-15T12:00:00Z)") from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)


def caps(command):
    """The archive caps (forensics.bundle), for the commands that read a bundle."""
    command = click.option(
        "--max-ratio",
        type=click.IntRange(min=1),
        help="Cap on the compression ratio of an archive, a zip entry or a .gz member (default 200:1).",
    )(command)
    command = click.option(
        "--max-members",
        type=click.IntRange(min=1),
        help="Cap on the number of entries read from an archive or folder (default 200000).",
    )(command)
    return click.option(
        "--max-bytes",
        type=click.IntRange(min=1),
        help="Cap on decompressed bytes read from the bundle (default 8 GiB).",
    )(command)


def verbosity(command):
    command = click.option(
        "-v",
        "--verbose",
        is_flag=True,
        help="Say more: how long each phase took, every healthy release, why each step of the plan.",
    )(command)
    return click.option(
        "-q", "--quiet", is_flag=True, help="Print only what was asked for and errors: no progress, no notes."
    )(command)


def writable(target: Path, folder: bool = False) -> None:
    """A user error, before any work, when `target` (a file, or a folder) cannot be written."""
    if target.exists():
        if target.is_dir() != folder:
            raise UserError(
                f"--out-dir {target}: a file, not a folder" if folder else f"{target} is a folder, not a file"
            )
        if not os.access(target, os.W_OK):
            raise UserError(f"cannot write {target}: permission denied")
        return
    parent = target.parent
    while not parent.exists():  # the folders to create
        parent = parent.parent
    if not parent.is_dir():
        raise UserError(f"cannot write {target}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK):
        raise UserError(f"cannot write {target}: permission denied in {parent}")


def write(target: Path, text: str | Iterable[str]) -> None:
    """`text` written to `target`, whole or piece by piece as an iterable makes it."""
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as handle:
            handle.writelines([text] if isinstance(text, str) else text)
    except OSError as error:
        raise UserError(f"cannot write {target}: {error.strerror or error}") from None


def run_analysis(path: str, progress=None, **options):
    import forensics
    from forensics.bundle import BundleError

    try:
        return forensics.run(path, progress=progress, **options)
    except BundleError as error:
        raise UserError(str(error)) from None


def progress(path: str, quiet: bool):
    from forensics.cli.progress import PhaseProgress

    return PhaseProgress(path, show=not quiet and sys.stderr.isatty())


def severity_exit_code(ranks, fail_on: str) -> int:
    """The exit code of findings of these severity ranks (Severity.rank) under --fail-on."""
    threshold = FAIL_ON[fail_on]
    failing = [rank for rank in ranks if threshold is not None and rank >= threshold]
    if not failing:
        return EXIT_OK
    return EXIT_ERROR if max(failing) == 2 else EXIT_WARNING
