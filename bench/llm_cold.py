"""Cold load of the LLM from its cache, each run in a fresh process.

    python bench/llm_cold.py [--model NAME_OR_DIR] [--repeat 5]

Per run: the wall seconds of the whole process (interpreter start-up included), and inside it the
seconds spent importing torch + transformers and in `LocalLLM.load` (tokenizer, model class, weights).
Medians of --repeat runs. The default model must have been converted once already (any `rag ask --llm`
does it), so that this measures a load from the cache, not the conversion.
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
import torch, transformers
t1 = time.perf_counter()
from rag.llm_model import LocalLLM
llm = LocalLLM.load(sys.argv[1]) if sys.argv[1] else LocalLLM.load()
t2 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "load_s": t2 - t1, "dtype": str(llm.model.dtype)}))
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default="")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    runs = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        p = subprocess.run([sys.executable, "-c", CHILD, args.model], capture_output=True, text=True)
        wall = time.perf_counter() - t
        if p.returncode != 0:
            raise SystemExit(p.stderr.strip().splitlines()[-1])
        runs.append({**json.loads(p.stdout.strip().splitlines()[-1]), "process_s": wall})
    out = {k: round(statistics.median(r[k] for r in runs), 2) for k in ("process_s", "imports_s", "load_s")}
    out["all_process_s"] = [round(r["process_s"], 2) for r in runs]
    out["dtype"] = runs[0]["dtype"]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
