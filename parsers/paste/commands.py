"""Shell prompts and the commands pasted with their output.

A paste often carries the command that produced it, behind a prompt (`$ `, `# `, `❯ `,
`user@host:~$ `, zsh themes with the kube context and git status, `[12:01:33] user:~ $ `), as a
bare line (`kubectl get hr -A`, the alias `k`), as a `set -x` trace (`+ flux reconcile hr x`) or
a CI step (`Run flux -v`); the first letters may be lost (`ubectl logs ...`). The command is
not evidence, but it says what follows: the kind of object (`get hr` vs `get ks`), the namespace
(`-n apps` for a table without a NAMESPACE column), the object described, whose logs these are.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

TOOLS = ("kubectl", "kubecolor", "oc", "flux", "helm", "stern", "k9s", "kustomize")
# Commands whose output is not evidence by itself, but that pipe or page the evidence.
PAGERS = ("cat", "less", "more", "grep", "egrep", "rg", "jq", "yq", "tail", "head", "watch", "sudo")
_KUBECTL_VERBS = (
    "get",
    "describe",
    "logs",
    "events",
    "apply",
    "api-resources",
    "api-versions",
    "edit",
    "delete",
    "annotate",
    "patch",
    "rollout",
    "top",
    "create",
    "explain",
    "diff",
    "version",
    "cluster-info",
    "wait",
    "label",
)
_WORD = r"(?:" + "|".join(TOOLS + PAGERS) + r")"
# The text before a command: anything that ends in a prompt character and a space.
_PROMPT = re.compile(
    r"^(?P<prompt>.*?(?:[$#%>❯➜»λ✗✔\]]|\$)\s+)(?P<command>(?:sudo\s+)?(?:"
    + _WORD
    + r"|k)\s.*|(?:"
    + _WORD
    + r"|k)\s*)$"
)
_BARE = re.compile(r"^\s*(?P<command>(?:sudo\s+)?(?:" + "|".join(TOOLS) + r")\s+\S.*)$")
_ALIAS_K = re.compile(
    r"^\s*(?P<command>k\s+(?:-n\s+\S+\s+|-A\s+|--namespace[= ]\S+\s+)*(?:" + "|".join(_KUBECTL_VERBS) + r")\b.*)$"
)
# `ubectl logs ...`: a command whose first letters were lost in the copy.
_CUT = re.compile(r"^\s*(?P<command>(?:u?bectl|ectl)\s+(?:" + "|".join(_KUBECTL_VERBS) + r")\b.*)$")
_XTRACE = re.compile(r"^\s*\++ (?P<command>(?:" + _WORD + r")\s.*)$")
_CI_STEP = re.compile(r"^\s*Run (?P<command>(?:" + "|".join(TOOLS) + r")\b.*)$")
# A prompt with nothing after it (the end of a paste).
_BARE_PROMPT = re.compile(r"^\s*(?:\S*[@:~]\S*\s*)?(?:\([^)]*\)\s*)?[$#%❯➜»]\s*$|^\s*\[[\d:]+\]\s+\S+\s+[$#%]\s*$")

_RESOURCES = {
    "hr": "HelmRelease",
    "helmrelease": "HelmRelease",
    "helmreleases": "HelmRelease",
    "ks": "Kustomization",
    "kustomization": "Kustomization",
    "kustomizations": "Kustomization",
    "hc": "HelmChart",
    "helmchart": "HelmChart",
    "helmcharts": "HelmChart",
    "helmrepo": "HelmRepository",
    "helmrepository": "HelmRepository",
    "helmrepositories": "HelmRepository",
    "ocirepo": "OCIRepository",
    "ocirepository": "OCIRepository",
    "ocirepositories": "OCIRepository",
    "gitrepo": "GitRepository",
    "gitrepository": "GitRepository",
    "gitrepositories": "GitRepository",
    "event": "Event",
    "events": "Event",
    "ev": "Event",
    "pod": "Pod",
    "pods": "Pod",
    "po": "Pod",
    "deploy": "Deployment",
    "deployment": "Deployment",
    "deployments": "Deployment",
    "secret": "Secret",
    "secrets": "Secret",
    "crd": "CustomResourceDefinition",
    "crds": "CustomResourceDefinition",
    # flux get sources <kind>
    "chart": "HelmChart",
    "helm": "HelmRepository",
    "oci": "OCIRepository",
    "git": "GitRepository",
    "bucket": "Bucket",
}


@dataclass
class Command:
    """A pasted command line, read for what it says about the output after it."""

    text: str
    line: int
    tool: str = ""
    verb: str = ""
    kind: str | None = None  # the object kind asked for (`get hr` -> HelmRelease)
    name: str | None = None
    namespace: str | None = None
    all_namespaces: bool = False
    output: str | None = None  # -o yaml|json|wide
    controller: str | None = None  # whose logs (`logs deploy/helm-controller`)
    words: list[str] = field(default_factory=list)


_FLUX_MARKER = re.compile(r"^\s*[►✔✗◎⚠✚✓✘]")


def find(line: str) -> str | None:
    """The command of a prompt line, a bare command line, an xtrace or a CI step; else None."""
    if _FLUX_MARKER.match(line):  # flux CLI output (`✗ flux 0.37.0 <0.41.1`), not a zsh prompt
        return None
    for pattern in (_PROMPT, _XTRACE, _CI_STEP, _BARE, _ALIAS_K, _CUT):
        found = pattern.match(line)
        if found:
            return found.group("command").strip()
    return None


def bare_prompt(line: str) -> bool:
    # the prompt's sign ends the line: a cheap test first (the pattern backtracks over a long
    # line's colons)
    return line.rstrip()[-1:] in ("$", "#", "%", "❯", "➜", "»") and bool(_BARE_PROMPT.match(line))


# flags that take a value, by their long name (short forms and `--flag=value` are normalised)
_VALUED = {"-n": "--namespace", "-o": "--output", "-c": "--container", "-l": "--selector"}
_TAKES_VALUE = {
    "--namespace",
    "--output",
    "--container",
    "--selector",
    "--kind",
    "--name",
    "--since",
    "--tail",
    "--for",
    "--field-selector",
}


def _options(words: list[str]) -> tuple[dict[str, str], list[str]]:
    """The flags with their values (`-n x`, `-nx`, `--namespace=x` all as `--namespace`), and
    the positional words."""
    options: dict[str, str] = {}
    positional: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--") and "=" in word:
            name, _, value = word.partition("=")
            options[name] = value
        elif word in ("-A", "--all-namespaces"):
            options["--all-namespaces"] = "true"
        elif _VALUED.get(word, word) in _TAKES_VALUE and i + 1 < len(words):
            options[_VALUED.get(word, word)] = words[i + 1]
            i += 1
        elif word.startswith("-n") and len(word) > 2 and not word.startswith("--"):
            options["--namespace"] = word[2:]
        elif not word.startswith("-"):
            positional.append(word)
        i += 1
    return options, positional


def read(text: str, line: int) -> Command:
    """What a command line asks for: tool, verb, kind, name, namespace, output, controller."""
    command = Command(text=text, line=line)
    first = text.split("|", 1)[0]
    try:
        words = shlex.split(first, posix=True)
    except ValueError:  # an unbalanced quote in a pasted line
        words = first.split()
    while words and words[0] in ("sudo", "watch", "time"):
        words = words[1:]
    if not words:
        return command
    tool = words[0]
    command.tool = "kubectl" if tool in ("k", "kubecolor", "oc", "ubectl", "bectl", "ectl") else tool
    command.words = words
    options, positional = _options(words[1:])
    command.namespace = options.get("--namespace")
    command.all_namespaces = options.get("--all-namespaces", "false") != "false"
    command.output = options.get("--output")
    container = options.get("--container", "")
    command.controller = container if container.endswith("-controller") else None
    if "--kind" in options:
        command.kind = _RESOURCES.get(options["--kind"].lower(), options["--kind"])
    command.name = options.get("--name")
    kind, _, name = options.get("--for", "").partition("/")
    if name:
        command.kind, command.name = _RESOURCES.get(kind.lower(), kind), name
    _positional(command, positional)
    return command


def _positional(command: Command, words: list[str]) -> None:
    """Verb, kind and name from the positional words (`get hr NAME`, `get sources chart`,
    `logs deploy/helm-controller`, `reconcile helmrelease NAME`, `status RELEASE`)."""
    if not words:
        return
    command.verb = words[0]
    rest = words[1:]
    if (
        command.tool == "flux"
        and command.verb in ("get", "reconcile", "suspend", "resume", "export", "delete")
        and rest[:1] == ["sources"]
    ):
        rest = rest[1:]
    if command.tool == "helm":
        command.kind = "HelmRelease (Helm)"
        if command.verb in ("status", "history", "get", "uninstall", "rollback", "test") and rest:
            command.name = rest[-1] if command.verb == "get" and len(rest) > 1 else rest[0]
        elif command.verb in ("install", "upgrade") and rest:
            command.name = rest[0]
        return
    if command.verb in ("logs", "log") and rest:
        target = rest[0]
        command.name = target.split("/", 1)[-1]
        for controller in (
            "helm-controller",
            "source-controller",
            "kustomize-controller",
            "notification-controller",
            "helm-operator",
        ):
            if controller in target:
                command.controller = controller
        return
    if rest:
        head = rest[0]
        kind_word, _, named = head.partition("/")
        kind = _RESOURCES.get(kind_word.lower()) or _RESOURCES.get(kind_word.lower().split(".")[0])
        if kind:
            command.kind = command.kind or kind
            if named:
                command.name = named
            elif len(rest) > 1:
                command.name = rest[1]
