"""The block readers of a paste: one function per kind of block, each taking the `Reader` (which
adds rows, hands blocks to other parsers and keeps line numbers) and the block, and returning the
rows it added (0: read, nothing to add) or None (nothing known in it)."""

from __future__ import annotations

import re

import polars as pl

from parsers import describe_hr, event_tables, flux_tables, klog_log, logfmt_log
from parsers._base import excerpt
from parsers.paste import messages, tables, yamlish
from parsers.paste import blocks as segmenting
from parsers.paste.blocks import Block
from parsers.paste.clean import Line
from parsers.paste.jsonfix import close_json
from parsers.paste.names import subject

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from parsers.paste import Reader


def table(reader: Reader, block: Block) -> int | None:
    header, body = block.lines[0], block.lines[1:]
    cols = tables.columns(header.text)
    names = [name for name, _ in cols]
    ready = "READY" in names

    def is_row(text: str) -> bool:
        if not ready:
            return bool(text[:1].strip()) or not text.strip()
        return tables.cut(text, header.text, cols).get("READY") in tables.STATUSES

    body = tables.join_wrapped(body, is_row)
    rows = [tables.cut(line.text, header.text, cols) for line in body]
    kind = tables.table_kind(header.text, names, rows, block.command)
    namespace = block.command.namespace if block.command else None
    if kind == "HelmRelease" and flux_tables.is_header(header.text):
        return reader.delegate(
            flux_tables.parse, [header, *body], namespace=flux_tables.default_namespace(block.command)
        )
    if kind in tables.SOURCE_KINDS:
        return reader.add(
            "sources",
            [
                tables.source_row(r, kind, namespace, reader.source, line)
                for r, line in zip(rows, body)
                if r.get("NAME")
            ],
        )
    if kind == "HelmRelease (Helm)":
        found = [tables.storage_row(r, block.command, reader.source, line) for r, line in zip(rows, body)]
        return reader.add("helm_storage", [r for r in found if r])
    if kind == "Pod":
        found = [tables.pod_row(r, namespace, reader.source, line) for r, line in zip(rows, body)]
        return reader.add("controllers", [r for r in found if r])
    # Kustomizations, `flux get all`, api-resources, anything else: the rows' messages
    # that name a HelmRelease are evidence for it (a dry-run or health-check failure)
    return named_messages(reader, body, rows, block)


def named_messages(reader: Reader, body: list[Line], rows: list[dict[str, str]], block: Block) -> int:
    out = []
    for row, line in zip(rows, body):
        text = row.get("MESSAGE") or row.get("STATUS") or ""
        if "HelmRelease" in text:
            found = messages.row(text, line.first, reader.source, block.command, raw=line.text)
            if found["release"]:
                out.append(found)
    return reader.add("events", out)


def events_table(reader: Reader, block: Block) -> int | None:
    body = tables.join_wrapped(block.lines[1:], lambda text: bool(re.match(r"^\S", text)) or not text.strip())
    command = block.command
    namespace = (
        (command.namespace or ("default" if command.tool == "kubectl" else "flux-system"))
        if command is not None and command.tool and not command.all_namespaces
        else None
    )
    return reader.delegate(event_tables.parse, [block.lines[0], *body], namespace=namespace)


def rows(reader: Reader, block: Block) -> int | None:
    """Rows of `flux get` / `kubectl get` without their header."""
    rows = tables.join_wrapped(block.lines, lambda text: tables.headerless(Line(text, 0, 0)) is not None)
    releases, conditions, found = [], [], 0
    command = block.command
    for line in rows:
        cells = tables.headerless(line)
        if cells is None:
            reader.result.problem(reader.source, line.first, "not a table row", line.text)
            continue
        found += 1
        kind, _, name = cells["NAME"].rpartition("/")
        looks_git = bool(tables._GIT_REVISION.search(cells.get("REVISION", "")))
        if (
            (kind and kind.lower() != "helmrelease")
            or (command and command.kind not in (None, "HelmRelease"))
            or (not kind and looks_git and not command)
        ):
            named_messages(reader, [line], [cells], block)
            continue
        cells["NAME"] = name
        namespace, basis = cells.get("NAMESPACE"), None
        if not namespace and flux_tables.default_namespace(command):
            namespace, basis = flux_tables.default_namespace(command), "namespace from the pasted command"
        if not namespace:
            named = subject(cells.get("MESSAGE", ""))
            if named and named.name == name and named.namespace:
                namespace, basis = named.namespace, named.basis
        release_row, condition_row = flux_tables.rows(
            cells, namespace, cells["_form"], reader.source, line.first, line.text, basis
        )
        releases.append(release_row)
        if condition_row:
            conditions.append(condition_row)
    if not found:
        return None
    return reader.add("releases", releases) + reader.add("conditions", conditions)


def describe(reader: Reader, block: Block) -> int | None:
    command = block.command
    hints = {}
    if command is not None and command.verb == "describe":
        hints = {"kind": command.kind, "namespace": command.namespace, "name": command.name}
    text = block.text
    if not re.search(r"(?m)^(?:Name|Status|Spec|Metadata|Events|Kind|API Version):", text):
        return message(reader, block)
    return reader.delegate(describe_hr.parse, block.lines, **hints)


def events(reader: Reader, block: Block) -> int | None:
    """`Events:` rows pasted without the describe they come from."""
    command = block.command
    hints = (
        {"kind": command.kind, "namespace": command.namespace, "name": command.name}
        if command is not None and command.verb == "describe"
        else {}
    )
    added = reader.delegate(describe_hr.parse, block.lines, text="Events:\n" + block.text + "\n", header=1, **hints)
    # the rows say nothing of their object: the release is the one their message names
    return added


def yaml(reader: Reader, block: Block) -> int | None:
    """YAML objects; lines that only look like YAML (`error: ...`, `reason: x` pasted on their
    own) are read as messages."""
    if not re.search(
        r"(?m)^\s*(?:- )?(?:apiVersion|kind|metadata|spec|status|conditions|items|history|lastTransitionTime|type):",
        block.text,
    ):
        return message(reader, block)
    return objects(reader, block)


def json(reader: Reader, block: Block) -> int | None:
    return objects(reader, block)


def objects(reader: Reader, block: Block) -> int | None:
    from parsers.kube import KubeObject
    from parsers.objects import EXTRACTORS, _STATUS_KEYS
    from parsers import helmrelease

    objects, problems, notes = yamlish.load_objects(block.text)
    for line, reason in problems:
        at = block.lines[min(line, len(block.lines)) - 1].first if line else block.lines[0].first
        reader.result.problem(reader.source, at, reason, block.lines[0].text)
    if not objects:
        return None if not problems else 0
    reader.repairs += notes
    body = [line.text for line in block.lines]
    added = 0
    command = block.command
    for obj in objects:
        doc = obj.doc
        kind = str(doc.get("kind") or "")
        if not kind and ("status" in doc and set(doc) <= {"status"} or set(doc) <= _STATUS_KEYS and doc):
            status = doc.get("status", doc) if isinstance(doc.get("status", doc), dict) else {}
            history = [h for h in status.get("history") or [] if isinstance(h, dict)]
            name = (history[0].get("name") if history else None) or (
                command.name if command and command.kind == "HelmRelease" else None
            )
            namespace = (history[0].get("namespace") if history else None) or (command.namespace if command else None)
            doc = {
                "kind": "HelmRelease",
                "metadata": {"name": name or "?", "namespace": namespace or "?"},
                "status": status,
            }
            kind = "HelmRelease"
        elif not kind and helmrelease.looks_like(doc):
            kind = "HelmRelease"
        if kind == "HelmRelease":
            meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
            doc = {
                **doc,
                "kind": kind,
                "metadata": {
                    **meta,
                    "name": meta.get("name") or "?",
                    "namespace": meta.get("namespace") or (command.namespace if command else None) or "?",
                },
            }
        extract = EXTRACTORS.get(kind)
        if extract is None:
            continue
        for frame_kind, rows in extract(KubeObject(doc, obj.start, obj.end), body, reader.source).items():
            for row in rows:
                yamlish.unknown_names(row)
                if "line" in row and row["line"]:
                    row["line"] = block.lines[min(row["line"], len(block.lines)) - 1].first
            added += reader.add(frame_kind, rows)
    return added


def log(reader: Reader, block: Block) -> int | None:
    dialect = block.kind.split(":", 1)[1]
    command = block.command
    whose = (
        {"pod": command.name, "container": command.controller}
        if command is not None and command.verb in ("logs", "log")
        else {}
    )
    if dialect == "zap-json":
        texts = []
        for line in block.lines:
            closed = close_json(line.text) if segmenting.json_record(line.text) is None else None
            texts.append(closed if closed is not None else line.text)
            if closed is not None:
                reader.cut.append(line.first)
                reader.repairs.append(f"line {line.first}: a JSON record cut short, read as far as it goes")
        from parsers import zap_log

        # a first line that is no record (a cut one that could not be closed) is read alone
        together = segmenting.json_record(texts[0]) is not None
        reader.queue(zap_log.parse, block.lines, "\n".join(texts) + "\n", together=together)
        return 0
    if dialect in ("klog", "logfmt"):
        parse = klog_log.parse if dialect == "klog" else logfmt_log.parse
        reader.queue(parse, block.lines, "\n".join(line.text for line in block.lines) + "\n", **whose)
        return 0
    from parsers import cri_log, flux_logs, kubectl_log, kubectl_prefix_log, zap_console_log

    parser = {
        "kubectl-prefix": kubectl_prefix_log,
        "kubectl-timestamps": kubectl_log,
        "cri": cri_log,
        "flux-logs": flux_logs,
        "zap-console": zap_console_log,
    }[dialect]
    # CRI's partial lines and the prefixed dialects' markers may reach past a block: each alone
    reader.queue(parser.parse, block.lines, "\n".join(line.text for line in block.lines) + "\n", together=False)
    return 0


def after_logs(reader: Reader) -> None:
    """A JSON record cut before its object's keys is about a release it does not name."""
    logs = reader.result.frames.get("logs")
    if reader.cut and logs is not None:
        unnamed = pl.col("line").is_in(reader.cut) & pl.col("release").is_null()
        reader.result.frames["logs"] = logs.with_columns(
            pl.when(unnamed).then(pl.lit("?/?")).otherwise(pl.col("release")).alias("release")
        )


def flux_cli(reader: Reader, block: Block) -> int | None:
    """`flux check`, `flux reconcile` and other flux CLI output (► ✔ ✗ ◎ markers)."""
    from parsers.controllers import image_version

    controllers, found = [], []
    for line in block.lines:
        text = re.sub(r"^\s*[►✔✗◎⚠✚✓✘]\s*", "", line.text)
        controller, version = image_version(text.strip()) if "/" in text else (None, None)
        if controller:
            controllers.append(
                {
                    "controller": controller,
                    "namespace": "flux-system",
                    "container": controller,
                    "image": text.strip(),
                    "version": version,
                    "instance": "spec",
                    "excerpt": excerpt(line.text),
                    "source": reader.source,
                    "line": line.first,
                }
            )
            continue
        if re.match(r"^\s*[✗✘]", line.text):
            message = re.sub(r"^(?:Kustomization|HelmRelease) reconciliation failed: ", "", text)
            row = messages.row(message, line.first, reader.source, block.command, raw=line.text)
            row["component"] = row["component"] or "flux"
            found.append(row)
    return reader.add("controllers", controllers) + reader.add("events", found)


def helm_status(reader: Reader, block: Block) -> int | None:
    """`helm status` output: the Helm release's status and revision (labels of its storage)."""
    fields = {}
    for line in block.lines:
        key, _, value = line.text.partition(":")
        fields.setdefault(key.strip(), (value.strip(), line))
    if "NAME" not in fields or "STATUS" not in fields:
        return message(reader, block)
    name, line = fields["NAME"]
    namespace = fields.get("NAMESPACE", ("?", line))[0]
    revision = fields.get("REVISION", ("", line))[0]
    status_text, status_line = fields["STATUS"]
    return reader.add(
        "helm_storage",
        [
            {
                "release": f"{namespace}/{name}",
                "revision": int(revision) if revision.isdigit() else None,
                "status": status_text.lower(),
                "modified_at": tables.helm_time(fields.get("LAST DEPLOYED", (None, line))[0]),
                "excerpt": excerpt(status_line.text),
                "source": reader.source,
                "line": status_line.first,
            }
        ],
    )


def kv(reader: Reader, block: Block) -> int | None:
    """Labels of an alert (`- key = value`, a `| field | value |` table) and its annotations
    (`- summary: text`: the alert's words about the state, not the controller's), gathered over
    the paste and read at its end (`alert`)."""
    found_any = False
    for line in block.lines:
        found = re.match(r"^\s*[-*]\s+([\w.\-]+)(?: =|:) (.*)$", line.text) or re.match(
            r"^\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*$", line.text
        )
        if found and not set(found.group(2)) <= set("-: "):
            found_any = True
            reader.labels.setdefault(
                found.group(1).strip().lower().replace(" ", "_").replace("-", "_"), (found.group(2).strip(), line)
            )
    return 0 if found_any else None


def prom(reader: Reader, block: Block) -> int | None:
    """Metric series: `gotk_reconcile_condition{kind="HelmRelease",...,status="False",type="Ready"} 1`
    (the metric name may be left out): the status whose series is 1 is the object's."""
    rows = []
    for line in block.lines:
        labels = dict(re.findall(r'(\w+)="([^"]*)"', line.text))
        value = re.search(r"\}\s*([\d.eE+-]+)\s*$", line.text)
        if (
            labels.get("kind") == "HelmRelease"
            and labels.get("type") == "Ready"
            and value
            and float(value.group(1)) == 1
        ):
            namespace, name = labels.get("exported_namespace") or labels.get("namespace"), labels.get("name")
            if name:
                rows.append(
                    {
                        "release": f"{namespace or '?'}/{name}",
                        "namespace": namespace,
                        "name": name,
                        "ready_status": labels.get("status"),
                        "status_format": "unknown",
                        "status_format_basis": "a metric series: Ready status only",
                        "input_format": "metric",
                        "depends_on": [],
                        "excerpt": excerpt(line.text),
                        "source": reader.source,
                        "line": line.first,
                    }
                )
    return reader.add("releases", rows)


def api_resource(reader: Reader, block: Block) -> int | None:
    """`kubectl api-resources` rows: which kinds the cluster serves (read, nothing to add)."""
    return 0


def message(reader: Reader, block: Block) -> int | None:
    text = "\n".join(line.text.rstrip() for line in block.lines).strip()
    text = re.sub(r"^[-*]\s+[\w.\-]+:\s+", "", text)  # `- description: <text>` of an alert's annotations
    if not messages.known(text):
        return None
    return reader.add(
        "events", [messages.row(text, block.lines[0].first, reader.source, block.command, raw=block.lines[0].text)]
    )


def alert(reader: Reader) -> None:
    """What is read from the whole paste: a kube-state-metrics alert on a HelmRelease carries
    its kind, namespace (`exported_namespace`: `namespace` is kube-state-metrics' own), name,
    Ready status and reason, and whether it is Stalled."""
    record = reader.labels
    kind = (record.get("customresource_kind") or record.get("kind") or ("", None))[0]
    name = (record.get("name") or ("", None))[0]
    if kind != "HelmRelease" or not name:
        return
    namespace = (
        record.get("exported_namespace")
        or record.get("customresource_namespace")
        or record.get("namespace")
        or (None, None)
    )[0]
    ready, ready_line = record.get("ready") or record.get("ready_status") or (None, record["name"][1])
    reason = (record.get("ready_reason") or record.get("not_ready_reason") or (None, None))[0]
    release = f"{namespace or '?'}/{name}"
    common = {"excerpt": excerpt(ready_line.text), "source": reader.source, "line": ready_line.first}
    reader.add(
        "releases",
        [
            {
                "release": release,
                "namespace": namespace,
                "name": name,
                "ready_status": ready,
                "ready_reason": reason,
                "status_format": "unknown",
                "status_format_basis": "alert labels: Ready status and reason only",
                "input_format": "alert",
                "chart": (record.get("chart_name") or (None, None))[0],
                "chart_version": (record.get("revision") or (None, None))[0],
                "depends_on": [],
                **common,
            }
        ],
    )
    conditions = [{"release": release, "type": "Ready", "status": ready, "reason": reason, **common}] if ready else []
    stalled = record.get("stalled")
    if stalled and stalled[0] == "True":
        conditions.append(
            {
                "release": release,
                "type": "Stalled",
                "status": "True",
                "reason": reason,
                "excerpt": excerpt(stalled[1].text),
                "source": reader.source,
                "line": stalled[1].first,
            }
        )
    reader.add("conditions", conditions)


# block kind (parsers.paste.blocks) -> its reader
READERS = {
    "table": table,
    "header": table,
    "events-table": events_table,
    "rows": rows,
    "describe": describe,
    "events": events,
    "event-row": events,
    "yaml": yaml,
    "json": json,
    "log": log,
    "flux-cli": flux_cli,
    "helm-status": helm_status,
    "kv": kv,
    "prom": prom,
    "api-resource": api_resource,
    "message": message,
}
