"""`kubectl describe helmrelease` text -> releases, conditions, history (+ events from its table).

kubectl describes a custom resource with its generic printer (kubernetes `kubectl/pkg/describe`
`printUnstructuredContent`): `Name:`, `Namespace:`, `Labels:`, `Annotations:`, then every
field sorted, as `Smart Label:<TAB>value`, two spaces of indent per level; a field name is
split at its camel-case humps and title-cased (`lastTransitionTime` -> `Last Transition Time`,
`apiVersion` -> `API Version`); the maps of a list follow each other at the same indent with
no separator (a repeated first field starts the next one). `metadata.managedFields` is not
printed. The `Events:` table (`Type Reason Age From Message`) ends the block; several
objects are separated by blank lines before the next `Name:`.

The text is turned back into the object and handed to the HelmRelease extractor, with a
locator that looks for smart labels, so evidence still cites the exact line.
"""

from __future__ import annotations

import re

from parsers import helmrelease
from parsers._base import ParseResult, excerpt, frame
from parsers.event_tables import _AGE
from parsers.kube import KubeObject, Locator

NAME = "kubectl-describe-hr"
KIND = "releases, conditions, history, events"
TIMESTAMPS = {"last_transition": "Condition lastTransitionTime"}

_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}
_INT_FIELDS = {
    "generation", "observedGeneration", "lastReleaseRevision", "version", "failures", "installFailures",
    "upgradeFailures", "lastAttemptedGeneration", "retries", "maxHistory",
}
_LINE = re.compile(r"^(?P<indent> *)(?P<label>[A-Za-z][A-Za-z0-9 .\-/_]*?):(?:[ \t]+(?P<value>.*?))?\s*$")
_EVENT_ROW = re.compile(r"^\s+(?P<type>Normal|Warning)\s{2,}(?P<reason>\S+)\s{2,}(?P<age>\S+(?: \(x\d+ over \S+\))?)\s{2,}(?P<frm>\S+)\s{2,}(?P<message>.*)$")


def smart_label(field: str) -> str:
    """kubectl's label for a field name (`lastTransitionTime` -> `Last Transition Time`)."""
    if re.search(r"[^A-Za-z-]", field):
        return field
    parts = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+", field)
    return " ".join(p.upper() if p.upper() in _ACRONYMS else p[:1].upper() + p[1:] for p in parts)


def field_name(label: str) -> str:
    """The field name back from a smart label (`Last Transition Time` -> `lastTransitionTime`)."""
    words = label.split()
    if len(words) <= 1 and not (words and words[0].isupper()):
        return label[:1].lower() + label[1:] if label[:1].isupper() and label[1:2].islower() else label
    return words[0].lower() + "".join(w if w.isupper() and w not in _ACRONYMS else w[:1].upper() + w[1:].lower() for w in words[1:])


class LabelLocator(Locator):
    """A Locator for describe text: keys are looked up by their smart label."""

    def key(self, key: str, after: int | None = None) -> int | None:
        return self.find(f"{smart_label(key)}:", after=after)

    def value(self, key: str, value: str | None, after: int | None = None) -> int | None:
        label = f"{smart_label(key)}:"
        if value:
            needle = re.match(r"[^\"'\\\n\t]{1,40}", str(value))
            if needle:
                found = self.find(label, needle.group(0), after=after)
                if found:
                    return found
        return self.key(key, after=after)


def matches(path: str, head: bytes) -> bool:
    text = head.decode("utf-8", errors="replace")
    return bool(re.search(r"(?m)^Name:\s+\S", text) and re.search(r"(?m)^(Kind:\s+HelmRelease|API Version:\s+helm\.toolkit\.fluxcd\.io/)", text))


def _scalar(name: str, value: str):
    if name in _INT_FIELDS and re.fullmatch(r"-?\d+", value):
        return int(value)
    if value in ("true", "false"):
        return value == "true"
    return value


_TOP = {"Name", "Namespace", "Labels", "Annotations", "API Version", "Kind", "Metadata", "Spec", "Status", "Events"}


def _continuations(lines: list[str], start: int, end: int) -> tuple[list[str], dict[int, str]]:
    """A multi-line value (a failure message with its `Last Helm logs:` tail) is printed as is,
    its later lines at column 0: fold them into the value of the field they continue."""
    body = list(lines)
    extra: dict[int, str] = {}
    owner, blanks = None, 0
    for i in range(start, end):
        raw = lines[i]
        if not raw.strip():
            blanks += 1
            continue
        found = _LINE.match(raw)
        if owner is not None and not raw.startswith(" ") and not (found and found["label"] in _TOP):
            extra[owner] = extra.get(owner, "") + "\n" * (blanks + 1) + raw
            body[i] = ""
            blanks = 0
            continue
        blanks = 0
        owner = i if found and found["value"] else None
    return body, extra


def _block(lines: list[str], start: int, end: int, indent: int, extra: dict[int, str] | None = None) -> tuple[object, int]:
    """Parse lines[start:end] at `indent` into a dict, or a list of dicts when a field repeats."""
    items: list[dict] = [{}]
    scalars: list[str] = []
    first_key = None
    i = start
    while i < end:
        raw = lines[i]
        if not raw.strip():
            i += 1
            continue
        depth = len(raw) - len(raw.lstrip(" "))
        if depth < indent:
            break
        found = _LINE.match(raw)
        if depth > indent or not found:
            if not found or depth > indent:
                scalars.append(raw.strip())  # a list of scalars, or a wrapped value
            i += 1
            continue
        name = field_name(found["label"])
        if first_key is None:
            first_key = name
        elif name == first_key and name in items[-1]:
            items.append({})
        if found["value"] is None or found["value"] == "":
            child, i = _block(lines, i + 1, end, indent + 2, extra)
            items[-1][name] = child
        else:
            items[-1][name] = _scalar(name, found["value"] + (extra or {}).get(i, ""))
            i += 1
    if scalars and not any(items[0]):
        return scalars, i
    return (items if len(items) > 1 else items[0]), i


def _documents(lines: list[str]) -> list[tuple[int, int]]:
    starts = [i for i, line in enumerate(lines) if line.startswith("Name:")]
    return [(s, starts[n + 1] if n + 1 < len(starts) else len(lines)) for n, s in enumerate(starts)]


def _listify(value) -> list:
    return value if isinstance(value, list) else [value] if isinstance(value, dict) and value else []


def parse(data: bytes, source: str) -> ParseResult:
    result = ParseResult(NAME)
    lines = data.decode("utf-8", errors="replace").replace("\r", "").split("\n")
    rows: dict[str, list[dict]] = {"releases": [], "conditions": [], "history": [], "managed_fields": []}
    events: list[dict] = []
    for start, end in _documents(lines):
        events_at = next((i for i in range(start, end) if lines[i].startswith("Events:")), end)
        header = {}
        body_start = start
        for i in range(start, events_at):
            found = _LINE.match(lines[i])
            if found and not lines[i].startswith(" ") and found["label"] in ("Name", "Namespace", "API Version", "Kind"):
                header[found["label"]] = (found["value"] or "").strip()
            if lines[i].startswith(("Metadata:", "Spec:", "Status:")):
                body_start = i
                break
        body, extra = _continuations(lines, body_start, events_at)
        doc, _ = _block(body, body_start, events_at, 0, extra)
        doc = doc if isinstance(doc, dict) else {}
        status = doc.get("status") if isinstance(doc.get("status"), dict) else {}
        for key in ("conditions", "history"):
            if key in status:
                status[key] = _listify(status[key])
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        if "dependsOn" in spec:
            spec["dependsOn"] = _listify(spec["dependsOn"])
        meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
        meta = {**meta, "name": header.get("Name"), "namespace": header.get("Namespace")}
        obj = {"apiVersion": header.get("API Version"), "kind": "HelmRelease", "metadata": meta, "spec": spec, "status": status}
        if not header.get("Name"):
            result.problem(source, start + 1, "describe block without a Name")
            continue
        extracted = helmrelease.extract(KubeObject(obj, start + 1, events_at), lines, source, locator=LabelLocator)
        for kind, values in extracted.items():
            for row in values:
                if kind == "releases":
                    row["input_format"] = "kubectl-describe"
            rows.setdefault(kind, []).extend(values)
        release = f"{header.get('Namespace')}/{header.get('Name')}"
        for number in range(events_at + 1, end):
            row = _EVENT_ROW.match(lines[number])
            if not row:
                continue
            age = _AGE.match(row["age"])
            events.append(
                {
                    "count": int(age["count"]) if age and age["count"] else 1,
                    "type": row["type"],
                    "reason": row["reason"],
                    "message": row["message"].strip(),
                    "kind": "HelmRelease",
                    "namespace": header.get("Namespace"),
                    "name": header.get("Name"),
                    "release": release,
                    "component": row["frm"],
                    "age_first": (age["first"] or age["last"]) if age else None,
                    "age_last": age["last"] if age else None,
                    "excerpt": excerpt(lines[number]),
                    "source": source,
                    "line": number + 1,
                }
            )
    for kind, values in rows.items():
        result.add(kind, frame(kind, values))
    result.add("events", frame("events", events))
    result.note = f"{len(rows['releases'])} described HelmRelease(s), {len(events)} event rows"
    return result
