"""The catalogue of secret shapes that `forensics.redact` replaces (DESIGN.md §7).

`SHAPES`, one entry per shape with the catalogue it comes from: the token formats of gitleaks'
rule set (`config/gitleaks.toml`, rule ids quoted) and detect-secrets' plugins (class names
quoted), and the key/value and URL rules those tools share (gitleaks `generic-api-key`,
detect-secrets `KeywordDetector` and `BasicAuthDetector`), widened where the values of a bundle
take other shapes (a password with `/` or `@` in a URL, a Go MySQL DSN, a `--password` flag).

Only data here: a shape is added or widened in this file alone (with an example of each of its
forms in tests/hostile/test_secrets.py), apart from how `forensics.redact` applies the
catalogue to the frames.
"""

from __future__ import annotations

from dataclasses import dataclass

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
