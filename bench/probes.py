"""Probe the CLI the way a careless or unlucky user would, and count what goes wrong.

    python bench/probes.py [--kills N] [--out bench/results/probes.md]

Three parts, each on a fresh copy of the Python fixture repository:
- bad input: CLI calls that must fail with one line on stderr and exit 2 (never a traceback or
  "internal error");
- a damage matrix: every file of an index snapshot, and the manifest, deleted, emptied, truncated, with
  bytes flipped (start, middle, end), or with its last 16 bytes NaN floats (damage of the same size that
  still parses: an index's vectors and BM25 weights are floats); after each, `rag ask` must either answer exactly as before the damage or fail
  in one line (never a changed answer: silent damage), `rag index --check` must say "damaged" (exit 4)
  or "fresh" when the damage cannot matter, and a plain `rag index` must leave an index that answers
  exactly as before (never an unusable state);
- kills: `rag index --full` killed with SIGKILL at spread-out moments; after each, `rag ask` answers.
Prints (and writes) the counts of internal errors, silent damage and unusable states, and each failure.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "python")
RAG = [sys.executable, "-m", "rag.cli"]
QUESTION = "add a product to the cart"
DAMAGES = ("delete", "empty", "truncate", "flip-start", "flip-middle", "flip-end", "nan-end")


def rag(*args, stdin: bytes | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(RAG + [str(a) for a in args], capture_output=True, input=stdin, timeout=timeout, cwd=ROOT)


def fresh_repo(parent: str) -> str:
    repo = os.path.join(parent, "repo")
    shutil.rmtree(repo, ignore_errors=True)
    shutil.copytree(FIXTURE, repo)
    return repo


def answer(repo: str) -> subprocess.CompletedProcess:
    return rag("ask", QUESTION, "--repo", repo, "--json")


def ranking(r: subprocess.CompletedProcess):
    """What an answer says, timings left out: the answer and each candidate with its score."""
    data = json.loads(r.stdout)
    return data["answer"], [(c["module"], c["score"]) for c in data["candidates"]]


def one_line_error(r: subprocess.CompletedProcess) -> bool:
    err = r.stderr.decode("utf-8", "replace")
    return r.returncode == 2 and err.count("\n") == 1 and "internal error" not in err and "Traceback" not in err


def bad_input(work: str) -> list[str]:
    repo = fresh_repo(work)
    rag("index", repo, "-q")
    missing = os.path.join(work, "missing")
    a_file = os.path.join(work, "a-file")
    with open(a_file, "w") as fh:
        fh.write("x")
    probes = [
        ("ask", "", "--repo", repo), ("ask", "   ", "--repo", repo), ("ask", "x", "-k", "0", "--repo", repo),
        ("ask", "x", "-k", "-3", "--repo", repo), ("ask", "x", "--level", "module", "--repo", repo),
        ("ask", "x", "--repo", missing), ("ask", "x", "--repo", a_file), ("ask", "--file", missing, "--repo", repo),
        ("ask", "x", "--file", a_file, "--repo", repo), ("ask", "x", "--scope", "all", "--repo", repo),
        ("ask", "x", "--llm", "--model", missing, "--repo", repo), ("ask", "x", "--llm", "--adapter", missing, "--repo", repo),
        ("ask", "x", "--embedder", "no-such-model", "--repo", repo), ("ask", "x", "--index-dir", a_file, "--repo", repo),
        ("index", missing), ("index", a_file), ("index", repo, "--index-dir", a_file), ("index", repo, "--embedder", "nope"),
        ("modules", missing), ("modules", repo, "--index-dir", missing),
        ("eval", missing, "--repo", repo), ("eval", a_file, "--repo", repo),
        ("eval", a_file, "--repo", repo, "--report", a_file), ("eval", "--from-git", "--repo", repo, "--out", missing + "/x"),
        ("finetune", repo, "--dump-data", missing + "/x.jsonl"), ("finetune", repo, "--base-model", missing),
        ("finetune", repo, "--qlora"), ("finetune", repo, "--epochs", "0"),
    ]
    failures = []
    for args in probes:
        r = rag(*args)
        if not one_line_error(r):
            failures.append(f"bad input {' '.join(map(str, args[:4]))}: exit {r.returncode}: "
                            f"{r.stderr.decode('utf-8', 'replace').strip()[:160]}")
    for text in ("index = 'x'", "modules = 3", "[index]\nexclude = 3", "[[modules]]\nid = 'a'", "not = [toml"):
        with open(os.path.join(repo, "rag.toml"), "w") as fh:
            fh.write(text)
        r = rag("index", repo)
        if not one_line_error(r):
            failures.append(f"rag.toml {text!r}: exit {r.returncode}: {r.stderr.decode('utf-8', 'replace').strip()[:160]}")
    os.unlink(os.path.join(repo, "rag.toml"))
    return failures, len(probes) + 5


def damage(path: str, kind: str) -> None:
    if kind == "delete":
        os.unlink(path)
        return
    size = os.path.getsize(path)
    with open(path, "r+b") as fh:
        if kind == "empty":
            fh.truncate(0)
        elif kind == "truncate":
            fh.truncate(size // 2)
        elif kind == "nan-end":
            fh.seek(max(0, size - 16))
            fh.write(struct.pack("<4f", *[float("nan")] * 4))
        else:
            at = {"flip-start": 0, "flip-middle": size // 2, "flip-end": max(0, size - 8)}[kind]
            fh.seek(at)
            chunk = fh.read(8)
            fh.seek(at)
            fh.write(bytes(b ^ 0xFF for b in chunk))


def damage_matrix(work: str) -> tuple[list[str], int, dict]:
    from graph.store import MANIFEST, IndexStore

    repo = fresh_repo(work)
    rag("index", repo, "-q")
    clean = ranking(answer(repo))
    store = IndexStore(os.path.join(repo, ".rag"))
    names = sorted(store.manifest().snapshot_files) + [MANIFEST]
    failures, counts = [], {"detected by ask": 0, "answered as before": 0, "check says damaged": 0, "repaired": 0}
    states = 0
    pristine = os.path.join(work, "pristine")
    shutil.rmtree(pristine, ignore_errors=True)
    shutil.copytree(repo, pristine, symlinks=True)
    for name in names:
        for kind in DAMAGES:
            shutil.rmtree(repo)
            shutil.copytree(pristine, repo, symlinks=True)  # the same index, bytes and all
            store = IndexStore(os.path.join(repo, ".rag"))
            damage(os.path.join(store.dir, MANIFEST) if name == MANIFEST else store.snapshot_path(store.manifest(), name),
                   kind)
            states += 1
            label = f"{name} {kind}"
            # the read-only look first: a question rebuilds an index whose manifest it cannot read
            check = rag("index", repo, "--check")
            if check.returncode == 4 or ((name, kind) == (MANIFEST, "delete") and b"no index yet" in check.stdout):
                counts["check says damaged"] += 1  # (without a manifest there is no index: "no index yet", exit 1)
            elif check.returncode != 0:
                failures.append(f"check: {label}: exit {check.returncode}: {check.stdout.decode()[:120]}")
            else:
                failures.append(f"silent damage: {label}: --check says fresh")
            r = answer(repo)
            if r.returncode == 0:
                if ranking(r) != clean:
                    failures.append(f"silent damage: {label}: rag ask answered differently")
                else:
                    counts["answered as before"] += 1
            elif one_line_error(r):
                counts["detected by ask"] += 1
            else:
                failures.append(f"internal error: {label}: ask exit {r.returncode}: {r.stderr.decode()[:160]}")
            r = rag("index", repo, "-q")
            after = answer(repo)
            if r.returncode != 0 or after.returncode != 0 or ranking(after) != clean:
                failures.append(f"unusable state: {label}: index exit {r.returncode}, then ask exit {after.returncode}")
            else:
                counts["repaired"] += 1
    return failures, states, counts


def kills(work: str, n: int) -> tuple[list[str], int]:
    repo = fresh_repo(work)
    # enough files that a full rebuild takes a while: copies of the fixture package
    for i in range(40):
        shutil.copytree(os.path.join(repo, "shop"), os.path.join(repo, f"copy{i}"))
    rag("index", repo, "-q", timeout=600)
    start = time.perf_counter()
    rag("index", repo, "--full", "-q", timeout=600)
    full = time.perf_counter() - start
    failures = []
    for i in range(n):
        p = subprocess.Popen(RAG + ["index", repo, "--full", "-q"], cwd=ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        time.sleep(full * (i + 0.5) / n)
        p.send_signal(signal.SIGKILL)
        p.wait()
        r = answer(repo)
        if r.returncode != 0:
            failures.append(f"kill {i + 1} at {full * (i + 0.5) / n:.1f} s: ask exit {r.returncode}: {r.stderr.decode()[:160]}")
    return failures, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--out", default=os.path.join(HERE, "results", "probes.md"))
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as work:
        bad, n_bad = bad_input(work)
        matrix, n_states, counts = damage_matrix(work)
        killed, n_kills = kills(work, args.kills)
    failures = bad + matrix + killed
    internal = sum("internal error" in f or "Traceback" in f for f in failures)
    silent = sum(f.startswith("silent damage") for f in failures)
    unusable = sum(f.startswith("unusable state") for f in failures) + len(killed)
    lines = [f"# Probes (`python bench/probes.py --kills {args.kills}`)", "",
             f"- bad input: {n_bad} probes, {len(bad)} not a one-line exit 2",
             f"- damage matrix: {n_states} damaged states ({', '.join(f'{k} {v}' for k, v in counts.items())})",
             f"- kills: {n_kills} SIGKILLs of `rag index --full`, {len(killed)} left no answering index",
             f"- **internal errors {internal}, silent damage {silent}, unusable states {unusable}**", ""]
    lines += [f"- {f}" for f in failures]
    text = "\n".join(lines) + "\n"
    print(text)
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as fh:
        fh.write(text)


if __name__ == "__main__":
    main()
