"""Pastes in the forms users post besides the current Flux CLI's: older column orders, inline
code spans around several lines, Flux v1's helm-operator, the Helm CLI's errors and its
`--debug` log. Each case is analysed end to end from a folder holding the paste alone."""

from __future__ import annotations

from pathlib import Path

import pytest

import forensics
from parsers import paste
from parsers.paste import clean


def labels(tmp_path: Path, text: str) -> dict[str, set[str]]:
    (tmp_path / "paste.txt").write_text(text, encoding="utf-8")
    analysis = forensics.analyze(str(tmp_path))
    found: dict[str, set[str]] = {}
    for finding in analysis.findings:
        found.setdefault(finding.release, set()).add(finding.label)
    return found


@pytest.mark.parametrize(
    "header, row",
    [
        # flux 0.x with --verbose: READY MESSAGE before REVISION SUSPENDED, REVISION empty
        (
            "NAMESPACE   NAME   READY   MESSAGE                                        REVISION   SUSPENDED",
            "web         shop   False   HelmChart 'flux-system/web-shop' is not ready              False",
        ),
        # today's order
        (
            "NAMESPACE   NAME   REVISION   SUSPENDED   READY   MESSAGE",
            "web         shop              False       False   HelmChart 'flux-system/web-shop' is not ready",
        ),
    ],
)
def test_a_flux_get_table_is_read_in_any_column_order(tmp_path, header, row):
    found = labels(tmp_path, f"$ flux get helmreleases -A\n{header}\n{row}\n")
    assert found == {"web/shop": {"chart-fetch"}}


def test_a_table_of_other_columns_is_not_a_release_table():
    from parsers import flux_tables

    assert flux_tables.is_header("NAME  READY  MESSAGE  REVISION  SUSPENDED")
    assert not flux_tables.is_header("NAME  READY  STATUS  RESTARTS  AGE")  # pods
    assert not flux_tables.is_header("NAME  READY  READY  MESSAGE")  # a column twice


def test_an_inline_code_span_around_several_lines_is_taken_off():
    record = '{"level":"error","ts":"2024-05-02T10:00:00.000Z","msg":"Reconciler error","name":"api",'
    text = f'`{record}"namespace":"apps","error":"upgrade retries exhausted"}}\n{record}"namespace":"apps"}}`\n'
    lines = [line for line in clean.clean(text) if line.content]
    assert [line.text[0] + line.text[-1] for line in lines] == ["{}", "{}"]
    assert all("backtick taken off" in line.note for line in lines)
    result = paste.parse(text.encode(), "paste.txt")
    assert result.problem_count() == 0 and result.frames["logs"].height == 2


def test_a_backtick_pair_inside_a_line_is_left_alone():
    lines = [line for line in clean.clean("run `flux reconcile hr api` then wait\n") if line.content]
    assert lines[0].text == "run `flux reconcile hr api` then wait"


def test_helm_operator_names_its_release_and_an_unavailable_chart_is_chart_fetch(tmp_path):
    text = (
        "synchronization of release 'api' in namespace 'shop' failed: failed to prepare chart for release: "
        'chart unavailable: chart "api" version "1.2.3" not found in https://charts.example.org/ repository\n'
    )
    assert labels(tmp_path, text) == {"shop/api": {"chart-fetch"}}


def test_a_helm_error_on_a_kind_the_cluster_does_not_serve_is_the_release_s_failure(tmp_path):
    text = (
        "Error: UPGRADE FAILED: unable to build kubernetes objects from current release manifest: resource mapping "
        'not found for name: "api" namespace: "" from "": no matches for kind "PodDisruptionBudget" in version '
        '"policy/v1beta1"\nensure CRDs are installed first\n'
    )
    assert labels(tmp_path, text) == {"?/?": {"api-removed"}}


def test_a_flux_kind_the_cluster_does_not_serve_stays_a_cluster_finding(tmp_path):
    text = 'no matches for kind "HelmRelease" in version "helm.toolkit.fluxcd.io/v2"\n'
    assert labels(tmp_path, text) == {"(cluster)": {"crd-mismatch"}}


def test_the_helm_debug_log_names_the_release_whose_upgrade_timed_out(tmp_path):
    text = (
        'upgrade.go:293: [debug] warning: Upgrade "shop" failed: timed out waiting for the condition\n'
        "upgrade.go:311: [debug] Upgrade failed and atomic is set, rolling back to last successful release\n"
        "rollback.go:60: [debug] preparing rollback of shop\n"
    )
    found = labels(tmp_path, text)
    assert "timeout" in found["?/shop"]


def test_an_old_event_recorder_line_in_a_paste_is_the_release_s_failure(tmp_path):
    event = (
        '{"level":"debug","ts":"2021-05-02T09:40:37.584Z","logger":"events","msg":"Normal","object":{"kind":'
        '"HelmRelease","namespace":"shop","name":"cart","apiVersion":"helm.toolkit.fluxcd.io/v2beta1"},'
        '"reason":"error","message":"Helm upgrade failed: another operation (install/upgrade/rollback) is in progress"}'
    )
    assert labels(tmp_path, f"`{event}`\n") == {"shop/cart": {"stuck-pending"}}


def test_a_helm_operator_line_wrapped_inside_a_quoted_value_is_joined_and_read(tmp_path):
    text = (
        "ts=2020-04-02T10:14:26.75502168Z caller=release.go:177 component=release release=api "
        'targetNamespace=shop resource=shop:helmrelease/api helmVersion=v3 error="failed to compose values for '
        'chart release" err="secrets \\"api-values-\nyaml\\" not found"\n'
    )
    from parsers import logfmt_log

    logs = logfmt_log.parse(text.encode(), "paste.txt").frames["logs"]
    assert logs.select("line", "line_end", "msg", "error").rows() == [
        (
            1,
            2,
            "failed to compose values for chart release",
            'failed to compose values for chart release: secrets "api-values-yaml" not found',
        )
    ]
    assert labels(tmp_path, text) == {"shop/api": {"values-missing"}}
