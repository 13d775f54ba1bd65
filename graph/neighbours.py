"""What the graph says around one module: its definitions with their lines, and the modules it is tied to.

A module (a file, or a directory and every file under it) meets the rest of the repository through
four kinds of edges of the code graph, each read at file level here:

- it **imports** files, and is **imported by** others;
- its functions **call** functions of other files, and are **called by** others;
- its classes **inherit** from classes elsewhere, and are **inherited by** others.

Edges inside the module are left out: a directory's own files calling each other say nothing about
its neighbours. Each list is ordered by how many edges tie the two, most first, so the strongest ties
lead (`calls: [["rich/segment.py", 14], …]`).

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for f in ("app/cli.py", "app/core.py", "app/util.py"):
...     g.add_node(f, kind="file", path=f)
>>> g.add_node("app/cli.py::main", kind="function", path="app/cli.py", qualname="main", start_line=3, end_line=9)
>>> g.add_node("app/core.py::run", kind="function", path="app/core.py", qualname="run", start_line=1, end_line=4)
>>> _ = g.add_edge("app/cli.py", "app/cli.py::main", key="contains")
>>> _ = g.add_edge("app/core.py", "app/core.py::run", key="contains")
>>> _ = g.add_edge("app/cli.py", "app/core.py", key="imports")
>>> _ = g.add_edge("app/cli.py::main", "app/core.py::run", key="calls")
>>> n = neighbours(g, "app/core.py")
>>> n.imported_by, n.called_by, n.imports
([['app/cli.py', 1]], [['app/cli.py', 1]], [])
>>> definitions(g, ["app/cli.py"])[0]
{'name': 'main', 'kind': 'function', 'file': 'app/cli.py', 'lines': [3, 9]}
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

from graph.build import CALLABLE, CALLS, CONTAINS, IMPORTS, INHERITS

DEFINITION_KINDS = CALLABLE  # classes and functions (methods are functions inside a class)


@dataclass
class Neighbours:
    imports: list[list] = field(default_factory=list)  # [[file, edges], …], most edges first
    imported_by: list[list] = field(default_factory=list)
    calls: list[list] = field(default_factory=list)
    called_by: list[list] = field(default_factory=list)
    inherits: list[list] = field(default_factory=list)
    inherited_by: list[list] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def member_files(g, module: str) -> list[str]:
    """The files a module stands for: itself, or every file under a directory (or a named module)."""
    if module not in g:
        return []
    if g.nodes[module]["kind"] == "file":
        return [module]
    out, stack = set(), [module]
    while stack:  # a stack, not recursion: directories may nest thousands deep
        node = stack.pop()
        for _, child, key in g.out_edges(node, keys=True):
            if key != CONTAINS:
                continue
            kind = g.nodes[child]["kind"]
            if kind == "file":
                out.add(child)
            elif kind in ("directory", "named"):
                stack.append(child)
    return sorted(out)


def neighbours(g, module: str, limit: int = 20) -> Neighbours:
    """The files tied to `module` by imports, calls and inheritance, at most `limit` of each kind."""
    inside = set(member_files(g, module))
    counts = {key: (Counter(), Counter()) for key in (IMPORTS, CALLS, INHERITS)}
    for node in _nodes_in(g, inside):
        for _, target, key in g.out_edges(node, keys=True):
            if key in counts and (f := _file_of(g, target)) and f not in inside:
                counts[key][0][f] += 1
        for source, _, key in g.in_edges(node, keys=True):
            if key in counts and (f := _file_of(g, source)) and f not in inside:
                counts[key][1][f] += 1

    def ranked(counter: Counter) -> list[list]:
        return [[f, n] for f, n in sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit]]

    return Neighbours(imports=ranked(counts[IMPORTS][0]), imported_by=ranked(counts[IMPORTS][1]),
                      calls=ranked(counts[CALLS][0]), called_by=ranked(counts[CALLS][1]),
                      inherits=ranked(counts[INHERITS][0]), inherited_by=ranked(counts[INHERITS][1]))


def definitions(g, files: list[str], limit: int = 200) -> list[dict]:
    """The classes and functions defined in `files`, in file and line order, with their line spans."""
    found = [(a["path"], a.get("start_line", 0), a) for a in (g.nodes[n] for n in _nodes_in(g, set(files)))
             if a["kind"] in DEFINITION_KINDS]
    found.sort(key=lambda item: (item[0], item[1]))
    return [{"name": a["qualname"], "kind": a["kind"], "file": path,
             "lines": [a.get("start_line", 0), a.get("end_line", 0)]} for path, _, a in found[:limit]]


def _nodes_in(g, files: set[str]) -> list[str]:
    """The files themselves and every definition inside them."""
    out = []
    for f in sorted(files):
        out.append(f)
        stack = [f]
        while stack:
            node = stack.pop()
            for _, child, key in g.out_edges(node, keys=True):
                if key == CONTAINS and g.nodes[child]["kind"] in DEFINITION_KINDS:
                    out.append(child)
                    stack.append(child)
    return out


def _file_of(g, node: str) -> str | None:
    attrs = g.nodes[node]
    if attrs["kind"] == "file":
        return node
    return attrs.get("path") if attrs["kind"] in DEFINITION_KINDS else None
