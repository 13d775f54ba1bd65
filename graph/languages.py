"""The table of languages: one entry per language, and adding a language is adding an entry.

An entry names its tree-sitter grammar, the tags query that the grammar wheel ships (definitions
and call references, maintained upstream), our own query file `graph/queries/<name>.scm` (imports,
inheritance, extra definitions, owner scopes), how its documentation is written, and how its
imports resolve to files of the repository.
"""
from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Callable

from graph import resolve
from graph.conditional import first_branches
from graph.dart_null_calls import null_calls_unasserted
from graph.java_varargs import varargs_unannotated
from graph.kotlin_constructors import constructors_joined
from graph.typescript_newer_syntax import older_syntax

PYTHON_DOCSTRING = "python-docstring"  # string literal first in the body, else leading comments
LEADING_COMMENT = "leading-comment"  # comment block right before the definition
ELIXIR_ATTRIBUTE = "elixir-attribute"  # `@moduledoc` in the module, `@doc` above the function, else comments


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    grammar_module: str  # the tree-sitter grammar wheel's import name
    grammar_function: str  # its function returning the language pointer
    tags_from: tuple[str, ...]  # grammar packages whose queries/tags.scm we use, in order
    doc_style: str
    resolve_import: Callable[[str, "resolve.Import", "resolve.RepoFiles"], list[str]]
    # a single-file component (Vue's, Svelte's): its `<script>` blocks are code of this language unless
    # their `lang` says otherwise (`lang="ts"`), the rest (template, style) is blanked before parsing, so
    # lines keep their numbers
    script_of: str = ""
    extends: str = ""  # a language whose query file of ours applies too (Objective-C is C)
    # the text rewritten before parsing where the grammar would misread it, every line and byte kept where it
    # was (the tree's offsets index the original): C#'s conditional compilation, syntax newer than a grammar
    # (TypeScript's variance, Java's annotated varargs, Kotlin's split class headers, Dart's `f!(x)`)
    prepare: Callable[[bytes], bytes] | None = None

    def language_pointer(self):
        return getattr(importlib.import_module(self.grammar_module), self.grammar_function)()

    def query_source(self) -> str:
        """The shipped tags queries followed by ours."""
        parts = [(files(pkg) / "queries" / "tags.scm").read_text(encoding="utf-8") for pkg in self.tags_from]
        ours = ([self.extends] if self.extends else []) + [self.name]
        parts += [(files("graph") / "queries" / f"{name}.scm").read_text(encoding="utf-8") for name in ours]
        return "\n".join(parts)


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi"), "tree_sitter_python", "language",
                 ("tree_sitter_python",), PYTHON_DOCSTRING, resolve.python_import),
    LanguageSpec("javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree_sitter_javascript", "language",
                 ("tree_sitter_javascript",), LEADING_COMMENT, resolve.js_import),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), "tree_sitter_typescript", "language_typescript",
                 ("tree_sitter_javascript", "tree_sitter_typescript"), LEADING_COMMENT, resolve.js_import,
                 prepare=older_syntax),
    LanguageSpec("tsx", (".tsx",), "tree_sitter_typescript", "language_tsx",
                 ("tree_sitter_javascript", "tree_sitter_typescript"), LEADING_COMMENT, resolve.js_import,
                 prepare=older_syntax),
    LanguageSpec("java", (".java",), "tree_sitter_java", "language",
                 ("tree_sitter_java",), LEADING_COMMENT, resolve.java_import, prepare=varargs_unannotated),
    LanguageSpec("go", (".go",), "tree_sitter_go", "language",
                 ("tree_sitter_go",), LEADING_COMMENT, resolve.go_import),
    LanguageSpec("c", (".c", ".h"), "tree_sitter_c", "language",
                 ("tree_sitter_c",), LEADING_COMMENT, resolve.c_include),
    LanguageSpec("cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx"), "tree_sitter_cpp", "language",
                 ("tree_sitter_cpp",), LEADING_COMMENT, resolve.c_include),
    LanguageSpec("rust", (".rs",), "tree_sitter_rust", "language",
                 ("tree_sitter_rust",), LEADING_COMMENT, resolve.rust_use),
    # the grammar's tags.scm is not used: without local-variable analysis its last pattern makes every
    # identifier a call
    LanguageSpec("ruby", (".rb", ".rake"), "tree_sitter_ruby", "language", (), LEADING_COMMENT, resolve.ruby_require),
    LanguageSpec("php", (".php",), "tree_sitter_php", "language_php",
                 ("tree_sitter_php",), LEADING_COMMENT, resolve.php_use),
    # (the C# wheel ships its tags.scm under a folder named `tree_sitter_c-sharp`, which no import reaches:
    # ours holds all of it)
    LanguageSpec("csharp", (".cs",), "tree_sitter_c_sharp", "language", (), LEADING_COMMENT, resolve.csharp_using,
                 prepare=first_branches),
    LanguageSpec("kotlin", (".kt", ".kts"), "tree_sitter_kotlin", "language", (), LEADING_COMMENT, resolve.kotlin_import,
                 prepare=constructors_joined),
    # Objective-C(++); a `.h` that declares an `@interface` or `@protocol` is one too (language_of)
    LanguageSpec("objc", (".m", ".mm"), "tree_sitter_objc", "language",
                 ("tree_sitter_c",), LEADING_COMMENT, resolve.c_include, extends="c"),
    LanguageSpec("vue", (".vue",), "", "", (), LEADING_COMMENT, resolve.js_import, script_of="javascript"),
    LanguageSpec("svelte", (".svelte",), "", "", (), LEADING_COMMENT, resolve.js_import, script_of="javascript"),
    LanguageSpec("swift", (".swift",), "tree_sitter_swift", "language", (), LEADING_COMMENT, resolve.swift_import),
    LanguageSpec("scala", (".scala", ".sc"), "tree_sitter_scala", "language", (), LEADING_COMMENT, resolve.scala_import),
    LanguageSpec("lua", (".lua",), "tree_sitter_lua", "language", (), LEADING_COMMENT, resolve.lua_require),
    LanguageSpec("elixir", (".ex", ".exs"), "tree_sitter_elixir", "language", (), ELIXIR_ATTRIBUTE, resolve.elixir_alias),
    # (the grammar of the Dart project's maintainers, grammar-orchard, built from its sdist)
    LanguageSpec("dart", (".dart",), "tree_sitter_dart_orchard", "language", (), LEADING_COMMENT, resolve.dart_import,
                 prepare=null_calls_unasserted),
)



TEMPLATE = "template"  # the name of the server-side templates' format


@dataclass(frozen=True)
class TextFormat:
    """A format no grammar wheel on PyPI parses, read by its lines: the grammars and interface
    definitions that code is generated from (graph/parse_text.py; a question about a rule of the grammar
    or a field of a message belongs in them, not in the parser or stubs made from them), and server-side
    templates (graph/parse_template.py; a question about what a page shows belongs in its template)."""

    name: str
    extensions: tuple[str, ...]
    resolve_import: Callable[[str, "resolve.Import", "resolve.RepoFiles"], list[str]] = resolve.no_files


TEXT_FORMATS: tuple[TextFormat, ...] = (
    TextFormat("protobuf", (".proto",), resolve.path_import),
    TextFormat("yacc", (".y", ".yy", ".ypp")),
    TextFormat("lex", (".l",)),  # (not `.ll`: LLVM's IR more often than Flex's C++ scanners)
    TextFormat("antlr", (".g4",), resolve.antlr_import),
    # server-side templates (graph/parse_template.py): an `.html` file only when it reads as one
    TextFormat(TEMPLATE, resolve.TEMPLATE_EXTENSIONS, resolve.template_import),
)

BY_NAME: dict[str, LanguageSpec | TextFormat] = {spec.name: spec for spec in LANGUAGES + TEXT_FORMATS}
_BY_EXTENSION = {ext: spec for spec in LANGUAGES + TEXT_FORMATS for ext in spec.extensions}


def language_for(path: str) -> LanguageSpec | TextFormat | None:
    """The language an extension names; a two-part one first (Laravel's `show.blade.php` is a template,
    not PHP)."""
    slash, dot = path.rfind("/"), path.rfind(".")
    if dot <= slash:
        return None
    before = path.rfind(".", slash + 1, dot)
    if before > slash + 1 and (spec := _BY_EXTENSION.get(path[before:].lower())) is not None:
        return spec
    return _BY_EXTENSION.get(path[dot:].lower())


def is_template(path: str) -> bool:
    """Whether a path names a server-side template (an `.html` one only if its content says so too:
    `language_of`)."""
    spec = language_for(path)
    return spec is not None and spec.name == TEMPLATE


# `.h` is C's and C++'s: a header that uses C++-only syntax is parsed as C++ (torch's 9,289 headers,
# parsed as C, gave 9,011 syntax errors and lost their classes and namespaces)
_CPP_HEADER = re.compile(rb"^[ \t]*(?:namespace\s+[\w:]+\s*\{|template\s*<|using\s+namespace\b|"
                         rb"(?:class|struct)\s+\w+\s*(?:final\s*)?:\s*(?:public|protected|private)\b|"
                         rb"class\s+\w+\s*\{|extern\s+\"C\+\+\")", re.M)


_OBJC_HEADER = re.compile(rb"^[ \t]*@(?:interface|protocol)\s+\w", re.M)
_OBJC_SOURCE = re.compile(rb"^[ \t]*(?:#[ \t]*(?:import|include)\b|@(?:implementation|interface|protocol|end)\b)", re.M)


def language_of(path: str, content: bytes) -> LanguageSpec | TextFormat | None:
    """The language of a file from its extension, and for a `.h` header from its content; None for a
    `.m` that is MATLAB's (scientific repositories keep them), not Objective-C, and for an `.html` page
    that is no template."""
    spec = language_for(path)
    if spec is not None and spec.name == TEMPLATE and not reads_as_template(path, content):
        return None
    if spec is not None and spec.name == "objc" and not _OBJC_SOURCE.search(content):
        return None
    if spec is not None and spec.name == "c" and path.lower().endswith(".h"):
        if _OBJC_HEADER.search(content):
            return BY_NAME["objc"]
        if _CPP_HEADER.search(content):
            return BY_NAME["cpp"]
    return spec


# what makes an `.html` file a template rather than a static page or a build's output: a template tag, an
# expression, or a folder templates live in (a static page of docs or a coverage report has none of these)
_TEMPLATE_SYNTAX = re.compile(rb"\{%-?\s*[a-z]|\{\{[^}\n]{1,200}\}\}|<%[=#-]?\s", re.I)
_TEMPLATE_DIRS = frozenset({"templates", "template", "views", "layouts", "partials", "includes", "_includes",
                            "_layouts", "components"})


def reads_as_template(path: str, data: bytes) -> bool:
    """Whether an `.html` file is a template: it uses a template tag or expression, or lies in a folder
    templates live in (`templates/`, `views/`, `layouts/`, `partials/`). Other template extensions
    (`.jinja`, `.erb`, `.hbs`, …) always are.

    >>> reads_as_template("docs/_build/index.html", b"<html><body><h1>API</h1></body></html>")
    False
    >>> reads_as_template("hc/templates/base.html", b"<html></html>")
    True
    >>> reads_as_template("site/page.html", b"<p>{{ user.name }}</p>")
    True
    """
    if not path.lower().endswith((".html", ".htm")):
        return True
    folders = path.lower().split("/")[:-1]
    return bool(_TEMPLATE_DIRS.intersection(folders)) or bool(_TEMPLATE_SYNTAX.search(data))


@cache
def compiled(name: str):
    """(parser, query) for a language, built once per process."""
    from tree_sitter import Language, Parser, Query

    spec = BY_NAME[name]
    if spec.script_of:
        return compiled(spec.script_of)
    lang = Language(spec.language_pointer())
    return Parser(lang), Query(lang, spec.query_source())
