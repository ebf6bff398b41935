"""One example secret per shape of the redaction catalogue, each found through its own pre-filter
hint."""

from __future__ import annotations


import polars as pl
import pytest

from forensics.redact import MARKER


# --- one example per shape of the catalogue ------------------------------------------------
# Each shape of `redact.SHAPES` with examples of the secrets it is for, one per form its pattern
# takes, as (text, the secret): the shape's own pattern must match the text, its own hint too
# (else the pre-filter never hands such a row to the pattern), and the secret must be gone.
# Token prefixes are assembled at run time, so that this file holds no credential-like string.


def _body(size: int, alphabet: str = "aB3dE5fG7hJ9kLmN2pQ4rS6tU8vW0xYz") -> str:
    return (alphabet * (size // len(alphabet) + 1))[:size]


def _hex(size: int) -> str:
    return _body(size, "0123456789abcdef")


def _upper(size: int) -> str:
    return _body(size, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")


def _letters(size: int) -> str:
    return _body(size, "aBcDeFgHiJkLmNoPqRsTuVwXyZ")


def _pair(prefix: str, secret: str, before: str = "", after: str = "") -> tuple[str, str]:
    return before + prefix + secret + after, secret


SHAPE_EXAMPLES: dict[str, list[tuple[str, str]]] = {
    "private-key": [
        _pair("-----BEGIN RSA PRIVATE " + "KEY-----\n", _body(64), after="\n-----END RSA PRIVATE KEY-----"),
        _pair("-----BEGIN OPENSSH PRIVATE " + "KEY-----\\n", _body(70), after="…"),  # escaped newlines, cut short
    ],
    "authorization": [
        _pair("authorization=Negotiate ", _body(28)),
        _pair('"Authorization": "Token ', _body(20), after='"'),  # a header logged as JSON
        _pair("authorization='", _body(16), after="'"),
    ],
    "bearer": [_pair("retrying with bearer ", _body(24))],
    "basic": [_pair("sent Basic ", _body(12) + "=")],
    "cookie": [
        _pair("request header Cookie: session=", _body(16), after="; theme=dark"),
        _pair("Set-Cookie: id=", _body(12)),
    ],
    "url-credentials": [
        _pair("clone https://deploy:", _body(14), after="@git.example.com/org/repo.git"),
        _pair("dial redis://:", _body(12), after="@redis:6379/0"),
    ],
    "dsn-credentials": [
        _pair("open app:", _body(12), after="@tcp(mysql:3306)/app"),
        _pair("u:", _body(12), after="@unix(/run/db.sock)/db"),
    ],
    "flag": [
        _pair("helm registry login --password ", _body(12), after=" ghcr.io"),
        _pair("--api-key=", _body(16)),
        _pair("-access-key ", _body(16)),
    ],
    "curl-user": [
        _pair("curl -u robot:", _body(12), after=" https://x"),
        _pair("curl -u=robot:", _body(12)),
        _pair("curl --user robot:", _body(12)),
    ],
    "sas-signature": [
        _pair("GET https://a.blob.core.windows.net/c/index.yaml?sv=2022-11-02&sig=", _body(20), after="%3D&se=2030")
    ],
    "key-value": [
        _pair("db connect password=", _body(12), after=" failed"),
        _pair('{"apiKey": "', _body(12), after='"}'),
        _pair("client_secret=", _body(12), after="&grant_type=client_credentials"),
        _pair("DefaultEndpointsProtocol=https;AccountKey=", _body(20), after=";"),
    ],
    "aws-access-key-id": [_pair("invalid key " + "AK" + "IA", _upper(16)), _pair("AS" + "IA", _upper(16))],
    "github-token": [_pair("token " + "gh" + "p_", _body(36)), _pair("gith" + "ub_pat_", _body(30))],
    "gitlab-token": [_pair("clone " + "gl" + "pat-", _body(20)), _pair("runner GR" + "1348941", _body(20))],
    "slack-token": [_pair("xo" + "xb-", _body(24)), _pair("xa" + "pp-1-" + _upper(11) + "-", _hex(20))],
    "webhook-url": [
        _pair("https://hooks.slack.com/services/", _body(30)),
        _pair("https://discord.com/api/webhooks/1234/", _body(40)),
        _pair("https://acme.webhook.office.com/webhookb2/", _body(36)),
    ],
    "discord-bot-token": [_pair(f"M{_body(size)}.{_body(6)}.", _body(27)) for size in (23, 24, 25)],
    "google-api-key": [_pair("key AI" + "za", _body(35))],
    "stripe-key": [_pair("sk_" + "live_", _body(24)), _pair("rk_" + "test_", _body(24))],
    "vault-token": [_pair("vault login hv" + "s.", _body(90)), _pair("token s.", _body(24), after=" accepted")],
    "npm-token": [_pair("//registry.npmjs.org/:_authToken=" + "np" + "m_", _body(36))],
    "sendgrid-key": [_pair("S" + "G." + _body(22) + ".", _body(43))],
    "pypi-token": [_pair("py" + "pi-AgE", _body(60))],
    "openai-key": [_pair("s" + "k-", _body(48)), _pair("s" + "k-ant-api03-", _body(40))],
    "twilio-key": [_pair("S" + "K", _hex(32)), _pair("A" + "C", _hex(32))],
    "azure-client-secret": [_pair("secret abc8" + "Q~", _body(34))],
    "prefixed-token": [
        _pair(prefix, secret)
        for prefix, secret in [
            ("do" + "p_v1_", _hex(64)),
            ("dp" + ".pt.", _body(43)),
            ("da" + "pi", _hex(32)),
            ("h" + "f_", _letters(34)),
            ("gl" + "c_", _body(40)),
            ("gl" + "sa_", _body(32) + "_" + _hex(8)),
            ("sh" + "pat_", _hex(32)),
            ("pu" + "l-", _hex(40)),
            ("PM" + "AK-", _hex(24) + "-" + _hex(34)),
            ("AK" + "Cp", _body(64)),
            ("ATA" + "TT3", _body(110)),
            ("dt0" + "c01.", _upper(24) + "." + _upper(64)),
            ("lin_" + "api_", _body(40)),
            ("sntr" + "yu_", _body(44)),
            ("HR" + "KU-AA", _body(58)),
            ("NR" + "AK-", _upper(27)),
            ("AGE-SECRET-" + "KEY-1", _upper(58)),
            ("123456789:" + "AA", _body(33)),
        ]
    ],
    "jwt": [_pair("ey" + "J" + _body(12) + ".ey" + "J", _body(20), after="." + _body(24))],
    "cut-token": [_pair("x " + "gh" + "p_", _body(10), after="…"), _pair("x " + "AK" + "IA", _upper(8), after="…")],
    "cut-url-credentials": [_pair("x https://robot:", _body(10), after="…")],
}


def test_every_shape_has_examples():
    from forensics.redact import SHAPES

    assert set(SHAPE_EXAMPLES) == {shape.name for shape in SHAPES}


@pytest.mark.parametrize(
    "name, text, secret",
    [(name, text, secret) for name, examples in SHAPE_EXAMPLES.items() for text, secret in examples],
    ids=[f"{name}-{i}" for name, examples in SHAPE_EXAMPLES.items() for i in range(len(examples))],
)
def test_each_shape_finds_its_example_through_its_own_hint(name, text, secret):
    """The shape's pattern matches its example, the shape's own hint lets the row through the
    pre-filter (a pattern whose hint misses its secret is never applied), and the secret goes."""
    from forensics import redact

    shape = next(shape for shape in redact.SHAPES if shape.name == name)
    row = pl.Series([text])
    assert row.str.contains(shape.pattern)[0], "the example is not of this shape"
    if shape.hint == redact.CUT:
        assert text.endswith(redact.CUT)
    else:
        assert row.str.contains("(?i)" + shape.hint)[0], "the shape's hint misses its own secret"
    assert redact._hints(row)[0]
    out = redact.redact_text(text)
    assert secret not in out and MARKER in out, out


def test_a_step_is_skipped_only_where_no_row_holds_its_hint():
    """A step of the patterns is tried on a column's rows only when one of them holds a hint of
    its shapes, and no replacement makes a hint: every example secret still goes when it sits
    among rows that came through the pre-filter for other hints (a hex digest, a word)."""
    from forensics import redact

    for _, _, hint in redact.PATTERNS:
        assert not pl.Series([MARKER]).str.contains(hint)[0]
    others = [f"stored artifact for revision 'sha256:{_hex(64)}'", "release infra/sealed-secrets is ready"]
    examples = [pair for pairs in SHAPE_EXAMPLES.values() for pair in pairs]
    for text, secret in examples:
        out, count = redact.redact_series(pl.Series([*others, text]))
        assert out[:2].to_list() == others
        assert secret not in out[2] and count >= 1, (text, out[2])
