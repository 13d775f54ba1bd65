"""A tokenizer with a chat template, from a model directory, without importing transformers.

It is the part of transformers' tokenizer that the prompt (rag/llm/prompt.py) and the ranker
(rag/llm/ranker.py) use: encoding without special tokens, decoding, the end-of-sequence token, and
`apply_chat_template` rendered with Jinja the way transformers does (a sandbox, trimmed blocks, the
loop-control extension, `raise_exception`, a `tojson` that leaves non-ASCII alone).
tests/test_llama_torch.py checks it against transformers. See rag/llm/llama_torch.py for why.
"""
from __future__ import annotations

import json
import os
from datetime import datetime


def _special(value) -> str | None:
    """A special token as tokenizer_config.json spells it: a string, or {"content": ...}."""
    return value.get("content") if isinstance(value, dict) else value


class ChatTokenizer:
    def __init__(self, tokenizer, config: dict, chat_template: str | None):
        self._tokenizer = tokenizer
        self.chat_template = chat_template
        self.special = {name: _special(config.get(name)) for name in ("bos_token", "eos_token", "unk_token", "pad_token")}
        eos = self.special["eos_token"]
        self.eos_token_id = tokenizer.token_to_id(eos) if eos else None
        self._template = _compile(chat_template) if chat_template else None

    @classmethod
    def load(cls, model_dir: str) -> ChatTokenizer | None:
        """None when the directory's tokenizer needs transformers (no tokenizer.json, or a template
        using transformers-only extensions)."""
        from tokenizers import Tokenizer

        path = os.path.join(model_dir, "tokenizer.json")
        try:
            with open(os.path.join(model_dir, "tokenizer_config.json"), encoding="utf-8") as fh:
                config = json.load(fh)
        except (OSError, ValueError):
            return None
        if not os.path.isfile(path):
            return None
        template = config.get("chat_template")
        jinja = os.path.join(model_dir, "chat_template.jinja")  # where transformers 5 saves it
        if os.path.isfile(jinja):
            with open(jinja, encoding="utf-8") as fh:
                template = fh.read()
        if not (template is None or isinstance(template, str)):
            return None  # several named templates: transformers picks among them
        try:
            return cls(Tokenizer.from_file(path), config, template)
        except Exception:  # an unparsable template or tokenizer: transformers may know better
            return None

    def __call__(self, text: str, add_special_tokens: bool = False) -> dict:
        return {"input_ids": self._tokenizer.encode(text, add_special_tokens=add_special_tokens).ids}

    def __len__(self) -> int:
        return self._tokenizer.get_vocab_size(with_added_tokens=True)

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return self._tokenizer.decode(list(ids), skip_special_tokens=skip_special_tokens)

    def apply_chat_template(self, messages: list[dict], tokenize: bool = False,
                            add_generation_prompt: bool = False) -> str:
        if tokenize:
            raise NotImplementedError("render, then call the tokenizer")
        return self._template.render(messages=messages, add_generation_prompt=add_generation_prompt,
                                     **{k: v for k, v in self.special.items() if v is not None})


def _compile(template: str):
    import jinja2
    from jinja2.ext import loopcontrols
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime.now().strftime(fmt)
    return env.from_string(template)
