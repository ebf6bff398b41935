"""troubleshoot writes each custom resource file twice, `<ns>.json` and `<ns>.yaml`: a YAML
twin holding the JSON file's objects is noted in the inventory, not read into rows again."""

from __future__ import annotations

import json

import yaml

from forensics.load import load


def _release(name: str) -> dict:
    return {
        "apiVersion": "helm.toolkit.fluxcd.io/v2",
        "kind": "HelmRelease",
        "metadata": {"name": name, "namespace": "team", "uid": f"uid-{name}", "resourceVersion": "7"},
        "spec": {"interval": "10m", "chart": {"spec": {"chart": name, "version": "1.0.0"}}},
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "False",
                    "reason": "UpgradeFailed",
                    "message": "Helm upgrade failed: timed out\n\nLast Helm logs:\n\n"
                    "2024-03-09T09:00:30.123Z: beginning wait for 4 resources",
                    "lastTransitionTime": "2024-03-09T09:00:30Z",
                }
            ]
        },
    }


def _bundle(tmp_path, json_items: list, yaml_items: list):
    folder = tmp_path / "bundle" / "cluster-resources" / "custom-resources" / "helmreleases.helm.toolkit.fluxcd.io"
    folder.mkdir(parents=True)
    (folder / "team.json").write_text(json.dumps(json_items, indent=2))
    (folder / "team.yaml").write_text(yaml.safe_dump(yaml_items))
    frames = load(str(tmp_path / "bundle"))
    notes = {item.path.rsplit("/", 1)[-1]: (item.rows, item.note) for item in frames.inventory}
    return frames, notes


def test_a_yaml_twin_with_the_same_objects_is_noted_and_not_read_again(tmp_path):
    frames, notes = _bundle(tmp_path, [_release("a"), _release("b")], [_release("a"), _release("b")])
    assert notes["team.yaml"] == (0, "the same objects as team.json (read there)")
    assert notes["team.json"][0] > 0
    assert sorted(frames["releases"]["release"].to_list()) == ["team/a", "team/b"]
    assert {source.rsplit("/", 1)[-1] for source in frames["conditions"]["source"]} == {"team.json"}


def test_a_yaml_twin_that_differs_is_read(tmp_path):
    changed = _release("b")
    changed["status"]["conditions"][0]["reason"] = "InstallFailed"
    frames, notes = _bundle(tmp_path, [_release("a")], [_release("a"), changed])
    assert notes["team.yaml"][0] > 0
    assert "the same objects" not in notes["team.yaml"][1]
    assert sorted(frames["releases"]["release"].to_list()) == ["team/a", "team/b"]
