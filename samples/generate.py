#!/usr/bin/env python3
"""Generate the deterministic sample inputs of flux-forensics (run: python3 samples/generate.py).

Outputs (each run rewrites only these): samples/upgrade-2.1-to-2.2/ (unpacked troubleshoot.sh
bundle), samples/upgrade-2.1-to-2.2.tar.gz, samples/ticket-flux-get-hr/flux-get-hr.txt and
samples/truth/{upgrade-2.1-to-2.2,ticket-flux-get-hr}.json.

Story: Flux v2.1.2 (helm-controller v0.36.2, API v2beta1) upgraded in place to Flux v2.2.2
(helm-controller v0.37.2, API v2beta2) at 2024-01-15T09:02:11Z; bundle collected at 09:48:30Z.

Every helm-controller log line, event and condition text is quoted from
  HC  = ../shared/reference/helm-controller.md  (comments cite sections as "HC 2.2"), and the
  bundle layout follows ECO = ../shared/reference/ecosystem.md ("ECO 1a", "ECO 1e").
Standard library only; all randomness comes from one seeded random.Random (byte-identical reruns).

Layout: upgrade_bundle/story.py (the clock, releases, pods, formatters and the one RNG),
upgrade_bundle/controller.py (log records and Events of both controllers), upgrade_bundle/objects.py
(HelmReleases, pods, deployments, namespaces); this script writes the files, the archive and truth.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import shutil
import tarfile
from pathlib import Path

from upgrade_bundle.story import BY_KEY, COLLECTED, HC_POD, RELEASES, go_json, resource_version
from upgrade_bundle.controller import EVENTS, Log, kubelet_events, msg_chart_in_sync, simulate_v036, simulate_v037
from upgrade_bundle.objects import build_deployments, build_helmrelease, build_namespaces, build_pods


SAMPLES = Path(__file__).resolve().parent
BUNDLE_NAME = "upgrade-2.1-to-2.2"
BUNDLE_DIR = SAMPLES / BUNDLE_NAME
TAR_TOP = "support-bundle-2024-01-15T09_48_30"  # ECO 1a archive naming
TAR_MTIME = 1705312110  # 2024-01-15T09:48:30Z
TICKET_DIR = SAMPLES / "ticket-flux-get-hr"
TRUTH_DIR = SAMPLES / "truth"


# ==== Writers =============================================================================
def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def symlink(link: Path, target_file: Path):
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target_file, link.parent))


def add_noise(lines):
    """Exactly one non-JSON line in manager.log: a record cut short (as after a partial write).
    It is synthetic noise for parser robustness, not a controller string of its own; the
    full record it stands for (a periodic HelmChart in-sync line of monitoring/loki) is lost."""
    target = msg_chart_in_sync(BY_KEY["monitoring/loki"])
    hits = [i for i, line in enumerate(lines) if f'"msg":"{target}"' in line]
    i = hits[1]
    lines[i] = lines[i][:131]
    return i + 1  # 1-based line number


def write_bundle():
    shutil.rmtree(BUNDLE_DIR, ignore_errors=True)
    BUNDLE_DIR.mkdir(parents=True)
    cr = BUNDLE_DIR / "cluster-resources"
    write(
        BUNDLE_DIR / "version.yaml",
        "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: v0.78.1\n",
    )
    # logs
    old_log, new_log = Log(), Log()
    simulate_v036(old_log)
    simulate_v037(new_log)
    logdir = cr / "pods" / "logs" / "flux-system" / HC_POD
    new_lines = new_log.lines()
    noise_line = add_noise(new_lines)
    write(logdir / "manager-previous.log", "\n".join(old_log.lines()) + "\n")
    write(logdir / "manager.log", "\n".join(new_lines) + "\n")
    for f in ("manager.log", "manager-previous.log"):  # logs collector symlinks (ECO 1a)
        symlink(BUNDLE_DIR / "helm-controller" / HC_POD / f, logdir / f)
    # workloads and kubelet events
    pods, hc_uid = build_pods()
    kubelet_events(hc_uid)
    write(cr / "pods" / "flux-system.json", go_json(pods))
    write(cr / "deployments" / "flux-system.json", go_json(build_deployments()))
    write(cr / "namespaces.json", go_json(build_namespaces()))
    # HelmReleases, one bare array per namespace, plus the .yaml symlink twin (ECO 1a)
    crdir = cr / "custom-resources" / "helmreleases.helm.toolkit.fluxcd.io"
    for ns in ("apps", "infra", "monitoring"):
        objs = [build_helmrelease(r) for r in sorted(RELEASES, key=lambda r: r["name"]) if r["ns"] == ns]
        write(crdir / f"{ns}.json", go_json(objs, sort_keys=True))
        symlink(crdir / f"{ns}.yaml", crdir / f"{ns}.json")
    # events per namespace, sorted by lastTimestamp then name
    for ns in ("apps", "flux-system", "infra", "monitoring"):
        items = sorted((e for n, e in EVENTS if n == ns), key=lambda e: (e["lastTimestamp"], e["metadata"]["name"]))
        write(
            cr / "events" / f"{ns}.json",
            go_json(
                {
                    "kind": "EventList",
                    "apiVersion": "v1",
                    "metadata": {"resourceVersion": resource_version(COLLECTED)},
                    "items": items,
                }
            ),
        )
    return noise_line


def write_tar():
    """Deterministic tar.gz: sorted entries, fixed mtime/owner/modes, relative symlinks kept."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:

        def add(rel: str, path: Path):
            ti = tarfile.TarInfo(f"{TAR_TOP}/{rel}" if rel else TAR_TOP)
            ti.mtime, ti.uid, ti.gid, ti.uname, ti.gname = TAR_MTIME, 0, 0, "", ""
            if path.is_symlink():
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, os.readlink(path), 0o777
                tar.addfile(ti)
            elif path.is_dir():
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(ti)
            else:
                data = path.read_bytes()
                ti.size, ti.mode = len(data), 0o644
                tar.addfile(ti, io.BytesIO(data))

        add("", BUNDLE_DIR)
        for p in sorted(BUNDLE_DIR.rglob("*"), key=lambda p: p.relative_to(BUNDLE_DIR).as_posix()):
            add(p.relative_to(BUNDLE_DIR).as_posix(), p)
    out = io.BytesIO()
    with gzip.GzipFile(filename="", fileobj=out, mode="wb", mtime=0) as gz:
        gz.write(buf.getvalue())
    (SAMPLES / f"{BUNDLE_NAME}.tar.gz").write_bytes(out.getvalue())


# ==== Ticket fragment =======================================================================
# `flux get hr -A` (flux v2.2 CLI, tablewriter v0.0.5 settings of
# pkg/printers/table_printer.go: cells space-padded, TAB after each row cell, header's
# last cell padded + one space, upper-case headers). REVISION = lastAppliedRevision (HC 5.1).
TICKET_ROWS = [  # ns, name, revision, ready, message, label; rows after the 6th are not pasted
    (
        "apps",
        "backend",
        "1.4.0",
        "True",
        "Helm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0",
        None,
    ),
    ("apps", "frontend", "2.3.1", "False", "dependency 'apps/backend' is not ready", "dependency-stale"),
    (
        "apps",
        "podinfo",
        "6.5.4",
        "True",
        "Helm upgrade succeeded for release apps/podinfo.v6 with chart podinfo@6.5.4",
        None,
    ),
    ("apps", "redis2", "18.6.1", "True", "Helm upgrade succeeded", "stale-status"),
    ("infra", "cert-manager", "v1.13.3", "True", "Helm upgrade succeeded", "stale-status"),
    ("infra", "ingress-nginx", "4.8.3", "True", "Release reconciliation succeeded", "migration-skip"),
    (
        "monitoring",
        "kube-prometheus-stack",
        "55.5.0",
        "True",
        "Helm upgrade succeeded for release monitoring/kube-prometheus-stack.v10 with chart "
        "kube-prometheus-stack@55.5.0",
        None,
    ),
    (
        "monitoring",
        "loki",
        "5.41.4",
        "True",
        "Helm upgrade succeeded for release monitoring/loki.v13 with chart loki@5.41.4",
        None,
    ),
]
PASTED = 6


def write_ticket():
    shutil.rmtree(TICKET_DIR, ignore_errors=True)
    header = ["NAMESPACE", "NAME", "REVISION", "SUSPENDED", "READY", "MESSAGE"]
    rows = [[ns, n, rev, "False", ready, msg] for ns, n, rev, ready, msg, _ in TICKET_ROWS]
    widths = [max(len(x[i]) for x in [header] + rows) for i in range(len(header))]
    head = "".join(h.ljust(w) + ("\t" if i < len(header) - 1 else " ") for i, (h, w) in enumerate(zip(header, widths)))
    body = ["".join(c.ljust(w) + "\t" for c, w in zip(row, widths)) for row in rows[:PASTED]]
    write(TICKET_DIR / "flux-get-hr.txt", "\n".join([head] + body) + "\n")
    return {f"{ns}/{n}": label for ns, n, _, _, _, label in TICKET_ROWS[:PASTED]}


def write_truth(name, data):
    TRUTH_DIR.mkdir(parents=True, exist_ok=True)  # shared folder: only our two files are rewritten
    write(TRUTH_DIR / f"{name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def truth_entry(r):
    """null (healthy), or the primary label and every label that must be reported."""
    if r["label"] is None:
        return None
    labels = [r["label"]] + (["drift"] if r.get("stale_after_deps") else [])  # the drift loop itself
    return {"primary": r["label"], "labels": sorted(labels)}


def main():
    noise_line = write_bundle()
    write_tar()
    write_truth(
        BUNDLE_NAME,
        {
            "releases": {k: truth_entry(BY_KEY[k]) for k in sorted(BY_KEY)},
            "noise_lines": {f"cluster-resources/pods/logs/flux-system/{HC_POD}/manager.log": [noise_line]},
        },
    )
    write_truth("ticket-flux-get-hr", {"releases": write_ticket()})


if __name__ == "__main__":
    main()
