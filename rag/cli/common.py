"""What the commands share: argument types, the index-directory option, output checks."""
from __future__ import annotations

import argparse
import json
import math
import os
import sys

DAMAGED_EXIT = 4  # rag index --check: 0 fresh, 1 stale, 2 bad input, 3 a bug of ours, 4 damaged


def say_waiting_for_the_index() -> None:
    """What a command says while another process writes the index it needs."""
    print("rag: waiting for another `rag index` to finish …", file=sys.stderr, flush=True)


def repository_arg(p) -> None:
    """The repository, as `rag index PATH` names it or as `rag ask --repo PATH` does: a user moving between
    the commands may write either (sweep 16). `rag.cli.main` settles the two into `args.path`."""
    p.add_argument("path", nargs="?", default=None, help="repository root (default: .)")
    p.add_argument("--repo", dest="repo_option", metavar="PATH", default=None, help="the same as PATH")


def chosen_repository(path: str | None, repo_option: str | None) -> str:
    """The one repository named, positionally or with --repo; "." when neither is given.

    >>> chosen_repository(None, "shop"), chosen_repository("shop", None), chosen_repository(None, None)
    ('shop', 'shop', '.')
    """
    if path is not None and repo_option is not None and os.path.abspath(path) != os.path.abspath(repo_option):
        from graph.errors import RagError
        raise RagError(f"two repositories given, {path} and --repo {repo_option}: give one")
    return path or repo_option or "."


def index_dir_arg(p) -> None:
    p.add_argument("--index-dir", metavar="DIR", type=index_directory, help="index directory (default: PATH/.rag)")


def index_directory(text: str) -> str:
    """An index directory that exists or can be made in a directory that does: a typo in its parent
    would otherwise build a whole new index somewhere nobody looks."""
    parent = os.path.dirname(os.path.abspath(text))
    if os.path.exists(text) and not os.path.isdir(text):  # a source file or rag.toml named by mistake
        raise argparse.ArgumentTypeError(f"{text} is a file, not a directory")
    if not os.path.isdir(text) and not os.path.isdir(parent):
        raise argparse.ArgumentTypeError(f"{text}: the directory {parent} does not exist")
    return text


def embedder_arg(p, help: str = "as for `rag index` (an index built with a local model directory is opened by "
                                "naming it again)") -> None:
    """--embedder: which sentence embedder to index or ask with (read by `retrieval_settings`)."""
    p.add_argument("--embedder", default=None, metavar="NAME|DIR", help=help)

def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None

def non_negative_int(text: str) -> int:
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value

def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value

def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not 0 < value < math.inf:
        raise argparse.ArgumentTypeError("must be a finite number more than 0")
    return value

def check_output(path: str | None, what: str, directory: bool = False) -> None:
    """Fail before any work, not after it, when an output path cannot be written."""
    if not path:
        return
    from graph.errors import RagError

    if directory:
        if os.path.exists(path) and not os.path.isdir(path):
            raise RagError(f"{what} {path} is a file, not a directory")
        parent = os.path.dirname(os.path.abspath(path)) if not os.path.isdir(path) else path
    else:
        if os.path.isdir(path):
            raise RagError(f"{what} {path} is a directory, not a file")
        parent = os.path.dirname(os.path.abspath(path))
    if os.path.exists(parent) and not os.path.isdir(parent):
        raise RagError(f"{what} {path}: {parent} is a file, not a directory")
    if not os.path.isdir(parent):
        raise RagError(f"{what} {path}: the directory {parent} does not exist")
    import tempfile

    try:  # a real write: os.access says yes to root on a read-only mount or /proc (QA sweep 7)
        with tempfile.NamedTemporaryFile(dir=parent, prefix=".rag-probe-"):
            pass
    except OSError as e:
        raise RagError(f"{what} {path}: cannot write in {parent} ({e.strerror or e})") from None

def retrieval_settings(embedder: str | None, path: str | None = None, index_dir: str | None = None):
    """The retrieval settings for --embedder. Given the repository `path` a command opens, it says on
    stderr, before the work, when they re-embed its existing index with another embedder: a command
    that asks or trains would otherwise spend minutes on it without a word."""
    from rag.settings import AUTO_EMBEDDER, RetrievalSettings

    if not embedder or embedder == AUTO_EMBEDDER:
        return RetrievalSettings()  # the index's own embedder: never a re-embedding
    from rag.embedding.embedder import embedder_path

    embedder_path(embedder)  # a wrong name fails here, in one line, before any work
    settings = RetrievalSettings(embedder=embedder)
    if path is not None:
        from rag.engine import embedder_change

        change = embedder_change(path, index_dir, settings)
        if change is not None:
            built, asked = change
            print(f"the index was built with the embedder {built}: re-embedding it with {asked} "
                  f"(`rag index --embedder {built}` goes back)", file=sys.stderr)
    return settings


class DiagnosticsStream:
    """stderr for a command's notes, warnings and progress: once the reader is gone (`rag index 2>&1 | head
    -1`), what is written is dropped and the work goes on. A broken pipe there stopped `rag index` before it
    wrote the index, with exit 0 (sweep 16); stdout, the command's answer, still ends the command."""

    def __init__(self, stream):
        self._stream, self.closed_by_reader = stream, False

    def write(self, text: str) -> int:
        if not self.closed_by_reader:
            try:
                return self._stream.write(text)
            except (BrokenPipeError, ValueError):
                self.closed_by_reader = True
        return len(text)

    def flush(self) -> None:
        if not self.closed_by_reader:
            try:
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self.closed_by_reader = True

    def __getattr__(self, name):  # isatty, encoding, fileno …: the stream's own
        return getattr(self._stream, name)


def stream_is_utf8(stream) -> bool:
    return (getattr(stream, "encoding", None) or "").lower().replace("-", "") in ("utf8", "utf8sig")


def as_shown(text: str, stream) -> str:
    """`text` as `stream` will write it: where it cannot write a character, the escape it writes instead
    (`\\xe9`), so that columns are padded to the width actually printed."""
    if stream_is_utf8(stream):
        return text
    encoding = getattr(stream, "encoding", None) or "ascii"
    return text.encode(encoding, "backslashreplace").decode(encoding)


def json_text(value, **options) -> str:
    """JSON for stdout: its characters as they are, or \\u-escaped where stdout cannot write them
    (backslashreplace would leave \\xe9 in a string, which is no JSON)."""
    return json.dumps(value, ensure_ascii=not stream_is_utf8(sys.stdout), **options)
