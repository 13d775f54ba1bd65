"""C and C++ headers and the source files that implement them.

A header that only declares functions (`int cart_add(struct cart *c, Item item);`) repeats their names,
their parameters and often their documentation: to a search it looks as relevant as the file that
defines them, and its shorter text can even win. But a question of how something works wants the
definitions. A header is *implemented by* a source file when that file defines every function the
header declares (by qualified name: `cart_add`, `Cart.add`); its structs, classes and macros may stay its own.
A header that defines a function itself (an inline body) or declares one no source file defines has no
implementation here.

>>> import networkx as nx
>>> g = nx.MultiDiGraph()
>>> for f in ("include/cart.h", "src/cart.c", "src/util.c"):
...     g.add_node(f, kind="file", language="c")
>>> for f, name in [("include/cart.h", "cart_add"), ("src/cart.c", "cart_add"), ("src/util.c", "trim")]:
...     g.add_node(f"{f}::{name}", kind="function", subkind="function", path=f, qualname=name)
>>> implementations(g)
{'include/cart.h': 'src/cart.c'}
"""
from __future__ import annotations

import posixpath

from graph.symbols import FUNCTION, MACRO

HEADER_SUFFIXES = (".h", ".hh", ".hpp", ".hxx", ".h++")
C_FAMILY = ("c", "cpp", "objc")  # an Objective-C header declares the methods its `.m` implements


def is_header(path: str) -> bool:
    return path.lower().endswith(HEADER_SUFFIXES)


def implementations(g) -> dict[str, str]:
    """header -> the source file defining every function it declares (the one sharing its name first)."""
    functions: dict[str, set[str]] = {}
    for _, a in g.nodes(data=True):
        if a["kind"] == FUNCTION and a["subkind"] != MACRO and g.nodes[a["path"]].get("language") in C_FAMILY:
            functions.setdefault(a["path"], set()).add(a["qualname"])
    definers: dict[str, set[str]] = {}
    for path, names in functions.items():
        if not is_header(path):
            for name in names:
                definers.setdefault(name, set()).add(path)
    out = {}
    for header, declared in sorted(functions.items()):
        if not is_header(header):
            continue
        sources = set.intersection(*(definers.get(name, set()) for name in declared))
        if sources:
            stem = _stem(header)
            out[header] = min(sources, key=lambda s: (_stem(s) != stem, s))
    return out


def _stem(path: str) -> str:
    return posixpath.splitext(posixpath.basename(path))[0]
