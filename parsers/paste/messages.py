"""A message pasted on its own (a Ready message, an event's text, an error line) -> an `events` row.

The row says what the text itself shows and no more: which release it is about (`names.subject`,
else the pasted command, else `?/?` for a release-level message that names none), who wrote it
(`component`, from the wording each writer uses), whether it reports a failure (`type`
Warning/Normal) and, when the wording implies it, the controller's own condition reason
(`Helm upgrade failed ...` is `UpgradeFailed` in every helm-controller version; a Kustomization's
health check is `HealthCheckFailed`, its apply/dry-run failure `ReconciliationFailed`). It has no
time unless the paste shows one. Messages about no single release (a Flux API version the
cluster does not serve, a controller that cannot list its own kind) keep `release` null.
"""

from __future__ import annotations

import re

from parsers._base import excerpt
from parsers.paste.commands import Command
from parsers.paste.names import Ref, subject

_ACTION = re.compile(r"^Helm (install|upgrade|rollback|test|uninstall) (failed|succeeded)\b")
_FAILURE = re.compile(
    r"(?i)\b(?:fail(?:s|ed|ure)?|error|invalid|cannot|can't|unable|denied|"
    r"unauthori[sz]ed|forbidden|not found|not ready|"
    r"exceeded|timed out|timeout waiting|i/o timeout|refused|no matches|conflict|"
    r"exhausted|stalled|is in progress|unsupported value|"
    r"required value|no deployed releases|could not|couldn't|not declared|immutable|unknown field|not allowed|"
    r"panic|oomkilled|crashloopbackoff|backoff|not served|could not find the requested resource|stuck|not-ready)\b"
)
# Text that is known Flux/Helm wording without a failure in it.
_KNOWN_OK = re.compile(
    r"(?i)^(?:Release reconciliation succeeded|Reconciliation in progress|Running '\w+' action|Helm \w+ succeeded|"
    r"release in-sync|Applied revision|stored artifact|pulled '|Fulfilling prerequisites|running health checks|"
    r"Detecting drift|no drift|HelmChart '[^']+' is ready|Artifact up-to-date|chart pulled|reconciliation in progress)"
)
_WRITERS = (
    # (who, pattern) - the first that matches names the writer
    (
        "kustomize-controller",
        re.compile(
            r"\bdry-run failed\b.*|Health check failed after|running health checks with a timeout|Applied revision:|"
            r"timeout waiting for: \[(?:HelmRelease|Kustomization|HelmRepository|OCIRepository|GitRepository)/|"
            r"Detecting drift for revision"
        ),
    ),
    # the Helm CLI's errors, and its `--debug` log (`upgrade.go:293: [debug] warning: Upgrade "x" failed: ...`)
    ("helm", re.compile(r"^Error: |^\w+\.go:\d+: \[debug\] ")),
    ("kubectl", re.compile(r"^error: |^Error from server|The \w+ \"[^\"]+\" is invalid")),
    (
        "source-controller",
        re.compile(
            r"dependency build error|failed to cache index|failed to fetch .*(?:401|403|404)|chart pull error|"
            r"pulled '[^']+' chart|stored artifact|failed to get chart version|no chart name found|"
            r"invalid chart reference"
        ),
    ),
    (
        "helm-controller",
        re.compile(
            r"^Helm \w+ (?:failed|succeeded)|^reconciliation failed|retries exhausted|Release reconciliation succeeded|"
            r"(?:HelmChart|OCIRepository|HelmRepository) '[^']+' is not ready|dependency '[^']+' is not ready|"
            r"failed to download (?:artifact|chart)|another operation \(install/upgrade/rollback\) is in progress|"
            r"failed to diff release|release in-sync|Running '\w+' action|has no deployed releases|"
            r"failed to get last release revision|previous release attempt remediation failed|Release not loaded|"
            r"values don't meet the specifications|unable to build kubernetes objects from release manifest|"
            r"^install retries exhausted|^upgrade retries exhausted|Reconciliation in progress"
        ),
    ),
)
# Messages about the cluster's API, not about one release.
_CLUSTER = re.compile(
    r"no matches for kind \"\w+\" in version \"[\w.]*toolkit\.fluxcd\.io/|the server "
    r"could not find the requested resource|"
    r"unable to retrieve the complete list of server APIs|Failed to (?:watch|list) "
    r"\*v\w+\.\w+|failed to list \*v\w+\.\w+|"
    r"ensure CRDs are installed first|no kind \"\w+\" is registered"
)
# ... unless Helm reports it as the failure of a release's action (its manifest uses a kind or
# API version the cluster does not serve): `Error: UPGRADE FAILED: resource mapping not found ...`
_RELEASE_ACTION = re.compile(
    r"(?i)\b(?:upgrade|install(?:ation)?|rollback) failed\b|unable to build kubernetes objects from"
)
_REASONS = {
    ("install", "failed"): "InstallFailed",
    ("install", "succeeded"): "InstallSucceeded",
    ("upgrade", "failed"): "UpgradeFailed",
    ("upgrade", "succeeded"): "UpgradeSucceeded",
    ("rollback", "failed"): "RollbackFailed",
    ("rollback", "succeeded"): "RollbackSucceeded",
    ("test", "failed"): "TestFailed",
    ("test", "succeeded"): "TestSucceeded",
    ("uninstall", "failed"): "UninstallFailed",
    ("uninstall", "succeeded"): "UninstallSucceeded",
}


def writer(text: str, command: Command | None = None) -> str | None:
    """Who wrote `text`: the controller, Helm, kubectl; from its wording, else the pasted
    command (`kubectl logs deploy/helm-controller`)."""
    for who, pattern in _WRITERS:
        if pattern.search(text):
            return who
    if command is not None and command.controller:
        return command.controller
    return None


# What ties a text to Flux, Helm or the Kubernetes API of their objects (a failure word alone
# does not: other programs' logs are full of "error").
_ANCHOR = re.compile(
    r"(?i)helmrelease|helmchart|helmrepositor|ocirepositor|gitrepositor|kustomization|fluxcd|toolkit|\bflux\b|\bhelm\b|"
    r"\bcharts?\b|reconcil|\brelease\b.*\b(?:install|upgrade|rollback|uninstall)|"
    r"(?:install|upgrade|rollback|uninstall)\b.*\brelease\b"
)


def known(text: str) -> bool:
    """Text this reader can say something about: known Flux wording, a release's name, a known
    writer, or a failure that concerns Flux or Helm."""
    return bool(
        _KNOWN_OK.search(text)
        or subject(text)
        or writer(text)
        or _CLUSTER.search(text)
        or (_FAILURE.search(text) and _ANCHOR.search(text))
    )


def reason(text: str, component: str | None) -> str | None:
    found = _ACTION.match(text)
    if found:
        return _REASONS[(found.group(1), found.group(2))]
    if component == "kustomize-controller" and _FAILURE.search(text):
        return (
            "HealthCheckFailed"
            if re.search(r"Health check failed|timeout waiting for: \[", text)
            else "ReconciliationFailed"
        )
    return None


def about(text: str, command: Command | None, component: str | None) -> Ref | None:
    """The release the message is about: named in it, else by the command it was pasted with,
    else an unnamed release (`?/?`) when a release's own controller wrote it; None for a message
    about the cluster."""
    named = subject(text)
    if named is not None:
        return named
    if _CLUSTER.search(text) and not _RELEASE_ACTION.search(text):
        return None
    if (
        command is not None
        and command.kind in ("HelmRelease", None)
        and command.name
        and command.tool in ("flux", "kubectl")
    ):
        if (
            command.verb in ("describe", "get", "reconcile", "suspend", "resume", "debug", "events", "logs")
            and command.kind == "HelmRelease"
        ):
            return Ref(command.namespace, command.name, "named by the pasted command")
    if component == "helm-controller" or component in ("helm", None) and _FAILURE.search(text):
        return Ref(None, None, "a release's message that names no release")
    if component == "source-controller":
        return Ref(None, None, "an error of the release's chart source that names no release")
    return None


def row(text: str, first: int, source: str, command: Command | None, raw: str | None = None) -> dict:
    """The events row of one message (`text`: its whole logical text, first line at `first`)."""
    component = writer(text, command)
    ref = about(text, command, component)
    failure = bool(_FAILURE.search(text))
    namespace = ref.namespace if ref is not None else None
    name = ref.name if ref is not None else None
    return {
        "count": 1,
        "type": "Warning" if failure else "Normal",
        "reason": reason(text, component),
        "message": text,
        "kind": "HelmRelease" if ref is not None else _kind_named(text),
        "namespace": namespace,
        "name": name,
        "release": ref.release if ref is not None else None,
        "component": component,
        "approximate": True,
        "release_basis": ref.basis if ref is not None else None,
        "excerpt": excerpt(raw if raw is not None else text.split("\n", 1)[0]),
        "source": source,
        "line": first,
    }


def _kind_named(text: str) -> str | None:
    found = re.search(r"no matches for kind \"(\w+)\"|\*v\w+\.(\w+)\b|The (\w+) \"[^\"]+\" is invalid", text)
    return next((g for g in found.groups() if g), None) if found else None
