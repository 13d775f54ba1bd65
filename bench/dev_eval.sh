#!/usr/bin/env bash
# Evaluate the retrieval methods on the three dev sets and write the reports to bench/results/<set>/.
#
#   bash bench/dev_eval.sh [SOURCES_DIR]      (default: .bench-sources)
#
# Fetches the pinned sources (bench/dev/fetch_sources.sh), indexes each repository
# (incrementally: a second run re-uses the index), then runs `rag eval` at file and directory level.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SOURCES="${1:-.bench-sources}"
DEV="bench/dev"
RAG="${RAG:-.venv/bin/rag}"
bash "$DEV/fetch_sources.sh" "$SOURCES"
for set in rich scrapy networkx; do
    "$RAG" index "$SOURCES/$set" --quiet
done
start=$(date +%s)
for set in rich scrapy networkx; do
    "$RAG" eval "$DEV/$set.jsonl" --repo "$SOURCES/$set" --methods bm25,dense,hybrid --level both \
        --report "bench/results/$set"
done
echo "evaluated the three dev sets in $(( $(date +%s) - start )) s (after indexing)"
