"""The `rag` command line. Heavy modules are imported inside the commands so `rag --help` is instant."""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from graph.errors import RagError

    try:
        return args.run(args)
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted; the index is as it was before this run", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: one line for the user, the traceback only on request
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"rag: internal error: {type(e).__name__}: {e} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        return 3


DAMAGED_EXIT = 4  # rag index --check: 0 fresh, 1 stale, 2 bad input, 3 a bug of ours, 4 damaged


def _parser() -> argparse.ArgumentParser:
    from graph.version import TOOL_VERSION

    p = argparse.ArgumentParser(prog="rag", description="Which module of this repository handles X? "
                                "Local, offline code-knowledge-graph search.")
    p.add_argument("--version", action="version", version=f"rag {TOOL_VERSION}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ix = sub.add_parser("index", help="build or update the index of a repository",
                        description="Parse the repository into a code knowledge graph and write the index "
                                    "directory. Rebuilds are incremental: only changed files are re-parsed.")
    ix.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    _index_dir_arg(ix)
    ix.add_argument("--full", action="store_true", help="rebuild everything, ignoring the previous index")
    ix.add_argument("--check", action="store_true",
                    help="only report whether the index is fresh: exit 0 if fresh, 1 if stale (prints what changed), "
                         "4 if its files are damaged")
    ix.add_argument("--jobs", type=_non_negative_int, default=0, metavar="N",
                    help="parse with N processes (default 0: one per core when there are many files)")
    ix.add_argument("--include", action="append", default=[], metavar="GLOB",
                    help="index only source files matching this gitignore-style pattern (repeatable)")
    ix.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                    help="also skip paths matching this gitignore-style pattern (repeatable)")
    ix.add_argument("--no-history", dest="history", action="store_const", const=False, default=None,
                    help="leave the git history out of the index (remembered: later runs keep it out until --full)")
    ix.add_argument("--embedder", default=None, metavar="NAME|DIR",
                    help="sentence-transformers model: auto (default: the index's tuned one from `rag finetune "
                         "--retriever` if any, else the bundled all-MiniLM-L6-v2), all-MiniLM-L6-v2, or a local directory")
    ix.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    ix.set_defaults(run=_cmd_index)

    ask = sub.add_parser("ask", help="which module handles X? ranked modules with evidence",
                         description="Answer with the module of the repository most likely to handle the "
                                     "question: a requirement, a commit message or a whole bug report.")
    ask.add_argument("question", nargs="?", default=None,
                     help="the question, requirement or bug report (quote it); - reads it from standard input")
    ask.add_argument("--file", default=None, metavar="REPORT",
                     help="read the question from a file (a whole issue report, longer than a command line holds)")
    ask.add_argument("--repo", default=".", metavar="PATH", help="repository root (default: .)")
    _index_dir_arg(ask)
    ask.add_argument("-k", type=int, default=10, metavar="N", help="how many candidates to list (default 10)")
    ask.add_argument("--level", default="file", help="rank files (default) or directories: file|dir")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--refresh", action="store_true", help="bring a stale index up to date before answering")
    ask.add_argument("--embedder", default=None, metavar="NAME|DIR", help="as for `rag index`")
    ask.add_argument("--llm", action="store_true",
                     help="let a local LLM pick among the candidates (default model: SmolLM2-135M-Instruct)")
    ask.add_argument("--model", default=None, metavar="DIR", help="with --llm: a local Hugging Face causal-LM directory")
    ask.add_argument("--think", action="store_true",
                     help="the LLM (--llm implied) writes a short rationale before its answer (for bigger models)")
    ask.add_argument("--scope", default=None, choices=("candidates", "all"),
                     help="with --llm: score the retrieved candidates (default) or decode over all module IDs")
    ask.add_argument("--adapter", default=None, metavar="DIR|none",
                     help="with --llm: a LoRA adapter directory, or none (default: the index's own, from rag finetune)")
    ask.set_defaults(run=_cmd_ask)

    ft = sub.add_parser("finetune", help="teach the LLM this repository's modules (a LoRA adapter)",
                        description="Generate training examples from the index (queries phrased from the code's "
                                    "own docstrings and names, candidates from the real retriever) and train a "
                                    "LoRA adapter that `rag ask --llm` then uses; or, with --retriever, tune the "
                                    "embedder on the same queries and re-embed the index. Runs on CPU; see README.")
    ft.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    _index_dir_arg(ft)
    ft.add_argument("--base-model", default=None, metavar="DIR",
                    help="a local Hugging Face causal-LM directory (default: SmolLM2-135M-Instruct)")
    ft.add_argument("--retriever", action="store_true",
                    help="tune the sentence embedder instead (contrastive, in-batch negatives); kept and "
                         "the index re-embedded unless it ranks the held-out queries worse")
    ft.add_argument("--force", action="store_true",
                    help="with --retriever: keep the tuned embedder even when it fails the held-out check")
    ft.add_argument("--hard-negatives", action="store_true",
                    help="with --retriever: also the retriever's best wrong module per query (twice the time)")
    ft.add_argument("--epochs", type=_positive_int, default=None, metavar="N",
                    help="training epochs (default 2; with --retriever 1)")
    ft.add_argument("--max-minutes", type=float, default=25.0, metavar="M",
                    help="stop training after M minutes, keeping the best adapter so far (default 25)")
    ft.add_argument("--max-examples", type=_positive_int, default=1500, metavar="N",
                    help="train on at most N examples a epoch, sampled (default 1500)")
    ft.add_argument("--labels", default="plain", choices=("plain", "cot", "both"),
                    help="train on bare IDs (default), chains of thought (for --think), or both")
    ft.add_argument("--lora-r", type=_positive_int, default=16, metavar="R", help="LoRA rank (default 16)")
    ft.add_argument("--learning-rate", type=_positive_float, default=None, metavar="LR",
                    help="(default 3e-4; with --retriever 2e-5)")
    ft.add_argument("--gradient-checkpointing", action="store_true", help="less memory, slower steps")
    ft.add_argument("--qlora", action="store_true", help="4-bit NF4 base model via bitsandbytes (CUDA only)")
    ft.add_argument("--resume", action="store_true", help="continue from the last checkpoint of an interrupted run")
    ft.add_argument("--until", metavar="DATE",
                    help="train on commits older than DATE only (ISO 8601, e.g. 2022-03-11): the rest is the future "
                         "to test on")
    ft.add_argument("--dump-data", metavar="FILE", help="only write the examples training would use as JSONL, and stop")
    ft.add_argument("--merge", metavar="OUT", help="only write the base model with the current adapter merged in")
    ft.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ft.set_defaults(run=_cmd_finetune)

    ev = sub.add_parser("eval", help="evaluate methods side by side on labeled queries (JSONL)",
                        description="Run every method over the same labeled queries and compare accuracy, "
                                    "latency and memory.")
    ev.add_argument("labeled", nargs="?", help="labeled queries: JSONL with `query` and `gold_files`/`gold_modules`")
    ev.add_argument("--from-git", action="store_true",
                    help="instead: mine labeled queries from the repository's git history (commit message -> "
                         "the one or two source files it changed) and write them as JSONL")
    ev.add_argument("--since", metavar="DATE", help="with --from-git: only commits after DATE (git's --since)")
    ev.add_argument("--last", type=int, metavar="N", help="with --from-git: only the last N commits")
    ev.add_argument("--out", metavar="FILE", help="with --from-git: write the JSONL here (default: stdout)")
    ev.add_argument("--repo", default=".", metavar="PATH", help="repository root (default: .)")
    _index_dir_arg(ev)
    ev.add_argument("--methods", default="bm25,dense,hybrid", help="comma-separated (default: bm25,dense,hybrid)")
    ev.add_argument("--level", default="file", choices=("file", "dir", "both"), help="file (default), dir or both")
    ev.add_argument("-k", default="1,3,5,10", metavar="K,K,…", help="cut-offs for Acc@k (default 1,3,5,10)")
    ev.add_argument("--json", action="store_true", help="print the summary as JSON")
    ev.add_argument("--report", metavar="DIR", help="also write report.json, report.md, queries.jsonl and a plot")
    ev.add_argument("-v", "--verbose", action="store_true", help="list gold modules missing from the index")
    ev.set_defaults(run=_cmd_eval)

    mo = sub.add_parser("modules", help="list the modules of an indexed repository with their summaries")
    mo.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    _index_dir_arg(mo)
    mo.add_argument("--tree", action="store_true", help="show the module hierarchy as a tree")
    mo.add_argument("--json", action="store_true", help="print a JSON array of module objects (all of them)")
    mo.add_argument("--all", action="store_true",
                    help="also list tests, examples, docs and benchmarks (left out of the list and the tree by default)")
    mo.set_defaults(run=_cmd_modules)
    return p


def _index_dir_arg(p) -> None:
    p.add_argument("--index-dir", metavar="DIR", help="index directory (default: PATH/.rag)")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _cmd_index(args) -> int:
    from graph.indexer import IndexOptions, check, index, max_jobs
    from rag.progress import StderrProgress

    if args.jobs > max_jobs():
        print(f"rag: warning: --jobs {args.jobs} is more than this machine's {max_jobs()} cores: "
              f"parsing with {max_jobs()} processes", file=sys.stderr)

    options = IndexOptions(index_dir=args.index_dir, full=args.full, jobs=args.jobs,
                           include=tuple(args.include), exclude=tuple(args.exclude), history=args.history)
    from graph.indexer import default_index_dir
    from rag.retrieval.index_files import RetrievalExtension

    index_dir = args.index_dir or default_index_dir(args.path)
    extensions = [RetrievalExtension(_retrieval_settings(args.embedder), index_dir=index_dir)]
    if args.check:
        changes = check(args.path, options, extensions)
        if changes.damaged:
            print("index is damaged (`rag index` repairs it):")
            for line in changes.damaged:
                print(f"  {line}")
            return DAMAGED_EXIT
        if not changes.stale:
            print("index is fresh")
            return 0
        print("index is stale:")
        for line in changes.describe():
            print(f"  {line}")
        return 1
    progress = StderrProgress(quiet=args.quiet)
    try:
        report = index(args.path, options, progress,
                       on_lock_wait=lambda: print("rag: waiting for another `rag index` to finish …", file=sys.stderr),
                       extensions=extensions)
    finally:
        progress.close()
    if not args.quiet:
        _print_index_report(report)
    return 0


def _retrieval_settings(embedder: str | None):
    from rag.settings import AUTO_EMBEDDER, RetrievalSettings

    if not embedder or embedder == AUTO_EMBEDDER:
        return RetrievalSettings()
    from rag.embedding.embedder import embedder_path

    embedder_path(embedder)  # a wrong name fails here, in one line, before any work
    return RetrievalSettings(embedder=embedder)


def _check_output(path: str | None, what: str, directory: bool = False) -> None:
    """Fail before any work, not after it, when an output path cannot be written."""
    if not path:
        return
    from graph.errors import RagError

    if directory:
        if os.path.exists(path) and not os.path.isdir(path):
            raise RagError(f"{what} {path} is a file, not a directory")
        parent = os.path.dirname(os.path.abspath(path)) if not os.path.isdir(path) else path
    else:
        if os.path.isdir(path):
            raise RagError(f"{what} {path} is a directory, not a file")
        parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise RagError(f"{what} {path}: the directory {parent} does not exist")
    if not os.access(parent, os.W_OK):
        raise RagError(f"{what} {path}: the directory {parent} is not writable")


def _question(args) -> str:
    """The question from the command line, standard input (`-`) or `--file`; bytes that are not UTF-8
    (a paste from a Latin-1 log) become U+FFFD instead of failing."""
    from graph.errors import RagError

    if args.file is not None and args.question is not None:
        raise RagError("give the question either as an argument or with --file, not both")
    if args.file is not None:
        try:
            with open(args.file, "rb") as fh:
                data = fh.read()
        except OSError as e:
            raise RagError(f"cannot read the question from {args.file}: {e.strerror or e}") from None
        return data.decode("utf-8", "replace")
    if args.question is None:
        raise RagError("no question: give it as an argument, - to read standard input, or --file REPORT")
    if args.question == "-":
        return sys.stdin.buffer.read().decode("utf-8", "replace")
    return args.question  # Engine.ask replaces what the command line could not decode


def _cmd_ask(args) -> int:
    from rag.engine import Engine
    from rag.progress import StderrProgress

    question = _question(args)  # before any work: a missing file fails at once
    given = [flag for flag, value in (("--model", args.model), ("--scope", args.scope), ("--adapter", args.adapter))
             if value is not None]
    if given and not (args.llm or args.think):
        from graph.errors import RagError
        raise RagError(f"{' and '.join(given)} {'go' if len(given) > 1 else 'goes'} with --llm")
    if args.think and not args.llm:
        print("rag: warning: --think lets the LLM answer: --llm is implied", file=sys.stderr)
    args.scope, args.adapter = args.scope or "candidates", args.adapter or "auto"
    progress = StderrProgress()
    try:
        from rag.settings import LLMSettings

        llm = LLMSettings(scope=args.scope, think=args.think, adapter=args.adapter,
                          **({"model": args.model} if args.model else {}))
        if args.model:
            from rag.llm.model import model_dir

            model_dir(args.model)  # a wrong path fails here, in one line, before any work
        if args.adapter not in ("auto", "none") and not os.path.isfile(os.path.join(args.adapter, "adapter_config.json")):
            from graph.errors import ConfigError
            raise ConfigError(f"no LoRA adapter at {args.adapter} (no adapter_config.json)")
        engine = Engine.open(args.repo, index_dir=args.index_dir, settings=_retrieval_settings(args.embedder),
                             refresh=args.refresh, progress=progress, quick_start=True, llm=llm)
    finally:
        progress.close()
    use_llm = args.llm or args.think
    if use_llm and args.level != "file":
        from graph.errors import RagError
        raise RagError("--llm answers at file level only, for now")
    result = engine.ask(question, k=args.k, level=args.level, llm=use_llm)
    for warning in result.warnings:
        print(f"rag: warning: {warning}", file=sys.stderr)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        _print_answer(result, sys.stdout)
    return 0


def _cmd_mine(args) -> int:
    from rag.commit_queries import mine
    from graph.indexer import check_repo

    if args.last is not None and args.last < 1:
        from graph.errors import RagError
        raise RagError("--last must be 1 or more")
    _check_output(args.out, "--out")
    result = mine(check_repo(args.repo), since=args.since, last=args.last)
    lines = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in result.rows)
    if args.out:
        from graph.durable import atomic_write
        atomic_write(args.out, lines)
    else:
        sys.stdout.write(lines)
    print(f"mined {len(result.rows)} labeled queries from {result.scanned} commits"
          + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    for reason, count in result.dropped.most_common():
        print(f"  dropped {count}: {reason}", file=sys.stderr)
    return 0


def _positive_int(text: str) -> int:
    value = _non_negative_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be more than 0")
    return value


def _cmd_finetune(args) -> int:
    import time

    started = time.monotonic()  # the time budget covers the whole command
    from finetune.pipeline import finetune, merge
    from finetune.train import TrainSettings
    from graph.indexer import default_index_dir
    from rag.engine import Engine
    from rag.llm.model import DEFAULT_MODEL, model_dir
    from rag.progress import StderrProgress

    if args.retriever:
        return _tune_retriever(args)
    if args.force or args.hard_negatives:
        from graph.errors import ConfigError
        raise ConfigError(f"{'--force' if args.force else '--hard-negatives'} goes with --retriever")
    base = args.base_model or DEFAULT_MODEL
    if args.base_model:
        model_dir(args.base_model)  # a wrong path fails here, in one line, before any work
    defaults = TrainSettings()
    settings = TrainSettings(base_model=base, epochs=args.epochs or defaults.epochs, max_minutes=args.max_minutes,
                             max_train_examples=args.max_examples, label_form=args.labels, lora_r=args.lora_r,
                             lora_alpha=2 * args.lora_r, learning_rate=args.learning_rate or defaults.learning_rate,
                             gradient_checkpointing=args.gradient_checkpointing, qlora=args.qlora)
    if args.qlora:
        from finetune.train import require_cuda_for_qlora
        require_cuda_for_qlora()  # before any work
    _check_output(args.dump_data, "--dump-data")
    data_settings = _data_settings(args)  # a bad --until fails here, before any work
    if args.merge:
        out = merge(args.index_dir or default_index_dir(args.path), args.merge, args.base_model)
        print(f"wrote the merged model to {out} (use it with rag ask --llm --model {out} --adapter none)",
              file=sys.stderr)
        return 0
    progress = StderrProgress(quiet=args.quiet)
    try:
        engine = Engine.open(args.path, index_dir=args.index_dir, progress=progress)
    finally:
        progress.close()
    report = finetune(engine, settings, data_settings, dump_data=args.dump_data, resume=args.resume,
                      progress=not args.quiet, started=started)
    if report is None:
        print(f"wrote the training examples to {args.dump_data}", file=sys.stderr)
        return 0
    print(f"trained on {report.train_examples} examples for {report.epochs_run:g} epochs in {report.seconds:.0f} s "
          f"({report.total_seconds:.0f} s in all; {report.stopped_because}); validation accuracy "
          f"{report.base_validation_accuracy} before, {report.best_validation_accuracy} after; "
          f"adapter {report.adapter} in {engine.store.dir}", file=sys.stderr)
    return 0


def _data_settings(args):
    from finetune.examples import DataSettings
    from graph.errors import ConfigError

    try:
        return DataSettings(until=args.until)
    except ValueError as e:
        raise ConfigError(f"--until: {e}") from None


def _tune_retriever(args) -> int:
    from finetune.pipeline import tune_retriever
    from finetune.retriever import RetrieverSettings
    from rag.engine import Engine
    from rag.progress import StderrProgress

    defaults = RetrieverSettings()
    settings = RetrieverSettings(epochs=args.epochs or defaults.epochs,
                                 learning_rate=args.learning_rate or defaults.learning_rate,
                                 hard_negatives=args.hard_negatives)
    data_settings = _data_settings(args)
    progress = StderrProgress(quiet=args.quiet)
    try:
        engine = Engine.open(args.path, index_dir=args.index_dir, progress=progress)
        report = tune_retriever(engine, settings, data_settings, progress=progress, force=args.force)
    finally:
        progress.close()
    b, a = report.before, report.after
    verdict = ("kept: the index is re-embedded with it" if report.accepted
               else "kept as asked (--force): the index is re-embedded with it" if report.kept
               else "not kept: it ranks the held-out queries no better than the embedder in use, which stays "
                    "(--force keeps it)")
    print(f"tuned the embedder on {report.pairs} queries ({report.steps} steps, {report.seconds:.0f} s); held-out "
          f"queries ({b.queries}), dense retrieval alone: Acc@1 {b.acc1} -> {a.acc1}, MRR {b.mrr} -> {a.mrr}; "
          f"{verdict}", file=sys.stderr)
    return 0


def _cmd_eval(args) -> int:
    if args.from_git:
        return _cmd_mine(args)
    if not args.labeled:
        from graph.errors import RagError
        raise RagError("give a labeled-query file, or --from-git to mine one")
    from eval.dataset import load_labeled
    from eval.methods import get_method
    from eval.report import table, to_dict, write_report
    from eval.runner import evaluate
    from graph.errors import RagError
    from rag.engine import Engine
    from rag.progress import StderrProgress

    try:
        ks = sorted({int(k) for k in args.k.split(",") if k.strip()})
    except ValueError:
        raise RagError(f"-k takes whole numbers separated by commas, not {args.k!r}") from None
    if not ks or ks[0] < 1:
        raise RagError("-k values must be 1 or more")
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    for m in methods:
        get_method(m)  # an unknown name fails before any work
    _check_output(args.report, "--report", directory=True)
    queries = load_labeled(args.labeled)
    progress = StderrProgress()
    try:
        engine = Engine.open(args.repo, index_dir=args.index_dir, progress=progress)
        levels = ["file", "dir"] if args.level == "both" else [args.level]
        report = evaluate(engine, args.labeled, queries, methods, levels, ks, progress)
    finally:
        progress.close()
    if report.missing_gold:
        print(f"rag: warning: {len(report.missing_gold)} gold modules are not in the index (scored as misses)"
              + ("" if args.verbose else "; --verbose lists them"), file=sys.stderr)
        if args.verbose:
            for g in report.missing_gold:
                print(f"  {g}", file=sys.stderr)
    if args.report:
        for path in write_report(report, args.report):
            print(f"wrote {path}", file=sys.stderr)
    if args.json:
        json.dump(to_dict(report), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print(f"{report.n} queries, {os.path.basename(args.labeled)} on {report.repo}")
        print(table(report))
    return 0


def _print_answer(result, out) -> None:
    from graph.text import first_sentence

    if result.answer is None and not result.candidates:
        out.write("No answer: nothing in the index matches the question.\n")
        return
    if result.answer is None:
        out.write("No answer (the model abstained). The candidates, for a look:\n")
        for rank, c in enumerate(result.candidates, 1):
            out.write(f"{rank:>3}. {c.module}  {c.score:.3f}\n")
        for reason in (w for w in result.candidates[0].why if w.startswith("model's reasoning")):
            out.write(f"    {reason}\n")
        return
    top = result.candidates[0]
    out.write(f"{result.answer.module}  (confidence {result.answer.confidence:.2f})\n")
    out.write(f"    {top.summary}\n")
    if top.why:
        out.write(f"    why: {'; '.join(top.why)}\n")
    out.write("\nCandidates:\n")
    width = max(len(c.module) for c in result.candidates)
    for rank, c in enumerate(result.candidates, 1):
        out.write(f"{rank:>3}. {c.module:<{width}}  {c.score:7.3f}  {first_sentence(c.summary, 16)}\n")
        if c.why:
            out.write(f"{'':>5}{'; '.join(c.why)}\n")
    if result.model is not None:
        m = result.model
        how = ("its scores alone order the candidates" if m.fusion_weight is None
               else f"its scores fused with retrieval's at weight {m.fusion_weight}")
        out.write(f"\nmodel: {m.name}, {'tuned (' + m.adapter + ')' if m.tuned else 'untuned'}; {how}\n")
    timing = ", ".join(f"{k} {v:.0f} ms" for k, v in result.timing_ms.items())
    out.write(f"\n({timing})\n")


def _print_index_report(r) -> None:
    err = sys.stderr
    if not r.wrote:
        print(f"index is fresh: {r.files} files, {r.modules} modules ({r.index_dir})", file=err)
    else:
        how = "full" if r.changes.reason else "incremental"
        if r.changes.reason not in ("", "no index yet", "full rebuild requested"):
            print(f"rebuilding everything: {r.changes.reason}", file=err)
        print(f"indexed {r.files} files into {r.modules} modules in {r.seconds:.2f} s "
              f"({how}: {r.parsed} parsed, {r.reused} unchanged) -> {r.index_dir}", file=err)
        if r.history:
            print(r.history, file=err)
    if r.syntax_errors:
        print(f"warning: {r.syntax_errors} files have syntax errors; indexed what parsed", file=err)
    for reason, paths in sorted(r.skipped.items()):
        example = ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
        print(f"warning: skipped {len(paths)} {_SKIP_WORDS.get(reason, reason)} ({example})", file=err)


_SKIP_WORDS = {"huge": "files over the size limit", "binary": "binary files", "not-utf8": "files not in UTF-8",
               "unreadable": "unreadable paths", "symlink": "symbolic links (not followed)"}


def _cmd_modules(args) -> int:
    from graph.indexer import check_repo, default_index_dir, load_modules
    from graph.store import IndexStore

    repo = check_repo(args.path)
    modules = load_modules(IndexStore(args.index_dir or default_index_dir(repo)))
    out = sys.stdout
    if args.json:
        json.dump([m.to_dict() for m in modules], out, indent=1, ensure_ascii=False)
        out.write("\n")
        return 0
    if not args.all:  # what answers can be: the tree of the code, not of its test fixtures
        modules = [m for m in modules if m.role == "source" or m.kind == "named"]
    if args.tree:
        _print_tree(modules, out)
    else:
        for m in modules:
            out.write(f"{m.id}\n    {m.summary}\n")
    return 0


def _print_tree(modules, out) -> None:
    from graph.text import first_sentence

    children: dict[str | None, list] = {}
    for m in modules:
        children.setdefault(m.parent, []).append(m)
    width = 100

    def ordered(parent):
        return sorted(children.get(parent, ()), key=lambda m: (m.kind == "file", m.id))

    # depth first with a stack, not recursion: a tree may be thousands of directories deep
    pending = [(m, 0) for m in reversed(ordered(None))]
    while pending:
        m, depth = pending.pop()
        label = m.id if depth == 0 else m.name + ("/" if m.kind == "directory" else "")
        line = f"{'  ' * depth}{label}"
        hint = first_sentence(m.summary, 14)
        out.write(f"{line:<{max(len(line) + 2, 36)}}{hint}"[:width + 40] + "\n")
        pending.extend((child, depth + 1) for child in reversed(ordered(m.id)))


def entry() -> None:
    """The console script: `main`, then exit without the interpreter's final garbage collections.

    A command leaves tens of thousands of objects alive (modules, caches), and the collections Python
    runs while shutting down walk all of them again: ~0.25 s of a 3 s `rag index` here. Frozen objects
    are skipped; the process is ending, so nothing is lost by not collecting them.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    entry()
