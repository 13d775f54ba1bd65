"""`rag index`: build, update or check the index of a repository."""
from __future__ import annotations

import os
import sys

from graph.text import counted
from rag.cli.common import DAMAGED_EXIT, embedder_arg, index_dir_arg, repository_arg, retrieval_settings, say_waiting_for_the_index


INDEX_FLAGS = ["full", "jobs", "include", "exclude", "history"]


def add_parser(sub) -> None:
    ix = sub.add_parser("index", help="build or update the index of a repository",
                        description="Parse the repository into a code knowledge graph and write the index "
                                    "directory. Rebuilds are incremental: only changed files are re-parsed.")
    repository_arg(ix)
    index_dir_arg(ix)
    ix.add_argument("--check", action="store_true",
                    help="only report whether the index is fresh: exit 0 if fresh, 1 if stale (prints what changed), "
                         "4 if its files are damaged")
    from graph.indexer import IndexOptions
    from rag.cli.flags import add_setting_flag

    for name in INDEX_FLAGS:
        add_setting_flag(ix, name, (IndexOptions, ""))
    embedder_arg(ix, "sentence-transformers model: auto (default: the index's tuned one from `rag finetune "
                     "--retriever` if any, else the bundled all-MiniLM-L6-v2), all-MiniLM-L6-v2, or a local directory")
    ix.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    ix.set_defaults(run=_cmd_index)


def _cmd_index(args) -> int:
    from graph.indexer import IndexOptions, check, index, max_jobs
    from rag.cli.flags import settings_from_args
    from graph.index_location import index_above, where_index
    from rag.embedding.embedder import local_directory
    from rag.llm.adapters import AdapterStore
    from rag.progress import StderrProgress
    from rag.retrieval.index_files import RetrievalExtension

    options = settings_from_args(IndexOptions, args, INDEX_FLAGS, index_dir=args.index_dir)
    if options.jobs > max_jobs():
        print(f"rag: warning: --jobs {options.jobs} is more than this machine's {max_jobs()} cores: "
              f"parsing with {max_jobs()} processes", file=sys.stderr)

    repo, within, index_dir = where_index(args.path, args.index_dir, replacing=args.full)
    if within:  # as `rag ask` there answers from it: one index per repository, not one per folder asked
        print(f"rag: {args.path} is inside {repo}, whose index covers it: that index is the one "
              f"{'checked' if args.check else 'brought up to date'}", file=sys.stderr)
    elif args.index_dir is None and not os.path.exists(index_dir) and index_above(repo):
        print(f"rag: note: the index of {index_above(repo)} leaves {args.path} out (ignored or excluded "
              f"there): it gets an index of its own", file=sys.stderr)
    extensions = [RetrievalExtension(retrieval_settings(args.embedder), index_dir=index_dir, loading=not args.check)]
    out = sys.stdout if args.check else sys.stderr
    embedder_damage = _tuned_embedder_damage(extensions[0], index_dir)
    if embedder_damage:  # `rag index` cannot repair it (only another embedder can), nor embed with it
        print("index is damaged (its tuned embedder: `rag index --full --embedder all-MiniLM-L6-v2` goes back "
              "to the bundled one, `rag finetune --retriever` tunes a new one):", file=out)
        for line in embedder_damage:
            print(f"  {line}", file=out)
        return DAMAGED_EXIT
    adapter_damage = AdapterStore(index_dir).adapter_damage()
    if adapter_damage and not args.check:  # the index itself is sound: built, with this said
        print(f"rag: warning: the index's LLM adapter is damaged ({adapter_damage[0]}): `rag finetune` trains "
              "a new one", file=sys.stderr)
    built_with = extensions[0].retrieval.embedder
    if args.check and local_directory(built_with) and not os.path.isdir(built_with):  # sweep 13: "fresh", then
        print(f"index cannot be used: the embedder directory it was built with, {built_with}, "  # ask failed
              "is gone (`rag index --embedder NAME|DIR` re-embeds it with another)", file=out)
        return DAMAGED_EXIT
    if args.check:
        changes = check(repo, options, extensions)
        if adapter_damage:
            print("index is damaged (its LLM adapter: `rag finetune` trains a new one; `rag ask` without --llm "
                  "does not use it):")
            for line in adapter_damage:
                print(f"  {line}")
            return DAMAGED_EXIT
        if changes.damaged:
            print("index is damaged (`rag index` repairs it):")
            for line in changes.damaged:
                print(f"  {line}")
            return DAMAGED_EXIT
        if not changes.stale:
            print("index is fresh")
            return 0
        print("index is stale:")
        for line in changes.describe():
            print(f"  {line}")
        return 1
    progress = StderrProgress(quiet=args.quiet)
    try:
        report = index(repo, options, progress,
                       on_lock_wait=say_waiting_for_the_index,
                       extensions=extensions)
    finally:
        progress.close()
    if not args.quiet:
        _print_index_report(report)
    return 0


def _tuned_embedder_damage(extension, index_dir: str) -> list[str]:
    """What is wrong with the tuned embedder the index is built with (none when it uses another), and
    with the record of the tuned embedder in use."""
    from rag.embedding.embedder import TUNED_PREFIX
    from rag.llm.adapters import RETRIEVER, AdapterStore, RetrieverInfo

    name, store = extension.retrieval.embedder, AdapterStore(index_dir)
    if not name.startswith(TUNED_PREFIX):
        return []
    return store.embedder_damage(name.removeprefix(TUNED_PREFIX)) + store.unreadable(RETRIEVER, RetrieverInfo)


def _print_index_report(r) -> None:
    err = sys.stderr
    if not r.wrote:
        print(f"index is fresh: {counted(r.files, 'file')}, {counted(r.modules, 'module')} ({r.index_dir})", file=err)
    else:
        how = "full" if r.changes.reason else "incremental"
        if r.changes.reason not in ("", "no index yet", "full rebuild requested"):
            print(f"rebuilding everything: {r.changes.reason}", file=err)
        print(f"indexed {counted(r.files, 'file')} into {counted(r.modules, 'module')} in {r.seconds:.2f} s "
              f"({how}: {r.parsed} parsed, {r.reused} unchanged) -> {r.index_dir}", file=err)
        if r.history:
            print(r.history, file=err)
    if r.syntax_errors:
        print(f"rag: warning: {counted(r.syntax_errors, 'file has', 'files have')} syntax errors; indexed what parsed"
              + (f" ({_examples(r.syntax_error_files)})" if r.syntax_error_files else ""), file=err)
    for reason, paths in sorted(r.skipped.items()):
        example = _examples(paths)
        print(f"rag: warning: skipped {counted(len(paths), *_SKIPPED.get(reason, (reason,)))} ({example})", file=err)
    for m, unmatched in r.unmatched_paths:
        if len(unmatched) == sum(not p.startswith("!") for p in m.paths):
            print(f"rag: warning: rag.toml's module {m.id!r} holds no indexed source file (its paths: "
                  f"{', '.join(m.paths)} match none)", file=err)
        else:
            print(f"rag: warning: rag.toml's module {m.id!r}: {', '.join(unmatched)} "
                  f"match{'es' if len(unmatched) == 1 else ''} no indexed source file (a typo, or code since moved)",
                  file=err)


def _examples(paths: list[str]) -> str:
    return ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")


_SKIPPED = {"huge": ("file over the size limit", "files over the size limit"), "binary": ("binary file",),
            "not-utf8": ("file not in UTF-8", "files not in UTF-8"),
            "name-not-utf8": ("path whose name is not UTF-8", "paths whose names are not UTF-8"),
            "minified": ("minified script",), "bundled": ("bundled script (webpack, esbuild)", "bundled scripts (webpack, esbuild)"),
            "unreadable": ("unreadable path",),
            "symlink": ("symbolic link (not followed)", "symbolic links (not followed)"),
            "compiled": ("compiled copy of a TypeScript source", "compiled copies of TypeScript sources")}
