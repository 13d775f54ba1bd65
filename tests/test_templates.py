"""Server-side templates as modules: what a page shows belongs in its template (graph/parse_template.py)."""
from __future__ import annotations

from pathlib import Path

import pytest

from graph.history import is_source
from graph.languages import BY_NAME, language_of
from graph.parse import parse_source
from graph.resolve import RepoFiles
from graph.symbols import Import
from graph.walk import walk
from rag.engine import Engine

TEMPLATE = BY_NAME["template"]


def parsed(path: str, source: str):
    return parse_source(path, source.encode(), language_of(path, source.encode()), "0")


def indexed_modules(root: Path, files: dict[str, str] | None = None) -> dict:
    """Write these files under `root`, index it, and return its modules by id."""
    from graph.indexer import load_modules
    from graph.store import IndexStore

    for path, text in (files or {}).items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)
    Engine.open(str(root))
    store = IndexStore(str(root / ".rag"))
    return {m.id: m for m in load_modules(store, store.manifest())}


def test_a_django_template_is_what_it_extends_and_includes_and_its_blocks_are_no_definitions():
    fs = parsed("hc/templates/front/details.html", """{% extends "base.html" %}
{% load humanize %}
{# The page of one check: its schedule, its pings and its integrations. #}
{% block title %}{{ check.name_then_code }} - Details{% endblock %}
{% block content %}
  <h2>Last Ping</h2> {{ check.last_ping|naturaltime }}
  {% include "front/log_row.html" with event=e %}
  {% block sidebar %}{% endblock sidebar %}
{% endblock content %}
""")
    assert fs.language == "template"
    assert fs.doc == "The page of one check: its schedule, its pings and its integrations."
    assert fs.definitions == []  # a page's blocks are most of its text: matched twice over as definitions
    assert [i.module for i in fs.imports] == ["base.html", "front/log_row.html"]


def test_a_template_without_an_opening_comment_is_summed_up_by_its_title_or_first_words():
    titled = parsed("app/templates/log.html", "<html><head><title>Event Log - {{ site_name }}</title></head><body>x</body></html>")
    assert titled.doc == 'Template of the page "Event Log - site name".'
    untitled = parsed("app/templates/emails/down.html",
                      '<p>Hello! The check "{{ check.name }}" is <b>DOWN</b> since {{ check.went_down_at }}.</p>')
    assert untitled.doc == 'Template showing "Hello! The check name is DOWN since went down at .".'
    long = parsed("app/templates/about.html", "<p>" + "word " * 30 + "</p>")
    assert long.doc == 'Template showing "' + "word " * 12 + '…".'
    # a licence or a lone word above the markup is no summary
    assert parsed("t/templates/a.html", "{# MIT License #}<h1>Billing</h1>").doc == 'Template of the page "Billing".'


def test_jinja_macros_and_handlebars_partials_are_definitions():
    macros = parsed("app/templates/forms.jinja", """{% block form %}{% macro field(name, label) %}
<label>{{ label }}</label><input name="{{ name }}">
{% endmacro %}{% endblock %}
""")
    assert [(d.qualname, d.subkind, d.start_line, d.end_line) for d in macros.definitions] == [("field", "macro", 1, 3)]
    hbs = parsed("src/views/cart.hbs", '{{#*inline "row"}}<tr>{{name}}</tr>{{/inline}}\n{{> header}}\n{{> shared/footer }}')
    assert [(d.qualname, d.subkind) for d in hbs.definitions] == [("row", "inline")]
    assert [i.module for i in hbs.imports] == ["header", "shared/footer"]


def test_rails_views_render_their_partials():
    view = parsed("app/views/posts/edit.html.erb", """<%# Edit a post. %>
<h1>Editing <%= @post.title %></h1>
<%= render "form", post: @post %>
<%= render partial: "shared/errors", locals: {model: @post} %>
""")
    assert view.language == "template"
    assert [i.module for i in view.imports] == ["form", "shared/errors"]
    files = RepoFiles.of(["app/views/posts/edit.html.erb", "app/views/posts/_form.html.erb",
                          "app/views/shared/_errors.html.erb", "app/views/comments/_form.html.erb"])
    assert [TEMPLATE.resolve_import(view.path, i, files) for i in view.imports] == [
        ["app/views/posts/_form.html.erb"], ["app/views/shared/_errors.html.erb"]]


def test_a_template_name_resolves_below_any_template_folder():
    files = RepoFiles.of(["hc/templates/base.html", "hc/templates/front/details.html", "docs/templates/base.html"])
    assert TEMPLATE.resolve_import("hc/templates/front/details.html", Import("base.html"), files) == ["hc/templates/base.html"]
    assert TEMPLATE.resolve_import("hc/templates/front/details.html", Import("missing.html"), files) == []


@pytest.mark.parametrize("path, content, indexed", [
    ("docs/_static/page.html", b"<html><body><h1>API reference</h1></body></html>", False),  # a static page
    ("report/index.html", b"<html>" + b"<td>covered</td>" * 50 + b"</html>", False),  # a build's output
    ("hc/templates/base.html", b"<html><body></body></html>", True),  # in a folder templates live in
    ("site/page.html", b"<p>{% if user %}{{ user.name }}{% endif %}</p>", True),  # template syntax
    ("app/views/posts/show.html.erb", b"<h1>Post</h1>", True),  # a template's own extension
])
def test_an_html_file_is_indexed_only_as_a_template(tmp_path, path, content, indexed):
    assert (language_of(path, content) is TEMPLATE) is indexed
    (tmp_path / path).parent.mkdir(parents=True)
    (tmp_path / path).write_bytes(content)
    assert [f.path for f in walk(str(tmp_path)).files] == ([path] if indexed else [])


def test_a_commit_changing_a_template_changed_a_source_file():
    assert is_source("hc/templates/front/details.html") and is_source("app/views/posts/show.html.erb")
    assert not is_source("site/page.html")  # whether it is a template, its path alone does not say
    assert not is_source("tests/templates/page.html")  # a test's


def write_app(root: Path) -> None:
    """A small Django-style app: views, a model, a page template and its base."""
    (root / "checks" / "templates" / "checks").mkdir(parents=True)
    (root / "checks" / "views.py").write_text('''"""Views of the checks: list, details, pause."""
from django.shortcuts import render


def details(request, code):
    """One check's page."""
    return render(request, "checks/details.html", {"check": load(code)})


def pause(request, code):
    """Pause a check: it sends no alerts until its next ping."""
    load(code).pause()
''')
    (root / "checks" / "models.py").write_text('''"""A check: a job that pings, and when it last did."""


class Check:
    def pause(self):
        self.status = "paused"
''')
    (root / "checks" / "templates" / "checks" / "details.html").write_text('''{% extends "base.html" %}
{% block title %}Check Details{% endblock %}
{% block content %}
<table>
  <tr><th>Last ping</th><td>{{ check.last_ping|naturaltime }}</td></tr>
  <tr><th>Schedule</th><td>{{ check.schedule }}</td></tr>
</table>
{% endblock %}
''')
    (root / "checks" / "templates" / "base.html").write_text("<html><body>{% block content %}{% endblock %}</body></html>")


def test_a_question_about_what_a_page_shows_is_answered_by_its_template(tmp_path):
    write_app(tmp_path)
    engine = Engine.open(str(tmp_path))
    # the words a page shows, quoted: where they are shown
    assert engine.ask('the "Last ping" row of the details table shows no schedule').answer.module == \
        "checks/templates/checks/details.html"
    assert engine.ask("pausing a check sets its status").answer.module == "checks/models.py"


def test_a_question_naming_a_template_names_that_file():
    from rag.retrieval.question import parse_query

    known = frozenset(["app/views/posts/show.html.erb", "hc/templates/front/details.html", "hc/front/views.py"])
    assert parse_query("show.html.erb renders the wrong date", known).module_files == ["app/views/posts/show.html.erb"]
    assert parse_query("TemplateSyntaxError at hc/templates/front/details.html, line 3", known).mentioned_files == \
        ["hc/templates/front/details.html"]


def test_an_opener_never_closed_is_looked_for_once_not_once_per_opener():
    """A lazy `.*?` between an opener and its closer scans to the end again from every opener no closer
    follows: a 90 kB page of unclosed `{#` took 41 s to read. Each kind is searched for once."""
    import re

    from graph.paired import pairs

    searched = []

    class Counting:
        def __init__(self, pattern):
            self.pattern = re.compile(pattern)

        def search(self, text, pos):
            searched.append(pos)
            return self.pattern.search(text, pos)

    text = "{# a " * 1000 + "<!-- b --> {# c"
    opener = re.compile(r"(?P<jinja>\{#)|(?P<html><!--)")
    pairs = list(pairs(text, opener, {"jinja": Counting(r"#\}"), "html": Counting("-->")}))
    assert [text[m.end():c.start()] for m, c in pairs] == [" b "]
    assert len(searched) == 2  # one closer search per kind
    # and a page of them is read, its comment-like text kept as text
    fs = parsed("app/templates/broken.html", "<h1>Orders</h1>" + "{# x " * 3000)
    assert fs.doc.startswith('Template of the page "Orders"')


def test_a_view_imports_the_template_it_renders_and_the_template_says_so(tmp_path):
    write_app(tmp_path)
    (tmp_path / "checks" / "forms.py").write_text('''"""Forms: a field macro's name is no function of the code."""


def field(name):
    return name
''')
    (tmp_path / "checks" / "templates" / "checks" / "macros.html").write_text(
        "{% macro field(name) %}<input name='{{ name }}'>{% endmacro %}")
    (tmp_path / "checks" / "views.py").write_text((tmp_path / "checks" / "views.py").read_text() + '''

from checks.forms import field


def edit(request):
    """Edit a check."""
    return render(request, "checks/macros.html", {"name": field("x")})
''')
    modules = indexed_modules(tmp_path)
    assert set(modules["checks/views.py"].imports) >= {"checks/templates/checks/details.html",
                                                        "checks/templates/checks/macros.html", "checks/forms.py"}
    assert modules["checks/templates/checks/details.html"].imported_by == ["checks/views.py"]
    assert "Imported by: checks/views.py" in modules["checks/templates/checks/details.html"].summary


def test_code_links_only_to_templates_of_its_own_role(tmp_path):
    """flask's source names `hello.html` in its docstrings; only its examples and tests have one."""
    (tmp_path / "src" / "app").mkdir(parents=True)
    (tmp_path / "src" / "app" / "templating.py").write_text('''def render_template(name):
    """Render a template: `render_template("hello.html")`."""
    return name
''')
    (tmp_path / "examples" / "templates").mkdir(parents=True)
    (tmp_path / "examples" / "templates" / "hello.html").write_text("<h1>Hello {{ name }}</h1>")
    (tmp_path / "examples" / "app.py").write_text('render_template("hello.html")\n')
    modules = indexed_modules(tmp_path)
    assert modules["examples/templates/hello.html"].imported_by == ["examples/app.py"]
    assert modules["src/app/templating.py"].imports == []


def test_a_rails_controller_and_mailer_render_their_views_by_convention(tmp_path):
    modules = indexed_modules(tmp_path, {
        "app/controllers/posts_controller.rb": "class PostsController < ApplicationController\n  def edit\n  end\nend\n",
        "app/controllers/admin/users_controller.rb": "class Admin::UsersController < ApplicationController\nend\n",
        "app/mailers/digest_mailer.rb": "class DigestMailer < ApplicationMailer\nend\n",
        "app/views/posts/edit.html.erb": "<h1>Editing a post</h1>",
        "app/views/posts/_form.html.erb": "<form></form>",
        "app/views/admin/users/index.html.erb": "<h1>Users</h1>",
        "app/views/digest_mailer/weekly.text.erb": "This week's stories",
        "app/views/comments/edit.html.erb": "<h1>Editing a comment</h1>",
    })
    assert modules["app/controllers/posts_controller.rb"].imports == ["app/views/posts/_form.html.erb", "app/views/posts/edit.html.erb"]
    assert modules["app/controllers/admin/users_controller.rb"].imports == ["app/views/admin/users/index.html.erb"]
    assert modules["app/mailers/digest_mailer.rb"].imports == ["app/views/digest_mailer/weekly.text.erb"]
    assert modules["app/views/comments/edit.html.erb"].imported_by == []


def test_a_blade_view_is_a_template_not_php_and_names_its_layout_partials_and_components():
    fs = parsed("resources/views/books/edit.blade.php", """@extends('layouts.simple')
{{-- Edit a book: its name, description and cover. --}}
@section('body')
    @include('entities.breadcrumbs', ['crumbs' => [
        $book, $book->getUrl('/edit') => ['text' => trans('entities.books_edit')],
    ]])
    <x-forms.input name="name" />
    <x-slot name="footer">@includeFirst(['books.custom-footer', 'books.footer'])</x-slot>
@stop
""")
    assert fs.language == "template" and language_of("app/Models/Book.php", b"<?php") is BY_NAME["php"]
    assert fs.doc == "Edit a book: its name, description and cover."
    assert [i.module for i in fs.imports] == ["layouts.simple", "entities.breadcrumbs", "components.forms.input",
                                              "books.custom-footer"]
    files = RepoFiles.of(["resources/views/layouts/simple.blade.php", "resources/views/entities/breadcrumbs.blade.php",
                          "resources/views/components/forms/input.blade.php", "resources/views/books/edit.blade.php"])
    assert [TEMPLATE.resolve_import(fs.path, i, files) for i in fs.imports] == [
        ["resources/views/layouts/simple.blade.php"], ["resources/views/entities/breadcrumbs.blade.php"],
        ["resources/views/components/forms/input.blade.php"], []]
    assert is_source("resources/views/books/edit.blade.php")


def test_a_blade_page_is_summed_up_by_what_it_shows_not_by_its_directives_or_php():
    fs = parsed("resources/views/books/show.blade.php", """@extends('layouts.tri')
@section('title', trans('entities.books_show'))
@section('body')
    <meta content="{{ Str::limit($book->description, 100, '...') }}">
    @if(count($bookChildren) > 0)
        <h2>{{ $book->cover_name }}</h2> {!! $book->descriptionHtml() !!}
        @foreach($bookChildren as $child) <span>{{ __('Last updated') }}</span> @endforeach
    @else
        <p>No pages yet</p>
    @endif
@stop
""")
    assert fs.doc == 'Template of the page "books show", showing "cover name descriptionHtml Last updated No pages yet".'


def test_laravel_code_and_express_code_render_views_named_without_their_extension(tmp_path):
    modules = indexed_modules(tmp_path, {
        "app/Http/Controllers/BookController.php": "<?php\nclass BookController {\n  public function show() {\n"
                                                   "    return view('books.show', ['book' => 1]);\n  }\n}\n",
        "routes/web.php": "<?php\nRoute::view('/about', 'about');\n",
        "resources/views/books/show.blade.php": "<h1>{{ $book->name }}</h1>",
        "resources/views/about.blade.php": "<h1>About this wiki</h1>",
        "controllers/user.js": "exports.getLogin = (req, res) => {\n  res.render('account/login', { title: 'Login' });\n};\n",
        "views/account/login.ejs": "<h3>Sign in</h3>",
    })
    assert modules["resources/views/books/show.blade.php"].imported_by == ["app/Http/Controllers/BookController.php"]
    assert modules["resources/views/about.blade.php"].imported_by == ["routes/web.php"]
    assert modules["views/account/login.ejs"].imported_by == ["controllers/user.js"]


@pytest.mark.parametrize("path, text", [
    ("resources/views/x.blade.php", "@if(" * 30_000 + "{{ $a->b }}"),  # directives never closed
    ("views/x.pug", "mixin a\n" * 30_000),  # each mixin ends where the next begins: found in one pass
    ("Views/x.cshtml", "@{ {" * 30_000),  # C# blocks never closed: their braces followed once
    ("Views/x.cshtml", "@foreach (" * 30_000 + "@Model.Name"),
])
def test_many_directives_or_mixins_are_read_in_linear_time(path, text):
    import time

    started = time.perf_counter()
    fs = parsed(path, text)
    assert time.perf_counter() - started < 5 and fs.language == "template"


def test_a_pug_view_is_read_by_its_lines():
    fs = parsed("views/account/profile.pug", """extends ../layout
//- The account page: profile information, password, linked accounts.
block content
  script.
    var secret = "not shown";
  h3 Profile Information
  +field('email')
  mixin field(name)
    label(for=name)= name
    input.form-control(type='text', name=name)
  if user.profile.picture
    img(src=user.profile.picture)
  p Change #[strong your] password below.
  include ../partials/linked
""")
    assert fs.language == "template"
    assert fs.doc == "The account page: profile information, password, linked accounts."
    assert [i.module for i in fs.imports] == ["../layout", "../partials/linked"]
    assert [(d.name, d.start_line, d.end_line) for d in fs.definitions] == [("field", 8, 10)]
    untitled = parsed("views/account/profile.pug", "block content\n  script.\n    alert('x')\n"
                      "  h3 Profile Information\n  p Change #[strong your] password below.\n  p= user.email\n")
    assert untitled.doc == 'Template of the page "Profile Information", showing "Change your password below. email".'


def test_an_express_controller_renders_its_pug_views_and_they_extend_their_layout(tmp_path):
    modules = indexed_modules(tmp_path, {
        "controllers/user.js": "exports.getLogin = (req, res) => {\n  res.render('account/login', { title: 'Login' });\n};\n",
        "views/layout.pug": "doctype html\nhtml\n  body\n    include partials/header\n    block content\n",
        "views/partials/header.pug": "nav\n  a(href='/') Home\n",
        "views/account/login.pug": "extends ../layout\nblock content\n  h3 Sign in\n",
    })
    assert modules["views/account/login.pug"].imported_by == ["controllers/user.js"]
    assert modules["views/account/login.pug"].imports == ["views/layout.pug"]
    assert modules["views/layout.pug"].imports == ["views/partials/header.pug"]


def test_a_razor_view_is_summed_up_by_its_title_and_text_not_its_csharp():
    fs = parsed("src/Web/Views/Order/MyOrders.cshtml", """\ufeff@model IEnumerable<OrderViewModel>
@{
    ViewData["Title"] = "My Order History";
    var total = Model.Sum(o => o.Total);  // code, not text
}
<h2>@ViewData["Title"]</h2>
@foreach (var order in Model)
{
    <span>Order number</span> @order.OrderNumber <span>@Html.DisplayFor(m => order.Status)</span>
}
<partial name="_StatusMessage" />
""")
    assert fs.language == "template"
    assert fs.doc == 'Template of the page "My Order History", showing "Order number OrderNumber".'
    assert [i.module for i in fs.imports] == ["_StatusMessage"]
    commented = parsed("src/Web/Pages/Privacy.cshtml", "@page\n@* The privacy policy, as the lawyers wrote it. *@\n<p>Use this page</p>")
    assert commented.doc == "The privacy policy, as the lawyers wrote it."


def test_aspnet_controllers_code_behind_and_components_link_to_their_views(tmp_path):
    modules = indexed_modules(tmp_path, {
        "src/Web/Controllers/OrderController.cs": "namespace Web.Controllers;\npublic class OrderController {\n"
                                                  "    public object MyOrders() => View();\n}\n",
        "src/Web/Views/Order/MyOrders.cshtml": "@{ Layout = \"_Layout\"; }\n<h2>My Order History</h2>",
        "src/Web/Views/Shared/_Layout.cshtml": "<title>eShop</title>@RenderBody()",
        "src/Web/Pages/Basket/Index.cshtml": "@page\n@model IndexModel\n<h1>Basket</h1>",
        "src/Web/Pages/Basket/Index.cshtml.cs": "namespace Web.Pages.Basket;\npublic class IndexModel {\n"
                                                "    public void OnGet() { }\n}\n",
        "src/Admin/Pages/Edit.razor": "<h3>Edit</h3>\n<Spinner />\n<EditForm Model=\"@item\"></EditForm>",
        "src/Admin/Shared/Spinner.razor": "<div class=\"spinner\">Loading</div>",
    })
    assert modules["src/Web/Views/Order/MyOrders.cshtml"].imported_by == ["src/Web/Controllers/OrderController.cs"]
    assert modules["src/Web/Views/Order/MyOrders.cshtml"].imports == ["src/Web/Views/Shared/_Layout.cshtml"]
    assert modules["src/Web/Pages/Basket/Index.cshtml"].imported_by == ["src/Web/Pages/Basket/Index.cshtml.cs"]
    assert modules["src/Admin/Pages/Edit.razor"].imports == ["src/Admin/Shared/Spinner.razor"]
