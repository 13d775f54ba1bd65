"""The local door of a running server: how `rag ask` on the same machine finds it and asks it.

A server claims each repository it serves with a lock in the index directory (`serve.lock`, held
while it runs: a second server on the same repository is told so and stops) and leaves a record
beside it (`serve.json`: its pid, a loopback port and a random token, readable by its user only).
`rag ask` reads the record, sends one JSON line to the port and reads one back: a warm answer in
milliseconds instead of a process that loads the index. Anything wrong with the door (no record, a
dead server, a refused connection, a slow reply) means "no server", and `rag ask` answers in-process.
The token keeps other local users out; nothing listens beyond 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import secrets
import socket
import socketserver
import threading
from contextlib import ExitStack

from graph.errors import LockedError, RagError
from graph.locking import exclusive_lock

RECORD = "serve.json"
LOCK = "serve.lock"
MAX_REQUEST_BYTES = 4 * 1024 * 1024  # a whole issue report fits; a runaway client does not


class Claim:
    """A server's hold on a repository's index directory, for as long as it runs."""

    def __init__(self, index_dir: str):
        from graph.errors import IndexStoreError

        self.index_dir = index_dir
        owner = read_record(index_dir)
        who = f" (pid {owner['pid']})" if owner else ""
        try:
            os.makedirs(index_dir, exist_ok=True)
            self._held = _hold(index_dir, f"another `rag serve`{who} already serves the index at {index_dir}; "
                                          "ask that one, or stop it first")
        except OSError as e:  # a read-only checkout: a server keeps its lock, and its index up to date, there
            raise IndexStoreError(f"cannot serve the index at {index_dir}: {e.strerror or e} (`rag serve` writes "
                                  "there; make it writable, or ask with `rag ask`, which only reads)") from None

    def publish(self, repo: str, port: int, token: str, path: str) -> None:
        """`repo`: the name the server knows it by; `path`: the directory it serves (a subdirectory of
        the repository that owns the index directory, perhaps), the only one it may answer for."""
        from graph.durable import atomic_write

        data = json.dumps({"pid": os.getpid(), "port": port, "token": token, "repo": repo,
                           "path": os.path.realpath(path)}).encode()

        def write_private(path: str) -> None:  # the token is for this user's processes only
            with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
                fh.write(data)

        atomic_write(os.path.join(self.index_dir, RECORD), write_private)

    def restore(self, repo: str, port: int, token: str, path: str) -> None:
        """After a re-index: if the index directory was removed and rebuilt, take the lock and leave the
        record again (a lock on a deleted file holds nobody off)."""
        if not os.path.exists(os.path.join(self.index_dir, LOCK)):
            try:
                held = _hold(self.index_dir, "")
            except LockedError:
                return  # another server claimed the rebuilt index first: it keeps the door
            self._held.close()
            self._held = held
        if read_record(self.index_dir) is None:
            self.publish(repo, port, token, path)

    def withdraw(self) -> None:
        """The door is closing: `rag ask` answers in-process again."""
        try:
            os.remove(os.path.join(self.index_dir, RECORD))
        except FileNotFoundError:
            pass

    def release(self) -> None:
        self.withdraw()
        self._held.close()


def _hold(index_dir: str, busy: str) -> ExitStack:
    """The index directory's serve lock, held until the returned stack is closed (LockedError if taken)."""
    held = ExitStack()
    held.enter_context(exclusive_lock(os.path.join(index_dir, LOCK), busy))
    return held


def read_record(index_dir: str) -> dict | None:
    try:
        with open(os.path.join(index_dir, RECORD), "rb") as fh:
            record = json.loads(fh.read())
        return record if isinstance(record, dict) and {"pid", "port", "token", "repo", "path"} <= set(record) else None
    except (OSError, ValueError):
        return None


class Door:
    """A loopback listener answering `locate` for the workspace, one JSON line each way."""

    def __init__(self, workspace):
        self.workspace = workspace
        self.token = secrets.token_hex(16)
        door = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 30

            def handle(self):
                line = self.rfile.readline(MAX_REQUEST_BYTES + 1)
                self.wfile.write(json.dumps(door.answer(line), ensure_ascii=False).encode() + b"\n")

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler, bind_and_activate=True)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="door", daemon=True)

    def start(self) -> Door:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for a serving loop, and would wait forever for none
            self._server.shutdown()
        self._server.server_close()

    def answer(self, line: bytes) -> dict:
        if len(line) > MAX_REQUEST_BYTES:
            return {"error": "the request is too long"}
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not secrets.compare_digest(str(request.get("token", "")), self.token):
                return {"error": "not allowed"}
            return {"result": self.workspace.locate(str(request["question"]), k=request.get("k", 10),
                                                    level=request.get("level", "file"), repo=request.get("repo"),
                                                    within=request.get("within", ""))}
        except RagError as e:
            return {"error": str(e)}
        except (ValueError, KeyError, TypeError) as e:
            return {"error": f"bad request: {e}"}


# a warm server answers in milliseconds (an issue report: ~60 ms); one that has not answered in this long
# is stopped or stuck, and answering in-process (about 2 s from a cold start) is the quicker way
REPLY_TIMEOUT_S = 5.0


def ask_server(index_dir: str, path: str, question: str, k: int, level: str,
               timeout: float = REPLY_TIMEOUT_S, root: str | None = None, within: str = "") -> dict | None:
    """The answer of the server running for this index, or None when there is none to ask: none runs,
    or it serves another directory than `path` (a server of a subdirectory answers for that subdirectory
    only), or the question is too long to send (the process asking answers it then, as it would anyway).
    `path` may be the folder `within` of the repository `root` a server serves: it answers from there.

    A server's own refusal (a bad `k`, say) is raised as RagError, as in-process it would be."""
    record = read_record(index_dir)
    if record is None:
        return None
    if record["path"] == os.path.realpath(path):
        within = ""  # it serves exactly this folder
    elif not (within and root and record["path"] == os.path.realpath(root)):
        return None
    request = json.dumps({"token": record["token"], "repo": record["repo"], "question": question,
                          "k": k, "level": level, **({"within": within} if within else {})}).encode() + b"\n"
    if len(request) > MAX_REQUEST_BYTES:
        return None
    try:
        with socket.create_connection(("127.0.0.1", int(record["port"])), timeout=min(timeout, 2.0)) as sock:
            sock.settimeout(timeout)
            sock.sendall(request)
            with sock.makefile("rb") as reply:
                response = json.loads(reply.readline())
    except (OSError, ValueError):
        return None  # no server there any more (killed, or the port is someone else's now)
    if not isinstance(response, dict):
        return None
    if "error" in response:
        if response["error"] in ("not allowed",):
            return None
        raise RagError(response["error"])
    return response.get("result")
