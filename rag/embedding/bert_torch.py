"""The forward pass of `bert_numpy.py` in torch, for batches: an index's summaries and definitions.

Why not sentence-transformers: importing it took 7.8 s here against torch's 1.7 s, most of a first
`rag index` of a small repository (rich's 100 files: 10.5 s in all). Same weights, same tokenizer,
same pooling; tests/test_embedder.py checks it against sentence-transformers and the NumPy pass.
"""
from __future__ import annotations

import numpy as np

from rag.embedding.bert_numpy import NumpyBert


class TorchBert(NumpyBert):
    """NumpyBert's batching, with each batch computed by torch (several times faster past a few texts)."""

    def __init__(self, model_dir: str):
        super().__init__(model_dir)
        self._to_torch()

    @classmethod
    def sharing(cls, loaded: NumpyBert) -> TorchBert:
        """The torch pass over a NumpyBert already loaded: its tokenizer and weights (the same arrays,
        not read again nor copied)."""
        bert = cls.__new__(cls)
        vars(bert).update(vars(loaded))
        bert._to_torch()
        return bert

    def _to_torch(self) -> None:
        import torch

        self._torch = torch
        # torch.from_numpy shares memory with the (contiguous) NumPy weights
        self.tw = {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in self.w.items()}

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        torch, w = self._torch, self.tw
        with torch.inference_mode():
            ids_t, mask_t = torch.from_numpy(ids), torch.from_numpy(mask)
            batch, length = ids.shape
            x = (w["embeddings.word_embeddings.weight"][ids_t] + w["embeddings.position_embeddings.weight"][:length]
                 + w["embeddings.token_type_embeddings.weight"][0])
            x = self._torch_norm(x, "embeddings.LayerNorm")
            bias = ((1.0 - mask_t) * -1e9)[:, None, None, :]  # padding never attended to
            d = self.dimension // self.heads
            for i in range(self.layers):
                p = f"encoder.layer.{i}."

                def heads(name):
                    return self._torch_linear(x, p + f"attention.self.{name}").view(batch, length, self.heads, d).transpose(1, 2)

                q, k, v = heads("query"), heads("key"), heads("value")
                context = torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=bias)
                context = context.transpose(1, 2).reshape(batch, length, self.dimension)
                x = self._torch_norm(x + self._torch_linear(context, p + "attention.output.dense"),
                                     p + "attention.output.LayerNorm")
                h = torch.nn.functional.gelu(self._torch_linear(x, p + "intermediate.dense"))  # exact (erf) GELU
                x = self._torch_norm(x + self._torch_linear(h, p + "output.dense"), p + "output.LayerNorm")
            pooled = (x * mask_t[:, :, None]).sum(1) / mask_t.sum(1, keepdim=True).clamp(min=1e-9)
            return torch.nn.functional.normalize(pooled, dim=1, eps=1e-12).numpy()

    def _torch_linear(self, x, name):
        return x @ self.tw[name + ".weight"] + self.tw[name + ".bias"]  # the weight is stored transposed

    def _torch_norm(self, x, name):
        return self._torch.nn.functional.layer_norm(x, (self.dimension,), self.tw[name + ".weight"],
                                                    self.tw[name + ".bias"], self.eps)
