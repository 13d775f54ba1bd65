"""Identifier-aware tokens for the sparse index and for queries.

`parseHTTPResponse` gives its pieces (parse, http, response) and, because a whole identifier is a
strong signal when a query names it, the whole identifier too (parsehttpresponse). Pieces are
stemmed (Snowball English, Russian for Cyrillic words) so that "fails" meets "fail"; whole
identifiers are not. Words of other scripts are tokens as `graph.text.split_identifier` cuts them:
accents folded, Chinese and Japanese as character pairs.
"""
from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from graph.text import HAN_KANA, STOPWORDS, any_script_words, fold_accents, normalise, split_identifier

_ASCII_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_IDENTIFIER = re.compile(r"[^\W\d]\w*")  # the same in any script
_MARKED_IDENTIFIER = r"[\p{L}_][\p{L}\p{M}\p{N}_]*"  # ... whose letters may carry marks
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_EXTENSIONS = {"py", "pyi", "js", "jsx", "ts", "tsx", "java", "go", "rs", "c", "h", "cc", "cpp", "hpp", "md"}


def identifiers(text: str) -> list[str]:
    """The names and words of `text`, in order: for ASCII text [A-Za-z_][A-Za-z0-9_]* (every ASCII
    corpus is tokenised as it always was); others normalised first (graph.text.normalise)."""
    if text.isascii():
        return _ASCII_IDENTIFIER.findall(text)
    return any_script_words(normalise(text), _IDENTIFIER, _MARKED_IDENTIFIER)


@lru_cache(maxsize=2)
def _stemmer(language: str = "english"):
    import Stemmer

    return Stemmer.Stemmer(language)


def _stem(piece: str) -> str:
    if piece.isascii():
        return _stemmer().stemWord(piece)
    return _stemmer("russian").stemWord(piece) if _CYRILLIC.search(piece) else piece


@lru_cache(maxsize=200_000)
def _identifier_tokens(identifier: str) -> tuple[str, ...]:
    pieces = [p for p in split_identifier(identifier) if len(p) > 1 and not p.isdigit()]
    kept = [p for p in pieces if p not in STOPWORDS and p not in _EXTENSIONS]
    out = [_stem(p) for p in kept]
    # a Chinese or Japanese run is a phrase, not a name: its pairs are its tokens, and it has no whole
    whole = "" if HAN_KANA.search(identifier) else fold_accents(identifier).lower()
    if len(pieces) > 1 and whole:
        out.append(whole.strip("_"))
    return tuple(out)


def tokenize(text: str) -> list[str]:
    """Tokens in text order (queries: order and repeats matter to the caller)."""
    out: list[str] = []
    for identifier in identifiers(text):
        out.extend(_identifier_tokens(identifier))
    return out


def document_terms(text: str) -> Counter[str]:
    """How often each token of `tokenize` occurs in the text: all that BM25 reads of a document.
    Splitting each distinct identifier once is several times faster on source files."""
    terms: Counter[str] = Counter()
    for identifier, count in Counter(identifiers(text)).items():
        for token in _identifier_tokens(identifier):
            terms[token] += count
    return terms
