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

from rag.llm.prompt import ABSTAIN, ANSWER_MARK


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

    One forward pass: the prompt (less the prefix it shares with the previous prompt, whose keys and
    values are cached), then the token tree (trie) of the options, each option token seeing the whole
    prompt and its ancestors in the tree only (a tree attention mask, positions counted from the end of
    the prompt by depth). Options that share a prefix share its tokens: module IDs share their
    directories, which halves the option tokens on networkx. One pass rather than prompt-then-options,
    because a short second pass runs the matrix products at half the speed per token on a CPU.
    """
    import torch

    tokenizer, model = llm.tokenizer, llm.model
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    sequences = [option_ids(tokenizer, o) for o in options]
    tree = _TokenTree(sequences)
    cache = llm.prompt_cache
    shared, past = cache.reuse(prompt_ids) if cache is not None else (0, None)
    length, fresh, n = len(prompt_ids), len(prompt_ids) - shared, len(tree.tokens)
    visible = np.zeros((fresh + n, length + n), dtype=bool)
    visible[:fresh, :length] = np.tril(np.ones((fresh, length), dtype=bool), k=shared)  # the prompt: causal
    visible[fresh:, :length] = True  # option tokens see the whole prompt ...
    visible[fresh:, length:] = tree.visible()  # ... and their ancestors
    mask = torch.from_numpy(np.where(visible, 0.0, float("-inf"))).to(model.dtype)[None, None].to(llm.device)
    positions = torch.tensor([list(range(shared, length)) + [length + d for d in tree.depths]], device=llm.device)
    with torch.no_grad():
        out = model(torch.tensor([prompt_ids[shared:] + tree.tokens], device=llm.device), past_key_values=past,
                    attention_mask=mask, position_ids=positions, use_cache=cache is not None,
                    logits_to_keep=n + 1)  # the prompt's last position, then every option token
        logprobs = torch.log_softmax(out.logits[0].float(), dim=-1)
    if cache is not None:
        cache.store(prompt_ids, out.past_key_values)
    scores = np.array([float(logprobs[0, s[0]]) for s in sequences])
    for i, s in enumerate(sequences):  # token j of an option, predicted at the node of its prefix
        scores[i] += sum(float(logprobs[1 + tree.node[tuple(s[:j])], s[j]]) for j in range(1, len(s)))
    return scores


class _TokenTree:
    """The tokens to run after the prompt: one per distinct proper prefix of the options, parents first."""

    def __init__(self, sequences: list[list[int]]):
        self.node: dict[tuple, int] = {}  # prefix -> index of its last token in `tokens`
        self.tokens, self.parents, self.depths = [], [], []
        for s in sequences:
            for j in range(1, len(s)):
                prefix = tuple(s[:j])
                if prefix not in self.node:
                    self.node[prefix] = len(self.tokens)
                    self.tokens.append(s[j - 1])
                    self.parents.append(self.node.get(prefix[:-1], -1))
                    self.depths.append(j - 1)

    def visible(self) -> np.ndarray:
        """[n, n] booleans: token i attends to token j when j is i or one of its ancestors."""
        n = len(self.tokens)
        seen = np.eye(n, dtype=bool)
        for i, parent in enumerate(self.parents):
            if parent >= 0:
                seen[i] |= seen[parent]
        return seen


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
            out = model(ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
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
            out = model(ids, past_key_values=cache, use_cache=True, logits_to_keep=1)
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
