import json

import polars as pl

from parsers import detect, zap_log

CTX = '"controller":"helmrelease","controllerGroup":"helm.toolkit.fluxcd.io","controllerKind":"HelmRelease"'
V037 = (
    '{"level":"info","ts":"2024-02-12T09:30:00.155Z","msg":"running \'upgrade\' action with timeout of 5m0s",'
    + CTX
    + ',"HelmRelease":{"name":"podinfo","namespace":"apps"},"namespace":"apps","name":"podinfo","reconcileID":"8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"}'
)
V036_ERROR = (
    '{"level":"error","ts":"2023-11-02T10:20:11.003Z","msg":"Reconciler error",'
    + CTX
    + ',"HelmRelease":{"name":"podinfo","namespace":"apps"},"namespace":"apps","name":"podinfo","reconcileID":"5b7d1e44-2d1c-4f0e-8f3a-6a1e9c0d2b77","error":"Helm upgrade failed: another operation (install/upgrade/rollback) is in progress"}'
)
OLD_KEYS = '{"level":"error","ts":"2021-03-01T10:00:00.000+0200","logger":"controller.helmrelease","msg":"Reconciler error","reconciler group":"helm.toolkit.fluxcd.io","reconciler kind":"HelmRelease","request":"flux-system/podinfo","error":"x"}'
SOURCE = "cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager-previous.log"


def test_sniff_accepts_zap_json_and_rejects_other_text():
    assert zap_log.matches("manager.log", (V037 + "\n").encode())
    assert not zap_log.matches("x.log", b"NAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\n")
    assert not zap_log.matches("events.json", b'{\n  "kind": "EventList",\n')
    assert detect("manager.log", (V037 + "\n").encode()) is zap_log


def test_one_record_field_by_field():
    result = zap_log.parse((V037 + "\n").encode(), SOURCE)
    assert result.problems == []
    row = result.frames["logs"].row(0, named=True)
    assert row["ts"].isoformat() == "2024-02-12T09:30:00.155000+00:00"
    assert row["level"] == "info"
    assert row["msg"] == "running 'upgrade' action with timeout of 5m0s"
    assert row["error"] is None
    assert (row["controller"], row["kind"], row["namespace"], row["name"]) == (
        "helmrelease",
        "HelmRelease",
        "apps",
        "podinfo",
    )
    assert row["release"] == "apps/podinfo"
    assert row["reconcile_id"] == "8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"
    assert (row["pod"], row["container"], row["previous"]) == ("helm-controller-5d8b9c7f4-x2x9k", "manager", True)
    assert (row["source"], row["line"], row["offset"]) == (SOURCE, 1, 0)
    assert row["raw"] is None  # not held: read again from `offset` (forensics.lines)


def test_older_key_set_and_offset_timestamp():
    row = zap_log.parse(OLD_KEYS.encode(), "helm-controller.log").frames["logs"].row(0, named=True)
    assert row["release"] == "flux-system/podinfo"
    assert row["controller"] == "helmrelease"
    assert row["ts"].isoformat() == "2021-03-01T08:00:00+00:00"  # +0200 normalised to UTC


def test_every_line_is_a_row_a_problem_or_blank():
    lines = [
        V037,
        "panic: runtime error: invalid memory address",
        "",
        V036_ERROR,
        "{not json",
        '{"msg":"no time"}',
        V037,
        "   ",
    ]
    result = zap_log.parse("\n".join(lines).encode(), "x.log")
    logs = result.frames["logs"]
    blank = sum(1 for line in lines if not line.strip())
    attached = int((logs["line_end"] - logs["line"]).sum())  # the panic line continues record 1
    assert logs.height + attached + len(result.problems) + blank == len(lines)
    assert sorted(p["line"] for p in result.problems) == [5, 6]
    assert logs["line"].to_list() == [1, 4, 7]
    assert logs.row(0, named=True)["extra"] == "panic: runtime error: invalid memory address"
    assert logs.filter(pl.col("level") == "error")["error"].to_list() == [json.loads(V036_ERROR)["error"]]


def test_mistyped_record_takes_the_slow_path_without_loss():
    # A valid JSON line whose `HelmRelease` is a string makes the bulk decode fail.
    odd = '{"level":"info","ts":"2024-02-12T09:30:00.101Z","msg":"odd","HelmRelease":"apps/x"}'
    data = "\n".join([V037] * 100 + [odd] + [V037] * 100).encode()
    result = zap_log.parse(data, "x.log")
    assert result.problems == []
    assert result.frames["logs"].height == 201
    assert result.frames["logs"].filter(pl.col("msg") == "odd")["line"].to_list() == [101]


def test_invalid_utf8_is_replaced_and_reported():
    result = zap_log.parse(V037.encode() + b"\n\xff\xfe\n", "x.log")
    assert result.frames["logs"].height == 1
    reasons = [p["reason"] for p in result.problems]
    assert any("UTF-8" in r for r in reasons) and any("not a JSON" in r for r in reasons)


def test_levels_lower_case_and_numbered_ones_named():
    # zap writes `info`/`error`/`debug`; `-zap-log-level=2`-style verbosity gives `Level(-2)`,
    # a console encoder may write upper case. A run of canonical levels is kept as it is.
    levels = ["INFO", "Level(-2)", "level(-1)", "debug", "Error", None]
    lines = []
    for level in levels:
        record = json.loads(V037)
        if level is None:
            record.pop("level")
        else:
            record["level"] = level
        lines.append(json.dumps(record))
    result = zap_log.parse(("\n".join(lines) + "\n").encode(), SOURCE)
    assert result.frames["logs"]["level"].to_list() == ["info", "trace", "debug", "debug", "error", None]
    canonical = zap_log.parse(("\n".join([V037, V036_ERROR]) + "\n").encode(), SOURCE)
    assert canonical.frames["logs"]["level"].to_list() == ["info", "error"]


def test_key_sets_mixed_in_one_log_each_row_named_by_its_own():
    """A run's name, namespace, kind and controller come from whichever keys its lines carry:
    the current keys, the HelmRelease object only, or the 2021 `request`/`logger` keys."""
    only_object = '{"level":"info","ts":"2024-02-12T09:30:01.000Z","msg":"x","controller":"helmrelease","HelmRelease":{"name":"web","namespace":"shop"}}'
    lines = [V037, OLD_KEYS, only_object, V036_ERROR]
    rows = zap_log.parse("\n".join(lines).encode(), "x.log").frames["logs"].rows(named=True)
    assert [(r["namespace"], r["name"], r["kind"], r["controller"], r["release"]) for r in rows] == [
        ("apps", "podinfo", "HelmRelease", "helmrelease", "apps/podinfo"),
        ("flux-system", "podinfo", "HelmRelease", "helmrelease", "flux-system/podinfo"),
        ("shop", "web", "HelmRelease", "helmrelease", "shop/web"),
        ("apps", "podinfo", "HelmRelease", "helmrelease", "apps/podinfo"),
    ]


def test_coalesce_without_all_null_terms_gives_the_same_values():
    from parsers._logs import _coalesce

    frame = pl.DataFrame(
        {
            "a": ["x", None, None, "w"],
            "b": [None, None, None, None],
            "c": ["1", "2", None, None],
            "full": ["p", "q", "r", "s"],
        },
        schema={name: pl.String for name in ("a", "b", "c", "full")},
    )
    terms = [(name, pl.col(name)) for name in ("a", "b", "c")]
    expected = frame.select(pl.coalesce("a", "b", "c")).to_series()
    assert frame.select(_coalesce(frame, terms)).to_series().to_list() == expected.to_list() == ["x", "2", None, "w"]
    # a first column with a value in every row is the column itself
    assert str(_coalesce(frame, [("full", pl.col("full")), ("a", pl.col("a"))])) == str(pl.col("full"))
    # only all-null terms after the first: the first column as it is
    assert str(_coalesce(frame, [("a", pl.col("a")), ("b", pl.col("b"))])) == str(pl.col("a"))
