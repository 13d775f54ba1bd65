"""Word-level helpers shared by summaries, keywords and (later) the sparse index."""
from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(`'\"])")

STOPWORDS = frozenset("""
a an and are as at be been but by can could do does for from had has have how i if in into is it its
may more most must no not of on or our should so such than that the their then there these this those
to was we were what when where which while who will with would you your all any each other some use
used using via self cls none true false return returns def class function method module file object
value values get set new init main args kwargs param params str int bool list dict type types
""".split())


def split_identifier(name: str) -> list[str]:
    """`parseHTTPResponse_v2` -> ["parse", "http", "response", "v", "2"] (lower-cased pieces)."""
    return list(_split_word_cached(name)) if len(name) < 64 else [
        piece for chunk in _WORD.findall(name) for piece in _split_word_cached(chunk)]


@lru_cache(maxsize=65536)
def _split_word_cached(text: str) -> tuple[str, ...]:
    # identifiers repeat a lot across a repository: caching the split is most of the keyword cost
    return tuple(piece.lower() for chunk in _WORD.findall(text) for piece in _CAMEL.findall(chunk))


def content_words(text: str) -> list[str]:
    """Lower-cased words of prose and identifiers, split, without stopwords and 1-2 letter pieces."""
    return [w for w in split_identifier(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]


def first_sentence(text: str, max_words: int = 25) -> str:
    """The first sentence of a docstring or comment, cut to `max_words` words."""
    text = text.strip()
    if not text:
        return ""
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0]
    return clip_words(sentence, max_words)


def clip_words(text: str, max_words: int) -> str:
    words = text.split()
    if len(words) <= max_words:
        return text.strip()
    return " ".join(words[:max_words]).rstrip(",;:") + " …"


def listing(items: list[str], limit: int) -> str:
    """`a, b, c and 4 more`: at most `limit` items, then how many were left out."""
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"


def word_count(text: str) -> int:
    return len(text.split())
