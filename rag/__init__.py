"""rag: which module of this repository handles X? (local, offline).

    from rag import Engine
    Engine.open("path/to/repo").ask("which module handles X?", k=5)
"""
import os

# Nothing leaves the machine: a name that is not a local directory must never become a download
# (peft, transformers and sentence-transformers look an unknown name up on the Hugging Face hub)
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def __getattr__(name):
    # imported lazily so that `rag --help` does not load the retrieval stack
    if name == "Engine":
        from rag.engine import Engine

        return Engine
    raise AttributeError(name)


__all__ = ["Engine"]
