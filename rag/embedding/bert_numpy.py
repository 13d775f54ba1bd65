"""A NumPy forward pass for BERT sentence embedders with mean pooling (all-MiniLM-L6-v2 and kin).

Why not sentence-transformers here: importing it (torch, transformers) takes 3–9 s on a 2-core
machine, which alone breaks the "cold `rag ask` < 3 s" budget, while one query is a few hundred
thousand multiply-adds. This reads the same safetensors weights and tokenizer.json (via the
`tokenizers` and `safetensors` packages) and computes the same vectors; tests/test_embedder.py checks
it against sentence-transformers. Models of another shape go through sentence-transformers.
"""
from __future__ import annotations

import json
import os

import numpy as np


def supports(model_dir: str) -> bool:
    """True for a BERT encoder with mean pooling and normalisation, the only shape implemented here."""
    try:
        with open(os.path.join(model_dir, "config.json")) as fh:
            config = json.load(fh)
        with open(os.path.join(model_dir, "modules.json")) as fh:
            modules = [m["type"].rsplit(".", 1)[-1] for m in json.load(fh)]
        with open(os.path.join(model_dir, "1_Pooling", "config.json")) as fh:
            pooling = json.load(fh)
    except (OSError, ValueError, KeyError):
        return False
    # two spellings of the pooling config: sentence-transformers 2.x flags, or 6.x "pooling_mode"
    mean_pooling = pooling.get("pooling_mode") == "mean" or (
        "pooling_mode" not in pooling and bool(pooling.get("pooling_mode_mean_tokens"))
        and not any(pooling.get(f"pooling_mode_{m}") for m in ("cls_token", "max_tokens", "mean_sqrt_len_tokens")))
    return bool(config.get("model_type") == "bert" and config.get("hidden_act") == "gelu"
                and config.get("position_embedding_type", "absolute") == "absolute"
                and modules == ["Transformer", "Pooling", "Normalize"] and mean_pooling
                and os.path.isfile(os.path.join(model_dir, "model.safetensors"))
                and os.path.isfile(os.path.join(model_dir, "tokenizer.json")))


class NumpyBert:
    def __init__(self, model_dir: str):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        with open(os.path.join(model_dir, "config.json")) as fh:
            config = json.load(fh)
        max_length = 512
        st_config = os.path.join(model_dir, "sentence_bert_config.json")
        if os.path.isfile(st_config):
            with open(st_config) as fh:
                max_length = json.load(fh).get("max_seq_length", max_length)
        # never past the positions the model has (a small model whose sentence-transformers config names
        # no max_seq_length read 512 tokens into 128 positions)
        max_length = min(max_length, config.get("max_position_embeddings", max_length))
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.dimension = config["hidden_size"]
        self.w = load_file(os.path.join(model_dir, "model.safetensors"))
        self.w = {k.removeprefix("bert."): v for k, v in self.w.items()}
        # x @ W.T on a transposed view runs at half speed: keep every linear weight transposed once
        self.w = {k: np.ascontiguousarray(v.T) if k.endswith("dense.weight") or k.endswith(("query.weight", "key.weight", "value.weight")) else v
                  for k, v in self.w.items()}
        self.tokenizer = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tokenizer.enable_truncation(max_length=max_length)
        self.tokenizer.no_padding()

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))  # similar lengths: less padding
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            length = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), length), dtype=np.int64)
            mask = np.zeros((len(batch), length), dtype=np.float32)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1.0
            out[batch] = self._forward(ids, mask)
        return out

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        w = self.w
        batch, length = ids.shape
        x = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:length]
             + w["embeddings.token_type_embeddings.weight"][0])
        x = self._norm(x, "embeddings.LayerNorm")
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]  # padding never attended to
        d = self.dimension // self.heads
        for i in range(self.layers):
            p = f"encoder.layer.{i}."

            def heads(name):
                return self._linear(x, p + f"attention.self.{name}").reshape(batch, length, self.heads, d).transpose(0, 2, 1, 3)

            q, k, v = heads("query"), heads("key"), heads("value")
            scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch, length, self.dimension)
            x = self._norm(x + self._linear(context, p + "attention.output.dense"), p + "attention.output.LayerNorm")
            h = self._linear(x, p + "intermediate.dense")
            h = 0.5 * h * (1.0 + _erf(h / np.sqrt(2.0)))  # BERT's exact GELU
            x = self._norm(x + self._linear(h, p + "output.dense"), p + "output.LayerNorm")
        pooled = (x * mask[:, :, None]).sum(1) / np.maximum(mask.sum(1, keepdims=True), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)

    def _linear(self, x, name):
        w = self.w[name + ".weight"]  # stored transposed
        # one 2-D product is faster than a batched 3-D one for the few tokens of a query
        return (x.reshape(-1, x.shape[-1]) @ w + self.w[name + ".bias"]).reshape(*x.shape[:-1], w.shape[1])

    def _norm(self, x, name):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + self.eps) * self.w[name + ".weight"] + self.w[name + ".bias"]


def _erf(x: np.ndarray) -> np.ndarray:
    """erf by Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7, about float32's resolution).

    Not scipy.special.erf: importing it costs ~0.27 s, a sixth of a cold `rag ask`.
    """
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t
    return np.sign(x) * (1.0 - poly * np.exp(-a * a))
