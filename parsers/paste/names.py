"""Which HelmRelease a piece of text is about, from the names the controllers and tools write.

The same release is named many ways (reference/helm-controller.md §2-§3, kustomize-controller,
the Kubernetes API server, kstatus, `flux logs`):

- `HelmRelease/<ns>/<name>` — kustomize-controller's dry-run and health-check errors, kstatus;
- `HelmRelease/<name>.<ns>` — `flux logs` and helm-controller's console debug lines;
- `helmreleases.helm.toolkit.fluxcd.io "<name>"`, `HelmRelease.helm.toolkit.fluxcd.io "<name>"`,
  `The HelmRelease "<name>" is invalid` — the API server (no namespace);
- `helmrelease/<name>` — kubectl's OBJECT column, `flux get all`;
- `for release <ns>/<name>.v<N>` — helm-controller >= v0.37 names the *Helm* release (its
  storage namespace and release name), which is the HelmRelease's own namespace and name
  unless `targetNamespace`/`releaseName` are set: kept apart as `helm_release`.

Text can also mention a release it is not about (`dependency '<ns>/<name>' is not ready`):
those are skipped. Each reference says how it was found (`basis`), so the evidence can tell.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Kubernetes object names (DNS subdomain) and namespaces (DNS label); redacted names too.
_NAME = r"[A-Za-z0-9<][-A-Za-z0-9_.<>]*"
_NS = r"[A-Za-z0-9<][-A-Za-z0-9_<>]*"


@dataclass(frozen=True)
class Ref:
    """A reference to a HelmRelease: what is known of its namespace and name, and from what."""

    namespace: str | None
    name: str | None
    basis: str
    helm_release: bool = False  # named as the Helm release (`ns/name.vN`), not the HelmRelease

    @property
    def release(self) -> str:
        return f"{self.namespace or '?'}/{self.name or '?'}"


# (pattern, basis, helm_release); the first that matches outside a dependency mention wins.
_SUBJECTS = (
    (
        re.compile(r"HelmRelease/(?P<ns>" + _NS + r")/(?P<name>" + _NAME + r")"),
        "named as HelmRelease/<ns>/<name>",
        False,
    ),
    (
        re.compile(r"HelmRelease/(?P<name>" + _NAME + r")\.(?P<ns>" + _NS + r")(?=[\s:,)\]]|$)"),
        "named as HelmRelease/<name>.<ns>",
        False,
    ),
    (
        re.compile(r"\bhelmreleases?(?:\.helm\.toolkit\.fluxcd\.io)?\s+\"(?P<name>" + _NAME + r")\""),
        "named by the API server",
        False,
    ),
    (
        re.compile(r"\bHelmRelease(?:\.helm\.toolkit\.fluxcd\.io)?\s+\"(?P<name>" + _NAME + r")\""),
        "named by the API server",
        False,
    ),
    (re.compile(r"\bhelmrelease/(?P<name>" + _NAME + r")(?=[\s:,]|$)"), "named as helmrelease/<name>", False),
    (
        re.compile(r"\brelease (?P<ns>" + _NS + r")/(?P<name>" + _NAME + r"?)(?:\.v\d+)?(?= with chart|:|\s*$)"),
        "the Helm release named in the message",
        True,
    ),
    (
        re.compile(r"\bHelmRelease (?P<ns>" + _NS + r")/(?P<name>" + _NAME + r")\b"),
        "named as HelmRelease <ns>/<name>",
        False,
    ),
    (  # Helm's own log: `warning: Upgrade "NAME" failed: ...` (action/upgrade.go)
        re.compile(r"\b(?:Upgrade|Install|Rollback) \"(?P<name>" + _NAME + r")\" failed\b"),
        "the Helm release named in the message",
        True,
    ),
    (  # Flux v1's helm-operator: `synchronization of release 'NAME' in namespace 'NS' failed: ...`
        re.compile(r"\brelease '(?P<name>" + _NAME + r"|)' in namespace '(?P<ns>" + _NS + r"|)'"),
        "the Helm release named in the message",
        True,
    ),
)
_MENTION = re.compile(r"dependenc(?:y|ies) '[^']*'|dependsOn|'[^']*' dependency")


def subject(text: str) -> Ref | None:
    """The HelmRelease `text` is about, or None."""
    if not text:
        return None
    masked = _MENTION.sub(lambda m: " " * len(m.group(0)), text)
    for pattern, basis, helm_release in _SUBJECTS:
        found = pattern.search(masked)
        if found:
            groups = found.groupdict()
            namespace, name = groups.get("ns"), groups.get("name")
            # a name the user redacted (`<release-name>`, `xxxx`) is known to exist, not known
            return Ref(
                None if placeholder(namespace) else namespace, None if placeholder(name) else name, basis, helm_release
            )
    return None


def placeholder(value: str | None) -> bool:
    """A name the user redacted (`<release-name>`, `xxxx`, `...`): known to exist, not known."""
    return not value or bool(re.fullmatch(r"<[^>]*>|x{3,}|X{3,}|\.{3}|\*+|\?+|REDACTED|\[REDACTED\]", value))
