"""`flux get helmreleases` and `kubectl get helmreleases` tables, as printed or pasted -> releases, conditions.

Format (fluxcd/flux2 `cmd/flux/get_helmrelease.go`, `pkg/printers/table_printer.go`):
header `[NAMESPACE] NAME [SOURCE] REVISION SUSPENDED READY MESSAGE`, cells right-padded with
spaces and separated by a TAB (terminals and tickets often turn the TABs into spaces, so
columns are also cut at the header's word positions). READY and MESSAGE come from the
Ready condition; REVISION is the chart version. Without `-A` there is no NAMESPACE column:
the namespace is then assumed to be the CLI default, `flux-system`, and a problem row says so.
`kubectl get hr [-A]` prints the CRD's printer columns `[NAMESPACE] NAME AGE READY STATUS`
(STATUS is the Ready message; helm-controller `config/crd/bases`, v0.36 to v1.x), space-padded.
A table row carries no reason, no times and no status shape, so rules treat it as partial
evidence (status_format `unknown`).
"""

from __future__ import annotations

import re

from parsers._base import ParseResult, excerpt, frame

NAME = "flux-get-hr-table"
KIND = "releases"
TIMESTAMPS: dict[str, str] = {}

_COLUMNS = ("NAMESPACE", "NAME", "SOURCE", "REVISION", "SUSPENDED", "AGE", "READY", "MESSAGE", "STATUS")
_HEADER = re.compile(
    r"^\s*(NAMESPACE\s+)?NAME\s+(?:(SOURCE\s+)?REVISION\s+SUSPENDED\s+READY\s+MESSAGE"  # flux get hr
    r"|AGE\s+READY\s+STATUS)\s*$"  # kubectl get hr: the CRD's printer columns Age, Ready, Status
)
_PROMPT = re.compile(r"^\s*[$#>%]\s*(flux|kubectl)\s")  # a shell prompt and the command pasted above the table
DEFAULT_NAMESPACE = "flux-system"  # flux CLI default
KUBECTL_DEFAULT_NAMESPACE = "default"  # kubectl: the kubeconfig's namespace, usually default


def matches(path: str, head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    return any(_HEADER.match(line) for line in text.splitlines()[:50])


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


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    header, names, header_line, kubectl, default_ns = None, [], 0, False, DEFAULT_NAMESPACE
    commands: list[str] = []
    releases, conditions = [], []
    for number, line in enumerate(lines, start=1):
        raw = line.rstrip("\r")
        if not raw.strip():
            continue
        if _HEADER.match(raw.replace("\t", " ")):
            header, header_line = raw.expandtabs(8) if "\t" not in raw else raw, number
            names = [c for c in _COLUMNS if re.search(rf"(^|\s){c}(\s|$)", raw)]
            kubectl = "STATUS" in names
            default_ns = KUBECTL_DEFAULT_NAMESPACE if kubectl else DEFAULT_NAMESPACE
            if "NAMESPACE" not in names:
                result.problem(source, number, f"no NAMESPACE column: namespace assumed to be {default_ns}", raw)
            continue
        if _PROMPT.match(raw):
            commands.append(raw.strip())  # the pasted command line itself, kept in the note
            continue
        if header is None:
            result.problem(source, number, "text before the `flux get hr` table header", raw)
            continue
        cells = dict(zip(names, _cells(raw if "\t" in header else raw.expandtabs(8), header, names)))
        if not cells.get("NAME") or cells.get("READY") not in ("True", "False", "Unknown"):
            result.problem(source, number, "not a `flux get hr` table row", raw)
            continue
        namespace = cells.get("NAMESPACE") or default_ns
        message = cells.get("MESSAGE") or cells.get("STATUS")
        form = "kubectl-get-table" if kubectl else "flux-get-table"
        release = f"{namespace}/{cells['NAME']}"
        common = {"excerpt": excerpt(raw), "source": source, "line": number}
        releases.append(
            {
                "release": release,
                "namespace": namespace,
                "name": cells["NAME"],
                "suspended": cells.get("SUSPENDED") == "True",
                "chart_version": cells.get("REVISION") or None,
                "source_ref": cells.get("SOURCE") or None,
                "depends_on": [],
                "ready_status": cells["READY"],
                "ready_message": message,
                "status_format": "unknown",
                "status_format_basis": f"`{'kubectl' if kubectl else 'flux'} get hr` row: Ready status and message only",
                "input_format": form,
                "suspend_line": number if cells.get("SUSPENDED") == "True" else None,
                "suspend_excerpt": excerpt(raw) if cells.get("SUSPENDED") == "True" else None,
                **common,
            }
        )
        conditions.append(
            {"release": release, "type": "Ready", "status": cells["READY"], "message": message, **common}
        )
    result.add("releases", frame("releases", releases))
    result.add("conditions", frame("conditions", conditions))
    result.note = f"{len(releases)} table rows (header at line {header_line})" if header else "no table header"
    if commands:
        result.note += "; pasted command: " + " | ".join(commands)[:200]
    return result
