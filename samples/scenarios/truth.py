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
    res = {}
    for key, specs in s.evidence.items():
        r = s.releases[key]
        found = []
        for kind, *rest in specs:
            if kind not in LOCATORS:
                raise ValueError(kind)
            needle = rest[-1]
            rel, line = LOCATORS[kind](s, out, r, kind, rest)
            if line is None:
                raise SystemExit(f"{s.name}: evidence not found for {key}: {kind} {needle!r} in {rel}")
            loc = f"`{rel}:{line}` ({kind}: {needle})"
            if loc not in found and not any(f.startswith(f"`{rel}:{line}`") for f in found):
                found.append(loc)
        res[key] = found
    return res


def _first_line_with(out: Path, rel: str, needle: str):
    hits = [i + 1 for i, line in enumerate((out / rel).read_text().splitlines()) if needle in line]
    return rel, (hits[0] if hits else None)


def _log(s, out, r, kind, rest):
    """The last line of the (previous) controller log about the release that holds the needle."""
    rel = s.layout["log"] if kind == "log" else s.layout["prevlog"]
    lines = (out / rel).read_text().splitlines()
    hits = [
        i + 1
        for i, line in enumerate(lines)
        if rest[-1] in line and f'"name":"{r.name}"' in line and f'"namespace":"{r.ns}"' in line
    ]
    return rel, (hits[-1] if hits else None)


def _hr(s, out, r, kind, rest):
    """The line of the HelmRelease object (found by its uid) that holds the needle."""
    if s.layout["kind"] == "troubleshoot":
        rel = f"cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/{r.ns}.json"
        lines = (out / rel).read_text().splitlines()
        return rel, _find_block_line(
            lines, lambda line: f'"uid": "{r.uid}"' in line, lambda line: line.startswith('    "apiVersion"'), rest[-1]
        )
    rel = s.layout["hr"]
    lines = (out / rel).read_text().splitlines()
    return rel, _find_block_line(
        lines, lambda line: line == f"    uid: {r.uid}", lambda line: line.startswith("- "), rest[-1]
    )


def _event(s, out, r, kind, rest):
    """The `message` line of the first event about the release (or the objects named) with the needle."""
    needle, names = rest[-1], (r.name, *rest[:-1])
    if s.layout["kind"] == "troubleshoot":
        rel = f"cluster-resources/events/{r.ns}.json"
        lines = (out / rel).read_text().splitlines()
        for e in json.loads((out / rel).read_text())["items"]:
            if e["involvedObject"]["name"] in names and needle in e["message"]:
                enc = '"message": ' + json.dumps(e["message"], ensure_ascii=False) + ","
                cand = [i + 1 for i, line in enumerate(lines) if line.strip() == enc]
                name_line = [
                    i + 1 for i, line in enumerate(lines) if line.strip() == f'"name": "{e["metadata"]["name"]}",'
                ]
                return rel, min(c for c in cand if c > name_line[0])
        return rel, None
    rel = s.layout["events"]
    lines = (out / rel).read_text().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("- ")]
    for k, e in enumerate(s.loose_events):
        if e["involvedObject"]["name"] in names and needle in e["message"]:
            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
            return rel, next(i + 1 for i in range(starts[k], end) if lines[i].startswith("  message:"))
    return rel, None


def _helmchart(s, out, r, kind, rest):
    rel = (
        s.layout["helmchart"]
        if s.layout["kind"] == "loose"
        else "cluster-resources/custom-resources/helmcharts.source.toolkit.fluxcd.io/flux-system.json"
    )
    return _first_line_with(out, rel, rest[-1])


def _pod(s, out, r, kind, rest):
    return _first_line_with(out, "cluster-resources/pods/flux-system.json", rest[-1])


def _file(s, out, r, kind, rest):
    return _first_line_with(out, rest[0], rest[-1])


# Evidence kinds -> how to find their line in the written files.
LOCATORS = {
    "log": _log,
    "prevlog": _log,
    "hr": _hr,
    "event": _event,
    "helmchart": _helmchart,
    "pod": _pod,
    "file": _file,
}


def write_truth(s):
    TRUTH_DIR.mkdir(parents=True, exist_ok=True)
    data = {"releases": {k: s.truth[k] for k in sorted(s.truth)}, "notes": {k: s.notes[k] for k in sorted(s.notes)}}
    write(TRUTH_DIR / f"{s.name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_scenarios_md(built):
    """SCENARIOS.md from (scenario module, Scenario, resolved evidence) of each scenario."""
    out = [
        "# Planted-truth scenarios",
        "",
        "Generated by `python3 samples/generate_scenarios.py` (stdlib only, deterministic; rerun rewrites the five "
        "folders below, `samples/truth/<scenario>.json` and this file). Truth format: "
        '`{"releases": {"ns/name": null | {"primary", "labels"}}, "notes": {...}}`; primary = the '
        "first cause, the label the story starts from (DESIGN.md §5), not the last state. Every evidence location below is `path:line` inside the scenario folder, "
        "computed from the written files.",
        "",
    ]
    for module, s, ev in built:
        layout, version = module.LAYOUT, module.CONTROLLER
        out += [
            f"## `{s.name}`",
            "",
            f"- layout: {layout}",
            f"- controller: {version}",
            f"- collected: {rfc3339(s.C)} (events older than 1h before that have expired unless updated since)",
            "",
            "| release | truth | mechanism | key evidence |",
            "|---|---|---|---|",
        ]
        for key in sorted(s.truth):
            t = s.truth[key]
            truth = "healthy (null)" if t is None else f"**{t['primary']}** ({', '.join(t['labels'])})"
            locs = "<br>".join(ev.get(key, [])) or "-"
            out.append(f"| `{key}` | {truth} | {s.notes[key]} | {locs} |")
        out.append("")
    out += [
        "## Where the real controller differs from a naive reading of the labels",
        "",
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
        "",
    ]
    write(SAMPLES / "SCENARIOS.md", "\n".join(out))
