"""The plain-torch Llama forward pass and chat tokenizer against transformers (tiny models, fp32)."""
import json
import shutil

import numpy as np
import pytest
import torch

from rag.llm import llama_torch
from rag.llm.chat_tokenizer import ChatTokenizer
from rag.llm.model import LocalLLM
from rag.llm.ranker import constrained_decode, score_naively, score_options
from rag.llm.prompt import ABSTAIN, Listed, render
from tiny_models import save_tiny_model

OPTIONS = ["shop/cart.py", "shop/catalog.py", "shop/checkout.py", "shop/payment/gateway.py", ABSTAIN]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    root = tmp_path_factory.mktemp("tiny-llama")
    return {"llama": save_tiny_model(root / "llama", "llama"), "qwen2": save_tiny_model(root / "qwen2", "qwen2"),
            "tied": save_tiny_model(root / "tied", "llama", tie_embeddings=True)}


def _both(path, adapter=None):
    plain = LocalLLM.load(path, "cpu", "float32", adapter=adapter)
    reference = LocalLLM.load(path, "cpu", "float32", adapter=adapter, backend="transformers")
    assert isinstance(plain.model, llama_torch.LlamaModel) and not isinstance(reference.model, llama_torch.LlamaModel)
    return plain, reference


@pytest.mark.parametrize("which", ["llama", "tied"])
def test_logits_equal_transformers_with_and_without_the_cache(tiny, which):
    plain, reference = _both(tiny[which])
    ids = torch.tensor([[5, 17, 42, 8, 99, 3, 64, 21, 7, 150, 11, 12]])
    with torch.no_grad():
        expected = reference.model(ids).logits
        full = plain.model(ids, use_cache=True)
        head = plain.model(ids[:, :7], use_cache=True)
        tail = plain.model(ids[:, 7:], past_key_values=head.past_key_values)
        last = plain.model(ids, logits_to_keep=1)
        kept = reference.model(ids, logits_to_keep=1).logits
    assert expected.abs().max() > 0.01  # not a degenerate all-zero comparison
    assert torch.allclose(full.logits, expected, atol=1e-5)
    assert torch.allclose(tail.logits, expected[:, 7:], atol=1e-5)  # the cache continues where it stopped
    assert last.logits.shape == kept.shape == (1, 1, expected.shape[-1])  # only the last position projected
    assert torch.allclose(last.logits, kept, atol=1e-5) and torch.allclose(last.logits, expected[:, -1:], atol=1e-5)


def test_ranking_and_decoding_equal_transformers(tiny):
    plain, reference = _both(tiny["llama"])
    prompt = render(plain.tokenizer, "add a product to the cart", [Listed(o, "a module") for o in OPTIONS[:-1]]).text
    assert prompt == render(reference.tokenizer, "add a product to the cart",
                            [Listed(o, "a module") for o in OPTIONS[:-1]]).text
    fast = score_options(plain, prompt, OPTIONS)  # the tree mask over the cached prompt
    assert np.allclose(fast, score_options(reference, prompt, OPTIONS), atol=1e-4)
    assert np.allclose(fast, score_naively(plain, prompt, OPTIONS), atol=1e-4)
    assert constrained_decode(plain, prompt, OPTIONS) == constrained_decode(reference, prompt, OPTIONS)


class _Counting:
    """The model, counting the tokens each call runs."""

    def __init__(self, model):
        self.model, self.fed = model, []

    def __call__(self, input_ids, **kwargs):
        self.fed.append(input_ids.shape[1])
        return self.model(input_ids, **kwargs)

    def __getattr__(self, name):
        return getattr(self.model, name)


def test_a_prompt_reuses_the_prefix_it_shares_with_the_previous_one(tiny):
    from rag.llm.ranker import _TokenTree, option_ids

    plain, reference = _both(tiny["llama"])
    plain.model = counting = _Counting(plain.model)
    candidates = [Listed(o, "a module") for o in OPTIONS[:-1]]
    queries = ("add a product to the cart", "pay by card at checkout", "add a product to the cart",
               "add a product to the cart")
    prompts = [render(plain.tokenizer, q, candidates).text for q in queries]
    for prompt in prompts:  # each equals a model that never saw the previous prompt
        assert np.allclose(score_options(plain, prompt, OPTIONS), score_options(reference, prompt, OPTIONS), atol=1e-4)
    lengths = [len(plain.tokenizer(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    tree = len(_TokenTree([option_ids(plain.tokenizer, o) for o in OPTIONS]).tokens)
    assert tree < sum(len(option_ids(plain.tokenizer, o)) - 1 for o in OPTIONS)  # "shop/" runs once
    assert counting.fed[0] == lengths[0] + tree  # one pass; nothing to reuse yet
    assert counting.fed[1] < lengths[1] + tree - 10  # the system text and instruction were reused
    assert lengths[2] + tree - 10 > counting.fed[2] > counting.fed[3]  # the shared prefix again, then ...
    assert counting.fed[3] == 1 + tree  # ... the whole repeated prompt but its last token


def test_a_lora_adapter_merges_like_peft(tiny, tmp_path):
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    base = AutoModelForCausalLM.from_pretrained(tiny["llama"], dtype=torch.float32)
    config = LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj", "down_proj"],
                        init_lora_weights=False)  # random B: the adapter really changes the model
    get_peft_model(base, config).save_pretrained(tmp_path / "adapter")
    adapter = str(tmp_path / "adapter")
    assert llama_torch.adapter_supported(adapter)
    plain, reference = _both(tiny["llama"], adapter)
    untuned = LocalLLM.load(tiny["llama"], "cpu", "float32")
    ids = torch.tensor([[5, 17, 42, 8, 99, 3]])
    with torch.no_grad():
        got, expected = plain.model(ids).logits, reference.model(ids).logits
        assert not torch.allclose(got, untuned.model(ids).logits, atol=1e-3)
    assert torch.allclose(got, expected, atol=1e-5)


def test_other_shapes_go_through_transformers(tiny, tmp_path):
    assert not llama_torch.supports(tiny["qwen2"])
    assert not isinstance(LocalLLM.load(tiny["qwen2"], "cpu", "float32").model, llama_torch.LlamaModel)
    scaled = tmp_path / "scaled"
    shutil.copytree(tiny["llama"], scaled)
    config = json.loads((scaled / "config.json").read_text())
    config["rope_parameters"] = {"rope_theta": 10000.0, "rope_type": "linear", "factor": 2.0}
    (scaled / "config.json").write_text(json.dumps(config))
    assert not llama_torch.supports(str(scaled))
    dora = tmp_path / "dora"
    dora.mkdir()
    (dora / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "use_dora": True}))
    assert not llama_torch.adapter_supported(str(dora))


def test_chat_tokenizer_matches_transformers(tiny):
    from transformers import AutoTokenizer

    ours, theirs = ChatTokenizer.load(tiny["llama"]), AutoTokenizer.from_pretrained(tiny["llama"])
    text = "Request: add a product to the cart — shop/cart.py 多语言 </s>"
    assert ours(text)["input_ids"] == theirs(text, add_special_tokens=False)["input_ids"]
    ids = ours(text)["input_ids"]
    for skip in (False, True):
        assert ours.decode(ids, skip_special_tokens=skip) == theirs.decode(ids, skip_special_tokens=skip)
    assert ours.eos_token_id == theirs.eos_token_id and len(ours) == len(theirs)
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Where is X?"}]
    for generation in (False, True):
        assert ours.apply_chat_template(messages, add_generation_prompt=generation) == \
            theirs.apply_chat_template(messages, tokenize=False, add_generation_prompt=generation)
