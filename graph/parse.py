"""Parse one source file with tree-sitter into a FileSymbols record.

The language's query (shipped tags query + ours, see graph/languages.py) uses these captures:
  @definition.<kind> with @name      a class-like or function-like definition
  @reference.call with @name         a call site
  @import.module [@import.name ...]   an import as written
  @inherit.class with @inherit.base  a class and one base it names
  @owner.scope with @owner.name      definitions inside belong to that type (Rust impl, Go receiver)
Everything else the shipped queries capture is ignored.
"""
from __future__ import annotations

import inspect
import posixpath
import re
from bisect import bisect_right
from dataclasses import replace

from graph.languages import BY_NAME, ELIXIR_ATTRIBUTE, PYTHON_DOCSTRING, TEMPLATE, LanguageSpec, TextFormat, compiled
from graph.generated import generated_from, is_generated_stub
from graph.summary import keyword_weights
from graph.symbols import CLASS, FUNCTION, MACRO, Call, Definition, FileSymbols, Import, Inherit
from graph.text import listing

MAX_DOC_CHARS = 600

# node types of definitions -> subkind; capture kinds not listed here and not found below are dropped
_SUBKIND_BY_NODE = {
    "struct_item": "struct", "struct_specifier": "struct", "enum_item": "enum", "enum_specifier": "enum",
    "enum_declaration": "enum", "union_item": "union", "union_specifier": "union", "trait_item": "trait",
    "interface_declaration": "interface", "record_declaration": "record", "type_item": "type",
    "class_specifier": "class", "abstract_class_declaration": "class",
    "struct_declaration": "struct", "trait_declaration": "trait",  # C#'s struct, PHP's trait
    "module": "module", "object_declaration": "object",  # Ruby's module (it holds methods), Kotlin's object
    "object_definition": "object", "trait_definition": "trait",  # Scala's
    "mixin_declaration": "mixin", "extension_declaration": "extension",  # Dart's
    # a function-like macro is called as a function is (C's `list_for_each(pos, head)`, Rust's `json!`);
    # object-like `#define`s are constants, left out as other languages' constants are
    "preproc_function_def": MACRO, "macro_definition": MACRO,
}
_FUNCTION_CAPTURES = {"function", "method"}
# statements a C-like grammar's error recovery makes definitions of (C#'s `#if` before an `else if` gave a
# function `if`, C++'s `serializer.for`): reserved words in these languages, so never a definition's name
# (Ruby's `def self.for`, Swift's `func lock()` and zod's `catch()` are real)
_STATEMENT_WORDS = frozenset({"if", "else", "for", "while", "do", "switch", "case", "return"})
_RESERVED_NAMES = {"c": _STATEMENT_WORDS, "cpp": _STATEMENT_WORDS, "objc": _STATEMENT_WORDS,
                   "java": _STATEMENT_WORDS | {"try", "catch"},
                   "csharp": _STATEMENT_WORDS | {"foreach", "try", "catch", "using", "lock", "fixed"}}
# wrappers whose comments belong to the definition inside them
_WRAPPERS = {"export_statement", "decorated_definition", "template_declaration", "declaration",
             "implementation_definition",  # Objective-C: a method inside `@implementation`
             "expression_statement",  # JS `app.render = function render() {}`
             "function_definition", "field_declaration", "lexical_declaration", "variable_declaration",
             "variable_declarator",
             "type_definition",  # C/C++ `typedef struct X {...} X;`: the comment is before `typedef`
             "type_declaration"}  # Go `type X struct`: the comment is before `type` (grouped: _leading_comment)
# A function value bound to a name (`app.render = function render() {}`, `const f = () => {}`, `{key: function () {}}`)
# is one definition: the binding's span and comment, and the function's own name when it has one
# (`module.exports = function query() {}` defines `query`, not `exports`)
_BINDINGS = {"assignment_expression": "right", "variable_declarator": "value", "pair": "value"}
_FUNCTION_VALUES = {"function_expression", "function", "arrow_function", "generator_function"}
# C/C++ specifiers that only name a type (`struct Item *it`, `enum Size s`, `class Foo;`) are not definitions
_NEEDS_BODY = {"struct_specifier", "union_specifier", "enum_specifier", "class_specifier"}
_SKIPPABLE_BEFORE_DEF = {"attribute_item", "decorator", "annotation", "marker_annotation"}
# Header comments that say nothing about what the file does: licenses, Xcode's template (the file's name,
# its target, "Created by … on 1/2/24."), and the banners of generated
# code (Go's "Code generated ... DO NOT EDIT.", "@generated", transformers' "This file was automatically
# generated from ..."; in transformers' sources half the modules' summaries began with one).
_BOILERPLATE = re.compile(r"copyright|licen[cs]e|spdx-|\bthis (?:source )?file is part of\b|@generated|\bcreated by\b.{0,80}?\bon\s+\d|\bdo not edit\b|\bauto-?generated\b|"
                          r"\b(?:file|code|module) (?:is|was|has been) (?:auto(?:matically|-)?\s?)?generated\b", re.I)
# a docstring is prose more often than a comment, so only one that opens with a copyright is a license
_COPYRIGHT = re.compile(r"(?:copyright\b|\(c\)|©)", re.I)
# comment lines that talk to tools, not people: shebangs, encodings, editor modes, checkers' and
# formatters' switches, build constraints (torch: 750 of 2,624 summaries began "mypy: allow-untyped-defs")
_DIRECTIVE = re.compile(r"^(?:!/|-\*-|coding[:=]|(?:frozen_string_literal|warn_indent|shareable_constant_value):|vim?:|(?:mypy|pylint|pyright|flake8|ruff|isort|fmt|cython|pragma|jshint|swiftlint|"
                        r"tslint|jscs):|type:\s*ignore\b|noqa\b|eslint-(?:disable|enable|env)\b|prettier-ignore\b|"
                        r"(?:istanbul|c8)\s+ignore\b|swift-format-ignore\b|clang-format\s+(?:off|on)\b|nolint|@ts-|@flow\b|"
                        r"<(?:reference|amd-module)\b|MARK:\s|[#@]?\s*source(?:mapping)?url=|</?editor-fold\b|#(?:end)?region\b|go:\w|\+build\b)", re.I)
# Javadoc/JSDoc/Doxygen block tags: the summary-like ones introduce prose, the ones that describe
# parameters, results or examples end it, and markers (`@internal`, `\file x.h`) are skipped
_DOC_TAG = re.compile(r"^[@\\]([A-Za-z]\w*)\b\s*")
_PROSE_TAGS = {"brief", "short", "summary", "description", "desc", "fileoverview", "overview", "file"}
_ENDING_TAGS = {"param", "tparam", "arg", "argument", "returns", "return", "retval", "throws", "throw",
                "exception", "see", "since", "author", "version", "deprecated", "example", "type", "typedef",
                "template", "note", "todo", "remarks", "defaultvalue", "default", "property", "prop"}
_SPANNING_TAG = re.compile(r"\{@(?:link|linkcode|linkplain|see|code|literal)\b[^}\n]*\n[^}]*\}")
# `{@link Gson#fromJson(String, Class) label}` reads as its target (whose parameters may hold spaces),
# `{@code new Gson()}` as all it holds
_LINK_TAG = re.compile(r"\{@(?:link|linkcode|linkplain|see)\s+((?:[^\s(|}]|\([^)}]*\))+)[^}]*\}")
_CODE_TAG = re.compile(r"\{@(?:code|literal)\s+([^}]*?)\s*\}")
# C#'s XML documentation (`/// <summary>…</summary>`): the summary is the prose; a reference reads as its
# name (`<see cref="T:A.Json"/>`, `<paramref name="value"/>`); the parameters, results and remarks end it
_XML_DOC = re.compile(r"<(?:summary|inheritdoc)\b")
# (an ID-string's `T:A.B.Json` reads as the rendered docs show it, `Json`)
_XML_REFERENCE = re.compile(r"<(?:see|seealso|paramref|typeparamref)\s+(?:cref|name|langword)=\"(?:\w:(?:[\w`]+\.)*)?([^\"]*)\"\s*/>")
_XML_ENDING = re.compile(r"<(?:param|typeparam|returns|exception|example|remarks|value|permission|seealso)\b")
_XML_TAG = re.compile(r"</?(?:summary|para|c|code|see|b|i|list|item|description|term|inheritdoc)\b[^>]*>")
_HTML_TAG = re.compile(r"</?(?:p|b|i|u|em|strong|code|tt|kbd|var|sup|sub|small|span|div|a|br|ul|ol|li|dl|dt|dd|pre|"
                       r"blockquote|h[1-6])\b[^>]*>", re.I)  # Javadoc's
# a comment that labels the statements below it, not the file ("Module dependencies." in Node's CommonJS style)
# ("Third-party imports", sinatra's "external dependencies" over its `require`s)
_SECTION_LABEL = re.compile(r"^(?:[\w-]+\s+){0,2}(?:dependencies|imports|requires|exports|constants|variables|globals)\.?$", re.I)
# commented-out code (`// total += x;`), a macro's name alone (`#endif  // CART_H_`), a bare link
_CODE_LINE = re.compile(r"[;{}]$|^}|^(?:public|private|protected)\s+\w|^[A-Z][A-Z0-9]*_[A-Z0-9_]*$|^<?https?://\S+$|"
                        r"^#\s*(?:define|undef|include|if|ifn?def|elif|else|endif|pragma)\b|"  # C preprocessor
                        # a JavaScript import commented out, without its semicolon (vue-element-admin's
                        # SocialSignin.vue read "import openWindow from '@/utils/open-window'.")
                        r"^import\s+(?:[\w{}*,\s]+\s+from\s+)?['\"]|^(?:const|let|var)\s+[\w{}\s,]+=\s*require\(")
# Sphinx cross-references (`:class:`~a.b.C``, `:py:func:`f``, `:ref:`text <label>``): what a person reads of them
_SPHINX_ROLE = re.compile(r":(?:[\w-]+:)+`(~?)([^`<]+?)(?:\s*<[^>`]*>)?`")
# a note to developers, not a description: it ends the prose (express: "To do: update docs")
_TODO = re.compile(r"^(?:(?:TODO|FIXME|XXX|HACK)\b|(?i:to[- ]?do):)")
_RULER = re.compile(r"^[^\w\s]{3,}$")  # a line of only punctuation: `/////`, `-----`, `*****`
# what is left of `//! # Title` (preprocessor lines are code), or of RDoc's `# = Title`
_MARKDOWN_HEADING = re.compile(r"^(?:#{1,6}\s+(?=\S)|={1,6}\s+(?=[^\s=])(?!.*=$))")
_LUA_LONG_COMMENT = re.compile(r"^--\[(=*)\[(.*?)\]\1\]", re.S | re.M)  # `--[[ … ]]`, `--[==[ … ]==]`
# (and KDoc's and rustdoc's `[JsonDataException]`, a name in brackets, Scaladoc's `[[Decoder]]`)
_MARKDOWN_LINK = re.compile(r"(?<![\w)\]])\[\[([^\]\n]+)\]\]|"
                            r"(?<![\w)\]])\[([^\]\n]+)\](?:\((?:https?://|#|\.{0,2}/)[^)\s]*\)|\[[A-Za-z][\w.#:/-]*\])|"
                            r"(?<![\w)\]])\[([A-Za-z_][\w.#:]*)\](?![\[(])")
_RDOC_CODE = re.compile(r"(?<![\w+])\+([\w.#:?!]+)\+(?![\w+])")
_RDOC_BLOCK = re.compile(r"^=(?:begin|end)\b")  # Ruby's block comment: `=begin` … `=end`
_FRAME = re.compile(r"^([*=#~_/+-])\1{2,}\s*(.*?)\s*([*=#~_/+-])\3{2,}$")  # `***** Models for tests *****`


def parse_source(path: str, source: bytes, spec: LanguageSpec | TextFormat, sha256: str) -> FileSymbols:
    if isinstance(spec, TextFormat) and spec.name == TEMPLATE:
        from graph.parse_template import parse_template

        return parse_template(path, source, sha256)
    if isinstance(spec, TextFormat):
        from graph.parse_text import parse_text

        return parse_text(path, source, spec, sha256)
    if spec.script_of:
        fs = parse_source(path, script_blocks(source), BY_NAME[script_language(source, spec.script_of)], sha256)
        fs.language = spec.name
        return fs
    parser, query = compiled(spec.name)
    tree = parser.parse(spec.prepare(source) if spec.prepare else source)
    root = tree.root_node
    from tree_sitter import QueryCursor

    raw_defs: dict[tuple[int, int], tuple] = {}
    reserved = _RESERVED_NAMES.get(spec.name, frozenset())
    call_nodes, import_groups, inherit_pairs, owners = [], {}, [], []
    for _, caps in QueryCursor(query).matches(root):
        kind = next((k for k in caps if k.startswith("definition.")), None)
        if kind and "name" in caps:
            _add_definition(raw_defs, caps[kind][0], caps["name"][0], kind.split(".", 1)[1], reserved)
        elif "reference.call" in caps and "name" in caps:
            call_nodes.append(caps["name"][0])
        elif "import.module" in caps:
            node = caps["import.module"][0]
            group = import_groups.setdefault(node.start_byte, (node, set()))
            group[1].update(_text(n) for n in caps.get("import.name", ()))
        elif "inherit.class" in caps and "inherit.base" in caps:
            inherit_pairs += [(caps["inherit.class"][0], b) for b in caps["inherit.base"]]
        elif "owner.scope" in caps and "owner.name" in caps:
            owners.append((caps["owner.scope"][0], _text(caps["owner.name"][0])))

    definitions, qualname_by_name_node, spans = _nest(raw_defs, owners, spec)
    # a definition's own name is no call to it (Elixir's `def add(cart, p)` is a call in the grammar)
    call_nodes = [n for n in call_nodes if n.start_byte not in qualname_by_name_node]
    # Rust `impl Trait for Type` names the type away from its definition: match it by name in this file
    qualnames, child_of = {d.qualname for d in definitions}, {}
    for c, _ in inherit_pairs:
        name = _text(c)
        child_of[c.start_byte] = qualname_by_name_node.get(c.start_byte) or (name if name in qualnames else None)
    fs = FileSymbols(
        path=path,
        language=spec.name,
        sha256=sha256,
        lines=line_count(source),
        doc=_file_doc(root, spec, path, definitions),
        definitions=definitions,
        imports=sorted({Import(_import_spec(n), tuple(sorted(names)), n.start_point[0] + 1)
                        for n, names in import_groups.values()}, key=lambda i: (i.line, i.module)),
        calls=_calls(call_nodes, spans),
        inherits=sorted({Inherit(child_of[c.start_byte], _text(b))
                         for c, b in inherit_pairs if child_of[c.start_byte]},
                        key=lambda i: (i.child, i.base)),
        syntax_errors=_count_errors(root) if root.has_error else 0,
        generated_from=generated_from(source),
        generated_stub=is_generated_stub(path, source),
        templates=named_templates(source),
    )
    fs.keyword_weights = keyword_weights(fs)
    return fs


_SCRIPT = re.compile(rb"(<script\b[^>]*>)(.*?)</script\s*>", re.S | re.I)


_SCRIPT_LANG = re.compile(rb"<script\b[^>]*\blang\s*=\s*[\"']?(\w+)", re.I)
_SCRIPT_LANGUAGES = {b"ts": "typescript", b"typescript": "typescript", b"tsx": "tsx", b"jsx": "javascript"}


def script_language(source: bytes, default: str) -> str:
    """The language a component's scripts are written in, by their `lang` (`<script setup lang="ts">`):
    a plain `<script>` is JavaScript, JSX included (vue-element-admin's Item.vue, parsed as TypeScript,
    lost its render function)."""
    m = _SCRIPT_LANG.search(source)
    return _SCRIPT_LANGUAGES.get(m.group(1).lower(), default) if m else default


def script_blocks(source: bytes) -> bytes:
    r"""A single-file component's `<script>` blocks in place, everything else blanked to spaces (newlines
    kept): Vue's `<script setup lang="ts">`, Svelte's `<script context="module">`.

    >>> script_blocks(b'<p>{{ n }}</p>\n<script setup>\nconst n = 1\n</script>\n').split(b'\n')
    [b'              ', b'              ', b'const n = 1', b'         ', b'']
    """
    out = bytearray(b if b == 0x0A else 0x20 for b in source)
    for m in _SCRIPT.finditer(source):
        out[m.start(2):m.end(2)] = m.group(2)
    return bytes(out)


def _add_definition(raw_defs, node, name_node, capture_kind, reserved: frozenset[str] = frozenset()):
    if node.type == "function_declarator":  # C/C++: the span and comments belong to the whole definition
        while node.parent is not None and node.parent.type in ("function_definition", "declaration",
                                                               "field_declaration", "pointer_declarator"):
            node = node.parent
    if node.type in _NEEDS_BODY and node.child_by_field_name("body") is None:
        return
    if _text(name_node) in reserved:
        return
    if node.type == "module" and not _holds_methods(node):
        return  # a Ruby module that only wraps classes is a namespace, as C#'s and PHP's are (`module Sinatra`)
    own_name = False
    if node.type in _FUNCTION_VALUES and node.parent is not None and node.parent.type in _BINDINGS \
            and node.parent.child_by_field_name(_BINDINGS[node.parent.type]) == node:
        node, own_name = node.parent, True
    subkind = _SUBKIND_BY_NODE.get(node.type)
    if node.type == "type_spec":
        inner = node.child_by_field_name("type")
        subkind = {"struct_type": "struct", "interface_type": "interface"}.get(inner.type if inner else "")
    elif node.type == "class_declaration":  # Kotlin's interface, Swift's struct, enum and actor: by the keyword
        subkind = next((c.type for c in node.children if c.type in ("interface", "struct", "enum", "actor")), None)
    elif node.type == "call" and capture_kind in ("module", "protocol", "impl"):  # Elixir: every form is a call
        subkind = capture_kind
    if subkind is None:
        if capture_kind in _FUNCTION_CAPTURES or capture_kind in ("class", "interface", "struct", "enum", "trait"):
            subkind = capture_kind
        else:
            return  # modules, constants, plain type aliases
    key = (node.start_byte, node.end_byte)
    if key not in raw_defs or own_name:
        raw_defs[key] = (node, name_node, subkind)


def _holds_methods(module) -> bool:
    """Whether a Ruby module defines methods: directly, in `class << self`, or wrapped (`private def f`)."""
    body = next((c for c in module.named_children if c.type == "body_statement"), None)
    for child in body.named_children if body is not None else ():
        if child.type in ("method", "singleton_method"):
            return True
        if child.type == "singleton_class" and _holds_methods(child):
            return True
        if child.type == "call" and any(a.type in ("method", "singleton_method") for arg in child.named_children
                                        if arg.type == "argument_list" for a in arg.named_children):
            return True
    return False


def _nest(raw_defs, owners, spec):
    """Order definitions, give each its enclosing parent and qualified name."""
    items = sorted(raw_defs.values(), key=lambda t: (t[0].start_byte, -t[0].end_byte))
    out, by_name_node, spans, stack = [], {}, [], []  # stack of (end_byte, qualname, kind)
    for node, name_node, subkind in items:
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        written = _text(name_node)
        # `defmodule Shop.Cart` is module Cart of Shop; nested, it is its parent's Cart
        name = written.rsplit(".", 1)[-1] if spec.name == "elixir" else written
        parent = stack[-1][1] if stack else None
        parent_kind = stack[-1][2] if stack else None
        if parent is None:
            owner = _owner_of(node, owners)
            if owner:
                parent, parent_kind = owner, CLASS
        kind = FUNCTION if subkind in _FUNCTION_CAPTURES or subkind == MACRO else CLASS
        if subkind in _FUNCTION_CAPTURES:  # a method is a function in a class-like (Rust's tags call fns in `mod {}` methods)
            subkind = "method" if parent_kind == CLASS else "function"
        qualname = f"{parent}.{name}" if parent else written
        out.append(Definition(
            name=name, qualname=qualname, kind=kind, subkind=subkind,
            start_line=node.start_point[0] + 1, end_line=node.end_point[0] + 1,
            doc=_definition_doc(node, spec), parent=parent))
        by_name_node[name_node.start_byte] = qualname
        spans.append((node.start_byte, node.end_byte, qualname))
        stack.append((node.end_byte, qualname, kind))
    return _one_per_qualname(out, clauses=spec.name == "elixir"), by_name_node, spans


def _one_per_qualname(definitions: list[Definition], clauses: bool = False) -> list[Definition]:
    """The same qualname twice: overloads before their implementation (TypeScript signatures, Python's
    `@overload` stubs), or a redefinition. Keep the longest, the implementation, with the first doc
    among them when it has none, so that names stay unique per file. With `clauses` (Elixir's
    `def f(a)`, `def f(a, b)`, `defp f(…)`) they are one function: from the first clause, where its `@doc`
    stands (plug's public `read_part_headers/2` at 1226, not its private `/7` at 1239), to the last."""
    if clauses:
        first: dict[str, Definition] = {}
        for d in definitions:
            if d.qualname not in first:
                first[d.qualname] = d
            else:
                f = first[d.qualname]
                first[d.qualname] = replace(f, end_line=max(f.end_line, d.end_line), doc=f.doc or d.doc)
        return [first[d.qualname] for d in definitions if first[d.qualname].start_line == d.start_line]
    kept: dict[str, Definition] = {}
    doc: dict[str, str] = {}
    for d in definitions:
        if d.qualname not in kept or d.end_line - d.start_line > kept[d.qualname].end_line - kept[d.qualname].start_line:
            kept[d.qualname] = d
        if d.doc:
            doc.setdefault(d.qualname, d.doc)
    return [d if d.doc or d.qualname not in doc else replace(d, doc=doc[d.qualname])
            for d in definitions if kept[d.qualname] is d]


def _owner_of(node, owners) -> str | None:
    best = None
    for scope, name in owners:
        if scope.start_byte <= node.start_byte and node.end_byte <= scope.end_byte:
            if best is None or scope.start_byte >= best[0].start_byte:
                best = (scope, name)
    return best[1] if best else None


def _calls(call_nodes, spans) -> list[Call]:
    """Attribute each call to the innermost definition around it; one record per (caller, name)."""
    starts = [s for s, _, _ in spans]
    seen, out = set(), []
    for name_node in sorted(call_nodes, key=lambda n: n.start_byte):
        pos, caller = name_node.start_byte, None
        i = bisect_right(starts, pos) - 1
        while i >= 0:  # spans are sorted by start: the first enclosing one walking back is innermost
            s, e, qualname = spans[i]
            if pos < e:
                caller = qualname
                break
            i -= 1
        key = (caller, _text(name_node))
        if key not in seen:
            seen.add(key)
            out.append(Call(caller, key[1], name_node.start_point[0] + 1))
    return out


# a string naming a template: Django's `render(request, "front/details.html")` and `template_name = …`,
# Flask's `render_template("index.html")`, `get_template("emails/alert.txt.j2")`
_TEMPLATE_NAME = re.compile(rb"""["']([\w][\w./-]{0,200}(?:%s))["']""" % b"|".join(
    re.escape(e.encode()) for e in BY_NAME[TEMPLATE].extensions))


# a view named without its extension: Laravel's `view('books.show')`, `View::make(…)`, a mailable's
# `->view(…)` and `->markdown(…)`, `Route::view('/about', 'about')`; Express's `res.render("users/show")`
_VIEW_CALL = re.compile(rb"""(?:\bview|\bView::make|->view|->markdown|\bres\.render|\bresponse\.render"""
                        rb"""|\bRoute::view\s*\(\s*['"][^'"\n]{0,200}['"]\s*,)\s*\(?\s*['"]([\w.:/-]{1,200})['"]""")


def named_templates(source: bytes) -> list[str]:
    r"""The template files a piece of code names in its strings, and the views it renders by name, in
    order, once each.

    >>> named_templates(b'return render(request, "front/details.html", {"check": check})\ntemplate_name = "base.html"')
    ['front/details.html', 'base.html']
    >>> named_templates(b"return view('books.show', ['book' => $book]);")
    ['books.show']
    """
    found = sorted([(m.start(), m.group(1)) for pattern in (_TEMPLATE_NAME, _VIEW_CALL) for m in pattern.finditer(source)])
    return list(dict.fromkeys(name.decode("utf-8", "replace") for _, name in found))


def line_count(source: bytes) -> int:
    return source.count(b"\n") + (0 if source.endswith(b"\n") or not source else 1)


def _count_errors(root) -> int:
    count, stack = 0, [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            count += 1
            continue
        if node.has_error:
            stack.extend(node.children)
    return count


# --- documentation ---------------------------------------------------------------------------

def _text(node) -> str:
    return node.text.decode("utf-8", "replace")


def _import_spec(node) -> str:
    if node.type == "mod_item":  # Rust `pub mod foo;` -> "mod foo" (what resolve.rust_use expects)
        return "mod " + _text(node.child_by_field_name("name"))
    text = _text(node).strip()
    if node.type == "import_declaration":  # Java `import static a.b.*;` -> "a.b.*" (no single node holds it)
        return re.sub(r"\s+", "", re.sub(r"^import\s+(static\s+)?|;$", "", text))
    if node.type in ("string", "interpreted_string_literal", "string_literal", "raw_string_literal"):
        text = text.strip("'\"`")
    if node.type == "call":  # Ruby `require_relative "model/product"` -> "require_relative model/product"
        feature = _text(node.child_by_field_name("arguments").named_children[0]).strip("'\"")
        return f"{_text(node.child_by_field_name('method'))} {feature}"
    if node.type == "namespace_use_clause":  # PHP `function A\B\f as g` -> "A\B\f"
        return re.sub(r"^(?:function|const)\s+|\s+as\s+\w+$", "", text).lstrip("\\")
    if node.type == "namespace_name":  # PHP's group `use A\B\{C, D}`: its prefix
        return text.lstrip("\\")
    if node.type in ("using_directive", "import"):  # C# `global using static A.B;`, `using X = A.B;`;
        # Kotlin `import a.b.C as D`
        text = re.sub(r"^(?:global\s+)?(?:using|import)\s+(?:static\s+)?(?:\w+\s*=\s*)?|\s+as\s+\w+$|;$", "", text)
        return re.sub(r"\s+", "", text)
    return text


def clean_comment(text: str) -> str:
    text = _LUA_LONG_COMMENT.sub(r"\2", _SPANNING_TAG.sub(_one_line_tag, text))
    if _XML_DOC.search(text):
        text = _XML_TAG.sub("", _XML_ENDING.split(_XML_REFERENCE.sub(r"\1", text), 1)[0])
    lines = []
    in_note = False  # a TODO note's paragraph: its lines go on to a blank line ("Maybe it can …" too)
    for line in text.splitlines():
        line = line.strip()
        # `##` opens an RDoc comment, `---` a LuaDoc one (`----` is a ruler)
        line = re.sub(r"^(/\*+!?|\*+/|/{2,}!?|#+|---?(?!-)|\*+)", "", line)
        line = re.sub(r"\*+/$", "", line).strip()
        line = re.sub(r"(?:^|\s)\*+$", "", line).strip()  # the right side of a box of asterisks
        if in_note:
            if line:
                continue
            in_note = False  # the blank line after the note is kept: it ends the prose above the note too
        if line.startswith("```"):
            break  # a Markdown code block: an example follows the prose (moshi's KDoc, Rust's docs)
        line = _CODE_TAG.sub(r"\1", _LINK_TAG.sub(r"\1", line))  # before the code test: a line may end in a tag's `}`
        # a Markdown link reads as its text (`[RFC 3339](https://…)`, KDoc's `[Moshi.Builder][com.squareup.moshi.Moshi.Builder]`),
        # RDoc's `+code+` as the code
        line = _RDOC_CODE.sub(r"\1", _MARKDOWN_LINK.sub(lambda m: next(filter(None, m.groups())), line))
        if _DIRECTIVE.match(line) or _CODE_LINE.search(line) or _ascii_art(line) or _RDOC_BLOCK.match(line):
            continue
        line = _without_art(line)
        # a Rust or JSDoc comment is Markdown: `//! # Serde JSON` is a title (a blank line ends it as a sentence)
        line = _MARKDOWN_HEADING.sub("", line)
        if _TODO.match(line):  # left out; the prose after its paragraph is kept
            in_note = True
            continue
        tag = _DOC_TAG.match(line)
        if tag:
            name = tag.group(1).lower()
            if name in _ENDING_TAGS:
                break
            line = line[tag.end():]
            if name not in _PROSE_TAGS or (name == "file" and " " not in line):  # Doxygen's `\file cart.h`
                continue
        lines.append(_HTML_TAG.sub("", line))
    return _first_paragraphs(lines, after_sentence=True)


def _one_line_tag(m: re.Match) -> str:
    """An inline tag broken over lines (`{@code\n * GsonBuilder}`) on one line, so it reads as one; one
    left open across a blank line is left as it is (sweep 13: it emptied the whole comment)."""
    if re.search(r"\n\s*(?:\*+(?!/)|/{2,}!?|#)?\s*\n", m.group(0)):
        return m.group(0)
    return re.sub(r"\s*\n\s*(?:\*+(?!/)|/{2,}!?|#)?\s*", " ", m.group(0))


def _without_art(line: str) -> str:
    """A banner's line without its drawing: nlohmann's `__|  |   __|     |   | |  JSON for Modern C++` keeps
    its words. Drawing is two or more runs of punctuation set apart by wide spaces (six marks or more)."""
    parts = re.split(r"\s{2,}", line)
    drawn = [p for p in parts if p and not any(c.isalnum() for c in p)]
    # a banner's line begins with its drawing: `client  -->  proxy  -->  server` keeps its arrows
    if parts and parts[0] in drawn and len(drawn) >= 2 and sum(len(p.replace(" ", "")) for p in drawn) >= 6:
        return " ".join(p for p in parts if p not in drawn)
    return line


def _ascii_art(line: str) -> bool:
    """A line of a banner drawn in punctuation (`| |/\\| |_ _|  Widget Toolkit`): mostly punctuation of
    several kinds. A ruler of one character (`=====`) is not art: it marks the title above it."""
    marks = [c for c in line if not c.isspace()]
    punctuation = {c for c in marks if not c.isalnum()}
    if len(marks) >= 6 and "_" in punctuation and not any(c.isalnum() for c in marks) and " " in line.strip():
        return True  # a banner's top drawn in underscores (`__ _____ _____`), which is no ruler (`_` is a word character)
    return len(marks) >= 6 and len(punctuation) > 2 and sum(c.isalnum() for c in marks) < len(marks) / 2


def clean_docstring(literal: str) -> str:
    return _first_paragraphs(_SPHINX_ROLE.sub(_role_text, line).replace("``", "`") for line in _docstring_lines(literal))


def _docstring_lines(literal: str) -> list[str]:
    """A string literal's opening lines, its quotes and common indentation gone (only the opening
    paragraphs matter)."""
    body = re.sub(r'^[rRbBuUfF]*("""|\'\'\'|"|\')', "", literal[:4000])
    body = re.sub(r'("""|\'\'\'|"|\')$', "", body)
    return inspect.cleandoc(body).splitlines()[:40]


def _role_text(m: re.Match) -> str:
    """`:class:`~flask.ctx.RequestContext`` reads `RequestContext`; without the tilde the whole target."""
    target = m.group(2).strip()
    return target.rsplit(".", 1)[-1] if m.group(1) else target


def _first_paragraphs(lines, after_sentence: bool = False) -> str:
    """Join lines into prose, stop at a blank line once there is enough text (or, with `after_sentence`,
    a whole sentence: what follows a comment's first paragraph is often an example), bound the length."""
    words, out = 0, []
    for line in lines:
        framed = _FRAME.match(line.strip())
        if framed and framed.group(2):  # a title in a frame of punctuation
            line = framed.group(2) + ("" if framed.group(2).endswith((".", "!", "?", ":")) else ".")
        if _RULER.match(line.strip()):  # a reST over/underline or a comment's ruler: the line above is a title
            if out and not out[-1].endswith((".", "!", "?", ":")):
                out[-1] += "."
            continue
        if not line.strip():
            if words >= 12 or (after_sentence and out and out[-1].endswith((".", "!", "?"))):
                break
            if out and out[-1][-1].isalnum():  # a title line ("Animation Frame Scheduler"): end it as a sentence
                out[-1] += "."
            continue
        out.append(line.strip())
        words += len(line.split())
    text = re.sub(r"\s+", " ", " ".join(out)).strip()
    return text[:MAX_DOC_CHARS].rstrip()


def _python_docstring(body) -> str:
    if body is None:
        return ""
    first = next((c for c in body.named_children if c.type != "comment"), None)
    if first is not None and first.type == "expression_statement" and first.named_children \
            and first.named_children[0].type == "string":
        return clean_docstring(_text(first.named_children[0]))
    return ""


def _leading_comment(node, rust: bool = False) -> str:
    while node.parent is not None and node.parent.type in _WRAPPERS:
        if node.parent.type == "type_declaration" and getattr(node.prev_sibling, "type", "type") != "type":
            break  # Go grouped `type ( ... )`: each spec carries its own comment
        node = node.parent
    if node.prev_sibling is None and node.parent is not None and node.parent.type == "body_statement":
        node = node.parent  # Ruby: a comment opening a class's body stands before the body, not in it
    parts, cur, row = [], node.prev_sibling, node.start_point[0]
    while cur is not None and (cur.type == "comment" or cur.type in _SKIPPABLE_BEFORE_DEF or
                               cur.type.endswith("comment")):
        # a doc comment (`/** … */`) may stand one blank line above its definition (express's style)
        text = _text(cur) if cur.type.endswith("comment") else ""
        if _last_row(cur) < row - (2 if not parts and text.startswith("/**") else 1):
            break
        if text:
            if rust and text.startswith(_INNER_DOC):  # `//!` documents the enclosing module, not this item
                break
            if _trails_code(cur):  # `count = 0;  /* queued items */`: the line's code, not the definition below
                break
            # a block comment (`/** … */`) is a whole doc: never merged with the comments above it
            # (often code commented out) nor below it
            if parts and (text.startswith("/*") or parts[-1].startswith("/*")):
                break
            parts.append(text)
        row = cur.start_point[0]
        cur = cur.prev_sibling
    # a Rust line comment's node ends with its newline: joined as they are, each would end a paragraph
    return comment_doc(clean_comment("\n".join(p.rstrip("\r\n") for p in reversed(parts))))


def _trails_code(comment) -> bool:
    """Whether a comment stands at the end of a line of code (the statement before it ends on its row)."""
    before = comment.prev_sibling
    return (before is not None and not before.type.endswith("comment")
            and _last_row(before) == comment.start_point[0])


def _last_row(node) -> int:
    """The row of a node's last character: a C preprocessor line's or a Rust line comment's node ends
    after its newline, at column 0 of the next row."""
    end_row, end_column = node.end_point
    return end_row - 1 if end_column == 0 and end_row > node.start_point[0] else end_row


def _definition_doc(node, spec: LanguageSpec) -> str:
    if spec.doc_style == ELIXIR_ATTRIBUTE:
        return _elixir_doc(node) or _leading_comment(node)
    if spec.doc_style == PYTHON_DOCSTRING:
        return _python_docstring(node.child_by_field_name("body")) or _leading_comment(node)
    return _leading_comment(node, rust=spec.name == "rust")


# attributes that may stand between a function's `@doc` and its `def`
_ELIXIR_DEF_ATTRIBUTES = {"spec", "impl", "deprecated", "decorate", "dialyzer", "compile", "since", "doc"}


def _elixir_doc(node) -> str:
    """An Elixir module's `@moduledoc` (the first statements of its body), a function's `@doc` (the
    attributes right above its `def`); `false` hides it, and says nothing."""
    if _text(node.child_by_field_name("target")) in ("defmodule", "defprotocol", "defimpl"):
        body = next((c for c in node.named_children if c.type == "do_block"), None)
        attributes = body.named_children[:3] if body is not None else []
        wanted = "moduledoc"
    else:
        attributes, cur = [], node.prev_named_sibling
        while cur is not None and cur.type == "unary_operator" and _attribute_name(cur) in _ELIXIR_DEF_ATTRIBUTES:
            attributes.append(cur)
            cur = cur.prev_named_sibling
        wanted = "doc"
    for attribute in attributes:
        if attribute.type == "unary_operator" and _attribute_name(attribute) == wanted:
            value = attribute.named_children[0].child_by_field_name("target").next_named_sibling
            value = value.named_children[0] if value is not None and value.named_children else None
            if value is None or value.type not in ("string", "sigil"):
                return ""  # `@doc false`
            return _markdown_doc(re.sub(r"^~[a-zA-Z]", "", _text(value)))
    return ""


def _markdown_doc(literal: str) -> str:
    """A Markdown docstring's first paragraph (ExDoc's summary); a heading (`## Examples`) ends the prose."""
    lines = _docstring_lines(literal)
    heading = next((i for i, line in enumerate(lines) if _MARKDOWN_HEADING.match(line.strip())), len(lines))
    return _first_paragraphs(lines[:heading], after_sentence=True)


def _attribute_name(unary) -> str:
    """`@doc "…"` -> "doc"; "" for any other unary operator."""
    operand = unary.child_by_field_name("operand")
    if _text(unary).startswith("@") and operand is not None and operand.type == "call":
        return _text(operand.child_by_field_name("target"))
    return ""


def _file_doc(root, spec: LanguageSpec, path: str, definitions: list[Definition]) -> str:
    if spec.doc_style == PYTHON_DOCSTRING:
        doc = _python_docstring(root)
        if doc and not _COPYRIGHT.match(doc):  # a license as the module docstring (networkx's second_order.py)
            return doc
    doc = _header_doc(root, spec, _HEADER_PREAMBLE)
    if doc or spec.doc_style == PYTHON_DOCSTRING:
        return doc
    if spec.name not in _JS_LANGUAGES:
        # a Go, Java, C or Rust file without a header doc: its namesake's doc speaks for it (gin's
        # recovery.go: "Recovery returns a middleware that recovers from any panics …")
        return namesake_doc(path, definitions)
    # JS/TS: a doc comment below the imports documents the declaration under it. The file's namesake
    # (rxjs's retry.ts: `retry`, not the `RetryConfig` interface above it) speaks for the file; failing
    # that the first such comment does (animationFrame.ts documents the one constant it exports); a
    # test file says what it tests
    return (namesake_doc(path, definitions) or _header_doc(root, spec, _HEADER_PREAMBLE + ("import_statement",))
            or _test_suites_doc(root))


# what may stand before a file's header comment, or between a license and it
_HEADER_PREAMBLE = ("package_declaration", "preproc_include", "import_declaration", "use_declaration",
                    "expression_statement", "hash_bang_line", "preproc_call", "inner_attribute_item",  # #!, #pragma once, #![..]
                    "call",  # Ruby's `require`
                    "php_tag", "declare_statement", "namespace_definition", "namespace_use_declaration",  # PHP
                    "using_directive", "file_scoped_namespace_declaration",  # C#
                    "package_header", "import", "import_list",  # Kotlin
                    "library_name", "import_or_export", "part_directive", "part_of_directive")  # Dart


# top-level constants and properties (Kotlin, Swift, Go, Rust, Ruby, Scala, Dart): no definitions, so a
# comment right above one, below the imports, is that value's, not the file's
_VALUE_DECLARATIONS = {"property_declaration", "var_declaration", "const_declaration", "const_item", "static_item",
                       "assignment", "val_definition", "var_definition", "final_builtin", "const_builtin", "inferred_type"}

# Rust's inner doc comments document the module they stand in; its outer ones (`///`, `/**`) the item below
_INNER_DOC = ("//!", "/*!")


def _outer_rust_doc(text: str) -> bool:
    return (text.startswith("///") and not text.startswith("////")) or (text.startswith("/**") and text != "/**/")


def _header_doc(root, spec: LanguageSpec, preamble: tuple[str, ...]) -> str:
    """The file's header comment: the first comment group that is prose, above the code, past a license
    and the package and import lines."""
    groups, current, last_row, past_preamble = [], [], None, False
    for child in _header_nodes(root):
        if child.type.endswith("comment") and _trails_code(child):
            continue  # `require "time"  # for Time.httpdate`: the line's own note (rack's deflater.rb read "for Time.httpdate.")
        if spec.name == "rust" and child.type.endswith("comment") and _outer_rust_doc(_text(child)):
            break  # the first item's own doc: the file's header (its `//!` lines) ends above it
        if not child.type.endswith("comment"):
            if (child.type == "inner_attribute_item" and current and child.start_point[0] <= last_row + 1
                    and not current[-1].startswith(_INNER_DOC)):
                current, last_row = [], None  # right above `#![allow(clippy::…)]` it explains the attribute (tokenizers'
                continue                      # bindings' lib.rs read "Many false positives with pyo3 it seems")
            # (not Go's package_clause: a package comment comes before it, comments after it document declarations)
            # (Lua's `local x = require("x")` and `local M = {}` set up the module, as imports do)
            in_preamble = _in_preamble(child, preamble) or (spec.name == "lua" and child.type == "variable_declaration")
            if in_preamble:
                past_preamble = True
                if not groups and not current:
                    continue  # header comments may follow the package line or include guards
                if spec.doc_style != PYTHON_DOCSTRING and not any(map(_header_text, groups + [current])):
                    groups += [current] if current else []  # only a license or directives so far (Java's
                    current, last_row = [], None             # license, package, imports, then the class doc)
                    continue
            if (child.type.startswith("preproc_") and not in_preamble and current
                    and child.start_point[0] <= last_row + 1):
                current = []  # right above a directive it explains the directive ("disable warnings … in MSVC")
            if (past_preamble and current and not in_preamble and child.start_point[0] <= last_row + 1
                    and (spec.name in _C_LANGUAGES + _DOC_COMMENT_LANGUAGES
                         or (spec.name in _JS_LANGUAGES and child.type != "export_statement"))):
                current = []  # below the includes and right above code it is that code's comment (ujson's
                #               decode.c: "Import JSONDecodeError from ujson.c" over an `extern`); in JS/TS
                #               unless the code is what the file exports (zod's schemas.ts was "Register
                #               English as the default locale…", the comment on a private helper); in Dart and
                #               Lua whatever the code is (dio's headers.dart read "The signature that iterates
                #               header fields.", a typedef's `///`; telescope's __files.lua a function's LuaDoc)
            if (spec.name in _JS_LANGUAGES and current and child.start_point[0] <= last_row + 1
                    and child.type == "export_statement" and child.child_by_field_name("source") is not None):
                current = []  # right above a re-export it speaks of what is re-exported: `// Re-export core` over
                #               `export * from '@tanstack/query-core'` was four packages' index.ts summaries (sweep 16)
            if past_preamble and current and child.start_point[0] <= last_row + 1 and child.type in _VALUE_DECLARATIONS:
                current = []  # below the imports and right above a constant or a property it is that value's
                #               comment: moshi's KotlinJsonAdapterFactory.kt read "Classes annotated with this
                #               are eligible for this adapter.", a `private val`'s
            break
        inner_doc_starts = (spec.name == "rust" and current and _text(child).startswith(_INNER_DOC)
                            and not current[-1].startswith(_INNER_DOC))  # `// Adapted from …` right above `//!`
        if current and ((last_row is not None and child.start_point[0] > last_row + 1) or inner_doc_starts):
            groups.append(current)
            current = []
        current.append(_text(child))
        last_row = child.end_point[0]
    if current:
        groups.append(current)
    if spec.name == "rust":  # the module's own doc (`//!`) before a plain comment above it ("Adapted from …")
        groups.sort(key=lambda group: not group[0].startswith(_INNER_DOC))
    return next(filter(None, map(_header_text, groups)), "")


def _in_preamble(node, preamble: tuple[str, ...]) -> bool:
    # PHP's `namespace A\B;` heads a file as a package line does; C++'s `namespace a { … }` (the same node
    # type, with a body) holds the code
    return node.type in preamble and not (node.type == "namespace_definition" and node.child_by_field_name("body"))


def namesake_doc(path: str, definitions: list[Definition]) -> str:
    """The doc of the top-level definition the file is named after (`price_formatter.rb` or
    `PriceFormatter.cs` for `PriceFormatter`)."""
    stem = posixpath.splitext(posixpath.basename(path))[0].lower().replace("_", "")
    return next((d.doc for d in definitions if d.parent is None and d.name.lower().replace("_", "") == stem and d.doc), "")


_JS_LANGUAGES = ("javascript", "typescript", "tsx")
_C_LANGUAGES = ("c", "cpp")
_DOC_COMMENT_LANGUAGES = ("dart", "lua")  # a comment right above code documents that code, never the file
_SUITE_CALLS = ("describe", "suite", "context")  # Jest, Mocha, Vitest; `describe.skip(...)` too


def _test_suites_doc(root) -> str:
    """What a JS/TS test file says it tests, in its `describe(...)` titles (it has no header comment and
    its test callbacks are no definitions): "Tests of queryCache: subscribe, find, findAll and 3 more."."""
    parts = []
    for title, body in list(_describes(root))[:3]:
        inner = [t for t, _ in _describes(body)] if body is not None else []
        parts.append(title + (f": {listing(inner, 4)}" if inner else ""))
    return ("Tests of " + "; ".join(parts) + ".") if parts else ""


def _describes(block):
    """(title, body block) of each `describe("title", () => {...})` statement directly in `block`."""
    for stmt in block.named_children:
        call = stmt.named_children[0] if stmt.type == "expression_statement" and stmt.named_children else None
        fn = call.child_by_field_name("function") if call is not None and call.type == "call_expression" else None
        if fn is None or _text(fn).split(".")[0] not in _SUITE_CALLS:
            continue
        args = call.child_by_field_name("arguments")
        if args is None or not args.named_children or args.named_children[0].type not in ("string", "template_string"):
            continue
        callback = next((a for a in args.named_children[1:] if a.type in ("arrow_function", "function_expression")), None)
        body = callback.child_by_field_name("body") if callback is not None else None
        yield _text(args.named_children[0])[1:-1], (body if body is not None and body.type == "statement_block" else None)


def _header_text(group) -> str:
    text = comment_doc(clean_comment("\n".join(g.rstrip("\r\n") for g in group)))
    return "" if _SECTION_LABEL.match(text) else text


def comment_doc(text: str) -> str:
    """A cleaned comment as documentation: not a license or a generated-code banner, and not a lone
    word, which labels the code below (`/* objToJSON */` over its declaration, `# Benchmarks` over a
    section) rather than describing it."""
    return "" if _BOILERPLATE.search(text[:200]) or len(text.split()) < 2 else text


def _header_nodes(root):
    """The file's top-level nodes, looking into a C/C++ include guard (`#ifndef X_H` / `#define X_H`)."""
    for child in root.children:
        if child.type == "preproc_ifdef":
            yield from (c for c in child.named_children if c.type not in ("identifier", "preproc_def"))
        else:
            yield child
