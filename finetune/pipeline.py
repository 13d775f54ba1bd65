"""`rag finetune`: from an index to training examples to a published adapter (or a merged model)."""
from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import orjson

from finetune.examples import (DataSettings, Example, Query, build_examples, queries_from_history,
                               queries_from_seeds, sample_queries, split_of)
from finetune.queries import seeds_of
from finetune.held_out import HeldOutScore, first_changes, fused_score
from finetune.retriever import (TRAINING_CONFIG, Pair, RetrieverReport, accept, capped, dense_score,
                                encoder, tune)
from finetune.settings import RetrieverSettings, TrainSettings
from finetune.train import TrainReport, check_resume, train
from graph.durable import atomic_write
from graph.errors import ConfigError
from graph.history import head
from graph.indexer import load_graph
from rag.llm.listing import listing
from rag.llm.adapters import MERGED, RETRIEVER_PREFIX, AdapterStore, RetrieverInfo, load_adapter, seal, write_record
from rag.retrieval.index_files import CORPUS
from rag.ranking_metrics import clearly_better, first_rank, mcnemar_p
from rag.retrieval.corpus import embedded_text


def training_queries(engine, settings: DataSettings = DataSettings()) -> list[Query]:
    """Queries about the engine's repository: from its graph, and from its git history when it has one."""
    modules = engine.retriever.modules
    queries = queries_from_seeds(seeds_of(load_graph(engine.store), list(modules.values())), settings)
    if head(engine.repo) is not None:
        from rag.commit_queries import mine

        queries += queries_from_history(mine(engine.repo).rows, modules, settings)
    return queries


def history_dates(engine) -> list[str]:
    """The dates of the commits `rag finetune` would train on (none without git history)."""
    if head(engine.repo) is None:
        return []
    from rag.commit_queries import mine

    return [r["date"] for r in mine(engine.repo).rows if "date" in r]


def generate(engine, tokenizer, settings: DataSettings = DataSettings(),
             caps: tuple[int, int] | None = None) -> list[Example]:
    """Examples for the engine's repository, candidates from its retriever; with `caps`, only for a
    sample of at most (training, validation) queries."""
    queries = training_queries(engine, settings)
    if caps is not None:
        queries = sample_queries(queries, settings, *caps)
    return examples_for(engine, tokenizer, queries, settings)


def examples_for(engine, tokenizer, queries: list[Query], settings: DataSettings = DataSettings(),
                 progress=None) -> list[Example]:
    """The training examples of `queries`: candidates from the engine's retriever (as at each query's
    time), listed as the prompt lists them. `progress(stage, done, total)` is told each retrieval."""
    searched = 0

    def search(text: str, k: int, as_of=None) -> list[str]:
        nonlocal searched
        searched += 1  # build_examples retrieves once a query: the slow part of building them
        if progress:
            progress("training examples", searched, len(queries))
        return [h.module for h in engine.retriever.search(text, k=k, as_of=as_of)]

    def describe(text: str, modules: list[str], ranks: dict[str, int] | None):
        return listing(engine.retriever, engine.repo, text, modules, ranks, settings.definitions)

    return build_examples(queries, search, engine.retriever.modules, tokenizer, settings, describe)


def tune_retriever(engine, settings: RetrieverSettings = RetrieverSettings(),
                   data_settings: DataSettings = DataSettings(), progress=None, force: bool = False) -> RetrieverReport:
    """Tune the index's embedder on its generated queries; when the fused ranking with it passes the
    held-out check (finetune/retriever.py: accept) or `force`, publish it and re-embed the index with it.
    `progress(stage, done, total)` as for `rag index`."""
    import shutil

    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    from graph.indexer import IndexOptions, index
    from rag.retrieval.index_files import RetrievalExtension
    from rag.embedding.embedder import TUNED_PREFIX, Embedder, embedder_location, embedder_path

    hf_logging.disable_progress_bar()  # its loading and saving bars would land in our stderr
    started = time.monotonic()
    retriever, store = engine.retriever, AdapterStore(engine.store.dir)
    texts = {f: embedded_text(f, retriever.modules[f].summary) for f in retriever.files}
    queries = [q for q in training_queries(engine, data_settings) if q.module in texts]
    validation = [q for q in queries if (q.split or split_of(q.source, data_settings)) == "validation"]
    train = capped([q for q in queries if (q.split or split_of(q.source, data_settings)) == "train"], settings)
    if not train:
        raise ConfigError("no training queries could be generated for this repository (no documented code?)")
    with store.training_lock():
        pairs = []
        for i, q in enumerate(train):
            negative = None
            if settings.hard_negatives:  # the one slow part of pairing: a retrieval for each query
                negative = _hard_negative(retriever, q, q.module)
                if progress and (i % 50 == 0 or i + 1 == len(train)):
                    progress("hard negatives", i + 1, len(train))
            pairs.append(Pair(q.text, q.module, negative))
        previous = store.current_retriever()
        base = previous.base_embedder if previous else engine.store.read_json(engine.store.manifest(), CORPUS)["embedder"]
        model = SentenceTransformer(embedder_path(embedder_location(base, engine.store.dir)), device="cpu",
                                    local_files_only=True, config_kwargs=TRAINING_CONFIG)
        pairs_of = [(q.text, q.module) for q in validation]
        dense_before = dense_score(encoder(model), pairs_of, texts)
        steps = tune(model, pairs, texts, settings,
                     (lambda step, total, loss: progress("tune embedder", step, total)) if progress else None)
        dense_after = dense_score(encoder(model), pairs_of, texts)
        written = store.new_path(RETRIEVER_PREFIX)
        try:
            model.save(written)
            judgement = judge_embedder(engine, Embedder(written), validation, progress)
            accepted = accept(judgement.before, judgement.after)
            kept = accepted or force
            report = RetrieverReport(len(pairs), steps, round(time.monotonic() - started, 1), dense_before,
                                     dense_after, judgement.before, judgement.after, judgement.judged_on, accepted,
                                     kept, asdict(settings))
            if kept:
                info = store.publish_retriever(written, RetrieverInfo(embedder="", base_embedder=base,
                                                                      snapshot=engine.store.manifest().snapshot,
                                                                      created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                                                                      report=report.to_dict()))
        finally:  # declined, or stopped on the way: the model written to judge goes (published, it has moved)
            shutil.rmtree(written, ignore_errors=True)
        _write_json(os.path.join(store.dir, "retriever_report.json"), report.to_dict())
    if kept:  # re-embed with it (the vectors above are not embedded again); later runs of `rag index` keep it
        # (rag/embedding/embedder.py: choose_embedder)
        index(engine.repo, IndexOptions(index_dir=engine.store.dir), progress,
              extensions=[RetrievalExtension(replace(retriever.settings, embedder=TUNED_PREFIX + info.embedder),
                                             index_dir=engine.store.dir, vectors=judgement.vectors)])
    return report


@dataclass
class Judgement:
    """The fused ranking of the held-out queries with the index as it stands, and with another embedder."""
    judged_on: str  # "commits", or "generated queries" where the repository has no history
    before: HeldOutScore
    after: HeldOutScore
    vectors: dict[str, np.ndarray]  # the index's dense texts as the other embedder embeds them, by text_hash


def judge_embedder(engine, embedder, validation: list[Query], progress=None) -> Judgement:
    """How `rag ask` would rank the held-out commits (the held-out generated queries when there are no
    commits) if the index's dense vectors were `embedder`'s: its files and definitions embedded as a
    re-embedded index would hold them, the rest of the index as it is (finetune/retriever.py: accept)."""
    from rag.retrieval.index_files import dense_texts, text_hash

    retriever = engine.retriever
    file_texts, chunk_texts = dense_texts(engine.store, retriever.manifest)
    vectors = embedder.embed(file_texts + chunk_texts,
                             progress=(lambda done, total: progress("embed", done, total)) if progress else None)
    commits = [q for q in validation if q.origin == "git"]
    judged = commits or validation
    other = retriever.with_dense(embedder, vectors[:len(file_texts)], vectors[len(file_texts):] if chunk_texts else None)
    return Judgement("commits" if commits else "generated queries", fused_score(retriever, judged),
                     fused_score(other, judged), {text_hash(t): v for t, v in zip(file_texts + chunk_texts, vectors)})


def _hard_negative(retriever, q: Query, gold: str) -> str | None:
    """The retriever's best-ranked module that is not the gold one."""
    scores, _ = retriever.file_scores(retriever.parse(q.text), as_of=q.as_of)
    for i in np.argsort(-scores)[:3]:
        if retriever.files[i] != gold:
            return retriever.files[i]
    return None


def _write_json(path: str, data: dict) -> None:
    atomic_write(path, orjson.dumps(data, option=orjson.OPT_INDENT_2))


def dump(examples: list[Example], path: str) -> None:
    atomic_write(path, (orjson.dumps(e.to_dict(), option=orjson.OPT_APPEND_NEWLINE) for e in examples))


def finetune(engine, train_settings: TrainSettings = TrainSettings(), data_settings: DataSettings = DataSettings(),
             dump_data: str | None = None, resume: bool = False, progress=None,
             started: float | None = None, force: bool = False) -> TrainReport | None:
    """Generate the examples; write them to `dump_data` and stop there when asked; else train, telling
    `progress(stage, done, total)` the training steps (None: silent).
    `started` (time.monotonic) is when the run began, for the time budget (default: now); `force`:
    publish the best adapter even when it does not beat the base model on validation (train)."""
    started = time.monotonic() if started is None else started
    if resume and not dump_data:  # refused before the examples are built, not after
        check_resume(engine.store.dir, train_settings,
                     {"snapshot": engine.store.manifest().snapshot, "data": asdict(data_settings)})
    if not dump_data:  # another run training on this index: said now, not once the examples are built
        with AdapterStore(engine.store.dir).training_lock():
            pass
    from transformers import AutoTokenizer

    from rag.llm.model import model_dir

    tokenizer = AutoTokenizer.from_pretrained(model_dir(train_settings.base_model))  # prompts are counted in its tokens
    # training samples at most this many examples of each split: build no more (each costs a retrieval)
    every = training_queries(engine, data_settings)
    queries = sample_queries(every, data_settings, train_settings.max_train_examples, train_settings.validation_examples)
    examples = examples_for(engine, tokenizer, queries, data_settings, progress)
    if dump_data:
        dump(examples, dump_data)
        return None
    snapshot = engine.store.manifest().snapshot
    # all held-out commits, not only the validation sample: none of them is trained on (newest first)
    commits = [q for q in every if q.origin == "git" and q.split == "validation"][: train_settings.held_out_commits]
    seconds = check_seconds(train_settings.max_minutes)
    check = (lambda: asdict(check_adapter(engine, commits, train_settings.base_model, progress=progress,
                                          seconds=seconds))) if commits else None
    return train(examples, engine.store.dir, snapshot, asdict(data_settings), train_settings, resume, progress,
                 started, check, force)


@dataclass
class AdapterCheck:
    """`rag ask --llm` with the index's adapter against `rag ask`, on the same held-out commits."""
    queries: int
    retrieval: HeldOutScore
    llm: HeldOutScore
    better: int  # commits `--llm` answers first that retrieval alone does not
    worse: int  # and the reverse
    p_value: float  # of better against worse (rag/ranking_metrics.py: mcnemar_p)
    clearly_better: bool  # more better than worse, beyond chance: `rag ask --llm` warns otherwise
    commits: list[str] = field(default_factory=list)  # the commits asked, in the scores' order
    held_out: int = 0  # the held-out commits there were (some have nothing to ask once their noise is set aside)
    timed_out: bool = False  # the check's time ran out before all of them were asked


MIN_CHECKED = 10  # commits the check asks however late it starts: fewer would decide nothing


def check_seconds(max_minutes: float) -> float:
    """How long the held-out check may take after training: a fifth of the run's budget, at least a
    minute (`rag finetune` with defaults: 25 + 5 minutes, issue 18's 30 on 2 cores).

    >>> check_seconds(25), check_seconds(3)
    (300.0, 60.0)
    """
    return max(60.0, 0.2 * max_minutes * 60)


def check_adapter(engine, commits: list[Query], base_model: str, k: int = 10, progress=None,
                  seconds: float = math.inf) -> AdapterCheck:
    """Ask each held-out commit (as at its commit) as a user would, with and without `--llm`: the
    adapter in use (the index's own, for `base_model`) in the prompt shape it was trained on, its
    scores fused with retrieval's as `rag ask --llm` fuses them. The test a tuned model has to pass
    to be worth asking (issue 18's: trained on the past, asked about the future). `progress(stage,
    done, total)` is told each commit asked; after `seconds` (and MIN_CHECKED commits) the newest
    commits asked so far decide."""
    from rag.engine import Engine
    from rag.retrieval.question import QueryError

    asking = Engine(engine.repo, engine.store, engine.retriever, engine.stale,
                    replace(engine.llm_settings, model=base_model, adapter="auto"))
    plain, fused, asked = [], [], []
    deadline, timed_out = time.monotonic() + seconds, False
    for i, q in enumerate(commits):
        if len(asked) >= MIN_CHECKED and time.monotonic() > deadline:
            timed_out = True
            break
        if progress:
            progress("held-out check", i + 1, len(commits))
        try:
            alone = asking.ask(q.text, k=k, as_of=q.as_of).candidates
        except QueryError:  # a message with nothing to ask once its noise is set aside
            continue
        plain.append(first_rank([c.module for c in alone], [q.module]))
        fused.append(first_rank([c.module for c in asking.ask(q.text, k=k, llm=True, as_of=q.as_of).candidates],
                                [q.module]))
        asked.append(q.source.removeprefix("git:"))
    retrieval, llm = HeldOutScore.of_ranks(plain), HeldOutScore.of_ranks(fused)
    better, worse = first_changes(retrieval, llm)
    return AdapterCheck(len(asked), retrieval, llm, better, worse, round(mcnemar_p(better, worse), 4),
                        clearly_better(better, worse), asked, len(commits), timed_out)


def merge(index_dir: str, out: str, base_model: str | None = None) -> str:
    """Write the base model with the current adapter merged in, as a model directory `--model` accepts."""
    from rag.llm.model import LocalLLM

    store = AdapterStore(index_dir)
    damage = store.adapter_damage()
    if damage:  # merged, it would pass for the validated adapter
        raise ConfigError(f"the adapter is damaged ({damage[0]}): `rag finetune` trains a new one")
    info = store.current()
    if info is None:
        raise ConfigError(f"no adapter in {store.dir}: run `rag finetune` first")
    if os.path.exists(out) and os.listdir(out):
        raise ConfigError(f"{out} exists and is not empty: give a new directory to --merge")
    from rag.engine import same_model

    if base_model and not same_model(base_model, info.base_model):  # merged, it would be called tuned
        raise ConfigError(f"the adapter was trained for {info.base_model}, not {base_model}: leave --base-model "
                          "out to merge it into the model it was trained for")
    llm = LocalLLM.load(base_model or info.base_model, "cpu", "float32", backend="transformers")
    merged = load_adapter(llm.model, store.path(info), merge=True)
    merged.save_pretrained(out)
    llm.tokenizer.save_pretrained(out)
    write_record(os.path.join(out, MERGED), info)  # `rag ask --llm --model OUT` knows it is tuned, and how to ask it
    seal(out)  # checked when it is loaded, as the adapter was
    return out
