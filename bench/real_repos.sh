#!/usr/bin/env bash
# Index real code beyond the dev sets (other languages, other layouts) and print what it took.
#
#   bash bench/real_repos.sh [DIR]        (default: .bench-real)
#
# Sources come from the package registries, the only network this project can count on: npm
# tarballs (TypeScript, JavaScript, C++ addons) and PyPI sdists (Java + C++, C, Rust, a src layout,
# a big Python tree). Each is indexed from nothing, with embeddings; then `rag modules` is there to read.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
DIR="${1:-.bench-real}"
RAG="${RAG:-.venv/bin/rag}"
mkdir -p "$DIR"

npm_package() {  # name, tarball path under registry.npmjs.org
    local dest="$DIR/$1"
    [ -d "$dest" ] && return
    mkdir -p "$dest.tmp"
    curl -sSfL "https://registry.npmjs.org/$2" | tar xz -C "$dest.tmp"
    mv "$dest.tmp/package" "$dest" && rmdir "$dest.tmp"
}

sdist() {  # directory, PyPI project, version: the sdist from PyPI's simple index (pip would have to build
           # maturin sdists such as orjson's to read their metadata, which needs cargo)
    local dest="$DIR/$1"
    [ -d "$dest" ] && return
    local url
    url=$(curl -sSf -H "Accept: application/vnd.pypi.simple.v1+json" "https://pypi.org/simple/$2/" | python3 -c \
        'import json, sys; print(next(f["url"] for f in json.load(sys.stdin)["files"] if f["filename"].lower() == sys.argv[1]))' \
        "$(tr 'A-Z' 'a-z' <<<"$2-$3.tar.gz")")
    mkdir -p "$dest.tmp"
    curl -sSfL "$url" | tar xz -C "$dest.tmp"
    mv "$dest.tmp"/* "$dest" && rmdir "$dest.tmp"
}

npm_package rxjs rxjs/-/rxjs-7.8.1.tgz                              # TypeScript
npm_package express express/-/express-4.21.1.tgz                    # CommonJS JavaScript
npm_package query-core @tanstack/query-core/-/query-core-5.59.0.tgz  # TypeScript + TSX tests
npm_package bcrypt bcrypt/-/bcrypt-5.1.1.tgz                        # C++ addon
sdist jpype JPype1 1.5.1                                            # Java + C++ + Python
sdist ujson ujson 6.1.0                                             # C (+ a vendored C++ library)
sdist flask flask 3.0.3                                             # src layout
sdist django django 5.1.3                                           # a big Python tree
sdist orjson orjson 3.9.9                                           # Rust (+ 1,184 vendored crate files)

for repo in rxjs express query-core bcrypt jpype ujson flask django orjson; do
    out=$("$RAG" index "$DIR/$repo" --full 2>&1)
    printf '%-11s %s\n' "$repo" "$(grep '^indexed' <<<"$out")"
    grep '^warning' <<<"$out" | cut -c1-120 | sed 's/^/            /' || true
done
