"""Learning from history, judged as a user meets it: trained on the past, asked about the future.

    python bench/time_split.py --clones DIR [--work DIR] [--sets rich,scrapy,networkx] [--out DIR]
                               [--full-sets]

DIR holds full-history clones of Textualize/rich, scrapy/scrapy and networkx/networkx named `rich`,
`scrapy`, `networkx` (the search tool's `fetch`, then `git clone`). For each set, bench/dev/timesplit.json
gives a cut commit C and the ids of the queries committed after C whose gold files exist at C. A copy
of the clone is checked out at C in --work and indexed there, so the index holds the history up to C
and nothing later; the queries after C are asked of it under each configuration:

    hybrid            today's ranking without the history signal (w_history = 0)
    hybrid+history    the same index, with similar past changes (rag/retrieval/past_changes.py)

`--full-sets` also asks every query of the three commit sets at the set's pinned release tag, each
`as_of` its own date (rag eval's time-awareness: only older commits are evidence, never its own).
Prints a table and writes time_split.json and time_split.md to --out (bench/results/history/).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import replace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

DEV = os.path.join(HERE, "dev")
SETS = ("rich", "scrapy", "networkx")
TAGS = {"rich": "v14.3.3", "scrapy": "2.18.0", "networkx": "networkx-3.6.1"}


def checkout_copy(clone: str, target: str, commit: str) -> str:
    """A work tree of `clone` at `commit` (a fresh clone of the clone, so the original is left alone)."""
    if not os.path.isdir(os.path.join(target, ".git")):
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run(["git", "clone", "-q", "--no-checkout", clone, target], check=True)
    # a fetched snapshot may lack a few large data files: checkout then complains while HEAD moves
    subprocess.run(["git", "-C", target, "checkout", "-q", "-f", commit], stderr=subprocess.DEVNULL)
    head = subprocess.run(["git", "-C", target, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    tag_commit = subprocess.run(["git", "-C", target, "rev-parse", commit + "^{commit}"], capture_output=True,
                                text=True).stdout.strip()
    if head != tag_commit:
        raise SystemExit(f"could not check out {commit} in {target}")
    subprocess.run(["git", "-C", target, "clean", "-q", "-fdx", "-e", ".rag"], check=True)
    return target


def measure(engine, queries, configurations: dict, time_aware: bool) -> dict:
    from eval.methods import ranking
    from eval.metrics import accuracy_by_confidence, percentile
    from rag.ranking_metrics import accuracy_at, first_rank, mean_reciprocal_rank

    out = {}
    for name, settings in configurations.items():
        engine.retriever.settings = settings
        ranks, times, rows, confidences = [], [], [], []
        for q in queries:
            start = time.perf_counter()
            result = engine.ask(q.query, k=10, as_of=q.as_of if time_aware else None)
            times.append((time.perf_counter() - start) * 1000)
            answer = ranking(result)
            rank = first_rank(answer.modules, q.gold_files)
            ranks.append(rank)
            confidences.append(answer.confidence)
            rows.append({"id": q.id, "rank": rank, "top": answer.modules[:3], "confidence": answer.confidence,
                         "share": answer.share, "chars": len(q.query)})
        out[name] = {"n": len(ranks), "acc1": round(100 * accuracy_at(ranks, 1), 1),
                     "acc5": round(100 * accuracy_at(ranks, 5), 1), "mrr": round(mean_reciprocal_rank(ranks), 3),
                     "p50_ms": round(percentile(times, 50), 1),
                     "by_confidence": accuracy_by_confidence(confidences, ranks), "queries": rows}
    return out


def run_set(name: str, clone: str, work: str, commit: str, ids: set[str] | None, time_aware: bool) -> dict:
    from eval.dataset import load_labeled
    from rag.engine import Engine
    from rag.settings import RetrievalSettings

    tree = checkout_copy(clone, os.path.join(work, f"{name}@{commit[:12]}"), commit)
    start = time.perf_counter()
    engine = Engine.open(tree, refresh=True)
    index_s = time.perf_counter() - start
    queries = [q for q in load_labeled(os.path.join(DEV, f"{name}.jsonl")) if ids is None or q.id in ids]
    base = RetrievalSettings()
    results = measure(engine, queries, {"hybrid": replace(base, w_history=0.0), "hybrid+history": base}, time_aware)
    manifest = engine.store.manifest()
    return {"commit": commit, "index_s": round(index_s, 1), "history_head": manifest.history_head,
            "past_changes": len(engine.retriever.past_changes() or ()), "results": results}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--clones", required=True)
    ap.add_argument("--work", default="/tmp/rag-time-split")
    ap.add_argument("--sets", default=",".join(SETS))
    ap.add_argument("--out", default=os.path.join(HERE, "results", "history"))
    ap.add_argument("--full-sets", action="store_true")
    ap.add_argument("--render", action="store_true", help="only re-write the results from --out's time_split.json")
    args = ap.parse_args()
    if args.render:
        write_results(args.out, "time_split", json.load(open(os.path.join(args.out, "time_split.json"))), markdown)
        return
    split = json.load(open(os.path.join(DEV, "timesplit.json")))
    report = {"time_split": {}, "full_sets": {}}
    for name in args.sets.split(","):
        s = split[name]
        report["time_split"][name] = run_set(name, os.path.join(args.clones, name), args.work, s["cut_commit"],
                                             set(s["eval_ids"]), time_aware=True)
        print(name, "time split", {k: (v["acc1"], v["acc5"], v["mrr"]) for k, v in
                                   report["time_split"][name]["results"].items()}, file=sys.stderr, flush=True)
        if args.full_sets:
            report["full_sets"][name] = run_set(name, os.path.join(args.clones, name), args.work, TAGS[name],
                                                None, time_aware=True)
            print(name, "full set", {k: (v["acc1"], v["acc5"], v["mrr"]) for k, v in
                                     report["full_sets"][name]["results"].items()}, file=sys.stderr, flush=True)
    write_results(args.out, "time_split", report, markdown)


def write_results(out: str, stem: str, report: dict, render) -> None:
    """STEM.json (the report) and STEM.md (`render(report)`) in `out`; the table printed too."""
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, f"{stem}.json"), "w") as fh:
        json.dump(report, fh, indent=1)
    with open(os.path.join(out, f"{stem}.md"), "w") as fh:
        fh.write(render(report))
    print(render(report))


def markdown(report: dict) -> str:
    lines = []
    for part, title in (("time_split", "Time split (index and history at the cut commit; queries after it)"),
                        ("full_sets", "Full dev sets at the release tag, each query as of its own date")):
        if not report[part]:
            continue
        lines += [f"### {title}", "", "| set | n | configuration | Acc@1 | Acc@5 | MRR | p50 ms |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for name, r in report[part].items():
            for config, m in r["results"].items():
                lines.append(f"| {name} | {m['n']} | {config} | {m['acc1']} | {m['acc5']} | {m['mrr']} | {m['p50_ms']} |")
        lines.append("")
        lines += paired_table(report[part], "hybrid", "hybrid+history")
        lines += confidence_table(report[part], "hybrid+history")
    return "\n".join(lines)


def paired_table(sets: dict, baseline: str, candidate: str) -> list[str]:
    """`candidate` against `baseline` question by question (eval.paired), per set and over all of them."""
    from eval.paired import compare_ranks

    ranks = {name: [({q["id"]: q["rank"] for q in r["results"][config]["queries"]}) for config in (baseline, candidate)]
             for name, r in sets.items()}
    pairs = {name: [(b[q], c[q]) for q in b if q in c] for name, (b, c) in ranks.items()}
    pairs["all sets"] = [pair for name in sets for pair in pairs[name]]
    lines = [f"{candidate} against {baseline}, question by question (95% paired bootstrap interval; p: exact McNemar test "
             "on the questions only one answers right at rank 1)", "",
             "| set | n | Acc@1 | better / worse | p | MRR |", "| --- | --- | --- | --- | --- | --- |"]
    for name, both in pairs.items():
        c = compare_ranks([b for b, _ in both], [a for _, a in both])
        lines.append(f"| {name} | {c.n} | {c.baseline_acc1} → {c.candidate_acc1}: {c.acc1_delta:+.1f} "
                     f"[{c.acc1_interval[0]:+.1f}, {c.acc1_interval[1]:+.1f}] | {c.wins} / {c.losses} | {c.p_value:.3g} | "
                     f"{c.describe_mrr()} |")
    lines.append("")
    return lines


def confidence_table(sets: dict, config: str) -> list[str]:
    """How often `config`'s answer was right per band of its confidence (eval.metrics.accuracy_by_confidence)."""
    from eval.report import band_cells

    bands = [b["band"] for b in next(iter(sets.values()))["results"][config]["by_confidence"]]
    lines = [f"{config}: Acc@1 / Acc@3 of the questions whose answer's confidence lies in each band (how many)", "",
             "| set | " + " | ".join(bands) + " |", "| --- |" + " --- |" * len(bands)]
    lines += [f"| {name} | " + " | ".join(band_cells(r["results"][config]["by_confidence"])) + " |"
              for name, r in sets.items()]
    lines.append("")
    return lines


if __name__ == "__main__":
    main()
