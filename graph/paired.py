"""Openers paired with their closers in one pass: comments, tags and expressions in text read by patterns.

A pattern with a lazy `.*?` between an opener and its closer (`/\*.*?\*/`, `\{#.*?#\}`) is quadratic
where openers are never closed: from each one the engine scans to the end of the text again. A 90 kB
template of unclosed `{#` took 41 s to read that way, a `.proto` of 8,000 unclosed `/*` 5 s. Here each
kind of opener is followed to its closer at most once past the last closed one.

>>> import re
>>> opener = re.compile(r"(?P<block>/\\*)|(?P<line>//)")
>>> closers = {"block": re.compile(r"\\*/"), "line": re.compile(r"$", re.M)}
>>> text = "a /* b */ c // d\\ne /* f"
>>> [text[m.start():c.end()] for m, c in pairs(text, opener, closers)]
['/* b */', '// d']
>>> blanked(text, [(2, 9)])
'a         c // d\\ne /* f'
"""
from __future__ import annotations

import re
from collections.abc import Iterator


def pairs(text: str, opener: re.Pattern, closers: dict[str, re.Pattern]) -> Iterator[tuple[re.Match, re.Match]]:
    """(opener, closer) matches from left to right, each opener (its kind the name of the group of
    `opener` that matched) with the first closer of its kind after it, never overlapping. An opener that
    no closer follows ends the search for its kind: none later can be closed either."""
    at, exhausted = 0, set()
    while (m := opener.search(text, at)) is not None:
        kind = m.lastgroup
        c = None if kind in exhausted else closers[kind].search(text, m.end())
        if c is None:
            exhausted.add(kind)
            at = max(m.end(), m.start() + 1)
            continue
        yield m, c
        at = max(c.end(), m.start() + 1)


def blanked(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with these ascending, non-overlapping (start, end) spans turned to spaces, line breaks kept."""
    parts, at = [], 0
    for start, end in spans:
        parts += [text[at:start], re.sub(r"[^\n]", " ", text[start:end])]
        at = end
    return "".join(parts) + text[at:]
