"""The `rag` command line: one module per command (rag/cli/<command>.py), each adding its parser.
Heavy modules are imported inside the commands so `rag --help` is instant."""
from __future__ import annotations

import argparse
import gc
import os
import sys

COMMANDS = ("index", "ask", "finetune", "eval", "modules", "serve")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    from graph.errors import RagError

    try:
        return args.run(args)
    except RagError as e:
        print(f"rag: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("rag: interrupted; the index is as it was before this run", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:  # a bug of ours: one line for the user, the traceback only on request
        if os.environ.get("RAG_DEBUG"):
            raise
        print(f"rag: internal error: {type(e).__name__}: {e} (set RAG_DEBUG=1 for details)", file=sys.stderr)
        return 3


def _parser() -> argparse.ArgumentParser:
    from graph.version import TOOL_VERSION

    p = argparse.ArgumentParser(prog="rag", description="Which module of this repository handles X? "
                                "Local, offline code-knowledge-graph search.")
    p.add_argument("--version", action="version", version=f"rag {TOOL_VERSION}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    import importlib

    for command in COMMANDS:
        importlib.import_module(f"rag.cli.{command}").add_parser(sub)
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
