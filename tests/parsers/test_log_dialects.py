"""Log dialects: sniffing, one row field by field per format, and every line accounted for.

The corpus files in tests/corpus/ are written by tests/corpus/make_logs.py from the reference
(reference/helm-controller.md §1, ecosystem.md §1d/§1f) and the producers' test data.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import polars as pl
import pytest

import parsers
from forensics.lines import LineStore
from parsers import (
    cri_log,
    dump_logs,
    flux_logs,
    kubectl_log,
    kubectl_prefix_log,
    logcli_log,
    stern_log,
    zap_console_log,
    zap_log,
)

CORPUS = Path(__file__).resolve().parent.parent / "corpus"

FILES = {
    zap_log: "zap-json/cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager-previous.log",
    cri_log: "cri/var/log/pods/flux-system_helm-controller-5d8b9c7f4-x2x9k_6f1c1f2e-1b2a-4c1d-9e8f-0a1b2c3d4e5f/manager/0.log.20240212-093500",
    kubectl_log: "kubectl-timestamps/namespaces/flux-system/pods/helm-controller-5d8b9c7f4-x2x9k/manager/manager/logs/current.log",
    zap_console_log: "zap-console/helm-controller.log",
    flux_logs: "flux-logs/all-logs.txt",
    stern_log: "stern/stern-flux-system.txt",
    dump_logs: "cluster-info-dump/flux-system/helm-controller-5d8b9c7f4-x2x9k/logs.txt",
    logcli_log: "logcli/query.jsonl",
    kubectl_prefix_log: "kubectl-prefix/helm-controller.log",
}
POD = "helm-controller-5d8b9c7f4-x2x9k"


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def parsed(module):
    rel = FILES[module]
    data = (CORPUS / rel).read_bytes()
    result = module.parse(data, rel)
    if "logs" in result.frames:  # the lines the parser does not hold, read again as load() does
        store = LineStore()
        store.add(rel, data)
        result.frames["logs"] = store.fill(result.frames["logs"])
    return result, data


@pytest.mark.parametrize("module", list(FILES), ids=lambda m: m.NAME)
def test_raw_is_read_again_from_the_offset_of_the_first_line(module):
    """A record's `raw` is not held (null) when its line can be read again; read again from
    `offset`, it is exactly the record's first physical line."""
    rel = FILES[module]
    data = (CORPUS / rel).read_bytes()
    logs = module.parse(data, rel).frames["logs"]
    held = logs.filter(pl.col("offset").is_not_null())
    assert held.height and held["raw"].null_count() == held.height
    store = LineStore()
    store.add(rel, data)
    physical = data.decode("utf-8").split("\n")
    for row in store.fill(logs).iter_rows(named=True):
        assert row["raw"] == physical[row["line"] - 1].rstrip("\r"), (row["line"], row["raw"])


def accounted(result, data: bytes) -> None:
    """Every physical line is in exactly one record's span, a problem, or blank/marker."""
    lines = data.decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    logs = result.frames.get("logs", parsers.empty("logs"))
    covered: list[int] = []
    for first, last in logs.select("line", "line_end").iter_rows():
        covered += [n for n in range(first, last + 1) if lines[n - 1].strip()]
    covered += [p["line"] for p in result.problems if p["line"]]
    covered += [n for n, text in enumerate(lines, 1) if not text.strip() or text.startswith("==== ")]
    assert sorted(covered) == list(range(1, len(lines) + 1))


@pytest.mark.parametrize("module", list(FILES), ids=lambda m: m.NAME)
def test_sniffing_picks_the_dialect_and_only_it(module):
    rel = FILES[module]
    head = (CORPUS / rel).read_bytes()[: parsers.SNIFF_BYTES]
    assert parsers.detect(rel, head) is module
    for other, other_rel in FILES.items():
        if other is not module:
            assert not module.matches(other_rel, (CORPUS / other_rel).read_bytes()[:8192]), other.NAME
    assert not module.matches("flux-get-hr.txt", b"NAMESPACE\tNAME\tREVISION\tSUSPENDED\tREADY\tMESSAGE\n")
    assert not module.matches("hr.yaml", b"apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\n")


@pytest.mark.parametrize("module", list(FILES), ids=lambda m: m.NAME)
def test_corpus_parses_without_problems_and_accounts_for_every_line(module):
    result, data = parsed(module)
    assert result.problems == []
    assert result.frames["logs"].height >= 1
    accounted(result, data)


def test_kubectl_timestamps_row_and_attached_panic():
    result, _ = parsed(kubectl_log)
    row = result.frames["logs"].row(1, named=True)
    assert row["ts"] == utc(2024, 2, 12, 9, 30, 0, 155000)  # the record's own ts wins
    assert (row["level"], row["msg"], row["error"]) == ("info", "running 'upgrade' action with timeout of 5m0s", None)
    assert (row["controller"], row["kind"], row["namespace"], row["name"], row["release"]) == (
        "helmrelease",
        "HelmRelease",
        "apps",
        "podinfo",
        "apps/podinfo",
    )
    assert row["reconcile_id"] == "8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21"
    assert (row["pod"], row["container"], row["previous"]) == (POD, "manager", False)
    assert (row["line"], row["line_end"], row["encoding"]) == (2, 4, "json")
    assert row["raw"].startswith("2024-02-12T09:30:00.155400500Z {")
    assert row["extra"].splitlines() == [
        "panic: runtime error: invalid memory address or nil pointer dereference [recovered]",
        "\tpanic: runtime error: invalid memory address or nil pointer dereference",
    ]


def test_cri_partials_are_joined_up_to_the_f_line():
    result, _ = parsed(cri_log)
    logs = result.frames["logs"]
    assert logs["line"].to_list() == [1, 2, 4] and logs["line_end"].to_list() == [1, 3, 4]
    row = logs.row(1, named=True)
    assert row["msg"] == "running 'upgrade' action with timeout of 5m0s" and row["release"] == "apps/podinfo"
    assert (row["pod"], row["container"]) == (POD, "manager")
    last = logs.row(2, named=True)
    assert (last["level"], last["msg"], last["error"]) == (
        "error",
        "Reconciler error",
        "terminal error: exceeded maximum retries: cannot upgrade release",
    )
    assert last["ts"] == utc(2024, 2, 12, 9, 41, 7, 310000)


def test_zap_console_row_logger_and_stack_trace():
    result, _ = parsed(zap_console_log)
    logs = result.frames["logs"]
    first = logs.row(0, named=True)
    assert (first["logger"], first["msg"], first["kind"], first["level"]) == ("setup", "starting manager", None, "info")
    row = logs.row(2, named=True)
    assert row["ts"] == utc(2024, 2, 12, 9, 41, 7, 310000)
    assert (row["level"], row["msg"], row["error"]) == (
        "error",
        "Reconciler error",
        "terminal error: exceeded maximum retries: cannot upgrade release",
    )
    assert (row["controller"], row["kind"], row["release"], row["reconcile_id"]) == (
        "helmrelease",
        "HelmRelease",
        "apps/podinfo",
        "8f1c2f0a-3e55-4c8e-9a7e-0d9d8b6a4b21",
    )
    assert (row["line"], row["line_end"], row["encoding"], row["logger"]) == (3, 5, "console", None)
    assert row["extra"].startswith(
        "sigs.k8s.io/controller-runtime/pkg/internal/controller.(*Controller).reconcileHandler"
    )


def test_flux_logs_template_fields():
    result, _ = parsed(flux_logs)
    logs = result.frames["logs"]
    row = logs.row(0, named=True)
    assert row["ts"] == utc(2022, 8, 2, 12, 55, 34, 419000)
    assert (row["level"], row["kind"], row["name"], row["namespace"], row["release"]) == (
        "info",
        "GitRepository",
        "podinfo",
        "default",
        None,
    )
    assert row["msg"] == "no changes since last reconcilation: observed revision"  # trailing space = no error
    assert row["error"] is None and row["controller"] == "gitrepository"
    error = logs.row(4, named=True)
    assert (error["release"], error["msg"], error["error"]) == (
        "apps/podinfo",
        "Reconciler error",
        "terminal error: exceeded maximum retries: cannot upgrade release",
    )


def test_stern_namespace_timestamp_and_colours():
    result, _ = parsed(stern_log)
    row = result.frames["logs"].row(0, named=True)
    assert (row["pod"], row["container"], row["release"]) == (POD, "manager", "apps/podinfo")
    assert row["ts"] == utc(2024, 2, 12, 9, 30, 0, 101000)
    assert "\x1b[" in row["raw"]  # raw keeps the physical line


def test_kubectl_prefix_names_each_lines_pod_and_container():
    """`kubectl logs --prefix --timestamps`: the pod and container of every line from its
    prefix, the record's own time, the panic attached, another container's text line a text
    record at the kubelet's time."""
    logs = parsed(kubectl_prefix_log)[0].frames["logs"]
    assert logs["pod"].to_list() == [POD] * 4
    assert logs["container"].to_list() == ["manager"] * 3 + ["kube-rbac-proxy"]
    assert logs["ts"][0] == utc(2024, 2, 12, 9, 30, 0, 101000)  # the record's, not the kubelet's
    assert logs["extra"][1].startswith("panic: runtime error")
    assert (logs["ts"][3], logs["release"][3]) == (utc(2024, 2, 12, 9, 41, 8), None)


def test_stern_without_namespace_or_timestamp_and_text_local_time():
    text = "\n".join(
        [
            'helm-controller-5d8b9c7f4-x2x9k manager {"level":"info","ts":"2024-02-12T09:30:00.101Z","msg":"x"}',
            "helm-controller-5d8b9c7f4-x2x9k manager plain text without a time",
        ]
    ).encode()
    assert stern_log.matches("s.txt", text)
    result = stern_log.parse(text, "s.txt")
    assert result.frames["logs"]["pod"].to_list() == [POD]
    assert [p["line"] for p in result.problems] == [2]
    local = b"flux-system helm-controller-x manager 2024-02-12T10:30:00.000000000+01:00 plain text\n"
    row = stern_log.parse(local, "s.txt").frames["logs"].row(0, named=True)
    assert row["ts"] == utc(2024, 2, 12, 9, 30) and row["msg"] == "plain text" and row["encoding"] == "text"


def test_cluster_info_dump_blocks_name_pod_and_container():
    result, _ = parsed(dump_logs)
    row = result.frames["logs"].row(0, named=True)
    assert (row["pod"], row["container"], row["line"], row["release"]) == (POD, "manager", 2, "apps/podinfo")
    assert "2 marker lines" in result.note


def test_cluster_info_dump_stdout_stream_mixes_objects_and_blocks():
    obj = '{\n    "kind": "EventList",\n    "apiVersion": "v1",\n    "items": [\n        {\n            "metadata": {"name": "podinfo.17a", "namespace": "apps", "uid": "u1"},\n            "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "podinfo"},\n            "reason": "UpgradeFailed",\n            "message": "Helm upgrade failed",\n            "type": "Warning",\n            "lastTimestamp": "2024-02-12T09:41:07Z"\n        }\n    ]\n}'
    block = (CORPUS / FILES[dump_logs]).read_text()
    # kubectl writes a fetch error inside the block (END is deferred).
    error = "Request log error: the server could not find the requested resource\n"
    block = block.replace("==== END", error + "==== END")
    data = (obj + "\n" + block).encode()
    assert parsers.detect("cluster-info-dump.txt", data[:8192]) is not None
    result = parsers.parse_member("cluster-info-dump.txt", data)
    assert result.frames["events"]["line"].to_list() == [9]
    assert result.frames["logs"]["line"].to_list() == [16, 17]
    assert [(p["line"], p["reason"]) for p in result.problems] == [
        (18, "container log not collected by cluster-info dump")
    ]


def test_logcli_labels_give_pod_and_container():
    result, _ = parsed(logcli_log)
    row = result.frames["logs"].row(1, named=True)
    assert (row["pod"], row["container"], row["release"], row["error"]) == (
        POD,
        "manager",
        "apps/podinfo",
        "terminal error: exceeded maximum retries: cannot upgrade release",
    )
    assert row["ts"] == utc(2024, 2, 12, 9, 41, 7, 310000)


def test_source_controller_records_carry_their_kind():
    data = (CORPUS / "zap-json/source-controller.log").read_bytes()
    row = zap_log.parse(data, "source-controller.log").frames["logs"].row(0, named=True)
    assert (row["controller"], row["kind"], row["namespace"], row["name"], row["release"]) == (
        "helmchart",
        "HelmChart",
        "flux-system",
        "microservices-demo-frontend",
        None,
    )


@pytest.mark.parametrize("module", [kubectl_log, cri_log, zap_console_log, zap_log], ids=lambda m: m.NAME)
def test_interleaved_garbage_is_accounted_for(module):
    good = (CORPUS / FILES[module]).read_text().splitlines()
    garbage = ["%%% garbage %%%", "", '{"half": ', "\x00binary?", "NAME READY"]
    mixed = [good[0]] + garbage + good[1:] + ["trailing junk line"]
    data = "\n".join(mixed).encode()
    result = module.parse(data, FILES[module])
    accounted(result, data + b"\n")
    assert result.frames["logs"].height >= 2
    assert len(result.problems) >= 4


def test_gzipped_rotated_file_through_the_bundle_reader(tmp_path):
    import gzip

    from forensics.load import load

    rel = FILES[cri_log]
    target = (
        tmp_path
        / "var/log/pods/flux-system_helm-controller-5d8b9c7f4-x2x9k_6f1c1f2e-1b2a-4c1d-9e8f-0a1b2c3d4e5f/manager/0.log.20240212-093000.gz"
    )
    target.parent.mkdir(parents=True)
    target.write_bytes(gzip.compress((CORPUS / rel).read_bytes()))
    frames = load(str(tmp_path))
    logs = frames["logs"]
    assert logs.height == 3 and set(logs["pod"].to_list()) == {POD}
    assert (
        logs["source"]
        .unique()
        .item()
        .endswith(
            "pods/flux-system_helm-controller-5d8b9c7f4-x2x9k_6f1c1f2e-1b2a-4c1d-9e8f-0a1b2c3d4e5f/manager/0.log.20240212-093000"
        )
    )
