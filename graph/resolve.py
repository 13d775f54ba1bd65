"""Resolve an import as written to files of the repository, one function per language family.

Each resolver returns the repo-relative paths the import points to, or [] when it is external
(standard library, third-party package) or cannot be told from the source alone.
"""
from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass, field

from graph.package_manifests import PackageFolders
from graph.symbols import Import


@dataclass
class RepoFiles:
    """The set of indexed paths, with look-ups the resolvers need."""

    paths: frozenset[str]
    by_suffix: dict[str, list[str]] = field(default_factory=dict)  # "b/c.py" -> ["a/b/c.py", "b/c.py", ...]
    by_dir: dict[str, list[str]] = field(default_factory=dict)
    packages: PackageFolders = PackageFolders()  # the repository's own packages by name (go.mod, package.json, Cargo.toml)
    dirs_by_suffix: dict[str, list[str]] = field(default_factory=dict)  # "com/shop" -> ["src/main/java/com/shop", …]

    @classmethod
    def of(cls, paths, packages: PackageFolders = PackageFolders()) -> RepoFiles:
        by_suffix, by_dir, dirs_by_suffix = defaultdict(list), defaultdict(list), defaultdict(list)
        for p in sorted(paths, key=lambda p: (p.count("/"), p)):  # shortest first, as ending_with promises
            for suffix in _suffixes(p):
                by_suffix[suffix].append(p)
            by_dir[posixpath.dirname(p)].append(p)
        for d in sorted(by_dir):  # a wildcard import's package looked up, not searched for in every path
            for suffix in _suffixes(d):
                dirs_by_suffix[suffix].append(d)
        return cls(frozenset(paths), dict(by_suffix), dict(by_dir), packages, dict(dirs_by_suffix))

    def ending_with(self, suffix: str) -> list[str]:
        """Paths equal to `suffix` or ending with `/suffix`, shortest first."""
        return list(self.by_suffix.get(suffix, ()))

    def folders_ending_with(self, suffix: str) -> list[str]:
        """Folders holding indexed files, equal to `suffix` or ending with `/suffix`, in path order."""
        return list(self.dirs_by_suffix.get(suffix, ()))


def _suffixes(path: str) -> list[str]:
    """`a/b/c.py`, `b/c.py`, `c.py`: the path and each of its tails."""
    parts = path.split("/")
    return ["/".join(parts[i:]) for i in range(len(parts))]


def _closest(hits: list[str], importer: str) -> list[str]:
    """Among equally good matches prefer the one sharing the longest directory prefix."""
    if len(hits) <= 1:
        return hits
    def shared(p: str) -> int:
        return len(posixpath.commonpath([posixpath.dirname(p) or ".", posixpath.dirname(importer) or "."]) or "")
    return [max(hits, key=lambda p: (shared(p), -p.count("/")))]


def _first_existing(files: RepoFiles, candidates) -> list[str]:
    for c in candidates:
        c = posixpath.normpath(c)
        if c in files.paths:
            return [c]
    return []


# --- Python -----------------------------------------------------------------------------------

def _python_module_files(dotted_path: str, files: RepoFiles, importer: str) -> list[str]:
    """An absolute import found under a directory that can be on sys.path (the repo root, `src/`, a
    scripts folder) before one found inside another package: flask's `tests/test_apps/cliapp/inner1/
    inner2/flask.py` is not what `import flask` means while `src/flask/__init__.py` exists."""
    suffixes = (dotted_path + ".py", dotted_path + "/__init__.py", dotted_path + ".pyi")
    for rooted_only in (True, False):
        for suffix in suffixes:
            hits = [p for p in files.ending_with(suffix)
                    if not rooted_only or not _inside_package(p[: len(p) - len(suffix)], files)]
            if hits:
                return _closest(hits, importer)
    return []


def _inside_package(directory: str, files: RepoFiles) -> bool:
    """Whether a directory ("a/b/", or "" for the root) is itself a Python package."""
    return bool(directory) and f"{directory}__init__.py" in files.paths


def python_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    module = imp.module
    if module.startswith("."):
        level = len(module) - len(module.lstrip("."))
        base = posixpath.dirname(importer)
        for _ in range(level - 1):
            base = posixpath.dirname(base)
        rest = module[level:].replace(".", "/")
        stem = posixpath.join(base, rest) if rest else base
        found = []
        for name in imp.names or ("",):
            target = posixpath.join(stem, name) if name else stem
            found += _first_existing(files, (target + ".py", target + "/__init__.py")) \
                or _first_existing(files, (stem + ".py", stem + "/__init__.py",
                                           stem + ".pyi", stem + "/__init__.pyi"))  # a compiled module's stub (`from ._core import X`)
        return sorted(set(found))
    path = module.replace(".", "/")
    found = []
    for name in imp.names:  # `from pkg import submodule` points at the submodule when there is one
        found += _python_module_files(f"{path}/{name}", files, importer)
    if not found:
        found = _python_module_files(path, files, importer)
    return sorted(set(found))


# --- JavaScript / TypeScript ------------------------------------------------------------------

_JS_EXTENSIONS = (".ts", ".tsx", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts", ".d.ts", ".vue", ".svelte")


def js_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`./cart` from the importing file's folder; `@tanstack/query-core` (and `…/query-core/build/x`) from
    the folder of the workspace package of that name, its `src/index` when it names no file; any other
    package name is external."""
    spec = imp.module
    if not spec.startswith("."):
        return _workspace_package(spec, files)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(importer), spec))
    return _js_module(target, files)


def _workspace_package(spec: str, files: RepoFiles) -> list[str]:
    parts = spec.split("/")
    n = 2 if spec.startswith("@") else 1
    folder = files.packages.npm.get("/".join(parts[:n]))
    if folder is None:
        return []  # a dependency
    rest = "/".join(parts[n:])
    if rest:  # a file of the package, as its source or as the build output named after it (`build/modern/x`)
        return _js_module(posixpath.join(folder, rest), files) or _js_module(posixpath.join(folder, "src", rest.split("/")[-1]), files)
    return _js_module(posixpath.join(folder, "src"), files) or _js_module(folder, files) or _js_module(posixpath.join(folder, "lib"), files)


def _js_module(target: str, files: RepoFiles) -> list[str]:
    """The file a module path names: itself, with an extension, or its folder's index."""
    stem = target.rsplit(".", 1)[0] if target.endswith((".js", ".mjs", ".cjs", ".jsx")) else None
    candidates = [target] + [target + e for e in _JS_EXTENSIONS]
    if stem:  # TypeScript sources are imported with the extension of their compiled output
        candidates += [stem + e for e in _JS_EXTENSIONS]
    candidates += [f"{target}/index{e}" for e in _JS_EXTENSIONS]
    return _first_existing(files, candidates)


# --- Java -------------------------------------------------------------------------------------

def java_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    return _jvm_import(importer, imp, files, (".java",))


def _jvm_import(importer: str, imp: Import, files: RepoFiles, extensions: tuple[str, ...]) -> list[str]:
    parts = imp.module.split(".")
    if parts[-1] == "*":  # a whole package: every file of its directory
        suffix = "/".join(parts[:-1])
        # (looked up: scanning every path for each `import a.b.*` took 1.7 s of a one-file update of
        # spring-framework's 9,596 files, sweep 16)
        dirs = [d for d in files.folders_ending_with(suffix) if any(p.endswith(extensions) for p in files.by_dir[d])]
        return sorted(p for d in dirs[:1] for p in files.by_dir.get(d, ()) if p.endswith(extensions))
    # `import a.b.C` or `import static a.b.C.member`: try the longest prefix naming a file
    for end in range(len(parts), 0, -1):
        for extension in extensions:
            hits = files.ending_with("/".join(parts[:end]) + extension)
            if hits:
                return _closest(hits, importer)
    return []


# --- Go ---------------------------------------------------------------------------------------

def go_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    if not files.packages.go_module:
        return []
    module_path, module_dir = files.packages.go_module
    spec = imp.module
    if spec != module_path and not spec.startswith(module_path + "/"):
        return []
    rel = spec[len(module_path):].lstrip("/")
    directory = posixpath.normpath(posixpath.join(module_dir, rel)) if (module_dir or rel) else ""
    directory = "" if directory == "." else directory
    return sorted(p for p in files.by_dir.get(directory, ())
                  if p.endswith(".go") and not p.endswith("_test.go"))


# --- C / C++ ----------------------------------------------------------------------------------

def c_include(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    spec = imp.module
    system = spec.startswith("<")
    name = spec.strip("<>\"")
    if not system:
        local = _first_existing(files, (posixpath.join(posixpath.dirname(importer), name),))
        if local:
            return local
    return _closest(files.ending_with(name), importer)


# --- Rust -------------------------------------------------------------------------------------

def _rust_crate_root(importer: str, files: RepoFiles) -> str:
    """The directory holding lib.rs/main.rs above the importing file."""
    d = posixpath.dirname(importer)
    while True:
        if any(posixpath.join(d, n) in files.paths for n in ("lib.rs", "main.rs")):
            return d
        if not d:
            return posixpath.dirname(importer)
        d = posixpath.dirname(d)


def _rust_module_dir(importer: str) -> str:
    """Where `mod child;` of this file lives: beside lib.rs/main.rs/mod.rs, else in a folder named after the file."""
    base = posixpath.basename(importer)
    if base in ("lib.rs", "main.rs", "mod.rs"):
        return posixpath.dirname(importer)
    return importer[: -len(".rs")]


def rust_use(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    spec = imp.module
    if spec.startswith("mod "):  # `mod name;`
        d = _rust_module_dir(importer)
        name = spec[4:]
        return _first_existing(files, (posixpath.join(d, name + ".rs"), posixpath.join(d, name, "mod.rs")))
    if imp.names:  # `use crate::a::{self, b, c::D}`: each name below the module, else the module itself
        found = []
        for name in imp.names:
            found += _rust_path(importer, spec if name in ("self", "*") else f"{spec}::{name}", files)
        return sorted(set(found)) or _rust_path(importer, spec, files)
    return _rust_path(importer, spec, files)


def _rust_child_module(importer: str, name: str, files: RepoFiles) -> bool:
    d = posixpath.join(_rust_module_dir(importer), name)
    return d + ".rs" in files.paths or posixpath.join(d, "mod.rs") in files.paths


def _rust_path(importer: str, spec: str, files: RepoFiles) -> list[str]:
    parts = [p for p in spec.split("::") if p]
    if not parts:
        return []
    crate, parent = parts[0] == "crate", parts[0] == "super"
    if crate:
        base, parts = _rust_crate_root(importer, files), parts[1:]
    elif parts[0] in ("self", "super"):
        base = _rust_module_dir(importer)
        while parts and parts[0] in ("self", "super"):
            if parts[0] == "super":
                base = posixpath.dirname(base)
            parts = parts[1:]
    elif parts[0] in files.packages.cargo and not _rust_child_module(importer, parts[0], files):
        # a crate of the workspace (`use tokenizers::models::bpe::BPE` in its Python bindings): from its root
        base, parts, crate = _rust_crate_root(posixpath.join(files.packages.cargo[parts[0]], "src", "lib.rs"), files), parts[1:], True
    else:  # (2018 edition) a child module (`mod cart; use cart::Cart;`), else another crate: external
        base = _rust_module_dir(importer)
    for end in range(len(parts), 0, -1):
        stem = posixpath.join(base, *parts[:end])
        hit = _first_existing(files, (stem + ".rs", posixpath.join(stem, "mod.rs")))
        if hit:
            return hit
    if (crate or parent) and parts != ["*"]:  # `use crate::Error`, `use super::Priced`: an item of that module's
        # own file (not `use super::*`, mostly written in an inline `mod tests`, whose parent is this very file)
        return _first_existing(files, (base + ".rs", posixpath.join(base, "mod.rs"),
                                       posixpath.join(base, "lib.rs"), posixpath.join(base, "main.rs")))
    return []


# --- Ruby -------------------------------------------------------------------------------------

def ruby_require(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`require_relative "model/product"` from the importing file's folder; `require "sinatra/base"` from a
    load path (`lib/`), found as the file ending so; a gem's name is external."""
    kind, _, feature = imp.module.partition(" ")
    feature = feature if feature.endswith(".rb") else feature + ".rb"
    if kind == "require_relative":
        return _first_existing(files, (posixpath.join(posixpath.dirname(importer), feature),))
    return _closest(files.ending_with(feature), importer)


# --- PHP --------------------------------------------------------------------------------------

def php_use(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`use Monolog\\Handler\\StreamHandler;` names a class whose file, by PSR-4, ends with its namespace's
    path below the folder its vendor prefix maps to (`src/Monolog/Handler/StreamHandler.php` or
    `src/Handler/StreamHandler.php`): the longest such ending, at least folder and file."""
    found = []
    for name in imp.names or ("",):
        parts = [p for p in (imp.module + ("\\" + name if name else "")).split("\\") if p]
        for start in range(max(len(parts) - 1, 1)):
            hits = files.ending_with("/".join(parts[start:]) + ".php")
            if hits:
                found += _closest(hits, importer)
                break
    return sorted(set(found))


# --- C# ---------------------------------------------------------------------------------------

def csharp_using(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`using static A.B.C;` (or an alias of a type) names a type: its file, by the convention that folders
    follow namespaces below a project folder named after the root namespace (`Src/A.B/C.cs`). A namespace's
    `using` names no file: read as the files of its folder, every file of Newtonsoft.Json imported some
    sixty it never uses (and the time split ranked no better, bench/LOG.md 2026-12-07)."""
    parts = imp.module.split(".")
    for suffix in _namespace_folders(parts[:-1]):
        hits = files.ending_with(f"{suffix}/{parts[-1]}.cs")
        if hits:
            return _closest(hits, importer)
    return []


def _namespace_folders(parts: list[str]) -> list[str]:
    """Folder endings a namespace may live in, most specific first: `Newtonsoft.Json/Linq`,
    `Newtonsoft/Json/Linq`, then without its leading parts (`Json/Linq`, `Linq`)."""
    out = [".".join(parts[:k]) + ("/" + "/".join(parts[k:]) if k < len(parts) else "") for k in range(len(parts), 0, -1)]
    return out + ["/".join(parts[k:]) for k in range(1, len(parts))]


# --- Kotlin -----------------------------------------------------------------------------------

def kotlin_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """As Java's, in Kotlin's files and the Java files a mixed project imports from Kotlin."""
    return _jvm_import(importer, imp, files, (".kt", ".java"))


# --- Swift ------------------------------------------------------------------------------------

def swift_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`import ShopModel` names a module (a target: all of `Sources/ShopModel/`), not a file: as a C#
    namespace's `using`, it makes no edge."""
    return []


# --- Scala ------------------------------------------------------------------------------------

def scala_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """As Java's (`_` and `*` for a whole package), each name of a selector (`a.b.{C, D => E}`) below its
    prefix, in Scala's files and the Java files a mixed project imports."""
    prefix, _, selectors = imp.module.partition("{")
    names = [n.split("=>")[0] for n in selectors.rstrip("}").split(",")] if selectors else [""]
    found = []
    for name in names:
        path = (prefix + name).rstrip(".")
        if path.endswith("._"):
            path = path[:-1] + "*"
        found += _jvm_import(importer, Import(path), files, (".scala", ".java"))
    return sorted(set(found))


# --- Lua --------------------------------------------------------------------------------------

def lua_require(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`require("shop.cart")` finds `shop/cart.lua` or `shop/cart/init.lua` on the package path: below a
    `lua/`, `src/` or `lib/` folder or the root first (Neovim's `plugin/telescope.lua` is a startup script
    no `require("telescope")` loads: `lua/telescope/init.lua` is), else wherever a file ends so; a rock's
    module (`cjson`) is external."""
    path = imp.module.replace(".", "/")
    hits = [(p, suffix) for suffix in (f"{path}.lua", f"{path}/init.lua") for p in files.ending_with(suffix)]
    # the folder the module is found below: `lua/` of `lua/telescope/init.lua` for `telescope`
    on_path = [p for p, suffix in hits if posixpath.basename(p[: len(p) - len(suffix)].rstrip("/")) in ("", "lua", "src", "lib")]
    return _closest(on_path or [p for p, _ in hits], importer)[:1]


# --- Elixir -----------------------------------------------------------------------------------

def elixir_alias(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`alias Shop.Util.PriceFormatter` (and `import`, `require`, `use`; `alias Shop.Util.{A, B}` each name)
    names a module, by convention in `lib/shop/util/price_formatter.ex`. A Phoenix app's folders do not
    follow its names (`MyAppWeb.PageController` in `lib/my_app_web/controllers/page_controller.ex`): the
    last parts then, when one file alone ends so. A one-part name is a file directly in a `lib/` folder
    (`Logger` is the standard library's unless the repository has a `lib/logger.ex`)."""
    found = []
    for name in imp.names or ("",):
        parts = [_underscore(p) for p in (imp.module + ("." + name if name else "")).split(".")]
        if len(parts) == 1:
            found += files.ending_with(f"lib/{parts[0]}.ex")[:1]
            continue
        for start in range(len(parts)):
            hits = files.ending_with("/".join(parts[start:]) + ".ex")
            if hits and (start == 0 or len(hits) == 1):
                found += _closest(hits, importer)
                break
    return sorted(set(found))


def _underscore(name: str) -> str:
    """Elixir's `Macro.underscore` of one alias part: `PriceFormatter` -> `price_formatter`, `HTTPServer` ->
    `http_server`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


# --- Dart -------------------------------------------------------------------------------------

def dart_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """`import 'model/product.dart'` from the importing file's folder; `package:shop/src/cart.dart` from the
    `lib/` folder of package `shop`: the repository's root `lib/`, or a monorepo's `shop/lib/`. `dart:`
    libraries and other packages are external."""
    uri = imp.module
    if uri.startswith("dart:"):
        return []
    if not uri.startswith("package:"):
        return _first_existing(files, (posixpath.join(posixpath.dirname(importer), uri),))
    package, _, rest = uri[len("package:"):].partition("/")
    named = _closest(files.ending_with(f"{package}/lib/{rest}"), importer) or _first_existing(files, (f"lib/{rest}",))
    if named:
        return named
    # a package whose folder its name only ends with (dio's `dio_web_adapter` in `plugins/web_adapter/`):
    # the one such folder holding the file
    tail = f"lib/{rest}"
    hits = [p for p in files.ending_with(tail)
            if (folder := posixpath.basename(p[: len(p) - len(tail)].rstrip("/"))) and package.endswith(folder)]
    return hits if len(hits) == 1 else []


# --- formats read by their lines (graph/parse_text.py) --------------------------------------------

def no_files(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    return []


def path_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """protobuf's `import "shop/v1/product.proto";`: a path below an include root, so the file ending so."""
    return _closest(files.ending_with(imp.module), importer)


def antlr_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """ANTLR's `import Common;` and `tokenVocab = ShopLexer;`: a grammar beside it, else anywhere."""
    name = imp.module + ".g4"
    return _first_existing(files, (posixpath.join(posixpath.dirname(importer), name),)) or \
        _closest(files.ending_with(name), importer)


# the extensions of server-side templates (graph/languages.py's "template" format, graph/parse_template.py)
TEMPLATE_EXTENSIONS = (".erb", ".haml", ".slim", ".hbs", ".handlebars", ".mustache", ".liquid", ".ejs", ".html", ".htm",
                       ".jinja", ".jinja2", ".j2", ".njk", ".twig", ".blade.php", ".pug", ".jade", ".cshtml", ".razor")
# Rails names a template's output format before its engine: `render "shared/header"` is `shared/_header.html.erb`
_FORMAT_FIRST = (".erb", ".haml", ".slim")
_PARTIAL_EXTENSIONS = tuple(x for e in TEMPLATE_EXTENSIONS for x in ((".html" + e, e) if e in _FORMAT_FIRST else (e,)))


def template_import(importer: str, imp: Import, files: RepoFiles) -> list[str]:
    """A template's `{% extends "front/base.html" %}`, `{% include %}`, `render "shared/header"`,
    `{{> header}}`, `@include('books.show')`: a name below one of the template folders, so the file ending
    so, the closest to the importer; a name without an extension is a partial (`_header.html.erb` beside the
    importer first) or a view below `views/` (Express's `res.render("users/show")`, Laravel's
    `view('users.show')`, whose dots are folders) or a shared one (ASP.NET's `Layout = "_Layout"` is
    `Views/Shared/_Layout.cshtml`)."""
    name = _view_name(imp.module.lstrip("./"))
    if name.lower().endswith(_PARTIAL_EXTENSIONS) and files.ending_with(name):
        return _closest(files.ending_with(name), importer)
    folder, base = posixpath.split(name)
    for stem in ("_" + base, base):
        written = posixpath.join(folder, stem) if folder else stem
        for ext in _PARTIAL_EXTENSIONS:
            beside = posixpath.join(posixpath.dirname(importer), written + ext)
            if beside in files.paths:
                return [beside]
            below = files.ending_with(written + ext) if folder else \
                files.ending_with("views/" + written + ext) or files.ending_with("Shared/" + written + ext)
            if below:
                return _closest(below, importer)
    return []


def _view_name(name: str) -> str:
    """Laravel names a view by dots (`layouts.app` is `layouts/app.blade.php`), a package's after its
    namespace (`mail::message`); a name ending with a template's extension is a file's name as it is.

    >>> _view_name("layouts.app"), _view_name("front/base.html"), _view_name("mail::html.button")
    ('layouts/app', 'front/base.html', 'html/button')
    """
    name = name.rpartition("::")[2]
    if "/" in name or name.lower().endswith(_PARTIAL_EXTENSIONS):
        return name
    return name.replace(".", "/")
