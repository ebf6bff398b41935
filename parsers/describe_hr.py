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

from parsers import helmrelease, sources
from parsers._base import ParseResult, excerpt, frame
from parsers.event_tables import _AGE
from parsers.kube import KubeObject, Locator
from parsers.paste.names import subject
from parsers.paste.yamlish import unknown_names

NAME = "kubectl-describe-hr"
KIND = "releases, conditions, history, events"
TIMESTAMPS = {"last_transition": "Condition lastTransitionTime"}

_ACRONYMS = {"API", "URL", "UID", "OSB", "GUID"}
_INT_FIELDS = {
    "generation",
    "observedGeneration",
    "lastReleaseRevision",
    "version",
    "failures",
    "installFailures",
    "upgradeFailures",
    "lastAttemptedGeneration",
    "retries",
    "maxHistory",
}
_LINE = re.compile(r"^(?P<indent> *)(?P<label>[A-Za-z][A-Za-z0-9 .\-/_]*?):(?:[ \t]+(?P<value>.*?))?\s*$")
_EVENT_ROW = re.compile(
    r"^\s*(?P<type>Normal|Warning)\s{2,}(?P<reason>\S+)\s{2,}(?P<age>\S+(?: \(x\d+ over \S+\))?)\s{2,}(?P<frm>\S+)\s{2,"
    r"}(?P<message>.*)$"
)


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
    return words[0].lower() + "".join(
        w if w.isupper() and w not in _ACRONYMS else w[:1].upper() + w[1:].lower() for w in words[1:]
    )


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
    if b"Name:" not in head:  # in every description: most members are told apart here
        return False
    text = head.decode("utf-8", errors="replace")
    return bool(
        re.search(r"(?m)^Name:\s+\S", text)
        and re.search(r"(?m)^(Kind:\s+HelmRelease|API Version:\s+helm\.toolkit\.fluxcd\.io/)", text)
    )


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


def _block(
    lines: list[str], start: int, end: int, indent: int, extra: dict[int, str] | None = None
) -> tuple[object, int]:
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
    """(start, end) of each described object: from each `Name:` line; a fragment without one
    (`Status:` ... or only `Events:`, as pasted) is one object from its first line."""
    starts = [i for i, line in enumerate(lines) if line.startswith("Name:")]
    if not starts:
        first = next((i for i, line in enumerate(lines) if _LINE.match(line) and not line.startswith(" ")), None)
        return [] if first is None else [(first, len(lines))]
    return [(s, starts[n + 1] if n + 1 < len(starts) else len(lines)) for n, s in enumerate(starts)]


_STORAGE_PATH = re.compile(
    r"(?P<kind>helmchart|helmrepository|ocirepository|gitrepository|bucket)/(?P<ns>[^/\s]+)/(?P<name>[^/\s]+)/"
)
_SOURCE_KINDS = {
    "helmchart": "HelmChart",
    "helmrepository": "HelmRepository",
    "ocirepository": "OCIRepository",
    "gitrepository": "GitRepository",
    "bucket": "Bucket",
}
# source-controller's Ready message when the artifact is in place (the success event's text)
_SOURCE_OK = re.compile(
    r"^(?:pulled '[^']+' chart with version|packaged '[^']+' chart with version|stored artifact (?:for|with)|artifact "
    r"up-to-date)",
    re.I,
)
# who emits events about which kind (a fragment without a Kind: its events' From says it)
_EMITTERS = {"helm-controller": "HelmRelease", "kustomize-controller": "Kustomization"}


def _kind_of(header: dict, status: dict, hint: str | None, events: list[str]) -> str:
    """The described object's kind: its `Kind:` line, else what the caller knows, else its shape
    (an artifact stored under `helmchart/<ns>/<name>/`), else who emitted its events."""
    if header.get("Kind"):
        return header["Kind"]
    if hint:
        return hint
    artifact = status.get("artifact") if isinstance(status.get("artifact"), dict) else {}
    found = _STORAGE_PATH.search(str(artifact.get("path") or artifact.get("url") or ""))
    if found:
        return _SOURCE_KINDS[found["kind"]]
    emitted = {_EMITTERS[e] for e in events if e in _EMITTERS}
    return emitted.pop() if len(emitted) == 1 else "HelmRelease"


def _listify(value) -> list:
    return value if isinstance(value, list) else [value] if isinstance(value, dict) and value else []


def parse(
    data: bytes, source: str, *, kind: str | None = None, namespace: str | None = None, name: str | None = None
) -> ParseResult:
    """Read described objects. `kind`, `namespace`, `name`: what the caller knows of a fragment
    that does not say (the pasted `kubectl describe hr NAME -n NS` command)."""
    result = ParseResult(NAME)
    lines = data.decode("utf-8", errors="replace").replace("\r", "").split("\n")
    rows: dict[str, list[dict]] = {
        "releases": [],
        "conditions": [],
        "history": [],
        "managed_fields": [],
        "sources": [],
        "events": [],
    }
    notes: list[str] = []
    hints = {"kind": kind, "namespace": namespace, "name": name}
    for start, end in _documents(lines):
        for frame_kind, values in _described(lines, start, end, hints, source, notes).items():
            rows[frame_kind] += values
    for frame_kind, values in rows.items():
        result.add(frame_kind, frame(frame_kind, values))
    described = len(rows["releases"]) + len(rows["sources"])
    result.note = "; ".join([f"{described} described object(s), {len(rows['events'])} event rows", *notes])
    return result


def _header(lines: list[str], start: int, end: int) -> tuple[dict[str, str], int]:
    """The `Name:`/`Namespace:`/`API Version:`/`Kind:` lines, and where the object's body starts."""
    header: dict[str, str] = {}
    for i in range(start, end):
        found = _LINE.match(lines[i])
        if found and not lines[i].startswith(" ") and found["label"] in ("Name", "Namespace", "API Version", "Kind"):
            header[found["label"]] = (found["value"] or "").strip()
        if lines[i].startswith(("Metadata:", "Spec:", "Status:")):
            return header, i
    return header, start


def _described(
    lines: list[str], start: int, end: int, hints: dict, source: str, notes: list[str]
) -> dict[str, list[dict]]:
    """The rows of one described object (a HelmRelease or a source) and of its `Events:` table."""
    events_at = next((i for i in range(start, end) if lines[i].startswith("Events:")), end)
    header, body_start = _header(lines, start, events_at)
    body, extra = _continuations(lines, body_start, events_at)
    doc, _ = _block(body, body_start, events_at, 0, extra)
    doc = doc if isinstance(doc, dict) else {}
    status = doc.get("status") if isinstance(doc.get("status"), dict) else {}
    for key in ("conditions", "history"):
        if key in status:
            status[key] = _listify(status[key])
    table = _event_rows(lines, events_at + 1, end)
    what = _kind_of(header, status, hints["kind"], [row["frm"] for row, _, _ in table])
    name, namespace = header.get("Name") or hints["name"], header.get("Namespace") or hints["namespace"]
    rows: dict[str, list[dict]] = {}
    where = KubeObject({}, start + 1, events_at)
    if what in _SOURCE_KINDS.values():
        artifact = status.get("artifact") or {}
        found = _STORAGE_PATH.search(str(artifact.get("path") or artifact.get("url") or ""))
        if found and not name:  # source-controller stores an artifact under <kind>/<namespace>/<name>/
            name, namespace = found["name"], namespace or found["ns"]
        _untyped_condition(status, _SOURCE_OK, {"type": "Ready", "status": "True"})
        where.doc = {"kind": what, "metadata": {"name": name, "namespace": namespace}, "status": status}
        rows["sources"] = sources.extract(where, lines, source, locator=LabelLocator)["sources"]
    elif what == "HelmRelease" and (doc or header):  # not a fragment of only `Events:`
        _untyped_condition(status, None, {"type": "Ready"})
        spec = doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        if "dependsOn" in spec:
            spec["dependsOn"] = _listify(spec["dependsOn"])
        meta = {
            **(doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}),
            "name": name or "?",
            "namespace": namespace or "?",
        }
        where.doc = {
            "apiVersion": header.get("API Version"),
            "kind": "HelmRelease",
            "metadata": meta,
            "spec": spec,
            "status": status,
        }
        if not header.get("Name"):
            notes.append(
                f"line {start + 1}: a fragment without its Name ("
                + ("named by the pasted command" if name else "name not known")
                + ")"
            )
        rows = helmrelease.extract(where, lines, source, locator=LabelLocator)
        for frame_kind, values in rows.items():
            for row in values:
                unknown_names(row)
                if frame_kind == "releases":
                    row["input_format"] = "kubectl-describe"
    release = f"{namespace or '?'}/{name or '?'}" if what == "HelmRelease" else None
    rows["events"] = [
        _event(row, message, number, what, namespace, name, release, lines, source) for row, message, number in table
    ]
    return rows


def _untyped_condition(status: dict, success: re.Pattern | None, fill: dict) -> None:
    """A fragment cut before its condition's `Type:`: the one condition pasted is the Ready
    condition (of a source: Ready=True when its message is source-controller's success)."""
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    if len(conditions) == 1 and not conditions[0].get("type"):
        if success is None or success.match(str(conditions[0].get("message") or "")):
            status["conditions"] = [{**conditions[0], **fill}]


def _event(
    row: re.Match, message: str, number: int, kind: str, namespace, name, release, lines: list[str], source: str
) -> dict:
    """An `Events:` row about the described object (its release named by its own message when
    the fragment did not say which object it was)."""
    age = _AGE.match(row["age"])
    named = subject(message) if kind == "HelmRelease" and not name else None
    return {
        "count": int(age["count"]) if age and age["count"] else 1,
        "type": row["type"],
        "reason": row["reason"],
        "message": message,
        "kind": kind,
        "namespace": named.namespace if named else namespace,
        "name": named.name if named else name,
        "release": named.release if named else release,
        "release_basis": named.basis if named else None,
        "component": row["frm"],
        "age_first": (age["first"] or age["last"]) if age else None,
        "age_last": age["last"] if age else None,
        "excerpt": excerpt(lines[number]),
        "source": source,
        "line": number + 1,
    }


def _event_rows(lines: list[str], start: int, end: int) -> list[tuple[re.Match, str, int]]:
    """The rows of an `Events:` table: (row match, message, 0-based line). A message of several
    lines (a Helm error with its details) continues at column 0 on the lines after its row."""
    out: list[tuple[re.Match, str, int]] = []
    for number in range(start, end):
        line = lines[number]
        row = _EVENT_ROW.match(line)
        if row:
            out.append((row, row["message"].strip(), number))
        elif out and line.strip() and not line.startswith(" ") and not re.match(r"^\s*-{2,}(?:\s+-{2,})*\s*$", line):
            match, message, at = out[-1]
            out[-1] = (match, message + "\n" + line.rstrip(), at)
    return out
