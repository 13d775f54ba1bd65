"""Read a query the way a developer pastes it: a short requirement, a commit message, or a whole bug
report with prose, code blocks and a traceback.

Strong evidence in long reports: paths of the repository's files, and the frames of a traceback that
point into the repository (the innermost one above all). Frames from the standard library or installed
packages are noise and are dropped, as are what issue templates and environment dumps add
(rag/retrieval/issue_report.py). The title is kept apart (it carries most of the intent and is matched on its own),
exception messages too; prose is kept for the embedding, code and prose alike for the sparse match,
each token counted at most a few times so that a long paste does not drown the rest.
"""
from __future__ import annotations

import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache

from graph.errors import RagError
from graph.languages import LANGUAGES, TEXT_FORMATS
from graph.text import HAN_KANA, split_identifier
from rag.retrieval.issue_report import error_messages, strip_noise, title_of, without_comments, without_environment_page
from rag.retrieval.tokenize import identifiers, tokenize

MAX_QUERY_CHARS = 20_000
# of a longer paste, its start (title, prose) and its end (a traceback's innermost frames and the error)
KEPT_TAIL_CHARS = 5_000
MAX_TOKEN_REPEAT = 3
MAX_SHOWN_WORD = 40  # longer words are shown as the token they gave

_FRAME = re.compile(r'^\s*File "([^"]+)", line \d+(?:, in (\S+))?', re.M)


def _alternation(specs, leave_out: frozenset[str] = frozenset()) -> str:
    """The extensions of `specs` (graph/languages.py) as a pattern's alternatives, longest first."""
    extensions = {ext[1:] for spec in specs for ext in spec.extensions} - leave_out
    return "|".join(sorted(extensions, key=lambda e: (-len(e), e)))


_EXTENSIONS = _alternation(LANGUAGES + TEXT_FORMATS)  # of every indexed language and format
# a path as written, relative or absolute (`/home/me/shop/lib/view.js:80:5` in a JavaScript stack, `~/…`,
# `C:\\…`): its longest tail that is a repository file is the one meant (_match_known)
# A file-system router's names are paths too: Next.js's route groups and parameters (`app/(dashboard)/[teamUrl]/`,
# `[...slug]`, `[[...slug]]`, `@modal`), Remix's `$id.tsx` and escaped `rss[.]xml.tsx`, SvelteKit's `+page.ts`: a
# frame or a named file in such a folder was lost (sweep 17)
_ROUTE_PIECE = r"\([\w.-]+\)|\[\[?(?:\.\.\.)?[\w.-]*\]\]?"  # `(dashboard)`, `[id]`, `[...slug]`, `[[...slug]]`
_ROUTE_NAME = rf"(?:[\w.$+@-]|{_ROUTE_PIECE})+"
_PATH = re.compile(rf"(?<![\w/\\.~$@\]-])(?:file://)?((?:~|[A-Za-z]:)?[/\\]?(?:{_ROUTE_NAME}[/\\])*{_ROUTE_NAME}"
                   rf"\.(?:{_EXTENSIONS}))\b")
# a frame of a stack that lists the innermost call first: JavaScript's `at render (/app/lib/view.js:80:5)`
# (webpack's `webpack-internal:///./src/App.vue:12:3`), Go's `\t/home/me/mux/mux.go:123 +0x1f`, Rust's
# `at ./src/de.rs:10:5` and `panicked at src/de.rs:10:5`, gdb's `#0 … at src/cart.cc:42`, Ruby's
# `from lib/rack/lint.rb:12:in 'check'`, Dart's `#0  Dio.fetch (package:dio/src/dio_mixin.dart:52:7)`,
# Elixir's `(plug 1.14.0) lib/plug/conn.ex:12: Plug.Conn.f/2`, Lua's `\t…/telescope/pickers.lua:12: in …`,
# Swift's `at /Users/me/Sources/Cart.swift:12:5`. (Python's and pytest's list the outermost first; Java's,
# PHP's and .NET's write theirs otherwise: below)
_OUTER_FIRST_EXTENSIONS = _alternation(LANGUAGES, frozenset({"py", "pyi", "java", "kt", "kts", "scala", "sc", "php", "cs"}))
_OUTER_FIRST_FRAME = re.compile(r"^\s*(?:at\s+(?:(?:new|async)\s+)?(?:\S+(?:\s+\[as\s+[^\]]+\])?\s+\()?"
                                r"|#\d+\s.*?(?:\bat\s+|\()|from\s+|\([\w.-]+(?:\s[\w.-]+)?\)\s+|.*\bpanicked at (?:'[^']*',\s*)?)?"
                                # (Next.js's `webpack-internal:///(rsc)/./app/api/route.ts`: the layer it ran in first)
                                r"\(?(?:file://|webpack-internal:///(?:\([\w-]+\)/)?)?((?:~|[A-Za-z]:|package:)?"
                                rf"(?:[\w./\\~@+$-]|{_ROUTE_PIECE})*"
                                # (a dev server's module URL keeps its query: Vite's `src/App.tsx?t=1700000000:12:5`)
                                rf"\.(?:{_OUTER_FIRST_EXTENSIONS}))(?:\?[^:\s()]*)?:\d+")
# what a log puts before each line: Android's logcat (`E/flutter ( 6120): #0 …`), Flutter's console (`flutter: `)
_LOG_PREFIX = re.compile(r"^\s*(?:[VDIWEF]/[\w.-]+\s*\(\s*\d+\):|flutter:)\s?")
# PHP's `#0 /var/www/vendor/monolog/monolog/src/Monolog/Logger.php(312): Monolog\Logger->f()`
_PHP_FRAME = re.compile(r"^\s*#\d+\s+((?:[A-Za-z]:)?[\w./\\~@+-]+\.php)\(\d+\):")
# .NET's `at Newtonsoft.Json.JsonTextReader.Read() in /_/Src/Newtonsoft.Json/JsonTextReader.cs:line 2105`
_DOTNET_FRAME = re.compile(r"^\s*at\s+\S.*?\)\s+in\s+((?:[A-Za-z]:)?[\w./\\~@+-]+\.(?:cs|fs|vb)):line\s+\d+")
# Java's `at com.shop.Cart.add(Cart.java:42)`: the class's package is the file's folder
# (a class loader's or module's prefix, `app//` or `java.base@17/`, is not the package); Kotlin's file
# classes may begin with a dash (moshi's `-JsonUtf8Reader.kt`)
_JAVA_FRAME = re.compile(r"^\s*at\s+(?:[\w.$-]+(?:@[\w.-]+)?/{1,2})?((?:[\w$]+\.)*)[\w$-]+\.[\w$<>-]+"
                         r"\(([\w$-]+\.(?:java|kt|scala)):\d+\)")
# IPython's frames: "File ~/…/site-packages/astropy/io/fits/connect.py:72, in is_fits(…)"
_IPYTHON_FRAME = re.compile(r"^\s*File\s+(\S+\.py):\d+(?:, in (\w+))?")
_INSTALLED = re.compile(r"/(?:site|dist)-packages/(.+)")
_NEXT_BUILD = re.compile(r"(?:^|/)\.next/server/((?:app|pages)/.+)\.js$")  # the route a build's module serves
_NODE_MODULE = re.compile(r"(?:^|/)node_modules/(?:@[\w.-]+/)?([\w.-]+)/")  # the package's own name (no scope)
_IMPORT_FROM = re.compile(r"^\s*(?:>>>\s*)?from\s+([\w.]+)\s+import\s+\(?([\w, ]+)", re.M)
_FENCE = re.compile(r"```.*?(```|$)", re.S)
_NOISE_PATH = re.compile(r"site-packages|dist-packages|/lib/python\d|<frozen|/usr/lib/|node_modules|[/\\]vendor[/\\]|[/\\]gems[/\\]|"
                         r"/rustc/[0-9a-f]+/|[/\\]\.cargo[/\\]registry[/\\]|[/\\]\.rustup[/\\]|/go/pkg/mod/|/usr/local/go/")
# the line naming the function of a frame whose path follows on the next line: Rust's `  2: serde::de::f`,
# Go's `net/http.HandlerFunc.ServeHTTP(0x0?, {…})`
_FRAME_FUNCTION = re.compile(r"^\s*(?:\d+:\s+\S.*|[\w./*()\[\]-]+\(.*\))$")
# what a runtime prints around every stack, whatever the program: Rust's and Go's headers and hints
# (and Python's `Exception in thread ThreadPoolExecutor-0_3:` above a thread's traceback: its name matched the
# module that starts the pool, above the frame at fault: sweep 17)
_TRACE_BOILERPLATE = re.compile(r"^\s*(?:stack backtrace:|note: (?:Some details are omitted|run with `RUST_BACKTRACE)"
                                r".*|goroutine \d+ \[[\w ,]+\]:|Exception in thread .+:)\s*$")
# colours and cursor moves, a window's title, a character set (`tput sgr0` writes `\x1b(B`)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][A-Za-z0-9]")
_LINE_BREAK = re.compile("\r\n?|[\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
_CAPITALISED = re.compile(r"[A-Z][a-z0-9]+")
_DOTTED = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


class QueryError(RagError):
    """The query cannot be answered as given (empty, bad k or level)."""


@dataclass
class ParsedQuery:
    text: str  # what the sparse match reads
    dense_text: str  # prose for the embedding
    tokens: list[str]
    # the tokens of dense_text (the title and the opening prose): what past commit messages are matched
    # against, since a commit message reads like a report's title and first lines, not like its examples
    head_tokens: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)  # token -> the query word it came from, for evidence
    mentioned_files: list[str] = field(default_factory=list)  # repository files named or in the traceback
    identifiers: list[str] = field(default_factory=list)  # code names in the query (code_identifiers)
    prose_identifiers: list[str] = field(default_factory=list)  # those in its title or prose, not only in code blocks
    truncated: bool = False  # only the start and the end of a longer paste were read
    title_tokens: list[str] = field(default_factory=list)  # the title's tokens, for the match on the title alone
    error_tokens: list[str] = field(default_factory=list)  # the exception lines' tokens (type and message)
    innermost_file: str | None = None  # the last traceback's innermost frame in the repository
    module_files: list[str] = field(default_factory=list)  # files named as a dotted module or a bare file name


def readable(query) -> str:
    """A question as text: bytes, or a string carrying undecodable bytes (Python keeps a command line's
    as lone surrogates), get U+FFFD in place of what is not UTF-8, as a paste from a Latin-1 log would."""
    if query is None:
        return ""
    if isinstance(query, (bytes, bytearray)):
        return bytes(query).decode("utf-8", "replace")
    if not isinstance(query, str):
        raise QueryError(f"the query must be text, not {type(query).__name__}")
    try:
        query.encode("utf-8")
        return query
    except UnicodeEncodeError:
        return query.encode("utf-8", "surrogateescape" if _only_escapes(query) else "surrogatepass").decode("utf-8", "replace")


def _only_escapes(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


def parse_query(raw: str, known_files: set[str] | frozenset[str] = frozenset(), dense_chars: int = 1_000) -> ParsedQuery:
    """`dense_chars`: how much of the query's prose (title first) the embedding reads."""
    text = _ANSI.sub("", raw or "").strip()  # a terminal's colours in pasted output: `\x1b[31mproxy` lost its word
    # one kind of line break: the title is the first of `splitlines`' lines, which a bare CR, a form feed or
    # NEL also ends, and the body was what follows the first "\n" (an IndexError: sweep 17)
    text = _LINE_BREAK.sub("\n", text)
    if not text:
        raise QueryError("the query is empty")
    truncated = len(text) > MAX_QUERY_CHARS
    if truncated:
        head = text[:MAX_QUERY_CHARS - KEPT_TAIL_CHARS]
        tail = text[-KEPT_TAIL_CHARS:]
        text = head[:head.rfind("\n") + 1 or None] + tail[tail.find("\n") + 1:]  # whole lines only
    # before the title: a template's comment often opens the report, Django's environment its debug page
    text = without_environment_page(without_comments(text)).strip()
    title = title_of(text)
    if title.endswith(":") and _opens_stack(next((line for line in text.splitlines()[1:] if line.strip()), "")):
        title = ""  # a log's line above the stack it announces: `Error performing RuleJob (…): NoMethodError (…):`
    body = strip_noise(text.split("\n", 1)[1] if title else text, whole_question=not title)
    mentioned: list[str] = []
    innermost = outer_first = None
    lines, kept_lines = body.splitlines(), [title] if title else []
    if title and (_written_frame_path(title) or _java_frame_path(title)):
        lines, kept_lines = [title] + lines, []  # a stack pasted bare opens with a frame: Rust's `panicked at src/x.rs:12:5:`
    section_first = None  # the first frame of this section of another language's stack
    for line in lines:
        line = _LOG_PREFIX.sub("", line)
        written = _written_frame_path(line)
        outer = _package_path(written) if written else _java_frame_path(line)
        outer_hit = (_repository_file(outer, known_files) or _workspace_copy(outer, known_files)
                     or _next_build_copy(outer, known_files)) if outer else None
        if line.lstrip().startswith("Caused by:"):  # Java's root cause comes last: its frames are the innermost
            section_first = None
        elif section_first is None:
            section_first = outer_hit
            outer_first = section_first or outer_first
        if _TRACE_BOILERPLATE.match(line):
            continue
        if written:
            if outer_hit:  # an installed copy's prefix (`~/.cargo/registry/src/…/serde_json-1.0.133/`) says nothing
                kept_lines.append(line.replace(written, outer_hit))
                continue
            if _NOISE_PATH.search(written):  # a toolchain's or a dependency's frame, with its function's line
                if len(kept_lines) > 1 and _FRAME_FUNCTION.match(kept_lines[-1]):
                    kept_lines.pop()
                continue
        frame = _FRAME.match(line) or _IPYTHON_FRAME.match(line)
        if frame:
            hit = _match_known(frame.group(1), known_files) or _installed_copy(frame.group(1), known_files)
            if hit:
                mentioned.append(hit)
                innermost = hit
                kept_lines.append(f"{hit} {frame.group(2) or ''}")
            elif not _NOISE_PATH.search(frame.group(1)):
                kept_lines.append(line)
            continue  # a frame outside the repository says nothing about where the change belongs
        kept_lines.append(line)
    if outer_first is not None:
        mentioned.append(outer_first)
        innermost = innermost or outer_first  # a Python traceback's own innermost frame comes first
    text = "\n".join(kept_lines)
    partial_paths = []
    for path in _PATH.findall(text):
        absolute = path.startswith(("/", "\\", "~")) or ":" in path
        hit = _repository_file(path, known_files) if absolute else _match_known(path, known_files)
        if hit:
            mentioned.append(hit)
        elif not absolute:  # an absolute one elsewhere is a library's
            partial_paths.append(path)
    prose = _FENCE.sub(" ", text)
    counts: Counter = Counter()
    tokens, words = [], {}
    for word in identifiers(text):
        for token, shown in _shown_words(word).items():
            words.setdefault(token, shown)
        for token in tokenize(word):
            counts[token] += 1
            if counts[token] <= MAX_TOKEN_REPEAT:
                tokens.append(token)
    errors = error_messages(body)
    dense_text = " ".join(prose.split())[:dense_chars] or text[:dense_chars]
    return ParsedQuery(text=text, dense_text=dense_text, tokens=tokens, head_tokens=tokenize(dense_text), words=words,
                       mentioned_files=sorted(set(mentioned)),
                       identifiers=code_identifiers(text), prose_identifiers=code_identifiers(prose), truncated=truncated,
                       title_tokens=tokenize(title), innermost_file=innermost,
                       module_files=named_modules(text, partial_paths, known_files),
                       error_tokens=list(dict.fromkeys(t for kind, message in errors for t in tokenize(f"{kind} {message}"))))


def _shown_words(word: str) -> dict[str, str]:
    """How each token of a query word is shown as the evidence's keyword: the word as written, but a
    piece of a compound name as that piece (a file matching `priority` of `x_forwarded_proto_priority`
    does not contain the whole name: sweep 14), and a Chinese or Japanese run (a whole sentence: 20,000
    characters of a pasted log) or an overlong name by the token that matched."""
    tokens = tokenize(word)
    if HAN_KANA.search(word) or len(word) > MAX_SHOWN_WORD:
        return {token: token for token in tokens}
    shown = {}
    if len(tokens) > 1:
        for piece in split_identifier(word):
            for token in tokenize(piece):
                shown.setdefault(token, piece)
    return {token: shown.get(token, word) for token in tokens}


def has_evidence(q: ParsedQuery) -> bool:
    """Whether anything in the query can point at code: a word, a code name or a file."""
    return bool(q.tokens or q.identifiers or q.mentioned_files or q.module_files)


def code_identifiers(text: str) -> list[str]:
    """The names in `text` that read as code, in order, once each: dotted (`Text.from_ansi`,
    `enum.Flag`), snake_case (`print_json`), camelCase or CamelCase (`ReprHighlighter`), a call
    (`simplify()`, `decompose(p)`), a Rust macro's invocation (`json!({…})`, `vec![…]`), and a
    capitalised word inside a sentence ("Theme used for
    Traceback …"), which prose capitalises only for a name. A lowercase word ("console") or one that
    starts a sentence is left out."""
    out = []
    for m in _DOTTED.finditer(text):
        name = m.group(0)
        last = name.rsplit(".", 1)[-1]
        if ("." in name or "_" in name.strip("_") or text.startswith(("(", "!(", "![", "!{"), m.end())
                or (any(c.isupper() for c in last[1:]) and any(c.islower() for c in last))
                or (_CAPITALISED.fullmatch(name) and not _starts_sentence(text, m.start()))):
            out.append(name)
    return list(dict.fromkeys(out))


def named_modules(text: str, partial_paths: list[str], known_files) -> list[str]:
    """Files a report names without their whole path: a dotted module (`sympy.printing.latex`,
    `from sympy.physics.units import prefixes`) or the tail of a path that one file alone ends with
    (``fitsrec.py``, `fits/connect.py`). A package (`astropy.io.fits`) names no one file."""
    tails = _path_tails(frozenset(known_files))
    found = []
    for path in partial_paths:
        files = tails.get(path.replace("\\", "/").lstrip("./"), [])
        if len(files) == 1:
            found.append(files[0])
    dotted = [m.group(0) for m in _DOTTED.finditer(text) if "." in m.group(0)]
    dotted += [f"{m.group(1)}.{name}" for m in _IMPORT_FROM.finditer(text) for name in identifiers(m.group(2))]
    for name in dotted:
        parts = name.split(".")
        for i in range(len(parts), 1, -1):
            files = tails.get("/".join(parts[:i]) + ".py", [])
            if files:
                if len(files) == 1:
                    found.append(files[0])
                break
    return sorted(set(found))


@lru_cache(maxsize=4)
def _path_tails(known_files: frozenset[str]) -> dict[str, list[str]]:
    """Every tail of every known path ("fits/connect.py", "connect.py") -> the files ending so; built
    once per index (a frozenset keeps its hash)."""
    tails: dict[str, list[str]] = {}
    for known in sorted(known_files):
        parts = known.split("/")
        for i in range(len(parts)):
            tails.setdefault("/".join(parts[i:]), []).append(known)
    return tails


def _starts_sentence(text: str, i: int) -> bool:
    before = text[text.rfind("\n", 0, i) + 1:i].rstrip(" \t`'\"([*->#")  # a bullet or a quote opens one too
    return not before or before[-1] in ".!?:"


def _opens_stack(line: str) -> bool:
    """Whether `line` begins a stack: Python's header, a frame of any language, or an exception line."""
    return bool(line.lstrip().startswith("Traceback (most recent call last)") or _FRAME.match(line)
                or _IPYTHON_FRAME.match(line) or _written_frame_path(line) or _java_frame_path(line)
                or error_messages(line))


def _written_frame_path(line: str) -> str | None:
    """The path of a frame of a stack that lists the innermost call first (all but Python's and Java's),
    as the line writes it."""
    frame = _OUTER_FIRST_FRAME.match(line) or _PHP_FRAME.match(line) or _DOTNET_FRAME.match(line)
    return frame.group(1).removeprefix("./") if frame else None


def _package_path(written: str) -> str:
    """A Dart package's `package:dio/src/x.dart` is its folder's `dio/lib/src/x.dart`; other paths as written."""
    return re.sub(r"^package:([\w.-]+)/", r"\1/lib/", written)


def _java_frame_path(line: str) -> str | None:
    """A Java frame's file, as its package's folder and file name (the line writes no path)."""
    java = _JAVA_FRAME.match(line)
    return java.group(1).replace(".", "/") + java.group(2) if java else None


def _repository_file(path: str, known_files) -> str | None:
    """The repository file a frame's or an absolute path points to: a known file it ends with, or the
    one file ending as it does (`com/shop/Cart.java` in `src/main/java/…`)."""
    return _match_known(path, known_files) or _file_ending_like(path, known_files)


def _file_ending_like(path: str, known_files) -> str | None:
    """The one repository file whose path ends as `path` does, on its longest tail of two names or more
    that any file ends with: Java's `com/shop/Cart.java` in `src/main/java/…`, an installed copy's
    `…\\site-packages\\flask\\sessions.py` for a src layout's `src/flask/sessions.py`."""
    parts = path.replace("\\", "/").split("/")
    tails = _path_tails(frozenset(known_files))
    for i in range(len(parts) - 1):
        files = tails.get("/".join(parts[i:]), [])
        if files:
            return files[0] if len(files) == 1 else None
    return None


def _installed_copy(path: str, known_files) -> str | None:
    """The repository file an installed copy's path is, by its whole path within the installation:
    `…/site-packages/tokenizers/tools/visualizer.py` is `bindings/python/py_src/tokenizers/tools/visualizer.py`
    when that alone ends so (a package kept below the repository's root: sweep 16). A shorter tail would
    take numpy's `core/__init__.py` for sympy's."""
    installed = _INSTALLED.search(path.replace("\\", "/"))
    files = _path_tails(frozenset(known_files)).get(installed.group(1), []) if installed else []
    return files[0] if len(files) == 1 else None


def _workspace_copy(path: str, known_files) -> str | None:
    """The repository file an installed copy of one of its own JavaScript packages was built from:
    `node_modules/@tanstack/react-query/build/modern/QueryClientProvider.js` is the one file named
    `QueryClientProvider` (any extension) below a folder `react-query/`. In a monorepo the app's stack runs
    through the build of a sibling package (sweep 16: the frame was dropped as a dependency's, and the
    preact copy of the file answered first)."""
    installed = _NODE_MODULE.search(path.replace("\\", "/"))
    if not installed:
        return None
    package, stem = installed.group(1), posixpath.splitext(posixpath.basename(path))[0]
    files = [f for f in _files_by_stem(frozenset(known_files)).get(stem, ()) if f"/{package}/" in f"/{f}"]
    return files[0] if len(files) == 1 else None


def _next_build_copy(path: str, known_files) -> str | None:
    """The route file a Next.js production build compiled: `.next/server/app/(teams)/t/[teamUrl]/settings/billing/page.js`
    is the one source `…/app/(teams)/t/[teamUrl]/settings/billing/page.tsx` (any extension). A production
    server's stack names only the build (sweep 17: the route's page came 4th)."""
    built = _NEXT_BUILD.search(path.replace("\\", "/"))
    if not built:
        return None
    route = built.group(1)
    files = [f for f in _files_by_stem(frozenset(known_files)).get(posixpath.basename(route), ())
             if f"/{posixpath.splitext(f)[0]}".endswith(f"/{route}")]
    return files[0] if len(files) == 1 else None


@lru_cache(maxsize=4)
def _files_by_stem(known_files: frozenset[str]) -> dict[str, list[str]]:
    """`QueryClientProvider` -> every known file of that name, whatever its extension; once per index."""
    stems: dict[str, list[str]] = {}
    for known in sorted(known_files):
        stems.setdefault(posixpath.splitext(posixpath.basename(known))[0], []).append(known)
    return stems


def _match_known(path: str, known_files) -> str | None:
    """The repository file a path points to: equal, or the longest known file it ends with."""
    path = path.replace("\\", "/")
    best = None
    for known in known_files:
        if path == known or path.endswith("/" + known):
            if best is None or len(known) > len(best):
                best = known
    return best
