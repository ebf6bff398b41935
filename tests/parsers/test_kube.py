import json

import yaml

from parsers import kube, objects

HR = {
    "apiVersion": "helm.toolkit.fluxcd.io/v2beta2",
    "kind": "HelmRelease",
    "metadata": {"name": "podinfo", "namespace": "apps", "generation": 2},
    "spec": {"interval": "10m"},
    "status": {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "UpgradeSucceeded",
                "message": "Helm upgrade succeeded",
                "lastTransitionTime": "2024-01-15T09:02:41Z",
            }
        ]
    },
}


def other(name):
    return {**HR, "metadata": {**HR["metadata"], "name": name}}


def spans(text):
    found, problems = kube.load(text)
    assert problems == []
    return [(o.doc["metadata"]["name"], o.start, o.end) for o in found]


def test_bare_json_array_positions():
    text = json.dumps([HR, other("b")], indent=2)
    lines = text.split("\n")
    result = spans(text)
    assert [r[0] for r in result] == ["podinfo", "b"]
    for name, start, end in result:
        assert lines[start - 1].strip() == "{" and lines[end - 1].strip() in ("}", "},")
        assert any(f'"name": "{name}"' in line for line in lines[start - 1 : end])


def test_json_list_object_positions():
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": [HR, other("b")], "metadata": {}}, indent=4)
    lines = text.split("\n")
    for name, start, end in spans(text):
        assert any(f'"name": "{name}"' in line for line in lines[start - 1 : end])


def test_yaml_list_and_multi_document_positions():
    listed = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [HR, other("b")]})
    multi = "---\n" + yaml.safe_dump(HR) + "---\n# comment\n" + yaml.safe_dump(other("b"))
    for text in (listed, multi):
        lines = text.split("\n")
        result = spans(text)
        assert [r[0] for r in result] == ["podinfo", "b"]
        for name, start, end in result:
            assert any(f"name: {name}" in line for line in lines[start - 1 : end])


def test_condition_line_holds_its_message():
    text = yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [HR]})
    result = objects.parse(text.encode(), "hr.yaml")
    row = result.frames["conditions"].row(0, named=True)
    assert "Helm upgrade succeeded" in text.split("\n")[row["line"] - 1]
    assert row["excerpt"] == "message: Helm upgrade succeeded"


def test_bad_yaml_and_json_become_problems():
    result = objects.parse(b"apiVersion: v1\nkind: [unclosed\n", "bad.yaml")
    assert result.frames == {} and result.problems and result.problems[0]["source"] == "bad.yaml"
    result = objects.parse(b'[{"kind": "HelmRelease",', "bad.json")
    assert result.problems and "invalid JSON" in result.problems[0]["reason"]


def test_alias_bomb_is_refused():
    bomb = (
        "a: &a [x, x]\n"
        + "".join(
            f"b{i}: &b{i} [*{'a' if i == 0 else f'b{i - 1}'}, *{'a' if i == 0 else f'b{i - 1}'}]\n" for i in range(60)
        )
        + "kind: Bomb\n"
    )
    result = objects.parse(bomb.encode(), "bomb.yaml")
    assert any("aliases" in p["reason"] for p in result.problems)
