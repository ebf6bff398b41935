"""Files of a cluster's other programs: a log or text past 16 kB whose name and text name
neither Flux nor Helm.

A support bundle collects the logs of every pod of the namespaces it is told to: an access log,
a database's, cert-manager's klog. No rule reads them (each reads the logs and messages of the
Flux controllers, Helm and the API's answers about Flux objects), and reading them costs what a
Flux log costs, or far more (logfmt and klog are read a line at a time in Python; a text no
parser recognises is read as a paste, ~1 s a MB). Such a member is listed in the inventory with
why, not read. A smaller one (a paste in a ticket, a short log) is read as before.
"""

from __future__ import annotations

from parsers._base import FileData

MIN_BYTES = 16 * 1024  # a paste in a ticket is a few kB (the real ones: up to 6 kB)
# A reading that names a release, a Flux object or controller, or Helm needs one of these words
# (lower-cased): the kinds, API groups, controllers' names and messages, tables' columns hold them
# (every real paste that gives rows does: tests/test_real_cases.py).
WORDS = (
    b"helm",
    b"flux",
    b"toolkit",
    b"kustomiz",
    b"reconcil",
    b"release",
    b"chart",
    b"repositor",
    b"revision",
    b"artifact",
    b"install",
    b"upgrade",
    b"rollback",
    b"dependenc",
    b"drift",
    b"imagepolic",
    b"imageupdate",
    b"gotk_",
)
NOTE = "not read: a file of another program (past 16 kB, its name and text name neither Flux nor Helm)"
CHUNK = 1024 * 1024  # a Flux log names Flux in its first records: one chunk read


def foreign(path: str, data: bytes | FileData) -> bool:
    """A member past MIN_BYTES in which (name or text) no word of WORDS occurs."""
    if len(data) <= MIN_BYTES or _holds(path.encode("utf-8", errors="replace")):
        return False
    if not isinstance(data, FileData):
        return not _holds(data)
    overlap = max(len(word) for word in WORDS) - 1  # a word across two chunks
    with data.open() as handle:
        tail = b""
        while chunk := handle.read(CHUNK):
            if _holds(tail + chunk):
                return False
            tail = chunk[-overlap:]
    return True


def _holds(data: bytes) -> bool:
    lowered = data.lower()
    return any(word in lowered for word in WORDS)
