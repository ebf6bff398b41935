"""The fast paths for big inputs give exactly the rows of the reference (per-line, per-object) paths."""

from __future__ import annotations

import json
import random
from pathlib import Path

import polars as pl
import pytest
import yaml
from polars.testing import assert_frame_equal

from parsers import _log_bodies, _logs, event_list_fast, objects

SAMPLES = Path(__file__).resolve().parents[2] / "samples"


def _noisy_log(n: int = 3000, nested: bool = True) -> list[str]:
    rng = random.Random(7)
    out = []
    for i in range(n):
        record = {
            "level": "info",
            "ts": f"2024-03-12T10:{i % 60:02d}:00.{i % 1000:03d}Z",
            "msg": f"m{{ {i}" if nested or i % 50 == 0 else f"m {i}",
            "controller": "helmrelease",
            "HelmRelease": {"name": f"r{i % 7}", "namespace": "ns"},
            "namespace": "ns",
            "name": f"r{i % 7}",
            "reconcileID": str(i),
        }
        line = json.dumps(record, separators=(",", ":"))
        roll = rng.random()
        if roll < 0.02:
            line = line[: rng.randrange(5, len(line))]  # cut short (sometimes right after a nested `}`)
        elif roll < 0.03:
            line = "  " + line + " "  # whitespace around
        elif roll < 0.04 and nested:
            line = line[:-1] + ',"error":{"nested":[1,2]}}'  # an object where a string is expected
        elif roll < 0.05:
            line = "I0312 10:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease"
        elif roll < 0.055:
            line = '{"msg": "x"} trailing'
        elif roll < 0.06:
            line = '{"level":3,"ts":1710237600.5,"msg":"numbers where strings are expected"}'
        out.append(line)
    return out


def test_decode_json_reads_only_the_object_lines_and_gives_the_per_line_values():
    """`decode_json` decodes only the `{...}` lines (the others are no object to json.loads):
    the rows and failures of decoding every line, chunk by chunk down to json.loads."""
    lines = pl.Series("body", _noisy_log())
    fast, fast_failed = _logs.decode_json(lines)
    exact, exact_failed = _log_bodies._decode_exact(lines.str.strip_chars())
    assert fast_failed == exact_failed
    assert_frame_equal(fast, exact)


def test_event_list_fast_path_matches_per_object_path(monkeypatch):
    files = sorted((SAMPLES / "upgrade-2.1-to-2.2" / "cluster-resources" / "events").glob("*.json"))
    assert files
    for path in files:
        data = path.read_bytes()
        fast = event_list_fast.parse(data, str(path), objects.NAME)
        monkeypatch.setattr(event_list_fast, "MIN_BYTES", 1 << 40)
        slow = objects.parse(data, str(path))
        monkeypatch.undo()
        assert fast is not None
        assert_frame_equal(fast.frames["events"], slow.frames["events"])
        assert (fast.note, fast.problems) == (slow.note, slow.problems)


def test_event_list_fast_path_declines_other_shapes():
    minified = json.dumps(
        {"kind": "EventList", "apiVersion": "v1", "items": [{"message": "x", "reason": "y"}]}
    ).encode()
    assert event_list_fast.parse(minified, "e.json", objects.NAME) is None
    assert event_list_fast.parse(b"[]", "e.json", objects.NAME) is None


def test_log_timestamps_first_pass_matches_every_dialect():
    """`_timestamps` reads RFC 3339 with a zone in one pass first; every value equals what the
    full dialect list (`parse_ts` of `ts`, then of the kubelet prefix) gives."""
    from parsers._base import parse_ts

    forms = [
        "2024-03-09T20:48:00.170Z",
        "2024-03-09T20:48:00Z",
        "2024-03-09T20:48:00.123456789Z",
        "2024-03-09T20:48:00.1+02:00",
        "2024-03-09T20:48:00.100+0200",
        "2024-03-09T20:48:00.100-0530",
        "2024-03-09 20:48:00.1Z",
        "2024-03-09T20:48:00.1z",
        " 2024-03-09T20:48:00.100Z ",
        "2024-05-01 10:00:00.123456789 +0000 UTC",
        "2024-03-09T20:48:00",
        "2024-13-09T20:48:00.100Z",
        "2024-02-30T10:00:00Z",
        "2024-03-09T24:00:00Z",
        "2024-03-09T20:48:60Z",
        "2024-03-09T20:48:00.100Zjunk",
        "1709930880.123",
        "",
        None,
    ]
    prefixes = [None, "2024-03-09T20:48:01.000000000Z"]
    records = pl.DataFrame(
        [{"ts": ts, "prefix_ts": prefix} for ts in forms for prefix in prefixes],
        schema={"ts": pl.String, "prefix_ts": pl.String},
    )
    expected = records.select(
        pl.coalesce(parse_ts(pl.col("ts")), parse_ts(pl.col("prefix_ts"))).alias("_ts")
    ).to_series()
    got = _logs._timestamps(records)
    assert got.dtype == expected.dtype
    assert got.to_list() == expected.to_list()
    assert got.head(1).to_list()[0] is not None  # the common form is read


def _key_sets_log(n: int = 3000) -> list[str]:
    """Records of every key set: current (name, namespace, kind and the HelmRelease object),
    the object alone, `request` (2021), startup lines with no object, a HelmRelease that is
    not an object; with noise lines."""
    rng = random.Random(11)
    out = []
    for i in range(n):
        ts = f"2024-03-12T10:{i % 60:02d}:00.{i % 1000:03d}Z"
        obj = {"name": f"r{i % 7}", "namespace": f"ns{i % 3}"}
        roll = rng.random()
        if roll < 0.5:
            record = {
                "level": "info",
                "ts": ts,
                "msg": "m",
                "controller": "helmrelease",
                "controllerKind": "HelmRelease",
                "HelmRelease": obj,
                **obj,
                "reconcileID": str(i),
            }
        elif roll < 0.7:
            record = {
                "level": "info",
                "ts": ts,
                "msg": "only the object",
                "controller": "helmrelease",
                "HelmRelease": obj,
            }
        elif roll < 0.8:
            record = {
                "level": "info",
                "ts": ts,
                "msg": "old keys",
                "logger": "controllers.HelmRelease",
                "request": f"ns{i % 3}/r{i % 7}",
            }
        elif roll < 0.85:
            record = {"level": "info", "ts": ts, "msg": "object without kind", "HelmRelease": obj, "name": obj["name"]}
        elif roll < 0.88:
            record = {"level": "info", "ts": ts, "msg": "odd", "HelmRelease": "not-an-object"}
        elif roll < 0.9:
            record = {
                "level": "info",
                "ts": ts,
                "msg": "partial",
                "HelmRelease": {"name": 5},
                "controllerKind": "HelmRelease",
            }
        elif roll < 0.95:
            record = {"level": "info", "ts": ts, "logger": "setup", "msg": "starting manager"}
        else:
            out.append("E0312 10:00:00.000000       1 reflector.go:147] noise")
            continue
        out.append(json.dumps(record, separators=(",", ":")))
    return out


def test_log_rows_with_the_light_json_read_equal_the_reference(monkeypatch):
    """The fast path reads `HelmRelease` only where a row lacks its name, namespace or kind:
    the logs rows are the reference's for every key set."""
    from parsers import _logs_stream, zap_log

    data = ("\n".join(_key_sets_log()) + "\n").encode()
    source = "cluster-resources/pods/logs/flux-system/helm-controller-1/manager.log"
    reference = zap_log.parse(data, source)
    monkeypatch.setattr(_logs_stream, "MIN_BYTES", 0)
    taken = []
    real = _logs_stream.parse
    monkeypatch.setattr(_logs_stream, "parse", lambda *a, **k: taken.append(real(*a, **k)) or taken[-1])
    light = zap_log.parse(data, source)
    assert taken == [True]
    assert light.frames["logs"].height > 2500
    assert_frame_equal(light.frames["logs"], reference.frames["logs"])
    assert light.problem_frame().equals(reference.problem_frame())


def _yaml_events(extra: list[dict] | None = None, list_kind: str = "EventList", kinds: bool = False) -> bytes:
    """A YAML EventList as kubectl and must-gather write it (go-yaml: keys sorted, two-space
    items), with what makes the cited line hard to find: a message that starts with a quote
    (no needle: the key decides) after a field that holds `"message"`, a message over several
    lines, items without a message or a reason, odd times, a series."""
    items = []
    for i in range(40):
        item = {
            "involvedObject": {"kind": "HelmRelease", "name": f"r{i % 5}", "namespace": "apps"},
            "metadata": {"name": f"r{i % 5}.17a{i:03d}", "namespace": "apps", "uid": f"u-{i}"},
            "reason": "UpgradeFailed",
            "message": f"Helm upgrade failed ({i}): timed out waiting for the condition",
            "type": "Warning",
            "count": 1 + i % 3,
            "firstTimestamp": f"2024-03-12T10:{i % 60:02d}:00Z",
            "lastTimestamp": f"2024-03-12T10:{i % 60:02d}:30Z",
            "source": {"component": "helm-controller"},
        }
        if kinds:
            item = {"apiVersion": "v1", "kind": "Event", **item}
        if i % 7 == 1:
            item["action"] = 'see the "message" field'
            item["message"] = '"quoted" at the start: no needle'
        elif i % 7 == 2:
            item["message"] = "first line\nsecond line holding message: too\n"
        elif i % 7 == 3:
            del item["message"]
        elif i % 7 == 4:
            del item["message"], item["reason"]
            item["firstTimestamp"] = "not a time"
        elif i % 7 == 5:
            item["lastTimestamp"] = "2024-03-12T10:00:30.123+02:00"
            item["series"] = {"count": 4, "lastObservedTime": "2024-03-12T10:05:00.000000Z"}
        elif i % 7 == 6:
            item["metadata"]["annotations"] = {"helm.toolkit.fluxcd.io/revision": "1.2.3", "other": "x"}
        items.append(item)
    items += extra or []
    return yaml.safe_dump({"apiVersion": "v1", "items": items, "kind": list_kind, "metadata": {}}).encode()


def _both(monkeypatch, data: bytes):
    """The member read with the YAML EventList's fast path (on any size) and without it."""
    monkeypatch.setattr(event_list_fast, "MIN_BYTES", 0)
    taken = []
    real = event_list_fast.from_objects
    monkeypatch.setattr(event_list_fast, "from_objects", lambda *a: taken.append(real(*a)) or taken[-1])
    fast = objects.parse(data, "namespaces/apps/core/events.yaml")
    monkeypatch.setattr(event_list_fast, "from_objects", lambda *a: None)
    slow = objects.parse(data, "namespaces/apps/core/events.yaml")
    return fast, slow, taken


@pytest.mark.parametrize("list_kind,kinds", [("EventList", False), ("EventList", True), ("List", True)])
def test_a_yaml_event_list_read_column_wise_gives_the_per_object_rows(monkeypatch, list_kind, kinds):
    fast, slow, taken = _both(monkeypatch, _yaml_events(list_kind=list_kind, kinds=kinds))
    assert [result is not None for result in taken] == [True]
    assert_frame_equal(fast.frames["events"], slow.frames["events"])
    assert (fast.note, fast.problems) == (slow.note, slow.problems)
    assert slow.frames["events"]["excerpt"].str.contains("no needle").sum() == 40 // 7 + 1


@pytest.mark.parametrize(
    "extra",
    [
        {"kind": "ConfigMap", "metadata": {"name": "c", "namespace": "apps"}},  # another kind
        {"kind": "Event", "regarding": {"kind": "Pod"}, "note": "x"},  # events.k8s.io/v1
        {"kind": "Event", "involvedObject": {"kind": "HelmRelease"}, "severity": "error", "message": "x"},
        {"kind": "Event", "message": "x", "count": 2.5},  # a count Arrow would truncate
        {"kind": "Event", "message": 42},  # a number where Kubernetes writes a string
    ],
    ids=["configmap", "events-k8s-io", "notification", "float-count", "number-message"],
)
def test_a_yaml_event_list_with_what_the_columns_cannot_say_is_read_per_object(monkeypatch, extra):
    fast, slow, taken = _both(monkeypatch, _yaml_events([extra], kinds=True))
    assert taken == [None]
    assert_frame_equal(fast.frames["events"], slow.frames["events"])
    assert (fast.note, fast.problems) == (slow.note, slow.problems)
