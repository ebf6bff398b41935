"""What a bundle is, once all of it was read: its root folder, its layout and when it was
collected, from the layout table (`parsers.layouts`).

Paths are relative to the bundle root: when every entry sits under one top folder
(troubleshoot's `support-bundle-<time>/`), that folder is the root. The collection time is the
text of a layout's stamp file (crust-gather's `collected.timestamp`), else a time in a name
(troubleshoot's, in the collector's local time): the root folder, the input's name or the top
folders of the members (a support bundle read inside a ticket's archive). Every layout's way is
tried, whatever the layout detected.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from forensics.bundle.safety import Member
from parsers import layouts

# Times outside this range are no time a controller wrote (Go's zero time is year 1; an age of
# 5000y anchored on the collection time): they are not placed on the timeline (forensics.load).
TIME_RANGE = (datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(2200, 1, 1, tzinfo=timezone.utc))
_NAME_TIMES = [layout.name_time for layout in layouts.LAYOUTS if layout.name_time]


@dataclass
class Bundle:
    """What was read: its members, layout and collection time."""

    name: str
    origin: str
    root: str = ""
    layout: str = "loose"
    members: list[Member] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    collected_at: datetime | None = None
    redactions: int = 0  # secret-looking values replaced by forensics.redact (set by load)


def finish(bundle: Bundle, files: list[Member], stamp: str | None) -> None:
    """The root taken off every path, links to files not in the bundle noted, the layout and
    the collection time set (`stamp`: the text of a layout's stamp file, when one was read)."""
    paths = [
        m.path for m in bundle.members if m.type != "archive"
    ]  # an archive read in place holds members, it is none
    tops = {p.split("/", 1)[0] for p in paths}
    if len(tops) == 1 and all("/" in p for p in paths):
        bundle.root = tops.pop()
    for member in bundle.members:
        member.path = strip_root(member.path, bundle.root)
        if member.target:
            member.target = strip_root(member.target, bundle.root)
    known = {m.path for m in files}
    for member in bundle.members:
        if member.type == "symlink" and member.target not in known:
            member.note = f"symlink to {member.target}, which is not in the bundle"
    bundle.layout = layouts.detect({m.path for m in bundle.members})
    bundle.collected_at = _stamp_time(stamp) or _name_time(bundle, [strip_root(path, bundle.root) for path in paths])


def strip_root(path: str, root: str) -> str:
    return path[len(root) + 1 :] if root and path.startswith(root + "/") else path


def display_name(path: Path) -> str:
    """The bundle's name: the input's, without its archive suffix."""
    name = path.name or path.resolve().name
    for suffix in (".tar.gz", ".tgz", ".tar", ".zip", ".gz"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _stamp_time(text: str | None) -> datetime | None:
    """The text of a layout's stamp file: an RFC3339 time (or epoch seconds)."""
    if not text:
        return None
    text = text.split()[0] if " " not in text.strip() else text.strip()
    try:
        if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
            value = datetime.fromtimestamp(float(text), tz=timezone.utc)
        else:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            value = value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)
    except (ValueError, OverflowError, OSError):
        return None
    return value if TIME_RANGE[0] <= value < TIME_RANGE[1] else None


def _name_time(bundle: Bundle, paths: list[str]) -> datetime | None:
    """The time in a layout's `name_time` of the root folder, the input's name or the members'
    top folders."""
    for text in (bundle.root, bundle.name, *sorted({path.split("/", 1)[0] for path in paths if "/" in path})):
        for pattern in _NAME_TIMES:
            found = pattern.search(text or "")
            if found:
                day, hh, mm, ss = found.groups()
                try:
                    value = datetime.fromisoformat(f"{day}T{hh}:{mm}:{ss}").replace(tzinfo=timezone.utc)
                except ValueError:  # `2024-13-45T99_99_99`: no time
                    continue
                return value if TIME_RANGE[0] <= value < TIME_RANGE[1] else None
    return None
