"""The knowledge graph while `rag index` builds it: a directed multigraph in plain dicts.

The build only adds nodes and edges (keyed by their kind) and walks them, then writes NetworkX's
node-link JSON, which `graph.indexer.load_graph` reads back as a `networkx.MultiDiGraph` for everyone
who queries the graph. NetworkX itself was the largest single cost of an incremental `rag index`
(0.18-0.24 s to import, plus its views' per-call overhead), so the build does without it. Nodes,
successors and keys keep NetworkX's insertion order, so the JSON is byte for byte what NetworkX
writes for the same calls (tests/test_graph_python.py checks it).
"""
from __future__ import annotations

from typing import Iterator


class CodeGraph:
    """The part of `networkx.MultiDiGraph`'s interface the build uses, with the same semantics."""

    def __init__(self):
        self._node: dict[str, dict] = {}
        self._succ: dict[str, dict[str, dict[str, dict]]] = {}  # u -> v -> key -> attributes
        self._edge_count = 0
        self.nodes = _NodeView(self._node)

    def add_node(self, n: str, **attrs) -> None:
        if n in self._node:
            self._node[n].update(attrs)
        else:
            self._node[n] = attrs
            self._succ[n] = {}

    def add_edge(self, u: str, v: str, key: str, **attrs) -> None:
        for n in (u, v):  # as NetworkX does: an edge brings its missing ends in, without attributes
            if n not in self._node:
                self.add_node(n)
        keys = self._succ[u].setdefault(v, {})
        if key not in keys:
            keys[key] = {}
            self._edge_count += 1
        keys[key].update(attrs)

    def __contains__(self, n: str) -> bool:
        return n in self._node

    def edges(self, keys: bool = True) -> Iterator[tuple[str, str, str]]:
        return ((u, v, k) for u, succ in self._succ.items() for v, ks in succ.items() for k in ks)

    def out_edges(self, n: str, keys: bool = True) -> Iterator[tuple[str, str, str]]:
        return ((n, v, k) for v, ks in self._succ[n].items() for k in ks)

    def get_edge_data(self, u: str, v: str, key: str) -> dict | None:
        return self._succ.get(u, {}).get(v, {}).get(key)

    def number_of_nodes(self) -> int:
        return len(self._node)

    def number_of_edges(self) -> int:
        return self._edge_count

    def node_link_data(self) -> dict:
        """What `networkx.node_link_data(g, edges="edges")` gives for the same graph."""
        return {"directed": True, "multigraph": True, "graph": {},
                "nodes": [{**attrs, "id": n} for n, attrs in self._node.items()],
                "edges": [{**d, "source": u, "target": v, "key": k}
                          for u, succ in self._succ.items() for v, ks in succ.items() for k, d in ks.items()]}


class _NodeView:
    """`g.nodes[n]` is a node's attributes; `g.nodes(data=True)` gives (node, attributes) pairs."""

    def __init__(self, node: dict[str, dict]):
        self._node = node

    def __getitem__(self, n: str) -> dict:
        return self._node[n]

    def __call__(self, data: bool = False):
        return iter(self._node.items()) if data else iter(self._node)
