"""`forensics mcp`, driven as an assistant drives it: the MCP SDK's own client talking to
`python -m forensics.cli mcp` over stdio (the real protocol, never the functions directly).

The results are the analysis' own (compared with `forensics.run` of the same bundle), the
evidence lines are the files' lines, paths outside the roots are refused, planted secrets
never come out, nothing is written, and the `analyze` result does not grow with the log."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import anyio
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import ListRootsResult, Root

from forensics.rules import RULES

from .conftest import ROOT, SAMPLES

FOLDERS = sorted(  # the sample bundles (not the cases, the truth files or the generators' packages)
    p for p in SAMPLES.iterdir() if p.is_dir() and p.name not in ("cases", "truth") and not (p / "__init__.py").exists()
)
ARCHIVE = SAMPLES / "upgrade-2.1-to-2.2.tar.gz"
TOOLS = {"analyze", "release", "evidence", "explain", "collect"}
BOUND = 200_000  # bytes of one tool result (issue 23)


def drive(body, *, roots=(), granted=None, cwd=None, mode="auto", options=()):
    """Run `body(client)` against a fresh `forensics mcp --root ROOT ...` over stdio; the
    client grants `granted` folders as MCP roots when given. `mode="legacy"`: the protocol
    of the initialize handshake (2025-11-25), where the server asks for the roots mid-call."""

    async def list_roots(context):
        return ListRootsResult(roots=[Root(uri=Path(folder).resolve().as_uri()) for folder in granted])

    async def main():
        args = ["-m", "forensics.cli", "mcp", *(f"--root={root}" for root in roots), *options]
        params = StdioServerParameters(command=sys.executable, args=args, cwd=str(cwd or ROOT))
        async with Client(params, mode=mode, list_roots_callback=list_roots if granted is not None else None) as client:
            return await body(client)

    return anyio.run(main)


async def call(client, tool: str, **arguments):
    """(structured result or text, is_error, the result's size in bytes as sent)."""
    result = await client.call_tool(tool, arguments)
    size = len(result.model_dump_json(by_alias=True, exclude_none=True))
    text = result.content[0].text if result.content else ""
    if result.is_error:
        assert "\n" not in text and "Traceback" not in text, text
        return text, True, size
    if result.structured_content is not None:
        assert json.loads(text) == result.structured_content  # the text is the same JSON
        return result.structured_content, False, size
    return text, False, size


async def ok(client, tool: str, **arguments):
    value, error, _ = await call(client, tool, **arguments)
    assert not error, value
    return value


async def refused(client, tool: str, **arguments) -> str:
    value, error, _ = await call(client, tool, **arguments)
    assert error, value
    return value


def test_tools_resources_and_prompt():
    async def body(client):
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        assert set(tools) == TOOLS
        for tool in tools.values():
            assert tool.annotations.read_only_hint and tool.description
            assert "roots" not in tool.input_schema["properties"]  # granted by the client, not an argument
        for name in TOOLS - {"collect"}:
            assert tools[name].output_schema["type"] == "object"
        resources = [str(r.uri) for r in (await client.list_resources()).resources]
        templates = [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        catalog = (await client.read_resource("forensics://rules")).contents[0].text
        one = (await client.read_resource("forensics://rules/timeout")).contents[0].text
        with pytest.raises(MCPError, match="no rule with id, name or label"):
            await client.read_resource("forensics://rules/no-such-rule")
        prompts = (await client.list_prompts()).prompts
        prompt = await client.get_prompt("investigate", {"path": "bundle.tar.gz"})
        return resources, templates, catalog, one, prompts, prompt

    resources, templates, catalog, one, prompts, prompt = drive(body)
    assert resources == ["forensics://rules"] and templates == ["forensics://rules/{key}"]
    assert all(f"| {rule.id} {rule.name} |" in catalog for rule in RULES)
    timeout = next(rule for rule in RULES if rule.label == "timeout")
    assert one.startswith(f"# {timeout.id} {timeout.name}") and timeout.documentation() in one
    assert [p.name for p in prompts] == ["investigate"]
    text = prompt.messages[0].content.text
    assert 'analyze(path="bundle.tar.gz")' in text
    assert text.index("analyze(") < text.index("release(") < text.index("evidence(") < text.index("plan")


def test_starting_imports_no_analysis_and_the_cli_no_sdk():
    """What keeps `forensics mcp` + tools/list under a second (bench/README.md measures it):
    the server is built without Polars, the parsers or the rules; and `forensics --help`
    does not import the SDK."""
    code = (
        "import sys; from forensics import mcp_server; mcp_server.build(['.']); "
        "print(sorted(m for m in ('polars', 'parsers', 'forensics.rules', 'forensics.load') if m in sys.modules)); "
        "import forensics.cli"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
    out = subprocess.run(
        [sys.executable, "-c", "import sys, forensics.cli; print('mcp' in sys.modules)"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.strip() == "False"


def test_without_the_extra_a_hint_and_exit_2():
    code = "import sys; sys.modules['mcp'] = None; from forensics.cli import main; main(['mcp', '--root', '.'])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 2
    assert out.stderr.strip() == "forensics mcp needs the MCP SDK: pip install 'flux-forensics[mcp]'"


def test_samples_are_analysed_as_the_library_analyses_them(analyses):
    paths = [*FOLDERS, ARCHIVE]

    async def body(client):
        results = [await call(client, "analyze", path=str(path)) for path in paths]
        again = await ok(client, "analyze", path=str(paths[0]))  # relative paths work too
        relative = await ok(client, "analyze", path=paths[1].name)
        return results, again, relative

    results, again, relative = drive(body, roots=[SAMPLES])
    for path, (summary, error, size) in zip(paths, results):
        assert not error, summary
        assert size < BOUND
        analysis = analyses(path).analysis
        verdicts = {v.release: v.label for v in analysis.verdicts}
        shown = {
            v["release"]: v["primary"] or ("unexplained" if v["unexplained"] else "healthy")
            for v in summary["verdicts"]
        }
        shown |= {r["release"]: r["label"] for r in summary["more_releases"]}
        assert shown == {r: label for r, label in verdicts.items() if label != "healthy"}, path
        assert set(summary["healthy_releases"]) == {r for r, label in verdicts.items() if label == "healthy"}
        assert summary["releases"] == len(verdicts) and summary["bundle"]["layout"] == analysis.bundle.layout
        assert {f["id"] for f in summary["findings"]} == {f.id for f in analysis.findings}
        first = summary["verdicts"][0] if summary["verdicts"] else None
        if first:  # the worst first: no verdict shown is more severe than the first
            rank = ["info", "warning", "error"]
            assert all(rank.index(v["severity"]) <= rank.index(first["severity"]) for v in summary["verdicts"])
    handles = [summary["handle"] for summary, _, _ in results]
    assert len(set(handles)) == len(handles) and again["handle"] == handles[0]  # the same bundle is read once
    assert relative["handle"] == handles[1]


def _file_line(bundle: Path, source: str, line: int) -> str:
    return (bundle / source).read_bytes().split(b"\n")[line - 1].decode("utf-8", "replace").rstrip("\r")


def test_a_finding_leads_to_its_evidence_lines_in_the_files():
    bundles = [SAMPLES / "v037-failures", SAMPLES / "v036-failures", ARCHIVE]

    async def body(client):
        out = []
        for bundle in bundles:
            summary = await ok(client, "analyze", path=str(bundle))
            handle = summary["handle"]
            verdict = summary["verdicts"][0]
            story = await ok(client, "release", path_or_handle=handle, release=verdict["release"])
            cited = [(f["id"], e) for f in story["findings"] for e in f["evidence"] if e["line"]]
            read = [
                (fid, e, await ok(client, "evidence", handle=handle, source=e["source"], line=e["line"], context=2))
                for fid, e in cited
            ]
            out.append((bundle, verdict, story, read))
        return out

    for bundle, verdict, story, read in drive(body, roots=[SAMPLES]):
        files = SAMPLES / "upgrade-2.1-to-2.2" if bundle == ARCHIVE else bundle  # the archive holds that folder
        assert story["verdict"]["primary"] == verdict["primary"] and story["verdict"]["plan"]
        assert any(entry["release"] == verdict["release"] for entry in story["timeline"])
        assert read, f"{bundle}: no evidence line cited"
        for fid, cited, lines in read:
            numbers = [line["line"] for line in lines["lines"]]
            assert numbers == list(range(max(1, cited["line"] - 2), numbers[-1] + 1)) and cited["line"] in numbers
            assert (
                len(numbers) == 5 or cited["line"] <= 2 or numbers[-1] < cited["line"] + 2
            )  # the window, cut at the file's ends
            for line in lines["lines"]:
                assert line["text"] == _file_line(files, cited["source"], line["line"]), (fid, cited)
            center = next(line["text"] for line in lines["lines"] if line["line"] == cited["line"])
            words = cited["excerpt"].rstrip("…").split()[:4]  # a log excerpt is its message, JSON-escaped in the line
            assert all(word in center or json.dumps(word)[1:-1] in center for word in words), (fid, cited, center)


def test_paths_outside_the_roots_are_refused(tmp_path):
    granted, other = tmp_path / "granted", tmp_path / "other"
    for folder in (granted, other):
        shutil.copytree(SAMPLES / "ticket-flux-get-hr", folder / "ticket")
    (granted / "escape").symlink_to(other / "ticket")

    async def with_root(client):
        inside = await ok(client, "analyze", path=str(granted / "ticket"))
        errors = [
            await refused(client, "analyze", path=str(other / "ticket")),
            await refused(client, "analyze", path="../other/ticket"),
            await refused(client, "analyze", path=str(granted / "escape")),
            await refused(client, "analyze", path="/etc/passwd"),
            await refused(client, "release", path_or_handle=str(other / "ticket"), release="apps/frontend"),
            await refused(
                client, "evidence", handle=str(other / "ticket" / "flux-get-hr.txt"), source="flux-get-hr.txt", line=1
            ),
        ]
        missing = await refused(client, "analyze", path=str(granted / "nothing-here"))
        return inside, errors, missing

    inside, errors, missing = drive(with_root, roots=[granted])
    assert inside["releases"] > 0
    for message in errors:
        assert "refused: outside the folders this server may read" in message and f"({granted})" in message
    assert missing.endswith(f"no such file or folder: {granted / 'nothing-here'}")

    async def by_client(client):
        return await ok(client, "analyze", path=str(granted / "ticket")), await refused(
            client, "analyze", path=str(other / "ticket")
        )

    for mode in ("auto", "legacy"):
        inside, outside = drive(by_client, granted=[granted], mode=mode)  # MCP roots, no --root
        assert inside["releases"] > 0 and "refused: outside" in outside

    async def no_roots(client):
        return await refused(client, "analyze", path=str(granted / "ticket"))

    assert "no folder is open to this server" in drive(no_roots)


SECRETS = ("Pl4nted-Pass-Word", "tK-Pl4nted-Ev3nt-S3cret", "Zq7Wx8Ec9Rv0Tb")


def _planted(tmp_path: Path) -> tuple[Path, int]:
    """v037-failures with a password in a log line's URL, a token in a cited event message
    and a token in the events file's name; the log line's number."""
    bundle = tmp_path / "bundle"
    shutil.copytree(SAMPLES / "v037-failures", bundle)
    log = (bundle / "helm-controller.log").read_text().splitlines(keepends=True)
    number = next(i for i, line in enumerate(log, 1) if "running 'rollback' action" in line)
    log[number - 1] = log[number - 1].replace(
        '"controller":', f'"url":"https://admin:{SECRETS[0]}@charts.example.com/index.yaml","controller":', 1
    )
    (bundle / "helm-controller.log").write_text("".join(log))
    events = (bundle / "events.yaml").read_text()
    cited = "for release apps/cart-service with chart cart-service@3.0.0:"
    assert cited in events
    (bundle / "events.yaml").unlink()
    # File names are redacted in the frames, but not yet in the log line store: the secret of
    # a name is planted in the events file (a log file's would lose its lines' excerpts).
    (bundle / f"events-token={SECRETS[2]}.yaml").write_text(events.replace(cited, f"{cited} token={SECRETS[1]}"))
    return bundle, number


def test_planted_secrets_never_leave_the_server(tmp_path):
    bundle, number = _planted(tmp_path)

    async def body(client):
        texts = []

        async def keep(tool, **arguments):
            value, error, _ = await call(client, tool, **arguments)
            texts.append(json.dumps(value) if not isinstance(value, str) else value)
            assert not error, value
            return value

        summary = await keep("analyze", path=str(bundle))
        handle = summary["handle"]
        releases = [v["release"] for v in summary["verdicts"]] + summary["healthy_releases"]
        stories = [await keep("release", path_or_handle=handle, release=release) for release in releases]
        cited = {
            (e["source"], e["line"]) for story in stories for f in story["findings"] for e in f["evidence"] if e["line"]
        }
        cited |= {(e["source"], e["line"]) for c in summary["controllers"] for e in c["evidence"] if e["line"]}
        cited.add(("helm-controller.log", number))
        lines = {
            key: await keep("evidence", handle=handle, source=key[0], line=key[1], context=3) for key in sorted(cited)
        }
        error, _, _ = await call(client, "analyze", path=str(bundle / f"token={SECRETS[2]}"))
        texts.append(error)
        return summary, stories, lines, texts

    summary, stories, lines, texts = drive(body, roots=[tmp_path])
    everything = "\n".join(texts)
    for secret in SECRETS:
        assert secret not in everything
    assert summary["redactions"] > 0 and "[REDACTED]" in everything
    log_line = next(line["text"] for line in lines[("helm-controller.log", number)]["lines"] if line["line"] == number)
    assert "https://admin:[REDACTED]@charts.example.com" in log_line
    story = next(s for s in stories if s["release"] == "apps/cart-service")
    from_events = [e for f in story["findings"] for e in f["evidence"] if e["source"].startswith("events-")]
    assert from_events and all(e["source"] == "events-token=[REDACTED]" for e in from_events)  # the name to its end
    for e in from_events:  # the redacted name still leads to the file's lines
        center = next(line["text"] for line in lines[(e["source"], e["line"])]["lines"] if line["line"] == e["line"])
        assert center.strip().startswith("message:")


def test_errors_are_one_line_tool_errors(tmp_path):
    (tmp_path / "notes.txt").write_text("this is not a bundle\n")
    (tmp_path / "broken.tar.gz").write_bytes(b"\x1f\x8b\x08\x00" + b"\x00" * 64)
    shutil.copytree(SAMPLES / "v037-failures", tmp_path / "bundle")

    async def body(client):
        handle = (await ok(client, "analyze", path=str(tmp_path / "bundle")))["handle"]
        return [
            await refused(client, "analyze", path=str(tmp_path / "notes.txt")),
            await refused(client, "analyze", path=str(tmp_path / "broken.tar.gz")),
            await refused(client, "release", path_or_handle=handle, release="apps/cart-servic"),
            await refused(client, "release", path_or_handle="b99", release="apps/cart-service"),
            await refused(client, "evidence", handle=handle, source="helm-controller.log", line=0),
            await refused(client, "evidence", handle=handle, source="helm-controller.log", line=10**6),
            await refused(client, "evidence", handle=handle, source="helm-controler.log", line=1),
            await refused(client, "explain", label_or_rule="time-out"),
            await refused(client, "collect", part="no-such-part"),
            await refused(client, "collect", namespace="Flux System"),
        ]

    messages = drive(body, roots=[tmp_path])
    expected = [
        "nothing usable found: notes.txt: ",
        "cannot read the bundle: broken.tar.gz",
        "no release 'apps/cart-servic' in this bundle (give it as NAMESPACE/NAME); did you mean apps/cart-service",
        "no such file or folder: b99",
        "line 0: lines are numbered from 1",
        "no line 1000000: the file has fewer than",
        "no such file in the bundle (did you mean helm-controller.log?): helm-controler.log",
        "no rule with id, name or label 'time-out'; did you mean timeout",
        "no part 'no-such-part'; the parts are:",
        "not a namespace name: 'Flux System'",
    ]
    for message, wanted in zip(messages, expected):
        assert message.startswith("Error executing tool") and wanted in message, message


def test_the_caps_of_the_cli_apply():
    async def body(client):
        return await ok(client, "analyze", path="v037-failures")

    summary = drive(body, roots=[SAMPLES], options=["--max-bytes", "20000"])
    refused = [p for p in summary["problems"] if "raise it with --max-bytes" in p["reason"]]
    assert refused and summary["bundle"]["rows"]["logs"] == 0  # the 313 KB log was not read


def test_explain_and_collect_are_the_cli_texts():
    from forensics import collect as parts

    async def body(client):
        return (
            await ok(client, "explain", label_or_rule="HR005"),
            await ok(client, "explain", label_or_rule="dependency-missing"),
            await ok(client, "collect"),
            await ok(client, "collect", form="script", namespace="flux", since="24h"),
            await ok(client, "collect", form="troubleshoot"),
            await ok(client, "collect", part="events"),
        )

    rule, label, table, script, spec, part = drive(body)
    hr005 = next(r for r in RULES if r.id == "HR005")
    assert rule["rules"] == [
        {
            "id": "HR005",
            "name": hr005.name,
            "label": hr005.label,
            "severity": hr005.severity.value,
            "documentation": hr005.documentation(),
        }
    ]
    assert rule["labels"][0]["label"] == "timeout" and "retries-exhausted" in rule["labels"][0]["can_cause"]
    dp003 = next(r for r in RULES if r.label == "dependency-missing")
    assert [r["id"] for r in label["rules"]] == [dp003.id] and label["labels"][0]["label"] == "dependency-missing"
    assert (table, script, spec, part) == (
        parts.table(),
        parts.script("flux", "24h"),
        parts.troubleshoot_spec(),
        parts.describe("events"),
    )


def test_nothing_is_written_outside_the_temporary_folder(tmp_path):
    shutil.copytree(SAMPLES / "v037-failures", tmp_path / "bundle")
    with tarfile.open(tmp_path / "bundle.tar.gz", "w:gz") as tar:
        tar.add(tmp_path / "bundle", arcname="bundle")
    (tmp_path / "cwd").mkdir()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))

    async def body(client):
        for path in ("bundle", "bundle.tar.gz"):
            summary = await ok(client, "analyze", path=str(tmp_path / path))
            release = summary["verdicts"][0]["release"]
            story = await ok(client, "release", path_or_handle=summary["handle"], release=release)
            e = story["findings"][0]["evidence"][0]
            await ok(client, "evidence", handle=summary["handle"], source=e["source"], line=e["line"])
        await ok(client, "collect", form="script")

    drive(body, roots=[tmp_path], cwd=tmp_path / "cwd")
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_the_analyze_result_does_not_grow_with_the_log(tmp_path):
    """20k and 200k log lines of the same 30 releases and 2,000 events (bench/generate.py):
    results of about one size, far under the bound (bench/README.md: the 2M-line bundle's)."""
    bundles = []
    for lines in (20_000, 200_000):
        out = tmp_path / str(lines)
        argv = [
            sys.executable,
            str(ROOT / "bench" / "generate.py"),
            "--lines",
            str(lines),
            "--releases",
            "30",
            "--events",
            "2000",
            "--out",
            str(out),
        ]
        subprocess.run(argv, check=True, stdout=subprocess.DEVNULL)
        bundles.append(out / "support-bundle-2024-03-12T10_00_00")

    async def body(client):
        return [await call(client, "analyze", path=str(bundle)) for bundle in bundles]

    (small, _, small_size), (big, _, big_size) = drive(body, roots=[tmp_path])
    assert big["bundle"]["rows"]["logs"] > 9 * small["bundle"]["rows"]["logs"]
    assert {v["release"]: v["primary"] for v in small["verdicts"]} == {
        v["release"]: v["primary"] for v in big["verdicts"]
    }
    assert big_size < BOUND and small_size < BOUND
    assert abs(big_size - small_size) < 0.1 * small_size, (small_size, big_size)


@settings(database=None, deadline=None)
@given(
    text=st.lists(st.sampled_from(["a", "é", "\n", "\r\n", "", "xyz"]), max_size=40).map("".join),
    first=st.integers(1, 12),
    width=st.integers(0, 6),
    chunk=st.integers(1, 8),
)
def test_lines_are_read_back_as_the_parsers_number_them(text, first, width, chunk):
    """The evidence reader's window, read a few bytes at a time, is the file's `split("\\n")`
    (a final newline ends the last line and starts none)."""
    from forensics import mcp_server

    data = text.encode()
    lines = text.split("\n")[:-1] if text.endswith("\n") else text.split("\n") if text else []
    wanted = {n: lines[n - 1].rstrip("\r") for n in range(first, first + width + 1) if n <= len(lines)}
    original = mcp_server._CHUNK
    mcp_server._CHUNK = chunk
    try:
        assert mcp_server._read_lines(data, first, first + width) == wanted
    finally:
        mcp_server._CHUNK = original
