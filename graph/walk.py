"""Find the files of a repository worth indexing, honouring .gitignore and default excludes.

Reading happens here too, because the checks (binary, not UTF-8, too big, unreadable) need the
bytes, and the content hash that drives incremental rebuilds is taken from the same read.
"""
from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from functools import partial

import pathspec

from graph.languages import language_for, language_of

# Directory names never worth indexing: VCS data, environments, dependencies, build output, vendored trees.
DEFAULT_EXCLUDED_DIRS = frozenset({
    ".git", ".hg", ".svn", ".rag", ".venv", "venv", ".tox", ".nox", ".mypy_cache", ".pytest_cache",
    ".ruff_cache", "__pycache__", "node_modules", "bower_components", "site-packages", "build", "dist",
    "target", "out", "_build", ".gradle", ".idea", ".vscode", "vendor", "third_party", "third-party",
    "thirdparty", "3rdparty", "extern", ".eggs", ".next", ".cache", "htmlcov",
})
README_NAMES = ("README.md", "README.rst", "README.txt", "README", "readme.md")
# a build's output, not anyone's source: a script over 4 kB whose lines average more than 1,000 characters
# (sphinx's unversioned `static/jquery.js`, its one-line translation catalogs, a bundle without `.min`)
MINIFIABLE = frozenset({"javascript", "typescript", "tsx"})
MINIFIED_MIN_BYTES, MINIFIED_LINE_CHARS = 4096, 1000
CONFIG_NAME = "rag.toml"


@dataclass(frozen=True)
class WalkSettings:
    include: tuple[str, ...] = ()  # gitignore-style patterns; when given, only matching source files
    exclude: tuple[str, ...] = ()  # gitignore-style patterns, on top of .gitignore and the defaults
    max_file_bytes: int = 1_000_000
    use_gitignore: bool = True

    def __post_init__(self):
        if self.max_file_bytes <= 0:
            raise ValueError("max_file_bytes must be positive")

    def to_dict(self) -> dict:
        return {"include": list(self.include), "exclude": list(self.exclude),
                "max_file_bytes": self.max_file_bytes, "use_gitignore": self.use_gitignore}


@dataclass(frozen=True)
class FoundFile:
    path: str  # repo-relative POSIX path
    kind: str  # "source", "readme", "config" (rag.toml) or "project" (go.mod, package.json, Cargo.toml)
    language: str | None
    sha256: str
    text: str


@dataclass
class WalkResult:
    files: list[FoundFile] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)  # reason -> paths

    def skip(self, reason: str, path: str) -> None:
        self.skipped.setdefault(reason, []).append(path)


def walk(root: str, settings: WalkSettings = WalkSettings()) -> WalkResult:
    """All indexable files under `root`, sorted by path, with the reasons others were skipped."""
    result = WalkResult()
    include = pathspec.GitIgnoreSpec.from_lines(settings.include) if settings.include else None
    exclude = pathspec.GitIgnoreSpec.from_lines(settings.exclude)
    # (directory, its .gitignore), innermost last; each directory sees its own chain of them
    ignores: tuple[tuple[str, pathspec.GitIgnoreSpec], ...] = ()
    if settings.use_gitignore:
        info_exclude = os.path.join(root, ".git", "info", "exclude")
        if os.path.isfile(info_exclude):
            ignores = (("", _read_spec(info_exclude)),)

    def ignored(rel: str, is_dir: bool, chain) -> bool:
        probe = rel + "/" if is_dir else rel
        if exclude.match_file(probe):
            return True
        for base, spec in chain:
            if (not base or rel.startswith(base + "/")) and spec.match_file(probe[len(base) + 1 if base else 0:]):
                return True
        return False

    # a stack, not recursion: a tree thousands of directories deep must not exhaust Python's stack
    pending = [(root, "", ignores)]
    while pending:
        abs_dir, rel_dir, chain = pending.pop()
        gitignore = os.path.join(abs_dir, ".gitignore")
        if settings.use_gitignore and os.path.isfile(gitignore):
            chain = chain + ((rel_dir, _read_spec(gitignore)),)
        try:
            entries = sorted(os.scandir(abs_dir), key=lambda e: e.name)
        except OSError:
            result.skip("unreadable", rel_dir + "/")
            entries = []
        ignored_here = partial(ignored, chain=chain)  # this directory's chain of .gitignores
        names = {e.name for e in entries}
        # the folder's TypeScript sources (an ignored one is none: `orders_pb.ts` generated and ignored)
        typescript = {stem for name, stem in typescript_sources(names)
                      if not ignored_here(f"{rel_dir}/{name}" if rel_dir else name, False)}
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            if not _utf8(entry.name):
                # the index is UTF-8 JSON throughout: such a name could be neither stored nor shown
                result.skip("name-not-utf8", rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))
                continue
            if entry.is_symlink():
                # never followed: a link inside the repo duplicates a module, outside it is not ours, and loops
                result.skip("symlink", rel)
                continue
            try:
                is_dir = entry.is_dir(follow_symlinks=False)
            except OSError:
                result.skip("unreadable", rel)
                continue
            if is_dir:
                if entry.name in DEFAULT_EXCLUDED_DIRS or entry.name.endswith(".egg-info") \
                        or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg")) or ignored_here(rel, True):
                    continue
                pending.append((entry.path, rel, chain))
            elif entry.is_file(follow_symlinks=False):
                compiled = compiled_copy(entry.name, typescript, names)
                if compiled is True:
                    if not ignored_here(rel, False):
                        result.skip("compiled", rel)
                    continue
                _consider(entry.path, rel, settings, include, ignored_here, result, maybe_compiled=compiled is None)

    result.files.sort(key=lambda f: f.path)
    for paths in result.skipped.values():
        paths.sort()
    return result


_TYPESCRIPT_SOURCE = re.compile(r"(.+?)\.(?:ts|tsx|mts|cts)$")
_DECLARATION = re.compile(r"(.+?)\.d\.[mc]?ts$")  # `cart.d.ts`: what a compiler writes beside `cart.ts`
_SCRIPT = re.compile(r"(.+?)\.(?:js|jsx|cjs|mjs)$")


def typescript_sources(names) -> list[tuple[str, str]]:
    """(name, stem) of the TypeScript sources among a folder's file names (`cart` for `cart.ts`; a
    declaration file, `cart.d.ts`, is none)."""
    return [(name, m.group(1)) for name in names
            if not _DECLARATION.match(name) and (m := _TYPESCRIPT_SOURCE.match(name))]


def compiled_copy(name: str, typescript: set[str], names: set[str]) -> bool | None:
    """Whether a file is what a TypeScript compiler wrote beside its source, as a published npm package
    carries them (zod: 496 copies took the top answers from their sources, sweep 12): True for a
    declaration (`cart.d.ts` beside `cart.ts`) or a script beside the compiler's other output (`cart.js`
    with `cart.d.ts` or `cart.js.map`); None for a script beside its source alone, which its content
    decides (a hand-written `cart.js` may sit beside `cart.ts`: sweep 13); False for anything else.

    >>> compiled_copy("cart.d.ts", {"cart"}, set()), compiled_copy("cart.cjs", {"cart"}, {"cart.d.cts"})
    (True, True)
    >>> compiled_copy("cart.js", {"cart"}, {"cart.ts"}), compiled_copy("cart.ts", {"cart"}, set())
    (None, False)
    """
    declaration = _DECLARATION.match(name)
    found = declaration or _SCRIPT.match(name)
    if not found or found.group(1) not in typescript:
        return False
    stem = found.group(1)
    if declaration or name + ".map" in names or names & {f"{stem}.d.ts", f"{stem}.d.mts", f"{stem}.d.cts"}:
        return True
    return None


# what only a compiler writes into a script: a source map's link, CommonJS's module flag
_COMPILED_MARK = re.compile(rb"^//# sourceMappingURL=|Object\.defineProperty\(exports, \"__esModule\"", re.M)


def _consider(abs_path, rel, settings, include, ignored, result, maybe_compiled: bool = False) -> None:
    name = rel.rsplit("/", 1)[-1]
    spec = language_for(rel)
    if rel == CONFIG_NAME:
        kind = "config"
    elif name in ("go.mod", "package.json", "Cargo.toml"):
        kind = "project"  # imports name the repository's own packages by these (graph/package_manifests.py)
    elif name in README_NAMES:
        kind = "readme"
    elif spec is not None:
        kind = "source"
    else:
        return
    if ignored(rel, False) or (kind == "source" and include is not None and not include.match_file(rel)):
        return
    try:
        size = os.path.getsize(abs_path)
        if size > settings.max_file_bytes:
            result.skip("huge", rel)
            return
        with open(abs_path, "rb") as fh:
            data = fh.read()
    except OSError:
        result.skip("unreadable", rel)
        return
    text = decoded(data, spec.name if kind == "source" else None)
    if text is None:
        result.skip("binary" if b"\0" in data[:8192] else "not-utf8", rel)
        return
    if kind == "source" and spec.name in MINIFIABLE and looks_minified(data):
        result.skip("minified", rel)
        return
    if kind == "source" and spec.name in MINIFIABLE and looks_bundled(data):
        result.skip("bundled", rel)
        return
    if maybe_compiled and _COMPILED_MARK.search(data):
        result.skip("compiled", rel)
        return
    spec = language_of(rel, data) if kind == "source" else None  # `.h`: C, C++ or Objective-C by content
    if kind == "source" and spec is None:
        return  # a MATLAB `.m`, a static `.html` page: not a language of ours, as any other file is not
    language = spec.name if spec is not None else None
    result.files.append(FoundFile(rel, kind, language, hashlib.sha256(data).hexdigest(), text))


def decoded(data: bytes, language: str | None) -> str | None:
    """A file's text: UTF-8, or the encoding the file declares (a UTF-16 byte-order mark; a Python
    `# -*- coding: latin-1 -*-` line, PEP 263); None for binary data or text in an undeclared encoding,
    which is not guessed.

    >>> decoded("# coding: latin-1\\nNAME = 'café'".encode("latin-1"), "python")[-13:]
    "NAME = 'café'"
    >>> decoded("int x; /* café */".encode("utf-16"), "c")
    'int x; /* café */'
    >>> decoded("/* café */".encode("latin-1"), "c") is None
    True
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")  # the mark says which byte order, and is left out of the text
        except UnicodeDecodeError:
            return None
    if b"\0" in data[:8192]:
        return None
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is no text: it reached summaries as U+FEFF
    except UnicodeDecodeError:
        pass
    if language == "python":
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
            return data.decode(encoding)
        except (SyntaxError, LookupError, UnicodeDecodeError):
            return None
    return None


def _utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:  # undecodable bytes, kept by Python as lone surrogates
        return False


def _read_spec(path: str) -> pathspec.GitIgnoreSpec:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return pathspec.GitIgnoreSpec.from_lines(fh.read().splitlines())
    except OSError:
        return pathspec.GitIgnoreSpec.from_lines([])


# what a bundler writes around each module it inlines: webpack's `/***/ "./src/cart.js":` separators and its
# `/******/` bootstrap, esbuild's comment naming the module (`// src/webauthn-json/basic/supported.ts`). A
# bundle is a build's output, its sources elsewhere (in the tree, or another project's): healthchecks'
# unminified `static/js/webauthn-json.browser-global.js` was the first answer to five of its questions,
# CTFd commits webpack's `*.dev.js` builds (echarts among them, 1.5 MB) beside the assets they are built from
_WEBPACK_SEPARATOR = re.compile(rb"^/\*(?:\*\*|\*{5})/ ", re.M)
_ESBUILD_MODULE = re.compile(rb"^[ \t]*// (?:node_modules|src|lib|packages)/\S+\.[cm]?[jt]sx?\r?$", re.M)
BUNDLED_MIN_MODULES = 3  # one or two such comments are a person's note


def looks_bundled(data: bytes) -> bool:
    """Whether a script is a bundler's output: webpack's module separators or esbuild's module comments.

    >>> looks_bundled(b'/***/ "./src/a.js":\\n/***/ (function() {}),\\n/***/ "./src/b.js":\\n/***/ (function() {})')
    True
    >>> looks_bundled(b"(() => {\\n  // src/a.ts\\n  var a = 1;\\n  // src/b.ts\\n  var b = 2;\\n  // node_modules/c/index.js\\n})();")
    True
    >>> looks_bundled(b"// src/cart.ts: the cart\\nexport function total() {}\\n// src/cart.ts\\n")
    False
    """
    return (len(_WEBPACK_SEPARATOR.findall(data)) >= BUNDLED_MIN_MODULES
            or len(set(_ESBUILD_MODULE.findall(data))) >= BUNDLED_MIN_MODULES)


def looks_minified(data: bytes) -> bool:
    """Whether a script is a minifier's output: long, with few and very long lines.

    >>> looks_minified(b"function a(){return 1};" * 400), looks_minified(b"function a() {\\n  return 1;\\n}\\n" * 400)
    (True, False)
    """
    return len(data) > MINIFIED_MIN_BYTES and len(data) / (data.count(b"\n") + 1) > MINIFIED_LINE_CHARS
