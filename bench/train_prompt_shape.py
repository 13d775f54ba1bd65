"""Train a time-split tree's adapter with retrieval ranks and best-matching definitions in the prompt
(the CPU and the default 25-minute budget of `rag finetune`), for `bench/llm_fusion.py --time-split`.

    python bench/train_prompt_shape.py WORK/rich@ae12e09065ad
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from finetune.examples import DataSettings  # noqa: E402
from finetune.pipeline import finetune  # noqa: E402
from finetune.settings import TrainSettings  # noqa: E402
from rag.engine import Engine  # noqa: E402

if __name__ == "__main__":
    started = time.monotonic()
    report = finetune(Engine.open(sys.argv[1]), TrainSettings(), DataSettings(ranks=True, definitions=True),
                      progress=False, started=started)
    print(report.to_dict() if report else None)
