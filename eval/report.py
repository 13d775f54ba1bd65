"""An evaluation for people and for tools: a table, JSON, and a report directory with a plot."""
from __future__ import annotations

import json
import os
from dataclasses import asdict

from eval.runner import EvalReport
from graph.durable import atomic_write
from graph.errors import RagError


def summary_rows(report: EvalReport) -> list[dict]:
    rows = []
    for r in report.results:
        row = {"method": r.method, "level": r.level, "n": r.n}
        row.update({f"acc@{k}": r.accuracy[k] for k in report.ks})
        row.update({f"strict@{k}": r.strict[k] for k in report.ks})
        row.update({"mrr": r.mrr, "p50_ms": r.p50_ms, "p95_ms": r.p95_ms, "peak_rss_mb": r.peak_rss_mb,
                    "gold_not_in_candidates": r.gold_not_in_candidates, "by_confidence": r.by_confidence})
        rows.append(row)
    return rows


def paired_rows(report: EvalReport) -> list[dict]:
    return [{"baseline": c.baseline, "method": c.method, "level": c.level, **asdict(c.paired),
             "significant": c.paired.significant} for c in report.paired]


def paired_text(report: EvalReport) -> str:
    """Lines under the table: is each method's difference from the first more than chance?"""
    if not report.paired:
        return ""
    width = max(len(f"{c.method} ({c.level})") for c in report.paired)
    lines = [f"Acc@1 against {report.paired[0].baseline}, question by question (95% interval; p: exact McNemar test):"]
    lines += [f"  {f'{c.method} ({c.level})'.ljust(width)}  {c.paired.describe()}" for c in report.paired]
    return "\n".join(lines)


def to_dict(report: EvalReport) -> dict:
    return {"dataset": report.dataset, "repo": report.repo, "n": report.n, "ks": report.ks,
            "missing_gold": report.missing_gold, "top_level_gold": report.top_level_gold,
            "folder_gold": report.folder_gold, "left_out": report.left_out,
            "results": summary_rows(report), "paired": paired_rows(report)}


def table(report: EvalReport, markdown: bool = False) -> str:
    rows = summary_rows(report)
    headers = ["method", "level"] + [f"Acc@{k}" for k in report.ks] + [f"strict@{max(report.ks)}", "MRR",
                                                                      "p50 ms", "p95 ms", "RSS MB", "gold missed"]
    lines = [[r["method"], r["level"]] + [f"{r[f'acc@{k}']:.1f}" for k in report.ks]
             + [f"{r[f'strict@{max(report.ks)}']:.1f}", f"{r['mrr']:.3f}", f"{r['p50_ms']:.1f}",
                f"{r['p95_ms']:.1f}", f"{r['peak_rss_mb']:.0f}", str(r["gold_not_in_candidates"])] for r in rows]
    if markdown:
        out = ["| " + " | ".join(headers) + " |", "|" + " --- |" * len(headers)]
        out += ["| " + " | ".join(line) + " |" for line in lines]
        return "\n".join(out)
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(headers)]

    def aligned(cells: list[str]) -> str:  # names to the left, numbers to the right
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([aligned(headers)] + [aligned(line) for line in lines])


def confidence_table(report: EvalReport) -> str:
    """Markdown: per method, Acc@1 / Acc@3 of the queries whose answer's confidence lies in each band."""
    bands = [b["band"] for b in report.results[0].by_confidence] if report.results else []
    out = [("How often the first answer was right, by its confidence (Acc@1 / Acc@3 %, how many queries; "
            "hybrid's at file level meant as the chance of being right, the others' a softmax share):"), "",
           "| method | level | " + " | ".join(f"confidence {b}" for b in bands) + " |",
           "|" + " --- |" * (2 + len(bands))]
    out += [f"| {r.method} | {r.level} | " + " | ".join(band_cells(r.by_confidence)) + " |" for r in report.results]
    return "\n".join(out)


def band_cells(by_confidence: list[dict]) -> list[str]:
    """Each band of eval.metrics.accuracy_by_confidence as a table cell: "Acc@1 / Acc@3 (how many)"."""
    return [f"{b['acc@1']:.1f} / {b['acc@3']:.1f} ({b['n']})" if b["n"] else "– (0)" for b in by_confidence]


REPORT_FILES = ("report.json", "report.md", "queries.jsonl", "acc_at_k.png")


def check_report_directory(directory: str) -> None:
    """Fail before any work where the report could not be written over (a folder by one of its names)."""
    for name in REPORT_FILES:
        if os.path.isdir(os.path.join(directory, name)):
            raise RagError(f"--report {directory}: {name} there is a directory, not a file")


def write_report(report: EvalReport, directory: str) -> list[str]:
    """report.json, report.md, queries.jsonl and acc_at_k.png in `directory`, each written whole or not
    at all (graph/durable.py); returns their paths."""
    paths = {name: os.path.join(directory, name) for name in REPORT_FILES}
    queries = (json.dumps({"method": r.method, "level": r.level, **asdict(q)}, ensure_ascii=False) + "\n"
               for r in report.results for q in r.queries)
    try:
        os.makedirs(directory, exist_ok=True)
        atomic_write(paths["report.json"], json.dumps(to_dict(report), indent=1))
        atomic_write(paths["queries.jsonl"], queries)
        atomic_write(paths["acc_at_k.png"], lambda path: _plot(report, path))
        atomic_write(paths["report.md"], _markdown(report))
    except OSError as e:  # a full disk, a directory gone read-only: one line, and no half-written file
        raise RagError(f"cannot write the report to {directory}: {e.strerror or e}") from None
    return list(paths.values())


def _markdown(report: EvalReport) -> str:
    text = (f"# rag eval: {os.path.basename(report.dataset)}\n\n"
            f"{report.n} queries on `{os.path.basename(report.repo)}`. Acc@k: any gold module in the top k; strict: "
            f"all of them; MRR over the first gold; latency per query; RSS: peak of the process so far.\n\n"
            + table(report, markdown=True) + "\n\n![Acc@k per method](acc_at_k.png)\n")
    if report.paired:
        text += "\n" + paired_text(report).replace("\n  ", "\n- ") + "\n"
    text += "\n" + confidence_table(report) + "\n"
    if report.left_out:
        text += ("\nNot asked, since the method does not rank at that level (the LLM's answers are files): "
                 + ", ".join(report.left_out) + "\n")
    if report.missing_gold:
        text += (f"\n{len(report.missing_gold)} gold modules are not in the index (scored as misses): "
                 + ", ".join(f"`{g}`" for g in report.missing_gold) + "\n")
    return text


def _plot(report: EvalReport, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4), dpi=100)
    for r in report.results:
        ax.plot(report.ks, [r.accuracy[k] for k in report.ks], marker="o", label=f"{r.method} ({r.level})")
    ax.set_xlabel("k")
    ax.set_ylabel("Acc@k (%)")
    ax.set_xticks(report.ks)
    ax.set_ylim(0, 102)
    ax.grid(alpha=0.3)
    ax.set_title(os.path.basename(report.dataset))
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, format="png")  # by name: the temporary file's suffix is .tmp
    plt.close(fig)
