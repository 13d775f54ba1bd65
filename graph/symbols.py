"""What one source file says about itself: the parse result of a single file.

These records are plain data (JSON round-trips) so that the index can keep them per file and an
incremental rebuild only re-parses files whose content changed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

CLASS = "class"
FUNCTION = "function"
MACRO = "macro"  # the subkind of a function-like macro, a FUNCTION


@dataclass(frozen=True)
class Definition:
    """A class-like or function-like definition."""

    name: str
    qualname: str  # dotted path of enclosing definitions, e.g. "Progress.update"
    kind: str  # CLASS or FUNCTION
    subkind: str  # class, struct, interface, trait, enum, type, function, method, macro
    start_line: int  # 1-based, inclusive
    end_line: int
    doc: str = ""
    parent: str | None = None  # qualname of the enclosing definition


@dataclass(frozen=True)
class Import:
    """An import as written: `module` is the spec (dotted name, path string, include file)."""

    module: str
    names: tuple[str, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class Call:
    caller: str | None  # qualname of the innermost enclosing function/class; None at file level
    name: str
    line: int


@dataclass(frozen=True)
class Inherit:
    child: str  # qualname of the class
    base: str  # base name as written (last component used for resolution)


@dataclass
class FileSymbols:
    path: str  # repo-relative POSIX path: the module ID of the file
    language: str
    sha256: str
    lines: int
    doc: str = ""  # module docstring or header comment
    definitions: list[Definition] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    inherits: list[Inherit] = field(default_factory=list)
    syntax_errors: int = 0  # error nodes tree-sitter recovered from
    generated_from: str = ""  # the source a generated file names (graph/generated.py), as written
    generated_stub: bool = False  # a declaration file (`.pyi`, `.d.ts`) a tool wrote (graph/generated.py)
    templates: list[str] = field(default_factory=list)  # template files the code names in strings (graph/parse.py)
    # keyword candidates and their weights (graph/summary.py: keyword_weights), derived from the fields
    # above; kept so that an incremental build reuses them with the rest of the parse result
    keyword_weights: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        # vars() rather than dataclasses.asdict: asdict deep-copies and is 10x slower on big repos
        d = dict(vars(self))
        for key in ("definitions", "imports", "calls", "inherits"):
            d[key] = [dict(vars(x)) for x in d[key]]
        for imp in d["imports"]:
            imp["names"] = list(imp["names"])
        return d

    @classmethod
    def from_dict(cls, d: dict) -> FileSymbols:
        return cls(
            path=d["path"],
            language=d["language"],
            sha256=d["sha256"],
            lines=d["lines"],
            doc=d.get("doc", ""),
            definitions=[Definition(**x) for x in d.get("definitions", [])],
            imports=[Import(x["module"], tuple(x.get("names", ())), x.get("line", 0)) for x in d.get("imports", [])],
            calls=[Call(**x) for x in d.get("calls", [])],
            inherits=[Inherit(**x) for x in d.get("inherits", [])],
            syntax_errors=d.get("syntax_errors", 0),
            generated_from=d.get("generated_from", ""),
            generated_stub=d.get("generated_stub", False),
            templates=list(d.get("templates", ())),
            keyword_weights=d["keyword_weights"],
        )
