"""Flux controller containers from Pods, Deployments and ReplicaSets -> the controllers frame.

The image tag gives the controller version; a Pod's `restartCount` and
`lastState.terminated` (reason, start and finish) place a restart or an in-place image
change on the timeline; a Deployment or ReplicaSet template gives the version it rolls out
and, for a ReplicaSet, when that template first appeared (its creation time).
"""

from __future__ import annotations

import re

from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Locator

KINDS = ("Pod", "Deployment", "ReplicaSet", "StatefulSet", "DaemonSet")

FLUX_CONTROLLERS = (
    "helm-controller",
    "source-controller",
    "kustomize-controller",
    "notification-controller",
    "image-reflector-controller",
    "image-automation-controller",
    "source-watcher",
)
_IMAGE = re.compile(
    r"(?:^|/)(?P<controller>" + "|".join(FLUX_CONTROLLERS) + r")(?::(?P<tag>[^@\s]+))?(?:@sha256:[0-9a-f]+)?$"
)


def image_version(image: str | None) -> tuple[str | None, str | None]:
    """(controller, version tag) of a Flux controller image, or (None, None)."""
    if not image:
        return None, None
    found = _IMAGE.search(image.strip())
    if not found:
        return None, None
    return found["controller"], found["tag"]


def feature_gates(container: dict) -> str | None:
    """The `--feature-gates` value(s) of a container spec (`--feature-gates=A=true,B=false` or
    the flag and its value as two args), joined by ","; None when it sets none."""
    words = [str(w) for w in (container.get("command") or []) + (container.get("args") or []) if w is not None]
    found = []
    for i, word in enumerate(words):
        if word.startswith("--feature-gates="):
            found.append(word.split("=", 1)[1])
        elif word == "--feature-gates" and i + 1 < len(words):
            found.append(words[i + 1])
    return ",".join(g.strip() for g in found if g.strip()) or None


def extract(obj: KubeObject, lines: list[str], source: str) -> dict[str, list[dict]]:
    doc = obj.doc
    meta = doc.get("metadata") or {}
    where = Locator(lines, obj.start, obj.end)
    rows: list[dict] = []
    base = {"namespace": meta.get("namespace"), "source": source}
    if doc.get("kind") == "Pod":
        spec_containers = [c for c in (doc.get("spec") or {}).get("containers") or [] if isinstance(c, dict)]
        spec_images = {c.get("name"): c.get("image") for c in spec_containers}
        gates = {c.get("name"): feature_gates(c) for c in spec_containers}
        statuses = (doc.get("status") or {}).get("containerStatuses") or []
        seen = set()
        for status in statuses:
            image = status.get("image") or spec_images.get(status.get("name"))
            controller, version = image_version(image) if image else (None, None)
            if controller is None:
                controller, version = image_version(spec_images.get(status.get("name")))
            if controller is None:
                continue
            seen.add(status.get("name"))
            state = status.get("state") or {}
            running = state.get("running") or {}
            terminated_now = state.get("terminated") or {}
            last = (status.get("lastState") or {}).get("terminated") or {}
            line = where.value("image", image, after=where.key("containerStatuses")) or obj.start
            rows.append(
                {
                    **base,
                    "controller": controller,
                    "pod": meta.get("name"),
                    "container": status.get("name"),
                    "image": image,
                    "version": version,
                    "instance": "current",
                    "started_at": ts_value(running.get("startedAt") or terminated_now.get("startedAt")),
                    "finished_at": ts_value(terminated_now.get("finishedAt")),
                    "restarts": status.get("restartCount"),
                    "last_termination_reason": last.get("reason"),
                    "feature_gates": gates.get(status.get("name")),
                    "excerpt": excerpt(where.text(line)),
                    "line": line,
                }
            )
            if last:
                last_line = (
                    where.value(
                        "finishedAt",
                        last.get("finishedAt"),
                        after=where.key("lastState", after=line - 30 if line > 30 else None),
                    )
                    or line
                )
                rows.append(
                    {
                        **base,
                        "controller": controller,
                        "pod": meta.get("name"),
                        "container": status.get("name"),
                        "image": None,  # the kubelet does not record the previous image
                        "version": None,
                        "instance": "previous",
                        "started_at": ts_value(last.get("startedAt")),
                        "finished_at": ts_value(last.get("finishedAt")),
                        "restarts": status.get("restartCount"),
                        "last_termination_reason": last.get("reason"),
                        "excerpt": excerpt(where.text(last_line)),
                        "line": last_line,
                    }
                )
        for name, image in spec_images.items():
            controller, version = image_version(image)
            if controller and name not in seen:
                line = where.value("image", image) or obj.start
                rows.append(
                    {
                        **base,
                        "controller": controller,
                        "pod": meta.get("name"),
                        "container": name,
                        "image": image,
                        "version": version,
                        "instance": "spec",
                        "feature_gates": gates.get(name),
                        "excerpt": excerpt(where.text(line)),
                        "line": line,
                    }
                )
        return {"controllers": rows}

    template = ((doc.get("spec") or {}).get("template") or {}).get("spec") or {}
    for container in template.get("containers") or []:
        controller, version = image_version(container.get("image"))
        if controller is None:
            continue
        line = where.value("image", container.get("image")) or obj.start
        rows.append(
            {
                **base,
                "controller": controller,
                "pod": f"{doc.get('kind')}/{meta.get('name')}",
                "container": container.get("name"),
                "image": container.get("image"),
                "version": version,
                "instance": "spec",
                "started_at": ts_value(meta.get("creationTimestamp")) if doc.get("kind") == "ReplicaSet" else None,
                "feature_gates": feature_gates(container),
                "excerpt": excerpt(where.text(line)),
                "line": line,
            }
        )
    return {"controllers": rows}
