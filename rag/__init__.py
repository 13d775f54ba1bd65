"""rag: which module of this repository handles X? (local, offline).

    from rag import Engine
    Engine.open("path/to/repo").ask("which module handles X?", k=5)
"""


def __getattr__(name):
    # imported lazily so that `rag --help` does not load the retrieval stack
    if name == "Engine":
        from rag.engine import Engine

        return Engine
    raise AttributeError(name)


__all__ = ["Engine"]
