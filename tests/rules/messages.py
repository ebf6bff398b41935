"""Helpers of the single-message tests: frames built from rows as the paste reader makes them,
run through the whole rule engine."""

from __future__ import annotations

from datetime import datetime, timezone


import forensics
from forensics.bundle import Bundle
from forensics.load import Frames
from parsers._base import FRAME_NAMES, frame

FIXED = datetime(2026, 1, 5, 12, 0, tzinfo=timezone.utc)


def run(**rows: list[dict]):
    """The Analysis of frames built from rows (absent frames are empty)."""
    data = {kind: frame(kind, rows.get(kind, [])) for kind in FRAME_NAMES}
    frames = Frames(data=data, bundle=Bundle(name="paste", origin="paste"))
    return forensics._run(frames, include=None, exclude=None, generated_at=FIXED).analysis


def message(
    text: str,
    release: str | None = "?/?",
    *,
    type_: str = "Warning",
    reason: str | None = None,
    component: str = "helm-controller",
    kind: str | None = "HelmRelease",
    line: int = 1,
) -> dict:
    """A bare message as the paste reader writes it: one `events` row, no time."""
    ns, _, name = (release or "?/?").partition("/")
    return {
        "type": type_,
        "reason": reason,
        "message": text,
        "kind": kind,
        "namespace": None if ns == "?" else ns,
        "name": None if name == "?" else name,
        "release": release,
        "component": component,
        "count": 1,
        "approximate": True,
        "source": "paste.txt",
        "line": line,
        "excerpt": text.split("\n")[0][:200],
    }


def table_row(
    release: str, status: str, text: str | None, *, reason: str | None = None, form: str = "kubectl-get-table", **extra
) -> tuple[dict, dict]:
    """A `kubectl get hr` / `flux get hr` / alert row: a releases row and its Ready condition."""
    ns, _, name = release.partition("/")
    common = {"release": release, "source": "paste.txt", "line": 2, "excerpt": f"{name} {status} {text or ''}"}
    row = {
        **common,
        "namespace": None if ns == "?" else ns,
        "name": name,
        "ready_status": status,
        "ready_reason": reason,
        "ready_message": text,
        "status_format": "unknown",
        "input_format": form,
        "depends_on": [],
        **extra,
    }
    return row, {**common, "type": "Ready", "status": status, "reason": reason, "message": text}


def found(analysis) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for f in analysis.findings:
        out.setdefault(f.release, set()).add(f.label)
    return out


def by_label(analysis, label):
    return next(f for f in analysis.findings if f.label == label)
