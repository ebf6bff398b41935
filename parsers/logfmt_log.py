"""logfmt lines (`key=value key="quoted value"`) -> logs: Flux v1's helm-operator and other
go-kit loggers.

helm-operator writes `ts=2020-06-01T10:00:00.123Z caller=release.go:85 component=release
release=podinfo targetNamespace=apps resource=apps:helmrelease/podinfo helmVersion=v3
error="Helm upgrade failed: ..."`: `resource=<ns>:helmrelease/<name>` names the HelmRelease,
`err`/`error` holds the failure (`error` what failed, `err` why, when both are written),
`msg` or `info` the message. A quoted value the terminal wrapped onto the next lines is joined.
"""

from __future__ import annotations

import re

import polars as pl

from parsers._base import ParseResult, frame, line_record, ts_value
from parsers.layouts import log_context

NAME = "logfmt-log"
FRAME_ROWS = 50_000
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
    if b"=" not in head:  # a record starts with `key=`: most members are told apart here
        return False
    records = _records(head.decode("utf-8", errors="replace"))
    lines = [line for _, _, line in records if line.strip()][:5]
    return bool(lines) and all(_RECORD.match(line) and len(fields(line)) >= 2 for line in lines)


def _unclosed(line: str) -> bool:
    """A quoted value is still open at the end of the line (the terminal wrapped it there)."""
    return len(re.findall(r'(?<!\\)"', line)) % 2 == 1


def _records(text: str):
    """(first line number, last line number, text) of each line, a record whose quoted value
    was wrapped onto the next lines joined with them."""
    lines = text.split("\n")
    number = 0
    while number < len(lines):
        line, first = lines[number].rstrip("\r"), number + 1
        while _RECORD.match(line) and _unclosed(line) and number + 1 < len(lines):
            following = lines[number + 1].rstrip("\r")
            if not following.strip() or _RECORD.match(following):
                break
            line, number = line + following, number + 1
        yield first, number + 1, line
        number += 1


def parse(data: bytes, source: str, *, pod: str | None = None, container: str | None = None) -> ParseResult:
    result = ParseResult(NAME)
    context = log_context(source)
    rows: list[dict] = []
    frames: list = []  # the rows as frames, FRAME_ROWS at a time: a dict a row costs ~10x its line
    count = 0
    for number, last, line in _records(data.decode("utf-8", errors="replace")):
        if len(rows) == FRAME_ROWS:
            frames.append(frame("logs", rows))
            count, rows = count + len(rows), []
        if not line.strip():
            continue
        found = fields(line) if _RECORD.match(line) else {}
        if len(found) < 2:
            result.problem(source, number, "not a logfmt line", line)
            continue
        # helm-operator: `error="<what failed>" err="<why>"`; other loggers one of the two
        what, why = found.get("error"), found.get("err")
        error = f"{what}: {why}" if what and why else why or what
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
                msg=found.get("msg") or found.get("info") or found.get("message") or what or (error and "error") or "",
                error=error,
                logger=found.get("component") or found.get("caller"),
                kind="HelmRelease" if resource else None,
                namespace=namespace,
                name=name,
                release=f"{namespace}/{name}" if resource else None,
                pod=context.get("pod") or pod,
                container=context.get("container") or container,
                line_end=last,
            )
        )
    frames.append(frame("logs", rows))
    result.add("logs", pl.concat(frames))
    result.note = f"{count + len(rows)} logfmt records"
    return result
