"""`flux get helmreleases` and `kubectl get helmreleases` tables, as printed or pasted -> releases, conditions.

Format (fluxcd/flux2 `cmd/flux/get_helmrelease.go`, `pkg/printers/table_printer.go`):
header `[NAMESPACE] NAME [SOURCE] REVISION SUSPENDED READY MESSAGE`, cells right-padded with
spaces and separated by a TAB (terminals and tickets often turn the TABs into spaces, so
columns are also cut at the header's word positions). READY and MESSAGE come from the
Ready condition; REVISION is the chart version. Without `-A` there is no NAMESPACE column:
the namespace is then the one of the pasted command (`-n NS`, else the CLI's default:
`flux-system` for flux, `default` for kubectl); with no command in sight it is not known (the
release is `?/<name>`, resolved later when the bundle names it elsewhere).
`kubectl get hr [-A]` prints the CRD's printer columns `[NAMESPACE] NAME AGE READY STATUS`
(STATUS is the Ready message; helm-controller `config/crd/bases`, v0.36 to v1.x), space-padded.
A table row carries no reason, no times and no status shape, so rules treat it as partial
evidence (status_format `unknown`). `kubectl get kustomizations` prints the same columns: a row
whose message is kustomize-controller's (`Applied revision`, `running health checks`, a
`HelmRelease/<ns>/<name> dry-run failed`) is a Kustomization's, not read as a HelmRelease; when
it names a HelmRelease it is evidence for that release (an `events` row).
"""

from __future__ import annotations

import re

from parsers._base import ParseResult, excerpt, frame
from parsers.paste import commands, messages

NAME = "flux-get-hr-table"
KIND = "releases"
TIMESTAMPS: dict[str, str] = {}

_COLUMNS = (
    "NAMESPACE",
    "NAME",
    "SOURCE",
    "REVISION",
    "SUSPENDED",
    "AGE",
    "READY",
    "MESSAGE",
    "STATUS",
    "RELEASE",
    "PHASE",
)
_KUBECTL_HEADER = re.compile(
    r"^\s*(NAMESPACE\s+)?NAME\s+(?:AGE\s+READY\s+STATUS"  # kubectl get hr: the CRD's printer columns Age, Ready, Status
    # kubectl get hr of Flux v1's helm-operator (helm.fluxcd.io/v1)
    r"|RELEASE\s+(?:PHASE\s+)?STATUS\s+MESSAGE\s+AGE)\s*$"
)
# `flux get hr` prints [NAMESPACE] NAME [SOURCE] REVISION SUSPENDED READY MESSAGE today; older
# CLIs (0.x, `--verbose`) put READY MESSAGE before REVISION SUSPENDED: any order is read.
_FLUX_GET = {"NAMESPACE", "NAME", "SOURCE", "REVISION", "SUSPENDED", "READY", "MESSAGE"}


def is_header(line: str) -> bool:
    """A header of a HelmRelease table: `flux get hr` (its columns in any order) or `kubectl get hr`."""
    line = line.replace("\t", " ")
    if _KUBECTL_HEADER.match(line):
        return True
    words = line.split()
    return bool(words) and {"NAME", "READY", "MESSAGE"} <= set(words) <= _FLUX_GET and len(set(words)) == len(words)


DEFAULT_NAMESPACE = "flux-system"  # flux CLI default
KUBECTL_DEFAULT_NAMESPACE = "default"  # kubectl: the kubeconfig's namespace, usually default


def matches(path: str, head: bytes) -> bool:
    if b"NAME" not in head:  # every header has a NAME column: most members are told apart here
        return False
    text = head.decode("utf-8", errors="replace")
    return any(is_header(line) for line in text.splitlines()[:50])


def _cells(line: str, header: str, names: list[str]) -> list[str]:
    if "\t" in line and "\t" in header:
        cells = [c.strip() for c in line.rstrip("\n").split("\t")]
        if len(cells) >= len(names):
            return cells[: len(names) - 1] + ["\t".join(cells[len(names) - 1 :]).strip()]
    starts = [m.start() for m in re.finditer(r"\S+", header)]
    cells = []
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else None
        cells.append(line[start:end].strip() if end else line[start:].strip())
    return cells


def default_namespace(command: commands.Command | None) -> str | None:
    """The namespace of a table without a NAMESPACE column: the command's `-n`, else the CLI's
    default; None when no command was pasted."""
    if command is None or not command.tool:
        return None
    return command.namespace or (DEFAULT_NAMESPACE if command.tool == "flux" else KUBECTL_DEFAULT_NAMESPACE)


def parse(data: bytes, source: str, *, namespace: str | None = None) -> ParseResult:
    """Read the tables of `data`. `namespace`: the namespace of rows without a NAMESPACE column
    when the caller knows it (from the command pasted before the table)."""
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    header, names, header_line, form, default_ns = None, [], 0, "flux-get-table", namespace
    command: commands.Command | None = None
    said: list[str] = []
    releases, conditions, storage, events = [], [], [], []
    for number, line in enumerate(lines, start=1):
        raw = line.rstrip("\r")
        if not raw.strip():
            continue
        if is_header(raw):
            header, header_line = raw.expandtabs(8) if "\t" not in raw else raw, number
            found = [(m.start(), c) for c in _COLUMNS for m in [re.search(rf"(?:^|\s)({c})(?:\s|$)", raw)] if m]
            names = [c for _, c in sorted(found)]
            form = (
                "helm-operator-table"
                if "RELEASE" in names
                else "kubectl-get-table"
                if "STATUS" in names
                else "flux-get-table"
            )
            default_ns = namespace or default_namespace(command)
            if "NAMESPACE" not in names and default_ns is None:
                result.problem(
                    source,
                    number,
                    "no NAMESPACE column and no command pasted with the table: the namespace is not known",
                    raw,
                )
            continue
        found_command = commands.find(raw)
        if found_command is not None:
            command = commands.read(found_command, number)  # the pasted command line itself, kept in the note
            said.append(raw.strip())
            continue
        if header is None:
            result.problem(source, number, "text before the `flux get hr` table header", raw)
            continue
        cells = dict(zip(names, _cells(raw if "\t" in header else raw.expandtabs(8), header, names)))
        kind, _, named = (cells.get("NAME") or "").rpartition("/")
        if kind and kind.lower() != "helmrelease":
            result.problem(source, number, f"a {kind} row: only HelmRelease rows are read", raw)
            continue
        cells["NAME"] = named
        ready = cells.get("READY")
        if not cells.get("NAME") or (ready not in ("True", "False", "Unknown") and form != "helm-operator-table"):
            result.problem(source, number, "not a `flux get hr` table row", raw)
            continue
        message = cells.get("MESSAGE") or cells.get("STATUS") or ""
        if form != "helm-operator-table" and messages.writer(message) == "kustomize-controller":
            named_release = messages.row(message, number, source, command, raw=raw)
            if named_release["release"]:
                events.append(named_release)
            continue  # a Kustomization's row (its Ready message is kustomize-controller's)
        release_row, condition_row = rows(cells, cells.get("NAMESPACE") or default_ns, form, source, number, raw)
        releases.append(release_row)
        if condition_row:
            conditions.append(condition_row)
        if form == "helm-operator-table" and cells.get("STATUS"):
            storage.append(
                {
                    "release": release_row["release"],
                    "status": cells["STATUS"].lower(),
                    "excerpt": excerpt(raw),
                    "source": source,
                    "line": number,
                }
            )
    result.add("releases", frame("releases", releases))
    result.add("conditions", frame("conditions", conditions))
    result.add("helm_storage", frame("helm_storage", storage))
    result.add("events", frame("events", events))
    result.note = f"{len(releases)} table rows (header at line {header_line})" if header else "no table header"
    if said:
        result.note += "; pasted command: " + " | ".join(said)[:200]
    return result


def rows(
    cells: dict[str, str],
    namespace: str | None,
    form: str,
    source: str,
    number: int,
    raw: str,
    basis: str | None = None,
) -> tuple[dict, dict | None]:
    """The releases row and the Ready conditions row of one table row (`cells` by column name).
    `namespace` None: not known (the release is `?/<name>`). Flux v1's helm-operator rows have
    no Ready column: their STATUS is the Helm release's status, MESSAGE the last condition's."""
    release = f"{namespace or '?'}/{cells['NAME']}"
    ready = cells.get("READY") if cells.get("READY") in ("True", "False", "Unknown") else None
    message = cells.get("MESSAGE") or (cells.get("STATUS") if form != "helm-operator-table" else None)
    common = {"excerpt": excerpt(raw), "source": source, "line": number}
    suspended = cells.get("SUSPENDED") == "True"
    described = {
        "flux-get-table": "`flux get hr` row",
        "kubectl-get-table": "`kubectl get hr` row",
        "helm-operator-table": "helm-operator `kubectl get hr` row",
    }[form]
    release_row = {
        "release": release,
        "namespace": namespace,
        "name": cells["NAME"],
        "suspended": suspended,
        "chart_version": cells.get("REVISION") or None,
        "source_ref": cells.get("SOURCE") or None,
        "depends_on": [],
        "ready_status": ready,
        "ready_message": message,
        "status_format": "helm-operator" if form == "helm-operator-table" else "unknown",
        "api_version": "helm.fluxcd.io/v1" if form == "helm-operator-table" else None,
        "status_format_basis": f"{described}: "
        + (
            "Helm release status and message only" if form == "helm-operator-table" else "Ready status and message only"
        ),
        "input_format": form,
        "release_basis": basis,
        "suspend_line": number if suspended else None,
        "suspend_excerpt": excerpt(raw) if suspended else None,
        **common,
    }
    condition_row = (
        {"release": release, "type": "Ready", "status": ready, "message": message, **common} if ready else None
    )
    if form == "helm-operator-table" and message:
        condition_row = {"release": release, "type": "Released", "status": None, "message": message, **common}
    return release_row, condition_row
