"""Helm release Secrets (`sh.helm.release.v1.<release>.v<N>`) -> the helm_storage frame.

Only the labels Helm writes are read: `name`, `status`, `version`, `modifiedAt`/`createdAt`
(helm-controller.md §8). The payload (`data.release`: the whole release with its values)
is never decoded, kept or printed.
"""

from __future__ import annotations

from datetime import datetime, timezone

from parsers._base import excerpt
from parsers.kube import KubeObject, Locator

KINDS = ("Secret",)


def extract(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    doc = obj.doc
    meta = doc.get("metadata") or {}
    labels = meta.get("labels") or {}
    if doc.get("type") != "helm.sh/release.v1" and not str(meta.get("name", "")).startswith("sh.helm.release.v1."):
        return {}  # any other Secret: nothing of it is kept
    stamp = labels.get("modifiedAt") or labels.get("createdAt")
    try:
        modified = datetime.fromtimestamp(int(stamp), tz=timezone.utc) if stamp else None
    except (TypeError, ValueError):
        modified = None
    try:
        revision = int(labels.get("version"))
    except (TypeError, ValueError):
        revision = None
    where = Locator(lines, obj.start, obj.end)
    line = (
        where.value("status", labels.get("status"), after=where.key("labels"))
        or where.value("name", meta.get("name"))
        or obj.start
    )
    return {
        "helm_storage": [
            {
                "release": f"{meta.get('namespace')}/{labels.get('name')}",
                "revision": revision,
                "status": labels.get("status"),
                "modified_at": modified,
                "excerpt": excerpt(where.text(line)),
                "source": source,
                "line": line,
            }
        ]
    }
