"""The repository's own packages, by the names their manifests give them.

An import names a package, not a folder: Go's `github.com/gorilla/mux/middleware` (go.mod's module
path), a JavaScript workspace's `@tanstack/query-core` (that package's package.json `name`), a Cargo
workspace's `tokenizers` crate (its Cargo.toml `[package] name`). Where such a package lives in the
repository, the import is an edge between two of its files rather than a dependency outside it: TanStack
Query's 865 imports of its sibling packages gave 8 edges, all from tests (sweep 16).
"""
from __future__ import annotations

import json
import posixpath
import tomllib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class PackageFolders:
    """The folders of the repository's own packages, by the name imports use."""
    go_module: tuple[str, str] | None = None  # go.mod's module path, its folder (the shallowest go.mod)
    npm: dict[str, str] = field(default_factory=dict)  # package.json's `name` -> its folder
    cargo: dict[str, str] = field(default_factory=dict)  # a crate's name as `use` writes it (`-` as `_`) -> its folder


def package_folders(manifests: list[tuple[str, str]]) -> PackageFolders:
    """From (path, text) of each manifest found. A name two manifests give is nobody's (a fixture's copy of
    a package.json would otherwise take the package's imports); one that does not parse names nothing.

    >>> p = package_folders([("go.mod", "module github.com/acme/shop\\n"),
    ...                      ("packages/query-core/package.json", '{"name": "@tanstack/query-core"}'),
    ...                      ("tokenizers/Cargo.toml", '[package]\\nname = "tokenizers"\\n'),
    ...                      ("bindings/node/Cargo.toml", '[package]\\nname = "node-tokenizers"\\n'),
    ...                      ("broken/package.json", "{"), ("a/package.json", '{"name": "x"}'), ("b/package.json", '{"name": "x"}')])
    >>> p.go_module, p.npm, p.cargo
    (('github.com/acme/shop', ''), {'@tanstack/query-core': 'packages/query-core'}, {'tokenizers': 'tokenizers', 'node_tokenizers': 'bindings/node'})
    """
    go_module, npm, cargo, seen = None, {}, {}, set()
    for path, text in sorted(manifests, key=lambda m: (m[0].count("/"), m[0])):
        folder, name = posixpath.dirname(path), posixpath.basename(path)
        if name == "go.mod" and go_module is None:
            module = next((line.split()[1].strip('"') for line in text.splitlines()
                           if line.startswith("module ") and len(line.split()) > 1), None)
            go_module = (module, folder) if module else None
        elif name == "package.json":
            _claim(npm, seen, ("npm", _npm_name(text)), folder)
        elif name == "Cargo.toml":
            _claim(cargo, seen, ("cargo", _crate_name(text)), folder)
    return PackageFolders(go_module, npm, cargo)


def _claim(names: dict[str, str], seen: set, key: tuple[str, str], folder: str) -> None:
    name = key[1]
    if not name:
        return
    if key in seen:
        names.pop(name, None)
    else:
        seen.add(key)
        names[name] = folder


def _npm_name(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return ""
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) else ""


def _crate_name(text: str) -> str:
    """A crate's name as Rust code writes it: Cargo's `node-tokenizers` is `node_tokenizers`; a workspace's
    root manifest (no `[package]`) names none."""
    try:
        package = tomllib.loads(text).get("package")
    except tomllib.TOMLDecodeError:
        return ""
    name = package.get("name") if isinstance(package, dict) else None
    return name.replace("-", "_") if isinstance(name, str) else ""
