"""The Python a bug report shows: the lines a developer would paste into an interpreter to see the bug.

Reports show code in fenced blocks, in blocks indented by four spaces, and as interpreter sessions
(`>>> ` doctest prompts or IPython's `In [3]:`), where only the prompted lines are code and the rest
is output. This module only finds candidate source text; whether a piece parses, and whether it
runs, is decided where it runs (`trace_example.py`), statement by statement.

>>> python_examples('''Wrong result:
... ```
... >>> from shop.cart import total
... >>> total([1, 2])
... 4
... ```''')
['from shop.cart import total\\ntotal([1, 2])\\n']
>>> python_examples("In [3]: apart(f, x)\\nOut[3]: 1/(x + 1)")
['apart(f, x)\\n']
>>> python_examples("No code here, only words.")
[]
"""
from __future__ import annotations

import re

_FENCED = re.compile(r"^ {0,3}(```+|~~~+)[^\n]*\n(.*?)^ {0,3}\1[ \t]*$", re.S | re.M)
# a prompt and what follows it: `>>> `, its continuation `... `, IPython's `In [3]: ` and `   ...: `
_PROMPT = re.compile(r"^[ \t]*(?:>>>|\.\.\.|In \[\d*\]:|\.\.\.:)(?: |$)(.*)$")
_SESSION_START = re.compile(r"^[ \t]*(?:>>>|In \[\d*\]:)(?: |$)", re.M)


def python_examples(text: str) -> list[str]:
    """The report's pieces of code, in the order they appear: each fenced block, each block indented
    by four spaces or a tab, and the interpreter prompts outside both; a piece that is an interpreter
    session keeps only its prompted lines (the rest is the output the reporter saw)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # reports filed from a browser come with CRLF
    pieces: list[tuple[int, str]] = [(m.start(), m.group(2)) for m in _FENCED.finditer(text)]
    rest = _FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # same line numbers, no fenced code
    indented, loose, offset, loose_at = [], [], 0, 0
    for line in rest.splitlines(keepends=True):
        if line.startswith(("    ", "\t")) and line.strip():
            indented.append(line[4:] if line.startswith("    ") else line[1:])
        else:
            if indented and not line.strip():
                indented.append("\n")  # a blank line inside an indented block belongs to it
                offset += len(line)
                continue
            if indented:
                pieces.append((offset, "".join(indented)))
                indented = []
            if _SESSION_START.match(line):
                loose_at = loose_at if loose else offset  # where the first one stands
                loose.append(line)
        offset += len(line)
    if indented:
        pieces.append((offset, "".join(indented)))
    if loose:
        pieces.append((loose_at, "".join(loose)))
    examples = []
    for _, piece in sorted(pieces, key=lambda p: p[0]):
        code = (_prompted_lines(piece) if _SESSION_START.search(piece) else piece).rstrip()
        if code:
            examples.append(code + "\n")
    return examples


def _prompted_lines(session: str) -> str:
    return "".join(m.group(1) + "\n" for m in map(_PROMPT.match, session.splitlines()) if m)
