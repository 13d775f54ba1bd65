"""Do the tests most similar to a question point at the module to change? (issue 16, measured offline)

    python bench/tests_as_evidence.py --signals signals.pkl --clones CLONES [--sources DIR] [--imports]

A repository's tests exercise its code with the same calls a report's example makes, so BM25 (rag's
tokenizer and BM25) over the test files at each query's commit, then each of the ten best tests
giving its score to the source file it tests, could add evidence retrieval lacks. A test maps to a
file by name (`tests/test_partfrac.py` → the nearest `partfrac.py`) and, with `--imports`, also to
the source files it imports by dotted path. The signal (scaled so the best file has 1, or z-scored)
is added to hybrid's fused score from `bench/fusion_fit.py collect` at a few weights; Acc@1/@5 per set.
"""
import argparse
import json
import os
import pickle
import re
import subprocess
import sys
from collections import defaultdict

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

SETS = ("rich", "scrapy", "networkx", "issues")
IMPORT = re.compile(r"^\s*(?:from\s+([\w.]+)\s+import\s+([\w, ()]+)|import\s+([\w.]+))", re.M)
WEIGHTS = (0.0, 0.25, 0.5, 1.0, 2.0, 3.0)


def python_tests_in_tree(tree: str) -> dict[str, str]:
    from graph.roles import TEST, file_role

    out = {}
    for directory, dirs, files in os.walk(tree):
        dirs[:] = [d for d in dirs if d not in (".git", ".rag")]
        for name in files:
            path = os.path.relpath(os.path.join(directory, name), tree)
            if name.endswith(".py") and file_role(path) == TEST:
                with open(os.path.join(directory, name), errors="replace") as fh:
                    out[path] = fh.read()
    return out


def python_tests_at_commit(clone: str, sha: str) -> dict[str, str]:
    from graph.roles import TEST, file_role

    listing = subprocess.run(["git", "-C", clone, "ls-tree", "-r", "--name-only", sha], capture_output=True,
                             text=True, check=True).stdout.splitlines()
    paths = [p for p in listing if p.endswith(".py") and file_role(p) == TEST]
    raw = subprocess.run(["git", "-C", clone, "cat-file", "--batch"], capture_output=True, check=True,
                         input="".join(f"{sha}:{p}\n" for p in paths).encode()).stdout
    out, at = {}, 0
    for path in paths:  # each object: "<sha> blob <size>\n<bytes>\n"
        newline = raw.index(b"\n", at)
        size = int(raw[at:newline].split()[2])
        out[path] = raw[newline + 1:newline + 1 + size].decode("utf-8", "replace")
        at = newline + 1 + size + 1
    return out


def tested_files(tests: dict[str, str], files: list[str], imports: bool) -> dict[str, set[str]]:
    """Each test's source files: the nearest file of its name, and with `imports` what it imports."""
    known, by_name = set(files), defaultdict(list)
    for f in files:
        by_name[os.path.basename(f)].append(f)
    out = {}
    for test, text in tests.items():
        targets = set()
        stem = re.sub(r"^test_|_test$|_tests$", "", os.path.basename(test)[:-3])
        if by_name.get(stem + ".py"):
            targets.add(max(by_name[stem + ".py"], key=lambda f: len(os.path.commonprefix([f, test]))))
        for m in IMPORT.finditer(text) if imports else ():
            path = (m.group(1) or m.group(3)).replace(".", "/")
            names = re.findall(r"\w+", m.group(2)) if m.group(1) else []
            targets |= {p for p in [path + ".py"] + [f"{path}/{n}.py" for n in names] if p in known}
        out[test] = targets
    return out


def collect(rows, queries, issues, clones, sources, imports: bool) -> dict[str, np.ndarray]:
    from rag.retrieval.question import parse_query
    from rag.retrieval.sparse import TermCounts
    from rag.retrieval.tokenize import document_terms

    out, built = {}, {}
    for r in sorted(rows, key=lambda r: (r["set"], issues.get(r["id"], {}).get("base_commit_date", ""))):
        key = issues[r["id"]]["base_commit"] if r["set"] == "issues" else r["set"]
        if key not in built:
            tests = (python_tests_at_commit(os.path.join(clones, r["repo"]), key) if r["set"] == "issues"
                     else python_tests_in_tree(os.path.join(sources, r["set"])))
            names = sorted(tests)
            built = {key: (names, TermCounts.build([dict(document_terms(tests[n])) for n in names]).bm25(1.2, 0.5),
                           tested_files(tests, r["files"], imports))}
        names, index, tested = built[key]
        scores = index.scores(parse_query(queries[r["id"]], frozenset()).tokens)
        position = {f: i for i, f in enumerate(r["files"])}
        signal = np.zeros(len(r["files"]))
        for j in np.argsort(-scores)[:10]:
            if scores[j] <= 0:
                break
            for f in tested[names[j]]:
                signal[position[f]] = max(signal[position[f]], scores[j])
        out[r["id"]] = signal
    return out


def main() -> None:
    from fusion_fit import features
    from rag.retrieval.fusion import standardise
    from rag.settings import RetrievalSettings

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--signals", required=True, help="bench/fusion_fit.py collect's output")
    ap.add_argument("--clones", required=True)
    ap.add_argument("--sources", default=os.path.join(HERE, "..", ".bench-sources"))
    ap.add_argument("--imports", action="store_true", help="a test also points at the files it imports")
    args = ap.parse_args()
    rows = pickle.load(open(args.signals, "rb"))
    queries, issues = {}, {}
    for name in SETS:
        for line in open(os.path.join(HERE, "dev", f"{name}.jsonl")):
            d = json.loads(line)
            queries[d["id"]] = d["query"]
            if name == "issues":
                issues[d["id"]] = d
    tests = collect(rows, queries, issues, args.clones, args.sources, args.imports)
    weights = RetrievalSettings().weights()
    base = {r["id"]: features(r, list(weights)) @ np.array(list(weights.values())) for r in rows}
    slices = [(s, [r for r in rows if r["set"] == s]) for s in SETS]
    slices += [(repo, [r for r in rows if r["set"] == "issues" and r["repo"] == repo]) for repo in ("astropy", "sympy")]
    for scale in ("best = 1", "z-score"):
        print(f"\n| tests' weight ({scale}) | " + " | ".join(f"{s} ({len(part)})" for s, part in slices) + " |")
        print("| --- " * (len(slices) + 1) + "|")
        for w in WEIGHTS:
            cells = []
            for _, part in slices:
                ranks = []
                for r in part:
                    t = tests[r["id"]]
                    t = (t / t.max() if scale == "best = 1" else standardise(t)) if t.max() > 0 else t
                    order = list(np.argsort(-(base[r["id"]] + w * t), kind="stable")[:5])
                    ranks.append(next((i + 1 for i, j in enumerate(order) if r["files"][j] in r["gold"]), None))
                cells.append(f"{100 * sum(x == 1 for x in ranks) / len(ranks):.1f} / "
                             f"{100 * sum(x is not None for x in ranks) / len(ranks):.1f}")
            print(f"| {w:g} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
