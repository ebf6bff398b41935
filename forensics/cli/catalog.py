"""The commands that read no bundle: the rule catalog (`rules`, `explain`), the JSON Schema
(`schema`), what to collect (`collect`), the MCP server (`mcp`) and shell completion
(`completion`)."""

from __future__ import annotations

import gc
import sys
from pathlib import Path

import click

from forensics.cli import common


@click.command()
@click.option("--markdown", is_flag=True, help="Print the catalog as a Markdown table.")
def rules(markdown):
    """List the rule catalog: id, name, label, severity and what each detects.

    Example:

        forensics rules
    """
    if markdown:
        from forensics.rules import catalog_markdown  # the rules import Polars: only when asked

        click.echo(catalog_markdown(), nl=False)
        return
    from rich.table import Table

    from forensics.report.terminal import _console, _text
    from forensics.rules import RULES

    table = Table(box=None)
    for header in ("id", "name", "label", "severity"):
        table.add_column(header, no_wrap=True)
    table.add_column("detects")
    for rule in RULES:
        table.add_row(
            *(_text(cell) for cell in (rule.id, rule.name, rule.label, rule.severity.value, rule.description()))
        )
    _console().print(table)


@click.command()
@click.argument("key")
def explain(key):
    """Print the documentation of a rule, by id, name or label.

    Example:

        forensics explain migration-skip
    """
    from forensics import causes
    from forensics.rules import lookup

    found = lookup(key)
    labels = [rule.label for rule in found]
    if not labels and key.strip() in causes.CAUSES:  # a label of the vocabulary that no rule reports yet
        labels = [key.strip()]
    if not labels:
        raise click.BadParameter(f"no rule with id, name or label {key!r}; see `forensics rules`", param_hint="KEY")
    from forensics.report.terminal import visible

    for rule in found:
        click.echo(visible(f"{rule.id} {rule.name} (label: {rule.label}, severity: {rule.severity.value})\n"))
        click.echo(visible(rule.documentation() + "\n"))
    for label in dict.fromkeys(labels):  # the verdict's cause -> effect table (forensics/causes.py)
        click.echo(f"Label {label}{'' if found else ' (no rule reports it yet)'}:")
        click.echo(f"  can cause: {', '.join(causes.can_cause(label)) or 'nothing'}")
        click.echo(f"  can be caused by: {', '.join(causes.caused_by(label)) or 'nothing'}\n")


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    help="Write to this file (the repo keeps it in schema/analysis.schema.json).",
)
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


@click.command()
@click.option(
    "--troubleshoot", is_flag=True, help="Print a troubleshoot.sh SupportBundle spec that collects every part."
)
@click.option(
    "--script",
    is_flag=True,
    help="Print a POSIX shell script of kubectl commands that writes every part into one folder.",
)
@click.option(
    "--part",
    "part_name",
    metavar="NAME",
    help="Print one part: why, what reads it, its commands and its troubleshoot collector.",
)
@click.option(
    "--namespace", default="flux-system", show_default=True, help="The namespace the Flux controllers run in."
)
@click.option(
    "--since",
    default="72h",
    show_default=True,
    help="How far back the controller logs go: a duration such as 24h or 1h30m.",
)
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
    for check, value, hint in (
        (parts.check_namespace, namespace, "--namespace"),
        (parts.check_since, since, "--since"),
    ):
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


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell):
    """Print the shell completion script for bash, zsh or fish: commands, options, formats,
    rule choices and file names complete with TAB.

    Example:

    \b
        eval "$(forensics completion bash)"     # in ~/.bashrc
        forensics completion zsh > ~/.zfunc/_forensics     # a folder in $fpath
        forensics completion fish > ~/.config/fish/completions/forensics.fish
    """
    from click.shell_completion import get_completion_class

    group = click.get_current_context().find_root().command  # the `forensics` group
    click.echo(get_completion_class(shell)(group, {}, "forensics", "_FORENSICS_COMPLETE").source())


@click.command()
@click.option(
    "--root",
    "roots",
    multiple=True,
    type=click.Path(exists=True, file_okay=False),
    help="A folder whose bundles the server may read (besides the roots the client grants). Repeatable.",
)
@common.caps
def mcp(roots, **caps):
    """Serve the analysis to an AI assistant: a Model Context Protocol server over stdio.

    Tools: analyze, release, evidence, explain, collect; the rule catalog as resources; the
    prompt `investigate`. Only paths under a --root or a root the client grants are read.
    Needs the extra: pip install 'flux-forensics[mcp]'.

    Example:

        forensics mcp --root ~/bundles
    """
    gc.enable()  # a server lives long: the collector on (see tune_process)
    try:
        from forensics import mcp_server
    except ImportError as error:
        if not (error.name or "").split(".")[0] == "mcp":
            raise
        click.echo("forensics mcp needs the MCP SDK: pip install 'flux-forensics[mcp]'", err=True)
        sys.exit(common.EXIT_INPUT)
    mcp_server.serve(list(roots), caps)


COMMANDS = (rules, explain, schema, collect, mcp, completion)
