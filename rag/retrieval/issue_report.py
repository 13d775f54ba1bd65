"""Read a pasted issue report the way a developer does before searching the code.

A report is a title, prose, code, output and often a traceback, wrapped in a template. A developer
reads the title first, skips what the template and the environment dump add, and takes the
traceback's innermost frame in the repository and the error message as the strongest leads. These
are pure functions of the text:

- `strip_noise` drops what says nothing about where the change belongs: HTML comments (issue
  templates hide their instructions in them) and markup, links' addresses (but the path of a file a
  link shows on a code host, and of a frame a dev server serves), template headings
  ("### Expected behavior"), and
  environment dumps ("Numpy 1.22.3", `pip freeze` lines, `print(numpy.__version__)` snippets, and
  whole code blocks that are mostly versions, such as the JSON `python -m requests.help` prints),
  which otherwise make the repository's own version-printing module the answer;
- `title_of` is the first line of a multi-line report, when it reads as a title (read once the report's
  HTML comments are gone: `without_comments`);
- `error_messages` are the exception lines of the report ("IndexError: tuple index out of range").
"""
from __future__ import annotations

import re

_HTML_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
# markup around the words (<details>, <br/>, <img …>) and links' addresses, not their text
_HTML_TAG = re.compile(r"</?(?:details|summary|br|hr|img|a|p|div|span|sub|sup|code|pre|b|i|em|strong|kbd|ul|ol|li|table|tr|td|th|h[1-6])\b[^>]*>", re.I)
_URL = re.compile(r"\(?\bhttps?://[^\s)>\]]+\)?")
# a URL that is a stack frame: a dev server serves the source's own path (Vite's, a browser's stack:
# `at Cart (http://localhost:5173/src/components/Cart.tsx?t=1700000000:12:5)`, `Cart@http://…/Cart.tsx:12:5`)
_URL_FRAME = re.compile(r"(\(?)https?://[^/\s)>\]]+/([^\s)>\]]+?\.[A-Za-z]{1,10}(?:\?[^:\s)>\]]*)?:\d+(?::\d+)?)(\)?)$")
# a link to a file of a repository on a code host: GitHub's `…/blob/<ref>/astropy/io/fits/card.py#L1275`
# (a permalink to the lines at fault), GitLab's `…/-/blob/…`, Bitbucket's and Codeberg's `…/src/…`, raw
# files. 28 of the 400 reports of the dev sets link a file of their own repository, 21 of them a file the
# fix changed
_CODE_HOST_FILE = re.compile(r"\(?https?://(?:www\.)?(?:(?:github\.com|gitlab\.com|bitbucket\.org|codeberg\.org)/[\w.-]+/[\w.-]+"
                             r"/(?:-/)?(?:blob|tree|src)|raw\.githubusercontent\.com/[\w.-]+/[\w.-]+)/[^/\s)>\]]+/"
                             r"([^\s#?)>\]]+)[^\s)>\]]*\)?$")
# a link's host and path; the application itself run locally is at a local host, and the path is the route a
# question is about (`http://localhost:3000/settings/billing`)
_URL_PATH = re.compile(r"\(?https?://([^/\s)>\]]+)(/[^\s?#)>\]]*)?[^\s)>\]]*\)?$")
_LOCAL_HOST = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\])(?::\d+)?")
# headings that issue templates put in every report: they say nothing about this one
_TEMPLATE_WORDS = frozenset("""
description describe summary bug report feature request expected actual behavior behaviour result results
output steps step to reproduce reproducer reproduction how minimal example code sample system details
environment versions version platform info information additional context workaround possible fix
solution proposed alternatives considered motivation problem issue the what happened you your
screenshots logs log error traceback test case cases checklist notes other related please
""".split())
_HEADING = re.compile(r"^\s*(?:#{1,6}\s+(.*?)\s*#*|\*\*(.*?)\*\*:?|__(.*?)__:?)\s*$")
_VERSION = r"v?\d+(?:\.\d+)+(?:[-.+]?[A-Za-z0-9]+)*"
# "Numpy 1.22.3", "astropy: 5.0.3", "pyerfa 2.0.0.1", "Python 3.9.10 | packaged by conda-forge | …"
_NAME_VERSION = re.compile(rf"^\s*[-*]?\s*([A-Za-z][\w.\-]*(?: [\w.\-]+){{0,2}}?)\s*[:=]*\s*({_VERSION})\b(.*)$")
_PROSE = re.compile(r"[A-Za-z]{2,} [A-Za-z]{2,} [A-Za-z]{2,}")
# `numpy==1.22.3`, pip's `pkg @ file:///…`, npm's `react@18.2.0`; not a browser's frame (`Cart@src/Cart.tsx:12:5`)
_PIP_FREEZE = re.compile(r"^\s*[A-Za-z][\w.\-]*(?:\s*(?:==|>=|<=|~=)\s*\S+|\s+@\s*\S+|@v?\d\S*)\s*$")
_PLATFORM = re.compile(r"^\s*(?:Windows|Linux|Darwin|macOS|CYGWIN|MINGW)[-\w. ]*\d[-\w. ]*$", re.I)
_VERSION_SNIPPET = re.compile(r"__version__|platform\.platform\(\)|sys\.version\b|show_versions\(|\bpip freeze\b")
# a key-value line of a structured dump that names a version: `"version": "2.0.9",`, `openssl_version: ""`
_VERSION_ENTRY = re.compile(rf"""^\s*"?[\w.\-]*version[\w.\-]*"?\s*[:=]\s*("?{_VERSION}"?|null|None|""|'')\s*,?\s*$""", re.I)
_FENCED_BLOCK = re.compile(r"^\s*```[^\n]*\n(.*?)^\s*```\s*$", re.S | re.M)
# a line of a dump that carries no value of its own: a brace, or a key opening a nested object (`"idna": {`)
_NO_VALUE = re.compile(r"""[^\w"']*|\s*"?[\w.\-]+"?\s*:\s*[{\[]?\s*""")
_ERROR_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w]*\.)*([A-Z]\w*(?:Error|Exception|Warning|Exit|Interrupt))"
                         r"(?::\s*(.*\S))?\s*$")
_CODE_LINE = re.compile(r"^\s*(?:>>>|\.\.\.|In \[\d+\]|Out\[\d+\]|[\w.]+\s*=|import |from \S+ import|def |class |print\()")


# the "copy-and-paste view" of Django's debug page opens with the request and the settings: its installed
# applications and middleware are the names `settings.py` lists, which then answered (healthchecks and netbox
# in sweep 17, where the traceback below them named the file at fault)
_DJANGO_ENVIRONMENT = re.compile(
    r"^Environment:[ \t]*\n(?:[ \t]*\n|(?:Request Method|Request URL|Django Version|Python (?:Version|Executable|Path)"
    r"|Server time|Exception Location):.*\n|Installed (?:Applications|Middleware):[ \t]*\n\[[^\]]*\][ \t]*\n)*", re.M)


def without_comments(text: str) -> str:
    """The report without its HTML comments: an issue template's instructions, which often open the
    report, before any line of the user's own (an unclosed comment runs to the end, as a browser shows it)."""
    return _HTML_COMMENT.sub("", text)


def without_environment_page(text: str) -> str:
    """The report without the environment Django's debug page puts above its traceback."""
    return _DJANGO_ENVIRONMENT.sub("", text)


def what_a_link_says(url: re.Match, whole_question: bool = False) -> str:
    """A link's address says nothing of the report, but a frame's URL holds the path of the file it ran, a
    link to a file on a code host names that file, and the application's own address (run locally, or the
    whole question: "Page crashes at https://app.example.com/settings/security") names the route."""
    frame = _URL_FRAME.match(url.group(0))
    if frame:
        return f"{frame[1]}{frame[2]}{frame[3]}"
    linked = _CODE_HOST_FILE.match(url.group(0))
    if linked:
        return f" {linked[1]} "
    address = _URL_PATH.match(url.group(0))
    return f" {address[2] or ''} " if address and (whole_question or _LOCAL_HOST.fullmatch(address[1])) else " "


def strip_noise(text: str, whole_question: bool = False) -> str:
    """The report without HTML comments, template headings and environment dumps (line structure kept
    for what remains). `whole_question`: the text is a question of one line, whose links are its subject."""
    text = _HTML_TAG.sub(" ", without_comments(text))
    one_line = sum(bool(line.strip()) for line in text.splitlines()) == 1
    text = _URL.sub(lambda url: what_a_link_says(url, whole_question and one_line), text)
    text = _FENCED_BLOCK.sub(lambda m: "" if _is_environment_block(m.group(1)) else m.group(0), text)
    lines = text.splitlines()
    if one_line:  # a question of one line is asked as it is: "parsing 1.0 fails", "urllib3 2.0.2 breaks
        return text  # proxies" (sweeps 12, 13)
    return "\n".join(line for line in lines if not (_is_template_heading(line) or _is_environment(line)))


def _is_template_heading(line: str) -> bool:
    m = _HEADING.match(line)
    if not m:
        return False
    words = re.findall(r"[A-Za-z]+", next(g for g in m.groups() if g is not None).lower())
    return bool(words) and all(w in _TEMPLATE_WORDS for w in words)


def _is_environment_block(block: str) -> bool:
    """A code block that is a dump of versions: at least three of its lines name one, and they are at
    least half of the lines that carry a value (a JSON object's braces and bare keys carry none). Its
    other lines (`"system": "Linux"`, `"using_pyopenssl": false`) go with it."""
    lines = [line for line in block.splitlines() if not _NO_VALUE.fullmatch(line)]
    versions = sum(bool(_VERSION_ENTRY.match(line)) or _is_environment(line) for line in lines)
    return versions >= 3 and 2 * versions >= len(lines)


def _is_environment(line: str) -> bool:
    if _VERSION_SNIPPET.search(line) or _PLATFORM.match(line) or _PIP_FREEZE.match(line):
        return True
    # a name and a version, and little else ("Numpy 1.22.3"): not a sentence that mentions a version
    # ("Astropy 4.3 breaks unit parsing", "In sympy 1.0:"); Python's own line runs on with its build
    m = _NAME_VERSION.match(line)
    if not m or line.rstrip().endswith((":", ".", "?")):
        return False
    return m.group(1).lower() == "python" or not _PROSE.search(m.group(3))


def title_of(text: str) -> str:
    """The report's first line, when more follows and it reads as a title: prose, not code or a frame."""
    lines = [line for line in text.strip().splitlines()]
    if len(lines) < 2:
        return ""
    if _is_template_heading(lines[0]) or (_is_environment(lines[0]) and len(lines[0].split()) <= 2):
        return ""  # "### Description", "Numpy 1.25.2" (but "Astropy 4.3 breaks units" is a title)
    first = lines[0].strip().lstrip("#").strip()
    if not first or first.startswith(("```", "Traceback", "File ", "Exception in thread ")) or _CODE_LINE.match(first) or len(first) > 200:
        return ""
    return first


def error_messages(text: str) -> list[tuple[str, str]]:
    """(exception type, message) for each exception line, in order, once each."""
    found = []
    for line in text.splitlines():
        m = _ERROR_LINE.match(line)
        if m:
            found.append((m.group(1), (m.group(2) or "").strip()))
    return list(dict.fromkeys(found))
