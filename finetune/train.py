"""Train a LoRA adapter on the examples (peft + the Hugging Face Trainer).

The Trainer runs the loop, so `accelerate launch` / `torchrun` spread the same code over several GPUs.
The loss covers the answer tokens only (the prompt is labelled -100). After every epoch, and when the
time budget runs out, the adapter is scored on the validation examples the way `rag ask` uses it
(each candidate's probability; accuracy of the top one); an improvement is published atomically as the
index's current adapter, so a Ctrl-C or a kill never loses the last good one. Training stops early
once the validation accuracy has not improved for `patience` epochs.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from finetune.examples import Example
from finetune.settings import COT, PLAIN, TrainSettings
from graph.durable import atomic_write
from graph.errors import ConfigError
from rag.llm.adapters import AdapterInfo, AdapterStore, quiet_peft
from rag.llm.model import LocalLLM, pick_device
from rag.llm.prompt import ABSTAIN
from graph.settings_model import from_record, to_record

@dataclass
class TrainReport:
    train_examples: int
    validation_examples: int
    epochs_run: float
    steps: int
    seconds: float  # training, validation included
    total_seconds: float  # the whole run, data generation included
    best_validation_accuracy: float | None
    base_validation_accuracy: float | None
    stopped_because: str
    resumed_from_step: int | None = None
    losses: list[tuple[int, float]] = field(default_factory=list)  # (step, training loss)
    validation: list[tuple[float, float]] = field(default_factory=list)  # (epoch, accuracy)
    adapter: str | None = None  # the adapter this run published; None when it kept the current one
    not_published: str | None = None  # why this run published no adapter
    settings: dict = field(default_factory=dict)
    # `rag ask --llm` with the adapter against `rag ask` on the held-out commits (finetune/pipeline.py:
    # check_adapter); None when there were none to ask
    held_out: dict | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def select(examples: list[Example], settings: TrainSettings) -> tuple[list[Example], list[Example]]:
    """The training examples (in the chosen label form, sampled down to the cap) and the validation
    examples (plain form: validation scores the answer, whatever the labels)."""
    import random

    forms = (PLAIN, COT) if settings.label_form == "both" else (settings.label_form,)
    train = [e for e in examples if e.split == "train" and e.form in forms]
    validation = [e for e in examples if e.split == "validation" and e.form == PLAIN]
    rng = random.Random(settings.seed)
    if len(train) > settings.max_train_examples:
        train = rng.sample(train, settings.max_train_examples)
    if len(validation) > settings.validation_examples:
        validation = rng.sample(validation, settings.validation_examples)
    return train, validation


def train(examples: list[Example], index_dir: str, snapshot: str, data_settings: dict,
          settings: TrainSettings = TrainSettings(), resume: bool = False, progress=None,
          started: float | None = None, check: Callable[[], dict] | None = None,
          force: bool = False) -> TrainReport:
    """Train, publish the best adapter into the index directory, and report. `progress(stage, done,
    total)` as for `rag index` (None: silent) is told the training steps. `started` (time.monotonic)
    is when the whole run began: the time budget counts from there. `check`, once the best adapter is
    published and still under the training lock (so it is the index's current one), measures it: its
    result is the report's `held_out`. An adapter is published only when it learned something and
    beats, on validation, the base model and the current adapter of the same index (`accuracy_to_beat`);
    `force` drops the second condition, never the first."""
    with AdapterStore(index_dir).training_lock():
        return _train(examples, index_dir, snapshot, data_settings, settings, resume, progress,
                      time.monotonic() if started is None else started, check, force)


def _train(examples, index_dir, snapshot, data_settings, settings, resume, progress, started, check,
           force) -> TrainReport:
    import torch
    from transformers import DataCollatorForSeq2Seq, PrinterCallback, Trainer, TrainerCallback, TrainingArguments

    train_set, validation = select(examples, settings)
    if not train_set:
        raise ConfigError("no training examples: the index has no documented source modules to learn from")
    store = AdapterStore(index_dir)
    work = os.path.join(store.dir, "work")
    if resume:
        check_resume(index_dir, settings, {"snapshot": snapshot, "data": data_settings})
    else:
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        atomic_write(os.path.join(work, SETTINGS_RECORD), json.dumps(to_record(settings)))
        atomic_write(os.path.join(work, DATA_RECORD), json.dumps({"snapshot": snapshot, "data": data_settings}))
    llm, torch_dtype = _load_base(settings)
    if llm.tokenizer.pad_token is None:  # many base tokenizers define none; padded positions are masked anyway
        llm.tokenizer.pad_token = llm.tokenizer.eos_token
    model = with_lora(llm.model, settings)
    features = [_features(llm.tokenizer, e) for e in train_set]
    training_started = time.monotonic()
    recorded_settings = to_record(settings)
    state = {"best": None, "adapter": None, "history": [], "stopped": "finished all epochs", "stale": 0,
             "kept": None}
    base_accuracy = validation_accuracy(LocalLLM(llm.name, llm.tokenizer, model, llm.device), validation, progress)
    bar = None if force else accuracy_to_beat(store, snapshot, base_accuracy)
    spent = time.monotonic() - started
    if spent > settings.max_minutes * 60:  # a step, a validation and the held-out check would each overrun it
        # (an interrupted run's checkpoint stays: `--resume` with more minutes takes it up)
        raise ConfigError(f"the time budget of {settings.max_minutes:g} minutes was spent before training began "
                          f"({spent:.0f} s preparing the examples and validating the base model): nothing was "
                          "trained; give --max-minutes more")

    def evaluate_and_publish(epoch: float) -> None:
        accuracy = validation_accuracy(LocalLLM(llm.name, llm.tokenizer, model, llm.device), validation, progress)
        state["history"].append((round(epoch, 3), accuracy))
        learned = adapter_learned(model)
        if learned is None:  # still the base model (the warm-up's first step): nothing to judge yet
            state["kept"] = why_not_published(learned, accuracy, bar)
            return
        best = state["best"]
        if accuracy is None or best is None or accuracy > best:  # nothing to validate on: the latest counts
            state["best"], state["stale"] = accuracy, 0
        else:
            state["stale"] += 1
            return
        # a run never replaces the current adapter with one no better than what `rag ask --llm` has
        # without it, nor with a broken one
        state["kept"] = why_not_published(learned, accuracy, bar)
        if state["kept"] is not None:
            return
        written = store.new_path()
        model.save_pretrained(written)
        info = AdapterInfo(adapter="", base_model=settings.base_model, snapshot=snapshot,
                           created=time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                           candidates=data_settings["candidates"], prompt_tokens=data_settings["prompt_tokens"],
                           summary_words=data_settings["summary_words"],
                           ranks=data_settings.get("ranks", False),
                           definitions=data_settings.get("definitions", False),
                           label_form=settings.label_form, validation_accuracy=accuracy,
                           settings={"train": recorded_settings, "data": data_settings})
        state["adapter"] = store.publish(written, info).adapter

    class Publish(TrainerCallback):
        def on_epoch_end(self, args, trainer_state, control, **kwargs):
            evaluate_and_publish(trainer_state.epoch or 0.0)
            model.train()
            if state["stale"] >= settings.patience and not control.should_training_stop:
                state["stopped"] = f"validation accuracy did not improve for {settings.patience} epoch(s)"
                control.should_training_stop = True

        def on_step_end(self, args, trainer_state, control, **kwargs):
            if progress:
                progress("train", trainer_state.global_step, trainer_state.max_steps)
            if time.monotonic() - started > settings.max_minutes * 60:
                state["stopped"] = f"time budget of {settings.max_minutes:g} minutes reached"
                control.should_training_stop = True
                control.should_epoch_stop = True

    steps_per_epoch = math.ceil(len(features) / settings.batch_size)
    args = TrainingArguments(
        output_dir=work, per_device_train_batch_size=settings.batch_size, num_train_epochs=settings.epochs,
        learning_rate=settings.learning_rate, lr_scheduler_type="linear",
        warmup_steps=max(1, steps_per_epoch // 10), logging_steps=max(1, min(10, steps_per_epoch // 4)),
        save_strategy="steps", save_steps=settings.checkpoint_steps, save_total_limit=1,
        report_to=[], bf16=torch_dtype == torch.bfloat16 and llm.device != "mps",
        activation_checkpointing=settings.gradient_checkpointing, disable_tqdm=True,
        dataloader_num_workers=0, remove_unused_columns=False, seed=settings.seed, use_cpu=llm.device == "cpu",
    )
    trainer = Trainer(model=model, args=args, train_dataset=features, callbacks=[Publish()],
                      data_collator=DataCollatorForSeq2Seq(llm.tokenizer, padding=True, label_pad_token_id=-100))
    # its own bar, or without it every loss as a dict, would go to stdout: progress goes where `rag index`'s
    # goes, the losses into the report
    trainer.remove_callback(PrinterCallback)
    checkpoint = _last_checkpoint(work) if resume else None
    result = trainer.train(resume_from_checkpoint=checkpoint)
    epoch = trainer.state.epoch or 0.0
    if not state["history"] or state["history"][-1][0] < round(epoch, 3):  # stopped mid-epoch: score it too
        evaluate_and_publish(epoch)
    losses = [(h["step"], round(h["loss"], 4)) for h in trainer.state.log_history if "loss" in h]
    report = TrainReport(
        train_examples=len(train_set), validation_examples=len(validation), epochs_run=round(epoch, 3),
        steps=result.global_step, seconds=round(time.monotonic() - training_started, 1),
        total_seconds=round(time.monotonic() - started, 1),
        best_validation_accuracy=state["best"], base_validation_accuracy=base_accuracy,
        stopped_because=state["stopped"], resumed_from_step=int(checkpoint.rsplit("-", 1)[1]) if checkpoint else None,
        losses=losses, validation=state["history"], adapter=state["adapter"],
        not_published=None if state["adapter"] else state["kept"], settings=recorded_settings,
        held_out=check() if check is not None and state["adapter"] else None)
    if report.held_out is not None:  # `rag ask --llm` says so when the adapter did not beat retrieval
        store.annotate(state["adapter"], held_out=report.held_out)
    _write_report(store.dir, report)
    shutil.rmtree(work, ignore_errors=True)  # the run ended: nothing is left to resume
    return report


def accuracy_to_beat(store: AdapterStore, snapshot: str, base_accuracy: float | None) -> float | None:
    """The validation accuracy a new adapter has to beat: the base model's on this run's validation
    examples, and the current adapter's when it was trained on the same index (the same examples)."""
    current = store.current() if not store.adapter_damage() else None  # a damaged one is no rival
    scores = [base_accuracy] + ([current.validation_accuracy] if current is not None and current.snapshot == snapshot
                                else [])
    scores = [a for a in scores if a is not None]
    return max(scores) if scores else None


def adapter_learned(model) -> bool | None:
    """Whether training changed the LoRA weights and left them finite: True; None when no step moved
    them (peft starts every `lora_B` at zero, so the adapter is still the base model: a budget spent
    before the warm-up ended); False when a weight is NaN or infinite (a learning rate too high)."""
    import torch

    moved = False
    for name, weight in model.named_parameters():
        if "lora_" not in name:
            continue
        if not bool(torch.isfinite(weight).all()):
            return False
        moved = moved or ("lora_B" in name and bool(weight.detach().abs().sum() > 0))
    return True if moved else None


def why_not_published(learned: bool | None, accuracy: float | None, bar: float | None) -> str | None:
    """Why an adapter is not published (None: it is).

    >>> why_not_published(True, 0.4, 0.3) is None
    True
    >>> why_not_published(True, 0.3, 0.3)
    "its validation accuracy 0.3 does not beat 0.3, the base model's or the current adapter's"
    >>> why_not_published(None, 0.5, 0.3)
    'no training step changed the adapter'
    """
    if learned is None:
        return "no training step changed the adapter"
    if learned is False:
        return "training made the adapter's weights non-finite (lower the learning rate)"
    if accuracy is not None and bar is not None and accuracy <= bar:
        return f"its validation accuracy {accuracy} does not beat {bar}, the base model's or the current adapter's"
    return None


def validation_accuracy(llm, validation: list[Example], progress=None) -> float | None:
    """Share of validation examples whose gold scores highest among the listed options (abstention
    included); `progress(stage, done, total)` is told each example scored."""
    if not validation:
        return None
    import numpy as np

    from rag.llm.ranker import score_options

    llm.model.eval()
    hits = 0
    for i, e in enumerate(validation):
        if progress:
            progress("validate", i + 1, len(validation))
        options = e.candidates + [ABSTAIN]
        hits += options[int(np.argmax(score_options(llm, e.prompt, options)))] == e.gold
    return round(hits / len(validation), 4)


def _load_base(settings: TrainSettings):
    device, torch_dtype = pick_device(settings.device, settings.dtype)
    if settings.qlora:
        require_cuda_for_qlora()
        return _load_4bit(settings, torch_dtype), torch_dtype
    return LocalLLM.load(settings.base_model, device, settings.dtype, backend="transformers"), torch_dtype


def require_cuda_for_qlora() -> None:
    import torch

    if not torch.cuda.is_available():  # bitsandbytes loads 4-bit on CPU, but training it there fails (DESIGN.md)
        raise ConfigError("--qlora needs a CUDA GPU: bitsandbytes cannot train a 4-bit model on this machine; "
                          "train without --qlora")


def _load_4bit(settings: TrainSettings, torch_dtype):
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig
    from peft import prepare_model_for_kbit_training

    from rag.llm.model import model_dir

    try:
        import bitsandbytes  # noqa: F401
    except ImportError:
        raise ConfigError("--qlora needs bitsandbytes: pip install 'rag[cuda]'") from None
    path = model_dir(settings.base_model)
    quant = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch_dtype,
                               bnb_4bit_use_double_quant=True)
    model = AutoModelForCausalLM.from_pretrained(path, quantization_config=quant, device_map={"": 0})
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=settings.gradient_checkpointing)
    return LocalLLM(settings.base_model, AutoTokenizer.from_pretrained(path), model, "cuda")


def with_lora(model, settings: TrainSettings):
    from peft import LoraConfig, get_peft_model

    present = {name.rsplit(".", 1)[-1] for name, _ in model.named_modules()}
    targets = [t for t in settings.target_modules if t in present]
    if not targets:
        raise ConfigError(f"none of the LoRA target modules {', '.join(settings.target_modules)} exist in "
                          f"{settings.base_model}")
    layers = model.config.num_hidden_layers
    top = None if settings.top_layers is None or settings.top_layers >= layers else \
        list(range(layers - settings.top_layers, layers))
    config = LoraConfig(r=settings.lora_r, lora_alpha=settings.lora_alpha, lora_dropout=settings.lora_dropout,
                        target_modules=targets, layers_to_transform=top, task_type="CAUSAL_LM")
    if settings.gradient_checkpointing:
        model.activation_checkpointing_enable()
        model.enable_input_require_grads()
    with quiet_peft():
        return get_peft_model(model, config)


def _features(tokenizer, e: Example) -> dict:
    """Token IDs of prompt + answer + end token; labels only on the answer and the end token."""
    from rag.llm.ranker import end_token

    prompt = tokenizer(e.prompt, add_special_tokens=False)["input_ids"]
    answer = tokenizer(e.target, add_special_tokens=False)["input_ids"] + [end_token(tokenizer)]
    return {"input_ids": prompt + answer, "attention_mask": [1] * (len(prompt) + len(answer)),
            "labels": [-100] * len(prompt) + answer}


SETTINGS_RECORD = "settings.json"  # in the work directory: what an interrupted run was trained with
DATA_RECORD = "data.json"  # and on which examples: the index snapshot and the data settings
RESUMABLE_CHANGES = {"max_minutes", "device"}  # a resumed run may get a new time budget, or another device


def check_resume(index_dir: str, settings: TrainSettings, data: dict) -> None:
    """ConfigError unless `--resume` can continue an interrupted run here with these settings and
    examples (`pipeline.finetune` asks before it builds the examples: minutes, on a big repository)."""
    work = os.path.join(AdapterStore(index_dir).dir, "work")
    _check_resumable(work, settings, data)
    if _last_checkpoint(work) is None:
        raise ConfigError(f"nothing to resume: no interrupted run left a checkpoint here (one is written every "
                          f"{settings.checkpoint_steps} steps); start again without --resume")


def _check_resumable(work: str, settings: TrainSettings, data: dict) -> None:
    """Refuse to resume a run under other settings (a checkpoint of another LoRA rank would fail deep in
    peft, or worse, train on silently), or on other examples (`data`: the index snapshot and the data
    settings they came from: another --until, an index changed since): one line naming what differs."""
    try:
        with open(os.path.join(work, SETTINGS_RECORD)) as fh:
            recorded = from_record(TrainSettings, json.load(fh))
    except FileNotFoundError:
        return  # nothing interrupted (the caller says so)
    except ValueError as e:
        raise ConfigError(f"cannot resume: the interrupted run's settings: {e}") from None
    differ = [f"{name} {getattr(recorded, name)!r} (now {getattr(settings, name)!r})"
              for name in vars(settings) if name not in RESUMABLE_CHANGES
              and getattr(recorded, name) != getattr(settings, name)]
    if differ:
        raise ConfigError(f"cannot resume: the interrupted run was trained with {', '.join(differ)}; "
                          "give the same settings, or start again without --resume")
    try:
        with open(os.path.join(work, DATA_RECORD)) as fh:
            was = json.load(fh)
    except (OSError, ValueError):
        return  # a run of an older rag: its data were not recorded
    if was.get("snapshot") != data["snapshot"]:
        raise ConfigError("cannot resume: the index changed since the interrupted run began, so its examples "
                          "did too; start again without --resume")
    if was.get("data") != data["data"]:
        differ = [f"{k} {was['data'].get(k)!r} (now {v!r})" for k, v in data["data"].items()
                  if isinstance(was.get("data"), dict) and was["data"].get(k) != v]
        raise ConfigError(f"cannot resume: the interrupted run's examples were made with {', '.join(differ) or 'other settings'}; "
                          "give the same, or start again without --resume")


def interrupted_checkpoint(index_dir: str) -> str | None:
    """The checkpoint an interrupted run of this index left ("checkpoint-50"), which --resume continues."""
    found = _last_checkpoint(os.path.join(AdapterStore(index_dir).dir, "work"))
    return os.path.basename(found) if found else None


def _last_checkpoint(work: str) -> str | None:
    from transformers.trainer_utils import get_last_checkpoint

    return get_last_checkpoint(work) if os.path.isdir(work) else None


def _write_report(directory: str, report: TrainReport) -> None:
    atomic_write(os.path.join(directory, "training_report.json"), json.dumps(report.to_dict(), indent=1))
    _plot(directory, report)


def _plot(directory: str, report: TrainReport) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if report.losses:
        ax.plot([s for s, _ in report.losses], [l for _, l in report.losses], label="training loss")
    ax.set_xlabel("step")
    ax.set_ylabel("loss")
    if report.validation:
        acc = ax.twinx()
        steps_per_epoch = report.steps / report.epochs_run if report.epochs_run else 1
        points = [(0.0, report.base_validation_accuracy)] + list(report.validation)  # step 0: the base model
        acc.plot([e * steps_per_epoch for e, _ in points], [a or 0 for _, a in points],
                 "o-", color="tab:orange", label="validation accuracy")
        acc.set_ylim(0, 1)
        acc.set_ylabel("validation accuracy")
    ax.set_title("rag finetune")
    fig.tight_layout()
    from graph.durable import atomic_write

    try:
        atomic_write(os.path.join(directory, "training.png"), lambda path: fig.savefig(path, format="png"))
    finally:
        plt.close(fig)
