"""Word-level helpers shared by summaries, keywords and (later) the sparse index."""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*|[0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# (an abbreviation's full stop ends no sentence: "Formats prices, e.g. 1999 as $19.99")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)(?<!\bvs\.)(?<!\bcf\.)\s+(?=[A-Z(`'\"])")

STOPWORDS = frozenset("""
a an and are as at be been but by can could do does for from had has have how i if in into is it its
may more most must no not of on or our should so such than that the their then there these this those
to was we were what when where which while who will with would you your all any each other some use
used using via self cls none true false return returns def class function method module file object
value values get set new init main args kwargs param params str int bool list dict type types
""".split())


# a word of any script; on ASCII text exactly _WORD. Han and kana are written without spaces: their
# runs are cut into overlapping pairs of characters, the usual unit for searching such text.
_ANY_WORD = re.compile(r"[^\W\d_][^\W_]*|\d+")
HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
# characters that show nothing and may sit inside a word: a soft hyphen, zero-width (non-)joiners and
# spaces, direction marks and isolates, a byte-order mark
_INVISIBLE = dict.fromkeys([0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x202A, 0x202B, 0x202C,
                            0x202D, 0x202E, 0x2060, 0x2066, 0x2067, 0x2068, 0x2069, 0xFEFF])


def normalise(text: str) -> str:
    """Non-ASCII text as one form of it: invisible characters out, then NFC (a decomposed `Ü`, as
    macOS file names and PDFs give it, is one letter again). ASCII text is returned as it is."""
    return text if text.isascii() else unicodedata.normalize("NFC", text.translate(_INVISIBLE))


def split_identifier(name: str) -> list[str]:
    """`parseHTTPResponse_v2` -> ["parse", "http", "response", "v", "2"] (lower-cased pieces).

    Other scripts are words too: accents are folded (`Überweisung` -> "uberweisung", so that it
    meets a question typed without them), Cyrillic or Greek words are kept whole, and Chinese or
    Japanese runs give their character pairs (`购物车` -> "购物", "物车"). ASCII text is split as
    it always was."""
    if not name.isascii():
        return _split_any_script(name)
    return list(_split_word_cached(name)) if len(name) < 64 else [
        piece for chunk in _WORD.findall(name) for piece in _split_word_cached(chunk)]


def fold_accents(text: str) -> str:
    """`Überweisung` -> `Uberweisung`, `ﬁle` -> `file`: compatibility forms, and the accents of Latin
    letters. Other scripts keep their marks: `й` is a letter of its own, not an `и` with a breve."""
    if text.isascii():
        return text
    out: list[str] = []
    for c in unicodedata.normalize("NFKD", text):
        if unicodedata.combining(c) and out and out[-1].isascii():
            continue
        out.append(c)
    return unicodedata.normalize("NFC", "".join(out))


def _split_any_script(text: str) -> list[str]:
    pieces: list[str] = []
    for chunk in any_script_words(fold_accents(normalise(text)), _ANY_WORD, _MARKED_WORD):
        if chunk.isascii():
            pieces.extend(_split_word_cached(chunk))
            continue
        at = 0
        for run in HAN_KANA.finditer(chunk):
            pieces.extend(_split_case(chunk[at:run.start()]))
            han = run.group(0)
            pieces.extend([han] if len(han) == 1 else [han[i:i + 2] for i in range(len(han) - 1)])
            at = run.end()
        pieces.extend(_split_case(chunk[at:]))
    return pieces


_MARKED_WORD = r"\p{L}[\p{L}\p{M}\p{N}]*|\p{Nd}+"  # _ANY_WORD where letters carry marks


def any_script_words(text: str, plain: re.Pattern, marked: str) -> list[str]:
    """`plain`'s matches in normalised non-ASCII text; `marked` (a pattern for the `regex` module,
    which knows Unicode's mark category) where letters carry combining marks (Devanagari, Thai,
    Arabic vowel signs): `re` would cut a word at each mark. Latin, Cyrillic, Greek and Han text in
    NFC carries none and keeps the faster `re`."""
    marks = _regex(r"\p{M}")
    return _regex(marked).findall(text) if marks.search(text) else plain.findall(text)


@lru_cache(maxsize=8)
def _regex(pattern: str):
    import regex  # only for non-ASCII text: no import cost otherwise

    return regex.compile(pattern)


def _split_case(word: str) -> list[str]:
    """camelCase pieces of a word in any cased script (`обработкаПлатежа` -> обработка, платежа)."""
    if word.isascii():
        return list(_split_word_cached(word))
    cuts = [0] + [i for i in range(1, len(word)) if word[i].isupper() and word[i - 1].islower()] + [len(word)]
    return [word[a:b].lower() for a, b in zip(cuts, cuts[1:]) if a < b]


@lru_cache(maxsize=65536)
def _split_word_cached(text: str) -> tuple[str, ...]:
    # identifiers repeat a lot across a repository: caching the split is most of the keyword cost
    return tuple(piece.lower() for chunk in _WORD.findall(text) for piece in _CAMEL.findall(chunk))


def content_words(text: str) -> list[str]:
    """Lower-cased words of prose and identifiers, split, without stopwords and 1-2 letter pieces."""
    return [w for w in split_identifier(text) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]


def first_sentence(text: str, max_words: int = 25) -> str:
    """The first sentence of a docstring or comment, cut to `max_words` words.

    >>> first_sentence("Converts a date to ISO 8601 (e.g. 2024-01-31). Leaves the time alone.")
    'Converts a date to ISO 8601 (e.g. 2024-01-31).'
    >>> first_sentence("Shows the total, i.e. Cart.total(), as text. Cents are rounded.")
    'Shows the total, i.e. Cart.total(), as text.'
    """
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


def counted(n: int, one: str, many: str = "") -> str:
    """`1 file`, `3 files`: the number with its noun (`many`, else `one` + s).

    >>> counted(1, "binary file"), counted(2, "subdirectory", "subdirectories")
    ('1 binary file', '2 subdirectories')
    """
    return f"{n} {one if n == 1 else many or one + 's'}"


def word_count(text: str) -> int:
    return len(text.split())
