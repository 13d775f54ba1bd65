"""`rag modules`: the modules of an index, as a list, a tree or JSON."""
from __future__ import annotations

import sys

from rag.cli.common import as_shown, index_dir_arg, json_text, repository_arg


def add_parser(sub) -> None:
    mo = sub.add_parser("modules", help="list the modules of an indexed repository with their summaries")
    repository_arg(mo)
    index_dir_arg(mo)
    mo.add_argument("--tree", action="store_true", help="show the module hierarchy as a tree")
    mo.add_argument("--json", action="store_true", help="print a JSON array of module objects (all of them)")
    mo.add_argument("--all", action="store_true",
                    help="also list tests, examples, docs, benchmarks and vendored code (left out of the list and the tree by default)")
    mo.set_defaults(run=_cmd_modules)


def _cmd_modules(args) -> int:
    from graph.indexer import load_modules
    from graph.store import IndexStore
    from graph.index_location import where_index

    if args.tree and args.json:
        from graph.errors import RagError
        raise RagError("--tree draws the modules as text and --json lists them as JSON (with each one's parent): "
                       "give one of them")
    repo, within, index_dir = where_index(args.path, args.index_dir)
    store = IndexStore(index_dir)
    manifest = store.manifest()
    damage = store.damage(manifest)  # a flipped byte would be printed as the modules' text
    if damage:
        raise store.damaged_error(damage)
    modules = load_modules(store, manifest)
    if within:  # a folder of an indexed repository: its part of that index, as `rag ask` there answers
        print(f"rag: the modules under {within} in the index of {repo}", file=sys.stderr)
        modules = [m for m in modules if m.id.startswith(within)]
    out = sys.stdout
    if args.json:
        out.write(json_text([m.to_dict() for m in modules], indent=1))
        out.write("\n")
        return 0
    if not args.all:  # what answers can be: the tree of the code, not of its test fixtures
        shown = [m for m in modules if m.role == "source" or m.kind == "named"]
        if len(shown) < len(modules):
            print(f"rag: {len(modules) - len(shown)} of {len(modules)} modules are tests, examples, docs, "
                  "benchmarks or vendored code, not listed (--all lists them)", file=sys.stderr)
        modules = shown
    if args.tree:
        _print_tree(modules, out)
    else:
        for m in modules:
            out.write(f"{m.id}\n    {m.summary}\n")
    return 0

def _print_tree(modules, out) -> None:
    from graph.text import first_sentence

    ids = {m.id for m in modules}
    children: dict[str | None, list] = {}
    for m in modules:  # a module whose parent is not listed (a folder's part of the tree) is a root
        children.setdefault(m.parent if m.parent in ids else None, []).append(m)
    width = 100

    def ordered(parent):
        return sorted(children.get(parent, ()), key=lambda m: (m.kind == "file", m.id))

    # depth first with a stack, not recursion: a tree may be thousands of directories deep
    pending = [(m, 0) for m in reversed(ordered(None))]
    while pending:
        m, depth = pending.pop()
        label = m.id if depth == 0 else m.name + ("/" if m.kind == "directory" else "")
        line = as_shown(f"{'  ' * depth}{label}", out)
        hint = as_shown(first_sentence(m.summary, 14), out)
        row = f"{line:<{max(len(line) + 2, 36)}}{hint}"
        out.write((row if len(row) <= width + 40 else row[:width + 39] + "…") + "\n")
        pending.extend((child, depth + 1) for child in reversed(ordered(m.id)))
