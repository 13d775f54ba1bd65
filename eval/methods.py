"""The registry of evaluation methods: a name and how it ranks modules. Adding a method is one entry
(the LLM stages register theirs the same way)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from graph.errors import RagError


class MethodError(RagError):
    """An unknown or badly registered evaluation method."""


@dataclass(frozen=True)
class Ranking:
    modules: list[str]  # module IDs, best first
    confidence: float | None  # of the answer, as `rag ask` gives it; None when there is no answer (abstained)
    share: float | None = None  # retrieval's softmax share behind it (rag/retrieval/confidence.py)


@dataclass(frozen=True)
class Method:
    name: str
    description: str
    # (engine, query, k, level, as_of) -> the ranking; as_of: when the query was asked (or None)
    rank: Callable[[object, str, int, str, object], Ranking]
    levels: tuple[str, ...] = ("file", "dir")  # what it ranks


def ranking(result) -> Ranking:
    """The ranking of a `rag ask` result (rag.results.AskResult)."""
    answer = result.answer
    return Ranking([c.module for c in result.candidates], answer.confidence if answer else None,
                   answer.share if answer else None)


_REGISTRY: dict[str, Method] = {}


def register_method(method: Method) -> Method:
    if not method.name or "," in method.name or method.name != method.name.strip():
        raise MethodError(f"a method needs a plain name, not {method.name!r}")
    if method.name in _REGISTRY:
        raise MethodError(f"method {method.name!r} is registered already")
    _REGISTRY[method.name] = method
    return method


def get_method(name: str) -> Method:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise MethodError(f"unknown method {name!r}: one of {', '.join(sorted(_REGISTRY))}") from None


def method_names() -> list[str]:
    return sorted(_REGISTRY)


def _retrieval(name: str, description: str) -> Method:
    def rank(engine, query: str, k: int, level: str, as_of=None) -> Ranking:
        return ranking(engine.ask(query, k=k, level=level, method=name, as_of=as_of))

    return register_method(Method(name, description, rank))


_retrieval("bm25", "BM25 over whole files (identifier-aware tokens)")
_retrieval("dense", "MiniLM embeddings of module summaries")
_retrieval("hybrid", "BM25 over files and definitions + summary embeddings + size prior + similar past changes, "
                     "fused (rag ask)")


def _llm(adapter: str):
    def rank(engine, query: str, k: int, level: str, as_of=None) -> Ranking:
        # an abstention still returns the candidates in the model's order: Acc@k counts them as ranked
        return ranking(engine.ask(query, k=k, level=level, llm=True, adapter=adapter, as_of=as_of))

    return rank


register_method(Method("llm", "hybrid retrieval, then the local LLM re-ranks the candidates "
                              "(with the index's fine-tuned adapter when it has one, as rag ask --llm)", _llm("auto"),
                       levels=("file",)))  # as rag ask --llm (rag/engine.py: LLM_FILES_ONLY)
register_method(Method("llm-base", "the same with the base model, never an adapter", _llm("none"), levels=("file",)))
