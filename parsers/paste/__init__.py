"""Text as users paste it into a ticket -> every frame it has evidence for.

A paste mixes what the other parsers read one per file: the command and its prompt, a table,
a `kubectl describe` fragment, YAML, log records of any dialect, flux and helm CLI output,
alert labels, a status message on its own. It is read by line and by block:

1. `clean`: what the terminal, the shell and Markdown added is taken off (each physical line
   keeps its number; nothing is dropped without a role that says why);
2. `blocks`: the cleaned lines are cut into blocks of one format;
3. each block is read by the parser of its format (`flux_tables`, `event_tables`,
   `describe_hr`, the log parsers, `parsers.kube` objects) or by the small readers here
   (headerless rows, source and Helm tables, flux/helm CLI output, alert labels, metric
   series, messages), and their rows cite the original line numbers.

Every physical line ends up used by a block, cleaned away (counted by why in the inventory
note), or a problem row with its reason.
"""

from __future__ import annotations

import re
from collections import Counter

import polars as pl

from parsers import describe_hr, event_tables, flux_tables, klog_log, logfmt_log
from parsers._base import ParseResult, excerpt, frame
from parsers.paste import blocks as segmenting
from parsers.paste import clean, messages, tables, yamlish
from parsers.paste.names import subject
from parsers.paste.blocks import Block
from parsers.paste.clean import Line

NAME = "paste"
KIND = "any frame: tables, describe fragments, YAML, logs, CLI output, messages"
TIMESTAMPS = {"first_ts": "a message's own time when the paste shows one, else null"}
# A paste is small; a bigger text member is a log or a document and goes to its own parser.
MAX_BYTES = 2 * 1024 * 1024


def matches(path: str, head: bytes) -> bool:
    """Text: no NUL byte, and decodes as UTF-8 (a few replaced characters allowed)."""
    if b"\x00" in head:
        return False
    text = head.decode("utf-8", errors="replace")
    return text.count("\ufffd") <= max(2, len(text) // 100)


def parse(data: bytes, source: str) -> ParseResult:
    return read(data, source)[0]


def read(data: bytes, source: str) -> tuple[ParseResult, dict[int, str]]:
    """The paste's frames, and what became of each physical line (1-based): `read: <block>`,
    `cleaned: <role>` or `problem: <reason>`."""
    result = ParseResult(NAME)
    text = data.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in data:
        result.problem(source, None, "invalid UTF-8 replaced with U+FFFD")
    lines = clean.clean(text)
    reader = _Reader(source, result)
    for line in lines:
        if not line.content:
            reader.account[line.first] = f"cleaned: {line.role}"
    for block in segmenting.segment(lines):
        reader.read(block)
    reader.finish()
    if result.rows() == 0 and reader.unread > 1:  # nothing in it is known: one problem row says so
        first = min((p["line"] for p in result.problems if p["line"]), default=None)
        excerpt_text = next((p["excerpt"] for p in result.problems if p["line"] == first), "")
        result.problems = [p for p in result.problems if p["line"] is None]
        result.problem(source, first, f"no line of it is a known output, log line or message ({reader.unread} lines)", excerpt_text)
    result.note = _note(lines, reader)
    if len(reader.parsers) == 1 and sum(reader.read_as.values()) == 1:
        result.parser = reader.parsers.pop()  # one block, read by that parser: named after it
    return result, reader.account


class _Reader:
    """Reads blocks into one ParseResult, remapping delegated parsers' lines to the paste's."""

    def __init__(self, source: str, result: ParseResult) -> None:
        self.source, self.result = source, result
        self.read_as: Counter[str] = Counter()  # block kind -> blocks read
        self.unread = 0
        self.repairs: list[str] = []
        self.labels: dict[str, tuple[str, Line]] = {}  # alert labels, from every list of the paste
        self.parsers: set[str] = set()  # the parsers blocks were handed to
        self.notes: list[str] = []  # their notes
        self.account: dict[int, str] = {}  # physical line -> what became of it

    def read(self, block: Block) -> None:
        kind = block.kind
        method = getattr(self, "_" + kind.split(":")[0].replace("-", "_"), None)
        rows = method(block) if method else None
        if rows is None:  # nothing known in it: every line a problem row
            for line in block.lines:
                self.result.problem(self.source, line.first, "not a known output, log line or message", line.text)
                for number in range(line.first, line.last + 1):
                    self.account[number] = "problem: not a known output, log line or message"
            self.unread += len(block.lines)
            return
        for line in block.lines:
            for number in range(line.first, line.last + 1):
                self.account[number] = f"read: {kind}"
        self.read_as[kind if not kind.startswith("log:") else "log " + kind[4:]] += 1

    # --- delegation -------------------------------------------------------------------------

    def delegate(self, parse, lines: list[Line], text: str | None = None, header: int = 0, **options) -> int:
        """Hand `lines` (or `text`, whose first `header` lines are not from the paste) to a
        parser; its rows and problems are added with the paste's line numbers. Returns rows."""
        body = text if text is not None else "\n".join(line.text for line in lines) + "\n"
        sub = parse(body.encode("utf-8"), self.source, **options)
        self.parsers.add(sub.parser)
        first = {i + 1 + header: line.first for i, line in enumerate(lines)}
        last = {i + 1 + header: line.last for i, line in enumerate(lines)}
        raw = {i + 1 + header: line.text for i, line in enumerate(lines)}
        added = 0
        for kind, df in sub.frames.items():
            if df.height == 0:
                continue
            columns = {"line": pl.col("line").replace_strict(first, default=None, return_dtype=pl.Int64)}
            if "line_end" in df.columns:
                columns["line_end"] = pl.col("line_end").replace_strict(last, default=None, return_dtype=pl.Int64)
            if kind == "logs":
                columns["raw"] = pl.coalesce(pl.col("raw"), pl.col("line").replace_strict(raw, default=None, return_dtype=pl.String))
                columns["offset"] = pl.lit(None, pl.Int64)
            self.result.add(kind, df.with_columns(**columns))
            added += df.height
        for problem in sub.problems:
            line = first.get(problem["line"]) if problem["line"] is not None else None
            if problem["line"] is not None and problem["line"] <= header:
                continue
            self.result.problem(self.source, line, problem["reason"], problem["excerpt"])
        self.notes.append(sub.note)
        return added

    def add(self, kind: str, rows: list[dict]) -> int:
        self.result.add(kind, frame(kind, rows))
        return len(rows)

    # --- block readers: each returns rows added (0: read, nothing to add) or None (unknown) ---

    def _table(self, block: Block) -> int | None:
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
        if kind == "HelmRelease" and flux_tables._HEADER.match(header.text.replace("\t", " ")):
            return self.delegate(flux_tables.parse, [header, *body], namespace=flux_tables.default_namespace(block.command))
        if kind in tables.SOURCE_KINDS:
            return self.add("sources", [tables.source_row(r, kind, namespace, self.source, line) for r, line in zip(rows, body) if r.get("NAME")])
        if kind == "HelmRelease (Helm)":
            found = [tables.storage_row(r, block.command, self.source, line) for r, line in zip(rows, body)]
            return self.add("helm_storage", [r for r in found if r])
        if kind == "Pod":
            found = [tables.pod_row(r, namespace, self.source, line) for r, line in zip(rows, body)]
            return self.add("controllers", [r for r in found if r])
        # Kustomizations, `flux get all`, api-resources, anything else: the rows' messages
        # that name a HelmRelease are evidence for it (a dry-run or health-check failure)
        return self._named_messages(body, rows, block)

    def _named_messages(self, body: list[Line], rows: list[dict[str, str]], block: Block) -> int:
        out = []
        for row, line in zip(rows, body):
            text = row.get("MESSAGE") or row.get("STATUS") or ""
            if "HelmRelease" in text:
                found = messages.row(text, line.first, self.source, block.command, raw=line.text)
                if found["release"]:
                    out.append(found)
        return self.add("events", out)

    def _events_table(self, block: Block) -> int | None:
        body = tables.join_wrapped(block.lines[1:], lambda text: bool(re.match(r"^\S", text)) or not text.strip())
        command = block.command
        namespace = (command.namespace or ("default" if command.tool == "kubectl" else "flux-system")) if command is not None and command.tool and not command.all_namespaces else None
        return self.delegate(event_tables.parse, [block.lines[0], *body], namespace=namespace)

    def _rows(self, block: Block) -> int | None:
        """Rows of `flux get` / `kubectl get` without their header."""
        rows = tables.join_wrapped(block.lines, lambda text: tables.headerless(Line(text, 0, 0)) is not None)
        releases, conditions, found = [], [], 0
        command = block.command
        for line in rows:
            cells = tables.headerless(line)
            if cells is None:
                self.result.problem(self.source, line.first, "not a table row", line.text)
                continue
            found += 1
            kind, _, name = cells["NAME"].rpartition("/")
            looks_git = bool(tables._GIT_REVISION.search(cells.get("REVISION", "")))
            if (kind and kind.lower() != "helmrelease") or (command and command.kind not in (None, "HelmRelease")) or (not kind and looks_git and not command):
                self._named_messages([line], [cells], block)
                continue
            cells["NAME"] = name
            namespace, basis = cells.get("NAMESPACE"), None
            if not namespace and flux_tables.default_namespace(command):
                namespace, basis = flux_tables.default_namespace(command), "namespace from the pasted command"
            if not namespace:
                named = subject(cells.get("MESSAGE", ""))
                if named and named.name == name and named.namespace:
                    namespace, basis = named.namespace, named.basis
            release_row, condition_row = flux_tables.rows(cells, namespace, cells["_form"], self.source, line.first, line.text, basis)
            releases.append(release_row)
            if condition_row:
                conditions.append(condition_row)
        if not found:
            return None
        return self.add("releases", releases) + self.add("conditions", conditions)

    def _describe(self, block: Block) -> int | None:
        command = block.command
        hints = {}
        if command is not None and command.verb == "describe":
            hints = {"kind": command.kind, "namespace": command.namespace, "name": command.name}
        text = block.text
        if not re.search(r"(?m)^(?:Name|Status|Spec|Metadata|Events|Kind|API Version):", text):
            return self._message(block)
        return self.delegate(describe_hr.parse, block.lines, **hints)

    def _events(self, block: Block) -> int | None:
        """`Events:` rows pasted without the describe they come from."""
        command = block.command
        hints = {"kind": command.kind, "namespace": command.namespace, "name": command.name} if command is not None and command.verb == "describe" else {}
        added = self.delegate(describe_hr.parse, block.lines, text="Events:\n" + block.text + "\n", header=1, **hints)
        # the rows say nothing of their object: the release is the one their message names
        return added

    def _yaml(self, block: Block) -> int | None:
        """YAML objects; lines that only look like YAML (`error: ...`, `reason: x` pasted on their
        own) are read as messages."""
        if not re.search(r"(?m)^\s*(?:- )?(?:apiVersion|kind|metadata|spec|status|conditions|items|history|lastTransitionTime|type):", block.text):
            return self._message(block)
        return self._objects(block)

    def _json(self, block: Block) -> int | None:
        return self._objects(block)

    def _objects(self, block: Block) -> int | None:
        from parsers.kube import KubeObject
        from parsers.objects import EXTRACTORS, _STATUS_KEYS
        from parsers import helmrelease

        objects, problems, notes = yamlish.load_objects(block.text)
        for line, reason in problems:
            at = block.lines[min(line, len(block.lines)) - 1].first if line else block.lines[0].first
            self.result.problem(self.source, at, reason, block.lines[0].text)
        if not objects:
            return None if not problems else 0
        self.repairs += notes
        body = [line.text for line in block.lines]
        added = 0
        command = block.command
        for obj in objects:
            doc = obj.doc
            kind = str(doc.get("kind") or "")
            if not kind and ("status" in doc and set(doc) <= {"status"} or set(doc) <= _STATUS_KEYS and doc):
                status = doc.get("status", doc) if isinstance(doc.get("status", doc), dict) else {}
                history = [h for h in status.get("history") or [] if isinstance(h, dict)]
                name = (history[0].get("name") if history else None) or (command.name if command and command.kind == "HelmRelease" else None)
                namespace = (history[0].get("namespace") if history else None) or (command.namespace if command else None)
                doc = {"kind": "HelmRelease", "metadata": {"name": name or "?", "namespace": namespace or "?"}, "status": status}
                kind = "HelmRelease"
            elif not kind and helmrelease.looks_like(doc):
                kind = "HelmRelease"
            if kind == "HelmRelease":
                meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
                doc = {**doc, "kind": kind, "metadata": {**meta, "name": meta.get("name") or "?", "namespace": meta.get("namespace") or (command.namespace if command else None) or "?"}}
            extract = EXTRACTORS.get(kind)
            if extract is None:
                continue
            for frame_kind, rows in extract(KubeObject(doc, obj.start, obj.end), body, self.source).items():
                for row in rows:
                    yamlish.unknown_names(row)
                    if "line" in row and row["line"]:
                        row["line"] = block.lines[min(row["line"], len(block.lines)) - 1].first
                added += self.add(frame_kind, rows)
        return added

    def _log(self, block: Block) -> int | None:
        dialect = block.kind.split(":", 1)[1]
        command = block.command
        whose = {"pod": command.name, "container": command.controller} if command is not None and command.verb in ("logs", "log") else {}
        if dialect == "zap-json":
            cut, texts = [], []
            for line in block.lines:
                closed = close_json(line.text) if segmenting.json_record(line.text) is None else None
                texts.append(closed if closed is not None else line.text)
                if closed is not None:
                    cut.append(line.first)
                    self.repairs.append(f"line {line.first}: a JSON record cut short, read as far as it goes")
            from parsers import zap_log

            added = self.delegate(zap_log.parse, block.lines, text="\n".join(texts) + "\n")
            logs = self.result.frames.get("logs")
            if cut and logs is not None:  # a record cut before its object's keys: about a release not named
                unnamed = pl.col("line").is_in(cut) & pl.col("release").is_null()
                self.result.frames["logs"] = logs.with_columns(pl.when(unnamed).then(pl.lit("?/?")).otherwise(pl.col("release")).alias("release"))
            return added
        if dialect == "klog":
            return self.delegate(klog_log.parse, block.lines, **whose)
        if dialect == "logfmt":
            return self.delegate(logfmt_log.parse, block.lines, **whose)
        from parsers import cri_log, flux_logs, kubectl_log, zap_console_log

        parser = {"kubectl-timestamps": kubectl_log, "cri": cri_log, "flux-logs": flux_logs, "zap-console": zap_console_log}[dialect]
        return self.delegate(parser.parse, block.lines)

    def _flux_cli(self, block: Block) -> int | None:
        """`flux check`, `flux reconcile` and other flux CLI output (► ✔ ✗ ◎ markers)."""
        from parsers.controllers import image_version

        controllers, found = [], []
        for line in block.lines:
            text = re.sub(r"^\s*[►✔✗◎⚠✚✓✘]\s*", "", line.text)
            controller, version = image_version(text.strip()) if "/" in text else (None, None)
            if controller:
                controllers.append({"controller": controller, "namespace": "flux-system", "container": controller, "image": text.strip(), "version": version, "instance": "spec", "excerpt": excerpt(line.text), "source": self.source, "line": line.first})
                continue
            if re.match(r"^\s*[✗✘]", line.text):
                message = re.sub(r"^(?:Kustomization|HelmRelease) reconciliation failed: ", "", text)
                row = messages.row(message, line.first, self.source, block.command, raw=line.text)
                row["component"] = row["component"] or "flux"
                found.append(row)
        return self.add("controllers", controllers) + self.add("events", found)

    def _helm_status(self, block: Block) -> int | None:
        """`helm status` output: the Helm release's status and revision (labels of its storage)."""
        fields = {}
        for line in block.lines:
            key, _, value = line.text.partition(":")
            fields.setdefault(key.strip(), (value.strip(), line))
        if "NAME" not in fields or "STATUS" not in fields:
            return self._message(block)
        name, line = fields["NAME"]
        namespace = fields.get("NAMESPACE", ("?", line))[0]
        revision = fields.get("REVISION", ("", line))[0]
        status_text, status_line = fields["STATUS"]
        return self.add(
            "helm_storage",
            [{"release": f"{namespace}/{name}", "revision": int(revision) if revision.isdigit() else None, "status": status_text.lower(),
              "modified_at": tables.helm_time(fields.get("LAST DEPLOYED", (None, line))[0]), "excerpt": excerpt(status_line.text), "source": self.source, "line": status_line.first}],
        )

    def _kv(self, block: Block) -> int | None:
        """Labels of an alert (`- key = value`, a `| field | value |` table), gathered over the
        paste and read at its end (`finish`)."""
        found_any = False
        for line in block.lines:
            found = re.match(r"^\s*[-*]\s+([\w.\-]+) = (.*)$", line.text) or re.match(r"^\s*\|\s*([^|]+?)\s*\|\s*([^|]*?)\s*\|\s*$", line.text)
            if found and not set(found.group(2)) <= set("-: "):
                found_any = True
                self.labels.setdefault(found.group(1).strip().lower().replace(" ", "_").replace("-", "_"), (found.group(2).strip(), line))
        return 0 if found_any else None

    def finish(self) -> None:
        """What is read from the whole paste: a kube-state-metrics alert on a HelmRelease carries
        its kind, namespace (`exported_namespace`: `namespace` is kube-state-metrics' own), name,
        Ready status and reason, and whether it is Stalled."""
        record = self.labels
        kind = (record.get("customresource_kind") or record.get("kind") or ("", None))[0]
        name = (record.get("name") or ("", None))[0]
        if kind != "HelmRelease" or not name:
            return
        namespace = (record.get("exported_namespace") or record.get("customresource_namespace") or record.get("namespace") or (None, None))[0]
        ready, ready_line = record.get("ready") or record.get("ready_status") or (None, record["name"][1])
        reason = (record.get("ready_reason") or record.get("not_ready_reason") or (None, None))[0]
        release = f"{namespace or '?'}/{name}"
        common = {"excerpt": excerpt(ready_line.text), "source": self.source, "line": ready_line.first}
        self.add("releases", [{"release": release, "namespace": namespace, "name": name, "ready_status": ready, "ready_reason": reason,
                               "status_format": "unknown", "status_format_basis": "alert labels: Ready status and reason only", "input_format": "alert",
                               "chart": (record.get("chart_name") or (None, None))[0], "chart_version": (record.get("revision") or (None, None))[0], "depends_on": [], **common}])
        conditions = [{"release": release, "type": "Ready", "status": ready, "reason": reason, **common}] if ready else []
        stalled = record.get("stalled")
        if stalled and stalled[0] == "True":
            conditions.append({"release": release, "type": "Stalled", "status": "True", "reason": reason, "excerpt": excerpt(stalled[1].text), "source": self.source, "line": stalled[1].first})
        self.add("conditions", conditions)

    def _prom(self, block: Block) -> int | None:
        """Metric series: `gotk_reconcile_condition{kind="HelmRelease",...,status="False",type="Ready"} 1`
        (the metric name may be left out): the status whose series is 1 is the object's."""
        rows = []
        for line in block.lines:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', line.text))
            value = re.search(r"\}\s*([\d.eE+-]+)\s*$", line.text)
            if labels.get("kind") == "HelmRelease" and labels.get("type") == "Ready" and value and float(value.group(1)) == 1:
                namespace, name = labels.get("exported_namespace") or labels.get("namespace"), labels.get("name")
                if name:
                    rows.append({"release": f"{namespace or '?'}/{name}", "namespace": namespace, "name": name, "ready_status": labels.get("status"),
                                 "status_format": "unknown", "status_format_basis": "a metric series: Ready status only", "input_format": "metric",
                                 "depends_on": [], "excerpt": excerpt(line.text), "source": self.source, "line": line.first})
        return self.add("releases", rows)

    def _api_resource(self, block: Block) -> int | None:
        """`kubectl api-resources` rows: which kinds the cluster serves (read, nothing to add)."""
        return 0

    def _message(self, block: Block) -> int | None:
        text = "\n".join(line.text.rstrip() for line in block.lines).strip()
        text = re.sub(r"^[-*]\s+[\w.\-]+:\s+", "", text)  # `- description: <text>` of an alert's annotations
        if not messages.known(text):
            return None
        return self.add("events", [messages.row(text, block.lines[0].first, self.source, block.command, raw=block.lines[0].text)])

    _header = _table
    _event_row = _events


def close_json(text: str) -> str | None:
    """A JSON record cut short, closed so that it decodes: an open string ends with `...`, open
    objects and arrays are closed; a dangling key is dropped. None when that does not decode."""
    import json

    stack: list[str] = []
    in_string = escaped = False
    last_complete = 0  # offset after the last complete value inside the record
    for i, char in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
            continue
        if char == '"':
            in_string = True
        elif char in "{[":
            stack.append("}" if char == "{" else "]")
        elif char in "}]" and stack:
            stack.pop()
        elif char == ",":
            last_complete = i
    candidates = []
    if in_string:
        body = text[:-1] if escaped else text
        candidates.append(body + '..."' + "".join(reversed(stack)))
    candidates.append(text.rstrip().rstrip(",") + "".join(reversed(stack)))
    if last_complete:
        candidates.append(text[:last_complete] + "".join(reversed(stack)))
    for candidate in candidates:
        try:
            if isinstance(json.loads(candidate), dict):
                return candidate
        except ValueError:
            continue
    return None


_ROLES = {"blank": "blank", "command": "command line", "prompt": "bare prompt", "fence": "Markdown fence", "markdown": "Markdown",
          "frame": "frame border", "elision": "elision"}


def _note(lines: list[Line], reader: _Reader) -> str:
    roles = Counter(line.role for line in lines if not line.content)
    joined = sum(line.last - line.first for line in lines if line.content)
    single = len(reader.notes) == 1 and sum(reader.read_as.values()) == 1
    parts = [reader.notes[0] if single else ", ".join(f"{kind}×{n}" if n > 1 else kind for kind, n in sorted(reader.read_as.items())) or "nothing read"]
    cleaned = [f"{n} {_ROLES.get(role, role)}" + ("s" if n > 1 and not _ROLES.get(role, role).endswith("s") else "") for role, n in sorted(roles.items())]
    if cleaned:
        parts.append("cleaned away: " + ", ".join(cleaned))
    if joined:
        parts.append(f"{joined} wrapped line(s) joined")
    if reader.unread:
        parts.append(f"{reader.unread} line(s) not understood")
    commands = [line.command.text for line in lines if line.role == "command" and line.command]
    if commands:
        parts.append("pasted command: " + " | ".join(commands)[:200])
    parts += reader.repairs[:5]
    return "; ".join(parts)
