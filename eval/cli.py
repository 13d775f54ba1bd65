"""`rag eval`: methods side by side on labeled queries, or labeled queries mined from git."""
from __future__ import annotations

import json
import os
import sys

from eval.settings import EvalSettings
from rag.cli.common import check_output, embedder_arg, index_dir_arg, json_text, retrieval_settings, say_waiting_for_the_index
from rag.cli.flags import add_setting_flag, settings_from_args

EVAL_FLAGS = ["methods", "level", "k"]


def add_parser(sub) -> None:
    ev = sub.add_parser("eval", help="evaluate methods side by side on labeled queries (JSONL)",
                        description="Run every method over the same labeled queries and compare accuracy, "
                                    "latency and memory.")
    ev.add_argument("labeled", nargs="?", help="labeled queries: JSONL with `query` and `gold_files`/`gold_modules`")
    ev.add_argument("--from-git", action="store_true",
                    help="instead: mine labeled queries from the repository's git history (commit message -> "
                         "the one or two source files it changed) and write them as JSONL")
    window = ev.add_mutually_exclusive_group()
    window.add_argument("--since", metavar="DATE", help="with --from-git: only commits after DATE (ISO 8601: 2022-03-11)")
    window.add_argument("--last", type=int, metavar="N", help="with --from-git: only the last N commits")
    ev.add_argument("--out", metavar="FILE", help="with --from-git: write the JSONL here (default: stdout)")
    ev.add_argument("--compare", nargs=2, metavar=("BEFORE", "AFTER"),
                    help="instead: compare two saved runs (`--report` directories or their queries.jsonl) question "
                         "by question: Acc@1 and MRR differences with 95%% intervals and an exact McNemar test")
    ev.add_argument("--repo", default=None, metavar="PATH", help="repository root (default: .)")
    embedder_arg(ev)
    index_dir_arg(ev)
    for name in EVAL_FLAGS:
        add_setting_flag(ev, name, (EvalSettings, ""))
    from rag.settings import LLMSettings

    # the model of the llm methods: an adapter trained with `rag finetune --base-model DIR` is that model's
    add_setting_flag(ev, "model", (LLMSettings, "for the llm methods"),
                     help="with --methods …,llm or llm-base: a local Hugging Face causal-LM directory")
    ev.add_argument("--json", action="store_true", help="print the summary as JSON")
    ev.add_argument("--report", metavar="DIR", help="also write report.json, report.md, queries.jsonl and a plot")
    ev.add_argument("-v", "--verbose", action="store_true", help="list gold modules missing from the index")
    ev.set_defaults(run=_cmd_eval)


# the flags of one or two of the three modes, each silently ignored in the others before (QA sweep 5)
# (flag, argument name, the mode or modes it goes with)
_MODE_FLAGS = [("--since", "since", "--from-git"), ("--last", "last", "--from-git"), ("--out", "out", "--from-git"),
               ("--report", "report", "an evaluation"), ("-v", "verbose", "an evaluation"),
               ("--embedder", "embedder", "an evaluation"), ("--index-dir", "index_dir", "an evaluation or --from-git"),
               ("--repo", "repo", "an evaluation or --from-git"),
               ("--methods", "methods", "an evaluation"), ("--level", "level", "an evaluation"),
               ("-k", "k", "an evaluation"), ("--model", "model", "an evaluation"),
               ("--json", "json", "an evaluation or --compare")]


def _refuse_flags_of_other_modes(args) -> None:
    from graph.errors import RagError

    mode = "--from-git" if args.from_git else "--compare" if args.compare else "an evaluation"
    for flag, dest, modes in _MODE_FLAGS:
        if getattr(args, dest) not in (None, False) and mode not in modes:
            raise RagError(f"{flag} goes with {modes}, not with {mode}")


def _cmd_eval(args) -> int:
    if args.compare and (args.labeled or args.from_git):
        from graph.errors import RagError
        raise RagError("--compare reads two saved runs: give it no labeled-query file and no --from-git")
    if args.from_git and args.labeled is not None:  # '' too: it was taken for no file (sweep 13)
        from graph.errors import RagError
        raise RagError(f"--from-git mines labeled queries from the history: give it no labeled-query file "
                       f"({args.labeled!r}), or leave --from-git out to evaluate that file")
    _refuse_flags_of_other_modes(args)
    args.repo = "." if args.repo is None else args.repo
    if args.from_git:
        return _cmd_mine(args)
    if args.compare:
        return _cmd_compare(args)
    if not args.labeled:
        from graph.errors import RagError
        raise RagError("give a labeled-query file, or --from-git to mine one")
    from eval.dataset import load_labeled
    from eval.report import check_report_directory, paired_text, table, to_dict, write_report
    from eval.runner import evaluate
    from graph.errors import RagError
    from rag.engine import Engine
    from rag.progress import StderrProgress
    from rag.settings import LLMSettings

    settings = settings_from_args(EvalSettings, args, EVAL_FLAGS)
    if settings.files_only and "dir" in settings.levels:
        print(f"rag: note: {', '.join(settings.files_only)} rank(s) files only: left out of the folder level",
              file=sys.stderr)
    if args.model:
        if not any(m.startswith("llm") for m in settings.methods):
            raise RagError("--model goes with the llm methods (--methods …,llm or llm-base)")
        from rag.llm.model import model_dir
        model_dir(args.model)  # a wrong path fails here, in one line, before any work
    check_output(args.report, "--report", directory=True)
    if args.report:
        check_report_directory(args.report)
        if os.path.isfile(os.path.join(args.report, "report.json")):  # QA sweep 7: the BEFORE of a --compare, lost
            print(f"rag: note: {args.report} holds an earlier run's report: this run replaces it (copy it first to "
                  "compare the two with --compare)", file=sys.stderr)
    queries = load_labeled(args.labeled)
    progress = StderrProgress()
    try:
        engine = Engine.open(args.repo, index_dir=args.index_dir,
                             settings=retrieval_settings(args.embedder, args.repo, args.index_dir),
                             progress=progress, llm=LLMSettings(model=args.model) if args.model else LLMSettings(),
                             on_lock_wait=say_waiting_for_the_index)
        if engine.stale_note():  # as `rag ask` says it: the figures are of the index, not of the code now
            print(f"rag: warning: {engine.stale_note()}; evaluating it as it is (`rag index` updates it first)",
                  file=sys.stderr)
        if "llm" in settings.methods and engine.current_adapter() is None:
            print("rag: warning: this index has no tuned adapter for the model: `llm` is the base model, as "
                  "`llm-base` (`rag finetune` tunes it)", file=sys.stderr)
        report = evaluate(engine, args.labeled, queries, list(settings.methods), list(settings.levels),
                          list(settings.k), progress)
    finally:
        progress.close()
    if report.missing_gold:
        print(f"rag: warning: {len(report.missing_gold)} gold modules are not in the index (scored as misses)"
              + ("" if args.verbose else "; --verbose lists them"), file=sys.stderr)
        if args.verbose:
            for g in report.missing_gold:
                print(f"  {g}", file=sys.stderr)
    if report.top_level_gold:
        print(f"rag: warning: {len(report.top_level_gold)} gold files are at the repository's top level, which no "
              f"folder holds ({', '.join(report.top_level_gold[:3])}{' …' if len(report.top_level_gold) > 3 else ''}): "
              "misses at --level dir", file=sys.stderr)
    if report.folder_gold:
        print(f"rag: warning: {len(report.folder_gold)} gold modules are folders or named modules "
              f"({', '.join(report.folder_gold[:3])}{' …' if len(report.folder_gold) > 3 else ''}), which a file "
              "ranking never gives: misses at --level file (--level dir ranks them)", file=sys.stderr)
    if args.report:
        for path in write_report(report, args.report):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        json.dump(to_dict(report), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"{report.n} queries, {os.path.basename(args.labeled)} on {report.repo}")
        print(table(report))
        if report.paired:
            print()
            print(paired_text(report))
    return 0

def _cmd_compare(args) -> int:
    from dataclasses import asdict

    from eval.runs import compare_runs, load_run

    before, after = (load_run(path) for path in args.compare)
    comparisons = compare_runs(before, after)
    compared = {(c.method, c.level) for c in comparisons}
    for run, path in ((before, args.compare[0]), (after, args.compare[1])):
        alone = sorted(f"{m} ({level})" for m, level in run if (m, level) not in compared)
        if alone:  # they vanished without a word
            print(f"rag: {', '.join(alone)} only in {path}: not compared", file=sys.stderr)
    if args.json:
        json.dump([asdict(c) | {"significant": c.paired.significant} for c in comparisons], sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    print(f"{args.compare[0]} → {args.compare[1]}, question by question "
          f"(95% intervals; p: exact McNemar test on the questions only one run answers right at rank 1):")
    for c in comparisons:
        p = c.paired
        left_out = (f"; left out, asked by one run only: {c.only_before} before, {c.only_after} after"
                    if c.only_before or c.only_after else "")
        left_out += f"; left out, gold changed between the runs: {c.gold_changed}" if c.gold_changed else ""
        print(f"  {c.method} ({c.level}), {p.n} question{'' if p.n == 1 else 's'}{left_out}")
        print(f"    Acc@1 {p.describe()}")
        print(f"    MRR {p.describe_mrr()}")
    return 0


def _cmd_mine(args) -> int:
    from graph.errors import RagError
    from graph.history import checked_date
    from graph.index_location import check_repo, where_index
    from rag.commit_queries import mine

    if args.last is not None and args.last < 1:
        raise RagError("--last must be 1 or more")
    if args.since is not None:
        try:
            checked_date(args.since, "--since")
        except ValueError as e:
            raise RagError(str(e)) from None
    check_output(args.out, "--out")
    result = mine(check_repo(args.repo), since=args.since, last=args.last)
    within = where_index(args.repo, args.index_dir)[1]
    if within:  # a folder answered from its repository's index: gold files by that index's module IDs
        result.rows = [{**row, "gold_files": [within + f for f in row["gold_files"]]} for row in result.rows]
    lines = "".join((json.dumps(row, ensure_ascii=False) if args.out else json_text(row)) + "\n" for row in result.rows)
    if args.out:
        from graph.durable import atomic_write
        try:
            atomic_write(args.out, lines)
        except OSError as e:  # checked before the work, and still: a full disk, a directory gone meanwhile
            raise RagError(f"cannot write {args.out}: {e.strerror or e}") from None
    else:
        sys.stdout.write(lines)
    print(f"mined {len(result.rows)} labeled queries from {result.scanned} commits"
          + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    for reason, count in result.dropped.most_common():
        print(f"  dropped {count}: {reason}", file=sys.stderr)
    if args.since and not result.scanned:
        print(f"  no commit of this repository is from {args.since} or later", file=sys.stderr)
    return 0
