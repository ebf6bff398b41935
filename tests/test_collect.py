"""`forensics collect`: one table of evidence parts, rendered as a troubleshoot.sh spec (checked
against troubleshoot's published JSON Schema), as a shell script (run against a stand-in for
kubectl, and the folder it writes read back), and as the hints of evidence gaps.

`data/collect/evidence/` holds a small realistic output of every command of the table, at
the path the script writes it; `helm-storage.yaml` there is kubectl's own rendering of
`data/collect/helm-secrets.json` (checked below where kubectl is installed).
"""

from __future__ import annotations

import copy
import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from click.testing import CliRunner

import forensics
from forensics import collect
from forensics.cli import main
from forensics.rules import RULES
from parsers import FRAME_NAMES

DATA = Path(__file__).resolve().parent / "data"
SCHEMA = DATA / "troubleshoot" / "supportbundle-v1beta2.json"
EVIDENCE = DATA / "collect" / "evidence"
SECRETS = DATA / "collect" / "helm-secrets.json"


def closed(schema):
    """The schema with every object that lists its properties closed to others: kubebuilder's
    schemas accept any unknown key, so a misspelled field would otherwise pass."""
    schema = copy.deepcopy(schema)

    def close(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node:
                node["additionalProperties"] = False
            for value in node.values():
                close(value)
        elif isinstance(node, list):
            for value in node:
                close(value)

    close(schema)
    return schema


@pytest.fixture(scope="module")
def validators():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema), cls(closed(schema))


def spec(**options) -> dict:
    return yaml.safe_load(collect.troubleshoot_spec(**options))


def test_the_spec_is_valid_against_troubleshoots_published_schema(validators):
    published, strict = validators
    document = spec()
    assert (document["apiVersion"], document["kind"]) == ("troubleshoot.sh/v1beta2", "SupportBundle")
    assert list(published.iter_errors(document)) == []
    assert list(strict.iter_errors(document)) == [], "a field troubleshoot does not know"


def _first(collectors, kind):
    return next(c for c in collectors if kind in c)[kind]


def _drop_selector(collectors):
    del _first(collectors, "logs")["selector"]


def _text_line_cap(collectors):
    _first(collectors, "logs")["limits"]["maxLines"] = "many"


def _string_flag(collectors):
    _first(collectors, "helm")["collectValues"] = "false"


def _unknown_collector(collectors):
    collectors.append({"podLogs": {"namespace": "flux-system"}})


def _misspelled_field(collectors):
    logs = _first(collectors, "logs")
    logs["timestamp"] = logs.pop("timestamps")


@pytest.mark.parametrize(
    "breaks, published_rejects",
    [
        (_drop_selector, True),
        (_text_line_cap, True),
        (_string_flag, True),
        (_unknown_collector, False),
        (_misspelled_field, False),
    ],
    ids=lambda value: getattr(value, "__name__", str(value)).strip("_"),
)
def test_a_broken_spec_is_rejected(validators, breaks, published_rejects):
    published, strict = validators
    document = spec()
    breaks(document["spec"]["collectors"])
    assert bool(list(published.iter_errors(document))) == published_rejects
    assert list(strict.iter_errors(document)), "the closed schema must reject it"


def test_the_spec_collects_every_part_once():
    collectors = spec(namespace="flux", since="24h")["spec"]["collectors"]
    for part in collect.PARTS:
        assert collect.collector(part.name, "flux", "24h") in collectors, part.name
    assert len(collectors) == len({json.dumps(c, sort_keys=True) for c in collectors})
    logs = [c["logs"] for c in collectors if "logs" in c]
    assert {entry["selector"][0] for entry in logs} == {
        "app=helm-controller",
        "app=source-controller",
        "app=kustomize-controller",
    }
    for entry in logs:
        assert entry["namespace"] == "flux" and entry["timestamps"] is True and entry["limits"] == {"maxAge": "24h"}
    assert {"clusterResources": {}} in collectors  # every namespace: HelmReleases and events of all of them
    assert {"helm": {"collectValues": False}} in collectors


def test_the_spec_says_what_troubleshoot_cannot_collect():
    text = collect.troubleshoot_spec()
    comment = " ".join(line.strip().lstrip("# ") for line in text.splitlines() if line.strip().startswith("#"))
    assert "cannot collect a Secret's labels without its payload" in comment
    assert "forensics collect --part helm-storage" in comment
    assert "pending-* is missed" in comment


def test_every_part_names_real_frames_and_rules():
    ids = {rule.id for rule in RULES}
    for part in collect.PARTS:
        assert set(part.frames) <= set(FRAME_NAMES), part.name
        assert set(part.rules) <= ids, part.name
    read = {rule for part in collect.PARTS for rule in part.rules}
    assert read == ids, f"rules no part feeds: {sorted(ids - read)}"


def _argv(command: collect.Command) -> list[str]:
    return shlex.split(collect._fill(command.argv, collect.NAMESPACE, collect.SINCE))


def _stand_in_kubectl(tmp_path: Path) -> Path:
    """A `kubectl` that prints, for each command of the table, the example of what it writes,
    and fails like kubectl for anything else (a previous container that does not exist)."""
    answers = {}
    for part in collect.PARTS:
        for command in part.commands:
            argv = _argv(command)
            assert argv[0] == "kubectl", part.name
            example = EVIDENCE / collect._fill(command.file, collect.NAMESPACE, collect.SINCE)
            assert example.exists() or command.optional, f"no example of {command.file} (part {part.name})"
            if example.exists():
                answers[json.dumps(argv[1:])] = str(example)
    table = tmp_path / "answers.json"
    table.write_text(json.dumps(answers))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    kubectl = bin_dir / "kubectl"
    kubectl.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"answers = json.load(open({str(table)!r}))\n"
        "path = answers.get(json.dumps(sys.argv[1:]))\n"
        "if path is None:\n"
        "    sys.exit('error: previous terminated container \"manager\" not found')\n"
        "sys.stdout.buffer.write(open(path, 'rb').read())\n"
    )
    kubectl.chmod(0o755)
    return bin_dir


def test_the_script_is_posix_shell(tmp_path):
    if not shutil.which("sh"):
        pytest.skip("no sh")
    path = tmp_path / "collect.sh"
    path.write_text(collect.script())
    checked = subprocess.run(["sh", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def test_the_script_writes_a_folder_this_tool_reads(tmp_path):
    if not shutil.which("sh"):
        pytest.skip("no sh")
    bin_dir = _stand_in_kubectl(tmp_path)
    (tmp_path / "collect.sh").write_text(collect.script())
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    done = subprocess.run(
        ["sh", "collect.sh", "evidence"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "not collected" not in done.stderr and "wrote evidence" in done.stderr
    out = tmp_path / "evidence"
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    examples = {str(p.relative_to(EVIDENCE)) for p in EVIDENCE.rglob("*") if p.is_file()}
    assert written == examples  # the previous logs that do not exist left no file behind
    for name in written:
        assert (out / name).read_bytes() == (EVIDENCE / name).read_bytes(), name

    result = forensics.run(str(out))
    inventory = {item.path: item for item in result.analysis.inventory}
    assert set(inventory) == written
    unread = {path: item.note for path, item in inventory.items() if item.parser is None}
    assert unread == {}
    for part in collect.PARTS:
        for frame in part.frames:
            assert result.frames[frame].height, f"part {part.name}: no {frame} rows"
    assert "Kustomization×1" in inventory["kustomizations.yaml"].note
    previous = result.frames["logs"].filter(result.frames["logs"]["previous"])
    assert previous.height == 3 and set(previous["pod"]) == {"helm-controller"}
    assert result.analysis.gaps == []  # nothing the analysis asks for is missing


def test_the_helm_storage_template_keeps_labels_only():
    """kubectl renders the template of part helm-storage on Secrets that hold a payload: the
    output is the example the script test reads, labels without any of the payload."""
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl is not installed")
    # `label --local` renders each item of the file without a cluster (changing no label);
    # the script's `get` renders the same template inside `{{range .items}}`.
    rendered = subprocess.run(
        [
            kubectl,
            "label",
            "--local",
            "-f",
            str(SECRETS),
            "--overwrite",
            "owner=helm",
            "-o",
            f"go-template={collect.HELM_SECRET_TEMPLATE}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert rendered.returncode == 0, rendered.stderr
    assert rendered.stdout == (EVIDENCE / "helm-storage.yaml").read_text(encoding="utf-8")
    for item in json.loads(SECRETS.read_text())["items"]:
        assert item["data"]["release"] not in rendered.stdout
    assert "{{range .items}}" + collect.HELM_SECRET_TEMPLATE + "{{end}}" in collect.script()


def test_evidence_gaps_name_the_part_to_collect(tmp_path):
    shutil.copy(EVIDENCE / "helmreleases.yaml", tmp_path / "helmreleases.yaml")
    gaps = {gap.missing: gap.how_to_collect for gap in forensics.analyze(str(tmp_path)).gaps}
    wanted = {
        "helm-controller logs": "helm-controller-logs",
        "Kubernetes events": "events",
        "helm-controller pod": "flux-workloads",
    }
    assert set(gaps) == set(wanted)
    for missing, part in wanted.items():
        assert collect.hint(part) in gaps[missing]
        assert f"forensics collect --part {part}" in gaps[missing]


def test_a_skipped_rule_says_which_part_to_collect(tmp_path):
    shutil.copy(EVIDENCE / "events.yaml", tmp_path / "events.yaml")
    skipped = [r for r in forensics.analyze(str(tmp_path)).rules if r.status == "skipped"]
    assert {r.rule for r in skipped} >= {"MG001", "HC001"}
    needs = {rule.id: rule.needs for rule in RULES}
    for result in skipped:  # skipped: none of the frames it needs is there
        assert result.how_to_collect == "; ".join(collect.by_frame()[kind] for kind in needs[result.rule])
    mg001 = next(r for r in skipped if r.rule == "MG001")
    assert mg001.how_to_collect.startswith(
        "collect part helmreleases: kubectl get helmreleases.helm.toolkit.fluxcd.io -A -o yaml"
    )


RELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: billing
  namespace: apps
  generation: 2
spec:
  interval: 10m
  chart:
    spec:
      chart: billing
      version: 1.2.0
      sourceRef: {kind: HelmRepository, name: internal, namespace: flux-system}
status:
  observedGeneration: 2
  conditions:
  - lastTransitionTime: "2024-11-05T10:02:00Z"
    observedGeneration: 2
    reason: UpgradeFailed
    status: "False"
    type: Ready
"""


def test_an_evidence_gap_finding_names_the_parts_it_lacks(tmp_path):
    (tmp_path / "billing.yaml").write_text(RELEASE)
    finding = next(f for f in forensics.analyze(str(tmp_path)).findings if f.label == "evidence-gap")
    assert finding.remediation.splitlines() == [collect.remedy("helm-controller-logs"), collect.remedy("events")]
    # with the controller's log of it, only the events are asked for
    log = (EVIDENCE / "helm-controller.log").read_text().replace('"podinfo"', '"billing"')
    (tmp_path / "helm-controller.log").write_text(log)
    finding = next(f for f in forensics.analyze(str(tmp_path)).findings if f.label == "evidence-gap")
    assert finding.remediation.splitlines() == [collect.remedy("events")]


# --- the command ---------------------------------------------------------------------------------


@pytest.fixture
def runner():
    return CliRunner()


def test_collect_prints_the_table_of_parts(runner):
    result = runner.invoke(main, ["collect"])
    assert result.exit_code == 0
    for part in collect.PARTS:
        assert f"\n{part.name}\n" in result.output
        assert collect.command_line(part.commands[0]) in result.output


def test_collect_part_prints_one_part(runner):
    result = runner.invoke(main, ["collect", "--part", "helm-storage", "--namespace", "flux"])
    assert result.exit_code == 0
    assert result.output.startswith("part helm-storage: ")
    assert "read into: helm_storage; by rules: HR001" in result.output
    assert "- helm:\n      collectValues: false" in result.output
    assert "part helm-controller-logs" not in result.output


def test_collect_script_and_spec_take_the_namespace_and_duration(runner):
    script = runner.invoke(main, ["collect", "--script", "--namespace", "flux", "--since", "1h30m"])
    assert script.exit_code == 0 and script.output.startswith("#!/bin/sh\n")
    assert "kubectl -n flux logs deploy/helm-controller -c manager --timestamps --since=1h30m" in script.output
    assert "-n flux-system" not in script.output
    spec_text = runner.invoke(main, ["collect", "--troubleshoot", "--namespace", "flux", "--since", "1h30m"])
    assert spec_text.exit_code == 0
    assert _first(yaml.safe_load(spec_text.output)["spec"]["collectors"], "logs")["limits"] == {"maxAge": "1h30m"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--part", "helm"], "no part 'helm'; the parts are: events, helm-controller-logs"),
        (["--script", "--troubleshoot"], "give one of --troubleshoot, --script and --part"),
        (["--script", "--namespace", "flux;rm -rf ~"], "not a namespace name"),
        (["--script", "--since", "3d"], "not a duration"),
    ],
)
def test_collect_usage_errors(runner, args, message):
    result = runner.invoke(main, ["collect", *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
