"""Read a grammar or an interface definition by its lines into a FileSymbols record.

No grammar wheel on PyPI parses protobuf, Yacc/Bison, Lex/Flex or ANTLR (graph/languages.py:
TEXT_FORMATS), and a question needs little of them: the names they define (a message, an enum, a service
and its rpcs; a grammar's rules), the comments above those, the file's own header comment, and
protobuf's and ANTLR's imports. Their lines say that plainly enough to be read with patterns, once the
comments and strings are blanked out so that nothing inside them reads as a definition.

>>> from graph.languages import BY_NAME
>>> fs = parse_text("shop/v1/cart.proto", b'''syntax = "proto3";
... // Carts and what is in them.
...
... // The cart service.
... service Carts {
...   // Adds a product.
...   rpc Add(AddRequest) returns (Cart);
... }
... ''', BY_NAME["protobuf"], "0")
>>> fs.doc
'Carts and what is in them.'
>>> [(d.qualname, d.subkind, d.doc) for d in fs.definitions]
[('Carts', 'service', 'The cart service.'), ('Carts.Add', 'method', 'Adds a product.')]
"""
from __future__ import annotations

import re
from bisect import bisect_left

from graph.languages import TextFormat
from graph.paired import blanked, pairs
from graph.parse import clean_comment, comment_doc, line_count, namesake_doc
from graph.summary import keyword_weights
from graph.symbols import CLASS, FUNCTION, Definition, FileSymbols, Import

_COMMENT_OPENER = re.compile(r"(?P<block>/\*)|(?P<line>//)")
_COMMENT_CLOSER = {"block": re.compile(r"\*/"), "line": re.compile(r"$", re.M)}
_STRING = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'')
_PROTO_TOKEN = re.compile(r"\b(message|enum|service)\s+(\w+)|\brpc\s+(\w+)|[{}]")
_PROTO_IMPORT = re.compile(r'^[ \t]*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.M)
_PROTO_PREAMBLE = re.compile(r"^\s*(?:syntax|edition|package|import|option)\b")
_YACC_RULE = re.compile(r"^([A-Za-z_][\w.]*)\s*:")
_ANTLR_GRAMMAR = re.compile(r"^[ \t]*(?:lexer\s+|parser\s+)?grammar\s+(\w+)\s*;", re.M)
_ANTLR_RULE = re.compile(r"^(?:fragment\s+)?([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)?(?:returns\s*\[[^\]]*\]\s*)?"
                         r"(?:locals\s*\[[^\]]*\]\s*)?(:|$)")
_ANTLR_STATEMENTS = {"grammar", "lexer", "parser", "options", "import", "tokens", "channels", "mode"}
_ANTLR_IMPORT = re.compile(r"^[ \t]*import\s+([^;]+);", re.M)
_ANTLR_VOCAB = re.compile(r"\btokenVocab\s*=\s*(\w+)")


def parse_text(path: str, source: bytes, fmt: TextFormat, sha256: str) -> FileSymbols:
    text = source.decode("utf-8", "replace")
    found = list(pairs(text, _COMMENT_OPENER, _COMMENT_CLOSER))
    code = _blank(text, found)  # the same lines, comments and strings replaced by spaces
    line_of = _line_finder(text)  # (text and code alike)
    comments = [(line_of(m.start()), line_of(c.end()), text[m.start():c.end()]) for m, c in found
                if not text[text.rfind("\n", 0, m.start()) + 1:m.start()].strip()]  # alone on their line
    readers = {"protobuf": _proto_definitions, "yacc": _yacc_rules, "antlr": _antlr_rules}
    starts = readers[fmt.name](code, line_of) if fmt.name in readers else []
    docs = _docs_above(comments, {start for _, _, _, start, _ in starts})
    definitions = [Definition(name=name, qualname=f"{parent}.{name}" if parent else name, kind=kind, subkind=subkind,
                              start_line=start + 1, end_line=end + 1, doc=docs.get(start, ""), parent=parent)
                   for name, (kind, subkind), parent, start, end in starts]
    fs = FileSymbols(path=path, language=fmt.name, sha256=sha256,
                     lines=line_count(source),
                     doc=_file_doc(comments, {d.start_line - 1 for d in definitions}, _first_code_line(code), path,
                                   definitions),
                     definitions=definitions, imports=_imports(fmt.name, text, code, line_of))
    fs.keyword_weights = keyword_weights(fs)
    return fs


def _line_finder(text: str):
    """pos -> its 0-based line, by bisection over the newlines' offsets (counting them from the start for
    every comment and token was quadratic in a file's length)."""
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    return lambda pos: bisect_left(newlines, pos)


def _blank(text: str, comments: list[tuple[re.Match, re.Match]]) -> str:
    """The text with its comments (paired openers and closers) and then its strings turned to spaces."""
    spaces = lambda m: re.sub(r"[^\n]", " ", m.group(0))  # noqa: E731
    return _STRING.sub(spaces, blanked(text, [(m.start(), c.end()) for m, c in comments]))


def _proto_definitions(code: str, line_of) -> list[tuple]:
    """(name, (kind, subkind), parent, first line, last line) of messages, enums, services (nested ones
    under their parent) and each service's rpcs."""
    out, stack, pending, open_at = [], [], None, {}
    for m in _PROTO_TOKEN.finditer(code):
        line = line_of(m.start())
        parent = next((q for q in reversed(stack) if q), None)
        if m.group(2):
            pending = (m.group(2), (CLASS, m.group(1)), parent, line)
        elif m.group(3):
            out.append([m.group(3), (FUNCTION, "method"), parent, line, line])
        elif m.group(0) == "{":
            if pending:
                out.append(list(pending) + [line])
                qualname = f"{parent}.{pending[0]}" if parent else pending[0]
                open_at[qualname] = len(out) - 1
                stack.append(qualname)
            else:
                stack.append(None)
            pending = None
        elif stack:
            closed = stack.pop()
            if closed:
                out[open_at[closed]][4] = line
    return [tuple(d) for d in out]


def _yacc_rules(code: str, line_of) -> list[tuple]:
    """The rules between the first and second `%%`, each to the line before the next."""
    lines = code.split("\n")
    marks = [i for i, line in enumerate(lines) if line.strip() == "%%"]
    if not marks:
        return []
    end = marks[1] if len(marks) > 1 else len(lines)
    found = [(i, m.group(1)) for i, m in _outside_actions(lines, marks[0] + 1, end, _YACC_RULE) if m]
    return _spans(found, end - 1, None)


def _antlr_rules(code: str, line_of) -> list[tuple]:
    """The grammar (`grammar Shop;`) and its rules, each to the line before the next."""
    grammar = _ANTLR_GRAMMAR.search(code)
    name = grammar.group(1) if grammar else None
    lines = code.split("\n")
    found = []
    for i, m in _outside_actions(lines, 0, len(lines), _ANTLR_RULE):
        if not m or m.group(1) in _ANTLR_STATEMENTS:
            continue
        if m.group(2) == "" and not next((x.strip() for x in lines[i + 1:] if x.strip()), "").startswith(":"):
            continue  # a name alone on its line is a rule only when its `:` follows
        found.append((i, m.group(1)))
    out = [(name, (CLASS, "grammar"), None, line_of(grammar.start()), len(lines) - 1)] if grammar else []
    return out + _spans(found, len(lines) - 1, name)


def _outside_actions(lines: list[str], start: int, end: int, pattern: re.Pattern):
    """(line number, pattern's match at the line's start) for each line that starts outside braces (a
    rule's action code), None where it starts inside them."""
    depth = 0
    for i in range(start, end):
        yield i, pattern.match(lines[i]) if depth <= 0 else None
        depth += lines[i].count("{") - lines[i].count("}")


def _spans(found: list[tuple[int, str]], last: int, parent: str | None) -> list[tuple]:
    ends = [i - 1 for i, _ in found[1:]] + [last]
    return [(name, (FUNCTION, "rule"), parent, i, end) for (i, name), end in zip(found, ends)]


def _docs_above(comments, starts: set[int]) -> dict[int, str]:
    """A definition's doc: the comments right above its first line, read as parse.py reads comments."""
    docs, by_end = {}, {}
    for first, last, text in comments:
        by_end.setdefault(last, []).append((first, text))
    for start in starts:
        parts, row = [], start - 1
        while row in by_end:
            first, text = by_end[row][-1]
            parts.insert(0, text)
            row = first - 1
        if parts:
            docs[start] = comment_doc(clean_comment("\n".join(parts)))
    return docs


def _first_code_line(code: str) -> int:
    """The first line of code that is not a protobuf file's preamble (`syntax`, `package`, `import`,
    `option`): a comment below it documents the code (a Yacc prologue's C, a Lex rule), not the file."""
    for i, line in enumerate(code.split("\n")):
        if line.strip() and not _PROTO_PREAMBLE.match(line):
            return i
    return 1 << 30


def _file_doc(comments, definition_lines: set[int], first_code: int, path: str, definitions) -> str:
    """The first comment above the code that reads as prose and documents no definition (is not right
    above one); else the doc of the definition the file is named after (`LaTeX.g4`: `grammar LaTeX`)."""
    groups = []
    for first, last, text in comments:
        if groups and first <= groups[-1][1] + 1:
            groups[-1] = (groups[-1][0], last, groups[-1][2] + "\n" + text)
        else:
            groups.append((first, last, text))
    for first, last, text in groups:
        if last + 1 in definition_lines:
            break
        if first > min(definition_lines | {first_code}):
            break
        doc = comment_doc(clean_comment(text))
        if doc:
            return doc
    return namesake_doc(path, definitions)


def _imports(name: str, text: str, code: str, line_of) -> list[Import]:
    if name == "protobuf":  # (the path is a string: read from the text, at lines the code shows an import on)
        return [Import(m.group(1), (), line_of(m.start()) + 1) for m in _PROTO_IMPORT.finditer(text)
                if code[m.start():m.end()].lstrip().startswith("import")]
    if name == "antlr":
        found = [(m.start(), part.split("=")[-1].strip()) for m in _ANTLR_IMPORT.finditer(code) for part in m.group(1).split(",")]
        found += [(m.start(), m.group(1)) for m in _ANTLR_VOCAB.finditer(code)]
        return [Import(module, (), line_of(at) + 1) for at, module in sorted(found) if module]
    return []
