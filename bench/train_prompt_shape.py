"""Train a time-split tree's adapter with retrieval ranks and best-matching definitions in the prompt
(the CPU and the default 25-minute budget of `rag finetune`), for `bench/llm_fusion.py --time-split`.

    python bench/train_prompt_shape.py WORK/rich@ae12e09065ad [--balanced] [--no-ranks] [--base-model DIR]

`--balanced` keeps at most as many training examples whose answer is retrieval's own first candidate
as examples whose answer is lower in the list: trained on the plain mix (60-69% of the answers are
rank 1), a model shown the ranks learns to copy rank 1 (bench/LOG.md, 2026-11-28); the question is
whether one that cannot win that way reads the candidates instead. Validation keeps the plain mix.
`--no-ranks` shows the definitions without the ranks: nothing in the prompt to copy.
"""
import argparse
import os
import random
import re
import sys
import time
from dataclasses import asdict, replace

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from finetune.examples import DataSettings  # noqa: E402
from finetune.pipeline import finetune, generate  # noqa: E402
from finetune.settings import TrainSettings  # noqa: E402
from finetune.train import train  # noqa: E402
from rag.engine import Engine  # noqa: E402


def rank_of_answer(example) -> int | None:
    """The retrieval rank the prompt shows beside the example's answer (None: the answer is `none`)."""
    found = re.search(re.escape(example.target.strip()) + r" \(retrieval rank (\d+)\)", example.prompt)
    return int(found.group(1)) if found else None


def balanced(examples: list, seed: int = 0) -> list:
    rank = {id(e): rank_of_answer(e) for e in examples if e.split == "train"}
    rank1 = [e for e in examples if rank.get(id(e)) == 1]
    lower = sum(1 for r in rank.values() if (r or 0) > 1)
    keep = set(map(id, random.Random(seed).sample(rank1, min(lower, len(rank1)))))
    return [e for e in examples if rank.get(id(e)) != 1 or id(e) in keep]

if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("tree")
    ap.add_argument("--balanced", action="store_true")
    ap.add_argument("--no-ranks", action="store_true")
    ap.add_argument("--base-model", default="", help="a local Hugging Face causal-LM directory instead of the bundled model")
    args = ap.parse_args()
    started = time.monotonic()
    engine, data, settings = Engine.open(args.tree), DataSettings(ranks=not args.no_ranks, definitions=True), TrainSettings()
    if args.base_model:
        settings = replace(settings, base_model=os.path.abspath(args.base_model))
    if not args.balanced:
        report = finetune(engine, settings, data, progress=False, started=started)
    else:
        from transformers import AutoTokenizer

        from rag.llm.model import model_dir

        tokenizer = AutoTokenizer.from_pretrained(model_dir(settings.base_model))
        examples = generate(engine, tokenizer, data, caps=(settings.max_train_examples, settings.validation_examples))
        kept = balanced(examples)
        print(f"{len(examples)} examples, {len(kept)} kept", flush=True)
        report = train(kept, engine.store.dir, engine.store.manifest().snapshot, asdict(data), settings,
                       progress=False, started=started)
    print(report.to_dict() if report else None)
