"""A plain-torch forward pass for Llama-shaped causal LMs (SmolLM2, Llama without RoPE scaling), with
LoRA adapters merged into the weights by hand.

Why not transformers here: importing its model machinery (it pulls in torch._dynamo, torch.distributed,
sympy, scipy) takes 4–7 s on a 2-core machine, more than the whole cold-load budget of `rag ask --llm`,
while the forward pass of such a model is forty lines. This reads the same safetensors weights and
computes the same logits (tests/test_llama_torch.py checks them against transformers, with and without
an adapter, through the cache and the tree mask the ranker uses). Training, `--merge` and every other
architecture go through transformers and peft.

The interface is the slice of transformers' that rag/llm/ranker.py uses: `model(input_ids,
past_key_values=, attention_mask= (additive, [1, 1, new, past + new]), position_ids=, use_cache=)`
returning `.logits` and `.past_key_values` (a tuple of per-layer (key, value) tensors), and
`logits_to_keep=` (int; 0 = every position) so that a prompt's pass skips the vocabulary projection of
the positions nobody reads (a quarter of a 480-token prompt's time on SmolLM2-135M).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass

LORA_SUFFIXES = (".lora_A.weight", ".lora_B.weight")


def _config(model_dir: str) -> dict | None:
    try:
        with open(os.path.join(model_dir, "config.json")) as fh:
            return json.load(fh)
    except (OSError, ValueError):
        return None


def _rope_theta(config: dict) -> float | None:
    """The RoPE base when RoPE is the plain kind (no scaling), else None."""
    params = config.get("rope_parameters")  # transformers 5 spelling
    if params is not None:
        return params.get("rope_theta") if params.get("rope_type", "default") == "default" else None
    if config.get("rope_scaling"):
        return None
    return config.get("rope_theta", 10000.0)


def supports(model_dir: str) -> bool:
    """True for a single-file Llama with plain RoPE and no biases: the only shape implemented here."""
    c = _config(model_dir)
    return bool(c and c.get("model_type") == "llama" and c.get("architectures") == ["LlamaForCausalLM"]
                and c.get("hidden_act") == "silu" and not c.get("attention_bias") and not c.get("mlp_bias")
                and c.get("pretraining_tp", 1) == 1 and _rope_theta(c) is not None
                and os.path.isfile(os.path.join(model_dir, "model.safetensors")))


def adapter_supported(adapter_dir: str) -> bool:
    """True for a plain LoRA adapter (no DoRA, no extra trained modules): it merges as W + s·B·A."""
    try:
        with open(os.path.join(adapter_dir, "adapter_config.json")) as fh:
            c = json.load(fh)
    except (OSError, ValueError):
        return False
    return bool(c.get("peft_type") == "LORA" and not c.get("use_dora") and not c.get("modules_to_save")
                and not c.get("rank_pattern") and not c.get("alpha_pattern") and not c.get("fan_in_fan_out")
                and c.get("bias", "none") == "none"
                and os.path.isfile(os.path.join(adapter_dir, "adapter_model.safetensors")))


@dataclass
class Output:
    logits: object
    past_key_values: tuple | None


class LlamaModel:
    def __init__(self, config: dict, weights: dict, dtype):
        import torch

        self.config = config
        self.dtype = dtype
        self.layers = config["num_hidden_layers"]
        self.heads = config["num_attention_heads"]
        self.kv_heads = config.get("num_key_value_heads") or self.heads
        self.head_dim = config.get("head_dim") or config["hidden_size"] // self.heads
        self.eps = config["rms_norm_eps"]
        self.w = {k.removeprefix("model."): v.to(dtype) for k, v in weights.items()}
        if "lm_head.weight" not in self.w:  # tied embeddings
            self.w["lm_head.weight"] = self.w["embed_tokens.weight"]
        half = torch.arange(0, self.head_dim, 2, dtype=torch.int64).float() / self.head_dim
        self.inv_freq = 1.0 / (_rope_theta(config) ** half)

    @classmethod
    def load(cls, model_dir: str, dtype, adapter_dir: str | None = None) -> LlamaModel:
        from safetensors.torch import load_file

        config = _config(model_dir)
        weights = load_file(os.path.join(model_dir, "model.safetensors"))
        if adapter_dir:
            merge_lora(weights, adapter_dir)
        return cls(config, weights, dtype)

    def eval(self) -> LlamaModel:  # the transformers spelling: nothing to switch off here
        return self

    def __call__(self, input_ids, past_key_values=None, attention_mask=None, position_ids=None,
                 use_cache: bool = True, logits_to_keep: int = 0) -> Output:
        import torch
        import torch.nn.functional as F

        w, n = self.w, input_ids.shape[1]
        past = past_key_values[0][0].shape[2] if past_key_values else 0
        if position_ids is None:
            position_ids = torch.arange(past, past + n)[None, :]
        freqs = position_ids[0].float()[:, None] * self.inv_freq[None, :]
        angles = torch.cat([freqs, freqs], dim=-1)
        cos, sin = angles.cos().to(self.dtype), angles.sin().to(self.dtype)
        if attention_mask is None and past and n > 1:  # new tokens see all the past, and each other causally
            attention_mask = torch.zeros((1, 1, n, past + n), dtype=self.dtype)
            attention_mask[0, 0, :, past:] = torch.full((n, n), float("-inf"), dtype=self.dtype).triu(1)
        causal = attention_mask is None and not past and n > 1
        x = F.embedding(input_ids, w["embed_tokens.weight"])
        cache = []
        for i in range(self.layers):
            p = f"layers.{i}."
            h = self._norm(x, w[p + "input_layernorm.weight"])
            q = F.linear(h, w[p + "self_attn.q_proj.weight"]).view(1, n, self.heads, self.head_dim).transpose(1, 2)
            k = F.linear(h, w[p + "self_attn.k_proj.weight"]).view(1, n, self.kv_heads, self.head_dim).transpose(1, 2)
            v = F.linear(h, w[p + "self_attn.v_proj.weight"]).view(1, n, self.kv_heads, self.head_dim).transpose(1, 2)
            q, k = q * cos + _rotate_half(q) * sin, k * cos + _rotate_half(k) * sin
            if past_key_values:
                k = torch.cat([past_key_values[i][0], k], dim=2)
                v = torch.cat([past_key_values[i][1], v], dim=2)
            if use_cache:
                cache.append((k, v))
            attended = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, is_causal=causal,
                                                      enable_gqa=self.kv_heads != self.heads)
            x = x + F.linear(attended.transpose(1, 2).reshape(1, n, self.heads * self.head_dim),
                             w[p + "self_attn.o_proj.weight"])
            h = self._norm(x, w[p + "post_attention_layernorm.weight"])
            gated = F.silu(F.linear(h, w[p + "mlp.gate_proj.weight"])) * F.linear(h, w[p + "mlp.up_proj.weight"])
            x = x + F.linear(gated, w[p + "mlp.down_proj.weight"])
        if logits_to_keep:
            x = x[:, -logits_to_keep:]
        logits = F.linear(self._norm(x, w["norm.weight"]), w["lm_head.weight"])
        return Output(logits, tuple(cache) if use_cache else None)

    def _norm(self, x, weight):
        import torch

        x32 = x.float()
        x32 = x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)
        return weight * x32.to(self.dtype)


def _rotate_half(x):
    import torch

    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def merge_lora(weights: dict, adapter_dir: str) -> None:
    """W += (alpha / r) · B·A for every LoRA pair of a peft adapter (in fp32), in place."""
    import math

    from safetensors.torch import load_file

    with open(os.path.join(adapter_dir, "adapter_config.json")) as fh:
        config = json.load(fh)
    r = config["r"]
    scale = config["lora_alpha"] / (math.sqrt(r) if config.get("use_rslora") else r)
    lora = load_file(os.path.join(adapter_dir, "adapter_model.safetensors"))
    for key, a in lora.items():
        if not key.endswith(".lora_A.weight"):
            continue
        b = lora[key.removesuffix(".lora_A.weight") + ".lora_B.weight"]
        target = key.removeprefix("base_model.model.").removesuffix(".lora_A.weight") + ".weight"
        if target not in weights:
            raise KeyError(f"the adapter changes {target}, which the model does not have")
        merged = weights[target].float() + scale * (b.float() @ a.float())
        weights[target] = merged.to(weights[target].dtype)
