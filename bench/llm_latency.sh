#!/usr/bin/env bash
# Latency and memory of `rag ask --llm` against hybrid retrieval: `rag eval --methods hybrid,llm` on the
# first 50 queries of each dev set (warm Python API, one process per set), JSON summaries written to
# bench/results/llm/latency/<set>.json.
#
#   bash bench/llm_latency.sh [SOURCES_DIR]      (default: .bench-sources; run it alone on the machine)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SOURCES="${1:-.bench-sources}"
DEV="bench/dev"
RAG="${RAG:-.venv/bin/rag}"
OUT=bench/results/llm/latency
mkdir -p "$OUT"
bash "$DEV/fetch_sources.sh" "$SOURCES"
queries=$(mktemp -d)
trap 'rm -rf "$queries"' EXIT
for set in rich scrapy networkx; do
    "$RAG" index "$SOURCES/$set" --quiet
    head -50 "$DEV/$set.jsonl" > "$queries/$set.jsonl"
    "$RAG" eval "$queries/$set.jsonl" --repo "$SOURCES/$set" --methods hybrid,llm --json 2>/dev/null > "$OUT/$set.json"
    python3 -c "import json,sys; print(sys.argv[1], [(r['method'], r['p50_ms'], r['p95_ms'], r['peak_rss_mb']) for r in json.load(open(sys.argv[2]))['results']])" "$set" "$OUT/$set.json"
done
