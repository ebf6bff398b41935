"""logfmt lines (`key=value key="quoted value"`) -> logs: Flux v1's helm-operator and other
go-kit loggers.

helm-operator writes `ts=2020-06-01T10:00:00.123Z caller=release.go:85 component=release
release=podinfo targetNamespace=apps resource=apps:helmrelease/podinfo helmVersion=v3
error="Helm upgrade failed: ..."`: `resource=<ns>:helmrelease/<name>` names the HelmRelease,
`err`/`error` holds the failure, `msg` or `info` the message.
"""

from __future__ import annotations

import re

from parsers._base import ParseResult, frame, line_record, ts_value
from parsers.layouts import log_context

NAME = "logfmt-log"
KIND = "logs"
TIMESTAMPS = {"ts": "the record's ts= / time= field"}

PAIR = re.compile(r'(?P<key>[\w.\-/]+)=(?:"(?P<quoted>(?:[^"\\]|\\.)*)"|(?P<bare>\S*))')
_RECORD = re.compile(r"^(?:ts|time|level|caller|component|msg)=")
_RESOURCE = re.compile(r"^(?P<ns>[^:]+):helmrelease/(?P<name>.+)$", re.I)


def fields(line: str) -> dict[str, str]:
    out = {}
    for found in PAIR.finditer(line):
        value = found["quoted"] if found["quoted"] is not None else found["bare"]
        out[found["key"]] = value.replace('\\"', '"').replace("\\\\", "\\") if found["quoted"] is not None else value
    return out


def matches(path: str, head: bytes) -> bool:
    lines = [line for line in head.decode("utf-8", errors="replace").splitlines()[:20] if line.strip()]
    return bool(lines) and all(_RECORD.match(line) and len(fields(line)) >= 2 for line in lines[:5])


def parse(data: bytes, source: str, *, pod: str | None = None, container: str | None = None) -> ParseResult:
    result = ParseResult(NAME)
    context = log_context(source)
    rows: list[dict] = []
    for number, raw in enumerate(data.decode("utf-8", errors="replace").split("\n"), start=1):
        line = raw.rstrip("\r")
        if not line.strip():
            continue
        found = fields(line) if _RECORD.match(line) else {}
        if len(found) < 2:
            result.problem(source, number, "not a logfmt line", line)
            continue
        error = found.get("err") or found.get("error")
        resource = _RESOURCE.match(found.get("resource", ""))
        namespace, name = (
            (resource["ns"], resource["name"])
            if resource
            else (
                found.get("namespace"),
                found.get("release") if resource is None and found.get("resource") is None else None,
            )
        )
        rows.append(
            line_record(
                line,
                number,
                source,
                "logfmt",
                ts=ts_value(found.get("ts") or found.get("time")),
                level=(found.get("level") or ("error" if error else "info")).lower(),
                msg=found.get("msg") or found.get("info") or found.get("message") or (error and "error") or "",
                error=error,
                logger=found.get("component") or found.get("caller"),
                kind="HelmRelease" if resource else None,
                namespace=namespace,
                name=name,
                release=f"{namespace}/{name}" if resource else None,
                pod=context.get("pod") or pod,
                container=context.get("container") or container,
            )
        )
    result.add("logs", frame("logs", rows))
    result.note = f"{len(rows)} logfmt records"
    return result
