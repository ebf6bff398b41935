"""What to collect for `forensics analyze`: one table of evidence parts.

A part is one piece of evidence: what it is, why the analysis needs it, the frames and rules
that read it, its troubleshoot.sh collector and the kubectl commands that write it into an
evidence folder. The troubleshoot spec (`forensics collect --troubleshoot`), the shell script
(`--script`) and the collection hints of evidence gaps (`forensics.gaps`, the skipped rules of
`forensics.engine`, rule EG001's remediation) are all built from `PARTS`, so that they cannot
drift apart.

Every file the commands write is a form this tool reads (tests/test_collect.py). The paths
are relative to the evidence folder. A previous container's log goes where troubleshoot puts
it (`pods/logs/<ns>/<pod>/<container>-previous.log`, the Deployment's name standing for the pod
that `kubectl logs deploy/NAME` picks): that path is what tells the log of the container before
a restart from the current one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NAMESPACE = "flux-system"  # where `flux install` and flux-operator run the controllers
SINCE = "72h"  # how far back the controller logs go by default

# Flux's own resource names, fully qualified: a short `helmcharts` is ambiguous on clusters
# that also run k3s/RKE2's helm-controller (helmcharts.helm.cattle.io).
HELMRELEASES = "helmreleases.helm.toolkit.fluxcd.io"
KUSTOMIZATIONS = "kustomizations.kustomize.toolkit.fluxcd.io"
SOURCES = ("helmcharts", "helmrepositories", "ocirepositories", "gitrepositories")

# Each Helm release Secret as a YAML document of its name, namespace, type and labels (what
# parsers.helm_storage reads), never its `data`: the payload holds the release's values.
# kubectl renders it with Go's text/template; `%q` quotes a label value as a YAML string.
HELM_SECRET_TEMPLATE = (
    "---\n"
    "apiVersion: v1\n"
    "kind: Secret\n"
    "type: {{.type}}\n"
    "metadata:\n"
    "  name: {{.metadata.name}}\n"
    "  namespace: {{.metadata.namespace}}\n"
    "  labels:\n"
    '{{range $key, $value := .metadata.labels}}    {{$key}}: {{printf "%q" $value}}\n{{end}}'
)


@dataclass(frozen=True)
class Command:
    """One kubectl command and the file its output goes to; `{ns}` and `{since}` are filled in."""

    argv: str
    file: str
    optional: bool = False  # failing is normal (no previous container): no message, no file


@dataclass(frozen=True)
class Part:
    name: str
    what: str
    why: str
    frames: tuple[str, ...]  # the frames (DESIGN.md §3) its files feed
    rules: tuple[str, ...]  # the rules that read those rows
    commands: tuple[Command, ...]
    collector: dict  # its troubleshoot.sh collector: one item of spec.collectors
    note: str  # said beside the collector in the spec: what it does here, or what it cannot do
    flux: str = ""  # a flux CLI alternative, where it gives something kubectl does not


def _logs(deployment: str, why: str, rules: tuple[str, ...], flux: str = "") -> Part:
    """A Flux controller's log part: the current and the previous container, with timestamps."""
    base = f"kubectl -n {{ns}} logs deploy/{deployment} -c manager --timestamps --since={{since}}"
    return Part(
        name=f"{deployment}-logs",
        what=f"{deployment}'s log, of the current container and of the previous one after a restart, with the "
        f"kubelet's timestamps",
        why=why,
        frames=("logs",),
        rules=rules,
        commands=(
            Command(base, f"{deployment}.log"),
            Command(f"{base} --previous", f"pods/logs/{{ns}}/{deployment}/manager-previous.log", optional=True),
        ),
        collector={
            "logs": {
                "name": deployment,
                "namespace": "{ns}",
                "selector": [f"app={deployment}"],
                "timestamps": True,
                "limits": {"maxAge": "{since}"},
            }
        },
        note=f"{deployment}'s log with the kubelet's timestamps, and the previous container's log too "
        "(troubleshoot writes `<container>-previous.log` when there is one); maxAge sets no line cap "
        "(without limits troubleshoot keeps the last 10000 lines).",
        flux=flux,
    )


# What troubleshoot's clusterResources collector writes, for the parts it gathers.
CLUSTER_RESOURCES = (
    "the objects of every namespace under cluster-resources/: the custom resources of the installed CRDs "
    "(with their managedFields) under custom-resources/, events/, and deployments/, replicasets/ and pods/ "
    "with the containers' args."
)

FAILURE_RULES = (
    "HR001",
    "HR002",
    "HR003",
    "HR004",
    "HR005",
    "HR006",
    "HR007",
    "HR008",
    "HR009",
    "HR010",
    "HR011",
    "HR012",
    "HR013",
    "HR014",
    "SC001",
    "VL001",
    "CR001",
    "DR002",
)

PARTS: tuple[Part, ...] = (
    Part(
        name="events",
        what="the Kubernetes events of every namespace",
        why="each action's outcome as the controllers reported it (install/upgrade succeeded or failed, drift "
        "detected), "
        "and the pods' own events. Events expire after one hour by default (kube-apiserver --event-ttl): collect them "
        "first.",
        frames=("events",),
        rules=("DP001", "DR001", *FAILURE_RULES, "HC001", "EG001"),
        commands=(Command("kubectl get events -A -o yaml", "events.yaml"),),
        collector={"clusterResources": {}},
        note=CLUSTER_RESOURCES,
    ),
    _logs(
        "helm-controller",
        "what the controller did to each release and when: actions and their errors, dependency checks, "
        "drift corrections, the releases it never visited after an upgrade, a crash mid-action. Troubleshoot's "
        "default collectors keep the logs of unhealthy pods only, so this is the part bundles most often lack.",
        ("MG001", "ST001", "ST002", "DP001", "DR001", *FAILURE_RULES, "SU001", "HC001", "EG001"),
        flux="flux logs --all-namespaces --since={since} > flux-logs.txt  (every Flux controller in one file, "
        "re-formatted by the CLI: fewer fields, no previous container)",
    ),
    Part(
        name="helmreleases",
        what="every HelmRelease as kubectl prints it (its inline spec.values too), with its status (conditions, "
        "history, failure counters) and managedFields",
        why="the state each release is in and since when, its dependsOn, and who last wrote its status (managedFields "
        "tell "
        "a status never rewritten after a controller upgrade). status.history needs helm-controller >= v0.37.",
        frames=("releases", "conditions", "history", "managed_fields"),
        rules=(
            "MG001",
            "ST001",
            "ST002",
            "ST003",
            "ST004",
            "DP001",
            "DP002",
            "DP003",
            *FAILURE_RULES,
            "SU001",
            "EG001",
        ),
        commands=(Command(f"kubectl get {HELMRELEASES} -A -o yaml --show-managed-fields", "helmreleases.yaml"),),
        collector={"clusterResources": {}},
        note=CLUSTER_RESOURCES,
    ),
    Part(
        name="helm-storage",
        what="Helm's release Secrets (sh.helm.release.v1.*): their labels only, never their payload",
        why="the status of each Helm revision as Helm itself stored it: a release locked in "
        "pending-install/-upgrade/-rollback",
        frames=("helm_storage",),
        rules=(*FAILURE_RULES, "ST004"),
        commands=(
            Command(
                f"kubectl get secrets -A --field-selector type=helm.sh/release.v1 -o "
                f"go-template='{{{{range .items}}}}{HELM_SECRET_TEMPLATE}{{{{end}}}}'",
                "helm-storage.yaml",
            ),
        ),
        collector={"helm": {"collectValues": False}},
        note="troubleshoot cannot collect a Secret's labels without its payload (its `secret` collector records a "
        "Secret's existence, keys and optionally values, never its labels; clusterResources lists no Secrets). "
        "The helm collector gives each release's revisions and their statuses instead, without values, but only "
        "of the releases whose latest revision is deployed or failed (Helm's list): a release locked in pending-* "
        "is missed. For those, run the kubectl command of `forensics collect --part helm-storage` (labels only).",
    ),
    Part(
        name="flux-workloads",
        what="the Deployments, ReplicaSets and Pods of the Flux controllers' namespace, "
        "with their args (feature gates)",
        why="the controller versions (images) and when each rolled out, the restarts and how the last container ended "
        "(OOMKilled, Error): a controller upgrade or a crash placed on the timeline",
        frames=("controllers",),
        rules=("MG001", "ST001", "DP001", "HC001"),
        commands=(Command("kubectl -n {ns} get deployments,replicasets,pods -o yaml", "{ns}-workloads.yaml"),),
        collector={"clusterResources": {}},
        note=CLUSTER_RESOURCES,
    ),
    Part(
        name="sources",
        what="HelmCharts, HelmRepositories, OCIRepositories and GitRepositories, with their status",
        why="whether the chart a release needs has an artifact, and why not",
        frames=("sources",),
        rules=("SC001", "ST003"),
        commands=tuple(
            Command(f"kubectl get {kind}.source.toolkit.fluxcd.io -A -o yaml", f"{kind}.yaml") for kind in SOURCES
        ),
        collector={"clusterResources": {}},
        note=CLUSTER_RESOURCES,
    ),
    _logs(
        "source-controller",
        "why a chart or its source has no artifact (fetch, authentication and index errors), on the timeline beside "
        "the release (no rule reads it yet)",
        (),
    ),
    Part(
        name="kustomizations",
        what="every Kustomization, with its status",
        why="the Kustomization that applies a HelmRelease and its dry-run or health-check error naming it: "
        "evidence for that release (an object the API server refused, a release not Ready in time)",
        frames=("events",),
        rules=("CR001", "EG001"),
        commands=(Command(f"kubectl get {KUSTOMIZATIONS} -A -o yaml", "kustomizations.yaml"),),
        collector={"clusterResources": {}},
        note=CLUSTER_RESOURCES,
    ),
    _logs(
        "kustomize-controller",
        "the Kustomization that applies a HelmRelease, and its dry-run and health-check errors that name one, on the "
        "timeline (no rule reads it yet)",
        (),
    ),
)

_BY_NAME = {part.name: part for part in PARTS}
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DURATION = re.compile(r"([0-9]+(h|m|s))+")


def names() -> list[str]:
    return list(_BY_NAME)


def part(name: str) -> Part:
    """The part of that name; KeyError naming the parts when there is none."""
    if name not in _BY_NAME:
        raise KeyError(f"no part {name!r}; the parts are: {', '.join(_BY_NAME)}")
    return _BY_NAME[name]


# Both checks guard what goes into the printed shell commands.
def check_namespace(namespace: str) -> None:
    """ValueError unless `namespace` is a Kubernetes namespace name."""
    if not _LABEL.fullmatch(namespace):
        raise ValueError(f"not a namespace name: {namespace!r}")


def check_since(since: str) -> None:
    """ValueError unless `since` is a duration that kubectl and troubleshoot both read (Go's)."""
    if not _DURATION.fullmatch(since):
        raise ValueError(f"not a duration such as 30m, 24h or 1h30m: {since!r}")


def _fill(text: str, namespace: str, since: str) -> str:
    return text.replace("{ns}", namespace).replace("{since}", since)


def command_line(command: Command, namespace: str = NAMESPACE, since: str = SINCE) -> str:
    """The command as a person runs it in the evidence folder: `argv > file` (its folder made first)."""
    file = _fill(command.file, namespace, since)
    folder = file.rsplit("/", 1)[0] if "/" in file else ""
    prefix = f"mkdir -p {folder} && " if folder else ""
    return f"{prefix}{_fill(command.argv, namespace, since)} > {file}"


def hint(name: str, index: int = 0) -> str:
    """How to collect a part, for an evidence gap: one of its commands, and where all of them are."""
    return f"collect part {name}: {command_line(part(name).commands[index])} (or: forensics collect --part {name})"


# A remediation line that collects every part, when no single part is known to be missing.
EVERY_PART = (
    "forensics collect --script > collect.sh && sh collect.sh evidence"
    "  # collect every part, then: forensics analyze evidence"
)


def remedy(name: str) -> str:
    """A remediation line for a part: its first command, naming the part in a shell comment."""
    return f"{command_line(part(name).commands[0])}  # collect part {name} (or: forensics collect --part {name})"


def collector(name: str, namespace: str = NAMESPACE, since: str = SINCE) -> dict:
    """A part's troubleshoot.sh collector with the namespace and duration filled in."""

    def fill(value):
        if isinstance(value, dict):
            return {key: fill(item) for key, item in value.items()}
        if isinstance(value, list):
            return [fill(item) for item in value]
        return _fill(value, namespace, since) if isinstance(value, str) else value

    return fill(part(name).collector)


def inline_collector(name: str) -> str:
    """A part's collector as one line of flow YAML (`{logs: {name: ..., ...}}`), for a hint."""
    import yaml

    return yaml.safe_dump(collector(name), default_flow_style=True, sort_keys=False, width=10**6).strip()


def by_frame() -> dict[str, str]:
    """For each frame, the hint of the first part that feeds it (how to collect a missing frame)."""
    hints: dict[str, str] = {}
    for each in PARTS:
        for frame in each.frames:
            hints.setdefault(frame, hint(each.name))
    return hints


# --- the three renderings: the table, the troubleshoot spec, the script -----------------------


def describe(name: str, namespace: str = NAMESPACE, since: str = SINCE) -> str:
    """Everything about one part, as text."""
    import yaml

    each = part(name)
    read_by = ", ".join(each.rules) if each.rules else "no rule yet"
    frames = ", ".join(each.frames) if each.frames else "none yet"
    lines = [
        f"part {each.name}: {each.what}",
        f"why: {each.why}",
        f"read into: {frames}; by rules: {read_by}",
        "",
        "kubectl (in the evidence folder):",
        *(
            f"  {command_line(c, namespace, since)}" + ("    # may fail: no previous container" if c.optional else "")
            for c in each.commands
        ),
    ]
    if each.flux:
        lines += ["", f"flux CLI alternative: {_fill(each.flux, namespace, since)}"]
    spec = yaml.safe_dump([collector(name, namespace, since)], sort_keys=False, default_flow_style=False)
    lines += ["", "troubleshoot.sh collector (spec.collectors):", *("  " + line for line in spec.splitlines())]
    if each.note:
        lines += _comment(each.note, "  ")
    return "\n".join(lines) + "\n"


def table(namespace: str = NAMESPACE, since: str = SINCE) -> str:
    """Every part: its name, why it is needed and how to collect it."""
    out = [
        "The evidence `forensics analyze` reads, part by part (`forensics collect --part NAME` for one part;",
        "`--script` for all of them as a shell script, `--troubleshoot` as a troubleshoot.sh spec).",
        "",
    ]
    for each in PARTS:
        out.append(f"{each.name}")
        out.append(f"  what: {each.what}")
        out.append(f"  why:  {each.why}")
        for number, command in enumerate(each.commands):
            out.append(f"  {'how:  ' if number == 0 else '      '}{command_line(command, namespace, since)}")
        out.append("")
    return "\n".join(out)


def _comment(text: str, indent: str, width: int = 100) -> list[str]:
    """`text` as YAML or shell comment lines of at most `width` characters."""
    import textwrap

    return [f"{indent}# {line}" for line in textwrap.wrap(text, width - len(indent) - 2, break_on_hyphens=False)]


def troubleshoot_spec(namespace: str = NAMESPACE, since: str = SINCE) -> str:
    """A troubleshoot.sh SupportBundle spec whose collectors gather every part.

    Parts that share a collector (clusterResources) get it once, with one comment naming them.
    """
    import yaml

    groups: list[tuple[dict, list[Part]]] = []
    for each in PARTS:
        wanted = collector(each.name, namespace, since)
        for known, members in groups:
            if known == wanted:
                members.append(each)
                break
        else:
            groups.append((wanted, [each]))
    out = [
        "# troubleshoot.sh SupportBundle spec: the evidence flux-forensics reads "
        "(`forensics collect` lists the parts).",
        "# Collect:  kubectl support-bundle flux-forensics.yaml   (or `forensics collect --troubleshoot | kubectl "
        "support-bundle -`)",
        "# Analyse:  forensics analyze support-bundle-<time>.tar.gz",
        "apiVersion: troubleshoot.sh/v1beta2",
        "kind: SupportBundle",
        "metadata:",
        "  name: flux-forensics",
        "spec:",
        "  collectors:",
    ]
    for wanted, members in groups:
        names = ", ".join(m.name for m in members)
        notes = " ".join(dict.fromkeys(m.note for m in members if m.note))
        text = f"{'parts' if len(members) > 1 else 'part'} {names}: {notes}"
        out += _comment(text, "    ")
        body = yaml.safe_dump([wanted], sort_keys=False, default_flow_style=False)
        out += ["    " + line for line in body.splitlines()]
    return "\n".join(out) + "\n"


_SCRIPT_HEAD = """\
#!/bin/sh
# The evidence `forensics analyze` reads, collected with kubectl (`forensics collect` lists the parts).
#   sh collect.sh [FOLDER]       # default FOLDER: flux-evidence-<UTC time>
#   forensics analyze FOLDER     # or a .tar.gz of it
# Needs read access to the cluster: list HelmReleases, Flux sources, Kustomizations, events and
# Secrets in every namespace; Deployments, ReplicaSets, Pods and pod logs in {ns}.
# Never written: Secret payloads (part helm-storage keeps the labels of Helm's release Secrets only;
# kubectl still receives the Secrets, its template drops their data before anything is written).
# helmreleases.yaml holds each HelmRelease as kubectl prints it, inline spec.values included:
# review the folder before you share it (flux-forensics itself never prints values).
# A command that fails is reported, and the others still run.
set -u
OUT=${{1:-flux-evidence-$(date -u +%Y%m%dT%H%M%SZ)}}

# run FILE COMMAND...: COMMAND's output into $OUT/FILE; a failure is reported and its file removed.
run() {{
    file="$OUT/$1"
    shift
    mkdir -p "$(dirname "$file")"
    if ! "$@" > "$file"; then
        echo "collect: ${{file#"$OUT"/}} not collected" >&2
        rm -f "$file"
    fi
}}

# maybe FILE COMMAND...: the same, quietly, where failing is normal (no previous container).
maybe() {{
    file="$OUT/$1"
    shift
    mkdir -p "$(dirname "$file")"
    "$@" > "$file" 2>/dev/null || rm -f "$file"
}}
"""

_SCRIPT_TAIL = """
# A kind with nothing to list leaves an empty file: removed, so that every file holds evidence.
find "$OUT" -type f -size 0 -exec rm -f {} +
echo "collect: wrote $OUT; next: forensics analyze $OUT" >&2
"""


def script(namespace: str = NAMESPACE, since: str = SINCE) -> str:
    """A POSIX shell script running every part's commands into one evidence folder."""
    out = [_SCRIPT_HEAD.format(ns=namespace)]
    for each in PARTS:
        out += _comment(f"part {each.name}: {each.what}.", "")
        for command in each.commands:
            helper = "maybe" if command.optional else "run"
            out.append(f"{helper} {_fill(command.file, namespace, since)} {_fill(command.argv, namespace, since)}")
        if each.flux:
            out += _comment(f"or: {_fill(each.flux, namespace, since)}", "")
        out.append("")
    return "\n".join(out) + _SCRIPT_TAIL
