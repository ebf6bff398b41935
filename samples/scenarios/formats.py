"""How Go, Kubernetes and kubectl write things: times, digests, JSON, managedFields, YAML in
the style of `kubectl -o yaml` (sigs.k8s.io/yaml -> gopkg.in/yaml.v2 emitter), and Helm's log
ring buffers (the tail that ends a failure message).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from datetime import datetime, timezone

# Time units: nanoseconds since the epoch.
NS = 1_000_000_000
MIN = 60 * NS
HOUR = 3600 * NS


# ==== time ==================================================================================
def T(s: str) -> int:
    """'YYYY-MM-DDTHH:MM:SS[.fffffffff][Z]' (UTC) -> epoch ns."""
    s = s.rstrip("Z")
    whole, _, frac = s.partition(".")
    dt = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * NS + int((frac + "000000000")[:9])


def _dt(ns: int) -> datetime:
    return datetime.fromtimestamp(ns // NS, timezone.utc)


def rfc3339(ns: int) -> str:
    """metav1.Time (seconds, UTC)."""
    return _dt(ns).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339nano(ns: int) -> str:
    """Go time.RFC3339Nano: fraction with trailing zeros trimmed (used in Helm log tails, HC 3.2)."""
    frac = ("%09d" % (ns % NS)).rstrip("0")
    return _dt(ns).strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def zap_ts(ns: int) -> str:
    """zap ISO8601 encoder, millisecond precision (HC 1.1)."""
    return _dt(ns).strftime("%Y-%m-%dT%H:%M:%S") + ".%03dZ" % (ns % NS // 1_000_000)


def go_time_string(ns: int) -> str:
    """Go time.Time.String() in UTC (troubleshoot helm collector `date`, ECO 1a)."""
    frac = ("%09d" % (ns % NS)).rstrip("0")
    return _dt(ns).strftime("%Y-%m-%d %H:%M:%S") + ("." + frac if frac else "") + " +0000 UTC"


def go_duration(ns: int) -> str:
    """Go time.Duration.String()."""
    if ns == 0:
        return "0s"
    if ns < 1000:
        return f"{ns}ns"
    if ns < NS:
        unit, size, width = ("µs", 1000, 3) if ns < 1_000_000 else ("ms", 1_000_000, 6)
        f = ("%0*d" % (width, ns % size)).rstrip("0")
        return f"{ns // size}{'.' + f if f else ''}{unit}"
    h, rem = divmod(ns, HOUR)
    m, rem = divmod(rem, MIN)
    s, frac = divmod(rem, NS)
    f = ("%09d" % frac).rstrip("0")
    return (f"{h}h" if h else "") + (f"{m}m" if h or m else "") + f"{s}{'.' + f if f else ''}s"


def canon(values) -> bytes:
    return json.dumps(values, sort_keys=True, separators=(",", ":")).encode()


def sha256_digest(values) -> str:
    """v0.37+ `sha256:<hex>` config digest (HC 3.2, 5.1); plausible, not bit-exact with chartutil."""
    return "sha256:" + hashlib.sha256(canon(values)).hexdigest()


def sha1_checksum(values) -> str:
    """v0.36 lastAttemptedValuesChecksum / event token: 40-hex SHA1 (HC 3.1, 9)."""
    return hashlib.sha1(canon(values)).hexdigest()


def go_json(obj, sort_keys=False, indent=2) -> str:
    """json.MarshalIndent(obj, "", "  "): typed objects keep struct order, unstructured maps are sorted;
    encoding/json escapes <, > and & (HTML-safe) and U+2028/U+2029."""
    text = json.dumps(obj, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


def fields_v1(obj, dot=False):
    if isinstance(obj, dict):
        out = {".": {}} if dot else {}
        out.update({f"f:{k}": fields_v1(v) for k, v in obj.items()})
        return out
    return {}  # scalars and atomic lists


# ==== YAML in the style of kubectl -o yaml (sigs.k8s.io/yaml -> gopkg.in/yaml.v2 emitter) ====
# Keys sorted with yaml.v2's keyList.Less, 2-space indent, sequences indentless under a mapping key,
# scalars folded at the first space past column 80 (best_width), plain -> single -> double quoted
# fallback of yaml_emitter_select_scalar_style, literal `|-` blocks for multi-line strings.
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_B60_RE = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TS_RE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$")
_SPECIAL = {
    "y",
    "Y",
    "yes",
    "Yes",
    "YES",
    "true",
    "True",
    "TRUE",
    "on",
    "On",
    "ON",
    "n",
    "N",
    "no",
    "No",
    "NO",
    "false",
    "False",
    "FALSE",
    "off",
    "Off",
    "OFF",
    "",
    "~",
    "null",
    "Null",
    "NULL",
    ".nan",
    ".NaN",
    ".NAN",
    ".inf",
    ".Inf",
    ".INF",
    "+.inf",
    "+.Inf",
    "+.INF",
    "-.inf",
    "-.Inf",
    "-.INF",
    "<<",
}


def _resolves_to_str(s: str) -> bool:
    if s in _SPECIAL:
        return False
    if s and s[0] in "0123456789+-.":
        plain = s.replace("_", "")
        try:
            int(plain, 0)
            return False
        except ValueError:
            pass
        if _FLOAT_RE.match(plain) or _TS_RE.match(s):
            return False
    return not _B60_RE.match(s)


def _printable(ch: str) -> bool:
    o = ord(ch)
    return (
        ch == "\n"
        or 0x20 <= o <= 0x7E
        or (0xA0 <= o <= 0xD7FF)
        or (0xE000 <= o <= 0xFFFD and o != 0xFEFF)
        or o >= 0x10000
    )


def _block_indicator(s: str) -> bool:
    """Whether the scalar holds an indicator that plain style cannot carry in block context
    (yaml_emitter_analyze_scalar's block_indicators; the flow ones do not matter here)."""
    if s.startswith("---") or s.startswith("..."):
        return True
    preceded_ws = True
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= len(s) or s[i + 1] in " \t\r\n"
        if i == 0 and (ch in "#,[]{}&*!|>'\"%@`" or (ch in "?:-" and followed_ws)):
            return True
        if i > 0 and ((ch == ":" and followed_ws) or (ch == "#" and preceded_ws)):
            return True
        preceded_ws = ch in " \t\r\n"
    return False


def _analyze(s: str):
    """yaml_emitter_analyze_scalar (yaml.v2 emitterc.go): which styles are allowed."""
    if not s:
        return dict(block_plain=False, single=True, block=False, multiline=False)
    block_ind = _block_indicator(s)
    special, line_breaks = False, False
    lead_sp = lead_br = trail_sp = trail_br = break_sp = sp_break = False
    prev_sp = prev_br = False
    n = len(s)
    for i, ch in enumerate(s):
        if not _printable(ch):
            special = True
        if ch == " ":
            lead_sp = lead_sp or i == 0
            trail_sp = trail_sp or i == n - 1
            break_sp = break_sp or prev_br
            prev_sp, prev_br = True, False
        elif ch == "\n":
            line_breaks = True
            lead_br = lead_br or i == 0
            trail_br = trail_br or i == n - 1
            sp_break = sp_break or prev_sp
            prev_sp, prev_br = False, True
        else:
            prev_sp = prev_br = False
    block_plain, single, block = True, True, True
    if lead_sp or lead_br or trail_sp or trail_br:
        block_plain = False
    if trail_sp:
        block = False
    if break_sp:
        block_plain = single = False
    if sp_break or special:
        block_plain = single = block = False
    if line_breaks or block_ind:
        block_plain = False
    return dict(block_plain=block_plain, single=single, block=block, multiline=line_breaks)


def _yaml_key_less(a: str, b: str) -> bool:
    """yaml.v2 sorter.go keyList.Less for two strings."""
    ar, br = a, b
    for i in range(min(len(ar), len(br))):
        if ar[i] == br[i]:
            continue
        al, bl = ar[i].isalpha(), br[i].isalpha()
        if al and bl:
            return ar[i] < br[i]
        if al or bl:
            return bl
        an = bn = 0
        if ar[i] == "0" or br[i] == "0":
            j = i - 1
            while j >= 0 and ar[j].isdigit():
                if ar[j] != "0":
                    an = bn = 1
                    break
                j -= 1
        ai = i
        while ai < len(ar) and ar[ai].isdigit():
            an = an * 10 + int(ar[ai])
            ai += 1
        bi = i
        while bi < len(br) and br[bi].isdigit():
            bn = bn * 10 + int(br[bi])
            bi += 1
        if an != bn:
            return an < bn
        if ai != bi:
            return ai < bi
        return ar[i] < br[i]
    return len(ar) < len(br)


def _yaml_sorted(keys):
    return sorted(
        keys, key=functools.cmp_to_key(lambda x, y: -1 if _yaml_key_less(x, y) else (1 if _yaml_key_less(y, x) else 0))
    )


class _Emitter:
    WIDTH = 80

    def __init__(self):
        self.out = []
        self.col = 0

    def put(self, text):
        for ch in text:
            if ch == "\n":
                self.out.append("\n")
                self.col = 0
            else:
                self.out.append(ch)
                self.col += 1

    def newline_indent(self, indent):
        self.put("\n" + " " * indent)

    def scalar(self, value, indent, key=False):
        """Write a scalar after the current position (a ' ' separator is written by the caller)."""
        if value is None:
            self.put("null")
            return
        if value is True or value is False:
            self.put("true" if value else "false")
            return
        if isinstance(value, (int, float)):
            self.put(json.dumps(value))
            return
        s = str(value)
        a = _analyze(s)
        can_plain = _resolves_to_str(s)
        if "\n" in s and not key:
            # literal `|-` block; the edge cases of yaml.v2's block hints (leading blank/space, kept trailing
            # newlines) never occur in these samples and are written double-quoted instead
            style = "literal" if a["block"] and s[0] not in " \n" and not s.endswith("\n") else "double"
        elif can_plain and a["block_plain"]:
            style = "plain"
        elif can_plain and a["single"]:
            style = "single"
        elif not can_plain:
            style = "double"
        else:
            style = "single" if a["single"] else "double"
        breaks = not key
        if style == "plain":
            self._plain(s, indent, breaks)
        elif style == "single":
            self._single(s, indent, breaks)
        elif style == "double":
            self._double(s, indent, breaks)
        else:
            self._literal(s, indent)

    def _plain(self, s, indent, breaks):
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                if breaks and not spaces and self.col > self.WIDTH and not (i + 1 < len(s) and s[i + 1] == " "):
                    self.newline_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False

    def _single(self, s, indent, breaks):
        self.put("'")
        spaces = False
        for i, ch in enumerate(s):
            if ch == " ":
                if breaks and not spaces and self.col > self.WIDTH and 0 < i < len(s) - 1 and s[i + 1] != " ":
                    self.newline_indent(indent)
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put("''" if ch == "'" else ch)
                spaces = False
        self.put("'")

    _ESC = {
        "\0": "0",
        "\a": "a",
        "\b": "b",
        "\t": "t",
        "\n": "n",
        "\v": "v",
        "\f": "f",
        "\r": "r",
        "\x1b": "e",
        '"': '"',
        "\\": "\\",
    }

    def _double(self, s, indent, breaks):
        self.put('"')
        spaces = False
        for i, ch in enumerate(s):
            if not _printable(ch) or ch in '\n"\\':
                self.put("\\" + self._ESC.get(ch, "x%02X" % ord(ch)))
                spaces = False
            elif ch == " ":
                if breaks and not spaces and self.col > self.WIDTH and 0 < i < len(s) - 1:
                    self.newline_indent(indent)
                    if i + 1 < len(s) and s[i + 1] == " ":
                        self.put("\\")
                else:
                    self.put(ch)
                spaces = True
            else:
                self.put(ch)
                spaces = False
        self.put('"')

    def _literal(self, s, indent):
        chomp = "-" if not s.endswith("\n") else ("+" if len(s) == 1 or s[-2] == "\n" else "")
        hint = str(2) if s[0] in " \n" else ""
        self.put("|" + hint + chomp)
        for line in s.split("\n") if chomp != "" else s[:-1].split("\n"):
            self.put("\n")
            if line:
                self.put(" " * indent + line)

    def node(self, value, indent):
        """Emit a mapping or sequence whose first line starts at the current column == indent."""
        if isinstance(value, dict):
            for n, k in enumerate(_yaml_sorted(list(value))):
                if n:
                    self.newline_indent(indent)
                self.scalar(k, indent, key=True)
                self.put(":")
                self.value(value[k], indent)
        else:
            for n, item in enumerate(value):
                if n:
                    self.newline_indent(indent)
                self.put("- ")
                if isinstance(item, (dict, list)) and item:
                    self.node(item, indent + 2)
                else:
                    self._inline(item, indent + 2)

    def _inline(self, v, indent):
        if isinstance(v, dict):
            self.put("{}")
        elif isinstance(v, list):
            self.put("[]")
        else:
            self.scalar(v, indent)

    def value(self, v, indent):
        if isinstance(v, dict) and v:
            self.newline_indent(indent + 2)
            self.node(v, indent + 2)
        elif isinstance(v, list) and v:
            self.newline_indent(indent)
            self.node(v, indent)
        else:
            self.put(" ")
            self._inline(v, indent + 2)


def yaml_dump(obj) -> str:
    e = _Emitter()
    e.node(obj, 0)
    return "".join(e.out) + "\n"


def kubectl_list_yaml(items) -> str:
    """`kubectl get ... -o yaml` of several objects: a v1 List (ECO 1d/1e)."""
    return yaml_dump({"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}})


# ==== Helm log ring buffers ===================================================================
def helm_tail_v036(lines):
    """internal/runner/log_buffer.go @ v0.36.2: ring of 5, a line equal to the previous one is dropped,
    no timestamps. `lines` are (ns, text)."""
    buf = []
    for _, msg in lines:
        if buf and buf[-1] == msg:
            continue
        buf.append(msg)
    return "\n".join(buf[-5:])


def helm_tail_v037(lines, size=10):
    """internal/action/log.go @ v0.37.0+: ring of 10 logLine{ts,lastTS,msg,count}; a repeat of the
    previous message bumps its count and lastTS; String() prints '<RFC3339Nano>: <msg>' and, when
    repeated, a second line with lastTS and ' (N duplicate line(s) omitted)' for count-1 > 0."""
    buf = []
    for ts, msg in lines:
        if buf and buf[-1]["msg"] == msg:
            buf[-1]["count"] += 1
            buf[-1]["last"] = ts
        else:
            buf.append({"ts": ts, "last": ts, "msg": msg, "count": 0})
    out = []
    for ll in buf[-size:]:
        s = f"{rfc3339nano(ll['ts'])}: {ll['msg']}"
        if ll["count"] > 0:
            s += f"\n{rfc3339nano(ll['last'])}: {ll['msg']}"
        if ll["count"] - 1 > 0:
            c = ll["count"] - 1
            s += f" ({c} duplicate line{'s' if c > 1 else ''} omitted)"
        out.append(s)
    return "\n".join(out)
