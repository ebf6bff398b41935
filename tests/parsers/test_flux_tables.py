from parsers import detect, flux_tables

TABBED = (
    "NAMESPACE\tNAME    \tREVISION\tSUSPENDED\tREADY\tMESSAGE                                                                    \t\n"
    "apps     \tbackend \t1.4.0   \tFalse    \tTrue \tHelm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0\t\n"
    "apps     \tfrontend\t2.3.1   \tFalse    \tFalse\tdependency 'apps/backend' is not ready                                    \t\n"
)


def test_sniff():
    assert detect("flux-get-hr.txt", TABBED.encode()) is flux_tables
    assert not flux_tables.matches("x.txt", b"NAME READY STATUS RESTARTS AGE\n")


def test_tabbed_and_space_expanded_tables_read_the_same():
    tabbed = flux_tables.parse(TABBED.encode(), "t.txt")
    spaced = flux_tables.parse(TABBED.expandtabs(8).encode(), "t.txt")
    for result in (tabbed, spaced):
        assert result.problems == []
        rows = (
            result.frames["releases"].select("release", "ready_status", "ready_message", "chart_version", "line").rows()
        )
        assert rows == [
            (
                "apps/backend",
                "True",
                "Helm upgrade succeeded for release apps/backend.v8 with chart backend@1.4.0",
                "1.4.0",
                2,
            ),
            ("apps/frontend", "False", "dependency 'apps/backend' is not ready", "2.3.1", 3),
        ]
        assert result.frames["releases"]["status_format"].to_list() == ["unknown", "unknown"]


def test_without_namespace_column_nor_command_the_namespace_is_unknown_and_said():
    text = "NAME   \tREVISION\tSUSPENDED\tREADY\tMESSAGE               \t\npodinfo\t6.5.4   \tFalse    \tTrue \tHelm upgrade succeeded\t\n"
    result = flux_tables.parse(text.encode(), "t.txt")
    assert result.frames["releases"].select("release", "namespace", "name").rows() == [("?/podinfo", None, "podinfo")]
    assert any("namespace is not known" in p["reason"] for p in result.problems)


def test_the_namespace_of_the_pasted_command():
    text = "$ flux get hr -n apps\nNAME   \tREVISION\tSUSPENDED\tREADY\tMESSAGE\t\npodinfo\t6.5.4   \tFalse    \tTrue \tok\t\n"
    result = flux_tables.parse(text.encode(), "t.txt")
    assert result.frames["releases"]["release"].to_list() == ["apps/podinfo"]
    assert result.problems == []


def test_a_kustomization_table_is_not_read_as_helmreleases():
    # `kubectl get ks` prints the same columns as `kubectl get hr`: the messages tell them apart,
    # and a Kustomization's message naming a HelmRelease is evidence for that release
    text = (
        "NAMESPACE     NAME   AGE    READY   STATUS\n"
        "flux-system   apps   119m   False   HelmRelease/tdp/api dry-run failed (Invalid): spec.chart: Required value\n"
        "flux-system   infra  119m   True    Applied revision: main@sha1:05c81f6d2790d67744e8d2b40d40519354f67f81\n"
    )
    result = flux_tables.parse(text.encode(), "ks.txt")
    assert "releases" not in result.frames
    events = result.frames["events"]
    assert events.select("release", "component", "reason", "type", "line").rows() == [
        ("tdp/api", "kustomize-controller", "ReconciliationFailed", "Warning", 2)
    ]


def test_show_source_column():
    text = "NAME   \tSOURCE                          \tREVISION\tSUSPENDED\tREADY\tMESSAGE\t\npodinfo\tHelmRepository/flux-system/podinfo\t6.5.4   \tFalse    \tTrue \tok\t\n"
    row = flux_tables.parse(text.encode(), "t.txt").frames["releases"].row(0, named=True)
    assert row["source_ref"] == "HelmRepository/flux-system/podinfo" and row["chart_version"] == "6.5.4"


def test_kubectl_get_hr_table():
    # `kubectl get hr -A`: the CRD's printer columns Age, Ready, Status (space padded)
    text = (
        "NAMESPACE   NAME            AGE    READY   STATUS\n"
        "apps        podinfo         102d   True    Helm upgrade succeeded for release apps/podinfo.v6 with chart podinfo@6.5.4\n"
        "infra       ingress-nginx   140d   True    Release reconciliation succeeded\n"
    )
    assert detect("hr.txt", text.encode()) is flux_tables
    result = flux_tables.parse(text.encode(), "hr.txt")
    assert result.problems == []
    rows = result.frames["releases"].select("release", "ready_status", "ready_message", "input_format").rows()
    assert rows == [
        (
            "apps/podinfo",
            "True",
            "Helm upgrade succeeded for release apps/podinfo.v6 with chart podinfo@6.5.4",
            "kubectl-get-table",
        ),
        ("infra/ingress-nginx", "True", "Release reconciliation succeeded", "kubectl-get-table"),
    ]


def test_pasted_with_its_command_line_and_spaces():
    # how tickets show it: the shell prompt and command, then the table with TABs turned to spaces
    text = (
        "$ flux get hr\n"
        "NAME            REVISION        SUSPENDED       READY   MESSAGE\n"
        "cert-manager    v1.13.1         False           True    Helm upgrade succeeded\n"
    )
    result = flux_tables.parse(text.encode(), "ticket.txt")
    assert result.problems == []  # the command has no -n: the flux CLI's default namespace
    assert "pasted command: $ flux get hr" in result.note
    row = result.frames["releases"].row(0, named=True)
    assert (row["release"], row["chart_version"], row["ready_message"], row["line"]) == (
        "flux-system/cert-manager",
        "v1.13.1",
        "Helm upgrade succeeded",
        3,
    )
