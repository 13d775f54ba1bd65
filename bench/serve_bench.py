"""`rag serve` as an agent meets it: warm `locate` round trips through the SDK's own MCP client, how
soon an edit shows in the answers, the server's memory over three repositories, and 100 concurrent
calls from 10 clients over the HTTP transport.

    python bench/serve_bench.py --sources .bench-sources [--reports-repo /path/to/sympy] --out bench/results/serve

Short questions are the networkx commit messages of the dev set (their first line); issue reports
are the dev set's real reports (title and body), asked of `--reports-repo` when given (a sympy or
astropy checkout: the size of repository they were written for), else of networkx. Latency is the
client's wall time per call, so it includes the JSON-RPC round trip over stdio.
"""
from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

import anyio

HERE = os.path.dirname(os.path.abspath(__file__))
DEV = os.path.join(HERE, "..", "..", "shared", "bench", "dev")


def _rows(path: str, n: int) -> list[dict]:
    with open(path) as fh:
        return [json.loads(line) for line in fh][:n]


def _ms(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {"n": len(ms), "p50": round(statistics.median(ms), 1), "p95": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "max": round(ms[-1], 1)}


def _rss_mb(index_dir: str) -> dict:
    with open(os.path.join(index_dir, "serve.json")) as fh:
        pid = json.load(fh)["pid"]
    fields = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024)
    return fields


def _payload(result) -> dict:
    if result.is_error:
        raise RuntimeError(result.content[0].text)
    return json.loads(result.content[0].text)


async def _stdio(repos: list[str], short: list[str], reports: list[str], report_repo: str, out: dict) -> None:
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "serve", *repos])
    started = time.perf_counter()
    async with Client(params, read_timeout_seconds=600) as client:
        out["start_s"] = round(time.perf_counter() - started, 1)
        status = _payload(await client.call_tool("index_status", {}))["repos"]
        names = {s["path"]: s["repo"] for s in status}
        networkx, reported = names[os.path.abspath(repos[0])], names[os.path.abspath(report_repo)]

        async def timed(question: str, repo: str) -> float:
            t = time.perf_counter()
            _payload(await client.call_tool("locate", {"question": question, "repo": repo}))
            return time.perf_counter() - t

        for q in short[:3]:
            await timed(q, networkx)
        out["locate_short"] = _ms([await timed(q, networkx) for q in short])
        out["locate_report"] = _ms([await timed(q, reported) for q in reports])
        out["locate_report"]["repo"] = reported
        out["rss_mb"] = _rss_mb(os.path.join(os.path.abspath(repos[0]), ".rag"))

        # a new file with a word nothing else has, and the first answer that finds it, five times
        delays = []
        for word in ("zorbulate", "flimmerkin", "quazzlebop", "snorfblat", "wibbletonic"):
            probe = f"networkx/algorithms/{word}.py"
            with open(os.path.join(repos[0], probe), "w") as fh:
                fh.write(f'"""{word} a graph."""\n\n\ndef {word}(G):\n    return G\n')
            t = time.perf_counter()
            try:
                while time.perf_counter() - t < 30:
                    answer = _payload(await client.call_tool("locate", {"question": f"{word} a graph",
                                                                        "repo": networkx, "k": 1}))
                    if answer["answer"] and answer["answer"]["module"] == probe:
                        break
                    await anyio.sleep(0.05)
                delays.append(time.perf_counter() - t)
            finally:
                os.remove(os.path.join(repos[0], probe))
        out["edit_to_answer"] = _ms(delays)


async def _concurrent(repo: str, clients: int, calls: int, questions: list[str], out: dict) -> None:
    from mcp import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", repo, "--http", f"127.0.0.1:{port}"],
                              stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        for line in server.stderr:  # ready once it says where it listens
            if " over http" in line:
                break
        await anyio.sleep(1.0)  # uvicorn binds just after
        answered, errors, times = 0, [], []

        async def one_client(c: int) -> None:
            nonlocal answered
            async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=600) as client:
                async with anyio.create_task_group() as calls_group:
                    for i in range(calls):
                        calls_group.start_soon(one_call, client, questions[(c * calls + i) % len(questions)])

        async def one_call(client, question: str) -> None:
            nonlocal answered
            t = time.perf_counter()
            try:
                result = await client.call_tool("locate", {"question": question})
                if result.is_error:
                    errors.append(result.content[0].text)
                else:
                    answered += 1
                    times.append(time.perf_counter() - t)
            except Exception as e:  # counted, not hidden
                errors.append(f"{type(e).__name__}: {e}")

        t = time.perf_counter()
        async with anyio.create_task_group() as group:
            for c in range(clients):
                group.start_soon(one_client, c)
        out["concurrent"] = {"clients": clients, "calls": clients * calls, "answered": answered,
                             "errors": errors[:5], "error_count": len(errors),
                             "wall_s": round(time.perf_counter() - t, 2), "per_call": _ms(times),
                             "server_alive": server.poll() is None}
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default=os.path.join(HERE, "..", ".bench-sources"))
    ap.add_argument("--dev", default=DEV)
    ap.add_argument("--reports-repo", default=None, help="a checkout to ask the issue reports of (default: networkx)")
    ap.add_argument("--out", default=os.path.join(HERE, "results", "serve"))
    args = ap.parse_args()
    repos = [os.path.join(args.sources, name) for name in ("networkx-3.6.1", "rich-14.3.3", "scrapy-2.18.0")]
    short = [r["query"].splitlines()[0] for r in _rows(os.path.join(args.dev, "networkx.jsonl"), 60)]
    reports = [r["query"] for r in _rows(os.path.join(args.dev, "issues.jsonl"), 60)]
    report_repo = args.reports_repo or repos[0]
    served = repos + ([report_repo] if args.reports_repo else [])
    out = {"machine": f"{os.cpu_count()} cores", "repos": [os.path.basename(r) for r in served]}
    anyio.run(_stdio, served, short, reports, report_repo, out)
    anyio.run(_concurrent, repos[0], 10, 10, short, out)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "serve.json"), "w") as fh:
        json.dump(out, fh, indent=1)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
