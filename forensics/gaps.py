"""Evidence the bundle lacks, at the bundle level: what it costs and how to collect it next time.

Troubleshoot bundles collect pod logs only for unhealthy pods, so helm-controller's log is
usually absent; Kubernetes events expire after one hour (`--event-ttl`); a pasted table has
no status shape. Each gap names the rules that could not decide without it.
"""

from __future__ import annotations

import polars as pl

from forensics import collect
from forensics.load import Frames
from forensics.model import Gap
from forensics.versions import HELM_CONTROLLER, ControllerState, helm_controller_logs
from parsers import layouts


def _logs_hint(layout: str) -> str:
    """How to collect helm-controller's log, in the bundle's layout (its row of `parsers.layouts`)."""
    part = "helm-controller-logs"
    how = layouts.BY_NAME.get(layout, layouts.BY_NAME["loose"]).collect_logs
    return how.format(part=part, collector=collect.inline_collector(part), command=collect.hint(part))


def find(frames: Frames, state: ControllerState, hc_logs: pl.DataFrame | None = None) -> list[Gap]:
    """The gaps of a bundle; `hc_logs` is helm-controller's log rows when already filtered."""
    gaps: list[Gap] = []
    releases = frames["releases"]
    not_ready = releases.filter(pl.col("ready_status").is_in(["False", "Unknown"]))["release"].to_list()
    if hc_logs is None:
        hc_logs = helm_controller_logs(frames["logs"])
    if hc_logs.height == 0:
        gaps.append(
            Gap(
                missing="helm-controller logs",
                consequence="whether the controller visited each release, dependency checks, drift corrections and "
                "crashes mid-action cannot be confirmed (MG001, DP001, DP002, DR001, HC001 decide with "
                "lower confidence or not at all)",
                how_to_collect=_logs_hint(frames.bundle.layout),
                releases=not_ready,
            )
        )
    events = frames["events"]
    if events.height == 0:
        gaps.append(
            Gap(
                missing="Kubernetes events",
                consequence="action outcomes and drift reports carried by events are unavailable",
                how_to_collect=f"{collect.hint('events')}, right after the incident "
                "(events expire after 1h by default)",
                releases=not_ready,
            )
        )
    elif hc_logs.height:
        first_event = events["first_ts"].min()
        first_log = hc_logs["ts"].min()
        if first_event and first_log and (first_event - first_log).total_seconds() > 3600:
            gaps.append(
                Gap(
                    missing=f"events before {first_event:%Y-%m-%d %H:%M}Z",
                    consequence="the logs reach further back than the events: earlier events expired (kube-apiserver "
                    "--event-ttl, 1h by default)",
                    how_to_collect=f"{collect.hint('events')}, sooner; or ship events to a log store (e.g. Alloy "
                    f"`loki.source.kubernetes_events`)",
                )
            )
    if releases.height and releases.filter(pl.col("input_format") == "object").height == 0:
        gaps.append(
            Gap(
                missing="HelmRelease objects",
                consequence="only table rows: no status shape, reasons, times or history, so findings have at most "
                "medium confidence",
                how_to_collect=collect.hint("helmreleases"),
                releases=releases["release"].to_list(),
            )
        )
    controllers = frames["controllers"].filter(pl.col("controller") == HELM_CONTROLLER)
    if state.current_version is None and controllers.height == 0:
        gaps.append(
            Gap(
                missing="helm-controller pod",
                consequence="the controller version and its restarts are unknown; version-specific behaviour is "
                "inferred from log wording and status shapes",
                how_to_collect=collect.hint("flux-workloads"),
            )
        )
    restarted = controllers.filter((pl.col("instance") == "previous"))
    if restarted.height and hc_logs.height and not hc_logs["previous"].fill_null(False).any():
        gaps.append(
            Gap(
                missing="logs of the previous helm-controller container",
                consequence="the controller restarted, and what it did before the restart is not in the bundle",
                how_to_collect=collect.hint("helm-controller-logs", index=1),
            )
        )
    return gaps
