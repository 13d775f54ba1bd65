"""Reading a pasted issue report: its title, what templates and environment dumps add, its errors."""
import pytest

from rag.retrieval.question import QueryError, parse_query
from rag.retrieval.issue_report import error_messages, strip_noise, title_of
from rag.retrieval.tokenize import tokenize

TEMPLATE_REPORT = """TimeSeries: misleading exception when required column check fails.
<!-- This comments are hidden when you submit the issue,
so you do not need to remove them! -->

### Description
For a `TimeSeries` object that has additional required columns, removing one gives a confusing message.

### Expected behavior
An exception that says which required columns are missing.

### System Details
<!-- Please run the following snippet and paste the output below:
import platform; print(platform.platform())
import numpy; print("Numpy", numpy.__version__)
-->
```
Windows-10-10.0.22000-SP0
Python 3.9.10 | packaged by conda-forge | (main, Feb  1 2022, 21:21:54) [MSC v.1929 64 bit (AMD64)]
Numpy 1.22.3
pyerfa 2.0.0.1
astropy 5.0.3
```
numpy==1.22.3
"""


def test_template_comments_headings_and_environment_dump_are_dropped():
    kept = strip_noise(TEMPLATE_REPORT)
    for noise in ("<!--", "hidden", "### Description", "### Expected behavior", "System Details", "Windows-10",
                  "packaged by conda-forge", "Numpy 1.22.3", "astropy 5.0.3", "__version__", "numpy==1.22.3"):
        assert noise not in kept
    assert "removing one gives a confusing message" in kept
    assert "which required columns are missing" in kept


def test_prose_that_mentions_a_version_is_kept():
    text = "Astropy 4.3 breaks unit parsing in tables\nIn sympy 1.0:\nMatrix.hstack returns (0, 6) since 1.1"
    assert strip_noise(text) == text


def test_a_question_about_a_number_is_not_an_environment_line():
    """"parsing 1.0 fails" read as a package and its version: no evidence at all (sweeps 12 and 13): a
    question of one line is asked as it is; in a report, lines that name versions still go."""
    for question in ("parsing 1.0 fails", "float parsing rounds 2.5 incorrectly", "JsonWriter writes -0.0 as 0",
                     "timeout returns 1.5 instead of 2.5", "urllib3 2.0.2 breaks proxies",
                     "Python 3.12 removed distutils so setup fails"):
        assert strip_noise(question) == question
        assert parse_query(question).tokens
    for dump in ("Numpy 1.22.3", "scipy 1.7 (conda)", "Pytest 4.6.2, macOS 10.14.5", "astropy: 5.0.3",
                 "- Ubuntu 22.04 LTS", "- requests 2.27 via pip", "- torch 2.0 cuda", "- macOS 13.4 Ventura"):
        assert strip_noise("The proxy fails.\n" + dump) == "The proxy fails.", dump


def test_a_heading_that_says_something_of_its_own_is_kept():
    assert strip_noise("### Sliced WCS pixel conversion\ntext") == "### Sliced WCS pixel conversion\ntext"


def test_title_is_the_first_line_of_a_report_when_it_reads_as_one():
    assert title_of(TEMPLATE_REPORT) == "TimeSeries: misleading exception when required column check fails."
    assert title_of("one line only") == ""  # a short question is all title and all body
    assert title_of("Traceback (most recent call last):\n  File \"a.py\", line 1") == ""
    assert title_of(">>> from sympy import *\n>>> x") == ""
    assert title_of("## Permutation fails\nbody") == "Permutation fails"


def test_error_messages_give_type_and_message_once_each():
    text = ("Traceback (most recent call last):\n  File \"x.py\", line 3, in f\n"
            "IndexError: Index out of range: a[2]\nastropy.units.core.UnitsError: 'm' is not a valid unit\n"
            "IndexError: Index out of range: a[2]\nValueError\nraise KeyError(key)\nan Error: not at the start of a line")
    assert error_messages(text) == [("IndexError", "Index out of range: a[2]"),
                                    ("UnitsError", "'m' is not a valid unit"), ("ValueError", "")]


def test_parsed_report_keeps_title_errors_and_innermost_frame():
    report = ("is_upper() raises IndexError for tall matrices\n"
              "The function Matrix.is_upper raises an IndexError for a 4x2 matrix of zeros.\n```\n"
              "Traceback (most recent call last):\n"
              '  File "<stdin>", line 1, in <module>\n'
              '  File "sympy/matrices/matrices.py", line 1112, in is_upper\n'
              '  File "/home/u/lib/python3.9/site-packages/sympy/matrices/dense.py", line 119, in __getitem__\n'
              "IndexError: Index out of range: a[2]\n```\n")
    known = frozenset({"sympy/matrices/matrices.py", "sympy/matrices/dense.py"})
    q = parse_query(report, known)
    assert {"upper", "tall", "matric"} <= set(q.title_tokens) and "zero" not in q.title_tokens
    assert q.mentioned_files == ["sympy/matrices/dense.py", "sympy/matrices/matrices.py"]
    assert q.innermost_file == "sympy/matrices/dense.py"  # an installed copy of the repository counts
    assert "rang" in q.error_tokens and "indexerror" in q.error_tokens


def test_the_head_of_a_report_is_its_title_and_opening_prose():
    report = ("Legend overlaps the axis labels\n"
              "When a legend is placed at the top the labels collide.\n```python\n"
              "frobnicate(widget, colours)\n```\n" + "More prose about spacing. " * 40 + "\ntrailing remark")
    q = parse_query(report, dense_chars=300)
    assert {"legend", "overlap", "axi", "label", "collid"} <= set(q.head_tokens)
    assert not {"frobnic", "widget", "colour"} & set(q.head_tokens)  # the code block is not read
    assert "trail" not in q.head_tokens and "trail" in q.tokens  # nor what lies past the first 300 characters
    short = parse_query("Fix proxy authentication for HTTPS requests")
    assert short.head_tokens == [t for t in short.tokens]  # a commit-sized question is read whole


def test_ipython_frames_point_into_the_repository():
    report = ("IndexError in identify_format\n"
              "File ~/envs/py310/lib/python3.10/site-packages/astropy/io/fits/connect.py:72, in is_fits(origin)\n"
              "IndexError: tuple index out of range\n")
    q = parse_query(report, frozenset({"astropy/io/fits/connect.py"}))
    assert q.innermost_file == "astropy/io/fits/connect.py"
    assert q.mentioned_files == ["astropy/io/fits/connect.py"]


def test_environment_dump_words_do_not_reach_the_match():
    q = parse_query(TEMPLATE_REPORT)
    for token in ("numpi", "numpy", "platform", "conda", "forg", "pyerfa", "version"):
        assert token not in q.tokens


def test_modules_named_without_their_path():
    known = frozenset({"sympy/printing/latex.py", "sympy/physics/units/prefixes.py", "astropy/io/fits/fitsrec.py",
                       "astropy/io/fits/connect.py", "a/core.py", "b/core.py", "astropy/io/fits/__init__.py"})
    q = parse_query("Bug in fitsrec.py, not core.py\nsee sympy.printing.latex.LatexPrinter and fits/connect.py,"
                    " astropy.io.fits\n>>> from sympy.physics.units import prefixes, Quantity", known)
    # a dotted module, an import, a unique file name or path tail; an ambiguous name or a package names none
    assert q.module_files == ["astropy/io/fits/connect.py", "astropy/io/fits/fitsrec.py",
                              "sympy/physics/units/prefixes.py", "sympy/printing/latex.py"]


def test_a_comment_that_opens_a_report_is_neither_its_title_nor_evidence():
    # GitHub's issue templates start with their instructions in a comment, before the user's first line
    q = parse_query("<!--\nDescribe the digest nonce problem here.\n-->\n\nRedirects lose the session cookie\n"
                    "After a 302 the cookie jar is empty.")
    assert "nonc" not in q.tokens and "digest" not in q.tokens
    assert {"redirect", "cooki"} <= set(q.title_tokens)
    only = parse_query("<!-- template comment -->\n### Expected behavior\n\n### Actual behavior\n")
    assert only.tokens == [] and only.title_tokens == []


def test_a_template_heading_or_a_bare_version_is_no_title():
    assert title_of("### Description\nThe cart total is wrong") == ""
    assert title_of("Numpy 1.25.2\nScipy 1.11.1") == ""
    assert title_of("Astropy 4.3 breaks units\nbody") == "Astropy 4.3 breaks units"


REQUESTS_HELP_DUMP = """Proxy authentication bug
When using proxies I get an error 407.

## System Information

```json
{
  "chardet": {
    "version": null
  },
  "charset_normalizer": {
    "version": "2.0.9"
  },
  "implementation": {
    "name": "CPython",
    "version": "3.8.12"
  },
  "platform": {
    "release": "5.13.0-7620-generic",
    "system": "Linux"
  },
  "pyOpenSSL": {
    "openssl_version": "",
    "version": null
  },
  "urllib3": {
    "version": "1.26.7"
  },
  "using_pyopenssl": false
}
```
"""


def test_a_code_block_that_is_a_dump_of_versions_is_dropped_whole():
    kept = strip_noise(REQUESTS_HELP_DUMP)
    for noise in ("chardet", "charset_normalizer", "CPython", "generic", "pyOpenSSL", "urllib3", "using_pyopenssl"):
        assert noise not in kept
    assert "When using proxies I get an error 407." in kept


def test_a_code_block_that_only_mentions_versions_is_kept():
    data = '```json\n{"name": "widget", "version": "1.2.0", "size": 3, "colour": "red", "parts": ["a", "b"]}\n```'
    script = "```python\nimport numpy\nprint(numpy.__version__)\nx = numpy.linspace(0, 1, 5)\nprint(x.sum())\n```"
    assert "widget" in strip_noise(data)
    assert "linspace" in strip_noise(script)  # its version line goes, the code stays


def test_absolute_paths_of_any_language_point_into_the_repository():
    """A JavaScript stack's `/home/me/x/lib/view.js:80:5` (or `~/…`, `C:\\…`) never matched: the path had to
    start at a word (sweep 12); a library's absolute path that is no repository file names no module."""
    known = frozenset({"lib/view.js", "lib/router/index.js", "src/cart.c", "shop/frame.py"})
    report = ("TypeError: Cannot read properties of undefined (reading 'engine')\n"
              "    at View.render (/home/me/app/node_modules/express/lib/view.js:80:5)\n"
              "    at tryRender (~/app/lib/router/index.js:12:3)\n"
              "    at main (C:\\build\\src\\cart.c:7)\n"
              "    at Object.<anonymous> (/usr/lib/python3/site-packages/pandas/core/frame.py:1)\n")
    q = parse_query(report, known)
    assert q.mentioned_files == ["lib/router/index.js", "lib/view.js", "src/cart.c"]
    assert q.module_files == []


def test_other_languages_stacks_name_their_innermost_frame():
    """Only Python's tracebacks set the innermost frame: a JavaScript stack ending in lib/view.js answered
    lib/router/index.js (sweep 12). Those stacks list the innermost call first."""
    known = frozenset({"lib/view.js", "lib/router/index.js", "src/main/java/com/google/gson/Gson.java",
                       "src/de.rs", "mux.go", "src/cart.cc", "shop/cart.py"})
    stacks = {
        "lib/view.js": "    at View.render (/home/me/app/lib/view.js:80:5)\n    at tryRender (lib/router/index.js:12:3)",
        "src/main/java/com/google/gson/Gson.java": "\tat com.google.gson.Gson.toJson(Gson.java:42)\n\tat Main.main(Main.java:3)",
        "mux.go": "goroutine 1 [running]:\n\t/home/me/go/pkg/mod/github.com/gorilla/mux/mux.go:123 +0x1f",
        "src/de.rs": "thread 'main' panicked at 'oops', src/de.rs:10:5",
        "src/cart.cc": "#0  0x00005555 in cart_add (c=0x0) at src/cart.cc:42\n#1  main () at main.cc:3",
    }
    for innermost, stack in stacks.items():
        q = parse_query("it crashes\n" + stack, known)
        assert q.innermost_file == innermost and innermost in q.mentioned_files, (innermost, q.innermost_file)
    python = parse_query('it crashes\n    at View.render (lib/view.js:80:5)\nTraceback (most recent call last):\n'
                         '  File "shop/cart.py", line 3, in add\nValueError: no', known)
    assert python.innermost_file == "shop/cart.py"  # a Python traceback's own frame comes first


def test_toolchain_frames_of_other_languages_are_noise():
    """Sweep 12: a Rust backtrace through the toolchain and the cargo registry gave `src/error.rs` "defines
    io, named in the query" (`index.crates.io-…`) and keywords `rust_begin_unwind, omitted, verbose`; a Go
    module's frames (`mux@v1.8.1/regexp.go`) were no frames at all."""
    known = frozenset({"src/value/ser.rs", "src/value/mod.rs", "src/error.rs", "mux.go", "regexp.go", "route.go"})
    registry = "/home/me/.cargo/registry/src/index.crates.io-6f17d22bba15001f/serde_json-1.0.133"
    rust = ("Panic when serializing a map with non-string keys\n\n"
            "thread 'main' panicked at src/value/ser.rs:412:17:\nkey must be a string\nstack backtrace:\n"
            "   0: rust_begin_unwind\n"
            "             at /rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/std/src/panicking.rs:665:5\n"
            "   1: core::panicking::panic_fmt\n"
            "             at /rustc/90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf/library/core/src/panicking.rs:74:14\n"
            "   2: <serde_json::value::ser::MapKeySerializer as serde::ser::Serializer>::serialize_bytes\n"
            f"             at {registry}/src/value/ser.rs:412:17\n"
            "   3: serde_json::value::to_value\n"
            f"             at {registry}/src/value/mod.rs:1010:5\n"
            "note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.\n")
    q = parse_query(rust, known)
    assert q.innermost_file == "src/value/ser.rs" and q.mentioned_files == ["src/value/mod.rs", "src/value/ser.rs"]
    assert {"serialize_bytes", "mapkeyserializer", "to_value"} <= set(q.tokens)
    noise = {t for word in ("rust_begin_unwind", "fmt", "registry", "crates", "omitted", "verbose", "library",
                            "backtrace", "90b35a6239c3d8bdabc530a6a0816f7ff89a0aaf") for t in tokenize(word)}
    assert not noise & set(q.tokens)
    assert "io" not in q.identifiers and not any("crates" in i for i in q.identifiers)
    go = ("panic: runtime error: index out of range [1] with length 1\n\ngoroutine 34 [running]:\n"
          "github.com/gorilla/mux.(*routeRegexp).url(0xc0001a2000, 0xc00009e510)\n"
          "\t/home/me/go/pkg/mod/github.com/gorilla/mux@v1.8.1/regexp.go:192 +0x3a5\n"
          "net/http.HandlerFunc.ServeHTTP(0x0?, {0x7f1c?, 0xc0001b0000?}, 0x0?)\n"
          "\t/usr/local/go/src/net/http/server.go:2136 +0x29\n")
    q = parse_query("panic when building a URL\n" + go, known)
    assert q.innermost_file == "regexp.go"
    assert "routeregexp" in q.tokens
    assert not {t for word in ("goroutine", "HandlerFunc", "pkg", "running") for t in tokenize(word)} & set(q.tokens)


def test_a_terminals_colours_take_no_word_with_them():
    """`\x1b[31mproxy\x1b[0m` (colours in pasted output) read as no word at all (sweep 12)."""
    plain = parse_query("proxy authentication fails for HTTPS")
    coloured = parse_query("\x1b[31mproxy\x1b[0m authentication \x1b[1;33mfails\x1b[0m for HTTPS\x1b]0;title\x07")
    assert coloured.tokens == plain.tokens and coloured.text == plain.text
    assert parse_query("\x1b(Bproxy\x1b(B authentication fails for HTTPS").tokens == plain.tokens  # `tput sgr0`
    with pytest.raises(QueryError, match="empty"):  # colours and nothing else (sweep 13: answered with a guess)
        parse_query("\x1b[31m\x1b[0m  \x1b(B")


def test_stack_frames_in_the_forms_runtimes_print_them():
    """Sweep 13: `at new View (…)`, `at async f (…)`, `at f [as g] (…)` and Node's `file:///` frames gave
    no frame; Gradle's `app//` prefix neither; a Java `Caused by:` root cause lost to the outer exception;
    an installed copy's path (`C:\\…\\site-packages\\flask\\sessions.py`) found no file of a src layout."""
    known = frozenset({"lib/view.js", "lib/application.js", "src/main/java/com/acme/Cart.java",
                       "src/main/java/com/acme/Shop.java", "src/flask/sessions.py", "src/flask/app.py"})
    for first in ("at new View (/app/lib/view.js:80:5)", "at async View.render (/app/lib/view.js:80:5)",
                  "at View.render [as render] (/app/lib/view.js:80:5)", "at file:///app/lib/view.js:80:5",
                  "at View.render (file:///home/me/app/lib/view.js:80:5)"):
        q = parse_query(f"it crashes\n    {first}\n    at Function.handle (/app/lib/application.js:10:3)\n", known)
        assert q.innermost_file == "lib/view.js", (first, q.innermost_file)
    java = ("Exception in thread main java.lang.IllegalStateException: checkout\n"
            "\tat app//com.acme.Shop.checkout(Shop.java:12)\n"
            "Caused by: java.lang.NullPointerException\n"
            "\tat app//com.acme.Cart.total(Cart.java:42)\n\t... 3 more\n")
    assert parse_query(java, known).innermost_file == "src/main/java/com/acme/Cart.java"
    windows = "it crashes\nsee C:\\Python311\\Lib\\site-packages\\flask\\sessions.py line 12\n"
    assert parse_query(windows, known).mentioned_files == ["src/flask/sessions.py"]


def test_a_stack_pasted_bare_and_an_installed_copy_below_the_root():
    """Sweep 16, huggingface/tokenizers: a Rust paste opens with its panic line, which was read as the
    title and gave no frame (`model.rs` answered above `lattice.rs`); a Python frame of the installed
    package (`site-packages/tokenizers/tools/visualizer.py`) found nothing in `bindings/python/py_src/`,
    where the package lives, and was dropped as a dependency's."""
    known = frozenset({"tokenizers/src/models/unigram/lattice.rs", "tokenizers/src/models/unigram/model.rs",
                       "bindings/python/py_src/tokenizers/tools/visualizer.py", "bindings/python/py_src/tokenizers/__init__.py",
                       "sympy/core/__init__.py"})
    rust = ("thread 'main' panicked at tokenizers/src/models/unigram/lattice.rs:212:35:\n"
            "index out of bounds: the len is 3 but the index is 3\nstack backtrace:\n"
            "   1: tokenizers::models::unigram::model::Unigram::encode\n")
    q = parse_query(rust, known)
    assert q.innermost_file == "tokenizers/src/models/unigram/lattice.rs"
    assert "tokenizers/src/models/unigram/lattice.rs" in q.mentioned_files
    python = ('EncodingVisualizer fails\nTraceback (most recent call last):\n  File "/home/u/proj/run.py", line 5, in <module>\n'
              '  File "/home/u/.venv/lib/python3.11/site-packages/tokenizers/tools/visualizer.py", line 153, in __call__\n'
              '  File "/home/u/.venv/lib/python3.11/site-packages/numpy/core/__init__.py", line 1, in <module>\n'
              "ValueError: something went wrong")
    q = parse_query(python, known)
    assert q.mentioned_files == ["bindings/python/py_src/tokenizers/tools/visualizer.py"]  # numpy's is not sympy's
    assert q.innermost_file == "bindings/python/py_src/tokenizers/tools/visualizer.py"


def test_a_frame_of_an_installed_workspace_package_is_its_source():
    """TanStack Query (sweep 16): an app's stack runs through `node_modules/@tanstack/react-query/build/…`,
    the build of a package of the repository; the frames were dropped as a dependency's, and the preact copy
    of `QueryClientProvider.tsx` answered first. A dependency's frame is still none."""
    known = frozenset({"packages/react-query/src/QueryClientProvider.tsx", "packages/preact-query/src/QueryClientProvider.tsx",
                       "packages/react-query/src/useBaseQuery.ts", "packages/preact-query/src/useBaseQuery.ts"})
    stack = ("Error: No QueryClient set, use QueryClientProvider to set one\n"
             "    at useQueryClient (webpack-internal:///./node_modules/@tanstack/react-query/build/modern/QueryClientProvider.js:18:11)\n"
             "    at useBaseQuery (webpack-internal:///./node_modules/@tanstack/react-query/build/modern/useBaseQuery.js:25:18)\n"
             "    at renderWithHooks (webpack-internal:///./node_modules/react-dom/cjs/react-dom.development.js:15486:18)\n")
    q = parse_query(stack, known)
    assert q.innermost_file == "packages/react-query/src/QueryClientProvider.tsx"
    assert "packages/react-query/src/QueryClientProvider.tsx" in q.mentioned_files
    assert not any("preact" in f for f in q.mentioned_files)


def test_a_browsers_stack_through_a_dev_server_names_the_source():
    """A front end's stack in the browser (Vite, webpack-dev-server) names each module by its URL, which
    serves the source's own path: `http://localhost:5173/src/components/Cart.tsx?t=…:12:5`. The URL was
    dropped as a link, and Firefox's `Cart@…` frame as a `pip freeze` line. A link stays no frame."""
    known = frozenset({"web/src/App.tsx", "web/src/components/Cart.tsx"})
    chrome = ("TypeError: cart is undefined\n"
              "    at Cart (http://localhost:5173/src/components/Cart.tsx?t=1700000000:12:5)\n"
              "    at App (http://localhost:5173/src/App.tsx:20:3)\n")
    firefox = "TypeError: cart is undefined\nCart@http://localhost:5173/src/components/Cart.tsx:12:5\nApp@http://localhost:5173/src/App.tsx:20:3\n"
    for stack in (chrome, firefox):
        q = parse_query(stack, known)
        assert q.innermost_file == "web/src/components/Cart.tsx", stack
    link = parse_query("Cart total is wrong\nsee https://example.com/docs/src/components/Cart.tsx for the API\n", known)
    assert link.mentioned_files == [] and link.innermost_file is None
    assert parse_query("Cart breaks\nreact@18.2.0\nnumpy==1.22\nthe cart is empty", known).text.splitlines()[1:] == ["the cart is empty"]


def test_stacks_of_the_languages_added_since_name_their_innermost_frame():
    """Sweep 14: a Ruby, PHP, C#, Swift, Dart, Elixir, Lua or Vue stack gave no frame (only a handful of
    extensions were paths), a Kotlin file class named with a dash (`-JsonUtf8Reader.kt`) neither, and a
    plain mention of `lib/rack/media_type.rb` named no file; the frames of installed gems and Composer's
    `vendor/` outside the repository are noise."""
    known = frozenset({"lib/rack/media_type.rb", "lib/rack/request.rb", "src/Monolog/Formatter/NormalizerFormatter.php",
                       "src/Monolog/Logger.php", "Src/Newtonsoft.Json/JsonTextReader.cs", "Src/Newtonsoft.Json/JsonSerializer.cs",
                       "moshi/src/main/java/com/squareup/moshi/-JsonUtf8Reader.kt",
                       "moshi/src/main/java/com/squareup/moshi/StandardJsonAdapters.kt",
                       "Sources/ArgumentParser/Parsing/SplitArguments.swift", "dio/lib/src/dio_mixin.dart",
                       "dio/lib/src/dio.dart", "lib/plug/conn.ex", "lib/plug/router.ex", "lua/telescope/pickers.lua",
                       "lua/telescope/builtin/init.lua", "src/views/login/index.vue", "src/main.js"})
    stacks = {
        "lib/rack/media_type.rb": "/usr/local/bundle/gems/rack-3.0.8/lib/rack/media_type.rb:39:in `params'\n"
                                  "\tfrom /usr/local/bundle/gems/rack-3.0.8/lib/rack/request.rb:12:in `media_type_params'\n"
                                  "\tfrom /usr/local/bundle/gems/puma-6.4.0/lib/puma/server.rb:9:in `handle'",
        "src/Monolog/Formatter/NormalizerFormatter.php":
            "#0 /var/www/vendor/monolog/monolog/src/Monolog/Formatter/NormalizerFormatter.php(227): Monolog\\f()\n"
            "#1 /var/www/vendor/monolog/monolog/src/Monolog/Logger.php(312): Monolog\\g()\n"
            "#2 /var/www/vendor/laravel/framework/src/Illuminate/Log/Logger.php(40): Illuminate\\h()",
        "Src/Newtonsoft.Json/JsonTextReader.cs":
            "   at Newtonsoft.Json.JsonTextReader.ParseReadNumber(ReadType readType) in /_/Src/Newtonsoft.Json/JsonTextReader.cs:line 2105\n"
            "   at Newtonsoft.Json.JsonSerializer.Deserialize(JsonReader reader) in /_/Src/Newtonsoft.Json/JsonSerializer.cs:line 45",
        "moshi/src/main/java/com/squareup/moshi/-JsonUtf8Reader.kt":
            "\tat com.squareup.moshi.-JsonUtf8Reader.nextInt(-JsonUtf8Reader.kt:890)\n"
            "\tat com.squareup.moshi.StandardJsonAdapters$3.fromJson(StandardJsonAdapters.kt:120)",
        "Sources/ArgumentParser/Parsing/SplitArguments.swift":
            "Fatal error: index out of range\n  at /Users/me/src/swift-argument-parser/Sources/ArgumentParser/Parsing/SplitArguments.swift:590:22",
        "dio/lib/src/dio_mixin.dart": "#0      DioMixin.fetch (package:dio/src/dio_mixin.dart:522:7)\n"
                                      "#1      Dio.get (package:dio/src/dio.dart:12:3)",
        "lib/plug/conn.ex": "    (plug 1.14.0) lib/plug/conn.ex:123: Plug.Conn.put_resp_header/3\n"
                            "    (plug 1.14.0) lib/plug/router.ex:246: Plug.Router.call/2",
        "lua/telescope/pickers.lua": "stack traceback:\n\t[C]: in function 'error'\n"
                                     "\t.../lazy/telescope.nvim/lua/telescope/pickers.lua:123: in function 'find'\n"
                                     "\t.../telescope.nvim/lua/telescope/builtin/init.lua:9: in function <...>",
        "src/views/login/index.vue": "    at VueComponent.handleLogin (webpack-internal:///./src/views/login/index.vue:180:20)\n"
                                     "    at invokeWithErrorHandling (webpack-internal:///./node_modules/vue/dist/vue.runtime.esm.js:1863:26)",
    }
    for innermost, stack in stacks.items():
        q = parse_query("it crashes\n" + stack, known)
        assert q.innermost_file == innermost and innermost in q.mentioned_files, (innermost, q.innermost_file)
    ruby = parse_query("it crashes\n" + stacks["lib/rack/media_type.rb"], known)
    assert not {"puma", "bundle", "gems"} & set(ruby.tokens)  # an installed gem's frame outside the repository
    php = parse_query("it crashes\n" + stacks["src/Monolog/Formatter/NormalizerFormatter.php"], known)
    assert "illuminate" not in php.tokens
    assert parse_query("lib/rack/media_type.rb is wrong", known).mentioned_files == ["lib/rack/media_type.rb"]


def test_a_keyword_shown_as_evidence_is_what_the_file_matched():
    """Sweep 14: `keywords: x_forwarded_proto_priority` was shown for rack's utils.rb, which holds only
    `proto` and `priority`; a piece of a compound name is shown as that piece, a whole name as written."""
    q = parse_query("Consider forwarded_priority and x_forwarded_proto_priority; progress bar refreshing")
    assert q.words["proto"] == "proto" and q.words[tokenize("priority")[0]] == "priority"
    assert q.words["x_forwarded_proto_priority"] == "x_forwarded_proto_priority"
    assert q.words[tokenize("refreshing")[0]] == "refreshing"  # a plain word as written
    assert parse_query("fix parseHTTPResponse").words["parsehttpresponse"] == "parseHTTPResponse"


def test_a_flutter_stack_through_logcat_names_every_frame_in_the_repository():
    """Sweep 15: Android's logcat prefix (`E/flutter ( 6120): `) hid a whole Dart stack, and of a plain one
    only the innermost frame counted (its `package:` path was looked up, the line kept it unreplaced)."""
    known = frozenset({"dio/lib/src/adapters/io_adapter.dart", "dio/lib/src/dio_mixin.dart", "dio/lib/src/dio.dart",
                       "example_dart/lib/formdata.dart"})
    stack = ("Unhandled exception when the connection drops\n"
             "E/flutter ( 6120): [ERROR:flutter/runtime/dart_vm_initializer.cc(41)] Unhandled Exception: HttpException\n"
             "E/flutter ( 6120): #0      IOHttpClientAdapter._fetch.<anonymous closure> (package:dio/src/adapters/io_adapter.dart:150:13)\n"
             "E/flutter ( 6120): #1      _rootRunUnary (dart:async/zone.dart:1407:47)\n"
             "E/flutter ( 6120): #2      DioMixin.fetch (package:dio/src/dio_mixin.dart:522:7)\n"
             "I/flutter ( 6120): #3      Dio.get (package:dio/src/dio.dart:12:3)\n")
    q = parse_query(stack, known)
    assert q.innermost_file == "dio/lib/src/adapters/io_adapter.dart"
    assert q.mentioned_files == ["dio/lib/src/adapters/io_adapter.dart", "dio/lib/src/dio.dart", "dio/lib/src/dio_mixin.dart"]
    assert parse_query(stack.replace("E/flutter ( 6120): ", "flutter: "), known).innermost_file == \
        "dio/lib/src/adapters/io_adapter.dart"


def test_line_breaks_of_every_kind_end_the_title():
    """Sweep 17: a bare CR, a form feed or NEL ends a line for the title (`str.splitlines`) but not for
    the body, and the question failed with an IndexError."""
    for sep in ("\r", "\f", "\x85", "\u2028", "\r\n"):
        q = parse_query(f"Billing page broken{sep}The free plan banner shows for paying users")
        assert q.title_tokens == tokenize("Billing page broken") and "banner" in q.tokens, repr(sep)


def test_route_folders_of_file_system_routers_are_paths():
    """Sweep 17, Next.js and Remix apps: a route group `(dashboard)`, parameters `[token]`, `[...slug]`,
    `$id`, an escaped `rss[.]xml` and the `webpack-internal:///(rsc)/` prefix Next.js 13+ writes before
    every frame lost the frame, or the file a question named."""
    known = frozenset({"apps/web/src/app/(dashboard)/settings/billing/page.tsx", "apps/web/src/app/(dashboard)/layout.tsx",
                       "app/blog/[...slug]/page.tsx", "app/routes/blog_.rss[.]xml.tsx", "app/routes/users.$id.tsx",
                       "app/api/links/route.ts", "packages/lib/errors/app-error.ts"})
    browser = ("TypeError: plan is undefined\n    at Billing (/app/apps/web/src/app/(dashboard)/settings/billing/page.tsx:40:14)\n"
               "    at Layout (/app/apps/web/src/app/(dashboard)/layout.tsx:12:3)\n")
    assert parse_query(browser, known).innermost_file == "apps/web/src/app/(dashboard)/settings/billing/page.tsx"
    server = ("Error: link not found\n    at GET (webpack-internal:///(rsc)/./app/api/links/route.ts:42:15)\n"
              "    at AppError (webpack-internal:///(rsc)/./packages/lib/errors/app-error.ts:3:1)\n")
    assert parse_query(server, known).innermost_file == "app/api/links/route.ts"
    named = parse_query("the feed at app/routes/blog_.rss[.]xml.tsx drops drafts, and app/routes/users.$id.tsx "
                        "and app/blog/[...slug]/page.tsx 404 (see (app/api/links/route.ts))", known)
    assert named.mentioned_files == ["app/api/links/route.ts", "app/blog/[...slug]/page.tsx",
                                     "app/routes/blog_.rss[.]xml.tsx", "app/routes/users.$id.tsx"]


def test_a_link_to_a_file_of_the_repository_names_it():
    """A report that links the lines at fault (`…/blob/<sha>/astropy/io/fits/card.py#L1275`) named no
    file: every link's address was dropped. 28 of the dev sets' 400 reports link a file of their own
    repository, 21 of them a file the fix changed."""
    known = frozenset({"astropy/io/fits/card.py", "src/x.rs", "lib/y.py"})
    for link in ("https://github.com/astropy/astropy/blob/b5e1e9a/astropy/io/fits/card.py#L1275-L1280",
                 "(https://github.com/astropy/astropy/blob/main/astropy/io/fits/card.py?plain=1#L12)",
                 "https://gitlab.com/a/b/-/blob/main/src/x.rs", "https://raw.githubusercontent.com/a/b/main/lib/y.py"):
        q = parse_query(f"Card float formatting\nThe value is rounded here: {link} and kept too long", known)
        assert len(q.mentioned_files) == 1 and q.mentioned_files[0] in known, (link, q.mentioned_files)
    other = parse_query("Card float formatting\nsee https://github.com/astropy/astropy/issues/1234 and "
                        "https://docs.python.org/3/library/decimal.html", known)
    assert other.mentioned_files == [] and "issues" not in other.tokens and "decimal" not in other.tokens


def test_django_debug_pages_environment_is_noise():
    """Sweep 17: the "copy-and-paste view" of Django's debug page lists the installed applications and
    middleware, the names settings.py holds, which then answered above the traceback's frame."""
    known = frozenset({"hc/api/models.py", "hc/api/views.py", "hc/settings.py"})
    page = ("Environment:\n\n\nRequest Method: GET\nRequest URL: http://localhost:8000/ping/0d3f/start\n\n"
            "Django Version: 5.1.4\nPython Version: 3.12.3\nInstalled Applications:\n['django.contrib.admin',\n"
            " 'hc.accounts',\n 'hc.api']\nInstalled Middleware:\n['django.middleware.security.SecurityMiddleware',\n"
            " 'hc.accounts.middleware.TeamAccessMiddleware']\n\n\n\nTraceback (most recent call last):\n"
            '  File "/opt/hc/hc/api/views.py", line 238, in ping\n    check.ping(remote_addr)\n'
            '  File "/opt/hc/hc/api/models.py", line 563, in ping\n    ping.save()\n\n'
            "Exception Type: IntegrityError at /ping/0d3f/start\nException Value: duplicate key value\n")
    q = parse_query(page, known)
    assert q.innermost_file == "hc/api/models.py"
    assert not {"installed", "middleware", "accounts", "contrib", "environment"} & set(q.tokens + q.title_tokens), q.tokens


def test_a_threads_exception_header_is_no_title():
    """Sweep 17: `Exception in thread ThreadPoolExecutor-0_3:` above a thread's traceback was read as the
    report's title, and its thread name answered."""
    q = parse_query('Exception in thread ThreadPoolExecutor-0_3:\nTraceback (most recent call last):\n'
                    '  File "/app/hc/api/transports.py", line 12, in notify\nKeyError: \'url\'\n',
                    frozenset({"hc/api/transports.py"}))
    assert q.title_tokens == [] and "executor" not in q.tokens and q.innermost_file == "hc/api/transports.py"


def test_the_applications_own_address_names_its_route():
    """Sweep 17: "Page crashes at https://app.documenso.com/settings/security/activity" lost the route with
    the link, while the bare path ranked the route's page first. A question of one line is about its
    link; in a longer report only the application run locally is (other links are references)."""
    assert parse_query("Page crashes at https://app.documenso.com/settings/security/activity?tab=2").tokens == \
        tokenize("Page crashes at settings security activity")
    report = parse_query("Billing page broken\nopen http://localhost:3000/t/acme/settings/billing and click Upgrade\n"
                         "as https://docs.documenso.com/developers/billing explains")
    assert "acm" in report.tokens and "develop" not in report.tokens


def test_a_nextjs_production_frame_is_its_route_source():
    """Sweep 17, documenso: a production server's stack names the build (`.next/server/app/…/page.js`),
    and the route's `page.tsx` came 4th."""
    known = frozenset({"apps/web/src/app/(teams)/t/[teamUrl]/settings/billing/page.tsx",
                       "apps/web/src/app/(dashboard)/settings/billing/page.tsx", "packages/lib/server-only/billing.ts"})
    stack = ("TypeError: Cannot read properties of undefined (reading 'plan')\n"
             "    at Billing (/app/apps/web/.next/server/app/(teams)/t/[teamUrl]/settings/billing/page.js:1:4821)\n")
    assert parse_query(stack, known).innermost_file == "apps/web/src/app/(teams)/t/[teamUrl]/settings/billing/page.tsx"


def test_a_log_line_announcing_a_stack_is_no_title():
    """Sweep 17, maybe-finance: Sidekiq's `Error performing RuleJob (…): NoMethodError (…):` above a Ruby
    backtrace was read as the title, and the job it names answered at 0.94 above the innermost frame."""
    known = frozenset({"app/models/rule/action_executor/set_transaction_category.rb", "app/jobs/rule_job.rb"})
    log = ("Error performing RuleJob (Job ID: 6b1d) from Sidekiq(default) in 84.2ms: NoMethodError (undefined method `id' for nil):\n"
           "/rails/app/models/rule/action_executor/set_transaction_category.rb:22:in `block in execute'\n"
           "/rails/app/jobs/rule_job.rb:5:in `perform'\n")
    q = parse_query(log, known)
    assert q.title_tokens == [] and q.innermost_file == "app/models/rule/action_executor/set_transaction_category.rb"
    # a title that ends with a colon above prose stays one
    assert parse_query("Unit parsing breaks for:\nthe string 'km/s' in tables", known).title_tokens == \
        tokenize("Unit parsing breaks for:")
