"""troubleshoot.sh `helm` collector output (`helm/<ns>.json`, `helm/<ns>/<release>.json`) -> helm_storage.

Format (replicatedhq/troubleshoot `pkg/collect/helm.go`): a JSON array of
`{releaseName, chart, chartVersion, appVersion, namespace, releaseHistory: [{revision, date,
status, isPending, values}]}`; `revision` is a string and `date` Go's `Time.String()`
(`2024-05-20 10:00:00.602306638 +0000 UTC`). `values` (present with `collectValues: true`)
are never read into a frame: they hold secrets.
"""

from __future__ import annotations

import json

from parsers._base import ParseResult, excerpt, frame, ts_value
from parsers.kube import Locator, load

NAME = "troubleshoot-helm-collector"
KIND = "helm_storage"
TIMESTAMPS = {"modified_at": "Helm revision date"}


def matches(path: str, head: bytes) -> bool:
    text = head.lstrip()
    return text.startswith(b"[") and b'"releaseName"' in head and (b'"releaseHistory"' in head or b'"chart"' in head)


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    lines = text.split("\n")
    try:
        objects, problems = load(text)
    except (ValueError, json.JSONDecodeError) as error:
        result.problem(source, None, f"invalid JSON: {error}")
        return result
    for line, reason in problems:
        result.problem(source, line, reason)
    rows = []
    for obj in objects:
        doc = obj.doc
        name, namespace = doc.get("releaseName"), doc.get("namespace")
        if not name:
            result.problem(source, obj.start, "helm collector entry without releaseName")
            continue
        where = Locator(lines, obj.start, obj.end)
        cursor = where.key("releaseHistory")
        for entry in doc.get("releaseHistory") or []:
            if not isinstance(entry, dict):
                continue
            line = where.value("status", entry.get("status"), after=cursor) or cursor or obj.start
            try:
                revision = int(entry.get("revision"))
            except (TypeError, ValueError):
                revision = None
            rows.append(
                {
                    "release": f"{namespace}/{name}",
                    "revision": revision,
                    "status": entry.get("status"),
                    "modified_at": ts_value(entry.get("date")),
                    "excerpt": excerpt(where.text(line)),
                    "source": source,
                    "line": line,
                }
            )
            cursor = line
    result.add("helm_storage", frame("helm_storage", rows))
    result.note = f"{len(objects)} Helm releases, {len(rows)} revisions (values not read)"
    return result
