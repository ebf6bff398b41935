"""Pastes: the cleaners (line numbers kept), the block readers (each fragment kind into its
frames, citing the original lines), and every line of a paste accounted for."""

from __future__ import annotations

import json

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from parsers import paste, parse_member
from parsers.paste import clean, commands
from parsers.paste.names import subject


def content(text: str) -> list[tuple[str, int, int]]:
    return [(line.text, line.first, line.last) for line in clean.clean(text) if line.content]


def roles(text: str) -> list[tuple[int, str]]:
    return [(line.first, line.role) for line in clean.clean(text) if not line.content]


def frames(text: str, source: str = "paste.txt") -> dict[str, pl.DataFrame]:
    result = paste.parse(text.encode(), source)
    return result.frames


# --- cleaners --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line, command",
    [
        ("$ kubectl get hr -A", "kubectl get hr -A"),
        ("❯ flux get hr -n apps", "flux get hr -n apps"),
        (
            "user@host:~/git$ kubectl -n flux-system logs deploy/helm-controller",
            "kubectl -n flux-system logs deploy/helm-controller",
        ),
        ("(☸|prod-cluster:apps)➜  gitops git:(main) ✗ kubectl get ks -A   ", "kubectl get ks -A"),
        ("[12:01:33] me:~ $ kubectl describe hr podinfo -n apps", "kubectl describe hr podinfo -n apps"),
        ("# kubectl get hr -A", "kubectl get hr -A"),
        (" k -n flux-system get helmreleases", "k -n flux-system get helmreleases"),
        ("ubectl logs helm-controller-7d9f -n flux-system", "ubectl logs helm-controller-7d9f -n flux-system"),
        ("+ flux --namespace coder reconcile helmrelease coder", "flux --namespace coder reconcile helmrelease coder"),
        ("Run flux -v", "flux -v"),
        ("flux get helmreleases --all-namespaces", "flux get helmreleases --all-namespaces"),
    ],
)
def test_prompts_and_commands_are_cleaned_away_and_kept(line, command):
    lines = clean.clean(line + "\nNAME  READY\n")
    assert lines[0].role == "command" and lines[0].command.text == command and lines[0].first == 1
    assert lines[1].content


@pytest.mark.parametrize(
    "line",
    [
        "✗ flux 0.37.0 <0.41.1 (new version is available, please upgrade)",
        "Helm upgrade failed: x",
        "kubernetes is great",
    ],
)
def test_output_lines_are_not_commands(line):
    assert clean.clean(line)[0].content


@pytest.mark.parametrize("sign", ["$", "#", "%", "❯", "➜", "»"])
def test_a_prompt_alone_is_cleaned_away_whatever_its_sign(sign):
    (line,) = clean.clean(f"user@host:~/src {sign}  ")
    assert line.role == "prompt"
    (line,) = clean.clean(f"[10:02:03] host {sign}")  # a timed prompt's sign is a shell's own
    assert line.role == ("prompt" if sign in "$#%" else "content")


def test_what_a_command_says_about_its_output():
    read = commands.read("kubectl -n apps describe hr podinfo", 1)
    assert (read.tool, read.verb, read.kind, read.name, read.namespace) == (
        "kubectl",
        "describe",
        "HelmRelease",
        "podinfo",
        "apps",
    )
    read = commands.read("flux get sources chart -A", 1)
    assert (read.kind, read.all_namespaces) == ("HelmChart", True)
    read = commands.read("kubectl logs fluxcd-helm-controller-5759659c5c-pg5m7 -n flux-system --tail=10", 1)
    assert (read.verb, read.controller, read.name) == (
        "logs",
        "helm-controller",
        "fluxcd-helm-controller-5759659c5c-pg5m7",
    )
    assert commands.read("helm history podinfo -n apps", 1).name == "podinfo"


def test_a_line_wrapped_at_a_k9s_frame_border_is_joined_mid_word():
    text = "failed to cache index to temp │\n│ orary file: 401 Unauthorized\n"
    assert content(text) == [("failed to cache index to temporary file: 401 Unauthorized", 1, 2)]


def test_a_short_line_inside_a_frame_is_not_joined():
    text = "│ status: deployed          │\n│ revision: 3               │\n"
    assert content(text) == [("status: deployed", 1, 1), ("revision: 3", 2, 2)]


def test_hard_wraps_at_the_terminal_width_are_joined():
    width = 80
    long = "x" * (width - 10)
    text = f"podinfo  False  {long}"[:width] + "\n" + ("y" * width) + "\nthe end of the message\nnext line\n"
    lines = content(text)
    assert lines[0][1:] == (1, 3) and lines[0][0].endswith("the end of the message")
    assert lines[1] == ("next line", 4, 4)


def test_table_rows_of_equal_length_are_not_joined():
    rows = ["a-release-one      214d   False   " + "m" * 60, "a-release-two      251d   False   " + "n" * 60]
    assert [first for _, first, _ in content("\n".join(rows))] == [1, 2]


def test_markdown_wrapping_is_taken_off():
    text = "> ```\n> NAME  READY  STATUS\n`\n```yaml\n<details>\n`kubectl get hr`\n```NAMESPACE   NAME   READY\n"
    assert roles(text) == [(1, "fence"), (3, "markdown"), (4, "fence"), (5, "markdown"), (6, "command")]
    assert content(text) == [("NAME  READY  STATUS", 2, 2), ("NAMESPACE   NAME   READY", 7, 7)]


def test_elisions_blanks_and_escape_sequences():
    text = "\x1b[31mE0915 08:49:37.785639 7 a.go:1] boom\x1b[0m\n[...]\n....\n…\n\n"
    assert content(text) == [("E0915 08:49:37.785639 7 a.go:1] boom", 1, 1)]
    assert roles(text) == [(2, "elision"), (3, "elision"), (4, "elision"), (5, "blank")]


_VOCABULARY = st.sampled_from(
    [
        "$ kubectl get hr -A",
        "NAMESPACE  NAME  AGE  READY  STATUS",
        "apps  podinfo  5m  False  Helm upgrade failed: boom",
        "",
        "   ",
        "[...]",
        "```",
        "> quoted text",
        "│ framed text that reaches the border│",
        "│ next framed line",
        '{"level":"error","ts":"2024-01-01T00:00:00Z","msg":"Reconciler error","error":"x"}',
        '{"level":"info","msg":"cut',
        "Status:",
        "  Conditions:",
        "    Message:  HelmChart 'a/b' is not ready",
        "  Warning  UpgradeFailed  5m  helm-controller  boom",
        "x" * 90,
        "y" * 90,
        "plain words",
        "\x1b[1mbold\x1b[0m",
        "- key = value",
        "E0101 00:00:00.000000 1 a.go:1] klog",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_VOCABULARY, max_size=30))
def test_cleaning_never_loses_nor_invents_a_line(physical):
    text = "\n".join(physical)
    lines = clean.clean(text)
    covered = [number for line in lines for number in range(line.first, line.last + 1)]
    assert sorted(covered) == list(range(1, len(text.split("\n")) + (0 if text.endswith("\n") else 1)))[: len(covered)]
    assert len(covered) == len(set(covered)) == len(clean.split(text))
    originals = [line.text for line in clean.split(text)]
    for line in lines:
        if not line.content:
            continue
        # every piece of a (joined) content line comes from its own physical lines
        cuts = [0, *line.joins, len(line.text)]
        pieces = [line.text[a:b] for a, b in zip(cuts, cuts[1:])]
        for piece, number in zip(pieces, range(line.first, line.last + 1)):
            plain = clean._CONTROL.sub("", clean._ESCAPES.sub("", originals[number - 1]))
            assert piece.strip(" │>`") in plain


@settings(max_examples=100, deadline=None)
@given(st.lists(_VOCABULARY, max_size=25))
def test_every_line_of_a_paste_is_accounted_for(physical):
    text = "".join(line + "\n" for line in physical)
    result, account = paste.read(text.encode(), "p.txt")
    assert sorted(account) == list(range(1, len(physical) + 1))
    problems = {p["line"] for p in result.problems}
    for number, fate in account.items():
        assert fate.startswith(("read: ", "cleaned: ")) or (
            fate.startswith("problem: ") and number in problems or any(p <= number for p in problems if p)
        )


_LOG_LINES = st.sampled_from(
    [
        '{"level":"error","ts":"2024-01-01T00:00:00.000Z","msg":"Reconciler error","controllerKind":"HelmRelease",'
        '"namespace":"apps","name":"web","error":"Helm upgrade failed: boom"}',
        '{"level":"info","ts":"2024-01-01T00:00:01.000Z","msg":"release in-sync","HelmRelease":{"name":"api","namespace":"prod"}}',
        '{"level":"info","ts":1616178072.1082883,"msg":"waiting for database"}',
        '{"level":"debug","msg":"no time"}',
        '{"level":"error","ts":"2024-01-01T00:00:02.000Z","msg":"Reconciler error","error":"cut sho',
        '{"level":"info","ts":"2024-01-01T00:00:03.000Z","controllerKind":"HelmRelease","na',
        '{"kind":"HelmRelease","metadata":{"name":"web"}}',
        "goroutine 1 [running]:",
        "\tat main.main(main.go:10)",
        "panic: boom",
        "I0101 00:00:00.000000       1 leaderelection.go:248] attempting to acquire leader lease",
        "E0101 00:00:01.000000       1 reflector.go:138] Failed to watch *v2beta2.HelmRelease: boom",
        "    continued klog line",
        'ts=2020-06-01T10:00:00.123Z caller=release.go:85 component=release release=podinfo error="Helm upgrade failed"',
        'level=info msg="unwrapped',
        "2024-01-01T00:00:00.000Z info HelmRelease/web.apps - release in-sync",
        '[pod/helm-controller-5d8b9c7f4-x2x9k/manager] {"level":"info","ts":"2024-01-01T00:00:00Z","msg":"x"}',
        "Starting kotsadm API on port 3000...",
        "Helm upgrade failed for release apps/web with chart web@1.0.0: boom",
        "",
        "$ kubectl logs -n flux-system deploy/helm-controller",
    ]
)


_RECORD = (
    '{"level":"error","ts":"2024-01-01T00:00:00.000Z","msg":"Reconciler error","controllerKind":"HelmRelease",'
    '"namespace":"apps","name":"web","error":"Helm upgrade failed: boom"}'
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_LOG_LINES, max_size=40))
@example(  # the record and the stack trace after it are joined as a wrapped line: no record starts that block
    [_RECORD, "I0101 00:00:00.000000       1 a.go:1] x", _RECORD, "goroutine 1 [running]:", "goroutine 1 [running]:"]
)
def test_log_blocks_read_together_as_each_alone(physical):
    """The log blocks of a paste are parsed a parser at a time (`Reader.queue`): the same rows,
    problems, accounts and notes as each block parsed on its own, in the same order."""
    data = "".join(line + "\n" for line in physical).encode()
    readings = []
    for batch in (False, True):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(paste.Reader, "batch", batch)
            readings.append(paste.read(data, "p.txt"))
    (alone, alone_account), (together, together_account) = readings
    assert alone.frames.keys() == together.frames.keys()
    for kind, df in alone.frames.items():
        assert df.equals(together.frames[kind]), kind
    assert (alone.problems, alone_account, alone.note, alone.parser) == (
        together.problems,
        together_account,
        together.note,
        together.parser,
    )


# --- fragments into frames -------------------------------------------------------------------


def test_headerless_flux_and_kubectl_rows():
    text = (
        "podinfo  \thelmrelease/podinfo\tFalse\tHelm uninstall failed: uninstall: Release not loaded: podinfo: release: not found\n"
        "external-dns   214d   False   Helm upgrade failed for release networking/external-dns with chart external-dns@1.16.0: values don't...\n"
        "my-chart\t0.2.0\tFalse\tTrue\tHelm upgrade succeeded for release default/my-chart.v15 with chart my-chart@0.2.0\n"
    )
    releases = frames(text)["releases"]
    assert releases.select("release", "ready_status", "input_format", "release_basis", "line").rows() == [
        ("podinfo/podinfo", "False", "flux-get-table", None, 1),
        ("networking/external-dns", "False", "kubectl-get-table", "the Helm release named in the message", 2),
        ("default/my-chart", "True", "flux-get-table", "the Helm release named in the message", 3),
    ]


def test_a_wrapped_row_is_joined_and_cited_at_its_first_line():
    text = (
        "$ flux get hr | grep kyverno\n"
        "kyverno          2.5.5    False    False   failed to diff release against cluster resources: Deployment/ky\n"
        "verno/kyverno dry-run failed\n"
    )
    releases = frames(text)["releases"]
    assert releases.select("release", "line").rows() == [("flux-system/kyverno", 2)]
    assert releases["ready_message"][0].endswith("Deployment/ky verno/kyverno dry-run failed")


def test_a_kustomization_row_naming_a_helmrelease_is_evidence_for_the_release():
    text = (
        "$ kubectl get kustomization -A\n"
        "NAMESPACE     NAME   AGE    READY   STATUS\n"
        "flux-system   apps   119m   False   HelmRelease/tdp/tdp-api dry-run failed (Invalid): spec.chart: Required value...\n"
        "flux-system   infra  119m   True    Applied revision: main@sha1:05c81f6d\n"
    )
    got = frames(text)
    assert "releases" not in got
    assert got["events"].select("release", "component", "reason", "type", "line").rows() == [
        ("tdp/tdp-api", "kustomize-controller", "ReconciliationFailed", "Warning", 3)
    ]


def test_an_events_section_alone_with_a_message_over_three_lines():
    text = (
        "  Warning  UpgradeFailed  30s  helm-controller  Helm upgrade failed for release infra/policy with chart policy@0.8.1: values don't meet the specifications of the schema(s) in the following chart(s):\n"
        "policy:\n"
        "- webhook.configData: Additional property x is not allowed\n"
    )
    got = frames(text)
    assert "releases" not in got  # only events: no object was described
    row = got["events"].row(0, named=True)
    assert (row["release"], row["reason"], row["component"], row["line"]) == (
        "infra/policy",
        "UpgradeFailed",
        "helm-controller",
        1,
    )
    assert row["message"].endswith(
        "schema(s) in the following chart(s):\npolicy:\n- webhook.configData: Additional property x is not allowed"
    )


def test_describe_fragments_of_a_helmrelease_and_of_its_helmchart():
    hr = "Status:\n  Conditions:\n    Last Transition Time:  2023-02-02T10:05:54Z\n    Message:               HelmChart 'kube-system/kube-system-lb' is not ready\n"
    chart = (
        "Status:\n  Artifact:\n    Last Update Time:  2023-02-02T10:05:55Z\n"
        "    Path:              helmchart/kube-system/kube-system-lb/lb-1.4.7.tgz\n    Revision:          1.4.7\n"
        "  Conditions:\n    Last Transition Time:  2023-02-02T10:05:55Z\n    Message:               pulled 'lb' chart with version '1.4.7'\n"
    )
    got = frames(hr)
    assert got["releases"].select("release", "ready_message", "input_format").rows() == [
        ("?/?", "HelmChart 'kube-system/kube-system-lb' is not ready", "kubectl-describe")
    ]
    assert got["conditions"].select("type", "status", "line").rows() == [("Ready", None, 4)]
    sources = frames(chart)["sources"]
    assert sources.select("kind", "namespace", "name", "ready_status", "artifact_revision", "line").rows() == [
        ("HelmChart", "kube-system", "kube-system-lb", "True", "1.4.7", 8)
    ]


def test_status_yaml_with_a_lost_list_marker_is_two_conditions():
    text = (
        'status:\n  conditions:\n  - lastTransitionTime: "2022-07-20T11:22:30Z"\n    message: upgrade retries exhausted\n'
        '    reason: UpgradeFailed\n    status: "False"\n    type: Ready\n    reason: UpgradeFailed\n    status: "False"\n    type: Released\n'
    )
    result = paste.parse(text.encode(), "status.yaml")
    assert result.frames["conditions"].select("type", "reason", "status").rows() == [
        ("Ready", "UpgradeFailed", "False"),
        ("Released", "UpgradeFailed", "False"),
    ]
    assert result.frames["releases"]["release"].to_list() == ["?/?"]
    assert "split at repeated keys" in result.note


def test_a_manifest_with_flattened_indentation_keeps_its_name_and_apiversion():
    text = "apiVersion: helmrelease.helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata:\nname: nginx\nspec:\nreleaseName: nginx\n"
    result = parse_member("helmrelease.yaml", text.encode())
    assert result.frames["releases"].select("release", "namespace", "name", "api_version").rows() == [
        ("?/nginx", None, "nginx", "helmrelease.helm.toolkit.fluxcd.io/v2")
    ]


def test_a_json_record_cut_short_is_read_as_far_as_it_goes():
    text = (
        '{"level":"info","ts":"2025-03-02T08:00:01.020Z","msg":"running \'test\' action with timeout of 5m0s","controller":"helmrelease","HelmRelease":{"name":"podinfo","namespace":"default"},"namespace":"default","name":"podinfo"}\n'
        '{"level":"info","ts":"2025-03-02T08:00:04.120Z","msg":"release is in a failed state: release has test in fai\n'
    )
    result = parse_member("helm-controller.log", text.encode())
    logs = result.frames["logs"]
    assert logs.select("release", "line").rows() == [("default/podinfo", 1), ("?/?", 2)]
    assert logs["msg"][1] == "release is in a failed state: release has test in fai..."
    assert logs["raw"][1] == text.split("\n")[1]  # the line as pasted, not as repaired
    assert result.problems == []


def test_klog_and_logfmt_lines_with_the_command_that_named_the_pod():
    text = (
        "$ kubectl logs fluxcd-helm-controller-5759 -n flux-system\n"
        "E0915 08:49:37.785639       7 reflector.go:138] Failed to watch *v2beta1.HelmRelease: failed to list *v2beta1.HelmRelease: the server could not find the requested resource\n"
        "$ kubectl logs deploy/helm-operator -n flux\n"
        'ts=2020-06-01T10:00:00.123Z caller=release.go:85 component=release resource=apps:helmrelease/podinfo error="Helm upgrade failed: boom"\n'
    )
    logs = frames(text)["logs"]
    assert logs.select("level", "container", "release", "error", "line", "encoding").rows() == [
        ("error", "helm-controller", None, None, 2, "klog"),
        ("error", "helm-operator", "apps/podinfo", "Helm upgrade failed: boom", 4, "logfmt"),
    ]


def test_flux_check_and_flux_reconcile_output():
    text = (
        "► checking controllers\n✔ helm-controller: deployment ready\n► ghcr.io/fluxcd/helm-controller:v0.35.0\n"
        "✗ Kustomization reconciliation failed: Health check failed after 2m0s, timeout waiting for: [HelmRelease/apps/httpbin status: 'InProgress']\n"
    )
    got = frames(text)
    assert got["controllers"].select("controller", "version", "line").rows() == [("helm-controller", "v0.35.0", 3)]
    assert got["events"].select("release", "component", "reason", "line").rows() == [
        ("apps/httpbin", "kustomize-controller", "HealthCheckFailed", 4)
    ]


def test_helm_status_history_and_list():
    text = (
        "$ helm status httpbin -n web\nNAME: httpbin\nLAST DEPLOYED: Wed Aug  3 10:09:50 2022\nNAMESPACE: web\nSTATUS: deployed\nREVISION: 1\n\n"
        "$ helm history podinfo -n apps\nREVISION\tUPDATED                 \tSTATUS         \tCHART        \tAPP VERSION\tDESCRIPTION\n"
        "2       \tWed May  1 09:55:00 2024\tpending-upgrade\tpodinfo-6.5.4\t6.5.4      \tPreparing upgrade\n"
    )
    storage = frames(text)["helm_storage"]
    assert storage.select("release", "revision", "status", "line").rows() == [
        ("web/httpbin", 1, "deployed", 5),
        ("apps/podinfo", 2, "pending-upgrade", 10),
    ]


def test_alert_labels_and_metric_series():
    alert = (
        "| field | value |\n|---|---|\n| Kind | HelmRelease |\n| Name | copyparty |\n\n- exported_namespace = share\n"
        "- namespace = monitoring\n- ready = False\n- ready_reason = UpgradeFailed\n- stalled = True\n\n"
        "- summary: Flux HelmRelease share/copyparty stuck: UpgradeFailed\n"
    )
    got = frames(alert)
    assert "events" not in got  # the alert's own words about the state are not a controller's message
    assert got["releases"].select("release", "ready_status", "ready_reason", "input_format").rows() == [
        ("share/copyparty", "False", "UpgradeFailed", "alert")
    ]
    assert got["conditions"].select("type", "status").rows() == [("Ready", "False"), ("Stalled", "True")]
    metric = '{kind="HelmRelease", name="web", namespace="apps", status="False", type="Ready"} 1\n{kind="HelmRelease", name="web", namespace="apps", status="True", type="Ready"} 0\n'
    assert frames(metric)["releases"].select("release", "ready_status", "input_format").rows() == [
        ("apps/web", "False", "metric")
    ]


def test_a_flux_notification_payload():
    payload = {
        "involvedObject": {"kind": "HelmRelease", "namespace": "apps", "name": "podinfo"},
        "severity": "error",
        "timestamp": "2024-05-01T10:00:00Z",
        "message": "Helm upgrade failed for release apps/podinfo with chart podinfo@6.5.4: boom",
        "reason": "UpgradeFailed",
        "metadata": {"revision": "6.5.4", "token": "abc"},
        "reportingController": "helm-controller",
    }
    events = parse_member("alert.json", json.dumps(payload).encode()).frames["events"]
    row = events.row(0, named=True)
    assert (row["release"], row["type"], row["reason"], row["component"], row["revision"], row["token"]) == (
        "apps/podinfo",
        "Warning",
        "UpgradeFailed",
        "helm-controller",
        "6.5.4",
        "abc",
    )
    assert row["last_ts"].isoformat() == "2024-05-01T10:00:00+00:00"


@pytest.mark.parametrize(
    "text, release, component, kind",
    [
        (
            "Helm upgrade failed: another operation (install/upgrade/rollback) is in progress",
            "?/?",
            "helm-controller",
            "HelmRelease",
        ),
        (
            'kThe HelmRelease "etcd" is invalid: spec.chart.spec.sourceRef.kind: Unsupported value: "OCIRepository"',
            "?/etcd",
            "kubectl",
            "HelmRelease",
        ),
        (
            'error: no matches for kind "HelmChart" in version "source.toolkit.fluxcd.io/v1beta1"',
            None,
            "kubectl",
            "HelmChart",
        ),
        (
            "dependency build error: failed to fetch https://charts.example.com : 401 Unauthorized",
            "?/?",
            "source-controller",
            "HelmRelease",
        ),
        ("reconciliation failed: upgrade retries exhausted", "?/?", "helm-controller", "HelmRelease"),
    ],
)
def test_a_message_on_its_own(text, release, component, kind):
    row = frames(text + "\n")["events"].row(0, named=True)
    assert (row["release"], row["component"], row["kind"], row["type"], row["line"], row["first_ts"]) == (
        release,
        component,
        kind,
        "Warning",
        1,
        None,
    )


def test_text_that_names_nothing_known_is_a_problem_row():
    result, account = paste.read(b"Downloading flux 2.2.0 for linux/amd64\n", "ci.log")
    assert (
        result.rows() == 0
        and [p["line"] for p in result.problems] == [1]
        and account == {1: "problem: not a known output, log line or message"}
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("HelmRelease/apps/web dry-run failed", ("apps", "web")),
        ("30sHelmRelease/apps/web dry-run failed", ("apps", "web")),
        ("2024-01-01T00:00:00Z info HelmRelease/web.apps - release in-sync", ("apps", "web")),
        (
            'Operation cannot be fulfilled on helmreleases.helm.toolkit.fluxcd.io "web": the object has been modified',
            (None, "web"),
        ),
        ("Helm install succeeded for release target/web.v1 with chart web@1.0.0", ("target", "web")),
        ("dependency 'apps/backend' is not ready", None),
        ("Helm upgrade failed for release <app-ns>/<release-name> with chart x@1.0.0: boom", (None, None)),
        ("HelmRelease/xxxx/web dry-run failed", (None, "web")),
    ],
)
def test_the_release_a_text_is_about(text, expected):
    found = subject(text)
    assert (found.namespace, found.name) == expected if expected else found is None


def test_a_kustomization_object_naming_helmreleases_is_evidence_for_each():
    text = (
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\n"
        'status:\n  conditions:\n  - lastTransitionTime: "2024-05-01T10:00:00Z"\n'
        "    message: \"Health check failed after 2m0s: timeout waiting for: [HelmRelease/web/a status: 'InProgress', HelmRelease/web/b status: 'Failed']\"\n"
        '    reason: HealthCheckFailed\n    status: "False"\n    type: Ready\n'
    )
    events = parse_member("kustomizations.yaml", text.encode()).frames["events"]
    assert events.select("release", "reason", "type", "component", "line").rows() == [
        ("web/a", "HealthCheckFailed", "Warning", "kustomize-controller", 9),
        ("web/b", "HealthCheckFailed", "Warning", "kustomize-controller", 9),
    ]
    assert events["last_ts"][0].isoformat() == "2024-05-01T10:00:00+00:00"


def test_a_record_cut_before_its_keys_is_about_the_one_release_of_the_paste(tmp_path):
    import forensics

    (tmp_path / "controller.log").write_text(
        '{"level":"info","ts":"2024-03-01T10:00:00.000Z","msg":"running \'test\' action with timeout of 5m0s",'
        '"controller":"helmrelease","HelmRelease":{"name":"web","namespace":"shop"},"namespace":"shop","name":"web"}\n'
        '{"level":"info","ts":"2024-03-01T10:00:04.000Z","msg":"release is in a failed state: release has test in failed ph\n'
    )
    run = forensics.run(str(tmp_path))
    logs = run.frames["logs"]
    assert logs.select("release", "kind").rows() == [("shop/web", "HelmRelease"), ("shop/web", "HelmRelease")]
    found = [(f.label, f.release, f.confidence.value) for f in run.analysis.findings]
    assert ("test-failed", "shop/web", "low") in found  # low: the message was cut


def test_flux_logs_lines_are_not_taken_for_kubelet_timestamps():
    text = (
        "$ flux logs --kind=HelmRelease --name=api -n prod\n"
        "2025-01-10T08:05:00.100Z error HelmRelease/api.prod - Reconciler error Helm upgrade failed: boom\n"
    )
    logs = frames(text)["logs"]
    assert logs.select("release", "level", "error", "encoding", "line").rows() == [
        ("prod/api", "error", "Helm upgrade failed: boom", "flux-logs", 2)
    ]


def test_kubectl_logs_with_prefix_are_read_with_each_lines_pod_and_container():
    record = '{"level":"error","ts":"2024-02-12T09:41:07.310Z","msg":"Reconciler error","controllerKind":"HelmRelease","namespace":"apps","name":"podinfo","error":"boom"}'
    text = (
        "$ kubectl logs -n flux-system -l app=helm-controller --prefix\n"
        f"[pod/helm-controller-5d8b9c7f4-x2x9k/manager] {record}\n"
        f"[pod/helm-controller-5d8b9c7f4-zz7q1/manager] {record.replace('podinfo', 'redis')}\n"
    )
    logs = frames(text)["logs"]
    assert logs["pod"].to_list() == ["helm-controller-5d8b9c7f4-x2x9k", "helm-controller-5d8b9c7f4-zz7q1"]
    assert logs["release"].to_list() == ["apps/podinfo", "apps/redis"]
    assert logs["line"].to_list() == [2, 3]


def test_objects_read_whole_without_rows_are_not_read_again_as_a_paste(monkeypatch):
    """A list of kinds no frame takes (namespaces, a ConfigMap: most files of a real bundle)
    is read as objects once; a file whose objects the parser could not all place (a mapping of
    no kind that is no Kubernetes object, a problem) is still offered to the paste reading."""
    pasted: list[str] = []
    read = paste.read
    monkeypatch.setattr(paste, "read", lambda data, source: pasted.append(source) or read(data, source))
    namespaces = {"apiVersion": "v1", "kind": "List", "items": [{"kind": "Namespace", "metadata": {"name": "a"}}]}
    whole = parse_member("cluster-resources/namespaces.json", json.dumps(namespaces).encode())
    assert (whole.parser, whole.rows(), whole.problems, whole.whole) == ("kubernetes-objects", 0, [], True)
    assert parse_member("configmap.yaml", b"apiVersion: v1\nkind: ConfigMap\ndata: {a: b}\n").whole
    # troubleshoot's items of a kind its path does not name, written without it; an empty list
    assert parse_member("custom-resource-definitions.json", b'[{"metadata": {"name": "a"}}]').whole
    assert parse_member("cluster-resources/pvcs/default.json", b"[]\n").whole
    assert pasted == []
    parse_member("values.yaml", b"replicaCount: 2\nimage: nginx\n")  # no kind
    parse_member("broken.yaml", b"apiVersion: v1\nkind: ConfigMap\n---\nkind: Event\nmetadata: {name: [\n")
    assert pasted == ["values.yaml", "broken.yaml"]
