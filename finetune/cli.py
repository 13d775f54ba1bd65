"""`rag finetune`: a LoRA adapter for the LLM, or a tuned embedder."""
from __future__ import annotations

import sys

from rag.cli.common import check_output, embedder_arg, index_dir_arg, repository_arg, retrieval_settings, say_waiting_for_the_index


TRAIN_FLAGS = ["epochs", "max_minutes", "learning_rate", "max_train_examples", "label_form", "lora_r",
               "gradient_checkpointing", "qlora"]
RETRIEVER_FLAGS = ["epochs", "max_minutes", "learning_rate", "hard_negatives"]
# flags of the adapter's training that `--retriever` would otherwise ignore (argument name -> flag)
_ADAPTER_ONLY = {"base_model": "--base-model", "max_train_examples": "--max-examples", "label_form": "--labels",
                 "lora_r": "--lora-r", "gradient_checkpointing": "--gradient-checkpointing", "qlora": "--qlora",
                 "resume": "--resume", "dump_data": "--dump-data", "merge": "--merge"}


# flags of a training run that `--merge` would otherwise ignore (argument name -> flag)
_TRAINING_ONLY = {"epochs": "--epochs", "max_minutes": "--max-minutes", "learning_rate": "--learning-rate",
                  "max_train_examples": "--max-examples", "label_form": "--labels", "lora_r": "--lora-r",
                  "gradient_checkpointing": "--gradient-checkpointing", "qlora": "--qlora", "until": "--until",
                  "resume": "--resume", "force": "--force", "dump_data": "--dump-data", "embedder": "--embedder"}


def add_parser(sub) -> None:
    ft = sub.add_parser("finetune", help="teach the LLM this repository's modules (a LoRA adapter)",
                        description="Generate training examples from the index (queries phrased from the code's "
                                    "own docstrings and names, and with git history its commit messages paired "
                                    "with the files they changed; candidates from the real retriever) and train a "
                                    "LoRA adapter that `rag ask --llm` then uses; or, with --retriever, tune the "
                                    "embedder on the same queries and re-embed the index. Runs on CPU; see README.")
    repository_arg(ft)
    index_dir_arg(ft)
    embedder_arg(ft)
    ft.add_argument("--base-model", default=None, metavar="DIR",
                    help="a local Hugging Face causal-LM directory (default: SmolLM2-135M-Instruct)")
    ft.add_argument("--retriever", action="store_true",
                    help="tune the sentence embedder instead (contrastive, in-batch negatives); kept and "
                         "the index re-embedded only when `rag ask` would answer more held-out commits "
                         "first with it")
    ft.add_argument("--force", action="store_true",
                    help="publish the adapter even when it does not beat the base model on validation; with "
                         "--retriever: keep the tuned embedder even when it fails the held-out check")
    from finetune.settings import RetrieverSettings, TrainSettings
    from rag.cli.flags import add_setting_flag

    add_setting_flag(ft, "hard_negatives", (RetrieverSettings, ""))
    for name in ("epochs", "max_minutes", "learning_rate"):
        add_setting_flag(ft, name, (TrainSettings, ""), (RetrieverSettings, "with --retriever"))
    for name in ("max_train_examples", "label_form", "lora_r", "gradient_checkpointing", "qlora"):
        add_setting_flag(ft, name, (TrainSettings, ""))
    ft.add_argument("--resume", action="store_true", help="continue from the last checkpoint of an interrupted run")
    ft.add_argument("--until", metavar="DATE",
                    help="train on commits older than DATE only (ISO 8601: 2022, 2022-03 or 2022-03-11): the rest is "
                         "the future to test on")
    ft.add_argument("--dump-data", metavar="FILE", help="only write the examples training would use as JSONL, and stop")
    ft.add_argument("--merge", metavar="OUT", help="only write the base model with the current adapter merged in")
    ft.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    ft.set_defaults(run=_cmd_finetune)


def _cmd_finetune(args) -> int:
    import time

    started = time.monotonic()  # the time budget covers the whole command
    from finetune.pipeline import finetune, merge
    from finetune.train import interrupted_checkpoint
    from finetune.settings import TrainSettings
    from graph.indexer import default_index_dir
    from rag.cli.flags import settings_from_args
    from rag.llm.adapters import AdapterStore
    from rag.llm.model import DEFAULT_MODEL, model_dir
    from rag.progress import StderrProgress

    if args.retriever:
        return _tune_retriever(args)
    if args.hard_negatives:
        from graph.errors import ConfigError
        raise ConfigError("--hard-negatives goes with --retriever")
    base = args.base_model or DEFAULT_MODEL
    if args.base_model:
        model_dir(args.base_model)  # a wrong path fails here, in one line, before any work
    settings = settings_from_args(TrainSettings, args, TRAIN_FLAGS, base_model=base)
    if args.qlora:
        from finetune.train import require_cuda_for_qlora
        require_cuda_for_qlora()  # before any work
    check_output(args.dump_data, "--dump-data")
    check_output(args.merge, "--merge", directory=True)
    data_settings = _data_settings(args)  # a bad --until fails here, before any work
    if args.merge:
        trains = [flag for dest, flag in _TRAINING_ONLY.items() if getattr(args, dest) not in (None, False)]
        if trains:  # each was ignored without a word: --merge trains nothing
            from graph.errors import ConfigError
            raise ConfigError(f"--merge only writes the model with the current adapter merged in: {trains[0]} "
                              "goes with a training run, not with it")
        out = merge(args.index_dir or default_index_dir(args.path), args.merge, args.base_model)
        print(f"wrote the merged model to {out} (use it with rag ask --llm --model {out} --adapter none)",
              file=sys.stderr)
        return 0
    progress = StderrProgress(quiet=args.quiet)
    try:
        engine = _fresh_engine(args, progress)
        checkpoint = interrupted_checkpoint(engine.store.dir)
        if checkpoint and not args.resume and not args.dump_data:
            print(f"rag: starting again: the interrupted run's checkpoint ({checkpoint}) is discarded "
                  "(--resume continues from it)", file=sys.stderr)
        before = AdapterStore(engine.store.dir).current()
        try:
            report = finetune(engine, settings, data_settings, dump_data=args.dump_data, resume=args.resume,
                              progress=progress, started=started, force=args.force)
        except KeyboardInterrupt:
            progress.close()
            checkpoint = interrupted_checkpoint(engine.store.dir)
            print(f"rag: interrupted; {_adapter_now(before, AdapterStore(engine.store.dir).current())}"
                  + (f"; `rag finetune --resume` continues from {checkpoint}" if checkpoint else
                     f" (no checkpoint yet: one is written every {settings.checkpoint_steps} steps)"), file=sys.stderr)
            return 130
    finally:
        progress.close()
    if report is None:
        print(f"wrote the training examples to {args.dump_data}", file=sys.stderr)
        return 0
    print(f"trained on {report.train_examples} examples for {report.epochs_run:g} epoch{'' if report.epochs_run == 1 else 's'} in {report.seconds:.0f} s "
          f"({report.total_seconds:.0f} s in all; {report.stopped_because}); validation accuracy "
          f"{report.base_validation_accuracy} before, {report.best_validation_accuracy} after; "
          + (f"adapter {report.adapter} in {engine.store.dir}" if report.adapter else
             f"no adapter published ({report.not_published}): `rag ask --llm` uses what it used before"),
          file=sys.stderr)
    if report.held_out:
        from rag.ranking_metrics import clearly_better

        h = report.held_out
        verdict = ("better than retrieval alone" if h["clearly_better"]
                   else "worse than retrieval alone: ask without --llm" if clearly_better(h["worse"], h["better"])
                   else "no clear difference from retrieval alone")
        cut = (f" (the newest {h['queries']} of {h['held_out']}: the check's time, a fifth of --max-minutes, ran out)"
               if h.get("timed_out") else "")
        print(f"on {h['queries']} held-out commit{'' if h['queries'] == 1 else 's'}{cut}, each asked as at its commit: `rag ask --llm` Acc@1 "
              f"{h['llm']['acc1']} against `rag ask` {h['retrieval']['acc1']} ({h['better']} better, {h['worse']} "
              f"worse, p = {h['p_value']:.2g}): {verdict} on this repository", file=sys.stderr)
    return 0

def _data_settings(args):
    from finetune.examples import DataSettings
    from graph.errors import ConfigError

    from graph.history import checked_date

    try:
        if args.until is not None:
            checked_date(args.until, "--until")  # the flag's name in the message, once
        return DataSettings(until=args.until)
    except ValueError as e:
        raise ConfigError(str(e)) from None

def _embedded_with(engine) -> str:
    """The embedder the index is built with now, and how to ask it when only naming it opens it."""
    from rag.embedding.embedder import TUNED_PREFIX, built_embedder
    from rag.settings import DEFAULT_EMBEDDER

    built = built_embedder(engine.store.dir) or "?"
    if built == DEFAULT_EMBEDDER or built.startswith(TUNED_PREFIX):
        return built
    return f"{built} (a directory: give --embedder {built} to ask it, as to every command)"


def _adapter_now(before, now) -> str:
    """What an interrupted run leaves current: an epoch that beat the others is published as it ends."""
    if now is None:
        return "there is no adapter yet (`rag ask --llm` asks the base model)"
    if before is not None and now.adapter == before.adapter:
        return f"{now.adapter} stays the current adapter"
    accuracy = f", validation accuracy {now.validation_accuracy}" if now.validation_accuracy is not None else ""
    return f"{now.adapter}, published by this run before the interrupt{accuracy}, is the current adapter"


def _fresh_engine(args, progress):
    """The repository's engine, its index brought up to date first (an adapter or embedder trained on a
    stale index would be stale at once), after saying what `--until` leaves out."""
    from rag.engine import Engine
    engine = Engine.open(args.path, index_dir=args.index_dir,
                         settings=retrieval_settings(args.embedder, args.path, args.index_dir),
                         refresh=True, progress=progress, on_lock_wait=say_waiting_for_the_index)
    _say_what_until_leaves(engine, args.until)
    return engine


def _say_what_until_leaves(engine, until: str | None) -> None:
    """A note on stderr when --until leaves out all of the history or none of it: the run then trains
    on something else than the user meant, and would not otherwise say so."""
    if until is None:
        return
    from finetune.examples import until_note
    from finetune.pipeline import history_dates

    note = until_note(history_dates(engine), until)
    if note is not None:
        print(note, file=sys.stderr)

def _tune_retriever(args) -> int:
    from finetune.held_out import first_changes
    from finetune.pipeline import tune_retriever
    from finetune.settings import RetrieverSettings
    from rag.cli.flags import settings_from_args
    from rag.progress import StderrProgress

    given = [flag for dest, flag in _ADAPTER_ONLY.items() if getattr(args, dest, None) not in (None, False)]
    if given:
        from graph.errors import ConfigError
        raise ConfigError(f"{given[0]} is for training the LLM's adapter, not for --retriever")
    settings = settings_from_args(RetrieverSettings, args, RETRIEVER_FLAGS)
    data_settings = _data_settings(args)
    progress = StderrProgress(quiet=args.quiet)
    try:
        engine = _fresh_engine(args, progress)
        try:
            report = tune_retriever(engine, settings, data_settings, progress=progress, force=args.force)
        except KeyboardInterrupt:
            progress.close()
            print(f"rag: interrupted; the index is embedded with {_embedded_with(engine)}", file=sys.stderr)
            return 130
    finally:
        progress.close()
    b, a = report.fused_before, report.fused_after
    verdict = ("kept: the index is re-embedded with it" if report.accepted
               else "kept as asked (--force): the index is re-embedded with it" if report.kept
               else "not kept: `rag ask` would answer the held-out questions no better with it; the index stays "
                    f"embedded with {_embedded_with(engine)} (--force keeps the tuned one)")
    better, worse = first_changes(b, a)
    print(f"tuned the embedder on {report.pairs} queries ({report.steps} steps, {report.seconds:.0f} s); "
          f"held-out {report.judged_on} ({b.queries}), as `rag ask` ranks: Acc@1 {b.acc1} -> {a.acc1} ({better} "
          f"better, {worse} worse), MRR {b.mrr} -> {a.mrr} (dense retrieval alone, on all {report.dense_before.queries} "
          f"validation queries: Acc@1 {report.dense_before.acc1} -> {report.dense_after.acc1}); {verdict}",
          file=sys.stderr)
    return 0
