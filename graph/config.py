"""The optional `rag.toml` at the repository root: index settings and named modules.

    [index]
    exclude = ["docs/", "*.generated.py"]     # gitignore-style patterns
    include = ["src/"]                         # when given, only matching source files
    max_file_bytes = 1000000

    [history]
    max_commits = 20000                        # newest commits read from git (0: no history)

    [[modules]]
    id = "navigation/route-planning"
    paths = ["src/nav/route*.py", "src/nav/planner/"]
    description = "Plans routes between stops."
    aliases = ["routing", "Routenplanung", "the planner"]
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass, field

import pathspec

from graph.errors import ConfigError
from graph.history import DEFAULT_MAX_COMMITS
from graph.walk import WalkSettings


@dataclass(frozen=True)
class NamedModule:
    id: str
    paths: tuple[str, ...]
    description: str = ""
    aliases: tuple[str, ...] = ()

    def __post_init__(self):
        if not self.id or self.id.endswith("/") or "::" in self.id or self.id.startswith(("/", ".")):
            raise ConfigError(f"rag.toml: module id {self.id!r} must be a non-empty name, "
                              "not ending in '/', not starting with '/' or '.', without '::'")
        if not self.paths:
            raise ConfigError(f"rag.toml: module {self.id!r} needs at least one entry in 'paths'")

    def members(self, files: list[str]) -> list[str]:
        spec = pathspec.GitIgnoreSpec.from_lines(self.paths)
        return [f for f in files if spec.match_file(f)]


@dataclass(frozen=True)
class HistorySettings:
    """How much of the git history `rag index` reads (graph/history.py)."""
    max_commits: int = DEFAULT_MAX_COMMITS  # 0: none
    off: bool = False  # `rag index --no-history`, remembered by the index

    def __post_init__(self):
        if isinstance(self.max_commits, bool) or not isinstance(self.max_commits, int) or self.max_commits < 0:
            raise ConfigError(f"rag.toml [history] max_commits must be a whole number >= 0, not {self.max_commits!r}")

    @property
    def enabled(self) -> bool:
        return self.max_commits > 0 and not self.off


@dataclass(frozen=True)
class RepoConfig:
    walk: WalkSettings = field(default_factory=WalkSettings)
    modules: tuple[NamedModule, ...] = ()
    history: HistorySettings = field(default_factory=HistorySettings)

    def to_dict(self) -> dict:
        return {"walk": self.walk.to_dict(), "history": {"max_commits": self.history.max_commits, "off": self.history.off},
                "modules": [{"id": m.id, "paths": list(m.paths), "description": m.description,
                             "aliases": list(m.aliases)} for m in self.modules]}

    def unmatched_paths(self, files: list[str]) -> list[tuple[NamedModule, tuple[str, ...]]]:
        """Each named module with the paths of it that match none of `files` (a typo, or code since moved),
        where it has such paths. A negation (`!shop/legacy/`) only takes files out, and is not checked."""
        out = []
        for m in self.modules:
            unmatched = tuple(p for p in m.paths if not p.startswith("!") and not _matches_any(p, files))
            if unmatched:
                out.append((m, unmatched))
        return out


def _matches_any(pattern: str, files: list[str]) -> bool:
    spec = pathspec.GitIgnoreSpec.from_lines([pattern])
    return any(spec.match_file(f) for f in files)


def parse_config(text: str, extra_include=(), extra_exclude=()) -> RepoConfig:
    """Parse rag.toml text (may be empty); CLI include/exclude patterns are added to the file's."""
    try:
        data = tomllib.loads(text) if text.strip() else {}
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"rag.toml is not valid TOML: {e}") from None
    _warn_unknown(data, {"index", "modules", "history"}, "")
    index = data.get("index", {})
    if not isinstance(index, dict):
        raise ConfigError(f"rag.toml: 'index' must be a table ([index]), not {_toml_type(index)}")
    _warn_unknown(index, {"include", "exclude", "max_file_bytes"}, "[index] ")
    size = index.get("max_file_bytes", WalkSettings.max_file_bytes)
    if not isinstance(size, int) or isinstance(size, bool):
        raise ConfigError(f"rag.toml [index]: max_file_bytes must be a whole number of bytes, not {_toml_type(size)}")
    try:
        walk = WalkSettings(
            include=tuple(_strings(index, "include")) + tuple(extra_include),
            exclude=tuple(_strings(index, "exclude")) + tuple(extra_exclude),
            max_file_bytes=size,
        )
    except (TypeError, ValueError) as e:
        raise ConfigError(f"rag.toml [index]: {e}") from None
    modules, seen = [], set()
    entries = data.get("modules", [])
    if not isinstance(entries, list):
        raise ConfigError(f"rag.toml: 'modules' must be an array of tables ([[modules]]), not {_toml_type(entries)}")
    for i, m in enumerate(entries):
        if not isinstance(m, dict) or "id" not in m:
            raise ConfigError(f"rag.toml: [[modules]] entry {i + 1} needs an 'id'")
        _warn_unknown(m, {"id", "paths", "description", "aliases"}, f"[[modules]] {m['id']!r}: ")
        named = NamedModule(str(m["id"]), tuple(_strings(m, "paths")), str(m.get("description", "")),
                            tuple(_strings(m, "aliases")))
        if named.id in seen:
            raise ConfigError(f"rag.toml: module id {named.id!r} is declared twice")
        seen.add(named.id)
        modules.append(named)
    history = data.get("history", {})
    if not isinstance(history, dict):
        raise ConfigError(f"rag.toml: 'history' must be a table ([history]), not {_toml_type(history)}")
    _warn_unknown(history, {"max_commits"}, "[history] ")
    return RepoConfig(walk, tuple(modules), HistorySettings(history.get("max_commits", DEFAULT_MAX_COMMITS)))


def _warn_unknown(table: dict, known: set[str], where: str) -> None:
    """A misspelt key (`exlude`) would otherwise be ignored without a word."""
    import sys

    for key in sorted(set(table) - known):
        print(f"rag: warning: rag.toml {where}unknown key {key!r} is ignored (known: {', '.join(sorted(known))})",
              file=sys.stderr)


def _toml_type(value) -> str:
    return {str: "a string", int: "a number", float: "a number", bool: "a boolean", list: "an array"}.get(
        type(value), type(value).__name__)


def _strings(table: dict, key: str) -> list[str]:
    value = table.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"rag.toml: '{key}' must be a list of strings")
    return value
