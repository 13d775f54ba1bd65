"""Assemble the code knowledge graph from per-file parse results.

A pure function of its inputs: the same files, READMEs and config give the same graph, which is
what makes an incremental rebuild (re-parse changed files, rebuild the graph) equal a full one.

Node IDs: directories end with "/" (the root is "./"), files are their repo-relative path,
definitions are "<file>::<qualname>", named modules from rag.toml use their declared ID.
Edges carry their kind as the multigraph key: contains, imports, calls, inherits.
"""
from __future__ import annotations

import posixpath
from collections import defaultdict

import networkx as nx

from graph.config import RepoConfig
from graph.errors import ConfigError
from graph.languages import BY_NAME
from graph.resolve import RepoFiles
from graph.roles import file_role
from graph.symbols import CLASS, FileSymbols

ROOT = "./"
CONTAINS, IMPORTS, CALLS, INHERITS = "contains", "imports", "calls", "inherits"


def dir_id(path: str) -> str:
    return path + "/" if path else ROOT


def symbol_id(path: str, qualname: str) -> str:
    return f"{path}::{qualname}"


def build_graph(files: list[FileSymbols], readmes: dict[str, str], config: RepoConfig,
                go_module: tuple[str, str] | None = None) -> nx.MultiDiGraph:
    """`readmes` maps a directory path ("" for the root) to the text of its README."""
    g = nx.MultiDiGraph()
    files = sorted(files, key=lambda f: f.path)
    g.add_node(ROOT, kind="directory", path="", name="", doc=readme_summary(readmes.get("", "")))
    for fs in files:
        _add_directories(g, posixpath.dirname(fs.path), readmes)
        g.add_node(fs.path, kind="file", path=fs.path, name=posixpath.basename(fs.path), language=fs.language,
                   role=file_role(fs.path), lines=fs.lines, doc=fs.doc, syntax_errors=fs.syntax_errors, external_imports=[])
        g.add_edge(dir_id(posixpath.dirname(fs.path)), fs.path, key=CONTAINS)
        for d in fs.definitions:
            sid = symbol_id(fs.path, d.qualname)
            g.add_node(sid, kind=d.kind, subkind=d.subkind, name=d.name, qualname=d.qualname, path=fs.path,
                       start_line=d.start_line, end_line=d.end_line, doc=d.doc)
            parent = symbol_id(fs.path, d.parent) if d.parent and symbol_id(fs.path, d.parent) in g else fs.path
            g.add_edge(parent, sid, key=CONTAINS)

    repo = RepoFiles.of([f.path for f in files], go_module)
    imported = _add_imports(g, files, repo)
    defs_by_name = _definitions_by_name(files)
    _add_calls(g, files, defs_by_name, imported)
    _add_inherits(g, files, defs_by_name, imported)
    _add_named_modules(g, files, config)
    return g


def readme_summary(text: str) -> str:
    """The first prose paragraph of a README: headings, badges, code and HTML skipped."""
    para, in_code = [], False
    for line in text.splitlines():
        s = line.strip()
        if s.startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or s.startswith(("#", "[!", "![", "<", "|", "=", "-" * 3, ".. ", ":")) or set(s) <= set("=-~*"):
            if para and not s:
                break
            continue
        if not s:
            if para:
                break
            continue
        para.append(s)
    return " ".join(para)[:600]


def _add_directories(g, path: str, readmes) -> None:
    missing = []
    while path and dir_id(path) not in g:
        missing.append(path)
        path = posixpath.dirname(path)
    for path in reversed(missing):  # outermost first, so every parent exists with its attributes
        g.add_node(dir_id(path), kind="directory", path=path, name=posixpath.basename(path),
                   doc=readme_summary(readmes.get(path, "")))
        g.add_edge(dir_id(posixpath.dirname(path)), dir_id(path), key=CONTAINS)


def _add_imports(g, files, repo) -> dict[str, set[str]]:
    imported: dict[str, set[str]] = {}
    for fs in files:
        resolver = BY_NAME[fs.language].resolve_import
        targets, external = set(), set()
        for imp in fs.imports:
            hits = [t for t in resolver(fs.path, imp, repo) if t != fs.path]
            if hits:
                targets.update(hits)
            else:
                external.add(imp.module)
        for t in sorted(targets):
            g.add_edge(fs.path, t, key=IMPORTS)
        g.nodes[fs.path]["external_imports"] = sorted(external)
        imported[fs.path] = targets
    return imported


def _definitions_by_name(files) -> dict[str, list[tuple[str, str, str]]]:
    """name -> [(file, qualname, kind)]"""
    out = defaultdict(list)
    for fs in files:
        for d in fs.definitions:
            out[d.name].append((fs.path, d.qualname, d.kind))
    return out


def _resolve_name(name: str, path: str, defs_by_name, imported, kinds) -> str | None:
    """The unique definition a bare name refers to: in this file, else in imported files, else in the repo.

    Ambiguous at the closest scope that knows the name: left unresolved rather than guessed.
    """
    candidates = defs_by_name.get(name)
    if not candidates:
        return None
    candidates = [c for c in candidates if c[2] in kinds]
    if len(candidates) > 1:
        local = [c for c in candidates if c[0] == path]
        if not local:
            near = imported.get(path, ())
            local = [c for c in candidates if c[0] in near]
        candidates = local or candidates
    return symbol_id(candidates[0][0], candidates[0][1]) if len(candidates) == 1 else None


def _add_calls(g, files, defs_by_name, imported) -> None:
    for fs in files:
        unresolved = 0
        for call in fs.calls:
            target = _resolve_name(call.name, fs.path, defs_by_name, imported, ("function", CLASS))
            if target is None:
                unresolved += 1
                continue
            source = symbol_id(fs.path, call.caller) if call.caller else fs.path
            if source != target:
                g.add_edge(source, target, key=CALLS)
        g.nodes[fs.path]["unresolved_calls"] = unresolved


def _add_inherits(g, files, defs_by_name, imported) -> None:
    for fs in files:
        for inh in fs.inherits:
            base = inh.base.replace("::", ".").split("<")[0].split(".")[-1].strip()
            target = _resolve_name(base, fs.path, defs_by_name, imported, (CLASS,))
            child = symbol_id(fs.path, inh.child)
            if target and target != child:
                g.add_edge(child, target, key=INHERITS)
            else:
                g.nodes[child].setdefault("external_bases", []).append(inh.base)


def _add_named_modules(g, files, config: RepoConfig) -> None:
    paths = [f.path for f in files]
    for named in config.modules:
        if named.id in g or dir_id(named.id) in g:
            raise ConfigError(f"rag.toml: module id {named.id!r} collides with a path of the repository")
        members = named.members(paths)
        g.add_node(named.id, kind="named", path="", name=named.id, doc=named.description,
                   aliases=list(named.aliases), patterns=list(named.paths))
        for p in members:
            g.add_edge(named.id, p, key=CONTAINS)
