#!/usr/bin/env bash
# The same steps as examples/ci/rag-index.yml, on a fixture repository in a scratch directory:
# a missing index is stale, a rebuild makes it fresh, a changed file makes it stale again and an
# incremental rebuild re-parses only that file.
set -euo pipefail
RAG="${RAG:-$(pwd)/.venv/bin/rag}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r tests/fixtures/python "$work/repo"
cd "$work/repo"

expect() {  # expect CODE COMMAND...
    local want="$1"; shift
    set +e; "$@"; local got=$?; set -e
    [ "$got" = "$want" ] || { echo "index-check: '$*' exited $got, expected $want" >&2; exit 1; }
}

expect 1 "$RAG" index --check
"$RAG" index --quiet
expect 0 "$RAG" index --check
echo '# touched' >> shop/cart.py
expect 1 "$RAG" index --check
out="$("$RAG" index 2>&1)"
echo "$out"
echo "$out" | grep -q "incremental: 1 parsed" || { echo "index-check: rebuild was not incremental" >&2; exit 1; }
expect 0 "$RAG" index --check
# a new commit is stale too (the index holds the git history), and a rebuild reads only that commit
git init -q && git add -A && git -c user.name=ci -c user.email=ci@example.invalid commit -qm "Add the shop"
expect 1 "$RAG" index --check
"$RAG" index 2>&1 | grep -q "history: " || { echo "index-check: no history read" >&2; exit 1; }
expect 0 "$RAG" index --check
echo "index-check: ok"
