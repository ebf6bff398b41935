"""Which helm-controller ran when: versions, and the upgrade moment, from every clue.

Clues, strongest first: the image of a running container (exact version, since its start),
`Pulling image ".../helm-controller:vX"` events, and the wording of the log lines
(reference/helm-controller.md §9: v0.36 ends every reconcile with `reconciliation finished
in ...`; v0.37+ never does and logs `release in-sync with desired state`, `checking N
dependencies`, ...). A controller upgrade that changes the API generation (v2beta1 ->
v2beta2 -> v2) is what leaves statuses behind, so generations are compared, and the moment
is placed at the first sign of the new generation after the last sign of the old one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from forensics.lines import with_raw
from forensics.model import ControllerVersion, Evidence, Upgrade

HELM_CONTROLLER = "helm-controller"

# Log messages only helm-controller <= v0.36 writes (reference §2.1, §9).
OLD_HALLMARKS = (
    r"^reconcili?ation finished in ",  # early releases wrote "reconcilation"
    r"^Reconciliation is suspended for this object$",
    r"^all dependencies are ready, proceeding with release$",
    r"^dependencies do not meet ready condition \(.*\), retrying in ",
)
# Log messages only helm-controller >= v0.37 writes (reference §2.2, §2.3, §9).
NEW_HALLMARKS = (
    r"^release in-sync with desired state$",
    r"^running '[a-z ]+' action with timeout of ",
    r"^checking \d+ dependencies$",
    r"^all dependencies are ready$",
    r"^dependencies do not meet ready condition \(.*\): retrying in ",
    r"^reconciliation is suspended for this object$",
    r"^release out-of-sync with desired state: ",
    r"^release (locked|not installed|not managed by controller|is in a failed state)",
    r"^(Created|Configured) HelmChart/|^HelmChart/.* is in-sync$",
    r"^detected changes in cluster state: ",
)
OLD_PATTERN = "|".join(f"(?:{p})" for p in OLD_HALLMARKS)
NEW_PATTERN = "|".join(f"(?:{p})" for p in NEW_HALLMARKS)

_SEMVER = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def api_generation(version: str | None) -> str | None:
    """The HelmRelease status generation a helm-controller version writes."""
    found = _SEMVER.match(version or "")
    if not found:
        return None
    major, minor = int(found[1]), int(found[2])
    if major == 0:
        return "v2beta1" if minor <= 36 else "v2beta2"
    return "v2"


def version_tuple(version: str | None) -> tuple[int, int, int] | None:
    found = _SEMVER.match(version or "")
    return (int(found[1]), int(found[2]), int(found[3] or 0)) if found else None


_GEN_ORDER = {"v2beta1": 0, "v2beta2": 1, "v2": 2}


def parse_gates(text: str | None) -> dict[str, bool]:
    """`A=true,B=false` (the `--feature-gates` value) -> {"A": True, "B": False}; a bare name is true."""
    gates: dict[str, bool] = {}
    for part in (text or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            gates[name.strip()] = value.strip().lower() != "false" if value else True
    return gates


@dataclass
class ControllerState:
    """What the bundle says about helm-controller versions over time, and its feature gates."""

    versions: list[ControllerVersion] = field(default_factory=list)
    upgrades: list[Upgrade] = field(default_factory=list)
    current_version: str | None = None
    current_generation: str | None = None
    new_generation_since: datetime | None = None  # first sign of a >= v0.37 controller
    # `--feature-gates` of the running helm-controller (else its Deployment template); None when
    # no container spec of it is in the bundle (then a gate's value is unknown, not its default)
    feature_gates: dict[str, bool] | None = None

    @property
    def upgrade(self) -> Upgrade | None:
        return self.upgrades[-1] if self.upgrades else None

    def at_least(self, version: str) -> bool | None:
        """Whether the current helm-controller is `version` or newer (None: version unknown)."""
        current, wanted = version_tuple(self.current_version), version_tuple(version)
        return None if current is None or wanted is None else current >= wanted

    def between(self, low: str, high: str) -> bool | None:
        """Whether the current helm-controller is in [low, high] (None: version unknown)."""
        current = version_tuple(self.current_version)
        if current is None:
            return None
        return version_tuple(low) <= current <= version_tuple(high)

    def gate(self, name: str) -> bool | None:
        """A feature gate's value: as set in the args, else its default (false for every gate a
        rule reads, reference §10.2); None when the bundle holds no helm-controller container spec."""
        if self.feature_gates is None:
            return None
        return self.feature_gates.get(name, False)

    def describe(self) -> str:
        """`helm-controller v1.5.2 (gates: A=true)` for summaries; '' when nothing is known."""
        if not self.current_version:
            return ""
        gates = {k: v for k, v in (self.feature_gates or {}).items() if v}
        return f"helm-controller {self.current_version}" + (
            f" (feature gates: {', '.join(sorted(gates))})" if gates else ""
        )


def helm_controller_logs(logs: pl.DataFrame) -> pl.DataFrame:
    """The log rows written by helm-controller (by reconciler, object kind or pod name);
    the frame itself, not a copy, when they all are (a bundle of helm-controller logs)."""
    mine = logs.select(
        (pl.col("controller") == "helmrelease").fill_null(False)
        | (pl.col("kind") == "HelmRelease").fill_null(False)
        | pl.col("pod").str.starts_with(HELM_CONTROLLER).fill_null(False)
    ).to_series()
    return logs if mine.all() else logs.filter(mine)


def _cite(row: dict, note: str) -> Evidence:
    return Evidence(
        source=row["source"],
        line=row["line"],
        ts=row.get("ts"),
        excerpt=row.get("excerpt") or row.get("raw") or "",
        note=note,
    )


Observation = tuple  # (first, last, version, generation, basis, evidence)


def analyse(logs: pl.DataFrame, events: pl.DataFrame, controllers: pl.DataFrame) -> ControllerState:
    """Versions of helm-controller and the upgrades between API generations, from what the
    bundle shows of it: its containers (pods, templates), image pulls, and its log wording."""
    state = ControllerState()
    helm = controllers.filter(pl.col("controller") == HELM_CONTROLLER)
    pulls = events.filter(pl.col("message").str.contains(r'^Pulling image ".*helm-controller:'))
    observations = _from_containers(helm) + _from_pulls(pulls) + _from_wording(logs)
    _current(state, helm, pulls, observations)
    state.versions = _versions(observations)
    _upgrade(state, observations)
    return state


def _from_containers(helm: pl.DataFrame) -> list[Observation]:
    """Containers seen in pods and templates (their image tags), and previous containers."""
    found = []
    for row in helm.filter(pl.col("version").is_not_null()).sort("started_at", nulls_last=True).iter_rows(named=True):
        basis = {"current": "running container image", "spec": "workload template image"}.get(
            row["instance"], row["instance"]
        )
        found.append(
            (
                row["started_at"],
                None,
                row["version"],
                api_generation(row["version"]),
                basis,
                _cite(row, f"{basis}: {row['version']}"),
            )
        )
    for row in helm.filter(pl.col("instance") == "previous").iter_rows(named=True):
        ended = f"previous container ended {row['finished_at']} ({row['last_termination_reason']})"
        found.append((row["started_at"], row["finished_at"], None, None, "previous container", _cite(row, ended)))
    return found


def _from_pulls(pulls: pl.DataFrame) -> list[Observation]:
    found = []
    for row in pulls.iter_rows(named=True):
        version = re.search(r"helm-controller:([^\"@]+)", row["message"] or "")
        tag = version.group(1) if version else None
        found.append(
            (row["first_ts"], None, tag, api_generation(tag), "image pull event", _cite(row, f"image pull of {tag}"))
        )
    return found


def _from_wording(logs: pl.DataFrame) -> list[Observation]:
    """Per log file, the span of helm-controller's <= v0.36 and >= v0.37 wordings."""
    hc_logs = helm_controller_logs(logs)
    # the patterns run on the distinct messages (a few thousand), mapped back with is_in
    messages = hc_logs.select(pl.col("msg").unique().drop_nulls()).to_series()
    old_msgs = messages.filter(messages.str.contains(OLD_PATTERN))
    new_msgs = messages.filter(messages.str.contains(NEW_PATTERN))
    hc_logs = hc_logs.with_columns(
        pl.col("msg").is_in(old_msgs.implode()).fill_null(False).alias("old"),
        pl.col("msg").is_in(new_msgs.implode()).fill_null(False).alias("new"),
    )
    # Per file: the time span of each wording and the row of its last (old) / first (new)
    # line. Masked columns aggregated per group (a filter inside the aggregation would gather
    # every column of millions of rows for each expression); the two rows taken afterwards.
    old, new, at = pl.col("old"), pl.col("new"), pl.col("_at")
    per_file = (
        hc_logs.select("source", "ts", "old", "new", pl.int_range(pl.len(), dtype=pl.Int64).alias("_at"))
        .group_by("source")
        .agg(
            pl.when(old).then("ts").min().alias("old_first"),
            pl.when(old).then("ts").max().alias("old_last"),
            pl.when(new).then("ts").min().alias("new_first"),
            pl.when(new).then("ts").max().alias("new_last"),
            pl.when(old).then(at).max().alias("old_at"),
            pl.when(new).then(at).min().alias("new_at"),
        )
        .sort("source")
    )
    if per_file.height:  # the two cited lines of each file, read again (logs do not hold them)
        cite_from = hc_logs.select("source", "line", "offset", "raw")
        for which in ("old", "new"):
            rows = per_file[f"{which}_at"].drop_nulls()
            cited = with_raw(cite_from[rows]).select(
                "source", pl.col("line").alias(f"{which}_line"), pl.col("raw").alias(f"{which}_raw")
            )
            per_file = per_file.join(cited, on="source", how="left", maintain_order="left")
    found = []
    for row in per_file.iter_rows(named=True):
        if row["old_last"] is not None:
            note = "last log line in helm-controller <= v0.36 wording"
            ev = Evidence(
                source=row["source"], line=row["old_line"], ts=row["old_last"], excerpt=row["old_raw"], note=note
            )
            found.append((row["old_first"], row["old_last"], None, "v2beta1", "log wording", ev))
        if row["new_first"] is not None:
            note = "first log line in helm-controller >= v0.37 wording"
            ev = Evidence(
                source=row["source"], line=row["new_line"], ts=row["new_first"], excerpt=row["new_raw"], note=note
            )
            found.append((row["new_first"], row["new_last"], None, "v2beta2+", "log wording", ev))
    return found


def _current(state: ControllerState, helm: pl.DataFrame, pulls: pl.DataFrame, observations: list[Observation]) -> None:
    """The current version (the running container, else the newest pull, else the templates)
    and the feature gates of that same container (the running one, else the template's)."""
    current = helm.filter(pl.col("instance") == "current").filter(pl.col("version").is_not_null())
    if current.height:
        state.current_version = current.sort("started_at", nulls_last=True)["version"][-1]
    elif pulls.height:
        state.current_version = observations[-1][2] if observations else None
    elif helm.filter(pl.col("version").is_not_null()).height:
        state.current_version = helm.filter(pl.col("version").is_not_null())["version"][-1]
    state.current_generation = api_generation(state.current_version)
    for instance in ("current", "spec"):
        seen = helm.filter(pl.col("instance") == instance)
        if seen.height:
            state.feature_gates = parse_gates(seen.sort("started_at", nulls_last=True)["feature_gates"][-1])
            break


def _versions(observations: list[Observation]) -> list[ControllerVersion]:
    """The versions seen, exact versions first; a generation known only from the wording is
    folded into the exact version of that generation when there is one."""
    by_version: dict[str, ControllerVersion] = {}
    for first, last, version, generation, basis, ev in observations:
        key = version or f"({generation} wording)"
        if generation is None and version is None:
            continue
        api = generation if generation != "v2beta2+" else None
        entry = by_version.setdefault(
            key, ControllerVersion(controller=HELM_CONTROLLER, version=version, api_generation=api, basis=basis)
        )
        entry.first_seen = min(filter(None, (entry.first_seen, first)), default=None)
        entry.last_seen = max(filter(None, (entry.last_seen, last or first)), default=None)
        if basis not in entry.basis:
            entry.basis += f", {basis}"
        entry.evidence.append(ev)
    for key in [k for k in by_version if k.startswith("(")]:
        entry = by_version[key]
        old = key.startswith("(v2beta1")
        exact = [v for v in by_version.values() if v.version and (api_generation(v.version) == "v2beta1") == old]
        if exact:
            target = max(exact, key=lambda v: v.first_seen or datetime.min)
            target.first_seen = min(filter(None, (target.first_seen, entry.first_seen)), default=None)
            target.last_seen = max(filter(None, (target.last_seen, entry.last_seen)), default=None)
            target.basis += ", log wording"
            target.evidence += entry.evidence
            del by_version[key]
        else:
            entry.version = None
            entry.api_generation = "v2beta1" if old else None
            entry.basis = "log wording: " + ("<= v0.36" if old else ">= v0.37")
    return sorted(by_version.values(), key=lambda v: (v.first_seen is None, v.first_seen or datetime.min))


def _upgrade(state: ControllerState, observations: list[Observation]) -> None:
    """The generation change: the last sign of v2beta1 before the first sign of a newer one."""
    old_signs = [(last or first, ev) for first, last, v, g, b, ev in observations if g == "v2beta1" and (last or first)]
    new_signs = [
        (first, v, ev) for first, last, v, g, b, ev in observations if g in ("v2beta2", "v2", "v2beta2+") and first
    ]
    if new_signs:
        state.new_generation_since = min(t for t, _, _ in new_signs)
    if old_signs and new_signs:
        old_last, old_ev = max(old_signs, key=lambda x: x[0])
        later = [(t, v, ev) for t, v, ev in new_signs if t >= old_last]
        if later:
            at = min(t for t, _, _ in later)
            to_version = next((v for t, v, ev in sorted(later, key=lambda x: x[0]) if v), state.current_version)
            exact_old = [
                version for _, _, version, generation, _, _ in observations if generation == "v2beta1" and version
            ]
            evidence = [old_ev] + [ev for t, v, ev in sorted(later, key=lambda x: x[0])[:4]]
            state.upgrades.append(
                Upgrade(
                    controller=HELM_CONTROLLER,
                    from_version=exact_old[-1] if exact_old else "<= v0.36 (log wording)",
                    to_version=to_version or ">= v0.37 (log wording)",
                    at=at,
                    basis="last v0.36-era sign, then first v0.37+ sign",
                    evidence=evidence,
                )
            )
            state.new_generation_since = at
