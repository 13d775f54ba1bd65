"""`rag ask`: which module handles X?"""
from __future__ import annotations

import os
import sys
import time

from rag.cli.common import embedder_arg, index_dir_arg, json_text, retrieval_settings, say_waiting_for_the_index


LLM_FLAGS = ["model", "scope", "adapter", "think"]
RUN_FLAGS = ["python", "run_seconds"]


def add_parser(sub) -> None:
    ask = sub.add_parser("ask", help="which module handles X? ranked modules with evidence",
                         description="Answer with the module of the repository most likely to handle the "
                                     "question: a requirement, a commit message or a whole bug report.")
    ask.add_argument("question", nargs="?", default=None,
                     help="the question, requirement or bug report (quote it); - reads it from standard input")
    ask.add_argument("--file", default=None, metavar="REPORT",
                     help="read the question from a file (a whole issue report, longer than a command line holds)")
    ask.add_argument("--repo", default=".", metavar="PATH", help="repository root (default: .)")
    index_dir_arg(ask)
    ask.add_argument("-k", type=int, default=10, metavar="N", help="how many candidates to list (default 10)")
    ask.add_argument("--level", default="file", help="rank files (default) or directories: file|dir")
    ask.add_argument("--json", action="store_true", help="print the answer as one JSON object")
    ask.add_argument("--refresh", action="store_true", help="bring a stale index up to date before answering")
    embedder_arg(ask)
    ask.add_argument("--llm", action="store_true",
                     help="let a local LLM pick among the candidates (default model: SmolLM2-135M-Instruct)")
    ask.add_argument("--run", action="store_true", dest="run_example",
                     help="run the report's Python example in the repository's own interpreter (it runs code from "
                          "the report, as you) and weigh the code it calls as evidence")
    from rag.cli.flags import add_setting_flag
    from rag.settings import ExampleSettings, LLMSettings

    for name in LLM_FLAGS:
        add_setting_flag(ask, name, (LLMSettings, ""))
    for name in RUN_FLAGS:
        add_setting_flag(ask, name, (ExampleSettings, ""))
    ask.set_defaults(run=_cmd_ask)


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


def _only_with(switch: str, on: bool, flags: tuple) -> list[str]:
    """The flags of `(flag, value)` that were given; refused unless `switch` is on."""
    given = [flag for flag, value in flags if value is not None]
    if given and not on:
        from graph.errors import RagError
        raise RagError(f"{' and '.join(given)} {'go' if len(given) > 1 else 'goes'} with {switch}")
    return given


def _cmd_ask(args) -> int:
    question = _question(args)  # before any work: a missing file fails at once
    given = _only_with("--llm", args.llm or args.think,
                       (("--model", args.model), ("--scope", args.scope), ("--adapter", args.adapter)))
    _only_with("--run", args.run_example, (("--python", args.python), ("--run-seconds", args.run_seconds)))
    if args.think and not args.llm:
        print("rag: warning: --think lets the LLM answer: --llm is implied", file=sys.stderr)
    use_llm = bool(args.llm or args.think)
    if use_llm and args.level != "file":  # before any work (the engine says it too, to the Python API)
        from rag.engine import LLM_FILES_ONLY
        from rag.retrieval.question import QueryError
        raise QueryError(LLM_FILES_ONLY)
    served = None if (given or use_llm or args.run_example or args.refresh or args.embedder) else _ask_server(args, question)
    if served is not None:
        _print(served, args.json)
        return 0
    from rag.engine import Engine  # only now: a running server answers without loading any of it
    from rag.progress import StderrProgress

    progress = StderrProgress()
    try:
        from rag.cli.flags import settings_from_args
        from rag.settings import ExampleSettings, LLMSettings

        llm = settings_from_args(LLMSettings, args, LLM_FLAGS)
        run = settings_from_args(ExampleSettings, args, RUN_FLAGS) if args.run_example else None
        if run is not None:
            from rag.reproduce.run import interpreter

            interpreter(os.path.abspath(args.repo), run.python)  # a wrong --python fails here, before any work
        if args.model:
            from rag.llm.model import model_dir

            model_dir(args.model)  # a wrong path fails here, in one line, before any work
        if llm.adapter not in ("auto", "none"):
            from rag.llm.adapters import require_adapter
            require_adapter(llm.adapter)
        engine = Engine.open(args.repo, index_dir=args.index_dir,
                             settings=retrieval_settings(args.embedder, args.repo, args.index_dir),
                             refresh=args.refresh, progress=progress, quick_start=True, llm=llm,
                             on_lock_wait=say_waiting_for_the_index)
    finally:
        progress.close()
    _print(engine.ask(question, k=args.k, level=args.level, llm=use_llm, run=run), args.json)
    return 0

def _ask_server(args, question: str):
    """The answer of a `rag serve` running for this repository (warm: milliseconds), or None."""
    from graph.errors import RagError
    from graph.index_location import where_index
    from rag.serve.door import ask_server
    from rag.settings import ServeSettings

    repo = os.path.abspath(args.repo)
    if not os.path.isdir(repo) or not 1 <= args.k <= ServeSettings().max_k:
        return None  # what only the in-process path says or allows
    start = time.perf_counter()
    try:  # a folder of a repository is answered by that repository's server
        root, within, index_dir = where_index(repo, args.index_dir)
    except RagError:
        return None  # the in-process path says it
    reply = ask_server(index_dir, repo, question, args.k, args.level, root=root, within=within)
    if reply is None:
        return None
    from rag.results import AskResult

    result = AskResult.from_dict(reply, reply.get("warnings", []))
    result.timing_ms["server"] = round((time.perf_counter() - start) * 1000, 1)  # the whole round trip
    return result

def _print(result, as_json: bool) -> None:
    for warning in result.warnings:
        print(f"rag: warning: {warning}", file=sys.stderr)
    if as_json:
        sys.stdout.write(json_text(result.to_dict()))
        sys.stdout.write("\n")
    else:
        _print_answer(result, sys.stdout)

def _print_answer(result, out) -> None:
    from graph.text import first_sentence
    from rag.retrieval.confidence import UNSURE_BELOW

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
    uncalibrated = "" if result.answer.calibrated else ", uncalibrated"
    out.write(f"{result.answer.module}  (confidence {result.answer.confidence:.2f}{uncalibrated})\n")
    if result.answer.calibrated and result.answer.confidence < UNSURE_BELOW and len(result.candidates) > 1:
        out.write("    unsure: compare it with the next candidates below\n")
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
        tuned = ("untuned" if not m.tuned else f"tuned ({m.adapter})" if m.adapter
                 else "tuned (an adapter merged into it)")
        out.write(f"\nmodel: {m.name}, {tuned}; {how}\n")
    if result.example is not None and result.example.counts:  # otherwise a warning said why it did not count
        out.write(f"\n{result.example.note()}\n")
    timing = ", ".join(f"{k} {v:.0f} ms" for k, v in result.timing_ms.items())
    out.write(f"\n({timing})\n")
