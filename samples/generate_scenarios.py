#!/usr/bin/env python3
"""Generate five realistic incident bundles with a planted truth (run: python3 samples/generate_scenarios.py).

Outputs (each run deletes and rewrites only these):
  samples/v036-failures/        troubleshoot.sh layout, helm-controller v0.36.2 (Flux v2.1.2, API v2beta1)
  samples/v037-failures/        loose files an SRE saved by hand, helm-controller v0.37.4 (Flux v2.2.3)
  samples/v1-controller-crash/  troubleshoot.sh layout, helm-controller v1.0.1 (Flux v2.3.0, API v2), OOMKilled x3
  samples/healthy-control/      troubleshoot.sh layout, helm-controller v1.4.1 (Flux v2.7.1), everything healthy
  samples/v16-failures/         loose files, helm-controller v1.6.2 (Flux v2.9.2, Helm 4): the v1.x failure labels
  samples/truth/<scenario>.json and samples/SCENARIOS.md (evidence file:line computed from the written files)

Every controller string is quoted from HC = ../shared/reference/helm-controller.md or from the
controller source it cites (fluxcd/helm-controller at the tag in use, helm/helm v3.12.3 / v3.13.3 /
v3.14.4, fluxcd/source-controller v1.2.4, client-go tools/record); comments cite "HC <section>" or the
source file. Bundle layouts follow ECO = ../shared/reference/ecosystem.md section 1.

Mechanisms modelled rather than typed in by hand:
  * the controller-runtime rate limiter (750ms doubling to 15m) for errors and Requeue:true;
  * the periodic requeue with 5 % interval jitter;
  * client-go's EventCorrelator per controller process: identical events aggregated into one Event
    with a growing count, >= 10 similar messages within 10 min combined ("(combined from similar
    events): ..."), the per-object spam filter (burst 25, 1 token / 5 min) that drops events but still
    counts them, and the 1h event TTL (an Event survives when its last write is < 1h old);
  * Helm storage revisions and the v0.37+/v1 status.history observers, Truncate and Previous;
  * Helm's log ring buffers (v0.36: 5 lines, consecutive duplicates dropped; v0.37+: 10 lines with
    RFC3339Nano stamps and "(N duplicate lines omitted)").
Standard library only; all randomness comes from one seeded random.Random per scenario.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import re
import shutil
import uuid
from datetime import datetime, timezone
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent
TRUTH_DIR = SAMPLES / "truth"
NS = 1_000_000_000
MIN = 60 * NS
HOUR = 3600 * NS
EVENT_TTL = HOUR                     # kube-apiserver --event-ttl default (ECO 1e "Retention")
LABEL_ORDER = [  # how the labels of a release are listed (its primary is the first cause, given first)
               "controller-restart", "stuck-pending", "retries-exhausted", "immutable-field", "values-missing",
               "chart-fetch", "timeout", "install-failed", "upgrade-failed", "rollback-failed", "test-failed",
               "dependency-failed", "dependency-stale", "migration-skip", "drift", "stale-status", "suspended",
               "evidence-gap", "values-schema", "ownership-conflict", "render-failed", "api-removed", "crd-mismatch",
               "release-missing", "health-check-canceled", "dependency-missing"]


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
    for a, b in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                 ("\u2029", "\\u2029")):
        text = text.replace(a, b)
    return text


def fields_v1(obj, dot=False):
    if isinstance(obj, dict):
        out = {".": {}} if dot else {}
        out.update({f"f:{k}": fields_v1(v) for k, v in obj.items()})
        return out
    return {}   # scalars and atomic lists


# ==== YAML in the style of kubectl -o yaml (sigs.k8s.io/yaml -> gopkg.in/yaml.v2 emitter) ====
# Keys sorted with yaml.v2's keyList.Less, 2-space indent, sequences indentless under a mapping key,
# scalars folded at the first space past column 80 (best_width), plain -> single -> double quoted
# fallback of yaml_emitter_select_scalar_style, literal `|-` blocks for multi-line strings.
_FLOAT_RE = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_B60_RE = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_TS_RE = re.compile(r"^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt ].*)?$")
_SPECIAL = {"y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no", "No", "NO",
            "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null", "NULL", ".nan", ".NaN",
            ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", "<<"}


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
    return ch == "\n" or 0x20 <= o <= 0x7E or (0xA0 <= o <= 0xD7FF) or (0xE000 <= o <= 0xFFFD and o != 0xFEFF) \
        or o >= 0x10000


def _analyze(s: str):
    """yaml_emitter_analyze_scalar (yaml.v2 emitterc.go): which styles are allowed."""
    if not s:
        return dict(block_plain=False, single=True, block=False, multiline=False)
    flow_ind = block_ind = False
    if s.startswith("---") or s.startswith("..."):
        flow_ind = block_ind = True
    preceded_ws, special, line_breaks = True, False, False
    lead_sp = lead_br = trail_sp = trail_br = break_sp = sp_break = False
    prev_sp = prev_br = False
    n = len(s)
    for i, ch in enumerate(s):
        followed_ws = i + 1 >= n or s[i + 1] in " \t\r\n"
        if i == 0:
            if ch in "#,[]{}&*!|>'\"%@`":
                flow_ind = block_ind = True
            elif ch in "?:":
                flow_ind = True
                block_ind = block_ind or followed_ws
            elif ch == "-" and followed_ws:
                flow_ind = block_ind = True
        else:
            if ch in ",?[]{}":
                flow_ind = True
            elif ch == ":":
                flow_ind = True
                block_ind = block_ind or followed_ws
            elif ch == "#" and preceded_ws:
                flow_ind = block_ind = True
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
        preceded_ws = ch in " \t\r\n"
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
    return sorted(keys, key=functools.cmp_to_key(lambda x, y: -1 if _yaml_key_less(x, y) else
                                                 (1 if _yaml_key_less(y, x) else 0)))


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

    _ESC = {"\0": "0", "\a": "a", "\b": "b", "\t": "t", "\n": "n", "\v": "v", "\f": "f", "\r": "r", "\x1b": "e",
            '"': '"', "\\": "\\"}

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


# ==== rate limiter (fluxcd/pkg runtime/controller defaults: --min-retry-delay 750ms, --max-retry-delay 15m)
def backoff(n: int) -> int:
    """workqueue ItemExponentialFailureRateLimiter: 750ms * 2^n, capped at 15m (HC 6.2)."""
    return min(750_000_000 * (2 ** min(n, 20)), 15 * MIN)


# ==== Kubernetes Events: client-go tools/record EventCorrelator (events_cache.go) ==============
class Correlator:
    """One per controller process (the manager's broadcaster). Feed raw events in time order."""
    AGG_MAX, AGG_WINDOW, BURST, QPS = 10, 600 * NS, 25.0, 1.0 / 300.0

    def __init__(self):
        self.agg, self.log, self.spam = {}, {}, {}

    def correlate(self, e):
        """Return (name, count, first, message, aggregated) when the event is written, None when filtered."""
        inv = e["involved"]
        okey = (e["component"], inv["kind"], inv["namespace"], inv["name"], inv["uid"], inv["apiVersion"])
        akey = okey + (e["type"], e["reason"])
        rec = self.agg.get(akey)
        if rec is None or e["t"] - rec["last"] > self.AGG_WINDOW:
            rec = {"keys": [], "last": 0}
        if e["message"] not in rec["keys"]:
            rec["keys"].append(e["message"])
        rec["last"] = e["t"]
        self.agg[akey] = rec
        if len(rec["keys"]) < self.AGG_MAX:
            ckey, message, name = akey + (e["message"],), e["message"], f"{inv['name']}.{e['t']:x}"
            aggregated = False
        else:   # EventAggregatorByReasonMessageFunc
            rec["keys"].pop(0)   # PopAny (map order in Go; the oldest here, for determinism)
            ckey, message, name = ("agg",) + akey, "(combined from similar events): " + e["message"], \
                f"{inv['name']}.{e['t']:x}"
            aggregated = True
        obs = self.log.get(ckey)
        if obs:
            name, first, count = obs["name"], obs["first"], obs["count"] + 1
        else:
            first, count = e["t"], 1
        self.log[ckey] = {"name": name, "first": first, "count": count}
        tokens, last = self.spam.get(okey, (self.BURST, e["t"]))
        tokens = min(self.BURST, tokens + (e["t"] - last) / NS * self.QPS)
        if tokens < 1.0:
            self.spam[okey] = (tokens, e["t"])
            return None
        self.spam[okey] = (tokens - 1.0, e["t"])
        return name, count, first, message, aggregated


# ==== one scenario ==========================================================================
class Scenario:
    def __init__(self, name, seed, collected):
        self.name, self.C = name, collected
        self.rng = random.Random(seed)
        self.logs = {}            # container id -> [(ns, seq, line)]
        self.seq = 0
        self.raw_events = []      # helm-controller events before correlation
        self.direct_events = []   # events of other components, already in stored form
        self.releases = {}        # "ns/name" -> Rel
        self.truth, self.notes, self.evidence = {}, {}, {}
        self.procs = {}           # container id -> (start, end)

    # ---- randomness ----
    def uuid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def hex(self, n):
        return "".join(self.rng.choice("0123456789abcdef") for _ in range(n))

    def ms(self, lo, hi):
        return self.rng.randrange(int(lo * 1_000_000), int(hi * 1_000_000))

    def jitter(self, interval):
        """--interval-jitter-percentage 5 (HC 1.2)."""
        return self.rng.randrange(int(interval * 0.95), int(interval * 1.05))

    def rv(self, ns, salt=0):
        return str(60_000_000 + (ns // NS - 1_690_000_000) * 3 + salt)

    # ---- logs (HC 1.1 key order) ----
    def L(self, cid, ns, msg, r=None, rid=None, level="info", logger=None, extra=None, error=None):
        d = {"level": level, "ts": zap_ts(ns)}
        if logger:
            d["logger"] = logger
        d["msg"] = msg
        if r is not None:
            d.update(controller="helmrelease", controllerGroup="helm.toolkit.fluxcd.io",
                     controllerKind="HelmRelease", HelmRelease={"name": r.name, "namespace": r.ns},
                     namespace=r.ns, name=r.name, reconcileID=rid)
        elif logger is None and extra is not None and extra.get("_ctrl"):
            d.update(controller="helmrelease", controllerGroup="helm.toolkit.fluxcd.io",
                     controllerKind="HelmRelease")
        for k, v in (extra or {}).items():
            if not k.startswith("_"):
                d[k] = v
        if error is not None:
            d["error"] = error
        self.seq += 1
        lo, hi = self.procs[cid]
        if lo <= ns <= hi:
            self.logs.setdefault(cid, []).append((ns, self.seq, json.dumps(d, separators=(",", ":"),
                                                                           ensure_ascii=False)))

    # ---- events ----
    def hr_event(self, cid, ns, r, etype, reason, message, annotations=None):
        inv = {"kind": "HelmRelease", "namespace": r.ns, "name": r.name, "uid": r.uid,
               "apiVersion": r.event_api, "resourceVersion": self.rv(ns - NS, 3)}
        self.raw_events.append({"t": ns, "cid": cid, "involved": inv, "type": etype, "reason": reason,
                                "message": message, "annotations": annotations, "component": "helm-controller",
                                "seq": len(self.raw_events)})

    def other_event(self, ns_first, ns_last, count, involved, etype, reason, message, component, host=None,
                    annotations=None):
        """An event of another component (kubelet, scheduler, source-controller, ...), stored form."""
        if ns_last < self.C - EVENT_TTL or ns_first > self.C:
            return
        src = {"component": component}
        if host:
            src["host"] = host
        self.direct_events.append(self._event_obj(involved["namespace"], involved, reason, message, etype, src,
                                                  ns_first, ns_last, count, ns_last, annotations))

    def chart_event(self, r, at, api, ver=None, failed=None):
        """source-controller HelmChart events: `ChartPullSucceeded` with revision/digest annotations on a new
        artifact (helmchart_controller.go notify), or the Warning of a stalled build."""
        ver = ver or r.ver
        inv = {"kind": "HelmChart", "namespace": "flux-system", "name": r.hc_name, "uid": hc_uid(self, r),
               "apiVersion": api, "resourceVersion": self.rv(at, 4)}
        if failed:
            self.other_event(at, at, 1, inv, "Warning", "InvalidChartReference", failed, "source-controller")
            return
        path = f"helmchart/flux-system/{r.hc_name}/{r.chart}-{ver}.tgz"
        self.other_event(at, at, 1, inv, "Normal", "ChartPullSucceeded", f"pulled '{r.chart}' chart with version '{ver}'",
                         "source-controller", annotations={
                             "source.toolkit.fluxcd.io/digest": "sha256:" + hashlib.sha256(path.encode()).hexdigest(),
                             "source.toolkit.fluxcd.io/revision": ver})

    def _event_obj(self, ns, involved, reason, message, etype, source, first, last, count, created, annotations):
        meta = {"name": f"{involved['name']}.{first:x}", "namespace": ns, "uid": self.uuid(),
                "resourceVersion": self.rv(last, 7), "creationTimestamp": rfc3339(created)}
        if annotations:
            meta["annotations"] = dict(sorted(annotations.items()))
        return {"metadata": meta, "involvedObject": involved, "reason": reason, "message": message,
                "source": source, "firstTimestamp": rfc3339(first), "lastTimestamp": rfc3339(last),
                "count": count, "type": etype, "eventTime": None, "reportingComponent": "",
                "reportingInstance": ""}

    def correlate_events(self):
        """Run each controller process's EventCorrelator, then apply the 1h TTL (ECO 1e)."""
        stored, correlators = {}, {}
        for e in sorted(self.raw_events, key=lambda e: (e["t"], e["seq"])):
            if e["t"] > self.C:
                continue
            cor = correlators.setdefault(e["cid"], Correlator())
            res = cor.correlate(e)
            if res is None:
                continue
            name, count, first, message, _ = res
            key = (e["involved"]["namespace"], name)
            obj = stored.get(key)
            if obj is None or obj["last_write"] < e["t"] - EVENT_TTL:   # created (or re-created after expiry)
                stored[key] = obj = {"created": e["t"], "e": e, "first": first}
            obj.update(last_write=e["t"], count=count, message=message, last=e["t"])
        out = []
        for (ns, name), o in stored.items():
            if o["last_write"] < self.C - EVENT_TTL:
                continue     # expired
            e = o["e"]
            ev = self._event_obj(ns, e["involved"], e["reason"], o["message"], e["type"],
                                 {"component": e["component"]}, o["first"], o["last"], o["count"], o["created"],
                                 e["annotations"])
            ev["metadata"]["name"] = name
            out.append(ev)
        return out + self.direct_events

    # ---- truth ----
    def plant(self, r, labels, note, evidence=()):
        key = f"{r.ns}/{r.name}"
        if labels:
            # the story names its first cause first (DESIGN.md §5: the primary is the first cause)
            self.truth[key] = {"primary": labels[0], "labels": sorted(set(labels), key=LABEL_ORDER.index)}
        else:
            self.truth[key] = None
        self.notes[key] = note
        self.evidence[key] = list(evidence)


class Rel:
    """One HelmRelease: spec, Helm storage, status (filled by the scenario's story)."""

    def __init__(self, scn, ns, name, chart, ver, repo, values, created, gen, interval="10m", timeout=None,
                 deps=None, app="", event_api="helm.toolkit.fluxcd.io/v2beta2"):
        self.scn, self.ns, self.name, self.chart, self.ver, self.repo = scn, ns, name, chart, ver, repo
        self.values, self.created, self.gen, self.interval, self.timeout = values, created, gen, interval, timeout
        self.deps, self.app, self.event_api = deps, app, event_api
        self.uid = scn.uuid()
        self.spec_extra = {}
        self.status = {}
        self.annotations = {}
        self.managed = []         # extra managedFields entries (flux CLI)
        self.apply_time = created
        self.apply_api = event_api
        self.fin_time = created + NS
        # the finalizer was added by the controller running at creation time (HC 0.1: v0.37.0 = 2023-12-12,
        # v1.0.x = 2024-05-13)
        self.fin_api = "helm.toolkit.fluxcd.io/" + ("v2beta1" if created < T("2023-12-12T00:00:00Z") else
                                                     "v2beta2" if created < T("2024-05-13T00:00:00Z") else "v2")
        self.status_time = created
        self.status_api = event_api
        self.revs = {}            # Helm storage: version -> dict(status, ver, app, first, last, values)
        self.history = []         # status.history (v0.37+), newest first
        self.conds = {}           # v0.37+ conditions (setc)
        scn.releases[f"{ns}/{name}"] = self

    @property
    def key(self):
        return f"{self.ns}/{self.name}"

    @property
    def hc_name(self):
        return f"{self.ns}-{self.name}"     # HelmChart `<hr-namespace>-<hr-name>` (HC 2.2)

    def interval_ns(self):
        v = self.interval
        return int(v[:-1]) * (MIN if v.endswith("m") else HOUR if v.endswith("h") else NS)

    def timeout_ns(self):
        v = self.timeout or "5m"
        return int(v[:-1]) * MIN

    def timeout_str(self):
        return go_duration(self.timeout_ns())

    # ---- Helm storage (helm/pkg/storage, HC 8) ----
    def last_rev(self):
        return max(self.revs) if self.revs else 0

    def add_rev(self, status, ver, app, first, last, values, desc=""):
        n = self.last_rev() + 1
        self.revs[n] = {"status": status, "ver": ver, "app": app, "first": first, "last": last,
                        "values": values, "desc": desc}
        return n

    def snapshot(self, n, with_app=True):
        """status.history entry (HC 5.1; ObservedToSnapshot)."""
        rv = self.revs[n]
        s = {"chartName": self.chart, "chartVersion": rv["ver"], "configDigest": sha256_digest(rv["values"]),
             "digest": "sha256:" + hashlib.sha256(f"{self.key}.v{n}.{rv['status']}".encode()).hexdigest(),
             "firstDeployed": rfc3339(rv["first"]), "lastDeployed": rfc3339(rv["last"]), "name": self.name,
             "namespace": self.ns, "status": rv["status"], "version": n}
        if with_app and rv["app"]:
            s["appVersion"] = rv["app"]
        return s

    def observe(self, versions, with_app=True, prepend_new=True):
        """recordOnObject / observeRollback: the newest observed release is prepended (when not yet in
        history), the others update their snapshot in place (internal/reconcile/release.go)."""
        versions = sorted(set(versions), reverse=True)
        for n in versions:
            snap = self.snapshot(n, with_app)
            for i, h in enumerate(self.history):
                if h["version"] == n:
                    self.history[i] = snap
                    break
            else:
                if prepend_new:
                    self.history.insert(0, snap)
        self.history.sort(key=lambda h: -h["version"])

    def truncate(self):
        """Snapshots.Truncate: keep up to the first deployed/superseded one after the latest."""
        for i, h in enumerate(self.history[1:]):
            if h["status"] in ("deployed", "superseded"):
                self.history = self.history[:i + 2]
                return
        self.history = self.history[:5]

    def previous(self):
        for h in self.history[1:]:
            if h["status"] in ("deployed", "superseded"):
                return h
        return None

    def full(self, n):
        return f"{self.ns}/{self.name}.v{n}"

    def chart_at(self, n):
        return f"{self.chart}@{self.revs[n]['ver']}"


# ==== object builders =========================================================================
def cond(ctype, status, reason, message, ltt, og=None):
    c = {"lastTransitionTime": rfc3339(ltt), "message": message, "reason": reason, "status": status, "type": ctype}
    if og is not None:      # v0.36 never writes condition observedGeneration (HC 4.1)
        c["observedGeneration"] = og
    return c


def sort_conds(conds):
    """fluxcd/pkg runtime/conditions: Ready first, then by type."""
    return sorted(conds, key=lambda c: (c["type"] != "Ready", c["type"]))


KUSTOMIZE_LABELS = lambda ks: {"kustomize.toolkit.fluxcd.io/name": ks, "kustomize.toolkit.fluxcd.io/namespace": "flux-system"}


def hr_object(r, api):
    """A HelmRelease as the API returns it (unstructured; keys sorted on output)."""
    s = r.scn
    chart_spec = {"chart": r.chart, "interval": "1h", "reconcileStrategy": "ChartVersion",
                  "sourceRef": {"kind": "HelmRepository", "name": r.repo, "namespace": "flux-system"},
                  "version": r.ver}
    chart_ref = getattr(r, "chart_ref", None)     # spec.chartRef (v1.0+): no chart template, no HelmChart
    spec = {"chartRef": chart_ref} if chart_ref else {"chart": {"spec": chart_spec}}
    spec.update(interval=r.interval, values=r.values)
    if r.timeout:
        spec["timeout"] = r.timeout
    if r.deps:
        spec["dependsOn"] = [{"name": d.split("/")[1], "namespace": d.split("/")[0]} for d in r.deps]
    spec.update(r.spec_extra)
    labels = KUSTOMIZE_LABELS(r.ns)
    applied = {k: v for k, v in spec.items() if k != "suspend" or not r.managed}
    if not chart_ref:
        applied_chart = dict(chart_spec)
        applied_chart.pop("reconcileStrategy")
        applied["chart"] = {"spec": applied_chart}
    managed = [
        {"apiVersion": r.apply_api, "fieldsType": "FieldsV1", "manager": "kustomize-controller", "operation": "Apply",
         "time": rfc3339(r.apply_time),
         "fieldsV1": {"f:metadata": {"f:labels": {f"f:{k}": {} for k in labels}}, "f:spec": fields_v1(applied)}},
        {"apiVersion": r.fin_api, "fieldsType": "FieldsV1", "manager": "helm-controller", "operation": "Update",
         "time": rfc3339(r.fin_time),
         "fieldsV1": {"f:metadata": {"f:finalizers": {".": {}, 'v:"finalizers.fluxcd.io"': {}}}}},
    ] + r.managed + [
        {"apiVersion": r.status_api, "fieldsType": "FieldsV1", "manager": "helm-controller", "operation": "Update",
         "subresource": "status", "time": rfc3339(r.status_time),
         "fieldsV1": {"f:status": fields_v1(r.status, dot=True)}},
    ]
    last_write = max([r.apply_time, r.fin_time, r.status_time] + [T(m["time"]) for m in r.managed])
    meta = {"creationTimestamp": rfc3339(r.created), "finalizers": ["finalizers.fluxcd.io"], "generation": r.gen,
            "labels": labels, "managedFields": managed, "name": r.name, "namespace": r.ns,
            "resourceVersion": s.rv(last_write, 5), "uid": r.uid}
    if r.annotations:
        meta["annotations"] = r.annotations
    return {"apiVersion": api, "kind": "HelmRelease", "metadata": meta, "spec": spec, "status": r.status}


def helmchart_object(s, r, api, gen, observed_gen, artifact_ver, conditions, created, index_rev, sc_time):
    """source-controller HelmChart built from the HelmRelease's template (HC 2.2)."""
    path = f"helmchart/flux-system/{r.hc_name}/{r.chart}-{artifact_ver}.tgz"
    st = {"conditions": conditions, "observedChartName": r.chart, "observedGeneration": observed_gen,
          "observedSourceArtifactRevision": index_rev,
          "url": f"http://source-controller.flux-system.svc.cluster.local./{path.rsplit('/', 1)[0]}/latest.tar.gz"}
    if artifact_ver:
        st["artifact"] = {"digest": "sha256:" + hashlib.sha256(path.encode()).hexdigest(),
                          "lastUpdateTime": rfc3339(sc_time), "path": path, "revision": artifact_ver,
                          "size": 10_000 + int(hashlib.sha1(path.encode()).hexdigest()[:4], 16),
                          "url": f"http://source-controller.flux-system.svc.cluster.local./{path}"}
    meta = {"creationTimestamp": rfc3339(created), "finalizers": ["finalizers.fluxcd.io"], "generation": gen,
            "labels": {"helm.toolkit.fluxcd.io/name": r.name, "helm.toolkit.fluxcd.io/namespace": r.ns},
            "name": r.hc_name, "namespace": "flux-system", "resourceVersion": s.rv(sc_time, 6),
            "uid": hc_uid(s, r)}
    spec = {"chart": r.chart, "interval": "1h", "reconcileStrategy": "ChartVersion",
            "sourceRef": {"kind": "HelmRepository", "name": r.repo}, "version": r.ver}
    return {"apiVersion": api, "kind": "HelmChart", "metadata": meta, "spec": spec, "status": st}


def hc_uid(s, r):
    """A stable uid for the HelmChart of a release (shared by the object and its events)."""
    return str(uuid.UUID(hashlib.md5(f"{s.name}/{r.hc_name}".encode()).hexdigest(), version=4))


def chart_ready_conds(r, ver, ltt, gen, reason="ChartPullSucceeded"):
    """source-controller v1.x: Ready/ArtifactInStorage True with Build.Summary() (builder.go)."""
    msg = f"pulled '{r.chart}' chart with version '{ver}'"
    return [cond("Ready", "True", reason, msg, ltt, gen), cond("ArtifactInStorage", "True", reason, msg, ltt, gen)]


def helmrepo_object(s, name, url, api, created, index_rev, fetched, interval="1h"):
    path = f"helmrepository/flux-system/{name}/index-{index_rev.split(':')[1][:16]}.yaml"
    msg = f"stored artifact: revision '{index_rev}'"
    return {"apiVersion": api, "kind": "HelmRepository",
            "metadata": {"creationTimestamp": rfc3339(created), "finalizers": ["finalizers.fluxcd.io"],
                         "generation": 1, "labels": KUSTOMIZE_LABELS("flux-system"), "name": name,
                         "namespace": "flux-system", "resourceVersion": s.rv(fetched, 8),
                         "uid": s.uuid()},
            "spec": {"interval": interval, "provider": "generic", "timeout": "1m0s", "url": url},
            "status": {"artifact": {"digest": index_rev, "lastUpdateTime": rfc3339(fetched), "path": path,
                                    "revision": index_rev, "size": 1_200_000 + len(name) * 7919,
                                    "url": f"http://source-controller.flux-system.svc.cluster.local./{path}"},
                       "conditions": [cond("Ready", "True", "Succeeded", msg, fetched, 1),
                                      cond("ArtifactInStorage", "True", "Succeeded", msg, fetched, 1)],
                       "observedGeneration": 1,
                       "url": f"http://source-controller.flux-system.svc.cluster.local./{path.rsplit('/', 1)[0]}/index.yaml"}}


def controller_container(deploy, image, mem_limit="1Gi", log_level="info"):
    args = ["--events-addr=http://notification-controller.flux-system.svc.cluster.local./",
            "--watch-all-namespaces=true", f"--log-level={log_level}", "--log-encoding=json",
            "--enable-leader-election"]
    if deploy == "notification-controller":
        args = args[1:]
    return {"name": "manager", "image": image, "args": args,
            "ports": [{"name": "http-prom", "containerPort": 8080, "protocol": "TCP"},
                      {"name": "healthz", "containerPort": 9440, "protocol": "TCP"}],
            "resources": {"limits": {"cpu": "1", "memory": mem_limit}, "requests": {"cpu": "100m", "memory": "64Mi"}},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent"}


def pod_object(s, name, deploy, image, node, pod_start, run_start, restarts=0, last_state=None, mem="1Gi",
               extra_args=()):
    """A flux-system controller pod (typed object: struct field order)."""
    rs = name.rsplit("-", 1)[0]
    ready_at = run_start + 1 * NS + s.ms(100, 900)
    c = controller_container(deploy, image, mem)
    c["args"] = c["args"] + list(extra_args)
    cs = {"name": "manager", "state": {"running": {"startedAt": rfc3339(run_start)}}, "lastState": last_state or {},
          "ready": True, "restartCount": restarts, "image": image,
          "imageID": f"{image.split(':')[0]}@sha256:{hashlib.sha256(image.encode()).hexdigest()}",
          "containerID": f"containerd://{s.hex(64)}", "started": True}
    conds = [{"type": ty, "status": "True", "lastProbeTime": None, "lastTransitionTime": rfc3339(at)}
             for ty, at in (("Initialized", pod_start), ("Ready", ready_at), ("ContainersReady", ready_at),
                            ("PodScheduled", pod_start - NS))]
    ip = f"10.244.{3 + len(name) % 4}.{20 + sum(map(ord, name)) % 200}"
    return {"metadata": {"name": name, "generateName": rs + "-", "namespace": "flux-system", "uid": s.uuid(),
                         "resourceVersion": s.rv(max(ready_at, run_start), 2),
                         "creationTimestamp": rfc3339(pod_start - NS),
                         "labels": {"app": deploy, "pod-template-hash": rs.rsplit("-", 1)[1]},
                         "annotations": {"prometheus.io/port": "8080", "prometheus.io/scrape": "true"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs,
                                              "uid": s.uuid(), "controller": True, "blockOwnerDeletion": True}]},
            "spec": {"containers": [c], "restartPolicy": "Always",
                     "terminationGracePeriodSeconds": 600 if deploy.startswith("helm-controller") else 60,
                     "dnsPolicy": "ClusterFirst", "serviceAccountName": deploy.split("-shard")[0],
                     "serviceAccount": deploy.split("-shard")[0], "nodeName": node,
                     "securityContext": {"fsGroup": 1337}, "schedulerName": "default-scheduler",
                     "priorityClassName": "system-cluster-critical", "priority": 2000000000},
            "status": {"phase": "Running", "conditions": conds, "hostIP": "10.0.12." + str(30 + len(node)),
                       "podIP": ip, "podIPs": [{"ip": ip}], "startTime": rfc3339(pod_start),
                       "containerStatuses": [cs], "qosClass": "Burstable"}}


def namespace_list(s, names, created):
    items = [{"metadata": {"name": n, "uid": s.uuid(), "resourceVersion": str(1200 + i),
                           "creationTimestamp": rfc3339(created), "labels": {"kubernetes.io/metadata.name": n}},
              "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}}
             for i, n in enumerate(sorted(names))]
    return {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": s.rv(s.C)}, "items": items}


def helm_collector(s, rels):
    """troubleshoot `helm` collector (pkg/collect/helm.go): helm/<ns>.json, json.MarshalIndent(.., "", "\\t").
    It lists releases with action.NewList (StateMask deployed|failed, latest revision only), so a release
    whose latest revision is pending-* is missing; history comes in API (secret name) order."""
    by_ns = {}
    for r in sorted(rels, key=lambda r: (r.ns, r.name)):
        if not r.revs:
            continue
        latest = r.revs[r.last_rev()]
        if latest["status"] not in ("deployed", "failed"):
            continue
        names = sorted(r.revs, key=lambda n: f"sh.helm.release.v1.{r.name}.v{n}")
        hist = [{"revision": str(n), "date": go_time_string(r.revs[n]["last"]), "status": r.revs[n]["status"]}
                for n in names]
        for h, n in zip(hist, names):
            if r.revs[n]["status"].startswith("pending"):
                h["isPending"] = True
        info = {"releaseName": r.name, "chart": r.chart, "chartVersion": latest["ver"]}
        if latest["app"]:
            info["appVersion"] = latest["app"]
        info.update(namespace=r.ns, releaseHistory=hist)
        by_ns.setdefault(r.ns, []).append(info)
    return {ns: go_json(v, indent="\t") for ns, v in by_ns.items()}


def helm_collector_release(s, r):
    """troubleshoot `helm` collector with releaseName set: helm/<ns>/<release>.json from action.NewGet (the
    latest revision, whatever its status) plus the whole history, isPending set for pending-* revisions."""
    names = sorted(r.revs, key=lambda n: f"sh.helm.release.v1.{r.name}.v{n}")
    hist = []
    for n in names:
        h = {"revision": str(n), "date": go_time_string(r.revs[n]["last"]), "status": r.revs[n]["status"]}
        if r.revs[n]["status"].startswith("pending"):
            h["isPending"] = True
        hist.append(h)
    latest = r.revs[r.last_rev()]
    info = {"releaseName": r.name, "chart": r.chart, "chartVersion": latest["ver"]}
    if latest["app"]:
        info["appVersion"] = latest["app"]
    info.update(namespace=r.ns, releaseHistory=hist)
    return go_json([info], indent="\t")


# ==== writers ===============================================================================
def write(path: Path, text: str):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def symlink(link: Path, target_file: Path):
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(os.path.relpath(target_file, link.parent))


def log_text(s, cid):
    return "".join(line + "\n" for _, _, line in sorted(s.logs.get(cid, []), key=lambda x: (x[0], x[1])))


def event_lists_by_ns(s, events):
    by = {}
    for e in events:
        by.setdefault(e["metadata"]["namespace"], []).append(e)
    return {ns: sorted(v, key=lambda e: e["metadata"]["name"]) for ns, v in by.items()}


def write_troubleshoot(s, out: Path, namespaces, crs, pods_by_ns, logs, events, helm_files, version="v0.78.1"):
    """troubleshoot.sh support bundle, unpacked (ECO 1a)."""
    write(out / "version.yaml", f"apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundle\nspec:\n  versionNumber: {version}\n")
    cr = out / "cluster-resources"
    write(cr / "namespaces.json", go_json(namespace_list(s, namespaces, T("2023-06-01T10:00:00Z"))))
    for ns, pods in pods_by_ns.items():
        write(cr / "pods" / f"{ns}.json", go_json({"kind": "PodList", "apiVersion": "v1",
                                                    "metadata": {"resourceVersion": s.rv(s.C)}, "items": pods}))
    for (plural, ns), objs in sorted(crs.items()):
        d = cr / "custom-resources" / plural
        write(d / f"{ns}.json", go_json(objs, sort_keys=True))     # bare array, maps => sorted keys
        symlink(d / f"{ns}.yaml", d / f"{ns}.json")                 # YAML twin is a symlink since #2117
    for ns, items in sorted(event_lists_by_ns(s, events).items()):
        write(cr / "events" / f"{ns}.json", go_json({"kind": "EventList", "apiVersion": "v1",
                                                      "metadata": {"resourceVersion": s.rv(s.C)}, "items": items}))
    for (pod, container, text) in logs:
        p = cr / "pods" / "logs" / "flux-system" / pod / f"{container}.log"
        write(p, text)
        symlink(out / "helm-controller" / pod / f"{container}.log", p)   # logs collector symlink
    for name, text in sorted(helm_files.items()):
        write(out / "helm" / f"{name}.json", text)


# ==== shared story helpers ===================================================================
def run_queue(s, first, until, handler, triggers=()):
    """controller-runtime work queue for one object: a pending (delayed) requeue, earliest wins, plus
    scripted triggers (spec change, HelmChart artifact, annotation); one reconcile at a time."""
    trig = sorted(triggers)
    pending, busy = first, 0
    while pending is not None or trig:
        t, kind = min(([(pending, "periodic")] if pending is not None else []) + trig[:1])
        t = max(t, busy + s.ms(1, 4))
        if t >= until:
            break
        if kind == "periodic":
            pending = None
        else:
            trig.pop(0)
        end, delay = handler(t, kind)
        busy = end
        if delay is not None:
            pending = end + delay if pending is None else min(pending, end + delay)


def seed_history(r, versions, app=""):
    """Older Helm revisions: list of (chart version, lastDeployed ns, values); all superseded but the last."""
    first = versions[0][1] + r.scn.ms(1, 999)
    for i, (ver, at, values) in enumerate(versions):
        r.add_rev("deployed" if i == len(versions) - 1 else "superseded", ver, app, first,
                  at + (r.scn.ms(1, 999) if i else first - versions[0][1]), values)


def helm_upgrade_lines(s, r, t, kinds, changed, name=None):
    """Helm pkg/action/upgrade.go + pkg/kube/client.go Update: the lines up to the wait."""
    name = name or r.name
    out = []
    for msg in (f"preparing upgrade for {name}", f"performing update for {name}",
                f"creating upgraded release for {name}", f"checking {len(kinds)} resources for changes"):
        t += s.ms(2, 40)
        out.append((t, msg))
    for kind, obj in kinds:
        t += s.ms(5, 30)
        out.append((t, f'Patch {kind} "{obj}" in namespace {r.ns}' if (kind, obj) in changed
                    else f'Looks like there are no changes for {kind} "{obj}"'))
    return out, t


def helm_wait_lines(s, r, t, k, timeout_str, deploy, ready, expected, until, name=None):
    """pkg/kube/wait.go: poll every 2s until `until`; the Deployment check logs each poll."""
    name = name or r.name
    out = [(t + s.ms(2, 10), f"waiting for release {name} resources (created: 0 updated: {k}  deleted: 0)")]
    t = out[-1][0] + s.ms(1, 5)
    out.append((t, f"beginning wait for {k} resources with timeout of {timeout_str}"))
    while t < until:
        out.append((t + s.ms(3, 20), f"Deployment is not ready: {r.ns}/{deploy}. {ready} out of {expected} expected pods are ready"))
        t += 2 * NS
    return out


def v36_event(s, cid, t, r, severity, msg, revision, token):
    """v0.36 event: reason = severity (`info`/`error`), annotations revision + token (HC 3.1)."""
    ann = {}
    if revision:
        ann["helm.toolkit.fluxcd.io/revision"] = revision
    if token:
        ann["helm.toolkit.fluxcd.io/token"] = token
    s.hr_event(cid, t, r, "Normal" if severity == "info" else "Warning", severity, msg, ann or None)


def v36_finished(s, cid, t0, t1, r, rid, nxt=None):
    """HC 2.1 `reconciliation finished in %s[, next run in %s]`."""
    msg = f"reconciliation finished in {go_duration(t1 - t0)}"
    if nxt:
        msg += f", next run in {go_duration(nxt)}"
    s.L(cid, t1, msg, r, rid)


def v36_healthy_status(r, last_action_end, action="upgrade"):
    rv = r.revs[r.last_rev()]
    reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
    r.status = {"conditions": [cond("Ready", "True", "ReconciliationSucceeded", "Release reconciliation succeeded",
                                    last_action_end),
                               cond("Released", "True", reason, f"Helm {action} succeeded", last_action_end)],
                "helmChart": f"flux-system/{r.hc_name}", "lastAppliedRevision": rv["ver"],
                "lastAttemptedRevision": rv["ver"], "lastAttemptedValuesChecksum": sha1_checksum(r.values),
                "lastReleaseRevision": r.last_rev(), "observedGeneration": r.gen}
    r.status_time = last_action_end


# ==== scenario 1: v036-failures ==============================================================
def scenario_v036():
    s = Scenario("v036-failures", 20231121, T("2023-11-21T10:42:37Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2beta1"
    POD = "helm-controller-865b9b77c-9x4lm"
    POD_START = T("2023-11-19T03:14:21Z")     # rescheduled after its node failed at ~03:09 (5m NotReady eviction)
    RUN = POD_START + 3 * NS + 212_000_000
    cid = "hc"
    # troubleshoot `logs` collector with limits.maxAge: 2h -> only the last two hours of manager.log (ECO 1a)
    s.procs[cid] = (C - 2 * HOUR, C)
    s.L(cid, RUN + 401_000_000, "starting manager", logger="setup")
    ev = dict(event_api=API)

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, **kw, **ev)
        r.apply_api = r.status_api = API
        return r

    # ---- healthy periodic reconciler (v0.36: deps line + `reconciliation finished ... next run in`) ----
    def healthy_loop(r, first):
        def h(t, kind):
            rid = s.uuid()
            now = t + s.ms(5, 30)
            if r.deps:
                s.L(cid, now, "all dependencies are ready, proceeding with release", r, rid)
            end = now + s.ms(90, 1400)
            nxt = s.jitter(r.interval_ns())
            v36_finished(s, cid, t, end, r, rid, nxt)
            return end, nxt
        run_queue(s, first, C, h)

    # infra/cert-manager, infra/ingress-nginx (depends on cert-manager), monitoring/kube-prometheus-stack
    cm = mk("infra", "cert-manager", "cert-manager", "v1.13.2", "jetstack", {"installCRDs": True, "replicaCount": 2},
            "2023-08-02T09:14:10Z", 6, interval="1h")
    seed_history(cm, [("v1.12.3", T("2023-08-02T09:14:22Z"), cm.values), ("v1.13.1", T("2023-10-05T13:01:40Z"), cm.values),
                      ("v1.13.2", T("2023-11-02T08:47:19Z"), cm.values)])
    v36_healthy_status(cm, T("2023-11-02T08:47:51Z"))
    cm.apply_time = T("2023-11-02T08:47:18Z")
    healthy_loop(cm, C - 2 * HOUR - s.ms(0, 3_500_000))
    s.plant(cm, [], "Healthy: periodic `reconciliation finished` every ~1h, Ready=True ReconciliationSucceeded.")

    ing = mk("infra", "ingress-nginx", "ingress-nginx", "4.8.3", "ingress-nginx",
             {"controller": {"replicaCount": 2, "metrics": {"enabled": True}}}, "2023-08-02T09:14:10Z", 9,
             interval="1h", deps=["infra/cert-manager"])
    seed_history(ing, [("4.7.1", T("2023-08-02T09:15:02Z"), ing.values), ("4.8.3", T("2023-11-07T10:22:05Z"), ing.values)])
    v36_healthy_status(ing, T("2023-11-07T10:22:41Z"))
    ing.apply_time = T("2023-11-07T10:22:04Z")
    healthy_loop(ing, C - 2 * HOUR - s.ms(0, 3_500_000))
    s.plant(ing, [], "Healthy, depends on infra/cert-manager which is Ready: "
                     "`all dependencies are ready, proceeding with release` each hour.")

    kps = mk("monitoring", "kube-prometheus-stack", "kube-prometheus-stack", "52.1.0", "prometheus-community",
             {"grafana": {"enabled": False}, "prometheus": {"prometheusSpec": {"retention": "15d"}}},
             "2023-08-02T09:20:44Z", 11, interval="30m", timeout="10m")
    seed_history(kps, [("51.0.3", T("2023-09-12T07:30:09Z"), kps.values), ("52.1.0", T("2023-11-14T16:05:33Z"), kps.values)])
    v36_healthy_status(kps, T("2023-11-14T16:07:02Z"))
    kps.apply_time = T("2023-11-14T16:05:31Z")
    healthy_loop(kps, C - 2 * HOUR - s.ms(0, 1_800_000))
    s.plant(kps, [], "Healthy: periodic reconciles every ~30m.")

    # ---- infra/velero: suspended by `flux suspend hr velero -n infra` (flux v2.1.2) ----
    vel = mk("infra", "velero", "velero", "5.1.4", "vmware-tanzu", {"configuration": {"provider": "aws"}},
             "2023-09-20T12:00:03Z", 5, interval="1h")
    seed_history(vel, [("5.1.0", T("2023-09-20T12:00:19Z"), vel.values), ("5.1.4", T("2023-11-08T09:40:10Z"), vel.values)])
    v36_healthy_status(vel, T("2023-11-08T09:40:38Z"))
    vel.status["observedGeneration"] = vel.gen
    vel.apply_time = T("2023-11-08T09:40:09Z")
    suspend_at = T("2023-11-21T09:31:05.118Z")
    vel.gen += 1                                    # spec.suspend: true -> new generation
    vel.spec_extra["suspend"] = True
    vel.managed.append({"apiVersion": API, "fieldsType": "FieldsV1", "manager": "flux", "operation": "Update",
                        "time": rfc3339(suspend_at), "fieldsV1": {"f:spec": {"f:suspend": {}}}})

    def velero_h(t, kind):
        if kind == "suspend":
            # HC 2.1: `Reconciliation is suspended for this object`; returns before patching status,
            # so observedGeneration stays behind generation.
            s.L(cid, t + s.ms(3, 9), "Reconciliation is suspended for this object", vel, s.uuid())
            return t + s.ms(10, 20), None
        rid = s.uuid()
        end = t + s.ms(200, 900)
        nxt = s.jitter(vel.interval_ns())
        v36_finished(s, cid, t, end, vel, rid, nxt)
        return end, nxt
    run_queue(s, C - 2 * HOUR - s.ms(0, 3_000_000), C, velero_h, [(suspend_at + s.ms(80, 200), "suspend")])
    s.plant(vel, ["suspended"], "spec.suspend=true set by `flux suspend` (managedFields manager `flux`); v0.36 logs "
            "`Reconciliation is suspended for this object` once and never patches status, so observedGeneration "
            "stays one behind generation while Ready still says ReconciliationSucceeded.",
            [("hr", "infra", "velero", '"suspend": true'), ("log", "Reconciliation is suspended for this object")])
    # ---- apps/cart: stuck-pending (HC 8, v0.36 with retries 0: endless upgrade cycle) ----
    cart_vals = {"replicaCount": 2, "redis": {"host": "redis-master.apps.svc"}}
    cart = mk("apps", "cart", "cart", "1.12.0", "acme-charts", cart_vals, "2023-05-09T10:31:00Z", 12)
    seed_history(cart, [("1.9.0", T("2023-05-09T10:31:14Z"), cart_vals), ("1.11.2", T("2023-10-24T12:40:02Z"), cart_vals),
                        ("1.11.4", T("2023-11-13T15:02:47Z"), cart_vals)])
    cart.revs = {n + 5: v for n, v in cart.revs.items()}          # revisions 6..8, older ones pruned
    # the previous helm-controller pod died with its node while upgrading to 1.12.0: v9 left pending-upgrade
    cart.add_rev("pending-upgrade", "1.12.0", "", T("2023-05-09T10:31:14Z"), T("2023-11-19T03:08:51Z"), cart_vals,
                 "Preparing upgrade")
    cart.apply_time = T("2023-11-19T03:08:47Z")
    tok = sha1_checksum(cart_vals)
    pend = "another operation (install/upgrade/rollback) is in progress"
    st = {"n": 0, "last": None}

    def cart_h(t, kind):
        rid = s.uuid()
        t1 = t + s.ms(180, 320)           # chart load
        v36_event(s, cid, t1, cart, "info", "Helm upgrade has started", "1.12.0", tok)
        t2 = t1 + s.ms(20, 60)            # Helm: prepareUpgrade -> errPending after one log line
        msg = f"Helm upgrade failed: {pend}"
        v36_event(s, cid, t2, cart, "error", msg + "\n\nLast Helm logs:\n\npreparing upgrade for cart", "1.12.0", tok)
        t3 = t2 + s.ms(10, 30)
        v36_event(s, cid, t3, cart, "error", f"reconciliation failed: {msg}", "1.12.0", tok)
        end = t3 + s.ms(5, 20)
        v36_finished(s, cid, t, end, cart, rid, s.jitter(cart.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", cart, rid, level="error", error=msg)
        st["last"] = (t, t2, end)
        d = backoff(st["n"])
        st["n"] += 1
        return end, d
    run_queue(s, RUN + s.ms(900, 1400), C, cart_h)
    t, t2, end = st["last"]
    cart.status = {"conditions": [cond("Ready", "False", "UpgradeFailed", f"Helm upgrade failed: {pend}", end),
                                  cond("Released", "False", "UpgradeFailed",
                                       f"Helm upgrade failed: {pend}\n\nLast Helm logs:\n\npreparing upgrade for cart", t2)],
                   "failures": 1, "helmChart": "flux-system/apps-cart", "lastAppliedRevision": "1.11.4",
                   "lastAttemptedRevision": "1.12.0", "lastAttemptedValuesChecksum": tok, "observedGeneration": cart.gen,
                   "upgradeFailures": 1}
    cart.status_time = end
    s.plant(cart, ["stuck-pending"], "Helm revision 9 is left pending-upgrade since 2023-11-19T03:08:51Z (the old "
            "controller pod died with its node mid-upgrade). v0.36.2 never unlocks: with upgrade retries 0 every "
            "reconcile writes lastReleaseRevision 0, sees a 'new state', resets the counters and retries the upgrade, "
            "which fails at once with `another operation (install/upgrade/rollback) is in progress`; the rate limiter "
            "settles at 15m. The troubleshoot helm collector omits the release (its latest revision is pending).",
            [("event", "Helm upgrade failed: another operation"), ("log", pend), ("hr", "another operation")])

    # ---- apps/checkout: upgrade-failed (resource already exists; same endless v0.36 cycle, no release stored) ----
    co_vals = {"replicaCount": 3, "featureFlags": {"configMapRef": "checkout-feature-flags"}}
    co = mk("apps", "checkout", "checkout", "2.4.0", "acme-charts", co_vals, "2023-05-09T10:31:00Z", 19)
    seed_history(co, [("2.1.0", T("2023-05-09T10:31:20Z"), co_vals), ("2.3.0", T("2023-10-30T09:12:00Z"), co_vals),
                      ("2.3.1", T("2023-11-15T11:48:31Z"), co_vals)])
    co.revs = {n + 8: v for n, v in co.revs.items()}            # revisions 9..11
    co_commit = T("2023-11-21T09:12:40Z")
    co.apply_time = co_commit
    co_tok = sha1_checksum(co_vals)
    exists = ('rendered manifests contain a resource that already exists. Unable to continue with update: '
              'ConfigMap "checkout-feature-flags" in namespace "apps" exists and cannot be imported into the current '
              'release: invalid ownership metadata; label validation error: missing key "app.kubernetes.io/managed-by": '
              'must be set to "Helm"; annotation validation error: missing key "meta.helm.sh/release-name": must be set '
              'to "checkout"; annotation validation error: missing key "meta.helm.sh/release-namespace": must be set to "apps"')
    co_st = {"n": 0, "last": None}

    def co_h(t, kind):
        rid = s.uuid()
        if kind == "periodic" and t < co_commit:
            end = t + s.ms(150, 900)
            nxt = s.jitter(co.interval_ns())
            v36_finished(s, cid, t, end, co, rid, nxt)
            return end, nxt
        if kind == "spec":
            # generation observed -> Progressing; HelmChart updated from the template and not yet reconciled
            s.L(cid, t + s.ms(8, 20), "chart diverged from template", co, rid, extra={"helmchart": "flux-system/apps-checkout"})
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, co, "info", "HelmChart 'flux-system/apps-checkout' is not ready", "2.3.1", co_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-checkout' is not ready", co, rid)
            end = t1 + s.ms(5, 15)
            nxt = s.jitter(co.interval_ns())
            v36_finished(s, cid, t, end, co, rid, nxt)
            return end, nxt
        t1 = t + s.ms(200, 350)
        v36_event(s, cid, t1, co, "info", "Helm upgrade has started", "2.4.0", co_tok)
        t2 = t1 + s.ms(120, 260)
        msg = f"Helm upgrade failed: {exists}"
        v36_event(s, cid, t2, co, "error", msg + "\n\nLast Helm logs:\n\npreparing upgrade for checkout\n"
                  "performing update for checkout", "2.4.0", co_tok)
        t3 = t2 + s.ms(10, 30)
        v36_event(s, cid, t3, co, "error", f"reconciliation failed: {msg}", "2.4.0", co_tok)
        end = t3 + s.ms(5, 20)
        v36_finished(s, cid, t, end, co, rid, s.jitter(co.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", co, rid, level="error", error=msg)
        co_st["last"] = (t, t2, end)
        d = backoff(co_st["n"])
        co_st["n"] += 1
        return end, d
    run_queue(s, C - 2 * HOUR - s.ms(0, 540_000), C, co_h,
              [(co_commit + s.ms(150, 250), "spec"), (co_commit + 2 * NS + s.ms(50, 300), "chart")])
    t, t2, end = co_st["last"]
    co.status = {"conditions": [cond("Ready", "False", "UpgradeFailed", f"Helm upgrade failed: {exists}", end),
                                cond("Released", "False", "UpgradeFailed", f"Helm upgrade failed: {exists}\n\nLast Helm "
                                     "logs:\n\npreparing upgrade for checkout\nperforming update for checkout", t2)],
                 "failures": 1, "helmChart": "flux-system/apps-checkout", "lastAppliedRevision": "2.3.1",
                 "lastAttemptedRevision": "2.4.0", "lastAttemptedValuesChecksum": co_tok, "observedGeneration": co.gen,
                 "upgradeFailures": 1}
    co.status_time = end
    s.plant(co, ["ownership-conflict", "upgrade-failed"], "Chart 2.4.0 adds ConfigMap checkout-feature-flags, which already exists without "
            "Helm ownership metadata: Helm refuses the upgrade before storing a release "
            "(`rendered manifests contain a resource that already exists`), so v0.36.2 records lastReleaseRevision 0 "
            "and retries forever with exponential backoff (no retries-exhausted state is ever reached).",
            [("event", "rendered manifests contain a resource that already exists"), ("log", "rendered manifests contain"),
             ("hr", "rendered manifests contain")])
    # ---- apps/recommender: timeout + retries-exhausted (HC 3.1, 4.1, runner 5-line buffer) ----
    rec_vals = {"replicaCount": 3, "model": {"bucket": "s3://ml-models/recommender"}}
    rec = mk("apps", "recommender", "recommender", "3.5.0", "acme-charts", rec_vals, "2023-06-14T08:02:11Z", 15,
             timeout="5m")
    rec.spec_extra["upgrade"] = {"remediation": {"retries": 2}}
    seed_history(rec, [("3.3.0", T("2023-10-02T10:14:00Z"), rec_vals), ("3.4.0", T("2023-10-26T13:22:47Z"), rec_vals),
                       ("3.4.1", T("2023-11-08T09:05:12Z"), rec_vals), ("3.4.2", T("2023-11-16T14:11:03Z"), rec_vals)])
    rec.revs = {n + 18: v for n, v in rec.revs.items()}        # revisions 19..22 (maxHistory 10 pruned older)
    rec_commit = T("2023-11-21T09:44:12Z")
    rec.apply_time = rec_commit
    rtok = sha1_checksum(rec_vals)
    kinds = [("PodDisruptionBudget", "recommender"), ("ServiceAccount", "recommender"), ("ConfigMap", "recommender"),
             ("Service", "recommender"), ("Deployment", "recommender")]
    timeout_msg = "Helm upgrade failed: context deadline exceeded"
    rs = "recommender-5f7d9c8b6d"
    rst = {"n": 0, "attempts": 0, "failures": 0, "fails": [], "rollbacks": [], "last": None, "tail": None}

    def rec_h(t, kind):
        rid = s.uuid()
        if kind == "periodic" and t < rec_commit:
            end = t + s.ms(150, 1100)
            nxt = s.jitter(rec.interval_ns())
            v36_finished(s, cid, t, end, rec, rid, nxt)
            return end, nxt
        if kind == "spec":
            s.L(cid, t + s.ms(8, 20), "chart diverged from template", rec, rid,
                extra={"helmchart": "flux-system/apps-recommender"})
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, rec, "info", "HelmChart 'flux-system/apps-recommender' is not ready", "3.4.2", rtok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-recommender' is not ready", rec, rid)
            end = t1 + s.ms(5, 15)
            nxt = s.jitter(rec.interval_ns())
            v36_finished(s, cid, t, end, rec, rid, nxt)
            return end, nxt
        if rst["attempts"] < 3:
            rst["attempts"] += 1
            if rst["attempts"] == 1:
                rst["failures"] = 0              # HelmReleaseProgressing resets the counters (new state)
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, rec, "info", "Helm upgrade has started", "3.5.0", rtok)
            n_old = rec.last_rev()
            n_new = rec.add_rev("pending-upgrade", "3.5.0", "", rec.revs[n_old]["first"], t1 + s.ms(5, 20), rec_vals)
            lines, tw = helm_upgrade_lines(s, rec, t1, kinds, {("Deployment", "recommender")})
            until = tw + 5 * MIN
            lines += helm_wait_lines(s, rec, tw, 5, "5m0s", "recommender", 0, 3, until)
            lines.append((until + s.ms(1, 4), 'warning: Upgrade "recommender" failed: context deadline exceeded'))
            rec.revs[n_new]["status"] = "failed"
            tail = helm_tail_v036(lines)
            tf = until + s.ms(5, 12)
            v36_event(s, cid, tf, rec, "error", f"{timeout_msg}\n\nLast Helm logs:\n\n{tail}", "3.5.0", rtok)
            rst["fails"].append(tf)
            rst["tail"] = tail
            # scheduler / deployment-controller side of the same attempt
            pod = f"{rs}-{s.hex(5)}"
            s.other_event(tw + s.ms(30, 90), until - s.ms(20_000, 60_000), 3,
                          {"kind": "Pod", "namespace": "apps", "name": pod, "uid": s.uuid(), "apiVersion": "v1",
                           "resourceVersion": s.rv(tw, 1)}, "Warning", "FailedScheduling",
                          "0/6 nodes are available: 6 Insufficient memory. preemption: 0/6 nodes are available: "
                          "6 No preemption victims found for incoming pod..", "default-scheduler")
            # rollback remediation (retries 2; the last failure is remediated too)
            tr = tf + s.ms(40, 90)
            n_rb = rec.add_rev("deployed", rec.revs[n_old]["ver"], "", rec.revs[n_old]["first"], tr, rec_vals)
            for n, rv in rec.revs.items():
                if rv["status"] == "deployed" and n != n_rb:
                    rv["status"] = "superseded"
            tr_end = tr + s.ms(2500, 4200)
            v36_event(s, cid, tr_end, rec, "info", "Helm rollback succeeded", "3.5.0", rtok)
            rst["rollbacks"].append(tr_end)
            rst["failures"] += 1
            t3 = tr_end + s.ms(10, 30)
            v36_event(s, cid, t3, rec, "error", f"reconciliation failed: {timeout_msg}", "3.5.0", rtok)
            end = t3 + s.ms(5, 20)
            err = timeout_msg
        else:                                   # HC 4.1 retries: `upgrade retries exhausted`
            rst["failures"] += 1
            t3 = t + s.ms(180, 340)
            v36_event(s, cid, t3, rec, "error", "reconciliation failed: upgrade retries exhausted", "3.5.0", rtok)
            end = t3 + s.ms(5, 20)
            err = "upgrade retries exhausted"
        v36_finished(s, cid, t, end, rec, rid, s.jitter(rec.interval_ns()))
        s.L(cid, end + s.ms(0, 1), "Reconciler error", rec, rid, level="error", error=err)
        rst["last"] = end
        d = backoff(rst["n"])
        rst["n"] += 1
        return end, d
    run_queue(s, C - 2 * HOUR - s.ms(0, 600_000), C, rec_h,
              [(rec_commit + s.ms(150, 250), "spec"), (rec_commit + 2 * NS + s.ms(100, 400), "chart")])
    s.other_event(rst["fails"][0] - 5 * MIN + 2 * NS, rst["fails"][-1] - 5 * MIN + 2 * NS, 3,
                  {"kind": "Deployment", "namespace": "apps", "name": "recommender", "uid": s.uuid(),
                   "apiVersion": "apps/v1", "resourceVersion": s.rv(rst["fails"][-1], 2)}, "Normal",
                  "ScalingReplicaSet", f"Scaled up replica set {rs} to 1", "deployment-controller")
    s.other_event(rst["rollbacks"][0] - 2 * NS, rst["rollbacks"][-1] - 2 * NS, 3,
                  {"kind": "Deployment", "namespace": "apps", "name": "recommender", "uid": s.uuid(),
                   "apiVersion": "apps/v1", "resourceVersion": s.rv(rst["rollbacks"][-1], 2)}, "Normal",
                  "ScalingReplicaSet", f"Scaled down replica set {rs} to 0 from 1", "deployment-controller")
    rec.status = {"conditions": [cond("Ready", "False", "UpgradeFailed", "upgrade retries exhausted", rst["fails"][0]),
                                 cond("Released", "False", "UpgradeFailed",
                                      f"{timeout_msg}\n\nLast Helm logs:\n\n{rst['tail']}", rst["fails"][0]),
                                 cond("Remediated", "True", "RollbackSucceeded", "Helm rollback succeeded",
                                      rst["rollbacks"][0])],
                  "failures": rst["failures"], "helmChart": "flux-system/apps-recommender",
                  "lastAppliedRevision": "3.4.2", "lastAttemptedRevision": "3.5.0", "lastAttemptedValuesChecksum": rtok,
                  "lastReleaseRevision": rec.last_rev(), "observedGeneration": rec.gen, "upgradeFailures": 3}
    rec.status_time = rst["last"]
    s.plant(rec, ["timeout", "retries-exhausted"], "Chart 3.5.0 raises the memory request so the new pods cannot be "
            "scheduled (FailedScheduling: Insufficient memory). Each of the 3 upgrade attempts (retries: 2) waits 5m "
            "and fails with `context deadline exceeded`; the Helm log tail names Deployment apps/recommender with "
            "0 out of 3 pods ready; each attempt is rolled back. Afterwards every reconcile ends in "
            "`upgrade retries exhausted` (Ready=False) with exponential backoff.",
            [("event", "Helm upgrade failed: context deadline exceeded"),
             ("event", "Deployment is not ready: apps/recommender"),
             ("event", "reconciliation failed: upgrade retries exhausted"), ("hr", "upgrade retries exhausted"),
             ("log", "upgrade retries exhausted")])

    # ---- apps/payments-api: values-missing (HC 2.1 values errors, HC 4.1 InitFailed) ----
    pay_vals = {"replicaCount": 2, "database": {"existingSecret": "payments-db-creds"}}
    pay = mk("apps", "payments-api", "payments-api", "4.2.0", "acme-charts", pay_vals, "2023-07-03T14:20:00Z", 8)
    seed_history(pay, [("4.1.3", T("2023-10-11T08:10:00Z"), pay_vals), ("4.2.0", T("2023-11-17T15:31:20Z"), pay_vals)])
    pay.revs = {n + 5: v for n, v in pay.revs.items()}          # revisions 6..7
    pay_commit = T("2023-11-21T10:05:31Z")
    pay.apply_time = pay_commit
    pay_tok = sha1_checksum(pay_vals)
    v36_healthy_status(pay, T("2023-11-17T15:31:52Z"))
    pay.gen += 1
    pay.spec_extra["valuesFrom"] = [{"kind": "Secret", "name": "payments-db-creds", "valuesKey": "values.yaml"}]
    vmsg = "could not find Secret 'apps/payments-db-creds'"
    pst = {"n": 0, "count": 0, "first": None, "last": None}

    def pay_h(t, kind):
        rid = s.uuid()
        if t < pay_commit:
            end = t + s.ms(150, 900)
            nxt = s.jitter(pay.interval_ns())
            v36_finished(s, cid, t, end, pay, rid, nxt)
            return end, nxt
        t1 = t + s.ms(8, 25)
        v36_event(s, cid, t1, pay, "error", vmsg, "4.2.0", pay_tok)
        end = t1 + s.ms(3, 9)
        v36_finished(s, cid, t, end, pay, rid)           # Result{Requeue: true}: no `next run in`
        pst["count"] += 1
        pst["first"] = pst["first"] or t1
        pst["last"] = end
        d = backoff(pst["n"])
        pst["n"] += 1
        return end, d
    run_queue(s, C - 2 * HOUR - s.ms(0, 540_000), C, pay_h, [(pay_commit + s.ms(150, 250), "spec")])
    pay.status = {"conditions": [cond("Ready", "False", "InitFailed", vmsg, pst["first"])],
                  "failures": pst["count"], "helmChart": "flux-system/apps-payments-api", "lastAppliedRevision": "4.2.0",
                  "lastAttemptedRevision": "4.2.0", "lastAttemptedValuesChecksum": pay_tok,
                  "lastReleaseRevision": pay.last_rev(), "observedGeneration": pay.gen}
    pay.status_time = pst["last"]
    s.plant(pay, ["values-missing"], "A commit adds valuesFrom Secret payments-db-creds, which does not exist: v0.36.2 "
            "fails in composeValues with `could not find Secret 'apps/payments-db-creds'` (Ready=False InitFailed, "
            "event reason `error`) and requeues with Requeue:true (rate-limited, no Reconciler error line).",
            [("event", vmsg), ("hr", vmsg)])

    # ---- apps/frontend: recovered, chart version missing from the index for a minute ----
    fe_vals = {"replicaCount": 3, "ingress": {"enabled": True, "host": "shop.example.com"}}
    fe = mk("apps", "frontend", "frontend", "5.3.0", "acme-charts", fe_vals, "2023-05-09T10:31:00Z", 27)
    seed_history(fe, [("5.1.0", T("2023-10-19T09:00:00Z"), fe_vals), ("5.2.0", T("2023-11-14T10:12:09Z"), fe_vals)])
    fe.revs = {n + 12: v for n, v in fe.revs.items()}           # revisions 13..14
    fe_commit, fe_ready = T("2023-11-21T10:11:02Z"), T("2023-11-21T10:12:06.204Z")
    fe.apply_time = fe_commit
    fe_tok = sha1_checksum(fe_vals)
    fst = {}

    def fe_h(t, kind):
        rid = s.uuid()
        if kind == "spec":
            s.L(cid, t + s.ms(8, 20), "chart diverged from template", fe, rid, extra={"helmchart": "flux-system/apps-frontend"})
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, fe, "info", "HelmChart 'flux-system/apps-frontend' is not ready", "5.2.0", fe_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-frontend' is not ready", fe, rid)
            end = t1 + s.ms(5, 15)
        elif kind == "chart":
            t1 = t + s.ms(220, 360)
            v36_event(s, cid, t1, fe, "info", "Helm upgrade has started", "5.3.0", fe_tok)
            n = fe.add_rev("deployed", "5.3.0", "", fe.revs[fe.last_rev()]["first"], t1 + s.ms(5, 20), fe_vals)
            for k, rv in fe.revs.items():
                if k != n and rv["status"] == "deployed":
                    rv["status"] = "superseded"
            end = t1 + s.ms(33_000, 38_000)
            v36_event(s, cid, end - s.ms(2, 6), fe, "info", "Helm upgrade succeeded", "5.3.0", fe_tok)
            fst["done"] = end
        else:
            end = t + s.ms(150, 1100)
        nxt = s.jitter(fe.interval_ns())
        v36_finished(s, cid, t, end, fe, rid, nxt)
        return end, nxt
    run_queue(s, C - 2 * HOUR - s.ms(0, 540_000), C, fe_h,
              [(fe_commit + s.ms(150, 250), "spec"), (fe_ready + s.ms(300, 500), "chart")])
    v36_healthy_status(fe, fst["done"])
    s.chart_event(fe, fe_commit + s.ms(900, 1500), "source.toolkit.fluxcd.io/v1beta2",
                  failed="invalid chart reference: failed to get chart version for remote reference: no 'frontend' "
                         "chart with version matching '5.3.0' found")
    s.chart_event(fe, fe_ready - s.ms(40, 90), "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(rec, rec_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.plant(fe, [], "Recovered: chart 5.3.0 was not yet in the acme-charts index for about a minute (HelmChart "
            "InvalidChartReference, `HelmChart 'flux-system/apps-frontend' is not ready`); after the index refresh the "
            "upgrade succeeded and Ready=True.", [("log", "HelmChart 'flux-system/apps-frontend' is not ready"),
                                                   ("event", "Helm upgrade succeeded")])

    # ---- apps/catalog: recovered, first upgrade attempt timed out, the retry succeeded ----
    ca_vals = {"replicaCount": 2, "search": {"endpoint": "http://opensearch.search:9200"}}
    ca = mk("apps", "catalog", "catalog", "1.9.0", "acme-charts", ca_vals, "2023-06-01T08:00:00Z", 13, timeout="5m")
    ca.spec_extra["upgrade"] = {"remediation": {"retries": 3}}
    seed_history(ca, [("1.7.2", T("2023-10-03T12:00:00Z"), ca_vals), ("1.8.0", T("2023-11-09T13:44:01Z"), ca_vals)])
    ca.revs = {n + 9: v for n, v in ca.revs.items()}            # revisions 10..11
    ca_commit = T("2023-11-21T10:19:48Z")
    ca.apply_time = ca_commit
    ca_tok = sha1_checksum(ca_vals)
    ca_kinds = [("ServiceAccount", "catalog"), ("Service", "catalog"), ("Deployment", "catalog")]
    cst = {"attempt": 0}

    def ca_h(t, kind):
        rid = s.uuid()
        if kind == "spec":
            s.L(cid, t + s.ms(8, 20), "chart diverged from template", ca, rid, extra={"helmchart": "flux-system/apps-catalog"})
            t1 = t + s.ms(30, 60)
            v36_event(s, cid, t1, ca, "info", "HelmChart 'flux-system/apps-catalog' is not ready", "1.8.0", ca_tok)
            s.L(cid, t1 + s.ms(0, 2), "HelmChart 'flux-system/apps-catalog' is not ready", ca, rid)
            end = t1 + s.ms(5, 15)
        elif kind == "periodic" and cst["attempt"] in (0, 2):
            end = t + s.ms(150, 1100)
        elif cst["attempt"] == 0:
            cst["attempt"] = 1
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, ca, "info", "Helm upgrade has started", "1.9.0", ca_tok)
            n_old = ca.last_rev()
            n_new = ca.add_rev("failed", "1.9.0", "", ca.revs[n_old]["first"], t1 + s.ms(5, 20), ca_vals)
            lines, tw = helm_upgrade_lines(s, ca, t1, ca_kinds, {("Deployment", "catalog")})
            until = tw + 5 * MIN
            lines += helm_wait_lines(s, ca, tw, 3, "5m0s", "catalog", 1, 2, until)
            lines.append((until + s.ms(1, 4), 'warning: Upgrade "catalog" failed: context deadline exceeded'))
            tf = until + s.ms(5, 12)
            v36_event(s, cid, tf, ca, "error", "Helm upgrade failed: context deadline exceeded\n\nLast Helm logs:\n\n"
                      + helm_tail_v036(lines), "1.9.0", ca_tok)
            tr = tf + s.ms(40, 90)
            ca.add_rev("deployed", "1.8.0", "", ca.revs[n_old]["first"], tr, ca_vals)
            ca.revs[n_old]["status"] = "superseded"
            tr_end = tr + s.ms(2500, 4000)
            v36_event(s, cid, tr_end, ca, "info", "Helm rollback succeeded", "1.9.0", ca_tok)
            t3 = tr_end + s.ms(10, 30)
            v36_event(s, cid, t3, ca, "error", "reconciliation failed: Helm upgrade failed: context deadline exceeded",
                      "1.9.0", ca_tok)
            end = t3 + s.ms(5, 20)
            v36_finished(s, cid, t, end, ca, rid, s.jitter(ca.interval_ns()))
            s.L(cid, end + s.ms(0, 1), "Reconciler error", ca, rid, level="error",
                error="Helm upgrade failed: context deadline exceeded")
            at = tw + s.ms(30, 90)
            s.other_event(at, at, 1,
                          {"kind": "Pod", "namespace": "apps", "name": f"catalog-7b9cf6d8d4-{s.hex(5)}", "uid": s.uuid(),
                           "apiVersion": "v1", "resourceVersion": s.rv(tw, 1)}, "Normal", "TriggeredScaleUp",
                          "pod triggered scale-up: [{eks-workers-2023110614125518300000000c 6->7 (max: 10)}]",
                          "cluster-autoscaler")
            return end, backoff(0)
        else:
            cst["attempt"] = 2
            t1 = t + s.ms(220, 380)
            v36_event(s, cid, t1, ca, "info", "Helm upgrade has started", "1.9.0", ca_tok)
            n_new = ca.add_rev("deployed", "1.9.0", "", ca.revs[ca.last_rev()]["first"], t1 + s.ms(5, 20), ca_vals)
            for k, rv in ca.revs.items():
                if k != n_new and rv["status"] == "deployed":
                    rv["status"] = "superseded"
            end = t1 + s.ms(41_000, 46_000)
            v36_event(s, cid, end - s.ms(2, 6), ca, "info", "Helm upgrade succeeded", "1.9.0", ca_tok)
            cst["done"] = end
        nxt = s.jitter(ca.interval_ns())
        v36_finished(s, cid, t, end, ca, rid, nxt)
        return end, nxt
    run_queue(s, C - 2 * HOUR - s.ms(0, 540_000), C, ca_h,
              [(ca_commit + s.ms(150, 250), "spec"), (ca_commit + 2 * NS + s.ms(100, 400), "chart")])
    v36_healthy_status(ca, cst["done"])
    s.plant(ca, [], "Recovered: the first upgrade to 1.9.0 timed out (1 of 2 pods ready until cluster-autoscaler added "
            "a node) and was rolled back; the retry 1s later succeeded, Ready=True ReconciliationSucceeded.",
            [("event", "Helm upgrade failed: context deadline exceeded"), ("event", "Helm upgrade succeeded")])
    s.chart_event(ca, ca_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    # ---- bundle ----
    repos = {"acme-charts": "https://charts.acme.example.com", "jetstack": "https://charts.jetstack.io",
             "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
             "prometheus-community": "https://prometheus-community.github.io/helm-charts",
             "vmware-tanzu": "https://vmware-tanzu.github.io/helm-charts"}
    pulled = {"apps/frontend": fe_ready, "apps/recommender": rec_commit + 2 * NS, "apps/checkout": co_commit + 2 * NS,
              "apps/catalog": ca_commit + 2 * NS}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 3 + len(r.revs)
        charts.append(helmchart_object(s, r, "source.toolkit.fluxcd.io/v1beta2", gen, gen, r.ver,
                                       chart_ready_conds(r, r.ver, at, gen), r.created + NS,
                                       "sha256:" + hashlib.sha256(f"{r.repo}-{at // HOUR}".encode()).hexdigest(), at))
    repo_objs = [helmrepo_object(s, n, u, "source.toolkit.fluxcd.io/v1beta2", T("2023-05-09T10:20:00Z"),
                                 "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
                                 C - s.ms(60_000, 3_000_000), interval="1m" if n == "acme-charts" else "1h")
                 for n, u in sorted(repos.items())]
    node = "ip-10-0-42-17.eu-west-1.compute.internal"
    pods = [pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v0.36.2", node, POD_START, RUN),
            pod_object(s, "source-controller-6d597849c8-2qk7w", "source-controller",
                       "ghcr.io/fluxcd/source-controller:v1.1.2", node, POD_START + 2 * NS, POD_START + 5 * NS),
            pod_object(s, "kustomize-controller-57c7ff5596-8d9vb", "kustomize-controller",
                       "ghcr.io/fluxcd/kustomize-controller:v1.1.1", "ip-10-0-17-203.eu-west-1.compute.internal",
                       T("2023-10-12T14:01:55Z"), T("2023-10-12T14:01:58Z")),
            pod_object(s, "notification-controller-858996fc54-xkm2b", "notification-controller",
                       "ghcr.io/fluxcd/notification-controller:v1.1.0", "ip-10-0-17-203.eu-west-1.compute.internal",
                       T("2023-10-12T14:01:55Z"), T("2023-10-12T14:01:59Z"))]
    crs = {}
    for r in s.releases.values():
        crs.setdefault(("helmreleases.helm.toolkit.fluxcd.io", r.ns), []).append(hr_object(r, API))
    for k in crs:
        crs[k].sort(key=lambda o: o["metadata"]["name"])
    crs[("helmcharts.source.toolkit.fluxcd.io", "flux-system")] = charts
    crs[("helmrepositories.source.toolkit.fluxcd.io", "flux-system")] = repo_objs
    out = SAMPLES / s.name
    write_troubleshoot(s, out, ["apps", "flux-system", "infra", "kube-system", "monitoring"], crs,
                       {"flux-system": pods}, [(POD, "manager", log_text(s, cid))], s.correlate_events(),
                       helm_collector(s, s.releases.values()))
    s.layout = {"kind": "troubleshoot", "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log"}
    return s


# ==== v0.37+ / v1 helpers ====================================================================
def setc(r, ctype, status, reason, msg, t):
    """fluxcd/pkg conditions.Set: lastTransitionTime changes when status, reason or message change;
    observedGeneration = object generation (HC 4.2)."""
    old = r.conds.get(ctype)
    same = old and (old["status"], old["reason"], old["message"]) == (status, reason, msg)
    r.conds[ctype] = cond(ctype, status, reason, msg, T(old["lastTransitionTime"]) if same else t, r.gen)


def delc(r, ctype):
    r.conds.pop(ctype, None)


def chart_line(r, action=None):
    """internal/reconcile/helmchart_template.go (HC 2.2)."""
    base = f"HelmChart/flux-system/{r.hc_name} with SourceRef 'HelmRepository/flux-system/{r.repo}'"
    return f"{action} {base}" if action else f"{base} is in-sync"


def ann(r, n, v1):
    """eventMeta: revision + token, v1.0+ also app-version (HC 3.2)."""
    rv = r.revs[n]
    a = {"helm.toolkit.fluxcd.io/revision": rv["ver"], "helm.toolkit.fluxcd.io/token": sha256_digest(rv["values"])}
    if v1 and rv["app"]:
        a["helm.toolkit.fluxcd.io/app-version"] = rv["app"]
    return a


class V37:
    """Reconcile building blocks of helm-controller v0.37.4 / v1.x (internal/controller, internal/reconcile)."""

    def __init__(self, s, cid, v1=False, v14=False):
        self.s, self.cid, self.v1, self.v14 = s, cid, v1, v14

    def start(self, t, r, chart_action=None):
        """Reconcile(): HelmChart template, then `Reconciling=True Fulfilling prerequisites`."""
        s, rid = self.s, self.s.uuid()
        t += s.ms(6, 30)
        s.L(self.cid, t, chart_line(r, chart_action), r, rid)
        if chart_action:
            # Trace event, stored as a Normal Kubernetes event (HC 3.2)
            s.hr_event(self.cid, t + s.ms(1, 4), r, "Normal", f"HelmChart{chart_action}", chart_line(r, chart_action))
        setc(r, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", t)
        return t + s.ms(5, 20), rid

    def deps(self, t, r, rid, blocked_by=None):
        s = self.s
        s.L(self.cid, t, f"checking {len(r.deps)} dependencies", r, rid)
        t += s.ms(2, 9)
        if blocked_by:
            err = blocked_by
            s.L(self.cid, t, f"dependencies do not meet ready condition ({err}): retrying in 30s", r, rid)
            setc(r, "Ready", "False", "DependencyNotReady", err, t)
            if self.v1:      # v0.37.x passes severity `info` as the event type: no Kubernetes Event (HC 3.2)
                s.hr_event(self.cid, t + s.ms(0, 2), r, "Normal", "DependencyNotReady", err)
            return t + s.ms(3, 12)
        s.L(self.cid, t, "all dependencies are ready", r, rid)
        if r.conds.get("Ready", {}).get("reason") == "DependencyNotReady":
            setc(r, "Ready", "Unknown", "Progressing", "reconciliation in progress", t)
        return t + s.ms(3, 10)

    def chart_not_ready(self, t, r, rid, reason):
        msg = f"HelmChart 'flux-system/{r.hc_name}' is not ready: {reason}"
        self.s.L(self.cid, t, msg, r, rid)
        setc(r, "Ready", "False", "SourceNotReady" if self.v1 else "HelmChartNotReady", msg, t)
        return t + self.s.ms(2, 8)

    def clear_prereq(self, t, r, reasons=("DependencyNotReady", "HelmChartNotReady", "SourceNotReady",
                                          "ValuesError", "ArtifactFailed")):
        if r.conds.get("Ready", {}).get("reason") in reasons and r.conds["Ready"]["status"] == "False":
            setc(r, "Ready", "Unknown", "Progressing", "reconciliation in progress", t)

    def attempt(self, r, t):
        """Set last attempt values (HC 5.2 step 5)."""
        st = r.status
        st["lastAttemptedGeneration"] = r.gen
        st["lastAttemptedRevision"] = r.ver
        st["lastAttemptedConfigDigest"] = sha256_digest(r.values)
        st["storageNamespace"] = r.ns

    def run_action(self, t, r, rid, name, timeout, release_type=True):
        s = self.s
        msg = f"Running '{name}' action with timeout of {timeout}"
        setc(r, "Reconciling", "True", "Progressing", msg, t)
        if release_type:
            setc(r, "Ready", "Unknown", "Progressing", msg, t)
        s.L(self.cid, t + s.ms(3, 12), f"running '{name}' action with timeout of {timeout}", r, rid)
        return t + s.ms(15, 40)

    def summarize(self, r, t, tests=False):
        """internal/reconcile/release.go summarize(): Ready = copy of Remediated > TestSuccess > Released."""
        order = ["Remediated", "TestSuccess", "Released"] if tests else ["Remediated", "Released"]
        for ctype in order:
            c = r.conds.get(ctype)
            if c:
                status = "False" if ctype == "Remediated" else c["status"]
                setc(r, "Ready", status, c["reason"], c["message"], t)
                if status == "True":
                    delc(r, "Stalled")
                return

    def done_insync(self, t, r, rid, tests=False):
        """`release in-sync with desired state`, Reconciling removed, summarize (HC 2.2, 4.2)."""
        s = self.s
        s.L(self.cid, t, "release in-sync with desired state", r, rid)
        delc(r, "Reconciling")
        self.summarize(r, t, tests)
        if not self.v1:
            r.status["lastAppliedRevision"] = r.revs[r.history[0]["version"]]["ver"] if r.history else r.ver
        r.truncate() if len(r.history) > 2 else None
        end = t + s.ms(20, 60)
        r.status["observedGeneration"] = r.gen
        r.status_time = end
        return end

    def upgrade_ok(self, t, r, rid, dur, reason="release chart changed", n_app=""):
        """`release out-of-sync with desired state: <reason>` -> upgrade that succeeds (HC 3.2/4.2)."""
        s = self.s
        s.L(self.cid, t + s.ms(40, 90), f"release out-of-sync with desired state: {reason}", r, rid)
        t = self.run_action(t + s.ms(100, 150), r, rid, "upgrade", r.timeout_str())
        delc(r, "TestSuccess")
        delc(r, "Remediated")
        r.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = r.history[0]["version"]
        n = r.add_rev("deployed", r.ver, n_app, r.revs[n_old]["first"], t + s.ms(10, 30), r.values)
        if r.revs[n_old]["status"] == "deployed":
            r.revs[n_old]["status"] = "superseded"
        r.observe([n, n_old], self.v1)
        t += dur
        if self.v14:
            r.status["lastAttemptedReleaseActionDuration"] = go_duration(dur + s.ms(1, 30))
        ok = f"Helm upgrade succeeded for release {r.full(n)} with chart {r.chart_at(n)}"
        s.hr_event(self.cid, t, r, "Normal", "UpgradeSucceeded", ok, ann(r, n, self.v1))
        setc(r, "Released", "True", "UpgradeSucceeded", ok, t)
        self.summarize(r, t)
        return t + s.ms(40, 110)

    def healthy(self, t, r):
        t, rid = self.start(t, r)
        if r.deps:
            t = self.deps(t, r, rid)
        self.attempt(r, t)
        return self.done_insync(t + self.s.ms(60, 700), r, rid)


def v37_seed(r, versions, action_end, v1=False, action="upgrade", app="", base=0):
    """Old revisions (numbered from base+1) plus the status the last successful action left (history of 2)."""
    seed_history(r, versions, app)
    r.revs = {n + base: x for n, x in r.revs.items()}
    ns = sorted(r.revs, reverse=True)
    r.history = [r.snapshot(n, v1) for n in ns[:2]]
    r.conds = {}
    n = ns[0]
    reason = "InstallSucceeded" if action == "install" else "UpgradeSucceeded"
    msg = f"Helm {action} succeeded for release {r.full(n)} with chart {r.chart_at(n)}"
    setc(r, "Released", "True", reason, msg, action_end)
    setc(r, "Ready", "True", reason, msg, action_end)
    r.status = {"helmChart": f"flux-system/{r.hc_name}", "lastAttemptedReleaseAction": action,
                "observedGeneration": r.gen}
    if not v1:
        r.status["lastAppliedRevision"] = r.revs[n]["ver"]
    V37(r.scn, None).attempt(r, action_end)
    r.status_time = action_end


def finish_status(r):
    st = dict(r.status)
    st["conditions"] = sort_conds(list(r.conds.values()))
    if r.history:
        st["history"] = [dict(h) for h in r.history]
    else:
        st.pop("history", None)
    for k in ("failures", "installFailures", "upgradeFailures"):
        if not st.get(k):
            st.pop(k, None)
    r.status = st


# ==== scenario 2: v037-failures ==============================================================
def scenario_v037():
    s = Scenario("v037-failures", 20240220, T("2024-02-20T16:31:08Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2beta2"
    POD = "helm-controller-6b5c9d8f47-q7m2x"
    POD_START = T("2024-02-20T14:02:14Z")
    RUN = POD_START + 3 * NS + 318_000_000
    cid = "hc"
    s.procs[cid] = (RUN, C)                 # `kubectl logs deploy/helm-controller`: the whole container life
    v = V37(s, cid)
    s.L(cid, RUN + 433_000_000, "starting manager", logger="setup")
    s.L(cid, RUN + 1_912_000_000, "Starting Controller", extra={"_ctrl": True})
    s.L(cid, RUN + 1_913_000_000, "Starting workers", extra={"_ctrl": True, "worker count": 4})
    first = RUN + 2 * NS

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def healthy_loop(r, start=None, until=C):
        def h(t, kind):
            end = v.healthy(t, r)
            return end, s.jitter(r.interval_ns())
        run_queue(s, start or first + s.ms(0, 3000), until, h)

    # ---- healthy: infra/cert-manager, infra/ingress-nginx (depends on it), monitoring/kube-prometheus-stack ----
    cm = mk("infra", "cert-manager", "cert-manager", "v1.14.2", "jetstack", {"installCRDs": True, "replicaCount": 2},
            "2023-08-02T09:14:10Z", 9, interval="1h")
    v37_seed(cm, [("v1.13.3", T("2024-01-09T10:00:00Z"), cm.values), ("v1.14.2", T("2024-02-13T09:21:40Z"), cm.values)],
             T("2024-02-13T09:22:15Z"), base=7)
    cm.apply_time = T("2024-02-13T09:21:38Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy (in-sync every hour).")

    ing = mk("infra", "ingress-nginx", "ingress-nginx", "4.9.1", "ingress-nginx",
             {"controller": {"replicaCount": 2, "metrics": {"enabled": True}}}, "2023-08-02T09:14:10Z", 12,
             interval="1h", deps=["infra/cert-manager"])
    v37_seed(ing, [("4.8.3", T("2023-12-01T10:00:00Z"), ing.values), ("4.9.1", T("2024-02-06T15:40:02Z"), ing.values)],
             T("2024-02-06T15:40:44Z"))
    ing.apply_time = T("2024-02-06T15:40:01Z")
    healthy_loop(ing)
    s.plant(ing, [], "Healthy, its dependency infra/cert-manager is Ready (`all dependencies are ready`).")

    kps = mk("monitoring", "kube-prometheus-stack", "kube-prometheus-stack", "56.6.2", "prometheus-community",
             {"grafana": {"enabled": False}, "prometheus": {"prometheusSpec": {"retention": "15d"}}},
             "2023-08-02T09:20:44Z", 17, interval="30m", timeout="10m")
    v37_seed(kps, [("56.0.1", T("2024-01-18T10:00:00Z"), kps.values), ("56.6.2", T("2024-02-12T11:05:31Z"), kps.values)],
             T("2024-02-12T11:07:19Z"))
    kps.apply_time = T("2024-02-12T11:05:30Z")
    healthy_loop(kps)
    s.plant(kps, [], "Healthy (in-sync every 30 minutes).")

    # ---- apps/search-api: timeout + retries-exhausted ----
    sa_vals = {"replicaCount": 3, "resources": {"requests": {"memory": "12Gi", "cpu": "2"}}}
    sa_old = {"replicaCount": 3, "resources": {"requests": {"memory": "4Gi", "cpu": "1"}}}
    sa = mk("apps", "search-api", "search-api", "1.7.3", "acme-charts", sa_old, "2023-09-04T08:00:00Z", 9, timeout="5m")
    sa.spec_extra["upgrade"] = {"remediation": {"retries": 2}}
    v37_seed(sa, [("1.7.1", T("2024-01-30T10:12:00Z"), sa_old), ("1.7.3", T("2024-02-15T13:02:11Z"), sa_old)],
             T("2024-02-15T13:02:49Z"), base=3)                  # revisions 4..5
    sa.apply_time = T("2024-02-15T13:02:10Z")
    sa_commit = T("2024-02-20T15:20:03Z")
    sa_request = "2024-02-20T15:52:40.118263511Z"
    kinds = [("PodDisruptionBudget", "search-api"), ("ServiceAccount", "search-api"), ("ConfigMap", "search-api"),
             ("Service", "search-api"), ("Deployment", "search-api")]
    sst = {"n": 0, "attempts": 0, "fails": []}

    def sa_h(t, kind):
        if kind == "periodic" and t < sa_commit:
            return v.healthy(t, sa), s.jitter(sa.interval_ns())
        if kind == "spec":
            sa.ver, sa.values, sa.gen = "1.8.0", sa_vals, sa.gen + 1
            t, rid = v.start(t, sa, "Configured")
            t = v.chart_not_ready(t, sa, rid, "latest generation of object has not been reconciled")
            sa.status_time = t
            return t, s.jitter(sa.interval_ns())
        t, rid = v.start(t, sa)
        v.clear_prereq(t, sa)
        v.attempt(sa, t)
        if kind == "request":
            sa.annotations = {"reconcile.fluxcd.io/requestedAt": sa_request}
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", sa, rid)
            t += s.ms(100, 160)
            setc(sa, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 3 attempt(s)", t)
            delc(sa, "Reconciling")
            sa.status["lastHandledReconcileAt"] = sa_request
            s.L(cid, t + s.ms(5, 15), "Reconciler error", sa, rid, level="error",
                error="terminal error: exceeded maximum retries: cannot upgrade release")
            sa.status_time = t + s.ms(5, 15)
            return sa.status_time, None
        sst["attempts"] += 1
        if sst["attempts"] == 1:
            sa.status["failures"] = sa.status["upgradeFailures"] = 0   # resetting failure count (chart version differs)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", sa, rid)
        t = v.run_action(t + s.ms(100, 150), sa, rid, "upgrade", "5m0s")
        sa.status["lastAttemptedReleaseAction"] = "upgrade"
        delc(sa, "TestSuccess")
        delc(sa, "Remediated")
        n_old = sa.history[0]["version"]
        n_new = sa.add_rev("pending-upgrade", "1.8.0", "", sa.revs[n_old]["first"], t + s.ms(10, 30), sa_vals)
        lines, tw = helm_upgrade_lines(s, sa, t, kinds, {("Deployment", "search-api")})
        until = tw + 5 * MIN
        lines += helm_wait_lines(s, sa, tw, 5, "5m0s", "search-api", 0, 3, until)
        lines.append((until + s.ms(1, 4), 'warning: Upgrade "search-api" failed: context deadline exceeded'))
        sa.revs[n_new]["status"] = "failed"
        sa.observe([n_new, n_old])
        tf = until + s.ms(8, 20)
        msg = ("Helm upgrade failed for release apps/search-api with chart search-api@1.8.0: "
               "context deadline exceeded")
        s.hr_event(cid, tf, sa, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
                   {"helm.toolkit.fluxcd.io/revision": "1.8.0", "helm.toolkit.fluxcd.io/token": sha256_digest(sa_vals)})
        sst["fails"].append(tf)
        setc(sa, "Released", "False", "UpgradeFailed", msg, tf)
        sa.status["failures"] += 1
        sa.status["upgradeFailures"] += 1
        v.summarize(sa, tf)
        pod = f"search-api-6c8f7d9b5-{s.hex(5)}"
        s.other_event(tw + s.ms(40, 90), until - s.ms(20_000, 50_000), 3,
                      {"kind": "Pod", "namespace": "apps", "name": pod, "uid": s.uuid(), "apiVersion": "v1",
                       "resourceVersion": s.rv(tw, 1)}, "Warning", "FailedScheduling",
                      "0/5 nodes are available: 5 Insufficient memory. preemption: 0/5 nodes are available: "
                      "5 No preemption victims found for incoming pod..", "default-scheduler")
        # Failed -> rollback remediation (HC 2.2 `release is in a failed state`)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", sa, rid)
        sa.truncate()
        prev = sa.previous()
        t = v.run_action(t + s.ms(5, 15), sa, rid, "rollback", "5m0s", release_type=False)
        n_rb = sa.add_rev("deployed", prev["chartVersion"], "", sa.revs[n_old]["first"], t + s.ms(10, 30),
                          sa.revs[prev["version"]]["values"])
        superseded = [n for n, x in sa.revs.items() if x["status"] == "deployed" and n != n_rb]
        for n in superseded:
            sa.revs[n]["status"] = "superseded"
        sa.observe([n_rb] + superseded)
        tr = t + s.ms(2600, 4100)
        rb_msg = f"Helm rollback to previous release {sa.full(prev['version'])} with chart search-api@{prev['chartVersion']} succeeded"
        s.hr_event(cid, tr, sa, "Normal", "RollbackSucceeded", rb_msg,
                   {"helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                    "helm.toolkit.fluxcd.io/token": sha256_digest(sa_vals)})
        setc(sa, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(sa, tr)
        end = tr + s.ms(20, 50)
        sa.status_time = end
        if sa.status["upgradeFailures"] <= 2:
            setc(sa, "Reconciling", "True", "ProgressingWithRetry", sa.conds["Ready"]["message"], tr)
            d = backoff(sst["n"])
            sst["n"] += 1
            return end, d
        # retries exhausted right after the last remediation (v0.37.1+, HC 8)
        setc(sa, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 3 attempt(s)", tr)
        delc(sa, "Reconciling")
        sa.status["observedGeneration"] = sa.gen
        s.L(cid, end, "Reconciler error", sa, rid, level="error", error="terminal error: exceeded maximum retries")
        return end, None
    run_queue(s, first + s.ms(0, 3000), C, sa_h,
              [(sa_commit + s.ms(150, 250), "spec"), (sa_commit + 2 * NS + s.ms(100, 400), "chart"),
               (T(sa_request) + s.ms(60, 120), "request")])
    sa.managed.append({"apiVersion": API, "fieldsType": "FieldsV1", "manager": "flux", "operation": "Update",
                       "time": rfc3339(T(sa_request)),
                       "fieldsV1": {"f:metadata": {"f:annotations": {".": {}, "f:reconcile.fluxcd.io/requestedAt": {}}}}})
    sa.apply_time = sa_commit
    s.plant(sa, ["timeout", "retries-exhausted"], "Chart 1.8.0 requests 12Gi per pod: the pods stay Pending "
            "(FailedScheduling Insufficient memory). Upgrade remediation retries 2: three upgrades each time out after "
            "5m (`context deadline exceeded`, the 10-line Helm tail shows `Deployment is not ready: "
            "apps/search-api. 0 out of 3 expected pods are ready` with a duplicate counter), each is rolled back, then "
            "Stalled=True RetriesExceeded `Failed to upgrade after 3 attempt(s)` and `terminal error: exceeded maximum "
            "retries`; a later `flux reconcile hr` only gets `exceeded maximum retries: cannot upgrade release`.",
            [("event", "Helm upgrade failed for release apps/search-api"), ("hr", "reason: RetriesExceeded"),
             ("log", "exceeded maximum retries: cannot upgrade release")])
    # ---- apps/cart-service: immutable-field, remediation retries -1 (retry forever) ----
    cs_old = {"replicaCount": 2, "podLabels": {"app": "cart-service"}}
    cs_vals = {"replicaCount": 2}
    cs = mk("apps", "cart-service", "cart-service", "2.3.4", "acme-charts", cs_old, "2023-09-04T08:00:00Z", 14)
    cs.spec_extra["upgrade"] = {"remediation": {"retries": -1, "strategy": "rollback"}}
    v37_seed(cs, [("2.3.1", T("2024-01-22T10:00:00Z"), cs_old), ("2.3.4", T("2024-02-08T16:44:03Z"), cs_old)],
             T("2024-02-08T16:44:31Z"), base=2)                  # revisions 3..4
    cs.apply_time = T("2024-02-08T16:44:02Z")
    cs_commit = T("2024-02-20T15:48:21Z")
    immutable = ('cannot patch "cart-service" with kind Deployment: Deployment.apps "cart-service" is invalid: '
                 'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app.kubernetes.io/'
                 'instance":"cart-service", "app.kubernetes.io/name":"cart-service"}, MatchExpressions:[]v1.'
                 'LabelSelectorRequirement(nil)}: field is immutable')
    cst = {"n": 0, "cycles": 0, "first_fail": None}
    cs_kinds = [("ServiceAccount", "cart-service"), ("ConfigMap", "cart-service"), ("Service", "cart-service"),
                ("Deployment", "cart-service")]

    def cs_h(t, kind):
        if kind == "periodic" and t < cs_commit:
            return v.healthy(t, cs), s.jitter(cs.interval_ns())
        if kind == "spec":
            cs.ver, cs.values, cs.gen = "3.0.0", cs_vals, cs.gen + 1
            t, rid = v.start(t, cs, "Configured")
            t = v.chart_not_ready(t, cs, rid, "latest generation of object has not been reconciled")
            cs.status_time = t
            return t, s.jitter(cs.interval_ns())
        t, rid = v.start(t, cs)
        v.clear_prereq(t, cs)
        v.attempt(cs, t)
        if cst["cycles"] == 0:
            cs.status["failures"] = cs.status["upgradeFailures"] = 0
        cst["cycles"] += 1
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", cs, rid)
        t = v.run_action(t + s.ms(100, 150), cs, rid, "upgrade", "5m0s")
        cs.status["lastAttemptedReleaseAction"] = "upgrade"
        delc(cs, "TestSuccess")
        delc(cs, "Remediated")
        n_old = cs.history[0]["version"]
        n_new = cs.add_rev("pending-upgrade", "3.0.0", "", cs.revs[n_old]["first"], t + s.ms(10, 30), cs_vals)
        lines, tu = helm_upgrade_lines(s, cs, t, cs_kinds, {("Service", "cart-service"), ("Deployment", "cart-service")})
        lines.append((tu + s.ms(20, 60), f'error updating the resource "cart-service":\n\t {immutable}'))
        lines.append((lines[-1][0] + s.ms(2, 9), f'warning: Upgrade "cart-service" failed: {immutable}'))
        cs.revs[n_new]["status"] = "failed"
        cs.observe([n_new, n_old])
        tf = lines[-1][0] + s.ms(5, 15)
        msg = f"Helm upgrade failed for release apps/cart-service with chart cart-service@3.0.0: {immutable}"
        s.hr_event(cid, tf, cs, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
                   {"helm.toolkit.fluxcd.io/revision": "3.0.0", "helm.toolkit.fluxcd.io/token": sha256_digest(cs_vals)})
        cst["first_fail"] = cst["first_fail"] or tf
        setc(cs, "Released", "False", "UpgradeFailed", msg, tf)
        cs.status["failures"] += 1
        cs.status["upgradeFailures"] += 1
        v.summarize(cs, tf)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", cs, rid)
        cs.truncate()
        prev = cs.previous()
        t = v.run_action(t + s.ms(5, 15), cs, rid, "rollback", "5m0s", release_type=False)
        n_rb = cs.add_rev("deployed", prev["chartVersion"], "", cs.revs[n_old]["first"], t + s.ms(10, 30), cs_old)
        superseded = [n for n, x in cs.revs.items() if x["status"] == "deployed" and n != n_rb]
        for n in superseded:
            cs.revs[n]["status"] = "superseded"
        cs.observe([n_rb] + superseded)
        tr = t + s.ms(2100, 3300)
        rb_msg = (f"Helm rollback to previous release {cs.full(prev['version'])} with chart "
                  f"cart-service@{prev['chartVersion']} succeeded")
        s.hr_event(cid, tr, cs, "Normal", "RollbackSucceeded", rb_msg,
                   {"helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                    "helm.toolkit.fluxcd.io/token": sha256_digest(cs_vals)})
        setc(cs, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(cs, tr)
        setc(cs, "Reconciling", "True", "ProgressingWithRetry", cs.conds["Ready"]["message"], tr)
        end = tr + s.ms(20, 50)
        cs.status_time = end
        d = backoff(cst["n"])
        cst["n"] += 1
        return end, d
    run_queue(s, first + s.ms(0, 3000), C, cs_h,
              [(cs_commit + s.ms(150, 250), "spec"), (cs_commit + 2 * NS + s.ms(100, 400), "chart")])
    cs.apply_time = cs_commit
    # Helm keeps 5 revisions (v2beta2 default maxHistory 5)
    for n in sorted(cs.revs)[:-5]:
        del cs.revs[n]
    s.plant(cs, ["immutable-field"], "Chart 3.0.0 changes the Deployment selector labels: every upgrade is rejected "
            "by the API server (`spec.selector: ... field is immutable`) and rolled back; with "
            "upgrade.remediation.retries -1 the controller never stalls and retries with exponential backoff, so "
            "Ready=False RollbackSucceeded and Released=False UpgradeFailed carry the immutable-field message. "
            "Repeated UpgradeFailed events with different Helm-log stamps are combined by client-go "
            "(`(combined from similar events): ...`).",
            [("event", "field is immutable"), ("hr", "reason: UpgradeFailed")])

    # ---- apps/payment-gateway: chart-fetch (version not in the index); apps/payment-worker depends on it ----
    pg_vals = {"replicaCount": 2, "psp": {"endpoint": "https://psp.example.net"}}
    pg = mk("apps", "payment-gateway", "payment-gateway", "3.1.4", "acme-charts", pg_vals, "2023-09-04T08:00:00Z", 21,
            interval="5m")
    v37_seed(pg, [("3.1.2", T("2024-01-30T10:00:00Z"), pg_vals), ("3.1.4", T("2024-02-14T10:30:55Z"), pg_vals)],
             T("2024-02-14T10:31:22Z"), base=9)
    pg.apply_time = T("2024-02-14T10:30:54Z")
    pg_commit = T("2024-02-20T15:41:14Z")
    stalled = ("invalid chart reference: failed to get chart version for remote reference: no 'payment-gateway' "
               "chart with version matching '3.2.0' found")
    pgs = {}

    def pg_h(t, kind):
        if t < pg_commit:
            return v.healthy(t, pg), s.jitter(pg.interval_ns())
        if kind == "spec":
            pg.ver, pg.gen = "3.2.0", pg.gen + 1
            t, rid = v.start(t, pg, "Configured")
            t = v.chart_not_ready(t, pg, rid, "latest generation of object has not been reconciled")
        else:   # HelmChart stalled: generation observed, Stalled=True (source-controller IsPersistentBuildErrorReason)
            t, rid = v.start(t, pg)
            t = v.chart_not_ready(t, pg, rid, stalled)
            pgs["last"] = t
        pg.status_time = t
        return t, s.jitter(pg.interval_ns())
    run_queue(s, first + s.ms(0, 3000), C, pg_h, [(pg_commit + s.ms(150, 250), "spec")])
    pg.status["observedGeneration"] = pg.gen - 1
    pg.apply_time = pg_commit
    s.plant(pg, ["chart-fetch"], "Chart version 3.2.0 is not published in acme-charts: the HelmChart is Stalled "
            "(InvalidChartReference, `no 'payment-gateway' chart with version matching '3.2.0' found`), so every "
            "reconcile stops at `HelmChart 'flux-system/apps-payment-gateway' is not ready: ...` "
            "(Ready=False HelmChartNotReady, observedGeneration behind; v0.37 records no event for it).",
            [("log", "is not ready: invalid chart reference"), ("hr", "reason: HelmChartNotReady"),
             ("helmchart", "reason: InvalidChartReference")])

    pw_vals = {"replicaCount": 2, "env": {"PSP_TIMEOUT": "20s"}}
    pw_old = {"replicaCount": 2, "env": {"PSP_TIMEOUT": "10s"}}
    pw = mk("apps", "payment-worker", "payment-worker", "3.1.4", "acme-charts", pw_old, "2023-09-04T08:00:00Z", 16,
            interval="5m", deps=["apps/payment-gateway"])
    v37_seed(pw, [("3.1.2", T("2024-01-30T10:01:00Z"), pw_old), ("3.1.4", T("2024-02-14T10:31:40Z"), pw_old)],
             T("2024-02-14T10:32:09Z"), base=9)
    pw.apply_time = T("2024-02-14T10:31:39Z")
    blocked = "dependency 'apps/payment-gateway' is not ready"
    pws = {}

    def pw_h(t, kind):
        if t < pg_commit:
            return v.healthy(t, pw), s.jitter(pw.interval_ns())
        if kind == "spec":
            pw.values, pw.gen = pw_vals, pw.gen + 1
        t, rid = v.start(t, pw)
        t = v.deps(t, pw, rid, blocked_by=blocked)
        pw.status_time = t
        pws["first"] = pws.get("first", t)
        return t, 30 * NS                 # --requeue-dependency 30s
    run_queue(s, first + s.ms(0, 3000), C, pw_h, [(pg_commit + s.ms(160, 300), "spec")])
    pw.status["observedGeneration"] = pw.gen - 1
    pw.apply_time = pg_commit
    s.plant(pw, ["dependency-failed"], "Same commit changes its values, but it depends on apps/payment-gateway, which "
            "really fails (chart-fetch): `dependencies do not meet ready condition (dependency "
            "'apps/payment-gateway' is not ready): retrying in 30s` every 30s, Ready=False DependencyNotReady. "
            "v0.37 passes `info` as event type, so no DependencyNotReady Kubernetes event exists.",
            [("log", "dependencies do not meet ready condition"), ("hr", "reason: DependencyNotReady")])
    # ---- drift helpers (HC 6.2; internal/reconcile/atomic_release.go, correct_cluster_drift.go) ----
    def drift_reconcile(t, r, obj, v1=False):
        t, rid = v.start(t, r)
        v.attempt(r, t)
        t += s.ms(250, 700)                      # SSA dry-run diff of the release manifest
        s.L(cid, t, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", r, rid)
        cur = r.history[0]
        rel = r.full(cur["version"])
        s.hr_event(cid, t + s.ms(1, 4), r, "Warning", "DriftDetected",
                   f"Cluster state of release {rel} has drifted from the desired state:\n"
                   f"{obj} changed (0 additions, 1 changes, 0 removals)")
        t = v.run_action(t + s.ms(5, 15), r, rid, "correct cluster drift", r.timeout_str(), release_type=False)
        if v1:
            setc(r, "Ready", "Unknown", "Progressing", "correcting cluster drift", t)
        t += s.ms(90, 300)
        s.hr_event(cid, t, r, "Normal", "DriftCorrected", f"Cluster state of release {rel} has been corrected:\n"
                   f"{obj} configured", ann(r, cur["version"], v1))
        return v.done_insync(t + s.ms(200, 600), r, rid)

    # ---- apps/web-frontend: drift loop (an HPA owns /spec/replicas) ----
    wf_vals = {"replicaCount": 2, "autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 10}}
    wf = mk("apps", "web-frontend", "web-frontend", "4.2.1", "acme-charts", wf_vals, "2023-09-04T08:00:00Z", 6,
            interval="5m")
    v37_seed(wf, [("4.1.0", T("2024-01-25T10:00:00Z"), wf_vals), ("4.2.1", T("2024-02-16T09:12:30Z"), wf_vals)],
             T("2024-02-16T09:13:02Z"), base=10)                 # revisions 11..12
    wf.apply_time = T("2024-02-16T09:12:29Z")
    wf_commit = T("2024-02-20T14:30:55Z")
    wfs = {"drifts": 0}

    def wf_h(t, kind):
        if t < wf_commit:
            return v.healthy(t, wf), s.jitter(wf.interval_ns())
        if kind == "spec":
            wf.gen += 1
            wf.spec_extra["driftDetection"] = {"mode": "enabled"}
        wfs["drifts"] += 1
        return drift_reconcile(t, wf, "Deployment/apps/web-frontend"), s.jitter(wf.interval_ns())
    run_queue(s, first + s.ms(0, 3000), C, wf_h, [(wf_commit + s.ms(150, 250), "spec")])
    wf.apply_time = wf_commit
    s.plant(wf, ["drift"], f"driftDetection.mode enabled at 14:30:55 while an HPA (min 3) scales "
            f"Deployment/apps/web-frontend that the chart renders with 2 replicas: every 5m reconcile finds "
            f"/spec/replicas changed, corrects it by SSA and the HPA reverts it: {wfs['drifts']} "
            f"DriftDetected/DriftCorrected pairs for the same apps/web-frontend.v12 (growing event counts, logs "
            f"`detected changes in cluster state` up to the end). Ready stays True (v0.37 has no "
            f"`correcting cluster drift` condition).",
            [("event", "has drifted from the desired state"), ("event", "has been corrected"),
             ("log", "detected changes in cluster state")])

    # ---- apps/checkout-ui: one manual `kubectl scale`, corrected once (healthy) ----
    cu_vals = {"replicaCount": 2}
    cu = mk("apps", "checkout-ui", "checkout-ui", "1.6.0", "acme-charts", cu_vals, "2023-09-04T08:00:00Z", 8)
    cu.spec_extra["driftDetection"] = {"mode": "enabled"}
    v37_seed(cu, [("1.5.2", T("2024-01-25T10:00:00Z"), cu_vals), ("1.6.0", T("2024-02-12T14:03:40Z"), cu_vals)],
             T("2024-02-12T14:04:06Z"), base=4)
    cu.apply_time = T("2024-02-12T14:03:39Z")
    scaled = T("2024-02-20T15:58:02Z")
    cus = {"done": False}

    def cu_h(t, kind):
        if t > scaled and not cus["done"]:
            cus["done"] = True
            return drift_reconcile(t, cu, "Deployment/apps/checkout-ui"), s.jitter(cu.interval_ns())
        return v.healthy(t, cu), s.jitter(cu.interval_ns())
    run_queue(s, first + s.ms(0, 3000), C, cu_h)
    s.plant(cu, [], "Healthy: someone scaled Deployment/apps/checkout-ui by hand at 15:58; the next reconcile "
            "detected and corrected it once (DriftDetected + DriftCorrected, count 1), then in-sync.",
            [("event", "has drifted from the desired state"), ("event", "has been corrected")])

    # ---- apps/reviews: test-failed (tests enabled, remediation ignores test failures) ----
    rv_vals = {"replicaCount": 2, "ratings": {"enabled": True}}
    rvw = mk("apps", "reviews", "reviews", "1.4.0", "acme-charts", rv_vals, "2023-09-04T08:00:00Z", 11)
    rvw.spec_extra["test"] = {"enable": True}
    rvw.spec_extra["upgrade"] = {"remediation": {"ignoreTestFailures": True}}
    v37_seed(rvw, [("1.3.7", T("2024-01-25T10:00:00Z"), rv_vals), ("1.4.0", T("2024-02-09T11:20:00Z"), rv_vals)],
             T("2024-02-09T11:20:41Z"), base=5)                  # revisions 6..7
    # the 1.4.0 release had passed its test
    hooks_ok = {"reviews-test-connection": {"lastCompleted": rfc3339(T("2024-02-09T11:20:53Z")),
                                            "lastStarted": rfc3339(T("2024-02-09T11:20:44Z")), "phase": "Succeeded"}}
    rvw.history[0]["testHooks"] = hooks_ok
    msg_t = f"Helm test succeeded for release {rvw.full(7)} with chart reviews@1.4.0: 1 test hook completed successfully"
    setc(rvw, "TestSuccess", "True", "TestSucceeded", msg_t, T("2024-02-09T11:20:53Z"))
    setc(rvw, "Ready", "True", "TestSucceeded", msg_t, T("2024-02-09T11:20:53Z"))
    rvw.apply_time = T("2024-02-09T11:19:58Z")
    rv_commit = T("2024-02-20T16:09:12Z")
    rvs = {}

    def rv_h(t, kind):
        if kind == "spec":
            rvw.ver, rvw.gen = "1.5.0", rvw.gen + 1
            t, rid = v.start(t, rvw, "Configured")
            t = v.chart_not_ready(t, rvw, rid, "latest generation of object has not been reconciled")
            rvw.status_time = t
            return t, s.jitter(rvw.interval_ns())
        if kind == "chart":
            t, rid = v.start(t, rvw)
            v.clear_prereq(t, rvw)
            v.attempt(rvw, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", rvw, rid)
            t = v.run_action(t + s.ms(100, 150), rvw, rid, "upgrade", "5m0s")
            delc(rvw, "TestSuccess")
            n_old = rvw.history[0]["version"]
            n = rvw.add_rev("deployed", "1.5.0", "", rvw.revs[n_old]["first"], t + s.ms(10, 30), rv_vals)
            rvw.revs[n_old]["status"] = "superseded"
            rvw.observe([n, n_old])
            rvw.history[1]["testHooks"] = hooks_ok
            t += s.ms(24_000, 29_000)
            ok = f"Helm upgrade succeeded for release {rvw.full(n)} with chart reviews@1.5.0"
            s.hr_event(cid, t, rvw, "Normal", "UpgradeSucceeded", ok, ann(rvw, n, False))
            setc(rvw, "Released", "True", "UpgradeSucceeded", ok, t)
            setc(rvw, "TestSuccess", "Unknown", "AwaitingTests",
                 f"Helm release {rvw.full(n)} with chart reviews@1.5.0 is awaiting tests", t)
            v.summarize(rvw, t, tests=True)
            rvw.status["lastAttemptedReleaseAction"] = "upgrade"
            t += s.ms(30, 70)
            s.L(cid, t, "release has not been tested", rvw, rid)
            t = v.run_action(t + s.ms(5, 10), rvw, rid, "test", "5m0s", release_type=False)
            started = t + s.ms(60, 200)
            t = started + s.ms(17_000, 21_000)
            rvw.history[0]["testHooks"] = {"reviews-test-connection": {"lastCompleted": rfc3339(t),
                                                                       "lastStarted": rfc3339(started),
                                                                       "phase": "Failed"}}
            fail = (f"Helm test failed for release {rvw.full(n)} with chart reviews@1.5.0: "
                    f"pod reviews-test-connection failed")
            s.hr_event(cid, t + s.ms(2, 8), rvw, "Warning", "TestFailed", fail, ann(rvw, n, False))
            setc(rvw, "TestSuccess", "False", "TestFailed", fail, t)
            rvw.status["failures"] = rvw.status.get("failures", 0) + 1
            v.summarize(rvw, t, tests=True)
            rvs["fail"] = t
            return v.done_insync(t + s.ms(40, 90), rvw, rid, tests=True), s.jitter(rvw.interval_ns())
        t, rid = v.start(t, rvw)
        v.attempt(rvw, t)
        return v.done_insync(t + s.ms(60, 700), rvw, rid, tests=True), s.jitter(rvw.interval_ns())
    run_queue(s, first + s.ms(0, 3000), C, rv_h,
              [(rv_commit + s.ms(150, 250), "spec"), (rv_commit + 2 * NS + s.ms(100, 400), "chart")])
    rvw.apply_time = rv_commit
    s.plant(rvw, ["test-failed"], "Upgrade to 1.5.0 succeeded but its Helm test hook reviews-test-connection failed "
            "(TestFailed event, TestSuccess=False, history testHooks phase Failed). upgrade.remediation."
            "ignoreTestFailures=true keeps the controller from rolling back or stalling, so the release is in-sync "
            "and Ready=False TestFailed stays.",
            [("event", "Helm test failed for release"), ("hr", "reason: TestFailed")])

    # ---- monitoring/grafana: recovered, chart version missing from the index for ~50s ----
    gf_vals = {"persistence": {"enabled": True, "size": "20Gi"}}
    gf = mk("monitoring", "grafana", "grafana", "7.2.4", "grafana", gf_vals, "2023-08-02T09:20:44Z", 10)
    v37_seed(gf, [("7.0.19", T("2024-01-11T10:00:00Z"), gf_vals), ("7.2.4", T("2024-02-05T08:40:10Z"), gf_vals)],
             T("2024-02-05T08:40:33Z"), base=13)
    gf.apply_time = T("2024-02-05T08:40:09Z")
    gf_commit, gf_ready = T("2024-02-20T16:02:10Z"), T("2024-02-20T16:03:01.412Z")
    gfs = {}

    def gf_h(t, kind):
        if kind == "spec":
            gf.ver, gf.gen = "7.3.0", gf.gen + 1
            t, rid = v.start(t, gf, "Configured")
            t = v.chart_not_ready(t, gf, rid, "latest generation of object has not been reconciled")
            gf.status_time = t
            return t, s.jitter(gf.interval_ns())
        if kind == "chart":
            t, rid = v.start(t, gf)
            v.clear_prereq(t, gf)
            v.attempt(gf, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", gf, rid)
            t = v.run_action(t + s.ms(100, 150), gf, rid, "upgrade", "5m0s")
            delc(gf, "TestSuccess")
            delc(gf, "Remediated")
            n_old = gf.history[0]["version"]
            n = gf.add_rev("deployed", "7.3.0", "", gf.revs[n_old]["first"], t + s.ms(10, 30), gf_vals)
            gf.revs[n_old]["status"] = "superseded"
            gf.observe([n, n_old])
            t += s.ms(25_000, 31_000)
            ok = f"Helm upgrade succeeded for release {gf.full(n)} with chart grafana@7.3.0"
            s.hr_event(cid, t, gf, "Normal", "UpgradeSucceeded", ok, ann(gf, n, False))
            setc(gf, "Released", "True", "UpgradeSucceeded", ok, t)
            gf.status["lastAttemptedReleaseAction"] = "upgrade"
            v.summarize(gf, t)
            gfs["done"] = t
            return v.done_insync(t + s.ms(60, 140), gf, rid), s.jitter(gf.interval_ns())
        return v.healthy(t, gf), s.jitter(gf.interval_ns())
    run_queue(s, first + s.ms(0, 3000), C, gf_h,
              [(gf_commit + s.ms(150, 250), "spec"), (gf_ready + s.ms(250, 400), "chart")])
    gf.apply_time = gf_commit
    s.chart_event(gf, gf_commit + s.ms(900, 1400), "source.toolkit.fluxcd.io/v1beta2",
                  failed="invalid chart reference: failed to get chart version for remote reference: no 'grafana' "
                         "chart with version matching '7.3.0' found")
    s.chart_event(gf, gf_ready - s.ms(60, 120), "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(pg, pg_commit + s.ms(900, 1400), "source.toolkit.fluxcd.io/v1beta2", failed=stalled)
    s.chart_event(cs, cs_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.chart_event(rvw, rv_commit + 2 * NS, "source.toolkit.fluxcd.io/v1beta2")
    s.plant(gf, [], "Recovered: chart 7.3.0 was missing from the grafana index for ~50s (HelmChart "
            "InvalidChartReference, HR `is not ready: latest generation of object has not been reconciled`); after "
            "the index refresh the upgrade succeeded, Ready=True.",
            [("log", "is not ready: latest generation of object has not been reconciled"),
             ("event", "Helm upgrade succeeded for release")])
    # ---- the loose folder (ECO 1d/1e) ----
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1beta2"
    pulled = {"apps/search-api": sa_commit + 2 * NS, "apps/cart-service": cs_commit + 2 * NS,
              "apps/reviews": rv_commit + 2 * NS, "monitoring/grafana": gf_ready}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        gen = 2 + len(r.revs)
        idx = "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode()).hexdigest()
        if r.key == "apps/payment-gateway":
            at = pg_commit + s.ms(900, 1400)
            old_at = T("2024-02-14T10:30:56Z")
            conds = [cond("Ready", "False", "InvalidChartReference", stalled, at, gen),
                     cond("ArtifactInStorage", "True", "ChartPullSucceeded",
                          "pulled 'payment-gateway' chart with version '3.1.4'", old_at, gen - 1),
                     cond("FetchFailed", "True", "InvalidChartReference", stalled, at, gen),
                     cond("Stalled", "True", "InvalidChartReference", stalled, at, gen)]
            charts.append(helmchart_object(s, r, hc_api, gen, gen, "3.1.4", conds, r.created + NS, idx, old_at))
            charts[-1]["metadata"]["resourceVersion"] = s.rv(at, 6)
            continue
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        charts.append(helmchart_object(s, r, hc_api, gen, gen, r.ver, chart_ready_conds(r, r.ver, at, gen),
                                       r.created + NS, idx, at))
    node = "gke-prod-pool-3-8c1e2f4a-k2vd"
    pods = [pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v0.37.4", node, POD_START, RUN),
            pod_object(s, "source-controller-7c8f9b6d4-wq5hz", "source-controller",
                       "ghcr.io/fluxcd/source-controller:v1.2.4", node, POD_START + 1 * NS, POD_START + 4 * NS),
            pod_object(s, "kustomize-controller-5f6d8c7b9f-zt8rn", "kustomize-controller",
                       "ghcr.io/fluxcd/kustomize-controller:v1.2.2", "gke-prod-pool-3-8c1e2f4a-m9qs",
                       T("2024-02-20T14:01:50Z"), T("2024-02-20T14:01:53Z")),
            pod_object(s, "notification-controller-6d9f8b7c5d-4hxjd", "notification-controller",
                       "ghcr.io/fluxcd/notification-controller:v1.2.4", "gke-prod-pool-3-8c1e2f4a-m9qs",
                       T("2024-02-20T14:01:50Z"), T("2024-02-20T14:01:54Z"))]
    out = SAMPLES / s.name
    hrs = [hr_object(r, API) for r in sorted(s.releases.values(), key=lambda r: (r.ns, r.name))]
    events = sorted(s.correlate_events(), key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))
    s.loose_events = events
    write(out / "helmreleases.yaml", kubectl_list_yaml(hrs))
    write(out / "events.yaml", kubectl_list_yaml(events))
    write(out / "helm-controller.log", log_text(s, cid))
    write(out / "helmcharts.yaml", kubectl_list_yaml(charts))
    write(out / "flux-system-pods.yaml", kubectl_list_yaml(pods))
    s.layout = {"kind": "loose", "log": "helm-controller.log", "hr": "helmreleases.yaml", "events": "events.yaml",
                "helmchart": "helmcharts.yaml"}
    return s


# ==== scenario 3: v1-controller-crash ========================================================
def scenario_v1_crash():
    s = Scenario("v1-controller-crash", 20240612, T("2024-06-12T13:58:40Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-7f9d8c6b5-zk4tw"
    POD_START = T("2024-06-10T08:41:07Z")
    # container instances of `manager`: 1 (2 days), 2, 3 (manager-previous.log), 4 (manager.log, running)
    c1 = (POD_START + 3 * NS + 118_000_000, T("2024-06-12T13:12:41.604Z"))
    c2 = (T("2024-06-12T13:12:52.381Z"), T("2024-06-12T13:13:30.917Z"))
    c3 = (T("2024-06-12T13:13:52.209Z"), T("2024-06-12T13:14:31.236Z"))
    c4 = (T("2024-06-12T13:15:12.640Z"), C)
    s.procs = {"c1": (1, 0), "c2": (1, 0), "c3": c3, "c4": c4}      # only the last two logs exist
    V = {cid: V37(s, cid, v1=True) for cid in s.procs}
    spans = {"c1": c1, "c2": c2, "c3": c3, "c4": c4}
    for cid, (a, b) in spans.items():
        s.L(cid, a + 398_000_000, "starting manager", logger="setup")
        s.L(cid, a + 1_702_000_000, "Starting Controller", extra={"_ctrl": True})
        s.L(cid, a + 1_703_000_000, "Starting workers", extra={"_ctrl": True, "worker count": 4})

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def per_container(r, handler, triggers=()):
        """Every container start enqueues every object (controller-runtime initial list)."""
        for cid, (a, b) in spans.items():
            trig = [(t, k) for t, k in triggers if a <= t < b]
            run_queue(s, a + 1_800_000_000 + s.ms(0, 2500), b, lambda t, kind, cid=cid: handler(cid, t, kind), trig)

    def healthy(r):
        per_container(r, lambda cid, t, kind: (V[cid].healthy(t, r), s.jitter(r.interval_ns())))

    # ---- healthy ones ----
    cm = mk("infra", "cert-manager", "cert-manager", "v1.15.0", "jetstack", {"crds": {"enabled": True}},
            "2023-08-02T09:14:10Z", 14, interval="1h")
    v37_seed(cm, [("v1.14.5", T("2024-05-02T10:00:00Z"), cm.values), ("v1.15.0", T("2024-06-06T09:12:44Z"), cm.values)],
             T("2024-06-06T09:13:20Z"), v1=True, app="v1.15.0", base=11)
    cm.apply_time = T("2024-06-06T09:12:43Z")
    healthy(cm)
    s.plant(cm, [], "Healthy; reconciled in-sync after each controller start.")
    ing = mk("infra", "ingress-nginx", "ingress-nginx", "4.10.1", "ingress-nginx",
             {"controller": {"replicaCount": 2}}, "2023-08-02T09:14:10Z", 15, interval="1h", deps=["infra/cert-manager"])
    v37_seed(ing, [("4.10.0", T("2024-04-22T10:00:00Z"), ing.values), ("4.10.1", T("2024-05-14T08:03:11Z"), ing.values)],
             T("2024-05-14T08:03:50Z"), v1=True, app="1.10.1", base=6)
    ing.apply_time = T("2024-05-14T08:03:10Z")
    healthy(ing)
    s.plant(ing, [], "Healthy; its dependency infra/cert-manager is Ready.")
    loki = mk("monitoring", "loki", "loki", "6.6.2", "grafana", {"deploymentMode": "SingleBinary"},
              "2023-08-02T09:20:44Z", 9, interval="30m")
    v37_seed(loki, [("6.5.2", T("2024-05-20T10:00:00Z"), loki.values), ("6.6.2", T("2024-06-05T14:41:09Z"), loki.values)],
             T("2024-06-05T14:42:01Z"), v1=True, app="3.0.0", base=20)
    loki.apply_time = T("2024-06-05T14:41:08Z")
    healthy(loki)
    s.plant(loki, [], "Healthy.")

    # ---- apps/redis + apps/frontend: one commit changes both; frontend waits ~30s for redis (recovered) ----
    commit = T("2024-06-12T13:47:30Z")
    rd_old = {"architecture": "replication", "replica": {"replicaCount": 2}}
    rd = mk("apps", "redis", "redis", "19.5.2", "bitnami", rd_old, "2023-10-16T10:03:44Z", 7)
    v37_seed(rd, [("19.3.2", T("2024-05-08T10:00:00Z"), rd_old), ("19.5.2", T("2024-06-03T12:30:05Z"), rd_old)],
             T("2024-06-03T12:30:38Z"), v1=True, app="7.2.5", base=8)
    rd.apply_time = T("2024-06-03T12:30:04Z")
    rds = {}

    def rd_h(cid, t, kind):
        v = V[cid]
        if kind != "spec":
            return v.healthy(t, rd), s.jitter(rd.interval_ns())
        rd.values, rd.gen = {"architecture": "replication", "replica": {"replicaCount": 3}}, rd.gen + 1
        t, rid = v.start(t, rd)
        v.attempt(rd, t)
        end = v.upgrade_ok(t, rd, rid, s.ms(24_000, 27_000), "release config values changed", n_app="7.2.5")
        rds["done"] = end
        return v.done_insync(end, rd, rid), s.jitter(rd.interval_ns())
    per_container(rd, rd_h, [(commit + s.ms(150, 250), "spec")])
    rd.apply_time = commit
    s.plant(rd, [], "Healthy: values change at 13:47:30 upgraded in ~25s.")

    fe_old = {"replicaCount": 3, "redis": {"host": "redis-master"}}
    fe = mk("apps", "frontend", "frontend", "5.8.1", "acme-charts", fe_old, "2023-10-16T10:03:44Z", 31,
            deps=["apps/redis"])
    v37_seed(fe, [("5.7.0", T("2024-05-08T10:00:00Z"), fe_old), ("5.8.1", T("2024-06-07T16:12:30Z"), fe_old)],
             T("2024-06-07T16:13:01Z"), v1=True, base=40)
    fe.apply_time = T("2024-06-07T16:12:29Z")

    def fe_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            fe.values, fe.gen = {"replicaCount": 3, "redis": {"host": "redis-master", "db": 2}}, fe.gen + 1
        if t >= commit and fe.values is not fe_old and fe.status.get("lastAttemptedGeneration") != fe.gen:
            t, rid = v.start(t, fe)
            if t < rds["done"]:
                t = v.deps(t, fe, rid, blocked_by="dependency 'apps/redis' is not ready")
                fe.status_time = t
                return t, 30 * NS
            t = v.deps(t, fe, rid)
            v.attempt(fe, t)
            end = v.upgrade_ok(t, fe, rid, s.ms(30_000, 36_000), "release config values changed")
            return v.done_insync(end, fe, rid), s.jitter(fe.interval_ns())
        return v.healthy(t, fe), s.jitter(fe.interval_ns())
    per_container(fe, fe_h, [(commit + s.ms(180, 300), "spec")])
    fe.apply_time = commit
    s.plant(fe, [], "Recovered: the same commit changed apps/redis, so the first reconcile saw "
            "`dependency 'apps/redis' is not ready` (redis mid-upgrade); 30s later it upgraded and is Ready.",
            [("event", "dependency 'apps/redis' is not ready"), ("event", "Helm upgrade succeeded for release")])

    # ---- monitoring/kube-prometheus-stack: the upgrade that OOM-kills the controller ----
    kvals = {"crds": {"enabled": True}, "prometheus": {"prometheusSpec": {"retention": "15d"}}}
    kps = mk("monitoring", "kube-prometheus-stack", "kube-prometheus-stack", "58.7.2", "prometheus-community", kvals,
             "2023-08-02T09:20:44Z", 21, interval="30m", timeout="10m")
    kps.spec_extra["install"] = {"crds": "CreateReplace"}
    kps.spec_extra["upgrade"] = {"crds": "CreateReplace"}
    v37_seed(kps, [("58.2.2", T("2024-05-02T10:00:00Z"), kvals), ("58.7.2", T("2024-06-03T09:40:18Z"), kvals)],
             T("2024-06-03T09:41:52Z"), v1=True, app="v0.73.2", base=12)        # revisions 13..14
    kps.apply_time = T("2024-06-03T09:40:17Z")
    kcommit = T("2024-06-12T13:12:05Z")
    suspend_at = T("2024-06-12T13:14:58.402Z")
    ks = {}

    def kps_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            kps.ver, kps.gen = "60.0.1", kps.gen + 1
            t, rid = v.start(t, kps, "Configured")
            t = v.chart_not_ready(t, kps, rid, "latest generation of object has not been reconciled")
            kps.status_time = t
            return t, s.jitter(kps.interval_ns())
        if kind == "suspend" or (cid == "c4"):
            if kind == "suspend":
                return t + s.ms(5, 10), None     # handled by the container that sees it (c4 start)
            s.L(cid, t + s.ms(3, 9), "reconciliation is suspended for this object", kps, s.uuid())
            kps.status["observedGeneration"] = kps.gen
            kps.status_time = t + s.ms(10, 20)
            return kps.status_time, None
        if t < kcommit:
            return v.healthy(t, kps), s.jitter(kps.interval_ns())
        t, rid = v.start(t, kps)
        v.clear_prereq(t, kps)
        v.attempt(kps, t)
        last = kps.revs[kps.last_rev()]
        if last["status"] == "pending-upgrade":
            n = kps.last_rev()
            s.L(cid, t + s.ms(40, 90), "release locked: release with status 'pending-upgrade'", kps, rid)
            t = v.run_action(t + s.ms(100, 150), kps, rid, "unlock", "10m0s", release_type=False)
            last["status"] = "failed"
            last["desc"] = "Release unlocked from stale 'pending-upgrade' state"
            kps.observe([n], True, prepend_new=False)
            t += s.ms(30, 80)
            msg = f"Unlocked Helm release {kps.full(n)} with chart kube-prometheus-stack@60.0.1 in pending-upgrade state"
            s.hr_event(cid, t, kps, "Normal", "PendingRelease", msg, ann(kps, n, True))
            setc(kps, "Released", "False", "PendingRelease", msg, t)
            v.summarize(kps, t)
            ks.setdefault("unlocks", []).append((cid, t))
            reason = "found existing release in storage" if not kps.history else \
                "release not observed to be made for object"
            t += s.ms(20, 60)
            s.L(cid, t, f"release not managed by controller: {reason}", kps, rid)
            kps.history = []                  # ClearHistory
        else:
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", kps, rid)
        t = v.run_action(t + s.ms(100, 150), kps, rid, "upgrade", "10m0s")
        kps.status["lastAttemptedReleaseAction"] = "upgrade"
        kps.add_rev("pending-upgrade", "60.0.1", "v0.74.0", kps.revs[min(kps.revs)]["first"], t + s.ms(60, 200), kvals)
        ks["running"] = (cid, t)
        kps.status_time = t - s.ms(15, 40)
        return spans[cid][1], None            # the container is OOM-killed before the upgrade returns
    per_container(kps, kps_h, [(kcommit + s.ms(150, 250), "spec"), (kcommit + 2 * NS + s.ms(600, 900), "chart"),
                               (suspend_at + s.ms(50, 90), "suspend")])
    kps.gen += 1                               # `flux suspend hr` (flux v2.3.0)
    kps.status["observedGeneration"] = kps.gen
    kps.spec_extra["suspend"] = True
    kps.managed.append({"apiVersion": API, "fieldsType": "FieldsV1", "manager": "flux", "operation": "Update",
                        "time": rfc3339(suspend_at), "fieldsV1": {"f:spec": {"f:suspend": {}}}})
    kps.apply_time = kcommit
    s.plant(kps, ["controller-restart", "stuck-pending", "suspended"], "The 58.7.2 -> 60.0.1 upgrade (CRDs "
            "CreateReplace) drives helm-controller past its 512Mi limit: the container is OOMKilled three times "
            "(restartCount 3, lastState OOMKilled exit 137). Each restart unlocks the pending revision "
            "(PendingRelease `Unlocked Helm release ...`), finds the release unmanaged and starts the upgrade again; "
            "manager-previous.log ends with `running 'upgrade' action with timeout of 10m0s` and no outcome. An SRE "
            "then ran `flux suspend hr` (manager `flux`): the current container only logs `reconciliation is "
            "suspended for this object`, so revision 17 stays pending-upgrade: the release-specific helm collector "
            "file shows it `isPending`, the all-releases helm/monitoring.json omits the release (helm list shows only "
            "deployed/failed), and status still says Ready=Unknown `Running 'upgrade' action` with no history.",
            [("prevlog", "running 'upgrade' action with timeout of 10m0s"), ("event", "Unlocked Helm release"),
             ("log", "reconciliation is suspended for this object"), ("pod", "OOMKilled"),
             ("hr", "Running 'upgrade' action with timeout of 10m0s"),
             ("file", "helm/monitoring/kube-prometheus-stack.json", '"isPending": true')])

    # ---- apps/keycloak: install-failed (a Secret of the chart already exists without Helm metadata) ----
    kc_vals = {"auth": {"adminUser": "admin", "existingSecret": "keycloak"}, "production": True}
    kc = mk("apps", "keycloak", "keycloak", "21.4.1", "bitnami", kc_vals, "2024-06-12T13:40:02Z", 1)
    kc.apply_time = kc.created
    kc.fin_time = kc.created + s.ms(200, 400)
    conflict = ('Unable to continue with install: Secret "keycloak" in namespace "apps" exists and cannot be imported '
                'into the current release: invalid ownership metadata; label validation error: missing key '
                '"app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key '
                '"meta.helm.sh/release-name": must be set to "keycloak"; annotation validation error: missing key '
                '"meta.helm.sh/release-namespace": must be set to "apps"')
    kst = {"n": 0, "fail": 0}
    kc.status = {}

    def kc_h(t, kind):
        v = V["c4"]
        if kind == "create":               # finalizer added, Requeue: true (no log line)
            return t + s.ms(20, 40), backoff(0)
        if kind == "periodic" and "helmChart" not in kc.status:
            t, rid = v.start(t, kc, "Created")
            kc.status["helmChart"] = "flux-system/apps-keycloak"
            t = v.chart_not_ready(t, kc, rid, "latest generation of object has not been reconciled")
            kc.status_time = t
            return t, s.jitter(kc.interval_ns())
        t, rid = v.start(t, kc)
        v.clear_prereq(t, kc)
        v.attempt(kc, t)
        s.L("c4", t + s.ms(40, 90), "release not installed: no release in storage for object", kc, rid)
        t = v.run_action(t + s.ms(100, 150), kc, rid, "install", "5m0s")
        kc.status["lastAttemptedReleaseAction"] = "install"
        t += s.ms(180, 420)                # render + ownership check, before the release is stored
        msg = f"Helm install failed for release apps/keycloak with chart keycloak@21.4.1: {conflict}"
        s.hr_event("c4", t, kc, "Warning", "InstallFailed", msg,
                   {"helm.toolkit.fluxcd.io/revision": "21.4.1", "helm.toolkit.fluxcd.io/token": sha256_digest(kc_vals),
                    "helm.toolkit.fluxcd.io/app-version": "24.0.5"})
        setc(kc, "Released", "False", "InstallFailed", msg, t)
        kst["fail"] += 1
        kc.status["failures"] = kst["fail"]
        v.summarize(kc, t)
        end = t + s.ms(20, 50)
        s.L("c4", end, "Reconciler error", kc, rid, level="error", error=conflict)
        kc.status_time = end
        d = backoff(kst["n"])
        kst["n"] += 1
        return end, d
    run_queue(s, None, C, kc_h, [(kc.created + s.ms(150, 300), "create"),
                                 (kc.created + 2 * NS + s.ms(500, 900), "chart")])
    s.plant(kc, ["ownership-conflict", "install-failed"], "New release: Helm refuses the install because Secret apps/keycloak already "
            "exists without Helm ownership metadata (`Unable to continue with install: ... invalid ownership "
            "metadata`). No release is stored, so installFailures never grows and the controller retries with "
            "exponential backoff (`Reconciler error`, InstallFailed events aggregated).",
            [("event", "Helm install failed for release apps/keycloak"), ("log", "Unable to continue with install"),
             ("hr", "Helm install failed for release apps/keycloak")])

    # ---- apps/orders: post-upgrade hook fails, the rollback fails too, remediation exhausted ----
    or_old = {"replicaCount": 2, "worker": {"enabled": True}}
    or_vals = {"replicaCount": 2, "worker": {"enabled": False}, "migrations": {"enabled": True}}
    od = mk("apps", "orders", "orders", "1.8.3", "acme-charts", or_old, "2023-10-16T10:03:44Z", 18, timeout="5m",
            interval="1h")
    od.spec_extra["upgrade"] = {"remediation": {"remediateLastFailure": True}}
    v37_seed(od, [("1.8.1", T("2024-05-21T10:00:00Z"), or_old), ("1.8.3", T("2024-06-04T11:20:41Z"), or_old)],
             T("2024-06-04T11:21:13Z"), v1=True, base=4)         # revisions 5..6
    od.apply_time = T("2024-06-04T11:20:40Z")
    # interval 1h: the next periodic requeue (leftover AddAfter of the 13:15 start-up reconcile) is due after
    # collection; that reconcile would find the release Failed and, with remediateLastFailure, try a rollback again.
    ocommit = T("2024-06-12T13:31:10Z")
    ost = {}

    def od_h(cid, t, kind):
        v = V[cid]
        if kind == "spec":
            od.ver, od.values, od.gen = "1.9.0", or_vals, od.gen + 1
            t, rid = v.start(t, od, "Configured")
            t = v.chart_not_ready(t, od, rid, "latest generation of object has not been reconciled")
            od.status_time = t
            return t, s.jitter(od.interval_ns())
        if kind != "chart":
            assert "end" not in ost, "orders: a reconcile after the stall is not modelled"
            return v.healthy(t, od), s.jitter(od.interval_ns())
        t, rid = v.start(t, od)
        v.clear_prereq(t, od)
        v.attempt(od, t)
        od.status["failures"] = od.status["upgradeFailures"] = 0
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", od, rid)
        t = v.run_action(t + s.ms(100, 150), od, rid, "upgrade", "5m0s")
        delc(od, "TestSuccess")
        delc(od, "Remediated")
        od.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = od.history[0]["version"]
        n_new = od.add_rev("pending-upgrade", "1.9.0", "", od.revs[n_old]["first"], t + s.ms(10, 30), or_vals)
        kinds = [("ServiceAccount", "orders"), ("ConfigMap", "orders"), ("Service", "orders"), ("Deployment", "orders")]
        lines, tu = helm_upgrade_lines(s, od, t, kinds, {("ConfigMap", "orders"), ("Deployment", "orders")})
        tu += s.ms(20, 60)
        lines += [(tu, 'Deleting Deployment "orders-worker" in namespace apps...'),
                  (tu + s.ms(5, 20), 'Skipping delete of "orders-worker" due to annotation '
                                     '[helm.sh/resource-policy=keep]')]
        tw = tu + s.ms(30, 60)
        lines += helm_wait_lines(s, od, tw, 4, "5m0s", "orders", 1, 2, tw + 38 * NS)
        th = tw + 40 * NS
        lines += [(th, 'Starting delete for "orders-db-migrate" Job'),
                  (th + s.ms(20, 60), 'Ignoring delete failure for "orders-db-migrate" batch/v1, Kind=Job: '
                                      'jobs.batch "orders-db-migrate" not found'),
                  (th + s.ms(70, 120), "beginning wait for 1 resources to be deleted with timeout of 5m0s"),
                  (th + s.ms(130, 200), "Watching for changes to Job orders-db-migrate with timeout of 5m0s"),
                  (th + s.ms(250, 400), "Add/Modify event for orders-db-migrate: ADDED"),
                  (th + s.ms(400, 500), "orders-db-migrate: Jobs active: 1, jobs failed: 0, jobs succeeded: 0")]
        tj = th + 11 * NS
        for failed in (1, 2):
            lines += [(tj, "Add/Modify event for orders-db-migrate: MODIFIED"),
                      (tj + s.ms(1, 5), f"orders-db-migrate: Jobs active: 1, jobs failed: {failed}, jobs succeeded: 0")]
            tj += (21 if failed == 1 else 41) * NS
        lines.append((tj, "Add/Modify event for orders-db-migrate: MODIFIED"))
        hook_err = "post-upgrade hooks failed: job orders-db-migrate failed: BackoffLimitExceeded"
        lines.append((tj + s.ms(2, 8), f'warning: Upgrade "orders" failed: {hook_err}'))
        od.revs[n_new]["status"] = "failed"
        od.observe([n_new, n_old], True)
        tf = lines[-1][0] + s.ms(5, 15)
        msg = f"Helm upgrade failed for release apps/orders with chart orders@1.9.0: {hook_err}"
        s.hr_event(cid, tf, od, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
                   {"helm.toolkit.fluxcd.io/revision": "1.9.0", "helm.toolkit.fluxcd.io/token": sha256_digest(or_vals)})
        setc(od, "Released", "False", "UpgradeFailed", msg, tf)
        od.status["failures"] += 1
        od.status["upgradeFailures"] += 1
        v.summarize(od, tf)
        s.other_event(tj - s.ms(300, 500), tj - s.ms(300, 500), 1,
                      {"kind": "Job", "namespace": "apps", "name": "orders-db-migrate", "uid": s.uuid(),
                       "apiVersion": "batch/v1", "resourceVersion": s.rv(tj, 1)}, "Warning", "BackoffLimitExceeded",
                      "Job has reached the specified backoff limit", "job-controller")
        # Failed -> remediateLastFailure -> rollback, which fails (HC 2.2, rollback_remediation.go)
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", od, rid)
        od.truncate()
        prev = od.previous()
        t = v.run_action(t + s.ms(5, 15), od, rid, "rollback", "5m0s", release_type=False)
        rb = [(t + s.ms(5, 15), "preparing rollback of orders")]
        rb.append((rb[-1][0] + s.ms(10, 30), f"rolling back orders (current: v{n_new}, target: v{prev['version']})"))
        rb.append((rb[-1][0] + s.ms(5, 15), "creating rolled back release for orders"))
        n_rb = od.add_rev("pending-rollback", prev["chartVersion"], "", od.revs[n_old]["first"], rb[-1][0],
                          od.revs[prev["version"]]["values"])
        rb.append((rb[-1][0] + s.ms(10, 30), "performing rollback of orders"))
        rb.append((rb[-1][0] + s.ms(40, 80), "checking 5 resources for changes"))
        for kind_, name_ in (("ServiceAccount", "orders"), ("ConfigMap", "orders"), ("Service", "orders")):
            rb.append((rb[-1][0] + s.ms(5, 25), f'Looks like there are no changes for {kind_} "{name_}"'
                       if kind_ != "ConfigMap" else f'Patch {kind_} "{name_}" in namespace apps'))
        rb.append((rb[-1][0] + s.ms(5, 25), 'Patch Deployment "orders" in namespace apps'))
        rb_err = 'no Deployment with the name "orders-worker" found'
        rb.append((rb[-1][0] + s.ms(10, 30), f'warning: Rollback "orders" failed: {rb_err}'))
        od.revs[n_new]["status"] = "superseded"
        od.revs[n_rb]["status"] = "failed"
        od.revs[n_rb]["desc"] = f'Rollback "orders" failed: {rb_err}'
        od.observe([n_rb, n_new], True)
        tr = rb[-1][0] + s.ms(5, 15)
        rb_msg = (f"Helm rollback to previous release {od.full(prev['version'])} with chart "
                  f"orders@{prev['chartVersion']} failed: {rb_err}")
        s.hr_event(cid, tr, od, "Warning", "RollbackFailed", rb_msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(rb),
                   {"helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                    "helm.toolkit.fluxcd.io/token": sha256_digest(or_vals)})
        setc(od, "Remediated", "False", "RollbackFailed", rb_msg, tr)
        od.status["failures"] += 1
        v.summarize(od, tr)
        setc(od, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 1 attempt(s)", tr)
        delc(od, "Reconciling")
        od.status["observedGeneration"] = od.gen
        end = tr + s.ms(20, 50)
        s.L(cid, end, "Reconciler error", od, rid, level="error", error="terminal error: exceeded maximum retries")
        od.status_time = end
        ost["end"] = end
        return end, None
    per_container(od, od_h, [(ocommit + s.ms(150, 250), "spec"), (ocommit + 2 * NS + s.ms(200, 500), "chart")])
    od.apply_time = ocommit
    s.plant(od, ["upgrade-failed", "rollback-failed", "retries-exhausted"], "Chart 1.9.0 drops the orders-worker "
            "Deployment (annotated helm.sh/resource-policy: keep, so Helm skips deleting it) and adds a post-upgrade "
            "migration Job that fails (`post-upgrade hooks failed: job orders-db-migrate failed: "
            "BackoffLimitExceeded`). remediateLastFailure triggers a rollback to v6, which fails because the kept "
            "Deployment is not in the current release manifest (`no Deployment with the name \"orders-worker\" "
            "found`). With upgrade retries 0 the release is then Stalled RetriesExceeded `Failed to upgrade after 1 "
            "attempt(s)` (`terminal error: exceeded maximum retries`), Ready=False RollbackFailed.",
            [("event", "Helm upgrade failed for release apps/orders"), ("event", "Helm rollback to previous release"),
             ("hr", "Failed to upgrade after 1 attempt(s)"), ("log", "terminal error: exceeded maximum retries")])

    # ---- apps/reporting: evidence-gap (its dependency is served by a shard controller outside the bundle) ----
    rp_vals = {"replicaCount": 1, "database": {"host": "postgres-ha-pgpool.data.svc"}}
    rp = mk("apps", "reporting", "reporting", "0.14.2", "acme-charts", rp_vals, "2024-01-08T09:00:00Z", 6,
            deps=["data/postgres-ha"])
    v37_seed(rp, [("0.14.0", T("2024-05-13T10:00:00Z"), rp_vals), ("0.14.2", T("2024-06-06T10:02:55Z"), rp_vals)],
             T("2024-06-06T10:03:31Z"), v1=True, base=11)
    rp.apply_time = T("2024-06-06T10:02:54Z")
    sharded = T("2024-06-11T16:20:14Z")
    gone = "unable to get 'data/postgres-ha' dependency: HelmRelease.helm.toolkit.fluxcd.io \"postgres-ha\" not found"

    def rp_h(cid, t, kind):
        v = V[cid]
        if t < sharded:
            return v.healthy(t, rp), s.jitter(rp.interval_ns())
        t, rid = v.start(t, rp)
        t = v.deps(t, rp, rid, blocked_by=gone)
        rp.status_time = t
        return t, 30 * NS
    per_container(rp, rp_h)
    s.plant(rp, ["evidence-gap"], "Depends on data/postgres-ha, which was moved to a sharded helm-controller "
            "(label sharding.fluxcd.io/key) on 2024-06-11; v1.0.1 reads dependencies from its label-filtered cache, "
            "so the main controller reports `unable to get 'data/postgres-ha' dependency: ... not found` every 30s. "
            "The bundle was collected for namespaces apps, flux-system, infra, monitoring only and has no shard "
            "logs: whether postgres-ha exists or is Ready cannot be told from the bundle.",
            [("log", "unable to get 'data/postgres-ha' dependency"), ("hr", "unable to get 'data/postgres-ha'")])

    # ---- bundle ----
    for r, at in ((kps, kcommit + 2 * NS), (od, ocommit + 2 * NS), (kc, kc.created + 2 * NS)):
        s.chart_event(r, at, "source.toolkit.fluxcd.io/v1")
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {"monitoring/kube-prometheus-stack": kcommit + 2 * NS, "apps/orders": ocommit + 2 * NS,
              "apps/keycloak": kc.created + 2 * NS}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 1 if r is kc else 2 + len(r.revs)
        charts.append(helmchart_object(s, r, hc_api, gen, gen, r.ver, chart_ready_conds(r, r.ver, at, gen),
                                       r.created + NS, "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode())
                                       .hexdigest(), at))
    repos = {"acme-charts": "https://charts.acme.example.com", "bitnami": "https://charts.bitnami.com/bitnami",
             "grafana": "https://grafana.github.io/helm-charts", "ingress-nginx": "https://kubernetes.github.io/ingress-nginx",
             "jetstack": "https://charts.jetstack.io",
             "prometheus-community": "https://prometheus-community.github.io/helm-charts"}
    repo_objs = [helmrepo_object(s, n, u, hc_api, T("2023-08-02T09:10:00Z"),
                                 "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
                                 C - s.ms(60_000, 3_000_000)) for n, u in sorted(repos.items())]
    node = "aks-system-38455710-vmss000002"
    last_state = {"terminated": {"exitCode": 137, "reason": "OOMKilled", "startedAt": rfc3339(c3[0]),
                                 "finishedAt": rfc3339(c3[1]), "containerID": f"containerd://{s.hex(64)}"}}
    main_args = ["--watch-label-selector=!sharding.fluxcd.io/key"]
    pods = [pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v1.0.1", node, POD_START, c4[0],
                       restarts=3, last_state=last_state, mem="512Mi", extra_args=main_args),
            pod_object(s, "helm-controller-shard1-6c7d9f8b5-rx2jp", "helm-controller-shard1",
                       "ghcr.io/fluxcd/helm-controller:v1.0.1", "aks-system-38455710-vmss000001",
                       T("2024-06-11T16:18:40Z"), T("2024-06-11T16:18:44Z"), mem="512Mi",
                       extra_args=["--watch-label-selector=sharding.fluxcd.io/key in (shard1)"]),
            pod_object(s, "source-controller-75c8d7f9c8-9wq4d", "source-controller",
                       "ghcr.io/fluxcd/source-controller:v1.3.0", node, POD_START - 20 * NS, POD_START - 17 * NS),
            pod_object(s, "kustomize-controller-7b8d9c6f4d-jk2m7", "kustomize-controller",
                       "ghcr.io/fluxcd/kustomize-controller:v1.3.0", node, POD_START - 20 * NS, POD_START - 16 * NS),
            pod_object(s, "notification-controller-6f8c7d9b4-lp5xv", "notification-controller",
                       "ghcr.io/fluxcd/notification-controller:v1.3.0", node, POD_START - 20 * NS, POD_START - 15 * NS)]
    pods[1]["metadata"]["labels"]["app"] = "helm-controller-shard1"
    pod_ref = {"kind": "Pod", "namespace": "flux-system", "name": POD, "uid": pods[0]["metadata"]["uid"],
               "apiVersion": "v1", "resourceVersion": s.rv(c4[0], 1), "fieldPath": "spec.containers{manager}"}
    for reason, msg in (("Pulled", 'Container image "ghcr.io/fluxcd/helm-controller:v1.0.1" already present on machine'),
                        ("Created", "Created container manager"), ("Started", "Started container manager")):
        s.other_event(c1[0] - s.ms(200, 900), c4[0] - s.ms(0, 200), 4, dict(pod_ref), "Normal", reason, msg, "kubelet", node)
    s.other_event(c2[1] + s.ms(400, 900), c3[1] + s.ms(400, 900), 2, dict(pod_ref), "Warning", "BackOff",
                  f"Back-off restarting failed container manager in pod {POD}_flux-system({pods[0]['metadata']['uid']})",
                  "kubelet", node)
    crs = {}
    for r in s.releases.values():
        crs.setdefault(("helmreleases.helm.toolkit.fluxcd.io", r.ns), []).append(hr_object(r, API))
    for k in crs:
        crs[k].sort(key=lambda o: o["metadata"]["name"])
    crs[("helmcharts.source.toolkit.fluxcd.io", "flux-system")] = charts
    crs[("helmrepositories.source.toolkit.fluxcd.io", "flux-system")] = repo_objs
    out = SAMPLES / s.name
    write_troubleshoot(s, out, ["apps", "data", "flux-system", "infra", "kube-system", "monitoring"], crs,
                       {"flux-system": pods}, [(POD, "manager", log_text(s, "c4")),
                                               (POD, "manager-previous", log_text(s, "c3"))],
                       s.correlate_events(), dict(helm_collector(s, s.releases.values()), **{
                           "monitoring/kube-prometheus-stack": helm_collector_release(s, kps)}), version="v0.93.1")
    s.layout = {"kind": "troubleshoot", "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log",
                "prevlog": f"cluster-resources/pods/logs/flux-system/{POD}/manager-previous.log"}
    return s


# ==== scenario 4: healthy-control =============================================================
def scenario_healthy():
    s = Scenario("healthy-control", 20251021, T("2025-10-21T09:47:15Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-5c7b9d8f6d-mn8px"
    POD_START = T("2025-10-20T22:03:37Z")
    RUN = POD_START + 3 * NS + 407_000_000
    cid = "hc"
    s.procs[cid] = (C - 2 * HOUR, C)        # logs collector limits.maxAge: 2h
    v = V37(s, cid, v1=True, v14=True)
    s.L(cid, RUN + 402_000_000, "starting manager", logger="setup")

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    start = C - 2 * HOUR - 11 * MIN

    def healthy_loop(r):
        run_queue(s, start + s.ms(0, r.interval_ns() // 1_000_000), C,
                  lambda t, kind: (v.healthy(t, r), s.jitter(r.interval_ns())))

    cm = mk("infra", "cert-manager", "cert-manager", "v1.18.2", "jetstack", {"crds": {"enabled": True}},
            "2024-02-02T09:14:10Z", 23, interval="1h")
    v37_seed(cm, [("v1.18.1", T("2025-08-04T10:00:00Z"), cm.values), ("v1.18.2", T("2025-10-02T09:12:44Z"), cm.values)],
             T("2025-10-02T09:13:20Z"), v1=True, app="v1.18.2", base=16)
    cm.apply_time = T("2025-10-02T09:12:43Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy.")
    ing = mk("infra", "ingress-nginx", "ingress-nginx", "4.13.3", "ingress-nginx", {"controller": {"replicaCount": 3}},
             "2024-02-02T09:14:10Z", 19, interval="1h", deps=["infra/cert-manager"])
    v37_seed(ing, [("4.13.2", T("2025-09-04T10:00:00Z"), ing.values), ("4.13.3", T("2025-10-01T08:03:11Z"), ing.values)],
             T("2025-10-01T08:03:50Z"), v1=True, app="1.13.3", base=12)
    ing.apply_time = T("2025-10-01T08:03:10Z")
    healthy_loop(ing)
    s.plant(ing, [], "Healthy; depends on infra/cert-manager (Ready).")

    # ---- apps/podinfo: plain upgrade ----
    pi = mk("apps", "podinfo", "podinfo", "6.9.1", "podinfo", {"replicaCount": 2}, "2024-03-11T08:00:12Z", 14)
    v37_seed(pi, [("6.8.0", T("2025-08-11T10:00:00Z"), pi.values), ("6.9.1", T("2025-09-16T13:37:02Z"), pi.values)],
             T("2025-09-16T13:37:21Z"), v1=True, app="6.9.1", base=9)
    pi.apply_time = T("2025-09-16T13:37:01Z")
    pcommit = T("2025-10-21T08:30:12Z")

    def chart_spec(r, t):
        t, rid = v.start(t, r, "Configured")
        t = v.chart_not_ready(t, r, rid, "latest generation of object has not been reconciled")
        r.status_time = t
        return t, s.jitter(r.interval_ns())

    def pi_h(t, kind):
        if kind == "spec":
            pi.ver, pi.gen = "6.9.2", pi.gen + 1
            return chart_spec(pi, t)
        if kind == "chart":
            t, rid = v.start(t, pi)
            v.clear_prereq(t, pi)
            v.attempt(pi, t)
            end = v.upgrade_ok(t, pi, rid, s.ms(16_000, 20_000), n_app="6.9.2")
            return v.done_insync(end, pi, rid), s.jitter(pi.interval_ns())
        return v.healthy(t, pi), s.jitter(pi.interval_ns())
    run_queue(s, start + s.ms(0, 600_000), C, pi_h, [(pcommit + s.ms(150, 250), "spec"),
                                                      (pcommit + 2 * NS + s.ms(100, 400), "chart")])
    pi.apply_time = pcommit
    s.plant(pi, [], "Healthy: upgraded 6.9.1 -> 6.9.2 at 08:30.")

    # ---- apps/api: first upgrade attempt timed out, rolled back, the retry succeeded ----
    api_vals = {"replicaCount": 3}
    api = mk("apps", "api", "api", "2.13.0", "acme-charts", api_vals, "2024-03-11T08:00:12Z", 27, timeout="5m")
    api.spec_extra["upgrade"] = {"remediation": {"retries": 3}}
    v37_seed(api, [("2.12.4", T("2025-09-02T10:00:00Z"), api_vals), ("2.13.0", T("2025-10-09T15:20:31Z"), api_vals)],
             T("2025-10-09T15:21:04Z"), v1=True, app="2.13.0", base=30)
    api.apply_time = T("2025-10-09T15:20:30Z")
    acommit = T("2025-10-21T08:52:03Z")
    ast = {"attempt": 0}
    kinds = [("ServiceAccount", "api"), ("ConfigMap", "api"), ("Service", "api"), ("Deployment", "api")]

    def api_h(t, kind):
        if kind == "spec":
            api.ver, api.gen = "2.14.0", api.gen + 1
            ast["busy_from"] = t
            return chart_spec(api, t)
        if kind == "periodic" and ast["attempt"] in (0, 2):
            return v.healthy(t, api), s.jitter(api.interval_ns())
        t, rid = v.start(t, api)
        v.clear_prereq(t, api)
        v.attempt(api, t)
        if ast["attempt"] == 1:                 # retry after the rollback
            ast["attempt"] = 2
            end = v.upgrade_ok(t, api, rid, s.ms(34_000, 38_000), n_app="2.14.0")
            end = v.done_insync(end, api, rid)
            ast["done"] = end
            return end, s.jitter(api.interval_ns())
        ast["attempt"] = 1
        api.status["failures"] = api.status["upgradeFailures"] = 0
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", api, rid)
        t = v.run_action(t + s.ms(100, 150), api, rid, "upgrade", "5m0s")
        delc(api, "TestSuccess")
        delc(api, "Remediated")
        api.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = api.history[0]["version"]
        n_new = api.add_rev("pending-upgrade", "2.14.0", "2.14.0", api.revs[n_old]["first"], t + s.ms(10, 30), api_vals)
        lines, tw = helm_upgrade_lines(s, api, t, kinds, {("ConfigMap", "api"), ("Deployment", "api")})
        until = tw + 5 * MIN
        lines += helm_wait_lines(s, api, tw, 4, "5m0s", "api", 2, 3, until)
        lines.append((until + s.ms(1, 3), "wait for resources failed after 5m0s: context deadline exceeded"))
        lines.append((until + s.ms(4, 8), 'warning: Upgrade "api" failed: context deadline exceeded'))
        api.revs[n_new]["status"] = "failed"
        api.observe([n_new, n_old], True)
        api.status["lastAttemptedReleaseActionDuration"] = go_duration(until + s.ms(9, 15) - t)
        tf = until + s.ms(10, 20)
        msg = "Helm upgrade failed for release apps/api with chart api@2.14.0: context deadline exceeded"
        s.hr_event(cid, tf, api, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm_tail_v037(lines),
                   {"helm.toolkit.fluxcd.io/revision": "2.14.0", "helm.toolkit.fluxcd.io/token": sha256_digest(api_vals),
                    "helm.toolkit.fluxcd.io/app-version": "2.14.0"})
        setc(api, "Released", "False", "UpgradeFailed", msg, tf)
        api.status["failures"] += 1
        api.status["upgradeFailures"] += 1
        v.summarize(api, tf)
        at = tw + s.ms(40, 90)
        s.other_event(at, at, 1, {"kind": "Pod", "namespace": "apps", "name": f"api-7d4c9b8f6-{s.hex(5)}",
                                  "uid": s.uuid(), "apiVersion": "v1", "resourceVersion": s.rv(tw, 1)},
                      "Normal", "TriggeredScaleUp",
                      "pod triggered scale-up: [{aks-user-24780633-vmss 5->6 (max: 8)}]", "cluster-autoscaler")
        t = tf + s.ms(30, 60)
        s.L(cid, t, "release is in a failed state", api, rid)
        api.truncate()
        prev = api.previous()
        t = v.run_action(t + s.ms(5, 15), api, rid, "rollback", "5m0s", release_type=False)
        n_rb = api.add_rev("deployed", prev["chartVersion"], "2.13.0", api.revs[n_old]["first"], t + s.ms(10, 30),
                           api_vals)
        api.revs[n_old]["status"] = "superseded"
        api.observe([n_rb, n_old], True)
        tr = t + s.ms(2600, 3900)
        rb_msg = f"Helm rollback to previous release {api.full(prev['version'])} with chart api@{prev['chartVersion']} succeeded"
        s.hr_event(cid, tr, api, "Normal", "RollbackSucceeded", rb_msg,
                   {"helm.toolkit.fluxcd.io/revision": prev["chartVersion"],
                    "helm.toolkit.fluxcd.io/token": sha256_digest(api_vals), "helm.toolkit.fluxcd.io/app-version": "2.13.0"})
        setc(api, "Remediated", "True", "RollbackSucceeded", rb_msg, tr)
        v.summarize(api, tr)
        setc(api, "Reconciling", "True", "ProgressingWithRetry", api.conds["Ready"]["message"], tr)
        end = tr + s.ms(20, 50)
        api.status_time = end
        return end, backoff(0)
    run_queue(s, start + s.ms(0, 600_000), C, api_h, [(acommit + s.ms(150, 250), "spec"),
                                                       (acommit + 2 * NS + s.ms(100, 400), "chart")])
    api.apply_time = acommit
    s.plant(api, [], "Recovered: the first upgrade to 2.14.0 timed out (2 of 3 pods ready until cluster-autoscaler "
            "added a node) and was rolled back; the retry 1s later succeeded. Ready=True UpgradeSucceeded although "
            "status.failures/upgradeFailures stay 1 (counters are only reset on chart/values change or --reset).",
            [("event", "Helm upgrade failed for release apps/api"), ("event", "Helm upgrade succeeded for release apps/api")])

    # ---- apps/worker: waits for apps/api during its upgrade (recovered) ----
    wk = mk("apps", "worker", "worker", "2.13.0", "acme-charts", {"concurrency": 8}, "2024-03-11T08:00:12Z", 12,
            interval="5m", deps=["apps/api"])
    v37_seed(wk, [("2.12.4", T("2025-09-02T10:01:00Z"), wk.values), ("2.13.0", T("2025-10-09T15:21:40Z"), wk.values)],
             T("2025-10-09T15:22:02Z"), v1=True, app="2.13.0", base=21)
    wk.apply_time = T("2025-10-09T15:21:39Z")
    wks = {}

    def wk_h(t, kind):
        if ast.get("busy_from", C) <= t < ast.get("done", C):
            t, rid = v.start(t, wk)
            t = v.deps(t, wk, rid, blocked_by="dependency 'apps/api' is not ready")
            wk.status_time = t
            wks["blocked"] = wks.get("blocked", 0) + 1
            return t, 30 * NS
        return v.healthy(t, wk), s.jitter(wk.interval_ns())
    run_queue(s, start + s.ms(0, 300_000), C, wk_h)
    s.plant(wk, [], f"Recovered: while apps/api was upgrading (generation not yet observed) the worker reported "
            f"`dependency 'apps/api' is not ready` {wks.get('blocked', 0)} times, then all dependencies were ready "
            f"and it is in-sync, Ready=True.",
            [("event", "dependency 'apps/api' is not ready"), ("log", "all dependencies are ready")])

    # ---- apps/web: one drift, corrected once ----
    web = mk("apps", "web", "web", "3.4.0", "acme-charts", {"replicaCount": 2, "config": {"theme": "dark"}},
             "2024-03-11T08:00:12Z", 9)
    web.spec_extra["driftDetection"] = {"mode": "enabled"}
    v37_seed(web, [("3.3.1", T("2025-09-12T10:00:00Z"), web.values), ("3.4.0", T("2025-10-14T11:08:19Z"), web.values)],
             T("2025-10-14T11:08:46Z"), v1=True, app="3.4.0", base=17)
    web.apply_time = T("2025-10-14T11:08:18Z")
    edited = T("2025-10-21T09:10:31Z")
    ws = {"done": False}

    def web_h(t, kind):
        if t > edited and not ws["done"]:
            ws["done"] = True
            t, rid = v.start(t, web)
            v.attempt(web, t)
            t += s.ms(250, 700)
            s.L(cid, t, "detected changes in cluster state: removed: 0, changed: 1, excluded: 0", web, rid)
            n = web.history[0]["version"]
            s.hr_event(cid, t + s.ms(1, 4), web, "Warning", "DriftDetected",
                       f"Cluster state of release {web.full(n)} has drifted from the desired state:\n"
                       f"ConfigMap/apps/web-config changed (0 additions, 1 changes, 0 removals)")
            t = v.run_action(t + s.ms(5, 15), web, rid, "correct cluster drift", "5m0s", release_type=False)
            setc(web, "Ready", "Unknown", "Progressing", "correcting cluster drift", t)
            t += s.ms(90, 300)
            s.hr_event(cid, t, web, "Normal", "DriftCorrected", f"Cluster state of release {web.full(n)} has been "
                       f"corrected:\nConfigMap/apps/web-config configured", ann(web, n, True))
            return v.done_insync(t + s.ms(200, 600), web, rid), s.jitter(web.interval_ns())
        return v.healthy(t, web), s.jitter(web.interval_ns())
    run_queue(s, start + s.ms(0, 600_000), C, web_h)
    s.plant(web, [], "Healthy: someone edited ConfigMap apps/web-config at 09:10; the next reconcile detected and "
            "corrected it once (Ready=Unknown `correcting cluster drift` for a moment), then in-sync.",
            [("event", "has drifted from the desired state"), ("event", "has been corrected")])

    # ---- apps/billing: values Secret created 90s after the reference (recovered) ----
    bl_old = {"replicaCount": 2}
    bl = mk("apps", "billing", "billing", "1.22.0", "acme-charts", bl_old, "2024-03-11T08:00:12Z", 17)
    v37_seed(bl, [("1.21.3", T("2025-09-22T10:00:00Z"), bl_old), ("1.22.0", T("2025-10-13T09:51:31Z"), bl_old)],
             T("2025-10-13T09:52:02Z"), v1=True, app="1.22.0", base=25)
    bl.apply_time = T("2025-10-13T09:51:30Z")
    bcommit, secret_at = T("2025-10-21T08:40:05Z"), T("2025-10-21T08:41:37Z")
    verr = "could not resolve Secret chart values reference 'apps/billing-secrets' with key 'values.yaml': resource not found"
    bst = {"n": 0}

    def bl_h(t, kind):
        if t < bcommit:
            return v.healthy(t, bl), s.jitter(bl.interval_ns())
        if kind == "spec":
            bl.gen += 1
            bl.spec_extra["valuesFrom"] = [{"kind": "Secret", "name": "billing-secrets", "valuesKey": "values.yaml"}]
        t, rid = v.start(t, bl)
        if t < secret_at:
            setc(bl, "Ready", "False", "ValuesError", verr, t)
            s.hr_event(cid, t + s.ms(1, 3), bl, "Warning", "ValuesError", verr)
            end = t + s.ms(5, 15)
            s.L(cid, end, "Reconciler error", bl, rid, level="error", error=verr)
            bl.status_time = end
            d = backoff(bst["n"])
            bst["n"] += 1
            return end, d
        if bl.values is bl_old:
            bl.values = {"replicaCount": 2, "stripe": {"webhookSecretRef": "billing-secrets"}}
            v.clear_prereq(t, bl)
            v.attempt(bl, t)
            end = v.upgrade_ok(t, bl, rid, s.ms(21_000, 25_000), "release config values changed", n_app="1.22.0")
            return v.done_insync(end, bl, rid), s.jitter(bl.interval_ns())
        return v.healthy(t, bl), s.jitter(bl.interval_ns())
    run_queue(s, start + s.ms(0, 600_000), C, bl_h, [(bcommit + s.ms(150, 250), "spec")])
    bl.apply_time = bcommit
    s.plant(bl, [], "Recovered: the valuesFrom Secret apps/billing-secrets was created by an ExternalSecret ~90s after "
            "the reference: ValuesError (`could not resolve Secret chart values reference ...: resource not found`) "
            "with exponential backoff, then the upgrade with the new values succeeded, Ready=True.",
            [("log", "could not resolve Secret chart values reference"), ("log", "release config values changed")])

    # ---- monitoring/grafana: chart version missing from the index for ~50s (recovered) ----
    gf = mk("monitoring", "grafana", "grafana", "10.0.0", "grafana", {"persistence": {"enabled": True}},
            "2024-02-02T09:20:44Z", 21)
    v37_seed(gf, [("9.4.5", T("2025-09-10T10:00:00Z"), gf.values), ("10.0.0", T("2025-10-06T08:40:10Z"), gf.values)],
             T("2025-10-06T08:40:33Z"), v1=True, app="12.1.1", base=30)
    gf.apply_time = T("2025-10-06T08:40:09Z")
    gcommit, gready = T("2025-10-21T09:21:40Z"), T("2025-10-21T09:22:31.318Z")

    def gf_h(t, kind):
        if kind == "spec":
            gf.ver, gf.gen = "10.1.0", gf.gen + 1
            return chart_spec(gf, t)
        if kind == "chart":
            t, rid = v.start(t, gf)
            v.clear_prereq(t, gf)
            v.attempt(gf, t)
            end = v.upgrade_ok(t, gf, rid, s.ms(26_000, 31_000), n_app="12.2.0")
            return v.done_insync(end, gf, rid), s.jitter(gf.interval_ns())
        return v.healthy(t, gf), s.jitter(gf.interval_ns())
    run_queue(s, start + s.ms(0, 600_000), C, gf_h, [(gcommit + s.ms(150, 250), "spec"),
                                                      (gready + s.ms(250, 400), "chart")])
    gf.apply_time = gcommit
    s.chart_event(gf, gcommit + s.ms(900, 1400), "source.toolkit.fluxcd.io/v1",
                  failed="invalid chart reference: failed to get chart version for remote reference: no 'grafana' "
                         "chart with version matching '10.1.0' found")
    s.chart_event(gf, gready - s.ms(60, 120), "source.toolkit.fluxcd.io/v1")
    s.chart_event(api, acommit + 2 * NS, "source.toolkit.fluxcd.io/v1")
    s.plant(gf, [], "Recovered: chart 10.1.0 was missing from the grafana index for ~50s (SourceNotReady, "
            "HelmChart InvalidChartReference); after the index refresh the upgrade succeeded, Ready=True.",
            [("log", "is not ready: latest generation of object has not been reconciled"),
             ("event", "Helm upgrade succeeded for release")])

    # ---- bundle ----
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {"apps/podinfo": pcommit + 2 * NS, "apps/api": acommit + 2 * NS, "monitoring/grafana": gready}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 2 + len(r.revs)
        charts.append(helmchart_object(s, r, hc_api, gen, gen, r.ver, chart_ready_conds(r, r.ver, at, gen),
                                       r.created + NS, "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode())
                                       .hexdigest(), at))
    repos = {"acme-charts": "https://charts.acme.example.com", "grafana": "https://grafana.github.io/helm-charts",
             "ingress-nginx": "https://kubernetes.github.io/ingress-nginx", "jetstack": "https://charts.jetstack.io",
             "podinfo": "https://stefanprodan.github.io/podinfo"}
    repo_objs = [helmrepo_object(s, n, u, hc_api, T("2024-02-02T09:10:00Z"),
                                 "sha256:" + hashlib.sha256(f"{n}-{C // HOUR}".encode()).hexdigest(),
                                 C - s.ms(60_000, 3_000_000), interval="1m" if n in ("grafana", "acme-charts") else "1h")
                 for n, u in sorted(repos.items())]
    node = "aks-system-31337042-vmss000004"
    pods = [pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v1.4.1", node, POD_START, RUN),
            pod_object(s, "source-controller-6f9b5d7c8-7nq4r", "source-controller",
                       "ghcr.io/fluxcd/source-controller:v1.7.1", node, POD_START + 2 * NS, POD_START + 5 * NS),
            pod_object(s, "kustomize-controller-78d9f6c5b-hx2vw", "kustomize-controller",
                       "ghcr.io/fluxcd/kustomize-controller:v1.7.0", node, POD_START + 2 * NS, POD_START + 5 * NS),
            pod_object(s, "notification-controller-5b8c7d6f9-dk7tm", "notification-controller",
                       "ghcr.io/fluxcd/notification-controller:v1.7.2", node, POD_START + 2 * NS, POD_START + 6 * NS)]
    crs = {}
    for r in s.releases.values():
        crs.setdefault(("helmreleases.helm.toolkit.fluxcd.io", r.ns), []).append(hr_object(r, API))
    for k in crs:
        crs[k].sort(key=lambda o: o["metadata"]["name"])
    crs[("helmcharts.source.toolkit.fluxcd.io", "flux-system")] = charts
    crs[("helmrepositories.source.toolkit.fluxcd.io", "flux-system")] = repo_objs
    out = SAMPLES / s.name
    write_troubleshoot(s, out, ["apps", "flux-system", "infra", "kube-system", "monitoring"], crs,
                       {"flux-system": pods}, [(POD, "manager", log_text(s, cid))], s.correlate_events(),
                       helm_collector(s, s.releases.values()), version="v0.121.1")
    s.layout = {"kind": "troubleshoot", "log": f"cluster-resources/pods/logs/flux-system/{POD}/manager.log"}
    return s


# ==== scenario 5: v16-failures ==============================================================
def helm4_tail(lines):
    """helm-controller >= v1.5.0 (Helm 4, slog): each buffered line is '<msg>: <JSON of the record's
    attributes>' (json.Marshal of a map: keys sorted), with 'warning: '/'error: ' for those levels
    (internal/action/log.go LogBuffer.Handle, HC 10.1 W7); printed like v0.37's buffer."""
    return helm_tail_v037([(t, f"{msg}: {json.dumps(attrs, sort_keys=True, separators=(',', ':'))}") for t, msg, attrs in lines])


def ocirepo_object(s, ns, name, url, tag, digest, created, fetched):
    """source-controller v1.9 OCIRepository with its artifact (revision `<tag>@sha256:<digest>`)."""
    rev = f"{tag}@sha256:{digest}"
    path = f"ocirepository/{ns}/{name}/sha256:{digest}.tar.gz"
    msg = f"stored artifact for digest '{rev}'"
    return {"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "OCIRepository",
            "metadata": {"creationTimestamp": rfc3339(created), "finalizers": ["finalizers.fluxcd.io"], "generation": 2,
                         "labels": KUSTOMIZE_LABELS(ns), "name": name, "namespace": ns,
                         "resourceVersion": s.rv(fetched, 8), "uid": s.uuid()},
            "spec": {"interval": "5m", "layerSelector": {"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                                                         "operation": "copy"}, "ref": {"semver": ">=1.0.0"}, "url": url},
            "status": {"artifact": {"digest": "sha256:" + digest, "lastUpdateTime": rfc3339(fetched), "path": path,
                                    "revision": rev, "size": 24_000 + int(digest[:4], 16),
                                    "url": f"http://source-controller.flux-system.svc.cluster.local./{path}"},
                       "conditions": [cond("Ready", "True", "Succeeded", msg, fetched, 2),
                                      cond("ArtifactInStorage", "True", "Succeeded", msg, fetched, 2)],
                       "observedGeneration": 2, "url": url}}


def scenario_v16():
    s = Scenario("v16-failures", 20260804, T("2026-08-04T09:31:40Z"))
    C, API = s.C, "helm.toolkit.fluxcd.io/v2"
    POD = "helm-controller-6b9d7c4f8-vx2mq"
    POD_START = T("2026-07-28T14:02:11Z")           # Flux upgraded to v2.9.2 that day
    RUN = POD_START + 3 * NS + 211_000_000
    cid = "hc"
    s.procs[cid] = (C - 2 * HOUR, C)                # kubectl logs --since=2h
    v = V37(s, cid, v1=True, v14=True)
    s.L(cid, RUN + 380_000_000, "starting manager", logger="setup")
    start = C - 2 * HOUR - 9 * MIN

    def mk(ns, name, chart, ver, repo, values, created, gen, **kw):
        r = Rel(s, ns, name, chart, ver, repo, values, T(created), gen, event_api=API, **kw)
        r.apply_api = r.status_api = API
        return r

    def healthy_loop(r, first=None):
        run_queue(s, first or start + s.ms(0, r.interval_ns() // 1_000_000), C,
                  lambda t, kind: (v.healthy(t, r), s.jitter(r.interval_ns())))

    def start_ref(t, r):
        """Reconcile() of a chartRef release: no HelmChart template line (HC 10.2)."""
        rid = s.uuid()
        t += s.ms(6, 30)
        setc(r, "Reconciling", "True", "Progressing", "Fulfilling prerequisites", t)
        return t + s.ms(5, 20), rid

    def healthy_ref(t, r):
        t, rid = start_ref(t, r)
        v.attempt(r, t)
        return v.done_insync(t + s.ms(60, 700), r, rid)

    def events_meta(r, ver, values, app, oci=None):
        a = {"helm.toolkit.fluxcd.io/revision": ver, "helm.toolkit.fluxcd.io/token": sha256_digest(values)}
        if app:
            a["helm.toolkit.fluxcd.io/app-version"] = app
        if oci:
            a["helm.toolkit.fluxcd.io/oci-digest"] = oci
        return a

    def refused(t, r, rid, action, msg_err, app, kst, retry=None):
        """An action Helm refuses before storing a release (upgrade.go/install.go: failure(), no
        failure counted for remediation, the error returned): Reconciler error + backoff."""
        t += s.ms(150, 420)
        verb = "Upgrade" if action == "upgrade" else "Install"
        msg = f"Helm {action} failed for release {r.ns}/{r.name} with chart {r.chart}@{r.ver}: {msg_err}"
        s.hr_event(cid, t, r, "Warning", f"{verb}Failed", msg, events_meta(r, r.ver, r.values, app))
        setc(r, "Released", "False", f"{verb}Failed", msg, t)
        r.status["failures"] = r.status.get("failures", 0) + 1
        v.summarize(r, t)
        end = t + s.ms(20, 50)
        s.L(cid, end, "Reconciler error", r, rid, level="error", error=msg_err)
        r.status_time = end
        d = backoff(kst["n"])
        kst["n"] += 1
        return end, d

    # ---- healthy: infra/cert-manager (HelmRepository chart) ----
    cm = mk("infra", "cert-manager", "cert-manager", "v1.19.2", "jetstack", {"crds": {"enabled": True}},
            "2024-02-02T09:14:10Z", 31, interval="1h")
    v37_seed(cm, [("v1.19.1", T("2026-06-02T10:00:00Z"), cm.values), ("v1.19.2", T("2026-07-14T09:12:44Z"), cm.values)],
             T("2026-07-14T09:13:20Z"), v1=True, app="v1.19.2", base=22)
    cm.apply_time = T("2026-07-14T09:12:43Z")
    healthy_loop(cm)
    s.plant(cm, [], "Healthy.")

    # ---- healthy: apps/podinfo, chartRef OCIRepository (digest-suffixed chart version, no HelmChart) ----
    pi_digest = hashlib.sha256(b"podinfo-6.9.2").hexdigest()
    pi = mk("apps", "podinfo", "podinfo", f"6.9.2+{pi_digest[:12]}", "podinfo", {"replicaCount": 2},
            "2025-03-11T08:00:12Z", 11)
    pi.chart_ref = {"kind": "OCIRepository", "name": "podinfo", "namespace": "apps"}
    v37_seed(pi, [(f"6.9.1+{hashlib.sha256(b'podinfo-6.9.1').hexdigest()[:12]}", T("2026-06-11T10:00:00Z"), pi.values),
                  (pi.ver, T("2026-07-21T13:37:02Z"), pi.values)], T("2026-07-21T13:37:21Z"), v1=True, app="6.9.2", base=9)
    pi.status.pop("helmChart")
    pi.status["lastAttemptedRevisionDigest"] = "sha256:" + pi_digest
    pi.apply_time = T("2026-07-21T13:37:01Z")
    run_queue(s, start + s.ms(0, 600_000), C, lambda t, kind: (healthy_ref(t, pi), s.jitter(pi.interval_ns())))
    s.plant(pi, [], "Healthy; spec.chartRef to OCIRepository apps/podinfo: no HelmChart object exists for it, and its "
            "chart version carries the digest (`6.9.2+<12 hex>`, DisableChartDigestTracking off).")

    # ---- apps/policy: values-schema (a chart bump with a stricter values.schema.json) ----
    po = mk("apps", "policy", "policy", "0.8.4", "acme-charts", {"webhook": {"replicas": 2}}, "2025-01-20T10:00:00Z", 17)
    v37_seed(po, [("0.8.3", T("2026-06-20T10:00:00Z"), po.values), ("0.8.4", T("2026-07-16T11:02:31Z"), po.values)],
             T("2026-07-16T11:03:02Z"), v1=True, app="0.8.4", base=14)
    po.apply_time = T("2026-07-16T11:02:30Z")
    pcommit = C - 55 * MIN
    schema = ("values don't meet the specifications of the schema(s) in the following chart(s):\npolicy:\n"
              "- at '/webhook': missing property 'failurePolicy'")
    pst = {"n": 0}

    def po_h(t, kind):
        if kind == "spec":
            po.ver, po.gen = "0.9.0", po.gen + 1
            t, rid = v.start(t, po, "Configured")
            t = v.chart_not_ready(t, po, rid, "latest generation of object has not been reconciled")
            po.status_time = t
            return t, s.jitter(po.interval_ns())
        if po.ver == "0.8.4":
            return v.healthy(t, po), s.jitter(po.interval_ns())
        t, rid = v.start(t, po)
        v.clear_prereq(t, po)
        v.attempt(po, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", po, rid)
        t = v.run_action(t + s.ms(100, 150), po, rid, "upgrade", "5m0s")
        delc(po, "TestSuccess")
        delc(po, "Remediated")
        po.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, po, rid, "upgrade", schema, "0.9.0", pst)
    run_queue(s, start + s.ms(0, 600_000), C, po_h, [(pcommit + s.ms(150, 250), "spec"),
                                                      (pcommit + 2 * NS + s.ms(300, 700), "chart")])
    po.apply_time = pcommit
    s.plant(po, ["values-schema", "upgrade-failed"], "A Renovate bump to chart 0.9.0, whose values.schema.json now "
            "requires webhook.failurePolicy: Helm 4 refuses the values before rendering (`values don't meet the "
            "specifications of the schema(s) ... - at '/webhook': missing property 'failurePolicy'`). No release is "
            "stored, so only status.failures grows; `Reconciler error` with exponential backoff.",
            [("event", "values don't meet the specifications"), ("hr", "missing property")])

    # ---- apps/gateway: render-failed (a `required` value the new chart needs) ----
    gw = mk("apps", "gateway", "gateway", "4.0.3", "acme-charts", {"replicaCount": 2, "auth": {"enabled": True}},
            "2025-02-10T09:00:00Z", 14)
    v37_seed(gw, [("4.0.2", T("2026-06-23T10:00:00Z"), gw.values), ("4.0.3", T("2026-07-09T15:20:11Z"), gw.values)],
             T("2026-07-09T15:20:40Z"), v1=True, app="2.8.1", base=20)
    gw.apply_time = T("2026-07-09T15:20:10Z")
    gcommit = C - 47 * MIN
    required = "execution error at (gateway/templates/auth-secret.yaml:7:20): auth.existingSecret is required when auth.enabled is true"
    gst = {"n": 0}

    def gw_h(t, kind):
        if kind == "spec":
            gw.ver, gw.gen = "4.1.0", gw.gen + 1
            t, rid = v.start(t, gw, "Configured")
            t = v.chart_not_ready(t, gw, rid, "latest generation of object has not been reconciled")
            gw.status_time = t
            return t, s.jitter(gw.interval_ns())
        if gw.ver == "4.0.3":
            return v.healthy(t, gw), s.jitter(gw.interval_ns())
        t, rid = v.start(t, gw)
        v.clear_prereq(t, gw)
        v.attempt(gw, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", gw, rid)
        t = v.run_action(t + s.ms(100, 150), gw, rid, "upgrade", "5m0s")
        delc(gw, "TestSuccess")
        delc(gw, "Remediated")
        gw.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, gw, rid, "upgrade", required, "2.9.0", gst)
    run_queue(s, start + s.ms(0, 600_000), C, gw_h, [(gcommit + s.ms(150, 250), "spec"),
                                                      (gcommit + 2 * NS + s.ms(300, 700), "chart")])
    gw.apply_time = gcommit
    s.plant(gw, ["render-failed", "upgrade-failed"], "Chart 4.1.0 makes auth.existingSecret `required` when "
            "auth.enabled is true; the HelmRelease does not set it, so the template fails (`execution error at "
            "(gateway/templates/auth-secret.yaml:7:20): ...`) before anything is stored: failures grow, backoff.",
            [("event", "execution error at (gateway/templates/auth-secret.yaml:7:20)")])

    # ---- apps/auth: ownership-conflict on a new install with disableTakeOwnership ----
    au_vals = {"database": {"existingSecret": "auth-db"}}
    au = mk("apps", "auth", "auth", "2.3.0", "acme-charts", au_vals, "2026-08-04T09:02:14Z", 1)
    au.spec_extra["install"] = {"disableTakeOwnership": True}
    au.apply_time = au.created
    au.fin_time = au.created + s.ms(200, 400)
    au.status = {}
    owner = ('Unable to continue with install: Secret "auth-db" in namespace "apps" exists and cannot be imported '
             'into the current release: invalid ownership metadata; label validation error: missing key '
             '"app.kubernetes.io/managed-by": must be set to "Helm"; annotation validation error: missing key '
             '"meta.helm.sh/release-name": must be set to "auth"; annotation validation error: missing key '
             '"meta.helm.sh/release-namespace": must be set to "apps"')
    ast = {"n": 0}

    def au_h(t, kind):
        if kind == "create":
            return t + s.ms(20, 40), backoff(0)
        if kind == "periodic" and "helmChart" not in au.status:
            t, rid = v.start(t, au, "Created")
            au.status["helmChart"] = "flux-system/apps-auth"
            t = v.chart_not_ready(t, au, rid, "latest generation of object has not been reconciled")
            au.status_time = t
            return t, s.jitter(au.interval_ns())
        t, rid = v.start(t, au)
        v.clear_prereq(t, au)
        v.attempt(au, t)
        s.L(cid, t + s.ms(40, 90), "release not installed: no release in storage for object", au, rid)
        t = v.run_action(t + s.ms(100, 150), au, rid, "install", "5m0s")
        au.status["lastAttemptedReleaseAction"] = "install"
        return refused(t, au, rid, "install", owner, "2.3.0", ast)
    run_queue(s, None, C, au_h, [(au.created + s.ms(150, 300), "create"), (au.created + 2 * NS + s.ms(500, 900), "chart")])
    s.plant(au, ["ownership-conflict", "install-failed"], "A new release with spec.install.disableTakeOwnership: true "
            "(v1.2.0+; helm-controller v1.1.0+ adopts existing objects by default): Secret apps/auth-db was created by an "
            "ExternalSecret before the chart, without Helm metadata, so Helm 4 refuses the install (`Unable to continue "
            "with install: ... invalid ownership metadata`). Nothing is stored; backoff.",
            [("event", "Helm install failed for release apps/auth"), ("log", "invalid ownership metadata")])

    # ---- monitoring/exporter: api-removed (the chart still renders autoscaling/v2beta2) ----
    ex = mk("monitoring", "exporter", "exporter", "1.2.0", "acme-charts", {"autoscaling": {"enabled": True, "maxReplicas": 3}},
            "2023-03-02T09:20:44Z", 9, interval="30m")
    v37_seed(ex, [("1.1.9", T("2024-09-10T10:00:00Z"), ex.values), ("1.2.0", T("2025-01-06T08:40:10Z"), ex.values)],
             T("2025-01-06T08:40:33Z"), v1=True, app="0.27.0", base=5)
    ex.apply_time = T("2025-01-06T08:40:09Z")
    ecommit = C - 35 * MIN
    removed = ('unable to build kubernetes objects from new release manifest: resource mapping not found for name: '
               '"exporter" namespace: "monitoring" from "": no matches for kind "HorizontalPodAutoscaler" in version '
               '"autoscaling/v2beta2"\nensure CRDs are installed first')
    est = {"n": 0}

    def ex_h(t, kind):
        if kind == "spec":
            ex.values, ex.gen = {"autoscaling": {"enabled": True, "maxReplicas": 5}}, ex.gen + 1
        if ex.values["autoscaling"]["maxReplicas"] == 3:
            return v.healthy(t, ex), s.jitter(ex.interval_ns())
        t, rid = v.start(t, ex)
        v.attempt(ex, t)
        s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release config values changed", ex, rid)
        t = v.run_action(t + s.ms(100, 150), ex, rid, "upgrade", "5m0s")
        delc(ex, "TestSuccess")
        delc(ex, "Remediated")
        ex.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, ex, rid, "upgrade", removed, "0.27.0", est)
    run_queue(s, start + s.ms(0, 1_200_000), C, ex_h, [(ecommit + s.ms(150, 250), "spec")])
    ex.apply_time = ecommit
    s.plant(ex, ["api-removed", "upgrade-failed"], "Chart 1.2.0 still renders HorizontalPodAutoscaler "
            "autoscaling/v2beta2 (removed in Kubernetes 1.26); the installed revision predates the cluster upgrade, so "
            "the first change since (maxReplicas 3 -> 5) fails building the new manifest (`no matches for kind ... "
            "ensure CRDs are installed first`).",
            [("event", 'no matches for kind "HorizontalPodAutoscaler"')])

    # ---- apps/ceph: release-missing (an interrupted `helm uninstall` left the revision `uninstalling`) ----
    cv = {"cephClusterSpec": {"mon": {"count": 3}}}
    ce = mk("apps", "ceph", "rook-ceph-cluster", "v1.17.5", "rook", cv, "2025-04-02T10:00:00Z", 12)
    v37_seed(ce, [("v1.17.4", T("2026-06-01T10:00:00Z"), cv), ("v1.17.5", T("2026-07-02T09:00:05Z"), cv)],
             T("2026-07-02T09:01:40Z"), v1=True, app="v1.17.5", base=9)       # revisions 10..11
    ce.apply_time = T("2026-07-02T09:00:04Z")
    uninstall_at = T("2026-08-03T16:41:07Z")                                   # `helm uninstall ceph -n apps`, then Ctrl-C
    ce.revs[ce.last_rev()]["status"] = "uninstalling"
    ce.revs[ce.last_rev()]["last"] = uninstall_at
    ccommit = C - 28 * MIN
    missing = '"ceph" has no deployed releases'
    cst = {"n": 0}

    def ce_h(t, kind):
        if kind == "spec":
            ce.ver, ce.gen = "v1.17.6", ce.gen + 1
            t, rid = v.start(t, ce, "Configured")
            t = v.chart_not_ready(t, ce, rid, "latest generation of object has not been reconciled")
            ce.status_time = t
            return t, s.jitter(ce.interval_ns())
        if ce.ver == "v1.17.5":          # before the commit nothing re-checks it (interval 10m; logs only since C-2h)
            t, rid = v.start(t, ce)
            v.attempt(ce, t)
        else:
            t, rid = v.start(t, ce)
            v.clear_prereq(t, ce)
            v.attempt(ce, t)
        # the latest revision's object no longer matches the observed snapshot (its status changed)
        s.L(cid, t + s.ms(40, 90), "release not managed by controller: release digest verification error", ce, rid)
        ce.history = []
        t = v.run_action(t + s.ms(100, 150), ce, rid, "upgrade", "5m0s")
        delc(ce, "TestSuccess")
        delc(ce, "Remediated")
        ce.status["lastAttemptedReleaseAction"] = "upgrade"
        return refused(t, ce, rid, "upgrade", missing, "v1.17.6" if ce.ver == "v1.17.6" else "v1.17.5", cst)
    run_queue(s, start + s.ms(0, 600_000), C, ce_h, [(ccommit + s.ms(150, 250), "spec"),
                                                      (ccommit + 2 * NS + s.ms(300, 700), "chart")])
    ce.apply_time = ccommit
    s.plant(ce, ["release-missing", "upgrade-failed"], "Someone ran `helm uninstall ceph -n apps` the day before and "
            "interrupted it: Helm left revision 11 in status `uninstalling`. helm-controller finds the release object "
            "changed (`release digest verification error`), treats it as unmanaged and upgrades, which Helm refuses "
            "(`\"ceph\" has no deployed releases`: no revision is deployed, the last is neither failed nor superseded). "
            "Helm's storage Secret labels show the stuck revision.",
            [("event", "has no deployed releases"), ("file", "helm-secrets.yaml", "status: uninstalling")])

    # ---- apps/web: timeout with the poller wait strategy, RetryOnFailure (never stalls) ----
    wv = {"replicaCount": 3, "resources": {"requests": {"cpu": "1500m"}}}
    we = mk("apps", "web", "web", "3.1.2", "acme-charts", {"replicaCount": 3, "resources": {"requests": {"cpu": "250m"}}},
            "2024-11-05T10:00:00Z", 22, timeout="5m")
    we.spec_extra["upgrade"] = {"strategy": {"name": "RetryOnFailure", "retryInterval": "5m"}}
    v37_seed(we, [("3.1.1", T("2026-06-25T10:00:00Z"), we.values), ("3.1.2", T("2026-07-22T10:10:31Z"), we.values)],
             T("2026-07-22T10:11:04Z"), v1=True, app="3.1.2", base=40)
    we.apply_time = T("2026-07-22T10:10:30Z")
    wcommit = C - 41 * MIN
    wait_err = "timeout waiting for: [Deployment/apps/web status: 'InProgress']"
    wst = {"attempts": 0}

    def we_h(t, kind):
        if kind == "spec":
            we.ver, we.values, we.gen = "3.2.0", wv, we.gen + 1
            t, rid = v.start(t, we, "Configured")
            t = v.chart_not_ready(t, we, rid, "latest generation of object has not been reconciled")
            we.status_time = t
            return t, s.jitter(we.interval_ns())
        if we.ver == "3.1.2":
            return v.healthy(t, we), s.jitter(we.interval_ns())
        t, rid = v.start(t, we)
        v.clear_prereq(t, we)
        v.attempt(we, t)
        if wst["attempts"] == 0:
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", we, rid)
            we.status["failures"] = we.status["upgradeFailures"] = 0
        else:                            # RetryOnFailure: a failed release is upgraded again like --force
            s.L(cid, t + s.ms(40, 90), "release is in a failed state", we, rid)
        wst["attempts"] += 1
        t = v.run_action(t + s.ms(100, 150), we, rid, "upgrade", "5m0s")
        delc(we, "TestSuccess")
        delc(we, "Remediated")
        we.status["lastAttemptedReleaseAction"] = "upgrade"
        n_old = we.history[0]["version"]
        n_new = we.add_rev("pending-upgrade", "3.2.0", "3.2.0", we.revs[min(we.revs)]["first"], t + s.ms(10, 30), wv)
        tl = [(t + s.ms(2, 8), "preparing upgrade", {"name": "web"}), (t + s.ms(10, 30), "performing update", {"name": "web"}),
              (t + s.ms(40, 90), "creating upgraded release", {"name": "web"}),
              (t + s.ms(100, 160), "checking resources for changes", {"resources": 4}),
              (t + s.ms(160, 220), "using client-side apply for resource update", {"threeWayMergeForUnstructured": True})]
        until = t + 5 * MIN + s.ms(300, 500)
        if we.revs[n_old]["status"] == "deployed":
            we.revs[n_old]["status"] = "superseded"
        we.revs[n_new]["status"] = "failed"
        we.observe([n_new, n_old], True)
        msg = f"Helm upgrade failed for release apps/web with chart web@3.2.0: {wait_err}"
        s.hr_event(cid, until, we, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm4_tail(tl),
                   events_meta(we, "3.2.0", wv, "3.2.0"))
        setc(we, "Released", "False", "UpgradeFailed", msg, until)
        we.status["failures"] += 1
        we.status["upgradeFailures"] += 1
        we.status["lastAttemptedReleaseActionDuration"] = go_duration(until - t + s.ms(1, 30))
        v.summarize(we, until)
        setc(we, "Reconciling", "True", "ProgressingWithRetry", "retrying after 5m0s", until)
        end = until + s.ms(20, 50)
        we.status_time = end
        return end, s.jitter(5 * MIN)
    run_queue(s, start + s.ms(0, 600_000), C, we_h, [(wcommit + s.ms(150, 250), "spec"),
                                                      (wcommit + 2 * NS + s.ms(300, 700), "chart")])
    we.apply_time = wcommit
    s.other_event(wcommit + 3 * NS, C - s.ms(20_000, 60_000), 61,
                  {"kind": "Pod", "namespace": "apps", "name": "web-7c9d8b6f5-m4kqz", "uid": s.uuid(), "apiVersion": "v1",
                   "resourceVersion": s.rv(C, 1)}, "Warning", "FailedScheduling",
                  "0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption "
                  "victims found for incoming pod.", "default-scheduler")
    s.plant(we, ["timeout"], "Chart 3.2.0 requests 1500m CPU per pod: the new pods stay Pending (FailedScheduling: "
            "Insufficient cpu). With the default `poller` wait strategy (v1.5+) the failure reads `timeout waiting for: "
            "[Deployment/apps/web status: 'InProgress']`. spec.upgrade.strategy RetryOnFailure: every attempt ends with "
            "Reconciling=True ProgressingWithRetry `retrying after 5m0s` and a new upgrade 5m later; it never stalls, so "
            "this is not retries-exhausted.",
            [("event", "timeout waiting for: [Deployment/apps/web"), ("hr", "retrying after 5m0s")])

    # ---- apps/worker: health check canceled (CancelHealthCheckOnNewRevision), then stalled ----
    wk_digest = hashlib.sha256(b"worker-1.4.1").hexdigest()
    wk_old = hashlib.sha256(b"worker-1.4.0").hexdigest()
    wkv = {"concurrency": 8}
    wk = mk("apps", "worker", "worker", f"1.4.0+{wk_old[:12]}", "worker", wkv, "2025-05-14T10:00:00Z", 7)
    wk.chart_ref = {"kind": "OCIRepository", "name": "worker", "namespace": "apps"}
    v37_seed(wk, [(f"1.3.9+{hashlib.sha256(b'worker-1.3.9').hexdigest()[:12]}", T("2026-06-30T10:00:00Z"), wkv),
                  (wk.ver, T("2026-07-24T08:50:12Z"), wkv)], T("2026-07-24T08:50:40Z"), v1=True, app="1.4.0", base=5)
    wk.status.pop("helmChart")
    wk.apply_time = T("2026-07-24T08:50:11Z")
    pushed = C - 26 * MIN                                   # the OCIRepository's new artifact (tag 1.4.1)
    forced = pushed + 97 * NS                               # `flux reconcile hr worker -n apps` during the wait
    wks = {}

    def stall(t):
        """A reconcile of the failed release: upgrade retries 0 (default), nothing to remediate -> terminal."""
        t, rid = start_ref(t, wk)
        v.attempt(wk, t)
        s.L(cid, t + s.ms(40, 90), "release is in a failed state", wk, rid)
        setc(wk, "Stalled", "True", "RetriesExceeded", "Failed to upgrade after 1 attempt(s)", t + s.ms(95, 140))
        delc(wk, "Reconciling")
        end = t + s.ms(150, 210)
        s.L(cid, end, "Reconciler error", wk, rid, level="error",
            error="terminal error: exceeded maximum retries: cannot remediate failed release")
        wk.status["observedGeneration"] = wk.gen
        wk.status_time = end
        return end

    def wk_h(t, kind):
        if kind == "periodic" and wks.get("stalled"):
            return stall(t), None        # a requeue queued before the stall: the same terminal error
        if kind == "periodic" and "upgrade" not in wks:
            return healthy_ref(t, wk), s.jitter(wk.interval_ns())
        if kind == "source":
            wk.ver = f"1.4.1+{wk_digest[:12]}"
            wk.status["lastAttemptedRevisionDigest"] = "sha256:" + wk_digest
            t, rid = start_ref(t, wk)
            v.attempt(wk, t)
            s.L(cid, t + s.ms(40, 90), "release out-of-sync with desired state: release chart changed", wk, rid)
            t = v.run_action(t + s.ms(100, 150), wk, rid, "upgrade", "5m0s")
            delc(wk, "TestSuccess")
            delc(wk, "Remediated")
            wk.status["lastAttemptedReleaseAction"] = "upgrade"
            n_old = wk.history[0]["version"]
            n_new = wk.add_rev("pending-upgrade", wk.ver, "1.4.1", wk.revs[min(wk.revs)]["first"], t + s.ms(10, 30), wkv)
            wks["upgrade"] = (t, rid, n_old, n_new)
            return forced, None                             # the wait runs until the annotation arrives
        # the annotation: the running health check is canceled (helmrelease_controller.go, v1.5.0+)
        t0, rid, n_old, n_new = wks.pop("upgrade")
        wk.revs[n_old]["status"] = "superseded"
        wk.revs[n_new]["status"] = "failed"
        wk.observe([n_new, n_old], True)
        tf = t + s.ms(30, 80)
        msg = f"Helm upgrade failed for release apps/worker with chart worker@{wk.ver}: context canceled"
        tl = [(t0 + s.ms(2, 8), "preparing upgrade", {"name": "worker"}), (t0 + s.ms(10, 30), "performing update", {"name": "worker"}),
              (t0 + s.ms(40, 90), "creating upgraded release", {"name": "worker"}),
              (t0 + s.ms(100, 160), "checking resources for changes", {"resources": 3})]
        s.hr_event(cid, tf, wk, "Warning", "UpgradeFailed", msg + "\n\nLast Helm logs:\n\n" + helm4_tail(tl),
                   events_meta(wk, wk.ver, wkv, "1.4.1", "sha256:" + wk_digest))
        setc(wk, "Released", "False", "UpgradeFailed", msg, tf)
        wk.status["failures"] = wk.status.get("failures", 0) + 1
        wk.status["upgradeFailures"] = wk.status.get("upgradeFailures", 0) + 1
        v.summarize(wk, tf)
        tc = tf + s.ms(10, 30)
        setc(wk, "Ready", "False", "HealthCheckCanceled", "New reconciliation triggered by HelmRelease/apps/worker", tc)
        s.L(cid, tc, "New reconciliation triggered, canceling health checks", wk, rid,
            extra={"trigger": {"kind": "HelmRelease", "name": "worker", "namespace": "apps"}})
        s.hr_event(cid, tc + s.ms(1, 4), wk, "Normal", "HealthCheckCanceled",
                   "Health checks canceled due to new reconciliation triggered by HelmRelease/apps/worker")
        # the forced reconcile: the release is failed, upgrade retries 0 (default) -> stalled
        end = stall(tc + s.ms(40, 120))
        wk.status["lastHandledReconcileAt"] = rfc3339nano(forced - s.ms(300, 600))
        wks["stalled"] = True
        return end, None
    run_queue(s, start + s.ms(0, 600_000), C, wk_h, [(pushed + s.ms(400, 900), "source"), (forced, "annotation")])
    wk.annotations["reconcile.fluxcd.io/requestedAt"] = rfc3339nano(forced - s.ms(300, 600))
    s.plant(wk, ["health-check-canceled", "upgrade-failed", "retries-exhausted"], "helm-controller runs with "
            "--feature-gates=CancelHealthCheckOnNewRevision=true. The OCIRepository gets tag 1.4.1 and the upgrade "
            "starts; 97s into its health check someone runs `flux reconcile hr worker -n apps`, which enqueues a new "
            "reconciliation: the health check is canceled (Ready=False HealthCheckCanceled, the Helm upgrade fails with "
            "`context canceled`, revision marked failed). The forced reconcile finds the release failed and, with the "
            "default RemediateOnFailure strategy and 0 upgrade retries, stalls: `exceeded maximum retries: cannot "
            "remediate failed release`, Stalled RetriesExceeded. DefaultToRetryOnFailure (v1.5.2+) exists for this.",
            [("event", "Health checks canceled due to new reconciliation"), ("log", "New reconciliation triggered, canceling health checks"),
             ("hr", "Failed to upgrade after 1 attempt(s)")])

    # ---- apps/frontend: dependency-missing (dependsOn names a Kustomization) ----
    fe = mk("apps", "frontend", "frontend", "5.2.0", "acme-charts", {"replicaCount": 3}, "2024-11-05T10:00:00Z", 19,
            deps=["apps/backend"])
    v37_seed(fe, [("5.1.4", T("2026-06-25T10:00:00Z"), fe.values), ("5.2.0", T("2026-07-22T10:11:31Z"), fe.values)],
             T("2026-07-22T10:12:04Z"), v1=True, base=28)
    fe.apply_time = T("2026-07-22T10:11:30Z")
    fcommit = C - 70 * MIN
    gone = "unable to get 'apps/backend' dependency: helmreleases.helm.toolkit.fluxcd.io \"backend\" not found"

    def fe_h(t, kind):
        if t < fcommit:
            fe.deps = None
            end = v.healthy(t, fe)
            fe.deps = ["apps/backend"]
            return end, s.jitter(fe.interval_ns())
        if kind == "spec":
            fe.gen += 1
        t, rid = v.start(t, fe)
        t = v.deps(t, fe, rid, blocked_by=gone)
        fe.status_time = t
        return t, 30 * NS
    run_queue(s, start + s.ms(0, 600_000), C, fe_h, [(fcommit + s.ms(150, 250), "spec")])
    fe.apply_time = fcommit
    s.plant(fe, ["dependency-missing"], "A commit adds `dependsOn: [{name: backend}]` to wait for the backend, but "
            "apps/backend is a Kustomization: HelmRelease dependsOn names HelmReleases only (v1.6 moved it to "
            "fluxcd/pkg DependencyReference, still HelmRelease-only), and v1.1.0+ reads dependencies from the API "
            "server, so `unable to get 'apps/backend' dependency: helmreleases.helm.toolkit.fluxcd.io \"backend\" not "
            "found` every 30s, forever.",
            [("log", "unable to get 'apps/backend' dependency"), ("hr", "dependency: helmreleases.helm.toolkit.fluxcd.io")])

    # ---- apps/search: crd-mismatch (a manifest in helm.toolkit.fluxcd.io/v2beta2, not served since v1.5.0) ----
    se = mk("apps", "search", "search", "1.0.0", "acme-charts", {}, "2026-08-04T09:10:00Z", 1)   # never created
    scommit = C - 21 * MIN
    dry = 'HelmRelease/apps/search dry-run failed: no matches for kind "HelmRelease" in version "helm.toolkit.fluxcd.io/v2beta2"'
    ks = {"kind": "Kustomization", "namespace": "flux-system", "name": "apps", "uid": s.uuid(),
          "apiVersion": "kustomize.toolkit.fluxcd.io/v1", "resourceVersion": s.rv(C, 2)}
    s.other_event(scommit + s.ms(3000, 6000), C - s.ms(60_000, 200_000), 3, ks, "Warning", "ReconciliationFailed", dry,
                  "kustomize-controller", annotations={"kustomize.toolkit.fluxcd.io/revision": "main@sha1:9f1c2e7d4b8a6c3e5f0a1b2c3d4e5f6a7b8c9d0e"})
    s.plant(se, ["crd-mismatch"], "A new HelmRelease manifest copied from an old example uses apiVersion "
            "helm.toolkit.fluxcd.io/v2beta2, which the v1.6 CRD no longer serves (v2 only from v1.5.0): "
            "kustomize-controller's dry-run refuses it (`HelmRelease/apps/search dry-run failed: no matches for kind "
            "\"HelmRelease\" in version \"helm.toolkit.fluxcd.io/v2beta2\"`), so the HelmRelease never exists and the "
            "`apps` Kustomization fails its reconciliation. Only the Kustomization's event names it.",
            [("event", "apps", "dry-run failed: no matches for kind")])

    # ---- the loose folder ----
    for r in s.releases.values():
        finish_status(r)
    hc_api = "source.toolkit.fluxcd.io/v1"
    pulled = {"apps/policy": pcommit + 2 * NS, "apps/gateway": gcommit + 2 * NS, "apps/web": wcommit + 2 * NS,
              "apps/ceph": ccommit + 2 * NS, "apps/auth": au.created + 2 * NS}
    charts = []
    for r in sorted(s.releases.values(), key=lambda r: r.hc_name):
        if getattr(r, "chart_ref", None) or r is se:
            continue
        at = pulled.get(r.key, r.apply_time + 2 * NS)
        gen = 1 if r is au else 2 + len(r.revs)
        charts.append(helmchart_object(s, r, hc_api, gen, gen, r.ver, chart_ready_conds(r, r.ver, at, gen), r.created + NS,
                                       "sha256:" + hashlib.sha256(f"{r.repo}-{C // HOUR}".encode()).hexdigest(), at))
    ocis = [ocirepo_object(s, "apps", "podinfo", "oci://ghcr.io/stefanprodan/charts/podinfo", "6.9.2", pi_digest,
                           T("2025-03-11T08:00:10Z"), C - s.ms(60_000, 240_000)),
            ocirepo_object(s, "apps", "worker", "oci://registry.acme.example.com/charts/worker", "1.4.1", wk_digest,
                           T("2025-05-14T09:59:58Z"), pushed)]
    secrets = []
    for r in (ce,):
        for n, rv in sorted(r.revs.items()):
            secrets.append({"apiVersion": "v1", "kind": "Secret", "type": "helm.sh/release.v1",
                            "metadata": {"creationTimestamp": rfc3339(rv["first"] if n == min(r.revs) else rv["last"]),
                                         "labels": {"modifiedAt": str(rv["last"] // NS), "name": r.name, "owner": "helm",
                                                    "status": rv["status"], "version": str(n)},
                                         "name": f"sh.helm.release.v1.{r.name}.v{n}", "namespace": r.ns,
                                         "resourceVersion": s.rv(rv["last"], 9), "uid": s.uuid()}})
    node = "ip-10-42-17-203.eu-west-1.compute.internal"
    pods = [pod_object(s, POD, "helm-controller", "ghcr.io/fluxcd/helm-controller:v1.6.2", node, POD_START, RUN,
                       extra_args=["--feature-gates=CancelHealthCheckOnNewRevision=true"]),
            pod_object(s, "source-controller-58d9c7b6f4-h7kqp", "source-controller", "ghcr.io/fluxcd/source-controller:v1.9.3",
                       node, POD_START + 1 * NS, POD_START + 4 * NS),
            pod_object(s, "kustomize-controller-7f6c9d8b5c-2xw9l", "kustomize-controller",
                       "ghcr.io/fluxcd/kustomize-controller:v1.9.3", node, POD_START + 1 * NS, POD_START + 4 * NS),
            pod_object(s, "notification-controller-6d8b7c9f5d-qz4tn", "notification-controller",
                       "ghcr.io/fluxcd/notification-controller:v1.9.2", node, POD_START + 1 * NS, POD_START + 5 * NS)]
    out = SAMPLES / s.name
    hrs = [hr_object(r, API) for r in sorted(s.releases.values(), key=lambda r: (r.ns, r.name)) if r is not se]
    # `kubectl get ... -o yaml` prints each item of a List with its apiVersion and kind
    events = sorted((dict(e, apiVersion="v1", kind="Event") for e in s.correlate_events()),
                    key=lambda e: (e["metadata"]["namespace"], e["metadata"]["name"]))
    pods = [dict(p, apiVersion="v1", kind="Pod") for p in pods]
    s.loose_events = events
    write(out / "helmreleases.yaml", kubectl_list_yaml(hrs))
    write(out / "events.yaml", kubectl_list_yaml(events))
    write(out / "helm-controller.log", log_text(s, cid))
    write(out / "helmcharts.yaml", kubectl_list_yaml(charts))
    write(out / "ocirepositories.yaml", kubectl_list_yaml(ocis))
    write(out / "helm-secrets.yaml", kubectl_list_yaml(secrets))
    write(out / "flux-system-pods.yaml", kubectl_list_yaml(pods))
    s.layout = {"kind": "loose", "log": "helm-controller.log", "hr": "helmreleases.yaml", "events": "events.yaml",
                "helmchart": "helmcharts.yaml"}
    return s


# ==== evidence resolution, truth, SCENARIOS.md ==============================================
def _find_block_line(lines, start_pred, end_pred, needle, last=False):
    hits, inside = [], False
    for i, line in enumerate(lines):
        if start_pred(line):
            inside = True
        elif inside and end_pred(line):
            inside = False
        if inside and needle in line:
            hits.append(i + 1)
    if not hits:
        return None
    return hits[-1] if last else hits[0]


def resolve_evidence(s, out: Path):
    """Turn the (kind, needle) evidence of each planted release into `path:line` of the written files."""
    lay = s.layout
    res = {}
    for key, specs in s.evidence.items():
        r = s.releases[key]
        found = []
        for kind, *rest in specs:
            needle = rest[-1]
            if kind == "log" or kind == "prevlog":
                rel = lay["log"] if kind == "log" else lay["prevlog"]
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l and f'"name":"{r.name}"' in l
                        and f'"namespace":"{r.ns}"' in l]
                line = hits[-1] if hits else None
            elif kind == "hr":
                if lay["kind"] == "troubleshoot":
                    rel = f"cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/{r.ns}.json"
                    lines = (out / rel).read_text().splitlines()
                    line = _find_block_line(lines, lambda l: f'"uid": "{r.uid}"' in l,
                                            lambda l: l.startswith('    "apiVersion"'), needle)
                else:
                    rel = lay["hr"]
                    lines = (out / rel).read_text().splitlines()
                    line = _find_block_line(lines, lambda l: l == f"    uid: {r.uid}", lambda l: l.startswith("- "),
                                            needle)
            elif kind == "event":
                if lay["kind"] == "troubleshoot":
                    rel = f"cluster-resources/events/{r.ns}.json"
                    lines = (out / rel).read_text().splitlines()
                    items = json.loads((out / rel).read_text())["items"]
                    line = None
                    for e in items:
                        if e["involvedObject"]["name"] in (r.name, *rest[:-1]) and needle in e["message"]:
                            enc = '"message": ' + json.dumps(e["message"], ensure_ascii=False) + ","
                            cand = [i + 1 for i, l in enumerate(lines) if l.strip() == enc]
                            name_line = [i + 1 for i, l in enumerate(lines)
                                         if l.strip() == f'"name": "{e["metadata"]["name"]}",']
                            line = min(c for c in cand if c > name_line[0])
                            break
                else:
                    rel = lay["events"]
                    text = (out / rel).read_text()
                    lines = text.splitlines()
                    items = s.loose_events
                    starts = [i for i, l in enumerate(lines) if l.startswith("- ")]
                    line = None
                    for k, e in enumerate(items):
                        if e["involvedObject"]["name"] in (r.name, *rest[:-1]) and needle in e["message"]:
                            end = starts[k + 1] if k + 1 < len(starts) else len(lines)
                            line = next(i + 1 for i in range(starts[k], end) if lines[i].startswith("  message:"))
                            break
            elif kind == "helmchart":
                rel = lay["helmchart"] if lay["kind"] == "loose" else \
                    "cluster-resources/custom-resources/helmcharts.source.toolkit.fluxcd.io/flux-system.json"
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            elif kind == "pod":
                rel = "cluster-resources/pods/flux-system.json"
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            elif kind == "file":
                rel = rest[0]
                lines = (out / rel).read_text().splitlines()
                hits = [i + 1 for i, l in enumerate(lines) if needle in l]
                line = hits[0] if hits else None
            else:
                raise ValueError(kind)
            if line is None:
                raise SystemExit(f"{s.name}: evidence not found for {key}: {kind} {needle!r} in {rel}")
            loc = f"`{rel}:{line}` ({kind}: {needle})"
            if loc not in found and not any(f.startswith(f"`{rel}:{line}`") for f in found):
                found.append(loc)
        res[key] = found
    return res


def write_truth(s):
    TRUTH_DIR.mkdir(parents=True, exist_ok=True)
    data = {"releases": {k: s.truth[k] for k in sorted(s.truth)}, "notes": {k: s.notes[k] for k in sorted(s.notes)}}
    write(TRUTH_DIR / f"{s.name}.json", json.dumps(data, indent=2, sort_keys=True) + "\n")


SCENARIO_DIRS = ["v036-failures", "v037-failures", "v1-controller-crash", "healthy-control", "v16-failures"]


def main():
    for d in SCENARIO_DIRS:
        shutil.rmtree(SAMPLES / d, ignore_errors=True)
    built = []
    for fn in SCENARIO_BUILDERS:
        s = fn()
        write_truth(s)
        built.append((s, resolve_evidence(s, SAMPLES / s.name)))
    write_scenarios_md(built)


SCENARIO_INFO = {
    "v036-failures": ("troubleshoot.sh support bundle (unpacked), `logs` collector with limits.maxAge 2h",
                      "helm-controller v0.36.2 (Flux v2.1.2), HelmRelease API v2beta1, Helm v3.12.3"),
    "v037-failures": ("loose folder: `kubectl get hr -A -o yaml --show-managed-fields`, `kubectl get events -A -o yaml`, "
                      "`kubectl logs deploy/helm-controller -n flux-system`, `kubectl get helmcharts -A -o yaml`, "
                      "`kubectl get pods -n flux-system -o yaml`",
                      "helm-controller v0.37.4 (Flux v2.2.3), API v2beta2, Helm v3.13.3"),
    "v1-controller-crash": ("troubleshoot.sh support bundle (unpacked), clusterResources scoped to apps, flux-system, "
                            "infra, monitoring; manager.log + manager-previous.log",
                            "helm-controller v1.0.1 (Flux v2.3.0), API v2, Helm v3.14.4; container OOMKilled 3x"),
    "healthy-control": ("troubleshoot.sh support bundle (unpacked), `logs` collector with limits.maxAge 2h",
                        "helm-controller v1.4.1 (Flux v2.7.1), API v2, Helm v3.19.0"),
    "v16-failures": ("loose folder: `kubectl get hr -A -o yaml --show-managed-fields`, `kubectl get events -A -o yaml`, "
                     "`kubectl logs deploy/helm-controller -n flux-system --since=2h`, `kubectl get helmcharts,"
                     "ocirepositories -A -o yaml` (two files), `kubectl get pods -n flux-system -o yaml`, Helm storage "
                     "Secrets of apps/ceph (`kubectl get secrets -n apps -l owner=helm,name=ceph -o yaml`, data removed)",
                     "helm-controller v1.6.2 (Flux v2.9.2), API v2, Helm v4.2.2; "
                     "`--feature-gates=CancelHealthCheckOnNewRevision=true`"),
}


def write_scenarios_md(built):
    out = ["# Planted-truth scenarios", "",
           "Generated by `python3 samples/generate_scenarios.py` (stdlib only, deterministic; rerun rewrites the five "
           "folders below, `samples/truth/<scenario>.json` and this file). Truth format: "
           "`{\"releases\": {\"ns/name\": null | {\"primary\", \"labels\"}}, \"notes\": {...}}`; primary = the "
           "first cause, the label the story starts from (DESIGN.md §5), not the last state. Every evidence location below is `path:line` inside the scenario folder, "
           "computed from the written files.", ""]
    for s, ev in built:
        layout, version = SCENARIO_INFO[s.name]
        out += [f"## `{s.name}`", "", f"- layout: {layout}", f"- controller: {version}",
                f"- collected: {rfc3339(s.C)} (events older than 1h before that have expired unless updated since)", "",
                "| release | truth | mechanism | key evidence |", "|---|---|---|---|"]
        for key in sorted(s.truth):
            t = s.truth[key]
            truth = "healthy (null)" if t is None else f"**{t['primary']}** ({', '.join(t['labels'])})"
            locs = "<br>".join(ev.get(key, [])) or "-"
            out.append(f"| `{key}` | {truth} | {s.notes[key]} | {locs} |")
        out.append("")
    out += ["## Where the real controller differs from a naive reading of the labels", "",
            "- `v037-failures` apps/cart-service uses `upgrade.remediation.retries: -1`: with the default retries 0 "
            "any v0.37+ upgrade failure stalls at once (`exceeded maximum retries: cannot remediate failed release`), "
            "which would add retries-exhausted (a consequence, never the primary) to every failed upgrade.",
            "- `v037-failures` apps/reviews uses `upgrade.remediation.ignoreTestFailures: true` for the same reason: "
            "a counted test failure with retries 0 also stalls (retries-exhausted).",
            "- `v1-controller-crash` apps/orders: a remediation rollback only runs after a failed upgrade, and with "
            "retries 0 + remediateLastFailure the release stalls right after it, so rollback-failed always comes with "
            "upgrade-failed (the hook failure: the first cause, primary) and retries-exhausted. Its interval is 1h so that no "
            "leftover periodic requeue (which would retry the rollback) fires before collection.",
            "- `v1-controller-crash`: no `Memory usage is near OOM` line: that line needs feature gate OOMWatch "
            "(default false) and ends the process gracefully, not as OOMKilled; with the default the kernel kills "
            "the container and the previous log just stops.",
            "- `v1-controller-crash` monitoring/kube-prometheus-stack: the pending revision stays pending only because "
            "the release was suspended after the third crash; otherwise the next container unlocks it and upgrades "
            "again (unlock never fails here).",
            "- Install/upgrade ownership conflicts use Helm's real wording per version: v3.12.3 upgrade "
            "`rendered manifests contain a resource that already exists. Unable to continue with update: ...`, "
            "v3.14.4 install `Unable to continue with install: ...` (no `rendered manifests` prefix on install).",
            "- `v16-failures` apps/web uses `spec.upgrade.strategy.name: RetryOnFailure`: the controller retries every "
            "retryInterval and never reaches Stalled/RetriesExceeded (helm-controller#1551), so a release that keeps "
            "failing is the failure's own label (timeout), not retries-exhausted.",
            "- `v16-failures` apps/worker: a canceled health check stalls the release only with the default "
            "RemediateOnFailure strategy and 0 retries (helm-controller#1429); the Ready=False HealthCheckCanceled it "
            "leaves is not rewritten by the reconciles that only find the retries exhausted.",
            "- `v16-failures` apps/ceph: Helm's `has no deployed releases` needs a last revision that is neither "
            "failed nor superseded (helm/helm pkg/action/upgrade.go); an interrupted `helm uninstall` leaves exactly "
            "that (`uninstalling`), and the changed release object makes helm-controller treat the release as "
            "unmanaged (`release digest verification error`) and upgrade it.",
            "- `v16-failures` apps/auth: with helm-controller >= v1.1.0 the install would adopt the existing Secret "
            "(TakeOwnership is the default); the conflict needs `spec.install.disableTakeOwnership: true`.",
            "- `v16-failures` events.yaml and flux-system-pods.yaml carry each item's `apiVersion`/`kind`, as "
            "`kubectl get -o yaml` prints them (the troubleshoot-style files of the other scenarios do not).",
            ""]
    write(SAMPLES / "SCENARIOS.md", "\n".join(out))


SCENARIO_BUILDERS = [scenario_v036, scenario_v037, scenario_v1_crash, scenario_healthy, scenario_v16]

if __name__ == "__main__":
    main()
