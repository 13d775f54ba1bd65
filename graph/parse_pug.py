"""Read a Pug (formerly Jade) template by its lines into a FileSymbols record.

Pug is Express's default view engine (`express-generator` writes `views/*.pug`), and unlike the tag-based
formats of graph/parse_template.py its structure is indentation: a line is a tag and the text it shows
(`h1 Sign in`, `p= user.email`), a piped line of text (`| Forgot your password?`), a keyword (`extends`,
`include`, `block`, `mixin`, `if`, `each`), code (`- const x = 1`) or a comment (`//- …`, `// …`), and
whatever is indented below a comment, a `script.` or a `style.` belongs to it. What a question needs is
what it needs of any template: the comment that opens the file, else the page's title and first words;
its mixins as definitions; what it extends and includes as imports.

>>> fs = parse_pug("views/account/login.pug", b'''extends ../layout
...
... block content
...   .pb-2.mt-2.mb-4.border-bottom
...     h3 Sign in
...   form(method='POST')
...     input(type='hidden', name='_csrf', value=_csrf)
...     label(for='email') Email
...     button.btn.btn-primary(type='submit')
...       | Login
...   include ../partials/social
... ''', "0")
>>> fs.doc
'Template of the page "Sign in", showing "Email Login".'
>>> [i.module for i in fs.imports]
['../layout', '../partials/social']
"""
from __future__ import annotations

import html
import re

from graph.parse import clean_comment, comment_doc, line_count
from graph.parse_template import LANGUAGE, page_summary
from graph.summary import keyword_weights
from graph.symbols import FUNCTION, Definition, FileSymbols, Import

_INDENT = re.compile(r"[ \t]*")
_IMPORT = re.compile(r"(?:extends|include)(?::[\w-]+)?\s+([^\s(]+)")
_MIXIN = re.compile(r"mixin\s+([\w-]+)")
# a line of these shows nothing of its own (its condition, loop or code is no text of the page)
_KEYWORD = re.compile(r"(?:extends|include|block|append|prepend|mixin|if|else|unless|each|for|while|case|when|"
                      r"default|yield|doctype)\b|[-+=]|!=")
# a tag line: the tag and its classes and id (`button.btn.btn-primary#go`), its attributes in parentheses,
# then `=` (an expression), `.` (a block of raw text: a script's or a style's), `:` (a nested tag) or its text
_TAG = re.compile(r"(?P<tag>[\w-]*(?:[.#][\w-]+)*)(?P<attrs>\((?:[^()]|\([^()]{0,200}\)){0,600}\))?"
                  r"(?:&attributes\([^()]{0,200}\))?(?P<rest>.*)")
# `script.`, `style(type='text/css').`: a tag whose indented block is raw text, not Pug
_RAW_BLOCK = re.compile(r"[\w-]*(?:[.#][\w-]+)*(?:\([^()]{0,600}\))?\.")
_TAG_INTERPOLATION = re.compile(r"#\[([^\[\]]{0,300})\]")
_INTERPOLATION = re.compile(r"[#!]\{([^{}]{0,200})\}")
_NAME = re.compile(r"[A-Za-z_$][\w.$]*")
_WORD = re.compile(r"[^\W\d_]{2,}")
_TITLE_TAGS = ("title", "h1", "h2", "h3")


def parse_pug(path: str, source: bytes, sha256: str) -> FileSymbols:
    lines = source.decode("utf-8", "replace").splitlines()
    comments, statements = _comments_and_statements(lines)
    fs = FileSymbols(path=path, language=LANGUAGE, sha256=sha256, lines=line_count(source),
                     doc=_file_doc(comments, statements), definitions=_definitions(statements, len(lines)),
                     imports=[Import(m.group(1), (), n) for n, _, text in statements if (m := _IMPORT.match(text))])
    fs.keyword_weights = keyword_weights(fs)
    return fs


def _comments_and_statements(lines: list[str]) -> tuple[list[tuple[int, str]], list[tuple[int, int, str]]]:
    """(line, comment text) for each comment (its indented continuation joined), and (line, indent,
    text) for every other line that is not indented below a comment, a `script.` or a `style.`."""
    comments, statements, inside = [], [], None  # inside: the indent of the comment or raw block open
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if not text:
            continue
        indent = _INDENT.match(line).end()
        if inside is not None and indent > inside[0]:
            if inside[1] is not None:
                comments[inside[1]][1].append(text)
            continue
        inside = None
        if text.startswith("//"):
            comments.append((number, [text.removeprefix("//-").removeprefix("//")]))
            inside = (indent, len(comments) - 1)
        else:
            statements.append((number, indent, text))
            if _RAW_BLOCK.fullmatch(text):  # the block below is raw text: a script's, a style's
                inside = (indent, None)
    return [(number, "\n".join(parts)) for number, parts in comments], statements


def _definitions(statements: list[tuple[int, int, str]], last_line: int) -> list[Definition]:
    """Each mixin, to the line before the next statement at its indent or less (one pass: a file of
    thousands of mixins is no slower a line than one of a few)."""
    found, open_ = [], []  # open_: (indent, start line, name) of the mixins not yet ended
    for number, indent, text in statements:
        while open_ and indent <= open_[-1][0]:
            _, start, name = open_.pop()
            found.append((start, number - 1, name))
        if (m := _MIXIN.match(text)) is not None:
            open_.append((indent, number, m.group(1)))
    found += [(start, last_line, name) for _, start, name in open_]
    return [Definition(name=name, qualname=name, kind=FUNCTION, subkind="mixin", start_line=start,
                       end_line=max(end, start)) for start, end, name in sorted(found)]


def _file_doc(comments: list[tuple[int, str]], statements: list[tuple[int, int, str]]) -> str:
    """The comment that opens the template (above anything but `extends`), when it reads as prose; else
    what the page is titled (its `title` or first heading) and the first words it shows."""
    first = next((n for n, _, text in statements if not text.startswith("extends")), None)
    for number, body in comments:
        doc = comment_doc(clean_comment(body)) if first is None or number < first else ""
        if doc:
            return doc
    shown = [tag_words for _, _, text in statements if (tag_words := _shown(text)) is not None]
    title = next((words for tag, words in shown if tag in _TITLE_TAGS and _WORD.search(words)), "")
    words = [w for tag, text in shown if tag != "title" for w in text.split()]
    return page_summary(title, words)


def _shown(text: str) -> tuple[str, str] | None:
    """(tag, the words it shows) of one statement; None for a keyword, code or a raw block's opener.
    `p= user.email` shows "email", `| Hello #{user.name}` "Hello name"."""
    if text.startswith("|"):
        return "", _words(text[1:])
    if _KEYWORD.match(text) or _RAW_BLOCK.fullmatch(text):
        return None
    tag, rest = _tag_and_rest(text)
    while rest.startswith(":"):  # block expansion: `li: a(href='/') Home`
        inner, rest = _tag_and_rest(rest[1:].lstrip())
        tag = inner or tag
    if rest.startswith(("=", "!=")):
        name = _NAME.search(rest.lstrip("!="))
        return tag, (name.group(0).rsplit(".", 1)[-1].replace("_", " ") if name else "")
    return tag, _words(rest)


def _tag_and_rest(text: str) -> tuple[str, str]:
    """`button.btn#go(type='submit') Go`: ("button", " Go")."""
    m = _TAG.match(text)
    return m.group("tag").split(".")[0].split("#")[0].lower(), m.group("rest")


def _words(text: str) -> str:
    # tag interpolation, `#[a(href='/login') Login]`: what the inner tag shows
    text = _TAG_INTERPOLATION.sub(lambda m: " " + ((shown := _shown(m.group(1))) and shown[1] or "") + " ", text)
    text = _INTERPOLATION.sub(lambda m: " " + ((n := _NAME.search(m.group(1))) and n.group(0).rsplit(".", 1)[-1] or "") + " ", text)
    text = re.sub(r"<[^<>]{0,200}>", " ", text)  # inline HTML
    return " ".join(html.unescape(text).replace('"', " ").split())
