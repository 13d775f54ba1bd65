"""The Model Context Protocol face of a workspace: four tools and one resource per repository.

Built on the official SDK's `MCPServer`. Every tool returns the workspace's dict, which the SDK
sends as JSON text and as structured content. A failure the user can act on (an unknown repository
or module, a bad argument) is a tool error carrying the same one line the CLI prints; a bug of ours
is a tool error saying so, logged on stderr, and the server goes on serving.
"""
# no `from __future__ import annotations`: the SDK reads the tools' annotations (with their limits) at runtime

import inspect
import json
import logging
import sys
from typing import Annotated, Literal

from pydantic import Field

from graph.errors import RagError
from rag.serve.workspace import Workspace

INSTRUCTIONS = (
    "rag answers 'which module of this repository handles X?' for a requirement, a bug report or a "
    "feature request in plain words, locally and offline. Call `locate` with the user's text (a whole "
    "issue report is fine) to get ranked files with the evidence for each; `describe` a module before "
    "reading it to see its definitions with their lines and what it imports, calls and is called by; "
    "`modules` lists the module tree; `index_status` says whether answers reflect the latest edits.")

RepoArg = Annotated[str | None, Field(description="which repository, by name or path "
                                                  "(may be left out when the server serves one)")]


def one_line(error) -> str:
    """A pydantic ValidationError of a tool's arguments as the CLI says a bad argument: one line per
    problem, all on one line ("k: Input should be greater than or equal to 1, not 0").

    >>> from pydantic import BaseModel, Field
    >>> class Arguments(BaseModel):
    ...     k: int = Field(ge=1)
    ...     question: str
    >>> try:
    ...     Arguments(k=0)
    ... except Exception as e:
    ...     print(one_line(e))
    k: Input should be greater than or equal to 1, not 0; question: Field required
    """
    said = []
    for e in error.errors(include_url=False):
        where = ".".join(str(part) for part in e["loc"]) or "arguments"
        given = f", not {e['input']!r}" if e["type"] != "missing" and not isinstance(e["input"], dict) else ""
        said.append(f"{where}: {e['msg']}{given}")
    return "; ".join(said)


def build_server(workspace: Workspace):
    from mcp.server.mcpserver import MCPServer
    from mcp.server.mcpserver.exceptions import ToolError
    from pydantic import ValidationError

    from graph.version import TOOL_VERSION

    takes: dict[str, list[str]] = {}  # each tool's arguments, filled as the tools are defined below

    class Server(MCPServer):
        async def call_tool(self, name, arguments, context=None):
            """Bad arguments are one line, as everywhere in rag (the SDK sends pydantic's own
            several-line report, with links, as the tool error), an unknown one among them (`fodler`
            was dropped without a word); rag's own errors read as the CLI says them (the SDK puts
            "Error executing tool locate: " before each)."""
            unknown = sorted(set(arguments or {}) - set(takes.get(name, arguments or {})))
            if unknown:
                raise ToolError(f"bad arguments for {name}: unknown {', '.join(unknown)} "
                                f"(it takes {', '.join(takes[name])})")
            try:
                return await super().call_tool(name, arguments, context)
            except ToolError as e:
                if isinstance(e.__cause__, ValidationError):
                    raise ToolError(f"bad arguments for {name}: {one_line(e.__cause__)}") from None
                if isinstance(e.__cause__, ToolError):  # one of ours (answer() below): its message as it is
                    raise ToolError(str(e.__cause__)) from None
                raise

    server = Server(name="rag", version=TOOL_VERSION, instructions=INSTRUCTIONS, log_level="WARNING")
    # the SDK's handler on stderr: warnings only, also from libraries whose loggers say more
    for handler in logging.getLogger().handlers:
        handler.setLevel(logging.WARNING)
    max_k = workspace.settings.max_k

    def answer(tool, **kwargs) -> dict:
        try:
            return tool(**kwargs)
        except RagError as e:
            raise ToolError(str(e)) from None
        except Exception as e:  # a bug of ours: said, logged, and the server stays up
            print(f"rag serve: internal error in {tool.__name__}: {type(e).__name__}: {e}", file=sys.stderr)
            raise ToolError(f"internal error: {type(e).__name__}: {e}") from None

    @server.tool(description=(
        "Rank the repository's modules for a question: a requirement, a commit message, a feature request or "
        "a whole bug report (title, prose, traceback). Returns the answer (the most likely file, with a "
        "confidence: for a file, the estimated chance that it is right), the ranked candidates with score, "
        "summary and evidence (`why`: matched keywords, "
        "definitions named in the question, traceback frames, similar past commits), warnings, and whether "
        "the index was fresh. The same object as `rag ask --json`."))
    def locate(question: Annotated[str, Field(description="the question, requirement or issue report")],
               k: Annotated[int, Field(strict=True, ge=1, le=max_k, description="how many candidates to list")] = 10,
               level: Annotated[Literal["file", "dir"], Field(description="rank files or directories")] = "file",
               repo: RepoArg = None,
               folder: Annotated[str, Field(description="only answers under this folder of the repository "
                                            "(`pkg/sub/`); default: the whole repository")] = "") -> dict:
        return answer(workspace.locate, question=question, k=k, level=level, repo=repo, within=folder)

    @server.tool(description=(
        "Describe one module (a file path, or a directory ending in /) before reading it: its summary, its "
        "classes and functions with their line spans, its parent and children, the files it imports, calls "
        "and inherits from and those that import, call and inherit from it, and the files that most often "
        "changed with it in the git history."))
    def describe(module: Annotated[str, Field(description="a module ID as `locate` or `modules` give it")],
                 repo: RepoArg = None) -> dict:
        return answer(workspace.describe, module=module, repo=repo)

    @server.tool(description=(
        "List the repository's modules (files and directories, with one-line summaries), a page at a "
        "time: pass `next_offset` back as `offset` for the next page. Tests, examples and docs are left "
        "out unless all=true."))
    def modules(prefix: Annotated[str, Field(description="only modules whose ID starts with this")] = "",
                offset: Annotated[int, Field(strict=True, ge=0, description="where the page starts")] = 0,
                limit: Annotated[int, Field(strict=True, ge=1, le=workspace.settings.page_size,
                                             description="modules per page")]
                = workspace.settings.page_size,
                all: Annotated[bool, Field(strict=True,  # "yes" was taken for true (sweep 12)
                                           description="also tests, examples, docs, benchmarks and vendored code")] = False,
                repo: RepoArg = None) -> dict:
        return answer(workspace.modules, prefix=prefix, offset=offset, limit=limit, all=all, repo=repo)

    @server.tool(description=(
        "Whether each served repository's index is fresh: the edits waiting for a re-index, whether one "
        "is running, when the index was built, its counts (files, modules, commits), and the last error."))
    def index_status(repo: RepoArg = None) -> dict:
        return answer(workspace.index_status, repo=repo)

    for name in workspace.repos:
        _add_tree_resource(server, workspace, name)
    takes.update((tool.__name__, list(inspect.signature(tool).parameters))
                 for tool in (locate, describe, modules, index_status))
    return server


def _add_tree_resource(server, workspace: Workspace, name: str) -> None:
    @server.resource(f"rag://{name}/modules", name=f"{name} modules", mime_type="application/json",
                     description=f"The module tree of {name}: every file and directory with its summary")
    def tree() -> str:
        served = workspace.repo(name)
        return json.dumps([{"id": m.id, "kind": m.kind, "parent": m.parent, "summary": m.summary}
                           for m in sorted(served.engine.retriever.modules.values(), key=lambda m: m.id)],
                          ensure_ascii=False)
