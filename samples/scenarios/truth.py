"""The planted truth: each release's evidence resolved to `path:line` in the written files,
`samples/truth/<scenario>.json`, and `samples/SCENARIOS.md`.
"""

from __future__ import annotations

import json
from pathlib import Path

from scenarios.engine import SAMPLES, TRUTH_DIR
from scenarios.formats import rfc3339
from scenarios.objects import write


# ==== evidence resolution, truth, SCENARIOS.md ==============================================
def _find_block_line(lines, start_pred, end_pred, needle, last=False):
    hits, inside = [], False
    for i, line in enumerate(lines):
        if start_pred(line):
            inside = True
        elif inside and end_pred(line):
            inside = False
        if inside and needle in line:
            hits.append(i + 1)
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def resolve_evidence(s, out: Path):
    """Turn the (kind, needle) evidence of each planted release into `path:line` of the written files."""
    lay = s.layout
    res = {}
    for key, specs in s.evidence.items():
        r = s.releases[key]
        found = []
        for kind, *rest in specs:
            needle = rest[-1]
            if kind == "log" or kind == "prevlog":
                rel = lay["log"] if kind == "log" else lay["prevlog"]
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l and f'"name":"{r.name}"' in l
                        and f'"namespace":"{r.ns}"' in l]
                line = hits[-1] if hits else None
            elif kind == "hr":
                if lay["kind"] == "troubleshoot":
                    rel = f"cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/{r.ns}.json"
                    lines = (out / rel).read_text().splitlines()
                    line = _find_block_line(lines, lambda l: f'"uid": "{r.uid}"' in l,
                                            lambda l: l.startswith('    "apiVersion"'), needle)
                else:
                    rel = lay["hr"]
                    lines = (out / rel).read_text().splitlines()
                    line = _find_block_line(lines, lambda l: l == f"    uid: {r.uid}", lambda l: l.startswith("- "),
                                            needle)
            elif kind == "event":
                if lay["kind"] == "troubleshoot":
                    rel = f"cluster-resources/events/{r.ns}.json"
                    lines = (out / rel).read_text().splitlines()
                    items = json.loads((out / rel).read_text())["items"]
                    line = None
                    for e in items:
                        if e["involvedObject"]["name"] in (r.name, *rest[:-1]) and needle in e["message"]:
                            enc = '"message": ' + json.dumps(e["message"], ensure_ascii=False) + ","
                            cand = [i + 1 for i, l in enumerate(lines) if l.strip() == enc]
                            name_line = [i + 1 for i, l in enumerate(lines)
                                         if l.strip() == f'"name": "{e["metadata"]["name"]}",']
                            line = min(c for c in cand if c > name_line[0])
                            break
                else:
                    rel = lay["events"]
                    text = (out / rel).read_text()
                    lines = text.splitlines()
                    items = s.loose_events
                    starts = [i for i, l in enumerate(lines) if l.startswith("- ")]
                    line = None
                    for k, e in enumerate(items):
                        if e["involvedObject"]["name"] in (r.name, *rest[:-1]) and needle in e["message"]:
                            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
                            line = next(i + 1 for i in range(starts[k], end) if lines[i].startswith("  message:"))
                            break
            elif kind == "helmchart":
                rel = lay["helmchart"] if lay["kind"] == "loose" else \
                    "cluster-resources/custom-resources/helmcharts.source.toolkit.fluxcd.io/flux-system.json"
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            elif kind == "pod":
                rel = "cluster-resources/pods/flux-system.json"
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            elif kind == "file":
                rel = rest[0]
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            else:
                raise ValueError(kind)
            if line is None:
                raise SystemExit(f"{s.name}: evidence not found for {key}: {kind} {needle!r} in {rel}")
            loc = f"`{rel}:{line}` ({kind}: {needle})"
            if loc not in found and not any(f.startswith(f"`{rel}:{line}`") for f in found):
                found.append(loc)
        res[key] = found
    return res


def write_truth(s):
    TRUTH_DIR.mkdir(parents=True, exist_ok=True)
    data = {"releases": {k: s.truth[k] for k in sorted(s.truth)}, "notes": {k: s.notes[k] for k in sorted(s.notes)}}
    write(TRUTH_DIR / f"{s.name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_scenarios_md(built):
    """SCENARIOS.md from (scenario module, Scenario, resolved evidence) of each scenario."""
    out = ["# Planted-truth scenarios", "",
           "Generated by `python3 samples/generate_scenarios.py` (stdlib only, deterministic; rerun rewrites the five "
           "folders below, `samples/truth/<scenario>.json` and this file). Truth format: "
           "`{\"releases\": {\"ns/name\": null | {\"primary\", \"labels\"}}, \"notes\": {...}}`; primary = the "
           "first cause, the label the story starts from (DESIGN.md §5), not the last state. Every evidence location below is `path:line` inside the scenario folder, "
           "computed from the written files.", ""]
    for module, s, ev in built:
        layout, version = module.LAYOUT, module.CONTROLLER
        out += [f"## `{s.name}`", "", f"- layout: {layout}", f"- controller: {version}",
                f"- collected: {rfc3339(s.C)} (events older than 1h before that have expired unless updated since)", "",
                "| release | truth | mechanism | key evidence |", "|---|---|---|---|"]
        for key in sorted(s.truth):
            t = s.truth[key]
            truth = "healthy (null)" if t is None else f"**{t['primary']}** ({', '.join(t['labels'])})"
            locs = "<br>".join(ev.get(key, [])) or "-"
            out.append(f"| `{key}` | {truth} | {s.notes[key]} | {locs} |")
        out.append("")
    out += ["## Where the real controller differs from a naive reading of the labels", "",
            "- `v037-failures` apps/cart-service uses `upgrade.remediation.retries: -1`: with the default retries 0 "
            "any v0.37+ upgrade failure stalls at once (`exceeded maximum retries: cannot remediate failed release`), "
            "which would add retries-exhausted (a consequence, never the primary) to every failed upgrade.",
            "- `v037-failures` apps/reviews uses `upgrade.remediation.ignoreTestFailures: true` for the same reason: "
            "a counted test failure with retries 0 also stalls (retries-exhausted).",
            "- `v1-controller-crash` apps/orders: a remediation rollback only runs after a failed upgrade, and with "
            "retries 0 + remediateLastFailure the release stalls right after it, so rollback-failed always comes with "
            "upgrade-failed (the hook failure: the first cause, primary) and retries-exhausted. Its interval is 1h so that no "
            "leftover periodic requeue (which would retry the rollback) fires before collection.",
            "- `v1-controller-crash`: no `Memory usage is near OOM` line: that line needs feature gate OOMWatch "
            "(default false) and ends the process gracefully, not as OOMKilled; with the default the kernel kills "
            "the container and the previous log just stops.",
            "- `v1-controller-crash` monitoring/kube-prometheus-stack: the pending revision stays pending only because "
            "the release was suspended after the third crash; otherwise the next container unlocks it and upgrades "
            "again (unlock never fails here).",
            "- Install/upgrade ownership conflicts use Helm's real wording per version: v3.12.3 upgrade "
            "`rendered manifests contain a resource that already exists. Unable to continue with update: ...`, "
            "v3.14.4 install `Unable to continue with install: ...` (no `rendered manifests` prefix on install).",
            "- `v16-failures` apps/web uses `spec.upgrade.strategy.name: RetryOnFailure`: the controller retries every "
            "retryInterval and never reaches Stalled/RetriesExceeded (helm-controller#1551), so a release that keeps "
            "failing is the failure's own label (timeout), not retries-exhausted.",
            "- `v16-failures` apps/worker: a canceled health check stalls the release only with the default "
            "RemediateOnFailure strategy and 0 retries (helm-controller#1429); the Ready=False HealthCheckCanceled it "
            "leaves is not rewritten by the reconciles that only find the retries exhausted.",
            "- `v16-failures` apps/ceph: Helm's `has no deployed releases` needs a last revision that is neither "
            "failed nor superseded (helm/helm pkg/action/upgrade.go); an interrupted `helm uninstall` leaves exactly "
            "that (`uninstalling`), and the changed release object makes helm-controller treat the release as "
            "unmanaged (`release digest verification error`) and upgrade it.",
            "- `v16-failures` apps/auth: with helm-controller >= v1.1.0 the install would adopt the existing Secret "
            "(TakeOwnership is the default); the conflict needs `spec.install.disableTakeOwnership: true`.",
            "- `v16-failures` events.yaml and flux-system-pods.yaml carry each item's `apiVersion`/`kind`, as "
            "`kubectl get -o yaml` prints them (the troubleshoot-style files of the other scenarios do not).",
            ""]
    write(SAMPLES / "SCENARIOS.md", "\n".join(out))


