"""The Python a bug report shows: the lines a developer would paste into an interpreter to see the bug.

Reports show code in fenced blocks (also inside list items, also left unclosed), in blocks indented by
four spaces, and as interpreter sessions (`>>> ` doctest prompts or IPython's `In [3]:`), where only the
prompted lines are code and the rest is output. A fence tagged with another language (```js, ```yaml,
```console) is not Python; a traceback is output, not code, even where its frames quote source lines;
IPython magics and shell lines (`%timeit`, `!pip install`, `$ python x.py`) are not Python either. This
module only finds candidate source text; whether a piece parses, and whether it runs, is decided where
it runs (`trace_example.py`), statement by statement.

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

import ast
import re
import textwrap

# an opening fence at any indent (a list item's, a nested list's), its info string, and what follows up to
# a closing fence of the same kind or the end of the report (a fence left open runs to the end)
_FENCED = re.compile(r"^([ \t]*)(```+|~~~+)[ \t]*([^\n`]*)\n(.*?)(?:^[ \t]*\2[ \t]*$|\Z)", re.S | re.M)
PYTHON_TAGS = frozenset({"", "python", "py", "python3", "py3", "pycon", "ipython", "ipython3", "pyi"})
# a prompt and what follows it: `>>> `, its continuation `... `, IPython's `In [3]: ` and `   ...: `
_PROMPT = re.compile(r"^[ \t]*(?:>>>|\.\.\.|In \[\d*\]:|\.\.\.:)(?: |$)(.*)$")
_SESSION_START = re.compile(r"^[ \t]*(?:>>>|In \[\d*\]:)(?: |$)", re.M)
_CONTINUATION = re.compile(r"^[ \t]*(?:\.\.\.|\.\.\.:)(?: |$)")
# IPython magics, shell escapes, shell prompts: at the start of a line (indented, `!=` and `%` continue an
# expression that black split)
_NOT_PYTHON_LINE = re.compile(r"^(?:[%!]|\$ )")
_TRACEBACK_START = re.compile(r"^[ \t]*(?:Traceback \(most recent call last\):|\w+\s+Traceback \(most recent call last\))")
_IPYTHON_RULE = re.compile(r"^[ \t]*-{20,}\s*$")  # IPython's dashes, a traceback's only if one follows
_CHAINED = re.compile(r"^[ \t]*(?:During handling of the above exception, another exception occurred:|"
                      r"The above exception was the direct cause of the following exception:)\s*$")


def python_examples(text: str) -> list[str]:
    """The report's pieces of code, in the order they appear: each fenced block tagged as Python or not at
    all, each block indented by four spaces or a tab, and the interpreter prompts outside both; a piece
    that is an interpreter session keeps only its prompted lines (the rest is the output the reporter
    saw); tracebacks, magics and shell lines are left out of every piece."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # reports filed from a browser come with CRLF
    pieces: list[tuple[int, str]] = []
    for m in _FENCED.finditer(text):
        tag = m.group(3).strip().lower().split()[0] if m.group(3).strip() else ""
        if tag.lstrip("{.").rstrip("}") in PYTHON_TAGS:
            # a fence inside a list item keeps the item's indent on every line of its code
            pieces.append((m.start(), textwrap.dedent(m.group(4)) if m.group(1) else m.group(4)))
    rest = _FENCED.sub(lambda m: "\n" * m.group(0).count("\n"), text)  # same line numbers, no fenced code
    indented, loose, offset, loose_at, in_session, after_blank = [], [], 0, 0, False, True
    for line in rest.splitlines(keepends=True):
        # an indented block follows a blank line (CommonMark): right under a line of text it is that
        # paragraph's continuation, such as the body of a `def` pasted without a fence
        if (line.startswith(("    ", "\t")) and line.strip() and (indented or after_blank)
                and not (in_session and _CONTINUATION.match(line))):
            indented.append(line[4:] if line.startswith("    ") else line[1:])
            in_session = False
        else:
            if indented and not line.strip():
                indented.append("\n")  # a blank line inside an indented block belongs to it
                offset += len(line)
                continue
            if indented:
                pieces.append((offset, "".join(indented)))
                indented = []
            if _SESSION_START.match(line) or (in_session and _CONTINUATION.match(line)):
                loose_at = loose_at if loose else offset  # where the first one stands
                loose.append(line)
                in_session = True
            else:
                in_session = False
        offset += len(line)
        after_blank = not line.strip()
    if indented:
        pieces.append((offset, "".join(indented)))
    if loose:
        pieces.append((loose_at, "".join(loose)))
    examples = []
    for _, piece in sorted(pieces, key=lambda p: p[0]):
        code = _prompted_lines(piece) if _SESSION_START.search(piece) else piece  # the rest of a session is output
        code = _python_lines(code).rstrip()
        if code:
            examples.append(code + "\n")
    return examples


def _prompted_lines(session: str) -> str:
    """The code of an interpreter session: the lines before its first prompt (a script the reporter then
    went on with interactively), and the prompted lines."""
    lines = session.splitlines()
    first = next(i for i, line in enumerate(lines) if _SESSION_START.match(line))
    return "".join(line + "\n" for line in lines[:first]) + "".join(
        m.group(1) + "\n" for m in map(_PROMPT.match, lines[first:]) if m)


def _python_lines(code: str) -> str:
    """`code` without its tracebacks (from `Traceback (most recent call last):`, or IPython's header, up to
    the exception's line; chained ones too) and without magics and shell lines, unless it parses as it is
    (a traceback quoted in a string, a table of dashes, is the example's own).

    >>> print(_python_lines('''import shop
    ... Traceback (most recent call last):
    ...   File "app.py", line 1, in <module>
    ...     shop.clear()
    ... PermissionError: denied
    ... !pip install shop
    ... shop.ok()'''))
    import shop
    shop.ok()
    """
    try:
        ast.parse(code)
        return code
    except (SyntaxError, ValueError):
        pass
    lines = code.splitlines(keepends=True)
    kept, in_traceback = [], False
    for i, line in enumerate(lines):
        starts = _TRACEBACK_START.match(line) or (
            _IPYTHON_RULE.match(line) and i + 1 < len(lines) and _TRACEBACK_START.match(lines[i + 1]))
        if starts or _CHAINED.match(line):
            in_traceback = True
            continue
        if in_traceback:
            if line.strip() and not line[:1].isspace() and not line.lstrip().startswith(("File ", "----> ", "<", "Cell In[")):
                in_traceback = False  # the exception's own line ends it, and is output too
            continue
        if not _NOT_PYTHON_LINE.match(line):
            kept.append(line)
    return "".join(kept)
