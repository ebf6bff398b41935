"""The cleaned lines of a paste, cut into blocks: a table, a describe fragment, YAML, a run of
log records of one dialect, flux or helm CLI output, alert labels, metric series, messages.

Each content line is first given a class by its own shape (`classify`); blocks are then runs of
lines that belong together (a table header and its rows, with a row's wrapped continuation; a
describe fragment down to the next blank line; a log run of one dialect). A line that starts
nothing known is a message of its own, or the continuation of the message before it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from parsers.paste.clean import Line, is_header, is_row
from parsers.paste.commands import Command

TS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)"
LOG_DIALECTS = {
    # the line shapes of the log parsers (parsers/*_log.py), tried in this order: a kubelet
    # timestamp followed by any text is the last of the timestamped shapes
    "kubectl-prefix": re.compile(r"^\[pod/[^/\]\s]+/[^\]\s]*\] "),
    "cri": re.compile(r"^" + TS + r" (?:stdout|stderr) [FP] "),
    "flux-logs": re.compile(r"^" + TS + r" \S+ [^\s/]*(?:/\S+)? - "),
    "zap-console": re.compile(r"^" + TS + r"\t[A-Za-z()\-0-9]+\t"),
    "kubectl-timestamps": re.compile(r"^" + TS + r" (?:\{|" + TS + r"\t|\S)"),
    "klog": re.compile(r"^[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+\s+\d+ [^\s:]+:\d+\] "),
    "logfmt": re.compile(
        r"^(?:ts|time|level|caller|component|msg)=\S*(?: \w[\w.-]*=(?:\"(?:[^\"\\]|\\.)*\"|\S*))+\s*$"
    ),
}
_DESCRIBE = re.compile(r"^(?P<indent> *)(?P<label>[A-Z][A-Za-z0-9 .\-/_]*?):(?:[ \t]+\S.*|\s*)$")
_YAML = re.compile(r"^(?P<indent> *)(?:- )?(?P<key>[a-z][A-Za-z0-9_.\-/]*|\"[^\"]+\"):(?: .*|\s*)$")
_EVENT_ROW = re.compile(r"^\s*(?:Normal|Warning)\s{2,}\S+\s{2,}\S")
_FLUX_CLI = re.compile(r"^\s*[►✔✗◎⚠✚✓✘]")
_HELM_STATUS = re.compile(
    r"^(?:NAME|LAST DEPLOYED|NAMESPACE|STATUS|REVISION|TEST SUITE|NOTES|CHART|VERSION|APP VERSION|DESCRIPTION):(?:\s|$)"
)
# alert labels (`- key = value`), an alert's annotations (`- summary: text`), a Markdown table row
_KV = re.compile(
    r"^\s*[-*]\s+[\w.\-]+ = .*$|^\s*[-*]\s+(?:summary|description|message|runbook_url): .*$|^\s*\|.*\|\s*$"
)
_API_RESOURCE = re.compile(r"^[a-z][\w-]*\s+(?:[\w,-]+\s+)?(?:[\w.-]+/)?v\d\w*\s+(?:true|false)\s+[A-Z]\w*\s*$")
_ERROR_LINE = re.compile(r"^\s*(?:error|Error|warning|Warning|fatal|FATAL):\s")
_PROM = re.compile(r"^\s*[a-zA-Z_:][\w:]*\{|^\s*\{\s*\w+=\"")
# a zap JSON record cut short (the end of an excerpt, a rotated file): still a log record
_CUT_RECORD = re.compile(r'^\s*\{\s*"(?:level|ts|msg|logger|time|severity|L|T|M)"\s*:')


@dataclass
class Block:
    kind: str  # table, rows, describe, events, yaml, json, log:<dialect>, flux-cli, helm-status, kv, prom, message
    lines: list[Line] = field(default_factory=list)
    command: Command | None = None  # the command pasted before it, if any

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


def json_record(text: str) -> dict | None:
    """A line that is a whole JSON object, else None."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")):
        return None
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def classify(text: str) -> str:
    """The class of one content line by its own shape."""
    stripped = text.strip()
    if _PROM.match(text):
        return "prom"
    if _API_RESOURCE.match(text):
        return "api-resource"
    if stripped.startswith("{"):
        return "json"
    if stripped.startswith("[") and (stripped == "[" or stripped.startswith(("[{", '["', "[ {"))):
        return "json"
    for dialect, pattern in LOG_DIALECTS.items():
        if pattern.match(text):
            return "log:" + dialect
    if _FLUX_CLI.match(text):
        return "flux-cli"
    if is_header(text):
        return "header"
    if _HELM_STATUS.match(text):
        return "helm-status"
    if _EVENT_ROW.match(text):
        return "event-row"
    if _KV.match(text):
        return "kv"
    if is_row(text):
        return "row"
    if _YAML.match(text) and not _ERROR_LINE.match(text):
        return "yaml"
    if _DESCRIBE.match(text):
        return "describe"
    return "text"


def segment(lines: list[Line]) -> list[Block]:
    """Blocks of the content lines, in order; non-content lines end blocks (a command also
    becomes the context of the blocks after it)."""
    blocks: list[Block] = []
    current: Block | None = None
    command: Command | None = None
    for line in lines:
        if not line.content:
            if line.role == "command":
                command = line.command
            if line.role in ("blank", "command", "prompt", "elision", "fence") and current is not None:
                current = None
            continue
        kind = classify(line.text)
        if current is not None and _continues(current, kind, line):
            current.lines.append(line)
            continue
        current = Block(_block_kind(kind, line), [line], command)
        blocks.append(current)
    return blocks


def _block_kind(kind: str, line: Line) -> str:
    if kind == "header":
        return (
            "events-table"
            if line.text.lstrip().startswith(("LAST SEEN", "NAMESPACE   LAST SEEN"))
            or re.search(r"\bLAST SEEN\b", line.text)
            else "table"
        )
    if kind == "event-row":
        return "events"
    if kind == "json":
        record = json_record(line.text)
        if record is not None:
            return "log:zap-json" if "msg" in record else "json"
        return "log:zap-json" if _CUT_RECORD.match(line.text) else "json"
    return {"row": "rows", "describe": "describe", "text": "message"}.get(kind, kind)


def _continues(block: Block, kind: str, line: Line) -> bool:
    """Whether `line` (of class `kind`) belongs to `block`."""
    text = line.text
    if block.kind in ("table", "events-table"):
        return kind not in ("header",)
    if block.kind == "rows":
        return kind in ("row", "text", "yaml", "describe")
    if block.kind == "describe":
        # the whole fragment down to the next blank line: values wrapped at column 0 included
        return kind not in ("header", "flux-cli") and not kind.startswith("log:")
    if block.kind == "events":
        return kind in ("event-row", "text", "yaml", "describe", "kv", "rows")
    if block.kind == "yaml":
        return kind in ("yaml", "text", "describe", "kv") and (text.startswith((" ", "-")) or kind == "yaml")
    if block.kind == "json":
        return True  # a document over several lines, to the next blank line
    if block.kind.startswith("log:"):
        dialect = block.kind
        if kind == dialect or (
            dialect == "log:zap-json" and kind == "json" and (json_record(text) is not None or _CUT_RECORD.match(text))
        ):
            return True
        # stack traces and wrapped record text stay with the record before them
        return kind == "text" and (
            text.startswith((" ", "\t", "goroutine ", "panic", "created by ")) or not _starts_something(text)
        )
    if block.kind in ("flux-cli", "helm-status", "kv", "prom", "api-resource"):
        return kind == block.kind or (block.kind == "helm-status" and kind in ("text", "describe"))
    if block.kind == "message":
        # a message over several lines: indented lines, list items, or after a line ending in ':'
        last = block.lines[-1].text.rstrip()
        return kind in ("text", "yaml", "describe", "kv") and (text.startswith((" ", "\t", "- ")) or last.endswith(":"))
    return False


def _starts_something(text: str) -> bool:
    return bool(re.match(r"^\s*(?:\$|#|\{|\d{4}-\d\d-\d\d|[A-Z]\w+:)", text))
