"""The `rag` command line: one module per command (rag/cli/<command>.py; finetune/cli.py, eval/cli.py),
each adding its parser.
Heavy modules are imported inside the commands so `rag --help` is instant."""
from __future__ import annotations

import argparse
import gc
import os
import sys

# Each command's module, which adds its parser (`add_parser(sub)`). `finetune` and `eval` live in their
# own packages, which build on rag/: this table names them, so no module of rag/ imports them.
COMMANDS = {
    "index": "rag.cli.index",
    "ask": "rag.cli.ask",
    "finetune": "finetune.cli",
    "eval": "eval.cli",
    "modules": "rag.cli.modules",
    "serve": "rag.cli.serve",
}


def main(argv: list[str] | None = None) -> int:
    from rag.cli.common import stream_is_utf8

    for stream in (sys.stdout, sys.stderr):  # a non-UTF-8 terminal or PYTHONIOENCODING: escaped, not a crash
        if not stream_is_utf8(stream) and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from graph.errors import RagError
    from rag.cli.common import DiagnosticsStream

    stderr, sys.stderr = sys.stderr, DiagnosticsStream(sys.stderr)
    try:
        if hasattr(args, "repo_option"):  # a command taking the repository either way (common.repository_arg)
            from rag.cli.common import chosen_repository
            args.path = chosen_repository(args.path, args.repo_option)
        return args.run(args)
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # its text, if any, says what of the run's work is kept for the next one
        print(f"rag: interrupted; the index is as it was before this run{f' ({e})' if str(e) else ''}", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: one line for the user, the traceback only on request
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"rag: internal error: {type(e).__name__}: {e} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        return 3
    finally:
        sys.stderr = stderr


class OneLineParser(argparse.ArgumentParser):
    """Bad flags get one line, as every other bad input does (argparse would print the usage first);
    `rag COMMAND --help` still shows the whole usage."""

    def error(self, message: str):
        command = self.prog.partition(" ")[2]  # "rag finetune" -> "finetune"
        self.exit(2, f"rag: {command + ': ' if command else ''}{message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from graph.version import TOOL_VERSION

    p = OneLineParser(prog="rag", description="Which module of this repository handles X? "
                                "Local, offline code-knowledge-graph search.")
    p.add_argument("--version", action="version", version=f"rag {TOOL_VERSION}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    import importlib

    for module in COMMANDS.values():
        importlib.import_module(module).add_parser(sub)
    return p


def entry() -> None:
    """The console script: `main`, then exit without the interpreter's final garbage collections.

    A command leaves tens of thousands of objects alive (modules, caches), and the collections Python
    runs while shutting down walk all of them again: ~0.25 s of a 3 s `rag index` here. Frozen objects
    are skipped; the process is ending, so nothing is lost by not collecting them.
    """
    code = main()
    gc.freeze()
    sys.exit(code)
