"""Cold load of the LLM from its cache, each run in a fresh process, for both backends side by side.

    python bench/llm_cold.py [--model NAME_OR_DIR] [--repeat 5] [--backends auto,transformers]

Per run: the wall seconds of the whole process (interpreter start-up included), and inside it the
seconds spent importing torch and in `LocalLLM.load` (imports of the backend, tokenizer, weights).
"auto" is the plain-torch Llama of rag/llm/llama_torch.py; "transformers" the model class of transformers.
Runs alternate between the backends (the machine is noisy); medians of --repeat runs each. The default
model must have been converted once already (any `rag ask --llm` does it), so that this measures a
load from the cache, not the conversion.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

CHILD = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
from rag.llm.model import DEFAULT_MODEL, LocalLLM
llm = LocalLLM.load(sys.argv[1] or DEFAULT_MODEL, backend=sys.argv[2])
t2 = time.perf_counter()
print(json.dumps({"torch_import_s": t1 - t0, "load_s": t2 - t1, "dtype": str(llm.model.dtype),
                  "model_class": type(llm.model).__name__, "transformers_imported": "transformers" in sys.modules}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--backends", default="auto,transformers")
    args = ap.parse_args()
    backends = args.backends.split(",")
    runs = {b: [] for b in backends}
    for _ in range(args.repeat):
        for backend in backends:
            t = time.perf_counter()
            p = subprocess.run([sys.executable, "-c", CHILD, args.model, backend], capture_output=True, text=True)
            wall = time.perf_counter() - t
            if p.returncode != 0:
                raise SystemExit(p.stderr.strip().splitlines()[-1])
            runs[backend].append({**json.loads(p.stdout.strip().splitlines()[-1]), "process_s": wall})
    for backend, done in runs.items():
        out = {"backend": backend}
        out |= {k: round(statistics.median(r[k] for r in done), 2) for k in ("process_s", "torch_import_s", "load_s")}
        out["all_process_s"] = [round(r["process_s"], 2) for r in done]
        out |= {k: done[0][k] for k in ("dtype", "model_class", "transformers_imported")}
        print(json.dumps(out))


if __name__ == "__main__":
    main()
