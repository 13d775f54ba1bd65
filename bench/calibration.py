"""Fit what retrieval's confidence means: Platt scaling of the softmax share, with the question's length.

    python bench/calibration.py [--results DIR] [--out FILE] [--mined results/history/history_elsewhere.json]

Reads the per-question rows the benchmarks keep for hybrid answers at file level, each with its
softmax `share` (rag/retrieval/confidence.py) and the gold file's rank: `bash bench/dev_eval.sh` writes
results/{rich,scrapy,networkx}/queries.jsonl and `bench/issue_reports.py` results/issues/queries.jsonl
(the questions fit on) and, with `--data dev/issues_heldout.jsonl`, results/issues_heldout/queries.jsonl
(the check: seven repositories nothing was fit on) and, with `--data dev/issues_moto.jsonl`,
results/issues_moto/queries.jsonl (a second check: moto's reports from SWE-Gym). Each question's length is that of its full text in
dev/. A logistic regression on [logit(share), ln(characters)] gives the three numbers of
`HYBRID_FILES`; printed (and written to --out) per set: the expected calibration error and Brier score
of the raw share, of the shipped calibration and of the new fit, and the reliability of the shipped
calibration (per band of confidence: how many questions, their mean confidence, how often the first
answer was right).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from rag.retrieval.confidence import HYBRID_FILES, Calibration  # noqa: E402

DEV = os.path.join(HERE, "dev")
FIT = {"rich": "rich.jsonl", "scrapy": "scrapy.jsonl", "networkx": "networkx.jsonl", "issues": "issues.jsonl"}
CHECK = {"issues_heldout": "issues_heldout.jsonl", "issues_moto": "issues_moto.jsonl"}
BANDS = (0.0, 0.2, 0.4, 0.6, 0.8, 0.9, 1.0)


def questions(results: str, name: str, data: str) -> list[tuple[float, int, bool]]:
    """(share, characters, first answer right) of each hybrid file-level answer of one set."""
    text = {}
    for line in open(os.path.join(DEV, data), encoding="utf-8"):
        row = json.loads(line)
        text[row["id"]] = row["query"]
    out = []
    for line in open(os.path.join(results, name, "queries.jsonl"), encoding="utf-8"):
        row = json.loads(line)
        if row.get("method", "hybrid") != "hybrid" or row.get("level", "file") != "file" or row.get("share") is None:
            continue
        out.append((row["share"], len(text[row["id"]]), row["rank"] == 1))
    if not out:
        raise SystemExit(f"{results}/{name}/queries.jsonl has no hybrid file-level answer with a share: "
                         "re-run the benchmark that writes it")
    return out


def mined_questions(path: str) -> dict[str, list[tuple[float, int, bool]]]:
    """(share, characters, right) of `hybrid+history`'s answers per repository of a
    `bench/history_elsewhere.py` run (history_elsewhere.json), and of all of them together."""
    report = json.load(open(path, encoding="utf-8"))
    out = {f"mined: {name}": [(q["share"], q["chars"], q["rank"] == 1) for q in r["results"]["hybrid+history"]["queries"]]
           for name, r in report.items()}
    out[f"mined: all {len(report)}"] = [q for rows in out.values() for q in rows]
    return out


def fit(rows: list[tuple[float, int, bool]]) -> Calibration:
    """Platt scaling by (nearly unregularised) logistic regression, each set weighing as its questions."""
    from sklearn.linear_model import LogisticRegression

    inputs = np.array([Calibration.inputs(share, characters) for share, characters, _ in rows])
    model = LogisticRegression(C=100.0, max_iter=1000).fit(inputs, [r[2] for r in rows])
    a, b = model.coef_[0]
    return Calibration(round(float(a), 3), round(float(b), 3), round(float(model.intercept_[0]), 3))


def expected_calibration_error(p: np.ndarray, right: np.ndarray) -> float:
    """Mean |confidence − accuracy| over ten equal-width bands, each weighed by its questions."""
    bands = np.minimum((p * 10).astype(int), 9)
    return float(sum((bands == b).mean() * abs(p[bands == b].mean() - right[bands == b].mean())
                     for b in range(10) if (bands == b).any()))


def scores(p: np.ndarray, right: np.ndarray) -> str:
    return f"{expected_calibration_error(p, right):.3f} / {np.mean((p - right) ** 2):.3f}"


def reliability(p: np.ndarray, right: np.ndarray) -> list[str]:
    """Per band of confidence: "right % (mean confidence %, how many)"."""
    cells = []
    for low, high in zip(BANDS, BANDS[1:]):
        inside = (p >= low) & ((p < high) if high < 1 else (p <= 1))
        cells.append(f"{100 * right[inside].mean():.0f} ({100 * p[inside].mean():.0f}, {inside.sum()})"
                     if inside.any() else "– (0)")
    return cells


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--results", default=os.path.join(HERE, "results"))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "calibration.md"))
    ap.add_argument("--mined", metavar="JSON", help="also check on a bench/history_elsewhere.py run: commit "
                                                     "messages of other repositories, per repository")
    args = ap.parse_args()
    sets = {name: questions(args.results, name, data) for name, data in (FIT | CHECK).items()}
    checks = set(CHECK)
    if args.mined:
        mined = mined_questions(args.mined)
        sets |= mined
        checks |= set(mined)
    new = fit([q for name in FIT for q in sets[name]])
    lines = [f"shipped: {HYBRID_FILES}", f"new fit on {', '.join(FIT)} "
             f"({sum(len(sets[n]) for n in FIT)} questions): {new}", "",
             "| set | n | ECE / Brier: share | shipped calibration | new fit |", "| --- | --- | --- | --- | --- |"]
    right = {name: np.array([r[2] for r in rows], dtype=float) for name, rows in sets.items()}
    shipped = {name: np.array([HYBRID_FILES.probability(s, n) for s, n, _ in rows]) for name, rows in sets.items()}
    for name, rows in sets.items():
        share = np.array([r[0] for r in rows])
        refit = np.array([new.probability(s, n) for s, n, _ in rows])
        lines.append(f"| {name}{' (check)' if name in checks else ''} | {len(rows)} | {scores(share, right[name])} | "
                     f"{scores(shipped[name], right[name])} | {scores(refit, right[name])} |")
    lines += ["", "Shipped calibration, per band of confidence: right % (mean confidence %, how many)", "",
              "| set | " + " | ".join(f"{low:g}–{high:g}" for low, high in zip(BANDS, BANDS[1:])) + " |",
              "| --- |" + " --- |" * (len(BANDS) - 1)]
    for name in sets:
        lines.append(f"| {name} | " + " | ".join(reliability(shipped[name], right[name])) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(args.out, "w", encoding="utf-8") as fh:
        fh.write(f"# What the confidence means (`python bench/calibration.py`)\n\n{text}")


if __name__ == "__main__":
    main()
