"""Constrained answers from the LLM: score each allowed module ID, or decode through a token trie.

Scoring: the prompt runs through the model once; its KV cache is copied for all options, which run
as one batch, so ranking k candidates costs one long forward pass and one short batched one. An
option's score is the log-probability of its tokens followed by the end-of-answer token, so that an
ID cannot win by being the prefix of a longer one. The abstention (`none`) is scored like any option.

Decoding (for `--scope all`, where scoring every module would cost too much): greedy, with the logits
masked to the tokens that continue some allowed ID in a trie; it can only end on a complete ID.
"""
from __future__ import annotations

import numpy as np

from rag.prompt import ABSTAIN


def option_ids(tokenizer, option: str) -> list[int]:
    ids = tokenizer(option, add_special_tokens=False)["input_ids"]
    return ids + [end_token(tokenizer)]


def end_token(tokenizer) -> int:
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no end-of-sequence token")
    return eos[0] if isinstance(eos, list) else eos


def score_options(llm, prompt: str, options: list[str]) -> np.ndarray:
    """Total log-probability of each option (as a complete answer) after the prompt."""
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    prompt_ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]], device=llm.device)
    sequences = [option_ids(tokenizer, o) for o in options]
    longest = max(len(s) for s in sequences)
    with torch.no_grad():
        out = model(prompt_ids, use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        scores = np.array([float(first[s[0]]) for s in sequences])
        if longest > 1:
            pad = end_token(tokenizer)
            # right padding: under causal attention no real token ever sees a pad, so no mask is needed
            rest = torch.tensor([s[:-1] + [pad] * (longest - len(s)) for s in sequences], device=llm.device)
            cache = out.past_key_values
            cache.batch_repeat_interleave(len(sequences))
            logits = model(rest, past_key_values=cache, use_cache=False).logits.float()
            logprobs = torch.log_softmax(logits, dim=-1)
            for i, s in enumerate(sequences):
                if len(s) > 1:
                    targets = torch.tensor(s[1:], device=llm.device)
                    scores[i] += float(logprobs[i, torch.arange(len(s) - 1), targets].sum())
    return scores


def score_naively(llm, prompt: str, options: list[str]) -> np.ndarray:
    """The same scores from one full forward pass per option (the reference the cached path must equal)."""
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    base = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    out = []
    for o in options:
        s = option_ids(tokenizer, o)
        ids = torch.tensor([base + s], device=llm.device)
        with torch.no_grad():
            logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
        out.append(sum(float(logprobs[len(base) - 1 + j, t]) for j, t in enumerate(s)))
    return np.array(out)


class TokenTrie:
    """Token sequences of the allowed answers; each ends with the end-of-answer token."""

    def __init__(self, tokenizer, options: list[str]):
        self.root: dict = {}
        self.end = end_token(tokenizer)
        for option in options:
            node = self.root
            for t in option_ids(tokenizer, option):
                node = node.setdefault(t, {})
            node[None] = option  # the answer this path spells

    def allowed(self, node: dict) -> list[int]:
        return [t for t in node if t is not None]


def constrained_decode(llm, prompt: str, options: list[str], max_tokens: int = 64) -> str:
    """Greedy decoding that can only produce one of `options` (complete)."""
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    trie = TokenTrie(tokenizer, options)
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]], device=llm.device)
    node, cache = trie.root, None
    with torch.no_grad():
        for _ in range(max_tokens):
            out = model(ids, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            allowed = trie.allowed(node)
            logits = out.logits[0, -1].float()
            choice = allowed[int(torch.argmax(logits[allowed]))]
            node = node[choice]
            if choice == trie.end:
                return node[None]
            ids = torch.tensor([[choice]], device=llm.device)
    return ABSTAIN  # the budget ran out before an answer was complete: say nothing rather than guess
