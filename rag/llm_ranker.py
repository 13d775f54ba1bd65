"""Constrained answers from the LLM: score each allowed module ID, or decode through a token trie.

Scoring: the prompt runs through the model once; then every option runs after it in one short
sequence under a tree attention mask, so ranking k candidates costs one long forward pass and one
short one. An
option's score is the log-probability of its tokens followed by the end-of-answer token, so that an
ID cannot win by being the prefix of a longer one. The abstention (`none`) is scored like any option.

Decoding (for `--scope all`, where scoring every module would cost too much): greedy, with the logits
masked to the tokens that continue some allowed ID in a trie; it can only end on a complete ID.
"""
from __future__ import annotations

import numpy as np

from rag.prompt import ABSTAIN, ANSWER_MARK


def option_ids(tokenizer, option: str) -> list[int]:
    ids = tokenizer(option, add_special_tokens=False)["input_ids"]
    return ids + [end_token(tokenizer)]


def end_token(tokenizer) -> int:
    eos = tokenizer.eos_token_id
    if eos is None:
        raise ValueError("the tokenizer has no end-of-sequence token")
    return eos[0] if isinstance(eos, list) else eos


def score_options(llm, prompt: str, options: list[str]) -> np.ndarray:
    """Total log-probability of each option (as a complete answer) after the prompt.

    The prompt runs once; then all options run as ONE sequence after it, each option's tokens seeing
    the prompt and their own earlier tokens only (a tree attention mask, positions restarting after
    the prompt for every option). No cache copies, no padding.
    """
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    sequences = [option_ids(tokenizer, o) for o in options]
    with torch.no_grad():
        out = model(torch.tensor([prompt_ids], device=llm.device), use_cache=True)
        first = torch.log_softmax(out.logits[0, -1].float(), dim=-1)
        scores = np.array([float(first[s[0]]) for s in sequences])
        owner = np.array([i for i, s in enumerate(sequences) for _ in s[:-1]], dtype=np.int64)
        if len(owner):
            step = np.array([j for s in sequences for j in range(len(s) - 1)], dtype=np.int64)
            tokens = [t for s in sequences for t in s[:-1]]
            targets = [t for s in sequences for t in s[1:]]
            n, length = len(tokens), len(prompt_ids)
            visible = (owner[:, None] == owner[None, :]) & (step[None, :] <= step[:, None])
            mask = torch.zeros((1, 1, n, length + n), dtype=model.dtype, device=llm.device)
            mask[0, 0, :, length:] = torch.from_numpy(np.where(visible, 0.0, float("-inf"))).to(model.dtype)
            logits = model(torch.tensor([tokens], device=llm.device), past_key_values=out.past_key_values,
                           attention_mask=mask, position_ids=torch.from_numpy((length + step)[None, :]).to(llm.device),
                           use_cache=False).logits[0].float()
            picked = torch.log_softmax(logits, dim=-1)[torch.arange(n), torch.tensor(targets)].numpy()
            np.add.at(scores, owner, picked)
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


def generate_rationale(llm, prompt: str, max_tokens: int) -> str:
    """Free greedy text after the prompt, up to the answer mark, the end token or `max_tokens`."""
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    end = end_token(tokenizer)
    ids = torch.tensor([tokenizer(prompt, add_special_tokens=False)["input_ids"]], device=llm.device)
    written, cache = [], None
    with torch.no_grad():
        for _ in range(max_tokens):
            out = model(ids, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            choice = int(torch.argmax(out.logits[0, -1]))
            if choice == end:
                break
            written.append(choice)
            if ANSWER_MARK in tokenizer.decode(written[-4:]):
                break
            ids = torch.tensor([[choice]], device=llm.device)
    text = tokenizer.decode(written, skip_special_tokens=True)
    return text.split(ANSWER_MARK, 1)[0].strip()
