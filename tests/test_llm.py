"""The LLM stage with tiny models built from a config: loading, the prompt, cached scoring, the
constrained decoder, the engine, and bad input."""
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.errors import ConfigError
from rag.llm.model import LocalLLM, model_dir, pick_device
from rag.llm.ranker import TokenTrie, constrained_decode, score_naively, score_options
from rag.llm.prompt import ABSTAIN, INSTRUCTION, Listed, render
from tiny_models import save_tiny_model

@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-llms")
    return {"llama": save_tiny_model(root / "llama", "llama"), "qwen2": save_tiny_model(root / "qwen2", "qwen2"),
            "plain": save_tiny_model(root / "plain", "llama", chat=False)}


OPTIONS = ["shop/cart.py", "shop/catalog.py", "shop/checkout.py", "shop/payment/gateway.py", ABSTAIN]


@pytest.mark.parametrize("arch", ["llama", "qwen2"])
def test_cached_scoring_equals_a_full_forward_per_option(tiny, arch):
    llm = LocalLLM.load(tiny[arch], device="cpu", dtype="float32")
    prompt = render(llm.tokenizer, "add a product to the cart", [Listed(o, "a module") for o in OPTIONS[:-1]]).text
    assert prompt.startswith("<|system|>") and prompt.endswith("<|assistant|>")
    fast, slow = score_options(llm, prompt, OPTIONS), score_naively(llm, prompt, OPTIONS)
    assert np.allclose(fast, slow, atol=1e-4)
    assert np.all(fast < 0)


def test_plain_template_without_a_chat_template(tiny):
    llm = LocalLLM.load(tiny["plain"], device="cpu", dtype="float32")
    prompt = render(llm.tokenizer, "pay", [Listed("shop/checkout.py", "Checkout")])
    assert prompt.text.startswith(INSTRUCTION) and prompt.text.endswith("Answer: ")


def test_prompt_fits_the_budget_by_shortening_summaries_never_ids(tiny):
    llm = LocalLLM.load(tiny["llama"], device="cpu", dtype="float32")
    long_summary = "word " * 300
    cands = [Listed(o, long_summary) for o in OPTIONS[:-1]]
    roomy = render(llm.tokenizer, "q", cands, budget=100_000)
    tight = render(llm.tokenizer, "q", cands, budget=400)
    assert tight.tokens <= 400 < roomy.tokens
    assert all(o in tight.text for o in OPTIONS[:-1])
    huge = render(llm.tokenizer, "a very long report " * 400, cands, budget=400)
    assert huge.query_truncated and all(o in huge.text for o in OPTIONS[:-1])


def test_trie_handles_shared_prefixes(tiny):
    llm = LocalLLM.load(tiny["llama"], device="cpu", dtype="float32")
    options = ["shop/cart.py", "shop/cart.pyi", "shop/ca"]  # the same prefixes, different ends
    trie = TokenTrie(llm.tokenizer, options)
    for option in options:
        assert constrained_decode(llm, "x", [option]) == option  # a single allowed answer always comes out
    assert len(trie.allowed(trie.root)) >= 1


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(query=st.text(min_size=1, max_size=60),
       options=st.lists(st.from_regex(r"[a-z_]{1,8}(/[a-z_]{1,8}){0,2}\.(py|go|rs)", fullmatch=True),
                        min_size=1, max_size=6, unique=True))
def test_decoding_only_ever_yields_an_allowed_answer(tiny, query, options):
    llm = _cached_llm(tiny["llama"])
    allowed = options + [ABSTAIN]
    prompt = render(llm.tokenizer, query, [Listed(o, "summary") for o in options]).text
    assert constrained_decode(llm, prompt, allowed) in allowed
    scores = score_options(llm, prompt, allowed)
    assert len(scores) == len(allowed) and np.all(np.isfinite(scores))


_LLMS = {}


def _cached_llm(path):
    if path not in _LLMS:
        _LLMS[path] = LocalLLM.load(path, device="cpu", dtype="float32")
    return _LLMS[path]


def test_engine_with_llm_reranks_candidates(shop, tiny):
    from rag.engine import Engine
    from rag.settings import LLMSettings

    engine = Engine.open(str(shop), quick_start=True, llm=LLMSettings(model=tiny["qwen2"], dtype="float32"))
    retrieval = engine.ask("add a product to the cart", k=4)
    res = engine.ask("add a product to the cart", k=4, llm=True)
    assert res.method == "hybrid+llm" and set(res.timing_ms) == {"retrieve", "llm", "total"}
    assert {c.module for c in res.candidates} == {c.module for c in retrieval.candidates}
    probs = [c.score for c in res.candidates]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1.0) < 1e-3  # among the candidates
    assert res.answer is None or res.answer.module == res.candidates[0].module
    # the calibration was fit on retrieval's answers: the model's pick says it is not calibrated
    assert res.answer is None or (not res.answer.calibrated and res.answer.share is None)
    assert all(any(w.startswith("model probability") for w in c.why) for c in res.candidates)
    # an index with one module still works
    one = shop / "one"
    (one / "pkg").mkdir(parents=True)
    (one / "pkg" / "only.py").write_text('"""The only module."""\ndef f():\n    pass\n')
    single = Engine.open(str(one), quick_start=True, llm=LLMSettings(model=tiny["llama"], dtype="float32"))
    assert [c.module for c in single.ask("anything", llm=True).candidates] == ["pkg/only.py"]
    everything = Engine.open(str(shop), quick_start=True,
                             llm=LLMSettings(model=tiny["llama"], dtype="float32", scope="all"))
    res = everything.ask("add a product to the cart", llm=True)
    assert res.answer is None or res.answer.module in {m.id for m in everything.retriever.modules.values()}


def test_abstention_below_the_confidence_threshold(shop, tiny):
    from rag.engine import Engine
    from rag.settings import LLMSettings

    engine = Engine.open(str(shop), quick_start=True,
                         llm=LLMSettings(model=tiny["llama"], dtype="float32", min_confidence=0.99))
    res = engine.ask("add a product to the cart", llm=True)
    assert res.answer is None and any("abstained" in w for w in res.warnings)
    assert res.to_dict()["answer"] is None


def test_bad_model_paths(tmp_path, tiny):
    with pytest.raises(ConfigError, match="no model directory"):
        model_dir(str(tmp_path / "missing"))
    (tmp_path / "enc").mkdir()
    (tmp_path / "enc" / "config.json").write_text(json.dumps({"architectures": ["BertModel"]}))
    with pytest.raises(ConfigError, match="not a causal language model"):
        model_dir(str(tmp_path / "enc"))
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "config.json").write_text("{")
    with pytest.raises(ConfigError, match="not a Hugging Face model directory"):
        model_dir(str(tmp_path / "junk"))
    assert pick_device("cpu", "float32")[0] == "cpu"
    with pytest.raises(ConfigError, match="unknown dtype"):
        pick_device("cpu", "float13")


def test_cli_llm_bad_model_is_one_line(shop, tmp_path):
    from conftest import run_rag

    r = run_rag("ask", "cart", "--repo", shop, "--llm", "--model", tmp_path / "nope")
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "no model directory" in r.stderr


@pytest.mark.parametrize("backend", ["auto", "transformers"])
def test_a_model_too_big_for_memory_is_one_clear_error(tiny, monkeypatch, backend):
    import safetensors.torch
    import transformers

    def no_memory(*args, **kwargs):
        raise MemoryError()

    def torch_cannot_allocate(*args, **kwargs):
        raise RuntimeError("[enforce fail at alloc_cpu.cpp:117] DefaultCPUAllocator: can't allocate memory")

    monkeypatch.setattr(transformers.AutoModelForCausalLM, "from_pretrained", no_memory)
    monkeypatch.setattr(safetensors.torch, "load_file", torch_cannot_allocate)
    with pytest.raises(ConfigError, match="does not fit in memory"):
        LocalLLM.load(tiny["llama"], device="cpu", dtype="float32", backend=backend)


def test_think_writes_a_bounded_rationale_then_a_valid_answer(shop, tiny):
    from rag.engine import Engine
    from rag.llm.ranker import generate_rationale
    from rag.llm.prompt import ANSWER_MARK, THINK_REQUEST
    from rag.settings import LLMSettings

    llm = _cached_llm(tiny["llama"])
    prompt = render(llm.tokenizer, "add a product to the cart", [Listed(o, "summary") for o in OPTIONS[:-1]], think=True)
    assert THINK_REQUEST in prompt.text
    rationale = generate_rationale(llm, prompt.text, max_tokens=5)
    longest = max(len(llm.tokenizer.decode([i])) for i in range(len(llm.tokenizer)))
    assert ANSWER_MARK not in rationale and len(rationale) <= 5 * longest  # bounded by max_tokens
    engine = Engine.open(str(shop), quick_start=True,
                         llm=LLMSettings(model=tiny["llama"], dtype="float32", think=True, think_tokens=8))
    plain = Engine.open(str(shop), quick_start=True, llm=LLMSettings(model=tiny["llama"], dtype="float32"))
    res = engine.ask("add a product to the cart", k=4, llm=True)
    assert {c.module for c in res.candidates} == {c.module for c in plain.ask("add a product to the cart", k=4).candidates}
    assert res.answer is None or res.answer.module == res.candidates[0].module
    reasoning = [w for c in res.candidates for w in c.why if w.startswith("model's reasoning: ")]
    assert len(reasoning) == 1 and reasoning[0] in res.candidates[0].why  # shown once, with the answer
    assert not any("reasoning" in w for c in plain.ask("add a product to the cart", k=4, llm=True).candidates
                   for w in c.why)


def test_fusion_brings_retrieval_back_in(shop, tiny):
    from rag.engine import Engine
    from rag.settings import LLMSettings

    def engine(**kw):
        return Engine.open(str(shop), quick_start=True, llm=LLMSettings(model=tiny["llama"], dtype="float32", **kw))

    query = "add a product to the cart"
    retrieval = [c.module for c in engine().ask(query, k=4).candidates]
    fused = engine(fusion_weight=0.0).ask(query, k=4, llm=True)  # weight 0: retrieval's order, model consulted
    assert [c.module for c in fused.candidates] == retrieval
    assert all(any(w.startswith("model probability") for w in c.why) for c in fused.candidates)
    probs = [c.score for c in fused.candidates]
    assert probs == sorted(probs, reverse=True) and abs(sum(probs) - 1) < 1e-3


def test_an_answer_over_all_modules_leads_the_list(shop, tiny, monkeypatch):
    from rag.llm import ranker as llm_ranker
    from rag.engine import Engine
    from rag.settings import LLMSettings

    engine = Engine.open(str(shop), quick_start=True,
                         llm=LLMSettings(model=tiny["llama"], dtype="float32", scope="all"))
    query = "add a product to the cart"
    retrieval = engine.ask(query, k=3).candidates
    # what the tiny random model decodes is arbitrary: make it pick retrieval's third, then a module it missed
    missed = next(m.id for m in engine.retriever.modules.values()
                  if m.kind == "file" and m.id not in {c.module for c in retrieval})
    for pick, rank in [(retrieval[2].module, "retrieval rank 3"), (missed, "not among the retrieved")]:
        monkeypatch.setattr(llm_ranker, "constrained_decode", lambda model, text, options, pick=pick: pick)
        res = engine.ask(query, k=3, llm=True)
        assert res.answer.module == res.candidates[0].module == pick
        assert res.candidates[0].summary == engine.retriever.modules[pick].summary
        assert any(rank in w for w in res.candidates[0].why)
        scores = [c.score for c in res.candidates]
        assert scores == sorted(scores, reverse=True)
        assert [c.module for c in res.candidates[1:]] == [c.module for c in retrieval if c.module != pick]


def test_an_untuned_model_is_fused_with_retrieval_and_says_so(shop, tiny):
    from rag.engine import Engine
    from rag.settings import LLMSettings

    question = "add a product to the cart"
    at_zero = Engine.open(str(shop), quick_start=True,
                          llm=LLMSettings(model=tiny["llama"], dtype="float32", fusion_weight=0.0))
    retrieval = [c.module for c in at_zero.ask(question, k=5).candidates]
    res = at_zero.ask(question, k=5, llm=True)
    assert [c.module for c in res.candidates] == retrieval  # weight 0: the model cannot reorder retrieval
    assert res.answer is not None and res.answer.module == retrieval[0]  # nor hide its answer by abstaining
    assert res.to_dict()["model"] == {"name": tiny["llama"], "adapter": None, "tuned": False, "fusion_weight": 0.0}
    assert any("not tuned for this repository" in w for w in res.warnings)
    alone = Engine.open(str(shop), quick_start=True,
                        llm=LLMSettings(model=tiny["llama"], dtype="float32", fusion_weight=None))
    by_model = alone.ask(question, k=5, llm=True)
    probs = [float(w.split()[2]) for c in by_model.candidates for w in c.why if w.startswith("model probability")]
    assert probs == sorted(probs, reverse=True)  # the model alone: its order
    assert "model" not in alone.ask(question, k=5).to_dict()  # retrieval alone names no model


def test_a_listed_candidate_shows_its_rank_and_best_matching_definition_when_given(tiny):
    llm = LocalLLM.load(tiny["llama"], device="cpu", dtype="float32")
    plain = render(llm.tokenizer, "pay", [Listed("shop/checkout.py", "Checkout")]).text
    assert "shop/checkout.py — Checkout\n" in plain  # the shape adapters before these fields were trained on
    rich = render(llm.tokenizer, "pay", [Listed("shop/checkout.py", "Checkout", rank=2,
                                                definition="def pay(order) — Charge the order.")]).text
    assert "shop/checkout.py (retrieval rank 2) — Checkout Best match: def pay(order) — Charge the order.\n" in rich
    long = Listed("shop/checkout.py", "Checkout", definition="def pay(" + "arg, " * 200 + ")")
    roomy = render(llm.tokenizer, "pay", [long], budget=100_000)
    tight = render(llm.tokenizer, "pay", [long], budget=roomy.tokens - 100)
    assert tight.tokens <= roomy.tokens - 100 and "shop/checkout.py" in tight.text  # a long definition gives way


def test_the_listing_reads_each_candidates_best_matching_definition_from_the_tree(shop):
    from rag.engine import Engine
    from rag.llm.listing import listing

    engine = Engine.open(str(shop), quick_start=True)
    modules = ["shop/cart.py", "shop/checkout.py"]
    shown = listing(engine.retriever, engine.repo, "add a product to the cart", modules, {"shop/cart.py": 1,
                                                                                           "shop/checkout.py": 3},
                    definitions=True)
    assert [(s.module, s.rank) for s in shown] == [("shop/cart.py", 1), ("shop/checkout.py", 3)]
    assert shown[0].definition.startswith("def add(self, sku, quantity=1)")
    assert shown[0].summary == engine.retriever.modules["shop/cart.py"].summary
    bare = listing(engine.retriever, engine.repo, "add a product to the cart", modules)
    assert all(s.rank is None and s.definition == "" for s in bare)


def test_the_engine_asks_the_base_model_in_the_shape_its_settings_give(shop, tiny, monkeypatch):
    import rag.llm.prompt as prompt_module
    from rag.engine import Engine
    from rag.settings import LLMSettings

    seen = []
    real = prompt_module.render
    monkeypatch.setattr(prompt_module, "render", lambda *a, **k: seen.append(a[2]) or real(*a, **k))
    for ranks, definitions in ((False, False), (True, True)):
        engine = Engine.open(str(shop), quick_start=True, llm=LLMSettings(
            model=tiny["llama"], dtype="float32", prompt_ranks=ranks, prompt_definitions=definitions))
        engine.ask("add a product to the cart", k=3, llm=True)
        assert [s.rank for s in seen[-1]] == ([1, 2, 3] if ranks else [None] * 3)
        assert any(s.definition for s in seen[-1]) == definitions
