"""Reading a bundle: a folder, a tar/tar.gz/tgz, a zip, or a single file. [edge: I/O, safety]

Archives are read in memory, member by member, in one pass; nothing is extracted to disk.
Every archive entry goes through one safety check (`safety.check`): absolute paths and `..`
are refused (reported, never followed); symlinks are resolved only inside the bundle
(troubleshoot bundles link `.yaml` twins and collector folders to the real files, which are
read once, where they are); hard links are read as links to the member they name when that
member was read, else refused; device files, fifos and links that leave the bundle are refused.

Caps (DESIGN.md §7), each named in its message with the option that raises it:
`--max-bytes` (total decompressed bytes read), `--max-members` (entries of an archive) and
`--max-ratio` (decompressed / compressed size, once more than `RATIO_FLOOR` bytes came out
of a compressed stream: tar.gz/bz2/xz, zip members, `.gz` members). A member over a cap is
refused and the rest is read; a compressed stream over a cap stops there. Truncated or
corrupt archives and `.gz` members give what could be read plus a problem row.

The modules: `reader` (the pass: archives inside archives, `.gz` members, text made UTF-8),
`archives` (the entries of a folder, tar, zip or single file), `safety` (the check and the
caps), `streams` (compressed streams under the caps), `layout` (root, layout and collection
time, from `parsers.layouts`).
"""

from forensics.bundle.layout import TIME_RANGE, Bundle, strip_root
from forensics.bundle.reader import MAX_DEPTH, Reader
from forensics.bundle.safety import (
    DEFAULT_MAX_BYTES,
    DEFAULT_MAX_MEMBERS,
    DEFAULT_MAX_RATIO,
    MAX_MEMBERS,
    RATIO_FLOOR,
    BundleError,
    CapExceeded,
    Member,
)
from forensics.bundle.streams import gunzip
from parsers.layouts import detect as detect_layout

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_MEMBERS",
    "DEFAULT_MAX_RATIO",
    "MAX_DEPTH",
    "MAX_MEMBERS",
    "RATIO_FLOOR",
    "TIME_RANGE",
    "Bundle",
    "BundleError",
    "CapExceeded",
    "Member",
    "Reader",
    "detect_layout",
    "gunzip",
    "strip_root",
]
