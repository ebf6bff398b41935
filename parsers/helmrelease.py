"""HelmRelease objects (API v2beta1, v2beta2, v2) -> releases, conditions, history, managed_fields.

The `apiVersion` of a dump is the version the client asked for (the CRD has no conversion
webhook), so it does not say which controller wrote the status. The status *shape* does
(reference/helm-controller.md §5.1, §9):

- v2beta1 shape (written by helm-controller <= v0.36): `lastReleaseRevision`,
  `lastAttemptedValuesChecksum`, no `history`, no `storageNamespace`, conditions without
  `observedGeneration`, Ready reasons such as `ReconciliationSucceeded`;
- v2beta2 shape (v0.37.x): `history`, `storageNamespace`, `lastAttemptedGeneration`,
  `lastAttemptedConfigDigest`, `Reconciling`/`Stalled` conditions, condition `observedGeneration`;
- v2 shape (v1.x): as v2beta2 plus fields only v1.x writes (`history[].appVersion`,
  `observedPostRenderersDigest`, `lastAttemptedRevisionDigest`, `inventory`, ...).

Values are never read: evidence lines are looked up inside the object's own `status`,
`metadata` and `spec` blocks (`_block`: a `status:` key inside `spec.values` is not the
object's status), and a line of `spec.values` or `spec.postRenderers` is never quoted (an
object on one line, minified JSON, has no excerpt).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache

from parsers._base import excerpt, ts_value
from parsers.kube import KubeObject, Lines, Locator

KIND = "HelmRelease"

# Ready reasons only helm-controller <= v0.36 sets (helm-controller.md §4.1).
V2BETA1_READY_REASONS = frozenset(
    {"ReconciliationSucceeded", "ReconciliationFailed", "InitFailed", "GetLastReleaseFailed", "DiffFailed"}
)
_NEW_FIELDS = (
    "history",
    "storageNamespace",
    "lastAttemptedGeneration",
    "lastAttemptedConfigDigest",
    "lastAttemptedReleaseAction",
)
_V2_FIELDS = (
    "observedPostRenderersDigest",
    "lastAttemptedRevisionDigest",
    "inventory",
    "observedCommonMetadataDigest",
    "lastAttemptedReleaseActionDuration",
)
_OLD_FIELDS = ("lastReleaseRevision", "lastAttemptedValuesChecksum")


def looks_like(doc: dict) -> bool:
    """A kind-less object that is recognisably a HelmRelease (chart spec or HelmRelease status fields)."""
    spec, status = doc.get("spec") or {}, doc.get("status") or {}
    return bool(
        (isinstance(spec, dict) and ("chart" in spec or "chartRef" in spec))
        or (
            isinstance(status, dict)
            and any(k in status for k in ("helmChart", "lastReleaseRevision", "history", "lastAttemptedRevision"))
        )
    )


def status_format(status: dict) -> tuple[str, str]:
    """The status shape of a HelmRelease (`v2beta1`, `v2beta2`, `v2`, `unknown`) and why."""
    conditions = status.get("conditions") or []
    new = [f for f in _NEW_FIELDS if status.get(f)]
    if any(c.get("type") in ("Reconciling", "Stalled") for c in conditions):
        new.append("conditions[Reconciling|Stalled]")
    if any(c.get("observedGeneration") for c in conditions):
        new.append("conditions[].observedGeneration")
    old = [f for f in _OLD_FIELDS if status.get(f)]
    ready = next((c for c in conditions if c.get("type") == "Ready"), {})
    if ready.get("reason") in V2BETA1_READY_REASONS:
        old.append(f"Ready reason {ready['reason']}")
    if new:
        v2 = [f for f in _V2_FIELDS if status.get(f)]
        if any((h or {}).get("appVersion") for h in status.get("history") or []):
            v2.append("history[].appVersion")
        shape = "v2" if v2 else "v2beta2"
        basis = new[0] + (f", {v2[0]}" if v2 else "")
        if old:
            basis += f" (v2beta1 residue: {', '.join(old)})"
        return shape, basis
    if old or conditions:
        return "v2beta1", ", ".join(old) if old else "conditions without observedGeneration"
    return "unknown", "no status"


def extract(obj: KubeObject, lines: list[str], source: str, locator: type[Locator] = Locator) -> dict[str, list[dict]]:
    """Rows for the releases, conditions, history and managed_fields frames."""
    doc = obj.doc
    meta = doc.get("metadata") or {}
    spec = doc.get("spec") or {}
    status = doc.get("status") or {}
    namespace = meta.get("namespace") or "default"
    name = meta.get("name") or ""
    release = f"{namespace}/{name}"
    where = locator(lines, obj.start, obj.end)
    spec_block = _block(where, "spec", locator) if spec else None
    hidden, unplaced = [], False  # the lines of spec.values and spec.postRenderers; values not found in the text
    for key in ("values", "postRenderers"):
        if spec.get(key):
            block = _block(spec_block, key, locator) if spec_block else None
            hidden += [block] if block else []
            unplaced = unplaced or block is None

    def quote(line: int | None) -> str:
        """The excerpt of an evidence line, never of a line holding values (none at all when
        the values' lines are not known: an object on one line)."""
        if line is None or unplaced or any(block.start <= line <= block.end for block in hidden):
            return ""
        return excerpt(where.text(line))

    status_block = _block(where, "status", locator) if status else None
    status_line = status_block.start if status_block else None
    status_at = status_block or where  # a status without its key line (a `flux debug` paste): the whole object

    chart_spec = ((spec.get("chart") or {}).get("spec")) or {}
    source_ref = chart_spec.get("sourceRef") or spec.get("chartRef") or {}
    depends = [
        f"{d.get('namespace') or namespace}/{d.get('name')}" for d in spec.get("dependsOn") or [] if isinstance(d, dict)
    ]
    shape, basis = status_format(status)
    basis_key = basis.split(" ")[0].split("[")[0].rstrip(",")
    shape_line = status_at.key(basis_key, after=status_line) if status else None

    rows: dict[str, list[dict]] = {"releases": [], "conditions": [], "history": [], "managed_fields": []}
    conditions = [c for c in status.get("conditions") or [] if isinstance(c, dict)]
    ready = next((c for c in conditions if c.get("type") == "Ready"), {})
    rows["releases"].append(
        {
            "release": release,
            "namespace": namespace,
            "name": name,
            "uid": meta.get("uid"),
            "api_version": doc.get("apiVersion"),
            "generation": meta.get("generation"),
            "observed_generation": status.get("observedGeneration"),
            "suspended": bool(spec.get("suspend", False)),
            "chart": chart_spec.get("chart") or source_ref.get("name"),
            "chart_version": chart_spec.get("version"),
            "source_ref": "/".join(
                str(p)
                for p in (source_ref.get("kind"), source_ref.get("namespace") or namespace, source_ref.get("name"))
                if p
            )
            or None,
            "depends_on": depends,
            "drift_mode": (spec.get("driftDetection") or {}).get("mode"),
            "interval": spec.get("interval"),
            "ready_status": ready.get("status"),
            "ready_reason": ready.get("reason"),
            "ready_message": ready.get("message"),
            "ready_since": ts_value(ready.get("lastTransitionTime")),
            "status_format": shape,
            "status_format_basis": basis,
            "status_format_line": shape_line,
            "last_attempted_revision": status.get("lastAttemptedRevision"),
            "last_applied_revision": status.get("lastAppliedRevision"),
            "last_release_revision": status.get("lastReleaseRevision"),
            "last_attempted_values_checksum": status.get("lastAttemptedValuesChecksum"),
            "last_attempted_generation": status.get("lastAttemptedGeneration"),
            "storage_namespace": status.get("storageNamespace"),
            "history_len": len(status.get("history") or []),
            "failures": status.get("failures"),
            "install_failures": status.get("installFailures"),
            "upgrade_failures": status.get("upgradeFailures"),
            "last_handled_reconcile_at": status.get("lastHandledReconcileAt"),
            "last_handled_force_at": status.get("lastHandledForceAt"),
            "created": ts_value(meta.get("creationTimestamp")),
            "input_format": "object",
            "suspend_line": (suspend_line := _line(spec_block, "suspend", locator) if spec.get("suspend") else None),
            "suspend_excerpt": quote(suspend_line) if suspend_line else None,
            "excerpt": quote(shape_line),
            "source": source,
            "line": shape_line or obj.start,
        }
    )

    cursor = status_at.key("conditions", after=status_line) if status else None
    for cond in conditions:
        type_line = status_at.value("type", cond.get("type"), after=cursor)
        message_line = status_at.value("message", cond.get("message"), after=cursor) if cond.get("message") else None
        if message_line and type_line and abs(message_line - type_line) > 12:
            message_line = None  # a message of a later condition; cite the type line instead
        line = message_line or type_line or obj.start
        rows["conditions"].append(
            {
                "release": release,
                "type": cond.get("type"),
                "status": cond.get("status"),
                "reason": cond.get("reason"),
                "message": cond.get("message"),
                "last_transition": ts_value(cond.get("lastTransitionTime")),
                "observed_generation": cond.get("observedGeneration"),
                "excerpt": quote(line),
                "source": source,
                "line": line,
            }
        )
        cursor = max(filter(None, (type_line, message_line, cursor)), default=cursor)

    cursor = status_at.key("history", after=status_line) if status else None
    for snap in status.get("history") or []:
        if not isinstance(snap, dict):
            continue
        line = status_at.value("chartVersion", snap.get("chartVersion"), after=cursor) or cursor or obj.start
        rows["history"].append(
            {
                "release": release,
                "version": snap.get("version"),
                "chart_name": snap.get("chartName"),
                "chart_version": snap.get("chartVersion"),
                "app_version": snap.get("appVersion"),
                "status": snap.get("status"),
                "first_deployed": ts_value(snap.get("firstDeployed")),
                "last_deployed": ts_value(snap.get("lastDeployed")),
                "digest": snap.get("digest"),
                "config_digest": snap.get("configDigest"),
                "action": snap.get("action"),
                "excerpt": quote(line),
                "source": source,
                "line": line,
            }
        )
        cursor = line

    meta_at = (_block(where, "metadata", locator) if meta else None) or where
    cursor = meta_at.key("managedFields")
    for entry in meta.get("managedFields") or []:
        if not isinstance(entry, dict):
            continue
        line = meta_at.value("manager", entry.get("manager"), after=cursor) or obj.start
        rows["managed_fields"].append(
            {
                "release": release,
                "manager": entry.get("manager"),
                "operation": entry.get("operation"),
                "api_version": entry.get("apiVersion"),
                "subresource": entry.get("subresource"),
                "time": ts_value(entry.get("time")),
                "excerpt": quote(line),
                "source": source,
                "line": line,
            }
        )
        cursor = line
    return rows


def _block(where: Locator, key: str, locator: type[Locator], nested: bool = True) -> Locator | None:
    """The lines of `key`'s value when `key` is a key of the mapping `where` spans: the first
    line that starts with `key` (`"key":`, `key:`, a describe label) at the column of the
    mapping's keys (the same key of a nested mapping, such as a `status:` inside
    `spec.values`, is indented deeper) and, when `nested`, holds no value after it but the
    opening of one (a mapping or a list written below it, `{`, `[`), to the line before the
    next key at its column or less."""
    column = _key_column(where)
    if column is None:
        return None
    wanted = key.lower()
    after = None
    while (number := where.key(key, after=after)) is not None:
        after = number
        line = where.lines[number - 1]
        content = line.lstrip(" -")
        if len(line) - len(content) != column:
            continue
        squeezed = content.replace(" ", "").lower().lstrip('"')
        if not squeezed.startswith((wanted + ":", wanted + '":')):
            continue  # the key inside a longer one (`laststatus:`)
        if nested and squeezed[len(wanted) :].lstrip('":')[:1] not in ("", "{", "["):
            continue  # a scalar where a mapping was wanted
        return locator(where.lines, number, _block_end(where, number, column))
    return None


def _block_end(where: Locator, number: int, column: int) -> int:
    """The last line of the value of the key on line `number` at `column`: the last non-blank
    line before the next one indented `column` or less (a `- item`, `}` or `]` at the key's
    column is still the value: YAML's list under its key, a closing bracket)."""
    if type(where.lines) is Lines:
        return _block_end_in_text(where.lines, number, column, where.end)
    end = number
    for following in range(number + 1, where.end + 1):
        text = where.lines[following - 1]
        body = text.lstrip(" ")
        if not body:
            continue
        indent = len(text) - len(body)
        if indent < column or (indent == column and not body.startswith(("-", "}", "]"))):
            break
        end = following
    return end


@lru_cache(maxsize=64)
def _line_at_most(column: int) -> re.Pattern:
    """A line start indented `column` spaces or fewer, before a character that is no space
    (a line of spaces only is not one)."""
    return re.compile(r"\n( {0,%d})[^ \n]" % column)


def _block_end_in_text(lines: Lines, number: int, column: int, last: int) -> int:
    """`_block_end`'s loop, each candidate line found by a regex in the member's text."""
    text, offsets = lines.text, lines.offsets
    stop = offsets[last] - 1  # the newline that ends line `last` (or the text's end)
    found = last + 1
    for match in _line_at_most(column).finditer(text, offsets[number] - 1, stop):
        if len(match.group(1)) < column or match.group(0)[-1] not in "-}]":
            found = bisect_right(offsets, match.start() + 1)  # the line that starts after this newline
            break
    end = found - 1
    while end > number and not lines[end - 1].strip(" "):
        end -= 1
    return end


def _key_column(where: Locator) -> int | None:
    """The column of the keys of the mapping `where` spans (the first key line's; the line
    of the mapping's own key, when `where` is a block, is passed over)."""
    first = (
        where.start + 1
        if where.start < where.end
        and where.lines[where.start - 1].rstrip().endswith((":", "{", "["))
        and _is_key(where.lines[where.start - 1])
        else where.start
    )
    for number in range(first, where.end + 1):
        line = where.lines[number - 1]
        content = line.lstrip(" -")
        if content and not content.startswith(("#", "{", "[", "}", "]", "---")):
            return len(line) - len(content)
    return None


def _is_key(line: str) -> bool:
    """The line holds a key (`key:`, `"key":`, a describe label)."""
    content = line.strip(" -")
    return ":" in content and not content.startswith(("{", "["))


def _line(block: Locator | None, key: str, locator: type[Locator]) -> int | None:
    """The line of `key` as a key of the mapping `block` spans (not of one nested in it)."""
    found = _block(block, key, locator, nested=False) if block else None
    return found.start if found else None
