"""YAML as users paste it: valid documents, and the two ways a paste commonly breaks them.

- A list item whose `- ` was lost merges two items into one mapping with repeated keys
  (`reason:`, `status:`, `type:` twice in one condition). A strict loader fails or keeps the
  last value; here a mapping inside a list starts a new item at the first repeated key.
- Markdown flattened the indentation (`metadata:` then `name: nginx` at column 0): the keys
  after an empty `metadata:`, `spec:` or `status:` are put back under it.

Documents go through `parsers.kube.load` first (safe loader, alias caps); only when the text has
a repeated key is it read again with the tolerant loader (pure Python: pastes are small).
"""

from __future__ import annotations

import re

import yaml

from parsers.kube import KubeObject, load

TOP_LEVEL = ("apiVersion", "kind", "metadata", "spec", "status")
_NESTS = ("metadata", "spec", "status")


class _Tolerant(yaml.SafeLoader):
    """A safe loader that splits a list item at its first repeated key and keeps the last value
    of a key repeated elsewhere, recording the lines where it did either."""

    def __init__(self, stream):
        super().__init__(stream)
        self.repeated: list[int] = []

    def construct_sequence(self, node, deep=False):
        items: list = []
        for child in node.value:
            if isinstance(child, yaml.MappingNode):
                items.extend(self._split(child))
            else:
                items.append(self.construct_object(child, deep=True))
        return items

    def _split(self, node) -> list[dict]:
        parts: list[dict] = [{}]
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if isinstance(key, (dict, list)):
                continue
            if key in parts[-1]:
                parts.append({})
                self.repeated.append(key_node.start_mark.line + 1)
            parts[-1][key] = self.construct_object(value_node, deep=True)
        return parts


def _repeated_key(text: str) -> bool:
    """A key repeated at the same indent within one block of lines (cheap pre-check)."""
    seen: dict[tuple[int, str], int] = {}
    for line in text.split("\n"):
        found = re.match(r"^( *)(?:- )?([A-Za-z_][\w.\-]*):", line)
        if not found:
            continue
        indent = len(found.group(1)) + (2 if line.lstrip().startswith("- ") else 0)
        if line.lstrip().startswith("- "):
            seen = {k: v for k, v in seen.items() if k[0] < indent}
        key = (indent, found.group(2))
        if key in seen:
            return True
        seen[key] = 1
        seen = {k: v for k, v in seen.items() if k[0] <= indent}
    return False


def load_objects(text: str) -> tuple[list[KubeObject], list[tuple[int | None, str]], list[str]]:
    """Objects of a YAML/JSON block, problems (line, reason), and notes on what was repaired."""
    notes: list[str] = []
    if not text.lstrip().startswith(("{", "[")) and _repeated_key(text):
        try:
            loader = _Tolerant(text)
            try:
                doc = loader.get_single_data()
            finally:
                loader.dispose()
        except yaml.YAMLError:
            doc = None
        if isinstance(doc, dict):
            lines = text.split("\n")
            if loader.repeated:
                notes.append(f"a list item that lost its '- ' split at repeated keys (line {', '.join(map(str, loader.repeated))})")
            doc, renested = renest(doc)
            if renested:
                notes.append("flattened indentation put back under " + ", ".join(renested))
            return [KubeObject(doc, 1, len(lines))], [], notes
    objects, problems = load(text)
    repaired = []
    for obj in objects:
        doc, renested = renest(obj.doc)
        if renested:
            notes.append("flattened indentation put back under " + ", ".join(renested))
        repaired.append(KubeObject(doc, obj.start, obj.end))
    return repaired, problems, notes


def renest(doc: dict) -> tuple[dict, list[str]]:
    """Keys that belong under an empty `metadata:`/`spec:`/`status:` put back there. Only for
    the hallmark of a flattened manifest: an empty `metadata:` and a `name:` at the top."""
    if not ("metadata" in doc and doc["metadata"] is None and "name" in doc):
        return doc, []
    empty = [k for k in _NESTS if k in doc and doc[k] is None]
    strays = [k for k in doc if k not in TOP_LEVEL and k not in ("items", "data", "stringData", "type")]
    if not empty or not strays:
        return doc, []
    out: dict = {}
    current: str | None = None
    for key, value in doc.items():
        if key in TOP_LEVEL:
            if key in _NESTS and value is None:
                out[key], current = {}, key
            else:
                out[key], current = value, None
        elif current is not None:
            out[current][key] = value
        else:
            out[key] = value
    return out, [k for k in empty if out.get(k)]


def unknown_names(row: dict) -> None:
    """A row of an object whose namespace or name is not known: `?` in the release key (as the
    extractors build it), null in the namespace/name columns."""
    if row.get("namespace") == "?":
        row["namespace"] = None
    if row.get("name") == "?":
        row["name"] = None
