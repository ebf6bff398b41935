"""Secrets out of every frame, before any rule or output sees them (DESIGN.md §7).

The parsers never keep HelmRelease `spec.values`, `valuesFrom` content, Secret `data` or
Helm release payloads; what is left are secrets quoted in text: log lines, event and
condition messages, evidence excerpts, problem rows, member names and link targets.
`redact(frames)` replaces them in every String column of every frame with `MARKER` and
counts what it replaced; `redact_texts` does the same for strings that live outside the
frames (the inventory).

What is a secret is the catalogue `SHAPES`, one entry per shape with the catalogue it comes
from: the token formats of gitleaks' rule set (`config/gitleaks.toml`, rule ids quoted) and
detect-secrets' plugins (class names quoted), and the key/value and URL rules those tools
share (gitleaks `generic-api-key`, detect-secrets `KeywordDetector` and `BasicAuthDetector`),
widened where the values of a bundle take other shapes (a password with `/` or `@` in a URL,
a Go MySQL DSN, a `--password` flag). Long base64 runs (mixed case and digits, 40+
characters: Secret `data` values, Helm release payloads, PEM bodies) are the entropy check
that is kept beside them; hex digests and revisions are not base64 runs. Neither tool is a
dependency: they scan a line at a time (detect-secrets 1.5.0 took 71 s for 20,000 of the
benchmark's controller log lines, 3.5 ms a line, and flagged 175,569 strings in them, reconcile
ids and digests as high-entropy strings), where the bundle's millions of log lines are
redacted here by Polars' regex engine over distinct values (see the README, Performance).

Troubleshoot's own `***HIDDEN***` masks (and an existing `[REDACTED]`) are left as they are.
Only rows that hold one of the shapes' hints (a cheap pre-filter) go through the patterns.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import polars as pl

MARKER = "[REDACTED]"
CUT = "…"  # what an excerpt cut at its length cap ends with (parsers._base.excerpt)


@dataclass(frozen=True)
class Shape:
    """One shape of secret: its pattern (Rust regex syntax, as Polars reads it), what the
    match is replaced with (`${1}` keeps what says where the secret was), the hint a row must
    hold for the pattern to be tried, and the catalogue entry it comes from. The pre-filter is
    made of the hints: a hint must match every secret its pattern is for, else those rows never
    reach the pattern (tests/hostile/test_secrets.py tries an example of each form of each shape)."""

    name: str
    pattern: str
    hint: str  # a regex, or CUT: the row ends with the cut mark
    origin: str
    replacement: str = MARKER


# What a secret value may not start with: quotes, separators, brackets (a JSON object or a
# list, an existing [REDACTED]), `*` (troubleshoot's ***HIDDEN***), `<` (a placeholder).
_VALUE = r"""[^\s"'\\,;&{}\[\]()*<>|`][^\s"'\\,;&{}\[\]()<>|`]*"""
# A quoted value runs to its closing quote (spaces included); it may not start with `*`,
# `[` or `<` either. A `\"` ends it too (the value of a JSON string inside a JSON string).
_DOUBLE_QUOTED = r"""(\\?")[^"\\\r\n*\[<](?:[^"\\\r\n]|\\[^"\r\n])*"""
_SINGLE_QUOTED = r"""(')[^'\r\n*\[<][^'\r\n]*"""
_KEYS = (
    r"password|passwd|passphrase|pass|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|account[_-]?key|"
    r"private[_-]?key|client[_-]?secret|credentials?|auth|session|sas[_-]?token"
)
_SEP = r"""(?:\\?["'])?[ \t]*[:=][ \t]*"""
_KEY_VALUE = (
    r"(?i)([a-z0-9_\-]*(?:" + _KEYS + r")(?:s|_?id|_?key|_?value|_?data|_?string)?" + _SEP + r")"
    r"(?:" + _DOUBLE_QUOTED + "|" + _SINGLE_QUOTED + "|" + _VALUE + ")"
)
_GITLAB = r"glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas|glffct"
_CUT_PREFIXES = (  # how the token shapes below begin
    r"(?-u:\b)(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)|(?-u:\b)gh[pousr]_|(?-u:\b)github_pat_|"
    r"(?-u:\b)(?:glpat|gldt|glft|glsoat|glrt|glcbt|glimt|glptt|glagent|gloas|glffct)-"
    r"|(?-u:\b)GR1348941|(?-u:\b)xox[abposre]-|(?-u:\b)xapp-|hooks\.slack\.com/|/api/webhooks/|(?-u:\b)AIza|"
    r"(?-u:\b)[sr]k_(?:live|test|prod)_|(?-u:\b)hv[sbr]\.|(?-u:\b)npm_|(?-u:\b)SG\.|(?-u:\b)pypi-|(?-u:\b)sk-"
    r"|(?-u:\b)eyJ|(?-u:\b)do[opr]_v1_|(?-u:\b)dp\.(?:pt|st|ct|scim|audit)\.|(?-u:\b)dapi|(?-u:\b)hf_|(?-u:\b)glc_|"
    r"(?-u:\b)glsa_|(?-u:\b)shp(?:at|ca|pa|ss)_|(?-u:\b)pul-|(?-u:\b)PMAK-|(?-u:\b)AKCp|(?-u:\b)ATATT3|"
    r"(?-u:\b)dt0c01\.|(?-u:\b)lin_api_"
    r"|(?-u:\b)sntry[su]_|(?-u:\b)HRKU-|(?-u:\b)NRAK-|AGE-SECRET-KEY-"
)
_AWS = r"A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA"

# Applied in this order (a later shape never sees what an earlier one replaced).
SHAPES: tuple[Shape, ...] = (
    # PEM private keys, to their END line or to the end of the text when it is cut
    # (JSON-escaped newlines included: `.*?` spans them).
    Shape(
        "private-key",
        r"(?s)-----BEGIN [A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z0-9 _-]*PRIVATE KEY(?: BLOCK)?-----|"
        r"$)",
        r"private key",
        "gitleaks private-key; detect-secrets PrivateKeyDetector",
    ),
    # Authorization headers, whatever the scheme; bearer and basic credentials anywhere.
    Shape(
        "authorization",
        r"(?i)(authorization" + _SEP + r"""(?:\\?["'])?(?:(?:bearer|basic|token|digest|negotiate)[ \t]+)?)""" + _VALUE,
        r"authorization",
        "gitleaks curl-auth-header",
        "${1}" + MARKER,
    ),
    Shape(
        "bearer",
        r"(?i)((?-u:\b)bearer[ \t]+)[A-Za-z0-9\-._~+/]{8,}=*",
        r"bearer",
        "gitleaks curl-auth-header",
        "${1}" + MARKER,
    ),
    Shape(
        "basic",
        r"((?-u:\b)Basic[ \t]+)[A-Za-z0-9+/]*[0-9+/=][A-Za-z0-9+/]*=*",
        r"basic[ \t]",
        "gitleaks curl-auth-header",
        "${1}" + MARKER,
    ),
    # Cookie and Set-Cookie headers: every cookie of the header (Go prints `Cookie:[a=b; c=d]`).
    Shape(
        "cookie",
        r"(?i)((?-u:\b)(?:set-)?cookie\\?[\"']?[ \t]*[:=][ \t]*\[?\\?[\"']?)[^\]\r\n\"'`\\]+",
        r"cookie",
        "gitleaks gitlab-session-cookie",
        "${1}" + MARKER,
    ),
    # user:password@ in URLs, the user kept: the password runs to the last `@` before a space
    # or a quote (so a `/` or `@` in it is not left behind), but a port (`host:5000/x@sha256`)
    # is no password; an empty user too (`redis://:PASSWORD@host`).
    Shape(
        "url-credentials",
        r"(?i)((?-u:\b)[a-z][a-z0-9+.\-]*://[^\s/@:\"'<>]*:)(?:[^\s/@\"'<>*\[0-9][^\s\"'<>]*|"
        r"[0-9]+[^\s/@\"'<>0-9][^\s\"'<>]*|[0-9]+)@",
        r"://[^\s/@]*:[^\s\"'<>]*@",
        "detect-secrets BasicAuthDetector",
        "${1}" + MARKER + "@",
    ),
    # A Go MySQL DSN: `user:password@tcp(host:3306)/db`.
    Shape(
        "dsn-credentials",
        r"((?-u:\b)[A-Za-z0-9_.\-]+:)[^\s\"'<>*\[][^\s\"'<>]*(@(?:tcp|udp|unix)[46]?\()",
        r"@(?:tcp|udp|unix)",
        "go-sql-driver/mysql DSN format",
        "${1}" + MARKER + "${2}",
    ),
    # `--password VALUE`, `--token=VALUE`, `curl -u user:password` on a command line.
    Shape(
        "flag",
        r"(?i)((?:^|[\s\"'])--?[a-z0-9-]*(?:password|passwd|pass|secret|token|api-?key|access-?key)[ =][\"']?)"
        + _VALUE,
        r"--?[a-z0-9-]*(?:pass|secret|token|api-?key|access-?key)",
        "gitleaks curl-auth-user",
        "${1}" + MARKER,
    ),
    Shape(
        "curl-user",
        r"((?:^|\s)(?:-u|--user)[ =][\"']?[^\s:\"']+:)" + _VALUE,
        r"-u[ =]|--user",
        "gitleaks curl-auth-user",
        "${1}" + MARKER,
    ),
    # An Azure SAS signature in a query string.
    Shape(
        "sas-signature",
        r"(?i)([?&;]sig=)[^&\s\"'<>]+",
        r"sig=",
        "gitleaks azure (SAS); detect-secrets AzureStorageKeyDetector",
        "${1}" + MARKER,
    ),
    # key=value, key: value, "key":"value" (JSON, also escaped inside a JSON string), quoted
    # values to their closing quote; keys such as `adminPassword`, `aws_secret_access_key`,
    # `AccountKey`, a docker config's `auth`.
    Shape(
        "key-value",
        _KEY_VALUE,
        _KEYS,
        "gitleaks generic-api-key; detect-secrets KeywordDetector",
        r"${1}${2}${3}" + MARKER,
    ),
    # Token formats, each recognisable by its prefix.
    Shape(
        "aws-access-key-id",
        r"(?-u:\b)(?:" + _AWS + r")[A-Z0-9]{16}(?-u:\b)",
        r"(?-i:(?-u:\b)(?:" + _AWS + "))",
        "gitleaks aws-access-token; detect-secrets AWSKeyDetector",
    ),
    Shape(
        "github-token",
        r"(?-u:\b)(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})",
        r"gh[pousr]_|github_pat_",
        "gitleaks github-pat, github-oauth, github-app-token, github-refresh-token, github-fine-grained-pat; "
        "detect-secrets GitHubTokenDetector",
    ),
    Shape(
        "gitlab-token",
        r"(?-u:\b)(?:(?:" + _GITLAB + r")-[A-Za-z0-9_\-]{20,}|GR1348941[A-Za-z0-9_\-]{20,})",
        r"(?:" + _GITLAB + r")-|GR1348941",
        "gitleaks gitlab-pat, gitlab-deploy-token, gitlab-runner-authentication-token, gitlab-* ; detect-secrets "
        "GitLabTokenDetector",
    ),
    Shape(
        "slack-token",
        r"(?-u:\b)(?:xox[abposre]-[A-Za-z0-9\-]{10,}|xapp-[0-9]-[A-Za-z0-9\-]{10,})",
        r"xox[abposre]-|xapp-",
        "gitleaks slack-bot-token, slack-user-token, slack-app-token, slack-legacy-*; detect-secrets SlackDetector",
    ),
    Shape(
        "webhook-url",
        r"(?i)(?:hooks\.slack\.com/(?:services|workflows|triggers)|discord(?:app)?\.com/api/webhooks|"
        r"\.webhook\.office\.com/webhookb2)/[A-Za-z0-9+/@_\-]{10,}",
        r"hooks\.slack\.com|/api/webhooks|webhook\.office\.com",
        "gitleaks slack-webhook-url, microsoft-teams-webhook; detect-secrets SlackDetector, DiscordBotTokenDetector",
    ),
    Shape(
        "discord-bot-token",
        r"(?-u:\b)[MNO][A-Za-z0-9_\-]{23,25}\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,}",
        r"(?-i:(?-u:\b)[MNO][A-Za-z0-9_\-]{23,25}\.)",
        "detect-secrets DiscordBotTokenDetector",
    ),
    Shape("google-api-key", r"(?-u:\b)AIza[0-9A-Za-z_\-]{20,}", r"(?-i:AIza)", "gitleaks gcp-api-key"),
    Shape(
        "stripe-key",
        r"(?-u:\b)(?:sk|rk)_(?:live|test|prod)_[0-9A-Za-z]{10,}",
        r"[sr]k_(?:live|test|prod)_",
        "gitleaks stripe-access-token; detect-secrets StripeDetector",
    ),
    Shape(
        "vault-token",
        r"(?-u:\b)(?:hv[sbr]\.[A-Za-z0-9_\-]{20,}|s\.[A-Za-z0-9]{24}(?-u:\b))",
        r"(?-u:\b)(?:hv[sbr]|s)\.",
        "gitleaks vault-service-token, vault-batch-token",
    ),
    Shape(
        "npm-token", r"(?-u:\b)npm_[A-Za-z0-9]{20,}", r"npm_", "gitleaks npm-access-token; detect-secrets NpmDetector"
    ),
    Shape(
        "sendgrid-key",
        r"(?-u:\b)SG\.[A-Za-z0-9_\-]{16,}\.[A-Za-z0-9_\-]{16,}",
        r"(?-i:SG\.)",
        "gitleaks sendgrid-api-token; detect-secrets SendGridDetector",
    ),
    Shape(
        "pypi-token",
        r"(?-u:\b)pypi-AgE[A-Za-z0-9_\-]{50,}",
        r"pypi-AgE",
        "gitleaks pypi-upload-token; detect-secrets PypiTokenDetector",
    ),
    Shape(
        "openai-key",
        r"(?-u:\b)sk-(?:ant-[a-z0-9]+-)?[A-Za-z0-9_\-]{32,}",
        r"sk-",
        "gitleaks openai-api-key, anthropic-api-key; detect-secrets OpenAIDetector",
    ),
    Shape(
        "twilio-key",
        r"(?-u:\b)(?:SK|AC)[0-9a-f]{32}(?-u:\b)",
        r"(?-i:(?-u:\b)(?:SK|AC)[0-9a-f]{32})",
        "gitleaks twilio-api-key; detect-secrets TwilioKeyDetector",
    ),
    Shape(
        "azure-client-secret",
        r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.\-]{31,34}",
        r"Q~",
        "gitleaks azure-ad-client-secret",
    ),
    Shape(
        "prefixed-token",
        r"(?-u:\b)(?:do[opr]_v1_[a-f0-9]{64}|dp\.(?:pt|st|ct|scim|audit)\.[A-Za-z0-9]{40,}|dapi[a-f0-9]{32}|"
        r"hf_[A-Za-z]{34}|glc_[A-Za-z0-9+/]{32,}"
        r"|glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}|pul-[a-f0-9]{40}|"
        r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}"
        r"|AKCp[A-Za-z0-9]{60,}|ATATT3[A-Za-z0-9_=\-]{100,}|dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}|"
        r"lin_api_[A-Za-z0-9]{40}"
        r"|sntry[su]_[A-Za-z0-9+/=_]{40,}|HRKU-AA[A-Za-z0-9_\-]{58}|NRAK-[A-Z0-9]{27}|AGE-SECRET-KEY-1[0-9A-Z]{58}|"
        r"[0-9]{8,10}:AA[A-Za-z0-9_\-]{33})",
        r"do[opr]_v1_|dp\.|dapi|hf_|glc_|glsa_|shp(?:at|ca|pa|ss)_|pul-|lin_api_|sntry|(?-i:PMAK-|AKCp|ATATT3|dt0c01|"
        r"HRKU-|NRAK-|AGE-SECRET|:AA)",
        "gitleaks digitalocean-*, doppler-api-token, databricks-api-token, huggingface-access-token, grafana-*, "
        "shopify-*, "
        "pulumi-api-token, postman-api-token, artifactory-api-key, atlassian-api-token, dynatrace-api-token, "
        "linear-api-key, "
        "sentry-*, heroku-api-key-v2, new-relic-user-api-key, age-secret-key, telegram-bot-api-token",
    ),
    Shape(
        "jwt",
        r"(?-u:\b)eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]*",
        r"eyJ",
        "gitleaks jwt; detect-secrets JwtTokenDetector",
    ),
    # An excerpt cut at its length cap (`…` at the end) may cut a token or a URL's password
    # short of the shape above that would match it whole: what starts like one and runs into
    # the cut is redacted too.
    Shape(
        "cut-token",
        r"(?:" + _CUT_PREFIXES + r")[^\s\"'<>]{4,}…$",
        CUT,
        "the prefixes of the token shapes above",
        MARKER + "…",
    ),
    Shape(
        "cut-url-credentials",
        r"(?i)((?-u:\b)[a-z][a-z0-9+.\-]*://[^\s/@:\"'<>]*:)(?:[^\s/@\"'<>*\[0-9][^\s\"'<>@]*|"
        r"[0-9]+[^\s/@\"'<>0-9][^\s\"'<>@]*)…$",
        CUT,
        "url-credentials above",
        "${1}" + MARKER + "…",
    ),
)


def _steps(shapes: tuple[Shape, ...]) -> list[tuple[str, str]]:
    """(pattern, replacement) to apply in order: neighbouring shapes replaced whole by MARKER
    are joined into one alternation (one pass and one compiled regex instead of one each; a
    match of either is replaced alike)."""
    steps: list[tuple[str, str]] = []
    for shape in shapes:
        if steps and shape.replacement == MARKER and steps[-1][1] == MARKER:
            steps[-1] = (f"{steps[-1][0]}|(?:{shape.pattern})", MARKER)
        else:
            steps.append((f"(?:{shape.pattern})" if shape.replacement == MARKER else shape.pattern, shape.replacement))
    return steps


PATTERNS: list[tuple[str, str]] = _steps(SHAPES)

BASE64_RUN = r"[A-Za-z0-9+/]{40,}={0,2}"
BASE64_HINT = r"[A-Za-z0-9+/]{40}"
# A row is looked at only when one of the hints is in it. Word boundaries, in hints and
# patterns alike, are the ASCII ones (`(?-u:\b)`: a non-ASCII letter is no word character):
# they keep the regex on its fast automaton (a Unicode `\b` falls back to a slow one on every
# text with a non-ASCII character, such as an excerpt cut with `…`: 24 ms for 850 such rows).
PREFILTER = r"(?i)" + "|".join(f"(?:{shape.hint})" for shape in SHAPES if shape.hint != CUT) + "|" + BASE64_HINT
_MIXED = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*[0-9])")


def _base64_runs(values: pl.Series) -> list[str]:
    """The long base64 runs of these strings that look like encoded data, not like a digest."""
    runs = values.str.extract_all(BASE64_RUN).explode().drop_nulls().unique().to_list()
    return sorted((run for run in runs if _MIXED.match(run)), key=len, reverse=True)


# A column whose first SAMPLE values hold fewer than SAMPLE / LOW_CARDINALITY distinct ones
# (reason, kind, component, level, controller, ...) is redacted by its distinct values,
# mapped back onto the rows.
SAMPLE = 4096
LOW_CARDINALITY = 8
# A column longer than this is also redacted by its distinct values when fewer than one row
# in DISTINCT_SHARE holds a value of its own: counting them and running the pre-filter on
# them costs less than one pass of the pre-filter over every row (measured: counting costs
# about 0.4 of the pre-filter's pass; event messages, 200k rows of which 41% distinct: 27 ms
# instead of 46).
LONG = 65536
DISTINCT_SHARE = 2


def redact_series(values: pl.Series) -> tuple[pl.Series, int]:
    """The strings with every secret replaced by MARKER, and how many were replaced."""
    if values.dtype != pl.String or values.len() == 0:
        return values, 0
    if values.len() > SAMPLE and values.head(SAMPLE).n_unique() * LOW_CARDINALITY < SAMPLE:
        return _redact_distinct(values)
    if values.len() > LONG:
        distinct = _unique(values)
        if distinct.len() * DISTINCT_SHARE < values.len():
            return _redact_distinct(values, distinct)  # templated messages: varied at the start, fewer overall
    hit = _hints(values)
    if not hit.any():
        return values, 0
    index = hit.arg_true()
    subset, counts = _redact_hits(values.gather(index))
    count = counts.sum() or 0
    if not count:
        return values, 0
    return values.clone().scatter(index, subset), count


def _redact_distinct(values: pl.Series, distinct: pl.Series | None = None) -> tuple[pl.Series, int]:
    """`redact_series` of a column with few distinct values: each distinct value is redacted
    once and the count weighs it by how often it occurs (the same values and count); the
    occurrences are counted only of the values that hold a secret. `distinct`: the values'
    `_unique` when the caller has them already."""
    if distinct is None:
        distinct = _unique(values)
    if distinct.len() == 0:
        return values, 0
    hit = _hints(distinct)
    if not hit.any():
        return values, 0
    old = distinct.filter(hit)
    new, counts = _redact_hits(old)
    if not counts.sum():
        return values, 0
    found = _value_counts(values.filter(values.is_in(old.implode())))
    occurrences = old.to_frame().join(found, on=values.name, how="left", maintain_order="left")["_n"].fill_null(0)
    count = (counts.cast(pl.Int64) * occurrences.cast(pl.Int64)).sum() or 0
    if not count:
        return values, 0
    changed = old != new
    return values.replace(old.filter(changed), new.filter(changed)), count


def _hints(values: pl.Series) -> pl.Series:
    """Which strings hold a hint of a secret: the pre-filter, or a cut at their end (a test of
    the last bytes, cheaper than a non-ASCII character in the pre-filter's automaton)."""
    return (values.str.contains(PREFILTER) | values.str.ends_with(CUT)).fill_null(False)


def _redact_hits(subset: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The pre-filtered strings redacted, and the number of replacements in each."""
    counts = pl.Series([0] * len(subset), dtype=pl.Int64)
    for pattern, replacement in PATTERNS:
        found = subset.str.count_matches(pattern).fill_null(0).cast(pl.Int64)
        if found.sum():
            counts = counts + found
            subset = subset.str.replace_all(pattern, replacement)
    runs = _base64_runs(subset)
    if runs:
        for run in runs:
            counts = counts + subset.str.count_matches(run, literal=True).fill_null(0).cast(pl.Int64)
        subset = subset.str.replace_many(runs, [MARKER] * len(runs))
    return subset, counts


# Identifier columns the controllers fill with digests, UIDs and versions, never with text a
# person typed: their hex digests would only trip the base64 pre-filter (a cost, never a hit).
IDENTIFIERS = frozenset(
    {
        "uid",
        "digest",
        "config_digest",
        "token",
        "reconcile_id",
        "api_version",
        "app_version",
        "chart_version",
        "last_attempted_values_checksum",
        "last_attempted_revision",
        "last_applied_revision",
        "artifact_revision",
    }
)


# Columns of Kubernetes object names and enum-like values: skipped when every value has the
# shape of a name (lower-case DNS labels, `/` and `.`, an optional `Kind/` prefix) or of one
# word of letters: no secret pattern (key=value, URL credentials, mixed-case base64) can match.
NAME_COLUMNS = frozenset(
    {
        "release",
        "name",
        "namespace",
        "pod",
        "container",
        "chart",
        "chart_name",
        "source_ref",
        "component",
        "controller",
        "kind",
        "manager",
        "operation",
        "subresource",
        "status",
        "type",
        "level",
        "logger",
        "encoding",
        "instance",
    }
)
DNS_LIKE = (
    r"^(?:[A-Z][A-Za-z]{0,62}/)?[a-z0-9][a-z0-9./_-]{0,252}$|^[A-Za-z]{1,63}$"  # `Kind/ns/name`, names, enum words
)


def _distinct(values: pl.Series) -> pl.Series:
    """The values to check of a name column: a short one as it is, the distinct values of a
    long one (names repeat: each is checked once)."""
    return values if values.len() <= SAMPLE else _unique(values)


def _unique(values: pl.Series) -> pl.Series:
    """The distinct non-null values of a column (by its runs when it comes in long runs)."""
    if _in_runs(values):
        return values.rle().struct.field("value").unique().drop_nulls().alias(values.name)
    return values.unique().drop_nulls()


# Fewer runs of equal values than this in the first SAMPLE values: the column is read by runs.
FEW_RUNS = SAMPLE // 64


def _in_runs(values: pl.Series) -> bool:
    """The values come in long runs of one value (a member's pod, container, source, a
    reconciler's kind): its runs, one per member or block, are far fewer than its rows, and
    comparing each value with the one before costs a third of hashing every row."""
    return values.len() > SAMPLE and values.head(SAMPLE).rle_id().max() < FEW_RUNS


def _value_counts(values: pl.Series) -> pl.DataFrame:
    """`values.drop_nulls().value_counts(name="_n")` (in no particular order), counted by
    runs when the values come in long runs."""
    if not _in_runs(values):
        return values.drop_nulls().value_counts(name="_n")
    runs = values.rle().struct.unnest()  # columns `len` and `value`, whatever the values' name
    return (
        runs.filter(pl.col("value").is_not_null())
        .group_by("value")
        .agg(pl.col("len").sum().cast(pl.UInt32).alias("_n"))
        .select(pl.col("value").alias(values.name), "_n")
    )


def redact(frames: dict[str, pl.DataFrame]) -> tuple[dict[str, pl.DataFrame], int]:
    """Every frame with its String columns redacted, and the number of values replaced."""

    def one(kind: str, name: str) -> tuple[str, pl.Series | None, int]:
        values = frames[kind][name]
        if values.dtype == pl.List(pl.String):  # releases' depends_on
            column, count = _redact_lists(values)
            return kind, (column if count else None), count
        if name in NAME_COLUMNS and _distinct(values).str.contains(DNS_LIKE).fill_null(True).all():
            return kind, None, 0  # Kubernetes names hold no `key=value`, URL credentials or base64
        column, count = redact_series(values)
        return kind, (column.alias(name) if count else None), count

    columns = [
        (kind, name)
        for kind, df in frames.items()
        for name, dtype in df.schema.items()
        if dtype in (pl.String, pl.List(pl.String)) and name not in IDENTIFIERS and df.height
    ]
    # Columns are independent and Polars releases the GIL: two threads.
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(lambda pair: one(*pair), columns))
    changed: dict[str, list[pl.Series]] = {}
    total = 0
    for kind, column, count in done:
        total += count
        if column is not None:
            changed.setdefault(kind, []).append(column)
    out = {kind: df.with_columns(changed[kind]) if kind in changed else df for kind, df in frames.items()}
    return out, total


def _redact_lists(values: pl.Series) -> tuple[pl.Series, int]:
    """A column of lists of strings redacted: the few lists that hold a hint, one by one."""
    hit = (
        values.list.eval(pl.element().str.contains(PREFILTER) | pl.element().str.ends_with(CUT))
        .list.any()
        .fill_null(False)
    )
    if not hit.any():
        return values, 0
    rows, count = values.to_list(), 0
    for index in hit.arg_true().to_list():
        rows[index], found = redact_texts(rows[index])
        count += found
    return pl.Series(values.name, rows, dtype=values.dtype), count


def redact_texts(texts: list[str]) -> tuple[list[str], int]:
    """Strings that do not live in a frame (the inventory's paths and notes) redacted, and the
    number of values replaced."""
    redacted, count = redact_series(pl.Series(texts, dtype=pl.String))
    return redacted.to_list(), count


def redact_text(text: str) -> str:
    """One string redacted (for text that does not live in a frame)."""
    return redact_texts([text])[0][0]
