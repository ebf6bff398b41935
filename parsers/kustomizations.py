"""Kustomization objects -> `events` rows for the HelmReleases their status names.

kustomize-controller applies HelmRelease manifests and health-checks them; when either fails,
its Ready condition names the release (`HelmRelease/<ns>/<name> dry-run failed (Invalid): ...`,
reason `ReconciliationFailed`; `Health check failed after 2m0s, timeout waiting for:
[HelmRelease/<ns>/<name> status: 'InProgress']`, reason `HealthCheckFailed`). That message is
evidence about each release it names (DESIGN §5), so it becomes one event row per named release,
with the Kustomization's own reason and time. A Kustomization whose status names no
HelmRelease gives no row (it is counted in the inventory note).
"""

from __future__ import annotations

import re

from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Locator

KINDS = ("Kustomization",)
NAMED = re.compile(r"HelmRelease/(?P<ns>[A-Za-z0-9][-A-Za-z0-9_]*)/(?P<name>[A-Za-z0-9][-A-Za-z0-9_.]*)")


def extract(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    doc = obj.doc
    meta = doc.get("metadata") or {}
    status = doc.get("status") or {}
    ready = next((c for c in status.get("conditions") or [] if isinstance(c, dict) and c.get("type") == "Ready"), {})
    message = str(ready.get("message") or "")
    named = list(dict.fromkeys((m["ns"], m["name"]) for m in NAMED.finditer(message)))
    if not named:
        return {}
    where = Locator(lines, obj.start, obj.end)
    line = where.value("message", message) or obj.start
    at = ts_value(ready.get("lastTransitionTime"))
    rows = []
    for namespace, name in named:
        rows.append(
            {
                "first_ts": at,
                "last_ts": at,
                "count": 1,
                "type": "Warning" if ready.get("status") == "False" else "Normal",
                "reason": ready.get("reason"),
                "message": message,
                "kind": "HelmRelease",
                "namespace": namespace,
                "name": name,
                "release": f"{namespace}/{name}",
                "component": "kustomize-controller",
                "release_basis": f"named by Kustomization {meta.get('namespace')}/{meta.get('name')}",
                "approximate": False,
                "excerpt": excerpt(where.text(line)),
                "source": source,
                "line": line,
            }
        )
    return {"events": rows}
