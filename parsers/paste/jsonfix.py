"""A JSON log record cut short (the end of a pasted excerpt, a file rotated mid-line), closed
so that it decodes as far as it goes."""

from __future__ import annotations

import json


def close_json(text: str) -> str | None:
    """A JSON record cut short, closed so that it decodes: an open string ends with `...`, open
    objects and arrays are closed; a dangling key is dropped. None when that does not decode."""
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
