"""Flux source objects -> the sources frame: HelmChart, HelmRepository, OCIRepository, GitRepository.

A release's chart-fetch failure has its real cause here (source-controller's Ready message:
a chart version that does not exist, repository auth, an index that cannot be fetched).
"""

from __future__ import annotations

from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Locator

KINDS = ("HelmChart", "HelmRepository", "OCIRepository", "GitRepository", "Bucket", "ExternalArtifact")


def extract(obj: KubeObject, lines: list[str], source: str, locator: type[Locator] = Locator) -> dict[str, list[dict]]:
    doc = obj.doc
    meta = doc.get("metadata") or {}
    status = doc.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if isinstance(c, dict) and c.get("type") == "Ready"), {})
    where = locator(lines, obj.start, obj.end)
    line = (
        (where.value("message", ready.get("message")) if ready.get("message") else None)
        or where.value("name", meta.get("name"))
        or obj.start
    )
    return {
        "sources": [
            {
                "kind": doc.get("kind"),
                "namespace": meta.get("namespace"),
                "name": meta.get("name"),
                "ready_status": ready.get("status"),
                "ready_reason": ready.get("reason"),
                "ready_message": ready.get("message"),
                "since": ts_value(ready.get("lastTransitionTime")),
                "artifact_revision": (status.get("artifact") or {}).get("revision"),
                "excerpt": excerpt(where.text(line)),
                "source": source,
                "line": line,
            }
        ]
    }
