"""rag finetune: training data from the graph, LoRA training on a tiny model, adapters in the index."""
import json
import os
from dataclasses import asdict, replace

import numpy as np
import pytest

from finetune.examples import DataSettings
from finetune.settings import COT, PLAIN
from finetune.queries import Seed, augment, normalized, phrase, seeded_rng
from graph.errors import ConfigError, LockedError
from rag.llm.adapters import AdapterStore
from rag.llm.prompt import ABSTAIN, ANSWER_MARK, Listed
from tiny_models import save_tiny_model

DATA = DataSettings(validation_fraction=0.25, candidates=3, prompt_tokens=400)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return save_tiny_model(tmp_path_factory.mktemp("tiny") / "llama", "llama")


@pytest.fixture(scope="module")
def indexed(tmp_path_factory):
    import shutil

    from conftest import FIXTURES
    from rag.engine import Engine

    repo = tmp_path_factory.mktemp("ft") / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    return Engine.open(str(repo), quick_start=True)


@pytest.fixture(scope="module")
def examples(indexed, tiny):
    from transformers import AutoTokenizer

    from finetune.pipeline import generate

    return generate(indexed, AutoTokenizer.from_pretrained(tiny), DATA)


def test_phrasing_is_deterministic_and_keeps_the_statement():
    seed = Seed("shop/cart.py", "shop/cart.py::Cart.add", "symbol-doc", "Adds a product to the cart.", "add")
    a = phrase(seed, seeded_rng("x"), n=3)
    assert a == phrase(seed, seeded_rng("x"), n=3) and len(set(a)) == 3
    assert all("product to the cart" in q for q in a)
    assert any(q.startswith(("Add ", "Where do we add", "Fix", "Change how the code adds", "We need", "Bug report"))
               for q in a)
    variant = augment("The total is wrong when the cart is empty", seeded_rng("y"))
    assert set(normalized(variant).split()) <= set(normalized("The total is incorrect bad wrong when the cart is "
                                                              "empty, when").split()) | {"the"}


def test_every_label_is_a_valid_module_and_forms_are_paired(indexed, examples):
    modules = set(indexed.retriever.modules)
    assert examples
    for e in examples:
        assert all(c in modules for c in e.candidates) and len(set(e.candidates)) == len(e.candidates)
        assert e.gold == ABSTAIN or e.gold in e.candidates
        assert (e.gold == ABSTAIN) == (e.module not in e.candidates)
        assert e.module in modules and indexed.retriever.modules[e.module].role == "source"
        if e.form == PLAIN:
            assert e.target == e.gold
        else:
            rationale, answer = e.target.rsplit(ANSWER_MARK, 1)
            assert answer.strip() == e.gold and rationale.startswith("Key terms:")
    plain = [(e.query, e.gold, tuple(e.candidates)) for e in examples if e.form == PLAIN]
    cot = [(e.query, e.gold, tuple(e.candidates)) for e in examples if e.form == COT]
    assert plain == cot  # 1:1: every query once with the bare ID and once with a chain of thought
    assert any(e.gold == ABSTAIN for e in examples) and any(e.gold != ABSTAIN for e in examples)


def test_no_validation_query_leaks_into_training(examples):
    train = [e for e in examples if e.split == "train"]
    validation = [e for e in examples if e.split == "validation"]
    assert train and validation
    assert not {e.source for e in train} & {e.source for e in validation}
    assert not {normalized(e.query) for e in train} & {normalized(e.query) for e in validation}


def test_candidate_order_is_shuffled(examples):
    positions = {e.candidates.index(e.gold) for e in examples if e.gold != ABSTAIN}
    assert len(positions) > 1  # the gold is not always first (the model must read, not count)


def test_dump_data_writes_jsonl(indexed, tiny, tmp_path):
    from conftest import run_rag

    out = tmp_path / "data.jsonl"
    r = run_rag("finetune", indexed.repo, "--base-model", tiny, "--dump-data", out, timeout=180)
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows and {"query", "gold", "candidates", "prompt", "target", "form", "split"} <= set(rows[0])
    assert "training examples: " in r.stderr and r.stdout == ""  # the slow part shows its progress


def test_finetune_brings_a_stale_index_up_to_date_first(tmp_path, tiny):
    import shutil

    from conftest import FIXTURES, run_rag

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    assert run_rag("index", repo, "-q").returncode == 0
    with open(repo / "shop" / "cart.py", "a") as fh:
        fh.write("\n\ndef empty_the_cart(cart):\n    \"\"\"Remove every item.\"\"\"\n")
    assert run_rag("index", repo, "--check").returncode == 1
    r = run_rag("finetune", repo, "--base-model", tiny, "--dump-data", tmp_path / "d.jsonl", timeout=180)
    assert r.returncode == 0, r.stderr
    assert run_rag("index", repo, "--check").returncode == 0  # it trained on the stale one, silently


def test_until_says_when_it_leaves_out_all_of_the_history_or_none_of_it(tmp_path, tiny):
    """--until before the first commit or after the last one trained on something else than asked
    without a word, and a year alone was refused (QA sweep 4)."""
    import shutil

    from conftest import FIXTURES, run_rag
    from test_history import commit, day, git

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    git(repo, "init", "-q")
    commit(repo, "Start the shop", day(1))
    for i, (path, message) in enumerate([("shop/cart.py", "Let the cart hold several units of one product"),
                                         ("shop/catalog.py", "Look products up by their stock-keeping unit")]):
        with open(repo / path, "a") as fh:
            fh.write(f"\n# change {i}\n")
        commit(repo, message, day(i + 2))
    said = {}
    for until in ("2020", "2021-01-03", "2030-05"):
        r = run_rag("finetune", repo, "--base-model", tiny, "--dump-data", tmp_path / "d.jsonl", "--until", until,
                    timeout=180)
        assert r.returncode == 0, r.stderr
        said[until] = r.stderr
    assert "--until 2020 is before the oldest commit to train on (2021-01-02): no history pairs" in said["2020"]
    assert "--until 2030-05 is after the newest commit to train on (2021-01-03): it leaves nothing out" in said["2030-05"]
    assert "--until" not in said["2021-01-03"]  # it cuts through the history: nothing to say
    r = run_rag("finetune", repo, "--base-model", tiny, "--until", "last tuesday")
    assert r.returncode != 0 and r.stderr.startswith("rag: --until must be an ISO 8601 date") and "Traceback" not in r.stderr


def _train(indexed, examples, tiny, **overrides):
    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=2, batch_size=8,
                             learning_rate=5e-3, checkpoint_steps=2, **overrides)
    # force: these tests are of how an adapter is trained and published; a tiny random model's
    # validation accuracy says nothing (test_an_adapter_is_published_only_when_it_beats_the_base_model)
    return train(examples, indexed.store.dir, indexed.store.manifest().snapshot,
                 asdict(DATA), settings, progress=False, force=True)


def test_training_lowers_the_loss_and_publishes_a_reloadable_adapter(indexed, examples, tiny):
    import torch

    from rag.llm.adapters import load_adapter
    from rag.llm.model import LocalLLM
    from rag.llm.ranker import score_options

    report = _train(indexed, examples, tiny, patience=2)
    losses = [loss for _, loss in report.losses]
    assert len(losses) >= 4 and np.mean(losses[-2:]) < np.mean(losses[:2])
    store = AdapterStore(indexed.store.dir)
    info = store.current()
    assert info is not None and info.adapter == report.adapter and info.base_model == tiny
    assert info.snapshot == indexed.store.manifest().snapshot and info.candidates == DATA.candidates
    assert os.path.isfile(os.path.join(store.path(info), "adapter_model.safetensors"))
    assert os.path.isfile(os.path.join(store.dir, "training_report.json"))
    assert os.path.isfile(os.path.join(store.dir, "training.png"))
    # round trip: the adapter loaded onto a fresh base gives the same logits as unmerged, and differs from the base
    ids = torch.tensor([[5, 6, 7, 8, 9]])
    base = LocalLLM.load(tiny, "cpu", "float32", backend="transformers")
    with torch.no_grad():
        plain_logits = base.model(ids).logits
        unmerged = load_adapter(LocalLLM.load(tiny, "cpu", "float32", backend="transformers").model,
                                store.path(info), merge=False).eval()
        merged = load_adapter(LocalLLM.load(tiny, "cpu", "float32", backend="transformers").model,
                              store.path(info)).eval()
        a, b = unmerged(ids).logits, merged(ids).logits
        # and as `rag ask` loads it: the plain-torch model with the adapter merged by hand
        c = LocalLLM.load(tiny, "cpu", "float32", adapter=store.path(info)).model(ids).logits
    assert torch.allclose(a, b, atol=1e-4) and not torch.allclose(a, plain_logits, atol=1e-4)
    assert torch.allclose(b, c, atol=1e-4)
    # constrained answers stay valid with the adapter
    tuned = LocalLLM(tiny, base.tokenizer, merged, "cpu")
    e = next(x for x in examples if x.split == "validation" and x.form == PLAIN)
    assert np.all(np.isfinite(score_options(tuned, e.prompt, e.candidates + [ABSTAIN])))


def test_a_base_tokenizer_without_a_pad_token_still_trains(indexed, examples, tiny, tmp_path):
    """The default model's GGUF tokenizer, as transformers 5.17 converts it, defines no pad token; the
    collator then refused every batch (seen on a GPU machine)."""
    import shutil

    from transformers import AutoTokenizer

    from finetune.settings import TrainSettings
    from finetune.train import train

    base = tmp_path / "no-pad"
    shutil.copytree(tiny, base)
    tokenizer = AutoTokenizer.from_pretrained(base)
    tokenizer.pad_token = None
    tokenizer.save_pretrained(base)
    assert AutoTokenizer.from_pretrained(base).pad_token is None
    settings = TrainSettings(base_model=str(base), dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=16, validation_examples=4)
    report = train(examples, str(tmp_path / "index"), indexed.store.manifest().snapshot, asdict(DATA), settings,
                   progress=False, force=True)
    assert report.steps >= 2 and report.adapter is not None


def test_the_engine_picks_the_adapter_up_and_says_when_it_is_stale(indexed, examples, tiny):
    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    engine = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=tiny, dtype="float32"))
    res = engine.ask("add a product to the cart", k=5, llm=True)
    assert len(res.candidates) == 5 and res.method == "hybrid+llm"
    assert [c.score for c in res.candidates[DATA.candidates:]] == [0.0, 0.0]  # beyond what the adapter reads
    assert not any("adapter" in w for w in res.warnings)
    _, info = engine.llm()
    assert info is not None
    assert engine.llm("none")[1] is None  # the base model on request
    with open(os.path.join(indexed.repo, "shop", "extra.py"), "w") as fh:
        fh.write('"""New."""\n')
    refreshed = Engine.open(indexed.repo, quick_start=True, refresh=True, llm=LLMSettings(model=tiny, dtype="float32"))
    res = refreshed.ask("add a product to the cart", k=5, llm=True)
    assert any("adapter was trained on an older index" in w for w in res.warnings)
    os.remove(os.path.join(indexed.repo, "shop", "extra.py"))


def test_an_interrupted_run_keeps_the_previous_adapter_and_resumes(indexed, examples, tiny, monkeypatch):
    import transformers

    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    before = AdapterStore(indexed.store.dir).current()
    original_step = transformers.Trainer.training_step
    calls = {"n": 0}

    def interrupted(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:  # after a checkpoint (every 2 steps), before the first epoch (3 steps) ends
            raise KeyboardInterrupt
        return original_step(self, *args, **kwargs)

    monkeypatch.setattr(transformers.Trainer, "training_step", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _train(indexed, examples, tiny)
    assert AdapterStore(indexed.store.dir).current() == before  # untouched, and still loads
    from finetune.train import interrupted_checkpoint

    assert interrupted_checkpoint(indexed.store.dir) == "checkpoint-2"  # what `rag finetune` names for --resume
    engine = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=tiny, dtype="float32"))
    answered = engine.ask("add a product to the cart", llm=True)
    assert answered.candidates
    # a tuned adapter's scores are fused with retrieval's, not alone: alone it ranked far below retrieval
    assert answered.model.tuned and answered.model.fusion_weight == LLMSettings().fusion_weight == 0.1
    monkeypatch.setattr(transformers.Trainer, "training_step", original_step)
    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=2, batch_size=8,
                             learning_rate=5e-3, checkpoint_steps=2)
    with pytest.raises(ConfigError, match=r"cannot resume: the interrupted run was trained with lora_r 16 \(now 8\)"):
        train(examples, indexed.store.dir, indexed.store.manifest().snapshot, asdict(DATA),
              replace(settings, lora_r=8), resume=True, progress=False)
    report = train(examples, indexed.store.dir, indexed.store.manifest().snapshot,
                   asdict(DATA), settings,
                   resume=True, progress=False, force=True)
    assert report.resumed_from_step == 2 and report.steps == 6  # picked up after the checkpoint, then finished


def test_an_adapter_is_published_only_when_it_beats_the_base_model(indexed, examples, tiny, tmp_path, monkeypatch):
    """A finished run published its adapter whatever its validation accuracy, over a better one, and
    the one before was deleted (QA sweep 4): now it has to beat the base model (and the current adapter
    of the same index), and the current adapter stays otherwise."""
    import finetune.train
    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             learning_rate=5e-3, max_train_examples=16, validation_examples=4)
    snapshot, index_dir = indexed.store.manifest().snapshot, str(tmp_path)
    scores = iter([0.25, 0.5])  # the base model, then the adapter after its one epoch
    monkeypatch.setattr(finetune.train, "validation_accuracy", lambda llm, validation, progress=None: next(scores))
    first = train(examples, index_dir, snapshot, asdict(DATA), settings, progress=False)
    assert first.adapter is not None and first.not_published is None
    scores = iter([0.25, 0.5])  # as good as the current adapter: not better
    second = train(examples, index_dir, snapshot, asdict(DATA), settings, progress=False)
    assert second.adapter is None and "does not beat 0.5" in second.not_published
    store = AdapterStore(index_dir)
    assert store.current().adapter == first.adapter and os.path.isdir(store.path(store.current()))
    scores = iter([0.5, 0.25])  # worse than the base model
    third = train(examples, str(tmp_path / "other"), snapshot, asdict(DATA), settings, progress=False)
    assert third.adapter is None and AdapterStore(str(tmp_path / "other")).current() is None
    scores = iter([0.5, 0.25])  # --force publishes it anyway
    forced = train(examples, str(tmp_path / "other"), snapshot, asdict(DATA), settings, progress=False, force=True)
    assert forced.adapter == AdapterStore(str(tmp_path / "other")).current().adapter


def test_an_adapter_that_learned_nothing_or_broke_is_never_published(indexed, examples, tiny, tmp_path):
    """A budget spent before the warm-up's first step left every lora_B at zero, and such an adapter
    was published as "tuned"; a learning rate of inf published NaN weights (QA sweep 4)."""
    import torch

    from finetune.settings import TrainSettings
    from finetune.train import adapter_learned, train, with_lora
    from rag.llm.model import LocalLLM

    # one batch, one epoch: a single step, the warm-up's first, at a learning rate of 0 (as when the
    # budget runs out during it)
    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=8, validation_examples=4)
    spent = train(examples, str(tmp_path), indexed.store.manifest().snapshot, asdict(DATA), settings,
                  progress=False, force=True)
    assert spent.steps == 1 and spent.adapter is None and "no training step changed" in spent.not_published
    model = with_lora(LocalLLM.load(tiny, "cpu", "float32", backend="transformers").model, settings)
    assert adapter_learned(model) is None  # as peft makes it
    lora_b = next(w for name, w in model.named_parameters() if "lora_B" in name)
    with torch.no_grad():
        lora_b.fill_(0.5)
    assert adapter_learned(model) is True
    with torch.no_grad():
        lora_b[0, 0] = float("nan")
    assert adapter_learned(model) is False
    with pytest.raises(ValueError, match="finite"):
        TrainSettings(learning_rate=float("inf"))
    from conftest import run_rag
    r = run_rag("finetune", indexed.repo, "--learning-rate", "inf")
    assert r.returncode == 2 and "finite" in r.stderr and r.stderr.count("\n") <= 3


def test_a_merged_model_is_asked_as_the_tuned_model_it_is(indexed, examples, tiny, tmp_path):
    """The README's way to use a merged model (`--model OUT --adapter none`) said "the model is not tuned
    for this repository" and asked it in the untuned prompt shape (QA sweep 4)."""
    from finetune.pipeline import merge
    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    out = merge(indexed.store.dir, str(tmp_path / "merged"))
    as_merged = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=out, adapter="none", dtype="float32"))
    with_adapter = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=tiny, dtype="float32"))
    merged = as_merged.ask("add a product to the cart", k=5, llm=True)
    adapted = with_adapter.ask("add a product to the cart", k=5, llm=True)
    assert merged.model.tuned and merged.model.adapter is None
    assert not any("not tuned" in w for w in merged.warnings)
    assert [c.module for c in merged.candidates] == [c.module for c in adapted.candidates]
    # a model no adapter was merged into stays the untuned base
    assert Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=tiny, dtype="float32")).llm("none")[1] is None
    # as the README says to ask it, and with the default --adapter auto (QA sweep 5: a TypeError, and "untuned")
    from conftest import run_rag

    for adapter in (["--adapter", "none"], []):
        r = run_rag("ask", "add a product to the cart", "--repo", indexed.repo, "--llm", "--model", out, *adapter,
                    timeout=180)
        assert r.returncode == 0 and "tuned (an adapter merged into it)" in r.stdout, r.stderr
    # a merged model is sealed as its adapter was: a changed weight or a garbled record is said, not
    # taken for tuned or for untuned (QA sweep 7)
    import shutil

    for damaged, spoil in (("flipped", "model.safetensors"), ("garbled", "rag_adapter.json")):
        copy = tmp_path / damaged
        shutil.copytree(out, copy)
        target = copy / spoil
        data = bytearray(target.read_bytes())
        data[len(data) // 2] ^= 0xFF
        target.write_bytes(bytes(data) if spoil != "rag_adapter.json" else b'{"record_')
        r = run_rag("ask", "add a product to the cart", "--repo", indexed.repo, "--llm", "--model", copy,
                    "--adapter", "none", timeout=180)
        assert r.returncode == 2 and "merged model" in r.stderr and "is damaged" in r.stderr, r.stderr
    # merged into a model it was not trained for, it would be called tuned (QA sweep 7)
    with pytest.raises(ConfigError, match="the adapter was trained for"):
        merge(indexed.store.dir, str(tmp_path / "other-merge"), str(tmp_path / "flipped"))
    # rag eval asks the llm methods with the model the adapter was trained for (QA sweep 5: it had no
    # --model, and said "no tuned adapter")
    labeled = tmp_path / "q.jsonl"
    labeled.write_text(json.dumps({"query": "add a product to the cart", "gold_files": ["shop/cart.py"]}) + "\n")
    r = run_rag("eval", labeled, "--repo", indexed.repo, "--methods", "hybrid,llm", "--model", tiny, "-k", "1",
                timeout=300)
    assert r.returncode == 0 and "no tuned adapter" not in r.stderr, r.stderr
    r = run_rag("eval", labeled, "--repo", indexed.repo, "--methods", "hybrid", "--model", tiny)
    assert r.returncode == 2 and "--model goes with the llm methods" in r.stderr
    # the index's adapter is the model's by any name of its directory
    assert Engine.open(indexed.repo, quick_start=True,
                       llm=LLMSettings(model=tiny + "/", dtype="float32")).current_adapter() is not None


def test_asked_with_another_model_the_warning_names_the_model_the_adapter_is_for(indexed, examples, tiny, tmp_path):
    """It said "`rag finetune` tunes it" of an index whose adapter was for another model (QA sweep 5)."""
    from rag.engine import Engine
    from rag.settings import LLMSettings
    from tiny_models import save_tiny_model

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    other = str(save_tiny_model(tmp_path / "other", "llama"))
    engine = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=other, dtype="float32"))
    warnings = engine.ask("add a product to the cart", llm=True).warnings
    assert any(f"this index's adapter is for {tiny}: ask with --model {tiny}" in w for w in warnings), warnings


def test_an_adapter_with_non_finite_weights_is_damage_not_an_answer(indexed, examples, tiny, tmp_path):
    """With NaN weights every score was NaN: `confidence nan`, and `--json` wrote NaN (not JSON)."""
    import shutil

    from safetensors.torch import load_file, save_file

    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    store = AdapterStore(indexed.store.dir)
    damaged = tmp_path / "damaged"
    shutil.copytree(store.path(store.current()), damaged)
    os.remove(damaged / "rag-seal.json")  # an adapter from elsewhere: unsealed, so its scores must tell
    weights = load_file(damaged / "adapter_model.safetensors")
    save_file({k: v.fill_(float("nan")) for k, v in weights.items()}, damaged / "adapter_model.safetensors")
    engine = Engine.open(indexed.repo, quick_start=True, llm=LLMSettings(model=tiny, dtype="float32"))
    with pytest.raises(ConfigError, match="non-finite scores"):
        engine.ask("add a product to the cart", llm=True, adapter=str(damaged))
    # a weights file cut short (a full disk, a copy stopped halfway): one line, on either backend, not
    # an "internal error: SafetensorError" (QA sweep 5)
    from rag.llm.model import LocalLLM

    weights = damaged / "adapter_model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    for backend in ("auto", "transformers"):
        with pytest.raises(ConfigError, match="cannot load the adapter at .*damaged, or trained for another"):
            LocalLLM.load(tiny, "cpu", "float32", adapter=str(damaged), backend=backend)


def test_a_damaged_adapter_record_is_said_and_its_adapter_kept(indexed, examples, tiny, tmp_path):
    """A current.json cut short was "the model is not tuned", and the next training removed the adapter
    it had named (QA sweep 5)."""
    import shutil

    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    index_dir = tmp_path / "index"
    shutil.copytree(indexed.store.dir, index_dir)
    store = AdapterStore(str(index_dir))
    old = store.path(store.current())
    (index_dir / "finetune" / "current.json").write_text('{"adapter":')
    engine = Engine.open(indexed.repo, index_dir=str(index_dir), quick_start=True,
                         llm=LLMSettings(model=tiny, dtype="float32"))
    with pytest.raises(ConfigError, match="adapter is damaged .current.json is unreadable"):
        engine.ask("add a product to the cart", llm=True)
    assert engine.ask("add a product to the cart").candidates  # retrieval alone is untouched
    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=16, validation_examples=4)
    report = train(examples, str(index_dir), indexed.store.manifest().snapshot, asdict(DATA), settings,
                   progress=False, force=True)
    assert report.adapter is not None and os.path.isdir(old) and store.current().adapter == report.adapter


def test_an_adapter_changed_since_it_was_published_is_damage(indexed, examples, tiny, tmp_path):
    """QA sweep 6: one byte of the adapter's weights flipped (the size kept) was asked and merged as
    the validated adapter, and `rag index --check` never looked at the adapter."""
    import shutil

    from conftest import run_rag
    from finetune.pipeline import merge
    from rag.engine import Engine
    from rag.settings import LLMSettings

    if AdapterStore(indexed.store.dir).current() is None:
        _train(indexed, examples, tiny)
    index_dir = tmp_path / "index"
    shutil.copytree(indexed.store.dir, index_dir)
    store = AdapterStore(str(index_dir))
    assert os.path.isfile(os.path.join(store.path(store.current()), "rag-seal.json")) and store.adapter_damage() == []
    assert run_rag("index", indexed.repo, "--index-dir", index_dir, "--check").returncode in (0, 1)  # not damaged
    weights = os.path.join(store.path(store.current()), "adapter_model.safetensors")
    data = bytearray(open(weights, "rb").read())
    data[-5] ^= 0xFF
    open(weights, "wb").write(bytes(data))
    engine = Engine.open(indexed.repo, index_dir=str(index_dir), quick_start=True,
                         llm=LLMSettings(model=tiny, dtype="float32"))
    with pytest.raises(ConfigError, match="adapter is damaged .the adapter's adapter_model.safetensors changed"):
        engine.ask("add a product to the cart", llm=True)
    with pytest.raises(ConfigError, match="adapter is damaged"):
        merge(str(index_dir), str(tmp_path / "merged"), tiny)
    r = run_rag("index", indexed.repo, "--index-dir", index_dir, "--check")
    assert r.returncode == 4 and "its LLM adapter" in r.stdout and "adapter_model.safetensors" in r.stdout, r.stdout
    r = run_rag("index", indexed.repo, "--index-dir", index_dir)
    assert r.returncode == 0 and "adapter is damaged" in r.stderr, r.stderr
    # named by its path, the same adapter is no more trusted (QA sweep 7)
    engine = Engine.open(indexed.repo, index_dir=str(index_dir), quick_start=True,
                         llm=LLMSettings(model=tiny, dtype="float32", adapter=os.path.dirname(weights)))
    with pytest.raises(ConfigError, match="is damaged"):
        engine.ask("add a product to the cart", llm=True)


def test_a_record_of_the_wrong_shape_is_damage_not_an_internal_error(tmp_path):
    """QA sweep 7: valid JSON with a field of the wrong type was an internal error everywhere, and a
    record naming `../other/adapter-…` or an absolute path loaded what was not the index's."""
    from rag.llm.adapters import AdapterInfo, RetrieverInfo, read_record

    good = {"adapter": "adapter-1", "base_model": "m", "snapshot": "s", "created": "c", "candidates": 5,
            "prompt_tokens": 10, "summary_words": 20, "label_form": "plain"}
    path = tmp_path / "current.json"
    path.write_text(json.dumps(good))
    assert read_record(str(path), AdapterInfo) is not None
    for bad in ({"adapter": 5}, {"adapter": "../other/adapter-1"}, {"adapter": "/abs/adapter-1"},
                {"candidates": "five"}, {"validation_accuracy": "high"}, {"settings": None}):
        path.write_text(json.dumps({**good, **bad}))
        assert read_record(str(path), AdapterInfo) is None, bad
    embedder = {"embedder": "retriever-1", "base_embedder": "b", "snapshot": "s", "created": "c"}
    for bad in ({"files": "abc"}, {"files": None}, {"embedder": ".."}):
        path.write_text(json.dumps({**embedder, **bad}))
        assert read_record(str(path), RetrieverInfo) is None, bad


def test_resume_with_nothing_interrupted_says_so(indexed, examples, tiny, tmp_path):
    """--resume started a new run without a word, and after a finished run named settings of an
    "interrupted run" that was none (QA sweep 4)."""
    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=16, validation_examples=4)
    snapshot = indexed.store.manifest().snapshot
    with pytest.raises(ConfigError, match="nothing to resume"):
        train(examples, str(tmp_path), snapshot, asdict(DATA), settings, resume=True, progress=False)
    train(examples, str(tmp_path), snapshot, asdict(DATA), settings, progress=False)
    with pytest.raises(ConfigError, match="nothing to resume"):
        train(examples, str(tmp_path), snapshot, asdict(DATA), replace(settings, lora_r=8), resume=True, progress=False)


def test_a_time_budget_spent_before_training_stops_the_run_with_nothing_trained(indexed, examples, tiny, tmp_path):
    """--max-minutes 1 ran four minutes on a busy machine: a step, a validation and the held-out check
    after a budget the examples had already spent (QA sweep 4)."""
    import shutil
    import time

    from finetune.settings import TrainSettings
    from finetune.train import train

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=16, validation_examples=4, max_minutes=1)
    snapshot = indexed.store.manifest().snapshot
    with pytest.raises(ConfigError, match="spent before training began .* nothing was trained"):
        train(examples, str(tmp_path), snapshot, asdict(DATA), settings, progress=False,
              started=time.monotonic() - 61, force=True)
    assert AdapterStore(str(tmp_path)).current() is None
    # an interrupted run's checkpoint outlives a resumed run whose budget ran out before training (QA sweep 5)
    from finetune.train import SETTINGS_RECORD
    from graph.settings_model import to_record

    work = tmp_path / "finetune" / "work"
    (work / "checkpoint-2").mkdir(parents=True)
    (work / SETTINGS_RECORD).write_text(json.dumps(to_record(settings)))
    with pytest.raises(ConfigError, match="spent before training began"):
        train(examples, str(tmp_path), snapshot, asdict(DATA), settings, progress=False, resume=True,
              started=time.monotonic() - 61, force=True)
    assert (work / "checkpoint-2").is_dir()
    shutil.rmtree(work)
    stages = set()
    report = train(examples, str(tmp_path), snapshot, asdict(DATA), settings, force=True,
                   progress=lambda stage, done, total: stages.add(stage))
    assert report.adapter is not None  # within the budget it trains as before
    assert stages == {"validate", "train"}  # told as `rag index` tells its stages


def test_resume_refuses_other_examples_than_the_interrupted_run_had(indexed, examples, tiny, tmp_path):
    """--resume carried on after the index changed, or with another --until, on a checkpoint trained
    on other examples (QA sweep 5)."""
    from finetune.settings import TrainSettings
    from finetune.train import DATA_RECORD, SETTINGS_RECORD, train
    from graph.settings_model import to_record

    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             max_train_examples=16, validation_examples=4)
    snapshot = indexed.store.manifest().snapshot
    work = tmp_path / "finetune" / "work"
    (work / "checkpoint-2").mkdir(parents=True)
    (work / SETTINGS_RECORD).write_text(json.dumps(to_record(settings)))
    (work / DATA_RECORD).write_text(json.dumps({"snapshot": snapshot, "data": asdict(DATA)}))
    later = asdict(replace(DATA, until="2021-06-30"))
    with pytest.raises(ConfigError, match="examples were made with until None .now '2021-06-30'."):
        train(examples, str(tmp_path), snapshot, later, settings, resume=True, progress=False)
    with pytest.raises(ConfigError, match="the index changed since the interrupted run began"):
        train(examples, str(tmp_path), "snap-other", asdict(DATA), settings, resume=True, progress=False)
    assert (work / "checkpoint-2").is_dir()  # refused, not removed


def test_a_second_training_run_is_refused_while_one_holds_the_lock(indexed):
    store = AdapterStore(indexed.store.dir)
    with store.training_lock():
        with pytest.raises(LockedError, match="another `rag finetune`"):
            with store.training_lock():
                pass


def test_bad_finetune_input_is_one_line(indexed, tmp_path):
    from conftest import run_rag

    r = run_rag("finetune", indexed.repo, "--qlora")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "CUDA" in r.stderr
    r = run_rag("finetune", indexed.repo, "--base-model", tmp_path / "nope")
    assert r.returncode == 2 and "no model directory" in r.stderr
    r = run_rag("ask", "cart", "--repo", indexed.repo, "--llm", "--adapter", tmp_path)
    assert r.returncode == 2 and "no LoRA adapter" in r.stderr
    # the Python API likewise, at once: peft took an unknown name for one on the Hugging Face hub
    with pytest.raises(ConfigError, match="no LoRA adapter at x"):
        indexed.ask("cart", llm=True, adapter="x")
    from rag.retrieval.question import QueryError
    with pytest.raises(QueryError, match="file level only"):  # the API asked the model about folders (QA sweep 5)
        indexed.ask("cart", llm=True, level="dir")
    r = run_rag("ask", "cart", "--repo", indexed.repo, "--llm", "--level", "dir")
    assert r.returncode == 2 and "file level only" in r.stderr and r.stderr.count("\n") == 1
    (tmp_path / "model.bin").write_text("weights")
    r = run_rag("finetune", indexed.repo, "--merge", tmp_path / "model.bin")
    assert r.returncode == 2 and "is a file, not a directory" in r.stderr  # was an internal error
    for flag in (["--dump-data", str(tmp_path / "d.jsonl")], ["--lora-r", "8"], ["--resume"]):
        r = run_rag("finetune", indexed.repo, "--retriever", *flag)  # ignored before, and the embedder tuned
        assert r.returncode == 2 and f"{flag[0]} is for training the LLM's adapter" in r.stderr
    assert not (tmp_path / "d.jsonl").exists()
    for flag in (["--dump-data", str(tmp_path / "d.jsonl")], ["--lora-r", "8"], ["--until", "2021"],
                 ["--embedder", "all-MiniLM-L6-v2"]):  # ignored before (QA sweeps 5 and 6)
        r = run_rag("finetune", indexed.repo, "--merge", tmp_path / "merged", *flag)
        assert r.returncode == 2 and f"{flag[0]} goes with a training run" in r.stderr
    assert not (tmp_path / "merged").exists()
    r = run_rag("finetune", indexed.repo, "--lora-r", "-3")
    assert r.returncode == 2 and "must be 1 or more" in r.stderr
    with pytest.raises(ValueError, match="label_form"):
        from finetune.settings import TrainSettings
        TrainSettings(label_form="poetry")
    with pytest.raises(ConfigError, match="no adapter"):
        from finetune.pipeline import merge
        merge(str(tmp_path), str(tmp_path / "out"))


def test_git_history_queries_split_by_time(indexed):
    from finetune.examples import queries_from_history

    rows = [{"query": f"change {i}", "gold_files": ["shop/cart.py"], "commit": f"c{i}"} for i in range(4)]
    rows.insert(1, {"query": "two files", "gold_files": ["shop/cart.py", "shop/catalog.py"], "commit": "x"})
    rows.append({"query": "gone", "gold_files": ["shop/deleted.py"], "commit": "y"})
    queries = queries_from_history(rows, indexed.retriever.modules, DataSettings(validation_fraction=0.25))
    assert [q.text for q in queries] == ["change 0", "change 1", "change 2", "change 3"]  # newest first
    assert [q.split for q in queries] == ["validation", "train", "train", "train"]  # the newest validates
    assert all(q.origin == "git" and q.module == "shop/cart.py" for q in queries)


def test_until_keeps_history_pairs_in_the_past_and_each_is_asked_as_of_its_commit(indexed):
    from finetune.examples import build_examples, queries_from_history
    from graph.history import commit_time
    from rag.retrieval.past_changes import AsOf

    rows = [{"query": f"change {i}", "gold_files": ["shop/cart.py"], "commit": f"c{i}",
             "date": f"2022-03-{10 - i:02d}T12:00:00+00:00"} for i in range(4)]  # newest first: 10th … 7th
    settings = DataSettings(validation_fraction=0.25, until="2022-03-09")
    queries = queries_from_history(rows, indexed.retriever.modules, settings)
    assert [q.text for q in queries] == ["change 2", "change 3"]  # the 10th and 9th are the future
    assert queries[0].as_of == AsOf(commit_time(rows[2]["date"]), "c2")
    asked = []

    def search(text, k, as_of=None):
        asked.append(as_of)
        return ["shop/cart.py", "shop/catalog.py"]

    class Tokenizer:  # render() counts words as tokens
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": text.split()}

    examples = build_examples(queries, search, indexed.retriever.modules, Tokenizer(), settings)
    assert asked == [q.as_of for q in queries]  # each asked without its own commit and what came after
    assert {e.query for e in examples} == {"change 2", "change 3"}


@pytest.mark.parametrize("date", ["yesterday", "2022-13-40"])
def test_a_bad_until_is_one_line(date):
    with pytest.raises(ValueError, match="until must be an ISO 8601 date"):
        DataSettings(until=date)


def test_sampling_queries_caps_each_split_and_keeps_them_apart():
    from finetune.examples import DataSettings, Query, sample_queries, split_of

    settings = DataSettings(validation_fraction=0.3)
    queries = [Query(f"query {i}", f"m{i % 7}.py", f"source-{i % 40}") for i in range(400)]
    split = {q: split_of(q.source, settings) for q in queries}
    sampled = sample_queries(queries, settings, train=50, validation=10)
    assert sum(split[q] == "train" for q in sampled) == 50 and sum(split[q] == "validation" for q in sampled) == 10
    assert sampled == [q for q in queries if q in set(sampled)]  # order kept
    assert sample_queries(queries, settings, 50, 10) == sampled  # seeded
    assert sample_queries(queries, settings, 10_000, 10_000) == queries  # under the caps: all of them


def test_adapter_records_are_versioned(tmp_path):
    """A record with a field this rag does not know still names its adapter; a record of a newer
    version is refused in one line, not taken for "no adapter"."""
    from rag.llm.adapters import CURRENT, RECORD_VERSION, AdapterInfo

    store = AdapterStore(str(tmp_path))
    written = store.new_path()
    os.makedirs(written)
    info = store.publish(written, AdapterInfo(adapter="", base_model="m", snapshot="s", created="now",
                                              candidates=5, prompt_tokens=320, summary_words=12, label_form="plain"))
    record = os.path.join(store.dir, CURRENT)
    data = json.load(open(record))
    assert data["record_version"] == RECORD_VERSION and store.current() == info
    assert store.annotate("adapter-another", held_out={"queries": 3}) is None  # not the current one: untouched
    info = store.annotate(info.adapter, held_out={"queries": 3})
    assert info.held_out == store.current().held_out == {"queries": 3}
    data = json.load(open(record))
    data["a_field_from_a_later_rag"] = 1
    json.dump(data, open(record, "w"))
    assert store.current() == info
    old = {k: v for k, v in data.items() if k not in ("ranks", "definitions")} | {"record_version": 1}
    json.dump(old, open(record, "w"))  # an adapter of rag 0.1.24: its prompts showed summaries alone
    assert (store.current().ranks, store.current().definitions) == (False, False)
    data["record_version"] = RECORD_VERSION + 1
    json.dump(data, open(record, "w"))
    with pytest.raises(ConfigError, match="newer rag"):
        store.current()
    del data["record_version"], data["base_model"]  # damaged: no adapter
    json.dump(data, open(record, "w"))
    assert store.current() is None


def test_with_ranks_shown_a_gold_retrieval_missed_is_not_slipped_in_but_abstained_on(indexed):
    from finetune.examples import Query, build_examples
    from rag.llm.prompt import ABSTAIN

    settings = DataSettings(candidates=2, ranks=True, abstain_fraction=0.0)
    queries = [Query("pay for the order", "shop/checkout.py", "s1", split="train"),
               Query("add to the cart", "shop/cart.py", "s2", split="train")]

    def search(text, k, as_of=None):  # retrieval's order: the cart first, then the catalog, then checkout
        return ["shop/cart.py", "shop/catalog.py", "shop/checkout.py"][:k]

    class Tokenizer:  # render() counts words as tokens
        def __call__(self, text, add_special_tokens=False):
            return {"input_ids": text.split()}

    shown = []

    def describe(text, modules, ranks):
        shown.append(ranks)
        return [Listed(m, "a module", ranks[m]) for m in modules]

    examples = build_examples(queries, search, indexed.retriever.modules, Tokenizer(), settings, describe)
    by_query = {e.query: e for e in examples if e.form == "plain"}
    assert by_query["pay for the order"].gold == ABSTAIN and "shop/checkout.py" not in by_query["pay for the order"].candidates
    assert by_query["add to the cart"].gold == "shop/cart.py"
    assert "(retrieval rank 1)" in by_query["add to the cart"].prompt
    assert shown[0] == {"shop/cart.py": 1, "shop/catalog.py": 2, "shop/checkout.py": 3}
    plain = build_examples(queries, search, indexed.retriever.modules, Tokenizer(), replace(settings, ranks=False))
    assert {e.gold for e in plain} == {"shop/checkout.py", "shop/cart.py"}  # without ranks the gold is slipped in


def test_an_adapter_records_the_prompt_shape_it_was_trained_on(indexed, examples, tiny, tmp_path):
    from finetune.settings import TrainSettings
    from finetune.train import train

    # two steps: the first, at the warm-up's learning rate of 0, changes nothing
    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=2, batch_size=8,
                             max_train_examples=8, validation_examples=2)
    train(examples, str(tmp_path), indexed.store.manifest().snapshot,
          asdict(replace(DATA, ranks=True, definitions=True)), settings, progress=False, force=True)
    info = AdapterStore(str(tmp_path)).current()
    assert (info.ranks, info.definitions) == (True, True)
    record = json.loads((tmp_path / "finetune" / "current.json").read_text())
    assert record["record_version"] == 2 and record["definitions"] is True


def test_after_training_the_adapter_is_asked_the_held_out_commits_with_and_without_llm(tmp_path, tiny):
    """The test a tuned model has to pass: every held-out commit (newest first, not only those of the
    validation sample), each asked as at its commit, answered by `rag ask --llm` with the new adapter
    and by `rag ask`; the counts are what those commands give."""
    import shutil

    from conftest import FIXTURES, run_rag
    from finetune.examples import queries_from_history
    from finetune.pipeline import finetune
    from finetune.settings import TrainSettings
    from rag.commit_queries import mine
    from rag.engine import Engine
    from rag.settings import LLMSettings
    from test_history import commit, day, git

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    git(repo, "init", "-q")
    commit(repo, "Start the shop: catalog, cart, checkout and payments", day(1))
    changes = [("shop/cart.py", "Let the cart hold several units of one product"),
               ("shop/catalog.py", "Look products up by their stock-keeping unit"),
               ("shop/checkout.py", "Confirm an order only once the payment went through"),
               ("shop/cart.py", "Empty the cart after a completed checkout"),
               ("shop/catalog.py", "List the catalog's products by category"),
               ("shop/checkout.py", "Ask for a shipping address at checkout"),
               ("shop/cart.py", "Show the cart's total with taxes"),
               ("shop/catalog.py", "Hide products that are out of stock")]
    for i, (path, message) in enumerate(changes + [(p, f"{m}, again") for p, m in changes]):
        with open(repo / path, "a") as fh:
            fh.write(f"\n# change {i}\n")
        commit(repo, message, day(i + 2))
    # the model alone orders the candidates (not fused), so that its answers differ from retrieval's
    engine = Engine.open(str(repo), quick_start=True, llm=LLMSettings(fusion_weight=None))
    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1, batch_size=8,
                             learning_rate=5e-3, max_train_examples=16, validation_examples=16)
    report = finetune(engine, settings, DATA, progress=False, force=True)
    held_out = {q.source.removeprefix("git:"): q for q in queries_from_history(
        mine(str(repo)).rows, engine.retriever.modules, DATA) if q.split == "validation"}
    check = report.held_out
    assert check is not None and check["commits"] == list(held_out) and check["queries"] == len(held_out) > 1
    # the same commits asked again, as the two commands ask them
    with_llm = Engine(engine.repo, engine.store, engine.retriever, engine.stale,
                      LLMSettings(model=tiny, fusion_weight=None))
    for i, sha in enumerate(check["commits"]):
        q = held_out[sha]
        plain = [c.module for c in engine.ask(q.text, as_of=q.as_of).candidates]
        fused = [c.module for c in with_llm.ask(q.text, llm=True, as_of=q.as_of).candidates]
        assert check["retrieval"]["reciprocal_ranks"][i] == round(1 / (plain.index(q.module) + 1), 4)
        assert check["llm"]["reciprocal_ranks"][i] == round(1 / (fused.index(q.module) + 1), 4)
    better, worse = check["better"], check["worse"]
    assert check["llm"]["acc1"] - check["retrieval"]["acc1"] == pytest.approx(100 * (better - worse) / check["queries"], abs=0.02)
    # the adapter's record keeps it, and `rag ask --llm` says when the adapter did no better
    assert AdapterStore(engine.store.dir).current().held_out == check
    assert check["clearly_better"] == (better > worse and check["p_value"] < 0.05)

    def warned(check) -> bool:
        store = AdapterStore(engine.store.dir)
        store.annotate(store.current().adapter, held_out=check)
        asking = Engine(engine.repo, engine.store, engine.retriever, engine.stale, LLMSettings(model=tiny))
        return any("held-out commits of this repository" in w for w in asking.ask("cart total", llm=True).warnings)

    assert warned(check) == (not check["clearly_better"])
    assert warned({**check, "clearly_better": False}) and not warned({**check, "clearly_better": True})
    assert not warned({"queries": "a hand-edited record"}) and not warned([1, 2])  # unreadable: no note, no error
    # and the command line says it (--force: the tiny model's adapter need not beat it on validation),
    # even with -q, which silences everything else: the Trainer's loss lines, the libraries' warnings
    r = run_rag("finetune", repo, "--base-model", tiny, "--epochs", "1", "--max-examples", "16", "--force", "-q",
                "--gradient-checkpointing", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "held-out commits, each asked as at its commit: `rag ask --llm` Acc@1" in r.stderr
    assert r.stdout == "" and "Warning" not in r.stderr, (r.stdout, r.stderr)


def test_the_held_out_check_skips_a_commit_with_nothing_to_ask(indexed, tiny):
    from finetune.examples import Query
    from finetune.pipeline import check_adapter

    commits = [Query("   ", "shop/cart.py", "git:aaa", "git", "validation"),
               Query("add a product to the cart", "shop/cart.py", "git:bbb", "git", "validation")]
    check = check_adapter(indexed, commits, tiny)
    assert check.commits == ["bbb"] and check.queries == 1 and check.retrieval.queries == check.llm.queries == 1


def test_the_held_out_check_stops_when_its_time_is_out(indexed, tiny):
    """`--max-minutes 3` ran 8.6 minutes, 5 of them asking 85 held-out commits (README audit, sweep 11):
    the check has a fifth of the budget, and the newest commits asked by then decide (at least ten)."""
    from finetune.examples import Query
    from finetune.pipeline import MIN_CHECKED, check_adapter

    commits = [Query(f"add product {i} to the cart", "shop/cart.py", f"git:{i:03d}", "git", "validation")
               for i in range(MIN_CHECKED + 5)]
    check = check_adapter(indexed, commits, tiny, seconds=0)
    assert check.queries == MIN_CHECKED and check.held_out == MIN_CHECKED + 5 and check.timed_out
    assert check.commits == [f"{i:03d}" for i in range(MIN_CHECKED)]  # the newest first, as given
    # a commit with nothing to ask is left out, and the time did not run out (sweep 13: it said it had)
    unasked = check_adapter(indexed, commits[:3] + [Query("   ", "shop/cart.py", "git:blank", "git", "validation")], tiny)
    assert unasked.held_out == 4 and unasked.queries == 3 and not unasked.timed_out


def test_an_interrupted_run_names_the_adapter_it_published():
    """QA sweep 6: Ctrl-C after an epoch had published its adapter said "the current adapter is unchanged"."""
    from finetune.cli import _adapter_now
    from rag.llm.adapters import AdapterInfo

    def info(name):
        return AdapterInfo(adapter=name, base_model="m", snapshot="s", created="c", candidates=5, prompt_tokens=1,
                           summary_words=1, label_form="plain", validation_accuracy=0.5)

    assert _adapter_now(None, None).startswith("there is no adapter yet")  # QA sweep 7: "unchanged"
    assert _adapter_now(info("adapter-a"), info("adapter-a")) == "adapter-a stays the current adapter"
    for before in (None, info("adapter-a")):
        said = _adapter_now(before, info("adapter-b"))
        assert said.startswith("adapter-b, published by this run") and "0.5" in said


def test_resume_is_refused_before_the_examples_are_built(indexed, tiny, monkeypatch):
    """QA sweep 6: `--resume` with other epochs or another --until built every training example (minutes
    on a big repository) before saying it cannot resume."""
    import finetune.pipeline as pipeline
    from finetune.settings import TrainSettings

    def built(*args, **kwargs):
        raise AssertionError("examples built before the resume check")

    monkeypatch.setattr(pipeline, "examples_for", built)
    monkeypatch.setattr(pipeline, "training_queries", built)
    settings = TrainSettings(base_model=tiny, dtype="float32", device="cpu", epochs=1)
    with pytest.raises(ConfigError, match="nothing to resume|cannot resume"):
        pipeline.finetune(indexed, settings, DATA, resume=True, progress=None)
