"""`rag finetune`: from an index to training examples to a published adapter (or a merged model)."""
from __future__ import annotations

import os
import time
from dataclasses import asdict

import orjson

from finetune.examples import DataSettings, Example, build_examples, queries_from_history, queries_from_seeds
from finetune.queries import seeds_of
from finetune.train import TrainReport, TrainSettings, train
from graph.errors import ConfigError
from graph.indexer import load_graph
from rag.adapters import AdapterStore, load_adapter


def generate(engine, tokenizer, settings: DataSettings = DataSettings()) -> list[Example]:
    """Examples for the engine's repository: queries from its graph and its git history (when it has
    one), candidates from its retriever."""
    graph = load_graph(engine.store)
    modules = engine.retriever.modules
    queries = queries_from_seeds(seeds_of(graph, list(modules.values())), settings)
    if os.path.isdir(os.path.join(engine.repo, ".git")):
        from rag.history import mine

        queries += queries_from_history(mine(engine.repo).rows, modules, settings)

    def search(text: str, k: int) -> list[str]:
        return [h.module for h in engine.retriever.search(text, k=k)]

    return build_examples(queries, search, modules, tokenizer, settings)


def dump(examples: list[Example], path: str) -> None:
    tmp = f"{path}.tmp"
    with open(tmp, "wb") as fh:
        for e in examples:
            fh.write(orjson.dumps(e.to_dict(), option=orjson.OPT_APPEND_NEWLINE))
    os.replace(tmp, path)


def finetune(engine, train_settings: TrainSettings = TrainSettings(), data_settings: DataSettings = DataSettings(),
             dump_data: str | None = None, resume: bool = False, progress: bool = True,
             started: float | None = None) -> TrainReport | None:
    """Generate the examples; write them to `dump_data` and stop there when asked; else train.
    `started` (time.monotonic) is when the run began, for the time budget (default: now)."""
    started = time.monotonic() if started is None else started
    from transformers import AutoTokenizer

    from rag.llm_model import model_dir

    tokenizer = AutoTokenizer.from_pretrained(model_dir(train_settings.base_model))  # prompts are counted in its tokens
    examples = generate(engine, tokenizer, data_settings)
    if dump_data:
        dump(examples, dump_data)
        return None
    snapshot = engine.store.manifest().snapshot
    return train(examples, engine.store.dir, snapshot, asdict(data_settings), train_settings, resume, progress,
                 started)


def merge(index_dir: str, out: str, base_model: str | None = None) -> str:
    """Write the base model with the current adapter merged in, as a model directory `--model` accepts."""
    from rag.llm_model import LocalLLM

    store = AdapterStore(index_dir)
    info = store.current()
    if info is None:
        raise ConfigError(f"no adapter in {store.dir}: run `rag finetune` first")
    if os.path.exists(out) and os.listdir(out):
        raise ConfigError(f"{out} exists and is not empty: give a new directory to --merge")
    llm = LocalLLM.load(base_model or info.base_model, "cpu", "float32")
    merged = load_adapter(llm.model, store.path(info), merge=True)
    merged.save_pretrained(out)
    llm.tokenizer.save_pretrained(out)
    return out
