"""The settings of `rag finetune`: how the LLM's adapter is trained and how the embedder is tuned.

A module of its own, importing nothing heavy, because the command line builds its flags from these
fields (`rag/cli/flags.py`) and `rag --help` must not load the training code.
"""
from __future__ import annotations

import math

from dataclasses import dataclass

from rag.llm.model import DEFAULT_MODEL
from graph.settings_model import setting

PLAIN, COT = "plain", "cot"  # an example's label: the bare module ID, or a rationale and then the ID
LABEL_FORMS = (PLAIN, COT, "both")
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class TrainSettings:
    """How `rag finetune` trains a LoRA adapter; the fields with help are its command-line flags."""
    base_model: str = DEFAULT_MODEL
    epochs: int = setting(2, "training epochs", metavar="N")
    learning_rate: float = setting(3e-4, "the optimizer's learning rate", metavar="LR")
    batch_size: int = 4
    lora_r: int = setting(16, "LoRA rank", metavar="R")
    lora_alpha: int | None = None  # None: twice the rank, so that the update's scale stays as r changes
    lora_dropout: float = 0.05
    target_modules: tuple[str, ...] = LORA_TARGETS
    # LoRA in the top layers only: gradients then stop there, so the backward pass costs a fraction
    # of the forward (None: every layer)
    top_layers: int | None = 8
    label_form: str = setting(PLAIN, "train on bare IDs (plain), chains of thought for --think (cot), or both",
                              choices=LABEL_FORMS, flag="--labels")
    gradient_checkpointing: bool = setting(False, "less memory, slower steps")
    qlora: bool = setting(False, "4-bit NF4 base model via bitsandbytes (CUDA only)")
    # of the whole run, data generation included: past it training stops (the best adapter so far is
    # kept), leaving time for the last validation and the held-out check within 30 minutes on 2 CPU cores
    max_minutes: float = setting(25.0, "stop training after M minutes, keeping the best so far (the adapter: M of "
                                       "the whole run, then a last validation and the held-out check, which has M/5 more; with "
                                       "--retriever: of its training steps)", metavar="M")
    max_train_examples: int = setting(1500, "train on at most N examples an epoch, sampled", metavar="N",
                                      flag="--max-examples")
    validation_examples: int = 48
    # after training, at most this many of the newest held-out commits are asked with and without the
    # adapter (finetune/pipeline.py: check_adapter): 1-2 s each on a CPU, for at most a fifth of max_minutes
    held_out_commits: int = 100
    patience: int = 1
    checkpoint_steps: int = 50  # a checkpoint for --resume every this many steps
    device: str | None = None
    dtype: str | None = None
    seed: int = 0

    def __post_init__(self):
        if self.lora_alpha is None:
            object.__setattr__(self, "lora_alpha", 2 * self.lora_r)
        if self.label_form not in LABEL_FORMS:
            raise ValueError(f"label_form must be one of {', '.join(LABEL_FORMS)}")
        for name in ("epochs", "batch_size", "lora_r", "lora_alpha", "max_train_examples", "patience",
                     "checkpoint_steps"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        if self.held_out_commits < 0:
            raise ValueError("held_out_commits must not be negative")
        if not 0.0 <= self.lora_dropout < 1.0:
            raise ValueError("lora_dropout must be in [0, 1)")
        if not (0 < self.learning_rate < math.inf and 0 < self.max_minutes < math.inf):
            raise ValueError("learning_rate and max_minutes must be finite and positive")


@dataclass(frozen=True)
class RetrieverSettings:
    """How `rag finetune --retriever` tunes the embedder; the fields with help are its flags."""
    epochs: int = setting(1, "training epochs", metavar="N")
    batch_size: int = 32
    learning_rate: float = setting(2e-5, "the optimizer's learning rate", metavar="LR")
    warmup_fraction: float = 0.1
    # the retriever's best wrong module as an extra negative per query: off, because on the dev sets it
    # doubled the time and moved hybrid Acc@1 by one query either way (bench/LOG.md)
    hard_negatives: bool = setting(False, "with --retriever: also the retriever's best wrong module per query "
                                          "(twice the time)")
    max_pairs: int = 6000  # at most this many training pairs (a big repository: a bounded run)
    # the optimizer steps stop after this many minutes (held-out scoring and re-embedding follow):
    # with history pairs, scrapy's 2,546 queries took 44 min on 2 busy cores without a budget
    max_minutes: float = setting(20.0, "stop the training steps after M minutes", metavar="M")
    seed: int = 0

    def __post_init__(self):
        if self.epochs < 1 or self.batch_size < 2 or self.max_pairs < 1:
            raise ValueError("epochs and max_pairs must be at least 1, batch_size at least 2")
        if not 0 < self.learning_rate < math.inf:
            raise ValueError("learning_rate must be finite and positive")
        if not 0 < self.max_minutes < math.inf:
            raise ValueError("max_minutes must be finite and positive")
