#!/usr/bin/env bash
# Fine-tune an adapter for each dev-set repository, then compare hybrid retrieval, the tuned model
# alone, and the two fused/gated, side by side (bench/llm_fusion.py).
#
#   bash bench/finetune_dev.sh [SOURCES_DIR]      (default: .bench-sources; ~30 min a set on 2 CPU cores)
#
# The sources have no git history, so the dev labels (commit messages) never leak into training.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SOURCES="${1:-.bench-sources}"
DEV="bench/dev"
RAG="${RAG:-.venv/bin/rag}"
bash "$DEV/fetch_sources.sh" "$SOURCES"
for set in rich scrapy networkx; do
    "$RAG" index "$SOURCES/$set" --quiet
    /usr/bin/time -f "$set: rag finetune %e s, peak RSS %M KB" "$RAG" finetune "$SOURCES/$set" --quiet
    mkdir -p "bench/results/finetune/$set"
    cp "$SOURCES/$set/.rag/finetune/training_report.json" "$SOURCES/$set/.rag/finetune/training.png" \
        "bench/results/finetune/$set/"
done
.venv/bin/python bench/llm_fusion.py --sources "$SOURCES" --out bench/results/finetune/scores.json \
    | tee bench/results/finetune/fusion.md
