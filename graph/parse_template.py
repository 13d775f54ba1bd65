"""Read a server-side template by its tags into a FileSymbols record.

A web application's pages are templates (Django and Jinja `templates/**/*.html`, Rails' `app/views/**/
*.html.erb`, Twig, Handlebars, Liquid, EJS), and a question about what a page shows ("the check's page
does not show its last ping") belongs in one: in the five web applications of sweep 17, 10–23% of the
last 1,000 commits changed templates, stylesheets or configuration and no code. No grammar wheel on PyPI
reads them all, and a question needs little of them: what the page is (its title or first heading, or the
comment that opens it), the macros it defines, and the templates it extends, includes or
renders. Their words (labels, headings, the variables they show) go to BM25 with the file's text, as any
file's do.

>>> fs = parse_template("hc/templates/front/details.html", b'''{% extends "base.html" %}
... {% block title %}Check Details{% endblock %}
... {% block content %}
... {% include "front/last_ping.html" %}
... {% endblock %}
... ''', "0")
>>> fs.doc
'Template of the page "Check Details".'
>>> [i.module for i in fs.imports]
['base.html', 'front/last_ping.html']
"""
from __future__ import annotations

import html
import re
from bisect import bisect_right
from itertools import chain

from graph.languages import TEMPLATE
from graph.paired import blanked, pairs
from graph.parse import clean_comment, comment_doc, line_count
from graph.summary import keyword_weights
from graph.symbols import FUNCTION, Definition, FileSymbols, Import

LANGUAGE = TEMPLATE
# comments: Jinja/Django/Twig/Nunjucks `{# … #}`, Django's `{% comment %}`, ERB/EJS `<%# … %>`, HTML
# `<!-- … -->`, Handlebars/Mustache `{{!-- … --}}` and `{{! … }}`, Blade's `{{-- … --}}`; each opener with its closer
_COMMENT_OPENER = re.compile(r"(?P<jinja>\{#)|(?P<django>\{%-?\s*comment\s*-?%\})|(?P<erb><%#)|(?P<html><!--)"
                             r"|(?P<hbs_long>\{\{!--)|(?P<hbs>\{\{!)|(?P<blade>\{\{--)|(?P<razor>@\*)")
_COMMENT_CLOSER = {"jinja": re.compile(r"#\}"), "django": re.compile(r"\{%-?\s*endcomment\s*-?%\}"), "erb": re.compile("%>"),
                   "html": re.compile("-->"), "hbs_long": re.compile(r"--\}\}"), "hbs": re.compile(r"\}\}"),
                   "blade": re.compile(r"--\}\}"), "razor": re.compile(r"\*@")}
_TAG = re.compile(r"\{%-?\s*(block|endblock|macro|endmacro)\b\s*([A-Za-z_][\w.]*)?", re.I)
_HANDLEBARS_INLINE = re.compile(r"\{\{#\*inline\s+[\"']([^\"']+)[\"']\s*\}\}|\{\{/inline\s*\}\}")
# extends / include / import / from / embed / use / render (Liquid), with the name as a string
_JINJA_IMPORT = re.compile(r"\{%-?\s*(?:extends|include|import|from|embed|use|render|include_relative)\s+"
                           r"[\"']([^\"'{}]+)[\"']", re.I)
# Rails' `render "shared/header"`, `render partial: "form"`, `render(:partial => "form")`, EJS's `include("x")`
_RENDER = re.compile(r"\b(?:render|include)\s*\(?\s*(?:partial:\s*|:partial\s*=>\s*|template:\s*)?[\"']([\w./-]+)[\"']")
_HANDLEBARS_PARTIAL = re.compile(r"\{\{>\s*([\w./-]+)")
# the dialects whose syntax only their own files have: Laravel's Blade, ASP.NET's Razor (views, pages and
# Blazor components)
BLADE, RAZOR = "blade", "razor"
# Blade's `@extends('layouts.app')`, `@include('books.parts.list', [...])`, `@includeFirst(['a', 'b'])`,
# `@component('common.modal')`, and its components: `<x-forms.input>` is `components/forms/input.blade.php`
_BLADE_IMPORT = re.compile(r"@(?:extends|include|includeIf|includeWhen|includeUnless|includeFirst|component|each)"
                           r"\s*\(\s*(?:[^'\"()]{0,200},\s*)?\[?\s*['\"]([\w.:/-]+)['\"]")
_BLADE_COMPONENT = re.compile(r"<x-(?!slot\b|dynamic-component\b)([\w.-]*\w)")
# a Blade directive shows nothing, nor do its arguments: `@if(count($books) > 0)`, `@csrf`, `@endforeach`
# (arguments over lines, one level of calls inside them; bounded, so unclosed ones cost little)
_BLADE_DIRECTIVE = re.compile(r"(?<![\w@])@[A-Za-z]\w*(?:[ \t]*\((?:[^()]|\([^()]{0,200}\)){0,600}\))?")
# what a page is titled: its <title>, its `title` block, its first <h1>
# (Blade's `@section('title', 'Books')` and `@section('title') … @endsection`)
_TITLE_OPENER = re.compile(r"(?P<title><title\b[^<>]{0,200}>)|(?P<block>\{%-?\s*block\s+title\s*-?%\})|(?P<h1><h1\b[^<>]{0,200}>)"
                           r"|(?P<section>@section\(\s*['\"]title['\"]\s*\))|(?P<section_inline>@section\(\s*['\"]title['\"]\s*,)", re.I)
_TITLE_CLOSER = {"title": re.compile("</title>", re.I), "block": re.compile(r"\{%-?\s*endblock\b[^%]{0,100}%\}"),
                 "h1": re.compile("</h1>", re.I), "section": re.compile(r"@(?:endsection|stop)\b"),
                 "section_inline": re.compile(r"\)[ \t]*$", re.M)}
# what a page shows first is below its head; a template's `{% block title %}` is its title
_HEAD_OPENER = re.compile(r"(?P<head><head\b)|(?P<block>\{%-?\s*block\s+title\b)|(?P<section>@section\(\s*['\"]title['\"]\s*\))"
                          r"|(?P<section_inline>@section\(\s*['\"]title['\"]\s*,)", re.I)
_HEAD_CLOSER = {"head": re.compile("</head>", re.I), "block": _TITLE_CLOSER["block"], "section": _TITLE_CLOSER["section"],
                "section_inline": _TITLE_CLOSER["section_inline"]}
# Razor: `Layout = "_Layout";`, `<partial name="_LoginPartial" />`, `@await Html.PartialAsync("_Cart")`;
# in a Blazor component, the components it uses (`<RedirectToLogin />` is `RedirectToLogin.razor`)
_RAZOR_IMPORT = re.compile(r"\bLayout\s*=\s*\"([^\"\n]{1,200})\"|<partial\s+name=\"([^\"\n]{1,200})\""
                           r"|\b(?:Partial|PartialAsync|RenderPartial|RenderPartialAsync)\s*\(\s*\"([^\"\n]{1,200})\"")
_RAZOR_COMPONENT = re.compile(r"(?<![\w.])<([A-Z][A-Za-z0-9]{1,100})\b")  # (not a generic's `List<Item>`)
_RAZOR_TITLE = re.compile(r"\b(?:ViewData\[\s*\"Title\"\s*\]|ViewBag\.Title)\s*=\s*\"([^\"\n]{1,200})\"|<PageTitle>([^<>]{1,200})</PageTitle>")
# C# in a page: `@{ … }`, `@code { … }`, `@functions { … }` (braces balanced), line directives (`@model`,
# `@using`, `@inject`, `@page`), control flow with its condition (`@foreach (var item in Model.Items)`)
_RAZOR_BLOCK = re.compile(r"@(?:code|functions)?\s*\{")
_RAZOR_LINE = re.compile(r"^[ \t]*@(?:model|using|inject|page|inherits|implements|layout|namespace|attribute|"
                         r"addTagHelper|removeTagHelper|rendermode|typeparam)\b.*$", re.M)
_RAZOR_CONTROL = re.compile(r"@(?:if|else|for|foreach|while|do|switch|using|lock|try|catch|finally|section|await)\b"
                            r"(?:[ \t]*\((?:[^()]|\([^()]{0,200}\)){0,600}\))?")
# `@Model.Basket.Total` shows the total; a call (`@Html.DisplayFor(…)`, `@RenderBody()`), `@ViewData[…]`
# and `@:` show no words of their own
_RAZOR_VALUE = re.compile(r"@:|@\(?([A-Za-z_][\w.]*)(\[[^\]\n]{0,100}\]|\((?:[^()]|\([^()]{0,200}\)){0,300}\))?")
_PREAMBLE = re.compile(r"\{%-?\s*(?:extends|load)\b[^%]{0,500}%\}|@extends\s*\([^()\n]{0,300}\)"
                       r"|@(?:page|model|using|inject|inherits|layout|namespace|attribute)\b[^\n]{0,300}")
# markup around what a page shows: an expression shows a value (named by what it shows), the rest nothing
_MARKUP_OPENER = re.compile(r"(?P<value>\{\{|<%=)|(?P<raw>\{!!)|(?P<tag>\{%)|(?P<comment>\{#)|(?P<erb><%)"
                            r"|(?P<script><script\b)|(?P<style><style\b)|(?P<element></?[A-Za-z!])", re.I)
_MARKUP_CLOSER = {"value": re.compile(r"\}\}|%>"), "raw": re.compile(r"!!\}"), "tag": re.compile(r"%\}"), "comment": re.compile(r"#\}"),
                  "erb": re.compile("%>"), "script": re.compile("</script>", re.I), "style": re.compile("</style>", re.I),
                  "element": re.compile(">")}
_VALUE = re.compile(r"[A-Za-z_@][\w.]*")
_BRACE = re.compile(r"[{}]")
_PHP_VARIABLE = re.compile(r"(?<=\$)[A-Za-z_][\w.]*")  # `Str::limit($book->description)` shows the description
# a translated string shows its text (`{{ _("Save changes") }}`) or, looked up by a key, the key's last
# part (`{{ trans('entities.books_create') }}`: "books create")
_TRANSLATED = re.compile(r"^\s*(?:_|__|gettext|trans|trans_choice|lang|t)\s*\(\s*['\"]([^'\"]{1,300})['\"]")
_WORD = re.compile(r"[^\W\d_]{2,}")
_SHOWN_WORDS = 12
_MAX_DEPTH = 64


def parse_template(path: str, source: bytes, sha256: str) -> FileSymbols:
    if path.lower().endswith((".pug", ".jade")):  # indentation, not tags: read by its lines
        from graph.parse_pug import parse_pug

        return parse_pug(path, source, sha256)
    text = source.decode("utf-8", "replace").replace("\ufeff", " ", 1)  # a byte-order mark shows nothing
    newlines = [i for i, c in enumerate(text) if c == "\n"]
    line_of = lambda pos: bisect_right(newlines, pos - 1) + 1  # noqa: E731  (1-based)
    found = list(pairs(text, _COMMENT_OPENER, _COMMENT_CLOSER))
    comments = [(m.start(), text[m.end():c.start()]) for m, c in found]
    code = blanked(text, [(m.start(), c.end()) for m, c in found])  # the same lines, comments blanked
    definitions = _definitions(code, line_of)
    dialect = _dialect(path)
    fs = FileSymbols(path=path, language=LANGUAGE, sha256=sha256, lines=line_count(source),
                     doc=_file_doc(comments, code, dialect), definitions=definitions,
                     imports=_imports(code, line_of, dialect, path.lower().endswith(".razor")))
    fs.keyword_weights = keyword_weights(fs)
    return fs


def _dialect(path: str) -> str:
    lowered = path.lower()
    return BLADE if lowered.endswith(".blade.php") else RAZOR if lowered.endswith((".cshtml", ".razor")) else ""


def _definitions(code: str, line_of) -> list[Definition]:
    """Macros (Jinja, Twig, Nunjucks) and Handlebars' inline partials, each to its end tag. Blocks are
    not definitions: a page's `{% block content %}` is most of its text, and as a definition it matched a
    question twice over (BM25 over the file and over its definitions). In healthchecks, questions about
    code lost their answer from the first five to a template 14 times in 246 with them."""
    # each open tag: (name, subkind, start line, parent, qualname, the definition a tag inside it belongs to)
    found, stack = [], []
    events = sorted([(m.start(), m.group(1).lower(), m.group(2)) for m in _TAG.finditer(code)]
                    + [(m.start(), "inline" if m.group(1) else "endinline", m.group(1)) for m in _HANDLEBARS_INLINE.finditer(code)])
    for at, tag, name in events:
        if tag in ("block", "macro", "inline") and name:
            # past a depth no page reaches (a run of tags never closed) a tag nests no deeper: each
            # qualname would hold every name above it
            parent = stack[-1][5] if stack and len(stack) < _MAX_DEPTH else None
            qualname = f"{parent}.{name}" if parent else name
            stack.append((name, tag, line_of(at), parent, qualname, parent if tag == "block" else qualname))
        elif tag.startswith("end") and stack:  # `{% endblock %}` closes the innermost open tag
            found.append(stack.pop()[:5] + (line_of(at),))
    end = line_of(len(code))
    found += [opened[:5] + (end,) for opened in stack]  # never closed: to the end of the file
    return sorted((Definition(name=name, qualname=qualname, kind=FUNCTION, subkind=subkind, start_line=start,
                              end_line=last, parent=parent)
                   for name, subkind, start, parent, qualname, last in found if subkind != "block"),
                  key=lambda d: (d.start_line, d.qualname))


def _imports(code: str, line_of, dialect: str = "", component_file: bool = False) -> list[Import]:
    found = [(m.start(), m.group(1)) for pattern in (_JINJA_IMPORT, _RENDER, _HANDLEBARS_PARTIAL)
             for m in pattern.finditer(code)]
    if dialect == BLADE:
        found += [(m.start(), m.group(1)) for m in _BLADE_IMPORT.finditer(code)]
        found += [(m.start(), "components." + m.group(1)) for m in _BLADE_COMPONENT.finditer(code)]
    if dialect == RAZOR:
        found += [(m.start(), next(g for g in m.groups() if g)) for m in _RAZOR_IMPORT.finditer(code)]
        found += [(m.start(), m.group(1) + ".razor") for m in _RAZOR_COMPONENT.finditer(code) if component_file]
    first = {}
    for at, name in sorted(found):  # (`{% include "x" %}` is also read as an EJS `include "x"`: once each)
        first.setdefault(name.strip(), at)
    return [Import(name, (), line_of(at)) for name, at in first.items()]


def _file_doc(comments: list[tuple[int, str]], code: str, dialect: str = "") -> str:
    """The comment that opens the template (above anything but `extends` and `load` tags), when it reads as
    prose; else what the page is titled (its `<title>`, its `title` block or its first `<h1>`), else the
    first words it shows: what a user asking about the page would quote."""
    opening = _PREAMBLE.sub(lambda m: " " * len(m.group(0)), code)
    first_content = len(opening) - len(opening.lstrip())
    for at, body in comments:
        doc = comment_doc(clean_comment(body)) if at < first_content else ""
        if doc:
            return doc
    # (Blade's `@section('title', trans('entities.books'))` holds an expression; a Razor page sets its
    # title in its code: `ViewData["Title"] = "Basket";`)
    titles = (_shown("{{%s}}" % code[m.end():c.start()] if m.lastgroup == "section_inline" else code[m.end():c.start()], dialect)
              for m, c in pairs(code, _TITLE_OPENER, _TITLE_CLOSER))
    if dialect == RAZOR:
        titles = chain((m.group(1) or m.group(2) for m in _RAZOR_TITLE.finditer(code)), titles)
        code = blanked(code, _razor_code(code))
    title = next((t for t in (t.strip(" -|–—:'") for t in titles) if _WORD.search(t)), "")
    words = _shown(blanked(code, [(m.start(), c.end()) for m, c in pairs(code, _HEAD_OPENER, _HEAD_CLOSER)]), dialect).split()
    return page_summary(title, words)


def page_summary(title: str, words: list[str]) -> str:
    """`Template of the page "TITLE", showing "the first twelve words …".`: what a user asking about the
    page would quote (either part left out when there is none)."""
    if title and words[:len(title.split())] == title.split():  # the first heading repeats the title
        words = words[len(title.split()):]
    shown = " ".join(words[:_SHOWN_WORDS]) + (" …" if len(words) > _SHOWN_WORDS else "")
    shown = shown if _WORD.search(shown) else ""
    if title:
        return f'Template of the page "{title}"' + (f', showing "{shown}".' if shown else ".")
    return f'Template showing "{shown}".' if shown else ""


def _razor_code(code: str) -> list[tuple[int, int]]:
    """The spans of a Razor page's code blocks (`@{ … }`, `@code { … }`), their braces balanced: one pass
    over the text, a block never closed running to its end."""
    spans, at = [], 0
    while (m := _RAZOR_BLOCK.search(code, at)) is not None:
        depth, end = 1, len(code)
        for brace in _BRACE.finditer(code, m.end()):
            depth += 1 if brace.group() == "{" else -1
            if depth == 0:
                end = brace.end()
                break
        spans.append((m.start(), end))
        at = end
    return spans


def _shown(fragment: str, dialect: str = "") -> str:
    """The text a fragment of a template shows: markup out (and Blade's directives), each expression the
    name of what it shows (`{{ check.last_ping|naturaltime }}`, `{{ $check->last_ping }}`: "last ping";
    `{{ _("Save") }}`: "Save"), quotes out."""
    if dialect == BLADE:  # (PHP's `$book->name` and `'a' => 1` are no end of an element)
        fragment = _BLADE_DIRECTIVE.sub(" ", fragment).replace("->", "..").replace("=>", "= ")
    if dialect == RAZOR:  # (C#'s `m => m.Price` is no end of an element either)
        fragment = _RAZOR_CONTROL.sub(" ", _RAZOR_LINE.sub(" ", fragment)).replace("=>", "= ")
        fragment = _RAZOR_VALUE.sub(lambda m: " " + ("" if m.group(2) or not m.group(1) else m.group(1).rsplit(".", 1)[-1]) + " ", fragment)
        fragment = re.sub(r"[{};]", " ", fragment)
    parts, at = [], 0
    for m, c in pairs(fragment, _MARKUP_OPENER, _MARKUP_CLOSER):
        parts.append(fragment[at:m.start()])
        parts.append(" " + (_expression_shows(fragment[m.end():c.start()]) if m.lastgroup in ("value", "raw") else "") + " ")
        at = c.end()
    text = html.unescape("".join(parts) + fragment[at:])
    return " ".join(text.replace('"', " ").split())


def _expression_shows(expression: str) -> str:
    """What an expression shows, in words: a translated string's text or its key's last part, else the
    last name of the value (`$book->cover_url`: "cover url").

    >>> _expression_shows(" trans('entities.books_create') "), _expression_shows(' _("Save changes") ')
    ('books create', 'Save changes')
    >>> _expression_shows(" $book->cover_url "), _expression_shows(" check.last_ping|naturaltime ")
    ('cover url', 'last ping')
    """
    last_name = lambda dotted: dotted.rsplit(".", 1)[-1].replace("_", " ").strip()  # noqa: E731
    translated = _TRANSLATED.match(expression)
    if translated:
        text = translated.group(1)
        return text if " " in text.strip() else last_name(text)
    expression = expression.replace("->", ".")
    value = _PHP_VARIABLE.search(expression) or _VALUE.search(expression)
    return last_name(value.group(0)) if value else ""
