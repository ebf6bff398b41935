"""The fixed frame of a generated bundle: the collection time, the helm-controller pod and its two
images, the Helm repositories, and the time and JSON formatters every writer uses."""

from __future__ import annotations

import json
from datetime import datetime, timezone


NS = 1_000_000_000
COLLECTED = int(datetime(2024, 3, 12, 10, 0, 0, tzinfo=timezone.utc).timestamp()) * NS
TOP = "support-bundle-2024-03-12T10_00_00"
HC_POD = "helm-controller-7f9c8d5b6-k4m2p"
OLD_IMAGE = "ghcr.io/fluxcd/helm-controller:v0.37.4"
NEW_IMAGE = "ghcr.io/fluxcd/helm-controller:v1.0.1"
REPOS = ("charts", "bitnami", "jetstack", "grafana", "prometheus-community", "acme-charts")


def zap_ts(ns: int) -> str:
    dt = datetime.fromtimestamp(ns // NS, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ns % NS // 1_000_000)


def kubelet_ts(ns: int) -> str:
    """The kubelet's RFC3339Nano prefix of a log line (CRI files, `kubectl logs --timestamps`)."""
    dt = datetime.fromtimestamp(ns // NS, timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ".%09dZ" % (ns % NS)


def rfc3339(ns: int) -> str:
    return datetime.fromtimestamp(ns // NS, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def go_json(obj, sort_keys=False) -> str:
    return json.dumps(obj, indent=2, sort_keys=sort_keys, ensure_ascii=False)
