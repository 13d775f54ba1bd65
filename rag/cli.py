"""The `rag` command line. Heavy modules are imported inside the commands so `rag --help` is instant."""
from __future__ import annotations

import argparse
import json
import os
import sys


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
    p = argparse.ArgumentParser(prog="rag", description="Which module of this repository handles X? "
                                "Local, offline code-knowledge-graph search.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    ix = sub.add_parser("index", help="build or update the index of a repository",
                        description="Parse the repository into a code knowledge graph and write the index "
                                    "directory. Rebuilds are incremental: only changed files are re-parsed.")
    ix.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    _index_dir_arg(ix)
    ix.add_argument("--full", action="store_true", help="rebuild everything, ignoring the previous index")
    ix.add_argument("--check", action="store_true",
                    help="only report whether the index is fresh: exit 0 if fresh, 1 if stale (prints what changed)")
    ix.add_argument("--jobs", type=_non_negative_int, default=0, metavar="N",
                    help="parse with N processes (default 0: one per core when there are many files)")
    ix.add_argument("--include", action="append", default=[], metavar="GLOB",
                    help="index only source files matching this gitignore-style pattern (repeatable)")
    ix.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                    help="also skip paths matching this gitignore-style pattern (repeatable)")
    ix.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    ix.set_defaults(run=_cmd_index)

    mo = sub.add_parser("modules", help="list the modules of an indexed repository with their summaries")
    mo.add_argument("path", nargs="?", default=".", help="repository root (default: .)")
    _index_dir_arg(mo)
    mo.add_argument("--tree", action="store_true", help="show the module hierarchy as a tree")
    mo.add_argument("--json", action="store_true", help="print a JSON array of module objects")
    mo.set_defaults(run=_cmd_modules)
    return p


def _index_dir_arg(p) -> None:
    p.add_argument("--index-dir", metavar="DIR", help="index directory (default: PATH/.rag)")


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _cmd_index(args) -> int:
    from graph.indexer import IndexOptions, check, index
    from rag.progress import StderrProgress

    options = IndexOptions(index_dir=args.index_dir, full=args.full, jobs=args.jobs,
                           include=tuple(args.include), exclude=tuple(args.exclude))
    if args.check:
        changes = check(args.path, options)
        if not changes.stale:
            print("index is fresh")
            return 0
        print("index is stale:")
        for line in changes.describe():
            print(f"  {line}")
        return 1
    progress = StderrProgress(quiet=args.quiet)
    try:
        report = index(args.path, options, progress,
                       on_lock_wait=lambda: print("rag: waiting for another `rag index` to finish …", file=sys.stderr))
    finally:
        progress.close()
    if not args.quiet:
        _print_index_report(report)
    return 0


def _print_index_report(r) -> None:
    err = sys.stderr
    if not r.wrote:
        print(f"index is fresh: {r.files} files, {r.modules} modules ({r.index_dir})", file=err)
    else:
        how = "full" if r.changes.reason else "incremental"
        if r.changes.reason not in ("", "no index yet", "full rebuild requested"):
            print(f"rebuilding everything: {r.changes.reason}", file=err)
        print(f"indexed {r.files} files into {r.modules} modules in {r.seconds:.2f} s "
              f"({how}: {r.parsed} parsed, {r.reused} unchanged) -> {r.index_dir}", file=err)
    if r.syntax_errors:
        print(f"warning: {r.syntax_errors} files have syntax errors; indexed what parsed", file=err)
    for reason, paths in sorted(r.skipped.items()):
        example = ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
        print(f"warning: skipped {len(paths)} {_SKIP_WORDS.get(reason, reason)} ({example})", file=err)


_SKIP_WORDS = {"huge": "files over the size limit", "binary": "binary files", "not-utf8": "files not in UTF-8",
               "unreadable": "unreadable paths", "symlink": "symbolic links (not followed)"}


def _cmd_modules(args) -> int:
    from graph.indexer import check_repo, default_index_dir, load_modules
    from graph.store import IndexStore

    repo = check_repo(args.path)
    modules = load_modules(IndexStore(args.index_dir or default_index_dir(repo)))
    out = sys.stdout
    if args.json:
        json.dump([m.to_dict() for m in modules], out, indent=1, ensure_ascii=False)
        out.write("\n")
    elif args.tree:
        _print_tree(modules, out)
    else:
        for m in modules:
            out.write(f"{m.id}\n    {m.summary}\n")
    return 0


def _print_tree(modules, out) -> None:
    from graph.text import first_sentence

    children: dict[str | None, list] = {}
    for m in modules:
        children.setdefault(m.parent, []).append(m)
    width = 100

    def show(parent, depth):
        for m in sorted(children.get(parent, ()), key=lambda m: (m.kind == "file", m.id)):
            label = m.id if depth == 0 else m.name + ("/" if m.kind == "directory" else "")
            line = f"{'  ' * depth}{label}"
            hint = first_sentence(m.summary, 14)
            out.write(f"{line:<{max(len(line) + 2, 36)}}{hint}"[:width + 40] + "\n")
            show(m.id, depth + 1)

    show(None, 0)


if __name__ == "__main__":
    sys.exit(main())
