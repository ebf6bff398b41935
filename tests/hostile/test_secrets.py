"""Secrets planted in a copy of the sample bundle never reach an output, and the report says
that something was redacted.

Planted: HelmRelease `spec.values` and `valuesFrom`, a Secret (`data`, `stringData`), a Helm
release Secret (`sh.helm.release.v1.*`), and log lines, an event message and a condition
message carrying a bearer token, a password in a URL, a private key, `password=`/`token:`/
`apiKey` pairs and an AWS access key, log lines with a secret of every shape of
`SECRET_SHAPES`, and a member file name and a symlink target holding a GitHub token.
Outputs: HTML, JSON, Markdown, the terminal table and timeline, the inventory, the Timesketch
export (JSONL and CSV) and the Parquet frames.
"""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from pathlib import Path

import polars as pl
import pytest

from forensics.redact import MARKER

from ..conftest import SAMPLES
from . import SECRET_SHAPES, all_outputs

HR = "cluster-resources/custom-resources/helmreleases.helm.toolkit.fluxcd.io/apps.json"
LOG = "cluster-resources/pods/logs/flux-system/helm-controller-5d8b9c7f4-x2x9k/manager.log"
EVENTS = "cluster-resources/events/apps.json"

# Every planted secret: none of these strings may appear in any output.
VALUES_PASSWORD = "VaLuEsPw-7f3a9c"
VALUES_PLAIN = "plain-values-text-5b1e"  # not secret-shaped: only absent because values are never read
VALUES_FROM_TEXT = "values-from-content-9d2c"
SECRET_DATA = "SeCrEtDaTa-4e8b1"
SECRET_STRING = "StRiNgDaTa-2c6d0"
HELM_PAYLOAD_VALUE = "HeLmPaYlOaD-8a7f"
BEARER = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjRmM2EifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQifQ.c2lnbmF0dXJlLXBsYW50ZWQ"
URL_PASSWORD = "UrLpAsS-31c9e"
KEY_BODY = "MIIEowIBAAKCAQEAplantedkeybody0123456789ABCDEFGHIJ"
PASSWORD = "PaSsWoRd-6b2d4"
TOKEN = "ToKeN-0e5f7a"
API_KEY = "ApIkEy-9c1b3"
AWS_KEY = "AKIAPLANTED2EXAMPLE7"
EVENT_PASSWORD = "EvEnTpW-4d1a8"
CONDITION_TOKEN = "CoNdTok-2b7c9"
PROBLEM_PASSWORD = "PrObLeMpW-5e3f1"

# One body per shape (distinct, so that a leak names its shape), and a token in a file name.
SHAPE_TEXTS = {
    name: make(f"Sh{index:02d}q7Zk{name.replace('-', '')[:6]}x9Mw4") for index, (name, make) in enumerate(SECRET_SHAPES)
}
NAMED_TOKEN = "gh" + "p_" + "N4meT0ken" * 4
NAMED_FILE = f"cluster-resources/notes/{NAMED_TOKEN}.txt"

SECRET_DATA_B64 = base64.b64encode(SECRET_DATA.encode()).decode()
HELM_PAYLOAD = base64.b64encode(
    gzip.compress(json.dumps({"config": {"password": HELM_PAYLOAD_VALUE}}).encode() * 4)
).decode()
PLANTED = [
    VALUES_PASSWORD,
    VALUES_PLAIN,
    VALUES_FROM_TEXT,
    SECRET_DATA,
    SECRET_DATA_B64,
    SECRET_STRING,
    HELM_PAYLOAD_VALUE,
    HELM_PAYLOAD[:40],
    BEARER[20:60],
    URL_PASSWORD,
    KEY_BODY,
    PASSWORD,
    TOKEN,
    API_KEY,
    AWS_KEY,
    EVENT_PASSWORD,
    CONDITION_TOKEN,
    PROBLEM_PASSWORD,
    NAMED_TOKEN[4:],
    *(fragment for _, fragments in SHAPE_TEXTS.values() for fragment in fragments),
]

SECRETS_YAML = f"""apiVersion: v1
kind: Secret
metadata: {{name: db-creds, namespace: apps}}
type: Opaque
data:
  password: {SECRET_DATA_B64}
stringData:
  values.yaml: |
    password: {SECRET_STRING}
    note: {VALUES_FROM_TEXT}
---
apiVersion: v1
kind: Secret
metadata:
  name: sh.helm.release.v1.frontend.v3
  namespace: apps
  labels: {{name: frontend, owner: helm, status: deployed, version: "3"}}
type: helm.sh/release.v1
data:
  release: {HELM_PAYLOAD}
"""


def _log_lines() -> str:
    def record(ts: str, msg: str, **extra) -> str:
        base = {
            "level": "error",
            "ts": ts,
            "msg": msg,
            "controller": "helmrelease",
            "controllerKind": "HelmRelease",
            "HelmRelease": {"name": "frontend", "namespace": "apps"},
            "namespace": "apps",
            "name": "frontend",
        }
        return json.dumps({**base, **extra}, separators=(",", ":"))

    key = f"-----BEGIN RSA PRIVATE KEY-----\n{KEY_BODY}\n-----END RSA PRIVATE KEY-----"
    return (
        "\n".join(
            [
                record(
                    "2024-01-15T09:41:00.001Z",
                    "request failed",
                    error=f"GET https://api.example.com: 401 (Authorization: Bearer {BEARER})",
                ),
                record(
                    "2024-01-15T09:41:00.002Z",
                    f"failed to clone https://flux:{URL_PASSWORD}@git.example.com/org/repo.git",
                ),
                record("2024-01-15T09:41:00.003Z", f"cannot parse key {key}"),
                record("2024-01-15T09:41:00.004Z", f"db connect password={PASSWORD} token: {TOKEN}"),
                record(
                    "2024-01-15T09:41:00.005Z", "provider config", apiKey=API_KEY, error=f"invalid AWS key {AWS_KEY}"
                ),
                f"not json at all password={PROBLEM_PASSWORD}",
                *(
                    record(f"2024-01-15T09:41:01.{i:03d}Z", f"shape {name}: {text}")
                    for i, (name, (text, _)) in enumerate(sorted(SHAPE_TEXTS.items()))
                ),
            ]
        )
        + "\n"
    )


@pytest.fixture(scope="module")
def planted(tmp_path_factory) -> Path:
    bundle = tmp_path_factory.mktemp("planted") / "support-bundle-2024-01-15T09_48_30"
    shutil.copytree(SAMPLES / "upgrade-2.1-to-2.2", bundle, symlinks=True)
    releases = json.loads((bundle / HR).read_text())
    frontend = next(r for r in releases if r["metadata"]["name"] == "frontend")
    frontend["spec"]["values"] = {
        **frontend["spec"].get("values", {}),
        "adminPassword": VALUES_PASSWORD,
        "banner": VALUES_PLAIN,
    }
    frontend["spec"]["valuesFrom"] = [{"kind": "Secret", "name": "db-creds", "valuesKey": "values.yaml"}]
    ready = next(c for c in frontend["status"]["conditions"] if c["type"] == "Ready")
    ready["message"] += f" (registry token: {CONDITION_TOKEN})"
    (bundle / HR).write_text(json.dumps(releases, indent=2))
    (bundle / "cluster-resources/secrets.yaml").write_text(SECRETS_YAML)
    with (bundle / LOG).open("a") as log:
        log.write(_log_lines())
    events = json.loads((bundle / EVENTS).read_text())
    event = json.loads(json.dumps(events["items"][0]))
    event["metadata"]["name"] += "-planted"
    event["metadata"]["uid"] = "planted-event-uid"
    event["message"] = f"pull failed: https://robot:{EVENT_PASSWORD}@registry.example.com/v2/"
    events["items"].append(event)
    (bundle / EVENTS).write_text(json.dumps(events, indent=2))
    (bundle / NAMED_FILE).parent.mkdir(parents=True)
    (bundle / NAMED_FILE).write_text("notes\n")
    (bundle / "cluster-resources/notes/link.txt").symlink_to(f"{NAMED_TOKEN}.txt")
    return bundle


@pytest.fixture(scope="module")
def outputs(planted, tmp_path_factory) -> dict[str, str]:
    return all_outputs(
        planted, tmp_path_factory.mktemp("outputs"), "apps/frontend", 3
    )  # the sample's error findings are still found


def test_no_planted_secret_in_any_output(outputs):
    leaks = {(name, secret) for name, text in outputs.items() for secret in PLANTED if secret in text}
    assert not leaks


def test_every_shape_was_read_and_redacted(outputs):
    """Each shape's line is in the export, its secret replaced (and the words around it kept)."""
    for name in SHAPE_TEXTS:
        assert f"shape {name}: " in outputs["timesketch jsonl"], name
    assert outputs["timesketch jsonl"].count("[REDACTED]") >= len(SHAPE_TEXTS)
    assert f"cluster-resources/notes/{MARKER}.txt\t" in outputs["inventory"]
    assert f"symlink to cluster-resources/notes/{MARKER}.txt" in outputs["inventory"]


@pytest.mark.parametrize("name", [name for name, _ in SECRET_SHAPES])
def test_each_shape_is_redacted_in_a_line(name):
    from forensics.redact import redact_text

    make = dict(SECRET_SHAPES)[name]
    for body in ("Qz8Lm2Xw8Kp4Vn7Rt", "a1b2c3d4e5f6g7h8i9j0"):
        text, fragments = make(body)
        out = redact_text(text)
        assert MARKER in out and not [f for f in fragments if f in out], (text, out)


@pytest.mark.parametrize(
    "text",
    [
        "Helm upgrade succeeded for release apps/web.v3 with chart web@1.2.3",
        "dependency 'apps/db' is not ready",
        'Readiness probe failed: Get "http://10.244.1.221:8080/readyz": dial tcp 10.244.1.221:8080: connect: connection refused',
        "pulling oci://ghcr.io:443/stefanprodan/charts/podinfo@sha256:8fd2b8b2b5c2e1a4f7c3d9e6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6",
        "https://registry.example.com:5000/v2/podinfo/manifests/6.5.4",
        "reconcileID acca4b7f-49af-463d-90b4-ac1a0431f51c done in 3.2s",
        "HelmChart 'flux-system/apps-web' is not ready: latest generation of object has not been reconciled",
        "checks passed; session 3 of 5",
    ],
)
def test_text_without_a_secret_is_left_alone(text):
    from forensics.redact import redact_text

    assert redact_text(text) == text


def test_the_planted_text_was_read_and_redacted_not_dropped(outputs):
    assert "[REDACTED]" in outputs["timesketch jsonl"] and "[REDACTED]" in outputs["parquet logs"]
    assert "failed to clone https://flux:[REDACTED]@git.example.com/org/repo.git" in outputs["timesketch jsonl"]
    assert "https://robot:[REDACTED]@registry.example.com" in outputs["parquet events"]
    assert "registry token: [REDACTED]" in outputs["parquet conditions"]
    assert "password=[REDACTED]" in outputs["parquet problems"]


def test_the_report_says_how_much_was_redacted(outputs):
    count = json.loads(outputs["json"])["redactions"]
    assert count >= 9
    assert f"{count} secret-looking value(s) redacted" in outputs["html"]
    assert f"- Secrets: {count} secret-looking value(s) redacted" in outputs["md"]
    assert f"{count} secret-looking value(s) redacted" in outputs["terminal"]


def test_findings_are_those_of_the_sample(planted, analyses):
    import forensics

    sample = analyses(SAMPLES / "upgrade-2.1-to-2.2").analysis
    ours = forensics.analyze(str(planted))
    assert {(f.release, f.label) for f in ours.findings} == {(f.release, f.label) for f in sample.findings}
    assert sample.redactions == 0


def test_troubleshoot_masks_are_left_alone():
    from forensics.redact import redact_text

    assert redact_text('password: "***HIDDEN***"') == 'password: "***HIDDEN***"'
    assert redact_text("https://user:***HIDDEN***@host/") == "https://user:***HIDDEN***@host/"


def _row_by_row(values: list[str | None]) -> list[str | None]:
    """Each value redacted as a row of a short column would be (the plain path: pre-filter,
    then the patterns), each distinct value once, in pieces too short for any
    distinct-values path."""
    from forensics import redact

    distinct = sorted({value for value in values if value is not None})
    each: dict[str | None, str | None] = {None: None}
    for start in range(0, len(distinct), redact.SAMPLE):
        piece = distinct[start : start + redact.SAMPLE]
        each.update(zip(piece, redact.redact_series(pl.Series(piece, dtype=pl.String))[0].to_list()))
    return [each[value] for value in values]


def test_a_long_templated_column_is_redacted_by_its_distinct_values_like_row_by_row():
    """A long column whose first rows are varied but whose values are few overall (templated
    controller messages) takes the distinct-values path: same strings, same count."""
    from forensics import redact

    values = [f"reconcile {i % 900} of release-{i % 300}" for i in range(redact.LONG + 10)]
    values[5] = "token=s3cr3tvalue"
    values[redact.LONG] = "https://user:hunter2@example.com/x"
    series = pl.Series("msg", values)
    assert series.head(redact.SAMPLE).n_unique() * redact.LOW_CARDINALITY >= redact.SAMPLE  # not the sample path
    redacted, count = redact.redact_series(series)
    assert redacted.to_list() == _row_by_row(values)
    assert count == 2
    assert "s3cr3tvalue" not in redacted[5] and "hunter2" not in redacted[redact.LONG]


def test_a_long_column_with_a_value_in_three_rows_of_seven_is_redacted_like_row_by_row():
    """Event messages: many distinct (a release and a revision in each), still repeated
    enough for the distinct-values path; the same strings and count as row by row."""
    from forensics import redact

    n = redact.LONG + 4000
    apps = n * 3 // 7 // 30 * 30  # each (team, app) pair: 3 rows in 7 have a value of their own
    values = [f"Helm upgrade succeeded for release team-{i % 30}/app-{i % apps}" for i in range(n)]
    values[11] = "Authorization: Bearer abcdefgh12345678"
    values[n - 3] = values[n - 2] = "failed: password=hunter2 in values"
    series = pl.Series("message", values)
    distinct = series.n_unique()
    assert distinct * redact.LOW_CARDINALITY >= n and distinct * redact.DISTINCT_SHARE < n  # this path only
    redacted, count = redact.redact_series(series)
    assert redacted.to_list() == _row_by_row(values)
    assert count == 3
    assert "hunter2" not in redacted[n - 2] and "abcdefgh12345678" not in redacted[11]


@pytest.mark.parametrize("later_secret", [False, True])
def test_a_column_in_long_runs_is_read_by_runs_like_row_by_row(later_secret):
    """A column whose values come in long runs (a member's source, pod, container) is counted
    and checked by its runs: the same strings and count as row by row, a secret in a run
    that starts past the first rows and nulls between runs included."""
    from forensics import redact

    values = ["cluster-resources/pods/logs/a.log"] * 30_000 + [None] * 50 + ["apps/podinfo"] * 20_000
    if later_secret:
        values += ["password=hunter2"] * 7 + ["apps/podinfo"] * 100
    series = pl.Series("source", values)
    assert redact._in_runs(series)
    redacted, count = redact.redact_series(series)
    rows = _row_by_row(values)
    assert redacted.to_list() == rows
    assert count == (7 if later_secret else 0)
    assert sorted(redact._distinct(series).drop_nulls().to_list()) == sorted({v for v in values if v is not None})
    # a name column in runs is skipped only when every run's value has a name's shape
    name = pl.Series("pod", values)
    frames = {"logs": pl.DataFrame({"pod": name})}
    out, total = redact.redact(frames)
    assert total == (7 if later_secret else 0)
    assert out["logs"]["pod"].to_list() == rows


def test_the_prefilter_finds_key_ids_in_text_with_non_ascii_characters():
    """Word boundaries are ASCII-only in the pre-filter and the patterns alike (fast on text
    with non-ASCII characters): a key id next to a non-ASCII letter is found by both."""
    from forensics.redact import MARKER, redact_text

    for text in ("clé AKIAIOSFODNN7EXAMPLE…", "…(AKIAIOSFODNN7EXAMPLE)", "é token: s3cr3t …"):
        assert MARKER in redact_text(text), text
    assert redact_text("éAKIAIOSFODNN7EXAMPLE") == f"é{MARKER}"  # `é` is no ASCII word character
    assert redact_text("xAKIAIOSFODNN7EXAMPLE") == "xAKIAIOSFODNN7EXAMPLE"  # inside a word: not a key id


def test_a_list_column_is_redacted_element_by_element():
    """releases.depends_on holds the names a HelmRelease depends on: a token there is redacted too."""
    from forensics import redact

    token = "gh" + "p_" + "a1B2" * 9
    names = pl.DataFrame(
        {"depends_on": [["apps/db", f"apps/{token}"], [], None, ["infra/cert-manager"]]},
        schema={"depends_on": pl.List(pl.String)},
    )
    out, count = redact.redact({"releases": names})
    assert out["releases"]["depends_on"].to_list() == [["apps/db", f"apps/{MARKER}"], [], None, ["infra/cert-manager"]]
    assert count == 1


@pytest.mark.parametrize(
    "name",
    ["sendgrid-key", "google-api-key", "vault-token", "npm-token", "url-password", "aws-key-id", "slack-app-token"],
)
def test_a_secret_cut_short_by_an_excerpt_is_redacted(name):
    """Excerpts are cut at their length cap with `…`: a token or a URL password cut there no
    longer has its whole shape, and is redacted all the same."""
    from parsers._base import EXCERPT_MAX, excerpt

    from forensics.redact import redact_text

    text, fragments = dict(SECRET_SHAPES)[name]("Qz8Lm2Xw8Kp4Vn7RtQz8Lm2Xw8Kp4Vn7Rt")
    secret = fragments[-1]
    start = text.index(secret)
    cut = excerpt(
        " " * 0 + "x" * (EXCERPT_MAX - start - len(secret) // 2 - 1) + " " + text
    )  # the cut falls inside the secret
    assert cut.endswith("…") and secret[: len(secret) // 3] in cut and secret not in cut
    out = redact_text(cut)
    assert MARKER in out and secret[: len(secret) // 3] not in out, out
