#!/usr/bin/env python3
"""Generate five realistic incident bundles with a planted truth (run: python3 samples/generate_scenarios.py).

Outputs (each run deletes and rewrites only these):
  samples/v036-failures/        troubleshoot.sh layout, helm-controller v0.36.2 (Flux v2.1.2, API v2beta1)
  samples/v037-failures/        loose files an SRE saved by hand, helm-controller v0.37.4 (Flux v2.2.3)
  samples/v1-controller-crash/  troubleshoot.sh layout, helm-controller v1.0.1 (Flux v2.3.0, API v2), OOMKilled x3
  samples/healthy-control/      troubleshoot.sh layout, helm-controller v1.4.1 (Flux v2.7.1), everything healthy
  samples/v16-failures/         loose files, helm-controller v1.6.2 (Flux v2.9.2, Helm 4): the v1.x failure labels
  samples/truth/<scenario>.json and samples/SCENARIOS.md (evidence file:line computed from the written files)

Every controller string is quoted from HC = ../shared/reference/helm-controller.md or from the
controller source it cites (fluxcd/helm-controller at the tag in use, helm/helm v3.12.3 / v3.13.3 /
v3.14.4, fluxcd/source-controller v1.2.4, client-go tools/record); comments cite "HC <section>" or the
source file. Bundle layouts follow ECO = ../shared/reference/ecosystem.md section 1.

Mechanisms modelled rather than typed in by hand:
  * the controller-runtime rate limiter (750ms doubling to 15m) for errors and Requeue:true;
  * the periodic requeue with 5 % interval jitter;
  * client-go's EventCorrelator per controller process: identical events aggregated into one Event
    with a growing count, >= 10 similar messages within 10 min combined ("(combined from similar
    events): ..."), the per-object spam filter (burst 25, 1 token / 5 min) that drops events but still
    counts them, and the 1h event TTL (an Event survives when its last write is < 1h old);
  * Helm storage revisions and the v0.37+/v1 status.history observers, Truncate and Previous;
  * Helm's log ring buffers (v0.36: 5 lines, consecutive duplicates dropped; v0.37+: 10 lines with
    RFC3339Nano stamps and "(N duplicate lines omitted)").
Standard library only; all randomness comes from one seeded random.Random per scenario.

Layout: samples/scenarios/ holds the engine (engine.py: Scenario, Rel, the rate limiter,
client-go's EventCorrelator; formats.py: times, digests, kubectl-style YAML, Helm's log ring
buffers; objects.py: the Kubernetes objects and bundle writers; story.py: story steps shared by the
scenarios, the v0.37+/v1 controller V37; truth.py: evidence `path:line`, truth files, SCENARIOS.md)
and one story module per scenario (NAME, LAYOUT, CONTROLLER, build(), the bundle it writes), whose
releases' stories live in one or two modules next to it (v16_refused.py and v16_waiting.py for
v16_failures.py, healthy_control_releases.py for healthy_control.py, ...).
"""

from __future__ import annotations

import shutil

from scenarios import (
    healthy_control,
    v036_failures,
    v037_failures,
    v1_controller_crash,
    v16_failures,
)
from scenarios.engine import SAMPLES
from scenarios.truth import resolve_evidence, write_scenarios_md, write_truth

SCENARIOS = [v036_failures, v037_failures, v1_controller_crash, healthy_control, v16_failures]


def main():
    for scenario in SCENARIOS:
        shutil.rmtree(SAMPLES / scenario.NAME, ignore_errors=True)
    built = []
    for scenario in SCENARIOS:
        s = scenario.build()
        write_truth(s)
        built.append((scenario, s, resolve_evidence(s, SAMPLES / s.name)))
    write_scenarios_md(built)


if __name__ == "__main__":
    main()
