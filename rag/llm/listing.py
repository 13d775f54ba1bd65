"""What the prompt shows of each candidate: its summary, and when the prompt's settings ask for them,
retrieval's rank and the head of the definition in it that best matches the question.

One function for inference (`Engine`) and training (`finetune/examples.py`), so the model is asked
about the same kind of listing it learned from. The definition's head is read from the work tree:
the source as it is now, as the index was built from it.
"""
from __future__ import annotations

import os
import re

from graph.languages import language_for
from graph.walk import decoded
from rag.llm.prompt import Listed

HEADER_LINES = 6  # a signature spread over more lines is cut there
_DOC_QUOTES = re.compile(r'^[rRbBuU]?("""|\'\'\')')
_COMMENT = re.compile(r"^\s*(#|//+|/?\*+/?)\s?")


def definition_head(source: str, line: int) -> str:
    '''A definition's signature (the lines from `line` to the end of its header, decorators skipped,
    whitespace collapsed) and the first line of its documentation: the docstring after it (Python) or
    the comment block just above it (most other languages), joined by " — ".

    >>> definition_head('@cache\\ndef track(seq,\\n          total=None):\\n    """Track progress.\\n\\n    More."""', 1)
    'def track(seq, total=None) — Track progress.'
    >>> definition_head('/** Parse a price. */\\nint parse_price(const char *s) {\\n  return 0;\\n}', 2)
    'int parse_price(const char *s) — Parse a price.'
    '''
    lines = source.splitlines()
    start = max(line - 1, 0)
    while start < len(lines) and lines[start].lstrip().startswith("@"):
        start += 1
    header, end = [], start
    for end in range(start, min(start + HEADER_LINES, len(lines))):
        text = lines[end].strip()
        header.append(text)
        if text.endswith((":", "{", ";", "=>")) or (text.endswith(")") and end + 1 < len(lines)
                                                   and lines[end + 1].strip() in ("{", "")):
            break
    signature = re.sub(r"\s*[:{]$", "", " ".join(header)).strip()
    signature = re.sub(r"\(\s+", "(", re.sub(r"\s+", " ", signature))
    doc = _docstring_line(lines, end + 1) or _comment_above(lines, start)
    return f"{signature} — {doc}" if doc and signature else signature or doc


def _docstring_line(lines: list[str], after: int) -> str:
    for text in lines[after:after + 2]:
        stripped = text.strip()
        m = _DOC_QUOTES.match(stripped)
        if m:
            first = stripped[m.end():].split(m.group(1))[0].strip()
            if first:
                return first
            follow = lines[after + 1].strip() if after + 1 < len(lines) else ""
            return follow.split(m.group(1))[0].strip()
        if stripped:
            return ""
    return ""


def _comment_above(lines: list[str], start: int) -> str:
    block = []
    i = start - 1
    while i >= 0 and _COMMENT.match(lines[i]) and lines[i].strip():
        block.append(lines[i])
        i -= 1
    for text in reversed(block):  # its first line with words
        words = _COMMENT.sub("", text).strip().strip("*/").strip()
        if words:
            return words
    return ""


def listing(retriever, repo: str, query, modules: list[str], ranks: dict[str, int] | None = None,
            definitions: bool = False) -> list[Listed]:
    """The candidates `modules` (IDs, in prompt order) as the prompt lists them; `ranks` (retrieval's rank
    of each) shown when given, the best-matching definition's head when `definitions`."""
    heads = {}
    if definitions:
        for module, (_, line) in retriever.best_definitions(query, modules).items():
            try:
                with open(os.path.join(repo, module), "rb") as fh:
                    data = fh.read()
                spec = language_for(module)
                text = decoded(data, spec.name if spec else None)  # as the index read it
                heads[module] = definition_head(data.decode("utf-8", "replace") if text is None else text, line)
            except OSError:  # deleted since the index was built: the summary still speaks for it
                pass
    return [Listed(m, retriever.modules[m].summary, (ranks or {}).get(m), heads.get(m, "")) for m in modules]
