"""`rag finetune`: a LoRA adapter for the LLM, or a tuned embedder."""
from __future__ import annotations

import sys

from rag.cli.common import check_output, index_dir_arg, positive_float, positive_int


def add_parser(sub) -> None:
    ft = sub.add_parser("finetune", help="teach the LLM this repository's modules (a LoRA adapter)",
                        description="Generate training examples from the index (queries phrased from the code's "
                                    "own docstrings and names, candidates from the real retriever) and train a "
                                    "LoRA adapter that `rag ask --llm` then uses; or, with --retriever, tune the "
                                    "embedder on the same queries and re-embed the index. Runs on CPU; see README.")
    ft.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    index_dir_arg(ft)
    ft.add_argument("--base-model", default=None, metavar="DIR",
                    help="a local Hugging Face causal-LM directory (default: SmolLM2-135M-Instruct)")
    ft.add_argument("--retriever", action="store_true",
                    help="tune the sentence embedder instead (contrastive, in-batch negatives); kept and "
                         "the index re-embedded unless it ranks the held-out queries worse")
    ft.add_argument("--force", action="store_true",
                    help="with --retriever: keep the tuned embedder even when it fails the held-out check")
    ft.add_argument("--hard-negatives", action="store_true",
                    help="with --retriever: also the retriever's best wrong module per query (twice the time)")
    ft.add_argument("--epochs", type=positive_int, default=None, metavar="N",
                    help="training epochs (default 2; with --retriever 1)")
    ft.add_argument("--max-minutes", type=positive_float, default=None, metavar="M",
                    help="stop training after M minutes, keeping the best adapter so far (default 25 for the whole "
                         "run; with --retriever 20 for the training steps)")
    ft.add_argument("--max-examples", type=positive_int, default=1500, metavar="N",
                    help="train on at most N examples a epoch, sampled (default 1500)")
    ft.add_argument("--labels", default="plain", choices=("plain", "cot", "both"),
                    help="train on bare IDs (default), chains of thought (for --think), or both")
    ft.add_argument("--lora-r", type=positive_int, default=16, metavar="R", help="LoRA rank (default 16)")
    ft.add_argument("--learning-rate", type=positive_float, default=None, metavar="LR",
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
    settings = TrainSettings(base_model=base, epochs=args.epochs or defaults.epochs,
                             max_minutes=args.max_minutes or defaults.max_minutes,
                             max_train_examples=args.max_examples, label_form=args.labels, lora_r=args.lora_r,
                             lora_alpha=2 * args.lora_r, learning_rate=args.learning_rate or defaults.learning_rate,
                             gradient_checkpointing=args.gradient_checkpointing, qlora=args.qlora)
    if args.qlora:
        from finetune.train import require_cuda_for_qlora
        require_cuda_for_qlora()  # before any work
    check_output(args.dump_data, "--dump-data")
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
                                 hard_negatives=args.hard_negatives,
                                 max_minutes=args.max_minutes or defaults.max_minutes)
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
