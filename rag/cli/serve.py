"""`rag serve`: the engine as an MCP server for coding agents and editors, warm and always fresh."""
from __future__ import annotations

import sys
from functools import partial


def add_parser(sub) -> None:
    from rag.cli.common import embedder_arg
    from rag.cli.flags import add_setting_flag
    from rag.settings import ServeSettings

    p = sub.add_parser("serve", help="serve repositories to coding agents over MCP (stdio or HTTP)",
                       description="Run a Model Context Protocol server over one or several repositories: "
                                   "tools locate, describe, modules and index_status, each repository's "
                                   "module tree as a resource. Indexes stay fresh as files change; "
                                   "`rag ask` on this machine uses the running server.")
    p.add_argument("paths", nargs="*", default=["."], metavar="PATH", help="repository roots (default: .)")
    p.add_argument("--http", default=None, metavar="HOST:PORT",
                   help="serve the streamable HTTP transport at http://HOST:PORT/mcp instead of stdio")
    add_setting_flag(p, "debounce_ms", (ServeSettings, ""))
    embedder_arg(p, "as for `rag index`, for every repository served (an index built with a local model "
                    "directory is opened by naming it again)")
    p.add_argument("--no-watch", action="store_true", help="do not watch the work trees (answers may go stale)")
    p.set_defaults(run=_cmd_serve)


def _cmd_serve(args) -> int:
    from rag.cli.common import retrieval_settings
    from rag.cli.flags import settings_from_args
    from rag.progress import StderrProgress
    from rag.serve.workspace import Workspace
    from rag.settings import ServeSettings

    address = _address(args.http) if args.http else None  # a bad or taken address fails before any work
    if address:
        _check_free(*address)
    if address and address[0] not in ("127.0.0.1", "localhost", "::1"):
        print(f"rag serve: warning: {address[0]} is not loopback and the server asks for no credentials: "
              "whoever reaches the port can search this code", file=sys.stderr)
    settings = settings_from_args(ServeSettings, args, ["debounce_ms"])
    claims = _claim(args.paths)  # before any work: a second server on a repository stops here, at once
    try:
        progress = StderrProgress()
        try:
            workspace = Workspace.open(args.paths, settings, retrieval_settings(args.embedder), progress=progress)
        finally:
            progress.close()
        _serve(workspace, claims, address, watch=not args.no_watch)
    finally:
        for claim in claims:
            claim.release()
    return 0


def _claim(paths: list[str]) -> list:
    from graph.index_location import where_index
    from rag.serve.door import Claim

    from graph.errors import RagError

    index_dirs = [where_index(path)[2] for path in paths]
    for i, d in enumerate(index_dirs):
        if d in index_dirs[:i]:
            raise RagError(f"{paths[index_dirs.index(d)]} and {paths[i]} are answered from one index ({d}): "
                           "name the repository once")
    claims = []
    try:
        for index_dir in index_dirs:
            claims.append(Claim(index_dir))
    except BaseException:
        for claim in claims:
            claim.release()
        raise
    return claims


def _serve(workspace, claims: list, address: tuple[str, int] | None, watch: bool) -> None:
    _stop_on_signals(claims)
    with _Running(workspace, claims, watch):
        from rag.serve.mcp_server import build_server

        server = build_server(workspace)
        host = f"[{address[0]}]" if address and ":" in address[0] else address[0] if address else ""
        where = f"http://{host}:{address[1]}/mcp" if address else "stdio"
        print(f"rag serve: {', '.join(workspace.repos)} over {where}", file=sys.stderr, flush=True)
        try:
            if address:
                server.run("streamable-http", host=address[0], port=address[1])
            else:
                server.run("stdio")
        except BaseExceptionGroup as group:  # the SDK's task groups wrap what ended them
            _, rest = group.split((BrokenPipeError, ConnectionResetError))
            if rest is not None:
                raise
            print("rag serve: the client went away; stopping", file=sys.stderr)


def _stop_on_signals(claims: list) -> None:
    """Ctrl-C or SIGTERM stops the server at once, its door withdrawn first. Left to themselves, the
    SDK's event loop turned Ctrl-C into a cancellation that waits for the thread reading stdin, which
    no signal wakes (the server ran on after two), and SIGTERM ended the process with its record left.
    Exiting this hard is what SIGKILL does, which the index survives by design (a re-index under way
    never replaced the manifest; the locks go with the process)."""
    import os
    import signal

    def stop(signum, frame):
        for claim in claims:
            claim.withdraw()
        print(f"rag serve: stopped ({signal.Signals(signum).name})", file=sys.stderr, flush=True)
        os._exit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)


class _Running:
    """While the server runs: the local door, published beside each claimed index, and the watchers."""

    def __init__(self, workspace, claims: list, watch: bool):
        self.workspace, self.claims, self.watch = workspace, claims, watch
        self.watchers, self.door = [], None

    def __enter__(self):
        from rag.serve.door import Door
        from rag.serve.watch import Watcher

        try:
            for served in self.workspace.repos.values():
                served.watched = self.watch
            # the door only where the server knows its answers are fresh: unwatched, `rag ask` looks for
            # itself (and says when the index is stale)
            self.door = Door(self.workspace).start() if self.watch else None
            for claim, (name, served) in zip(self.claims, self.workspace.repos.items()):
                if self.door is not None:
                    claim.publish(name, self.door.port, self.door.token, served.path)
                    served.after_refresh = partial(claim.restore, name, self.door.port, self.door.token, served.path)
            if self.watch:
                self.watchers = [Watcher(r, self.workspace.settings.debounce_ms).start()
                                 for r in self.workspace.repos.values()]
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        for w in self.watchers:
            w.stop()
        if self.door is not None:
            self.door.stop()
        for claim in self.claims:
            claim.withdraw()
        return False


def _check_free(host: str, port: int) -> None:
    """Bind the address once and let go: a port taken by another program is one line now, not an
    error of the web server's after the index is built and loaded."""
    import socket

    from graph.errors import RagError

    try:
        family, kind, proto, _, where = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server binds it
            probe.bind(where)
    except OSError as e:
        raise RagError(f"--http {host}:{port}: cannot listen there ({e.strerror or e})") from None


def _address(text: str) -> tuple[str, int]:
    from graph.errors import RagError

    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise RagError(f"--http wants HOST:PORT (e.g. 127.0.0.1:8765, [::1]:8765), not {text!r}")
    return host.removeprefix("[").removesuffix("]"), int(port)  # an IPv6 address as URLs write it
