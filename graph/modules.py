"""The module hierarchy: every file, directory and named module of the graph, with its summary.

Module IDs follow DESIGN.md: a file's repo-relative path, a directory's path with a trailing "/",
or a named module's declared ID. A module's parent is the directory that contains it.
"""
from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from graph.build import ROOT, dir_id
from graph.neighbours import member_files
from graph.roles import SOURCE
from graph.summary import GraphFacts, SummaryInputs, keywords_for_all, main_symbols, summarize

if TYPE_CHECKING:
    from graph.code_graph import CodeGraph

FILE, DIRECTORY, NAMED = "file", "directory", "named"


@dataclass
class Module:
    id: str
    kind: str  # FILE, DIRECTORY or NAMED
    parent: str | None
    name: str
    summary: str
    keywords: list[str] = field(default_factory=list)
    symbols: list[str] = field(default_factory=list)  # main symbols, most important first
    language: str | None = None
    files: int = 1  # source files inside (1 for a file)
    lines: int = 0
    aliases: list[str] = field(default_factory=list)
    role: str = SOURCE  # source, test, example, doc, bench or vendored (graph/roles.py); a directory is source if any file is
    changes: int = 0  # commits of the history that touched it (graph/history.py)
    changed_with: list[list] = field(default_factory=list)  # a file's most coupled files: [[path, commits], …]
    imports: list[str] = field(default_factory=list)  # a file's imports that resolve to files of the repository
    imported_by: list[str] = field(default_factory=list)  # the repository's files that import it

    def to_dict(self) -> dict:
        return dict(vars(self))  # not dataclasses.asdict: it deep-copies, and this runs once per module

    @classmethod
    def from_dict(cls, d: dict) -> Module:
        return cls(**d)


def build_modules(g: CodeGraph, keyword_weights: dict[str, dict[str, float]]) -> list[Module]:
    """All modules of the graph (the root directory is not one), sorted by ID.

    `keyword_weights` maps each file of the graph to its parse result's `keyword_weights`.
    """
    files = sorted(n for n, a in g.nodes(data=True) if a["kind"] == "file")
    dirs = sorted(n for n, a in g.nodes(data=True) if a["kind"] == "directory" and n != ROOT)
    named = sorted(n for n, a in g.nodes(data=True) if a["kind"] == "named")
    facts = GraphFacts.of(g)
    members = {m: member_files(g, m) for m in dirs + named}
    members.update({f: [f] for f in files})
    keywords = keywords_for_all(g, members, keyword_weights)
    out = []
    for mid in files + dirs + named:
        attrs = g.nodes[mid]
        kind = {"file": FILE, "directory": DIRECTORY, "named": NAMED}[attrs["kind"]]
        symbols = main_symbols(g, facts, _telling_files(g, members[mid]), limit=8)
        inputs = SummaryInputs.collect(g, facts, mid, kind, members[mid], symbols[:6])
        out.append(Module(
            id=mid, kind=kind, parent=_parent(mid, kind, members[mid]), name=attrs["name"],
            summary=summarize(inputs), keywords=keywords[mid],
            symbols=[s.split("::", 1)[1] for s in symbols],
            language=attrs.get("language"), files=len(members[mid]),
            lines=sum(g.nodes[f]["lines"] for f in members[mid]), aliases=list(attrs.get("aliases", ())),
            role=_role(g, members[mid]),
            changes=sum(g.nodes[f].get("changes", 0) for f in members[mid]) if kind == FILE else 0,
            changed_with=_changed_with(g, mid) if kind == FILE else [],
            imports=sorted(facts.imports.get(mid, ())) if kind == FILE else [],
            imported_by=sorted(facts.importers.get(mid, ())) if kind == FILE else [],
        ))
    return sorted(out, key=lambda m: m.id)


CHANGED_WITH_SHOWN = 5


def _changed_with(g, file: str) -> list[list]:
    """The files that most often changed together with `file`, most often first."""
    from graph.history import CHANGED_WITH

    pairs = [(v, g.get_edge_data(file, v, CHANGED_WITH)["weight"]) for _, v, k in g.out_edges(file, keys=True) if k == CHANGED_WITH]
    return [[v, w] for v, w in sorted(pairs, key=lambda p: (-p[1], p[0]))[:CHANGED_WITH_SHOWN]]


def _telling_files(g, member_files: list[str]) -> list[str]:
    """The files a module's main symbols come from: its source files when it has any, so that a
    package's summary names its API, not the helpers of its tests (query-core's `src/` led with `sleep`)."""
    return [f for f in member_files if g.nodes[f]["role"] == SOURCE] or member_files


def _role(g, member_files: list[str]) -> str:
    roles = {g.nodes[f]["role"] for f in member_files}
    return SOURCE if SOURCE in roles or not roles else sorted(roles)[0]


def _parent(mid: str, kind: str, member_files: list[str]) -> str | None:
    if kind == NAMED:
        if not member_files:
            return None
        common = posixpath.commonpath([posixpath.dirname(f) or "." for f in member_files])
        return None if common in ("", ".") else dir_id(common)
    parent = posixpath.dirname(mid.rstrip("/"))
    return dir_id(parent) if parent else None
