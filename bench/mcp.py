#!/usr/bin/env python3
"""Measure `forensics mcp`: its startup to the answer of tools/list, and the size and time of
its results on generated bundles up to the ~1 GB one (issue 23's figures).

    python bench/mcp.py                      # startup, then bundles of 20k, 200k and 2M log lines
    python bench/mcp.py --lines 20000 200000 # a quicker run

The server is driven over its stdio by plain JSON-RPC lines (protocol 2025-11-25: initialize,
then the requests), one server per bundle, so that each figure is of one process: wall time
from the parent, CPU seconds from the child's /proc stat when the answer arrives, and peak RSS
and CPU from its rusage (`os.wait4`) once it has exited. Result sizes are the bytes of the
JSON-RPC answer line as sent (the typed result and its text copy). Bundles come from
bench/generate.py into bench/data/ (git-ignored), made once and reused (run.py's too).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import DATA, PY, bundle, machine  # noqa: E402 - bench/run.py's bundles and machine line

TICKS = os.sysconf("SC_CLK_TCK")


class Server:
    """`forensics mcp --root ROOT` in a child process, spoken to in JSON-RPC lines."""

    def __init__(self, root: Path) -> None:
        self.began = time.perf_counter()
        argv = [PY, "-m", "forensics.cli", "mcp", "--root", str(root)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.next_id = 0

    def send(self, method: str, params: dict | None = None, notify: bool = False) -> None:
        message = {"jsonrpc": "2.0", "method": method, **({"params": params} if params is not None else {})}
        if not notify:
            self.next_id += 1
            message["id"] = self.next_id
        self.proc.stdin.write((json.dumps(message) + "\n").encode())
        self.proc.stdin.flush()

    def answer(self) -> tuple[dict, int]:
        """The answer to the last request, and its size in bytes (notifications skipped)."""
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError(
                    "the server closed its output: " + self.proc.stderr.read().decode(errors="replace")[-2000:]
                )
            message = json.loads(line)
            if message.get("id") == self.next_id:
                return message, len(line)

    def request(self, method: str, params: dict | None = None) -> tuple[dict, int, float]:
        began = time.perf_counter()
        self.send(method, params)
        message, size = self.answer()
        return message, size, time.perf_counter() - began

    def start(self) -> None:
        self.request(
            "initialize",
            {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "0"}},
        )
        self.send("notifications/initialized", notify=True)

    def cpu(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / TICKS  # utime + stime

    def close(self) -> dict:
        self.proc.stdin.close()
        _, status, usage = os.wait4(self.proc.pid, 0)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return {
            "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mb": usage.ru_maxrss / 1024,
            "rc": os.waitstatus_to_exitcode(status),
        }


def startup(root: Path) -> dict:
    """Spawn to the answer of tools/list: wall and CPU seconds."""
    server = Server(root)
    server.start()
    message, _, _ = server.request("tools/list")
    wall = time.perf_counter() - server.began
    cpu = server.cpu()
    server.close()
    assert len(message["result"]["tools"]) == 5, message
    return {"seconds": wall, "cpu": cpu}


def call(server: Server, tool: str, **arguments) -> tuple[dict, int, float]:
    message, size, seconds = server.request("tools/call", {"name": tool, "arguments": arguments})
    result = message["result"]
    if result.get("isError"):
        raise RuntimeError(f"{tool}: {result['content'][0]['text']}")
    return result["structuredContent"], size, seconds


def session(path: Path) -> dict:
    """analyze, then release of the worst verdict, then evidence of its first cited line."""
    server = Server(path.parent)
    server.start()
    summary, size, seconds = call(server, "analyze", path=str(path))
    out = {
        "analyze_bytes": size,
        "analyze_s": seconds,
        "analyze_cpu": server.cpu(),
        "releases": summary["releases"],
        "omitted": summary["omitted"],
    }
    worst = summary["verdicts"][0]
    story, out["release_bytes"], out["release_s"] = call(
        server, "release", path_or_handle=summary["handle"], release=worst["release"]
    )
    cited = next(e for f in story["findings"] for e in f["evidence"] if e["line"])
    _, out["evidence_bytes"], out["evidence_s"] = call(
        server, "evidence", handle=summary["handle"], source=cited["source"], line=cited["line"]
    )
    out["evidence_source"] = cited["source"]
    logged = next(
        (e for f in summary["findings"] for e in f["evidence"] if e["line"] and e["source"].endswith(".log")), None
    )
    if logged:  # a line of a big log: the reader walks to the member, then its lines to the one cited
        _, out["log_evidence_bytes"], out["log_evidence_s"] = call(
            server, "evidence", handle=summary["handle"], source=logged["source"], line=logged["line"]
        )
        out["log_evidence_line"] = logged["line"]
    _, _, out["analyze_again_s"] = call(server, "analyze", path=str(path))  # the handle reused
    out.update(server.close())
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[20_000, 200_000, 2_000_000])
    parser.add_argument("--starts", type=int, default=5, help="cold starts measured (the median is taken)")
    args = parser.parse_args(argv)
    subprocess.run(
        [PY, "-m", "compileall", "-q", str(HERE.parent / "forensics"), str(HERE.parent / "parsers")],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    starts = [startup(HERE) for _ in range(args.starts)]
    results = {"machine": machine(), "load": os.getloadavg(), "startup": starts}
    print(
        f"startup + tools/list, median of {len(starts)}: {statistics.median(s['seconds'] for s in starts):.3f} s wall, {statistics.median(s['cpu'] for s in starts):.2f} CPU s"
    )
    for lines in args.lines:
        path, truth = bundle(lines, None, None, f"lines-{lines}")
        measured = session(path)
        measured.update(lines=lines, bundle_mb=truth["bytes"] / 1e6)
        results[f"lines-{lines}"] = measured
        print(json.dumps(measured))
    results["load_after"] = os.getloadavg()
    (DATA / "mcp.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
