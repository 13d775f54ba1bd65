"""`rag serve`: a real MCP client session against a server in a subprocess, the workspace's tools
in-process, the door `rag ask` uses, and what must not break a running server."""
import json
import os
import signal
import subprocess
import sys
import time

import anyio
import pytest

from conftest import RAG, run_rag
from graph.errors import RagError

LOYALTY = '''"""Loyalty programme: customers earn points on orders and redeem them as vouchers."""


def redeem_points(customer, points):
    """Turn loyalty points into a voucher."""
    return {"voucher": points // 100}
'''


def _mcp_session(repo, body):
    """Run `body(client)` in an MCP client session over stdio with `rag serve repo` as its server."""
    from mcp import Client
    from mcp.client.stdio import StdioServerParameters

    async def main():
        params = StdioServerParameters(command=sys.executable, args=["-m", "rag.cli", "serve", str(repo),
                                                                     "--debounce-ms", "100"],
                                       cwd=os.path.dirname(os.path.abspath(__file__)))
        async with Client(params, read_timeout_seconds=120) as client:
            return await body(client)

    return anyio.run(main)


def _json(result) -> dict:
    assert not result.is_error, result.content[0].text
    return json.loads(result.content[0].text)


def _ask_json(repo, question, k=3) -> dict:
    r = run_rag("ask", question, "--repo", repo, "-k", k, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_mcp_session_tools_errors_and_freshness(shop):
    expected = _ask_json(shop, "refund a card payment")  # in-process, before the server runs

    async def body(client):
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(tools) == {"locate", "describe", "modules", "index_status"}
        assert tools["locate"].input_schema["properties"]["k"]["maximum"] == 100
        assert "folder" in tools["locate"].input_schema["properties"]

        located = _json(await client.call_tool("locate", {"question": "refund a card payment", "k": 3}))
        assert located["answer"]["module"] == expected["answer"]["module"]
        assert [c["module"] for c in located["candidates"]] == [c["module"] for c in expected["candidates"]]
        assert [c["why"] for c in located["candidates"]] == [c["why"] for c in expected["candidates"]]
        assert located["index"]["fresh"] is True

        # the CLI uses the running server (its round trip is in the timings) and says the same
        via_server = await anyio.to_thread.run_sync(lambda: _ask_json(shop, "refund a card payment"))
        assert "server" in via_server["timing_ms"]
        assert [c["module"] for c in via_server["candidates"]] == [c["module"] for c in located["candidates"]]

        described = _json(await client.call_tool("describe", {"module": "shop/checkout.py"}))
        assert [s["name"] for s in described["symbols"]] == ["checkout"]
        assert described["symbols"][0]["lines"][0] == 6
        assert described["parent"] == "shop/"
        assert "shop/cart.py" in [f for f, _ in described["neighbours"]["imports"]]
        assert "shop/payment/gateway.py" in [f for f, _ in described["neighbours"]["calls"]]

        page = _json(await client.call_tool("modules", {"limit": 2}))
        assert page["next_offset"] == 2 and len(page["modules"]) == 2
        rest = _json(await client.call_tool("modules", {"offset": 2, "limit": 200}))
        assert rest["next_offset"] is None and page["total"] == rest["total"] == 2 + len(rest["modules"])

        status = _json(await client.call_tool("index_status", {}))["repos"][0]
        assert status["fresh"] and status["counts"]["files"] >= 5

        resources = (await client.list_resources()).resources
        assert [str(r.uri) for r in resources] == ["rag://shop-repo/modules"]
        tree = json.loads((await client.read_resource(resources[0].uri)).contents[0].text)
        assert "shop/checkout.py" in [m["id"] for m in tree]

        # bad arguments are tool errors of one line, and the server goes on serving
        for tool, arguments, said in [("locate", {"question": "x", "k": 0}, "k: Input should be greater than or equal to 1, not 0"),
                                      ("locate", {"question": "x", "k": 10**9}, "less than or equal to 100"),
                                      ("locate", {"k": 3}, "bad arguments for locate: question: Field required"),
                                      ("locate", {"question": "x", "k": True}, "k: Input should be a valid integer"),
                                      ("modules", {"offset": -1}, "offset: Input should be greater than or equal to 0"),
                                      ("locate", {"question": "x", "repo": "nope"}, "unknown repository 'nope'"),
                                      ("locate", {"question": "  "}, "the query is empty"),
                                      ("describe", {"module": "shop/chekout.py"}, "did you mean shop/checkout.py"),
                                      ("nosuchtool", {}, "nosuchtool"),
                                      ("modules", {"all": "yes"}, "all: Input should be a valid boolean"),
                                      # sweep 12: a misspelt argument was dropped without a word
                                      ("locate", {"question": "x", "fodler": "shop/"},
                                       "bad arguments for locate: unknown fodler (it takes question, k, level, repo, folder)")]:
            result = await client.call_tool(tool, arguments)
            assert result.is_error and said in result.content[0].text, (tool, result.content[0].text)
            assert "\n" not in result.content[0].text and "pydantic.dev" not in result.content[0].text
            if tool != "nosuchtool":  # rag's own words, as the CLI says them (sweep 12)
                assert not result.content[0].text.startswith("Error executing tool"), result.content[0].text
        huge = _json(await client.call_tool("locate", {"question": "refund a card payment " * 50_000, "k": 1}))
        assert any("only its start" in w for w in huge["warnings"])

        # an edit is picked up: the next answers come from the re-indexed tree
        (shop / "shop" / "loyalty.py").write_text(LOYALTY)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = _json(await client.call_tool("index_status", {"repo": "shop-repo"}))
            if status["refreshes"] >= 1 and status["fresh"]:
                break
            await anyio.sleep(0.2)
        assert status["refreshes"] >= 1 and status["fresh"], status
        after = _json(await client.call_tool("locate", {"question": "redeem loyalty points for a voucher"}))
        assert after["answer"]["module"] == "shop/loyalty.py"

        # a `rag index --full` beside the server: it waits for the lock, and the server then loads its index
        rebuilt = await anyio.to_thread.run_sync(lambda: run_rag("index", "--full", shop))
        assert rebuilt.returncode == 0, rebuilt.stderr
        on_disk = json.loads((shop / ".rag" / "manifest.json").read_text())["snapshot"]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            status = _json(await client.call_tool("index_status", {}))["repos"][0]
            if status["snapshot"] == on_disk and status["fresh"]:
                break
            await anyio.sleep(0.2)
        assert status["snapshot"] == on_disk and status["fresh"], status
        return True

    assert _mcp_session(shop, body)
    # the server is gone: `rag ask` answers in-process again, and its record left with it
    assert not (shop / ".rag" / "serve.json").exists()
    assert "server" not in _ask_json(shop, "refund a card payment")["timing_ms"]


def _start_server(repo, *extra):
    proc = subprocess.Popen(RAG + ["serve", str(repo), *extra], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # ready once it says what it serves
        line = proc.stderr.readline()
        if " over stdio" in line or not line:
            break
    assert proc.poll() is None, proc.stderr.read()
    return proc


def test_a_second_server_says_so_and_a_client_may_leave_mid_call(shop):
    first = _start_server(shop)
    try:
        second = run_rag("serve", shop, timeout=60)
        assert second.returncode == 2
        assert f"already serves the index at {shop / '.rag'}" in second.stderr and "Traceback" not in second.stderr
        # a client that sends a question and goes away before the answer: the server stops cleanly
        for message in ({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                                    "clientInfo": {"name": "test", "version": "1"}}},
                        {"jsonrpc": "2.0", "method": "notifications/initialized"},
                        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                         "params": {"name": "locate", "arguments": {"question": "refund a card payment " * 2000}}}):
            first.stdin.write(json.dumps(message) + "\n")
        first.stdin.close()
        first.stdout.close()
        assert first.wait(timeout=60) == 0
        assert "Traceback" not in first.stderr.read()
        assert not (shop / ".rag" / "serve.json").exists()
    finally:
        first.kill()
        first.wait(timeout=30)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_or_sigterm_stops_the_server_at_once_and_withdraws_its_door(shop, signum):
    """Found by a user's probe: Ctrl-C left the stdio server running (it waited on the thread reading
    stdin), and SIGTERM ended it with its record left for `rag ask` to try."""
    server = _start_server(shop)  # its stdin stays open, as a client's would
    try:
        assert (shop / ".rag" / "serve.json").exists()
        server.send_signal(signum)
        assert server.wait(timeout=30) == 128 + signum
        assert "stopped" in server.stderr.read()
        assert not (shop / ".rag" / "serve.json").exists()
    finally:
        server.kill()
        server.wait(timeout=30)
    assert run_rag("index", "--check", shop).returncode == 0


def test_a_server_killed_mid_reindex_leaves_a_usable_index(shop):
    first = _start_server(shop, "--debounce-ms", "1")
    try:
        # kill -9 while it re-indexes an edit (or about to): the index stays usable
        (shop / "shop" / "loyalty.py").write_text(LOYALTY)
        time.sleep(0.15)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    check = run_rag("index", "--check", shop)
    assert check.returncode in (0, 1), check.stdout + check.stderr  # fresh or stale, never damaged (4)
    assert "server" not in _ask_json(shop, "refund a card payment")["timing_ms"]  # a dead server's record is ignored
    assert run_rag("index", shop).returncode == 0  # and brought up to date from there, incrementally
    assert _ask_json(shop, "redeem loyalty points for a voucher")["answer"]["module"] == "shop/loyalty.py"


def test_rag_ask_uses_a_server_only_for_what_it_serves_and_questions_it_can_take(shop, tmp_path):
    """Found by a user's probe: a report over the door's 4 MB was refused instead of answered, and a
    server of a subdirectory answered `rag ask` about the whole repository from that subdirectory alone."""
    from rag.serve.door import MAX_REQUEST_BYTES

    whole = _ask_json(shop, "refund a card payment")
    report = tmp_path / "report.txt"
    report.write_text("Refund a card payment twice\n" + "log line of a long run\n" * (MAX_REQUEST_BYTES // 20))
    inside = _ask_json(shop / "shop" / "payment", "refund a card payment")
    server = _start_server(shop)
    try:
        assert "server" in _ask_json(shop, "refund a card payment")["timing_ms"]
        # a folder of the served repository is answered by its server, from that folder only (QA sweep 6:
        # `--repo SUBDIR` loaded everything in-process beside a warm server)
        asked = _ask_json(shop / "shop" / "payment", "refund a card payment")
        assert "server" in asked["timing_ms"] and asked["candidates"] == inside["candidates"], asked
        assert all(c["module"].startswith("shop/payment/") for c in asked["candidates"])
        r = run_rag("ask", "--file", report, "--repo", shop, "-k", "1", "--json")
        assert r.returncode == 0 and "longer than" in r.stderr, r.stderr  # answered here, not refused
        assert "server" not in json.loads(r.stdout)["timing_ms"]
    finally:
        server.kill()
        server.wait(timeout=30)
    server = _start_server(shop / "shop" / "payment")  # answered from the repository's index, within payment/
    try:
        record = json.loads((shop / ".rag" / "serve.json").read_text())
        assert record["path"] == os.path.realpath(shop / "shop" / "payment")
        asked = _ask_json(shop, "refund a card payment")
        assert "server" not in asked["timing_ms"] and asked["candidates"] == whole["candidates"]
    finally:
        server.kill()
        server.wait(timeout=30)


# --- the workspace in-process ---------------------------------------------------------------------

@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    import shutil

    from conftest import FIXTURES
    from rag.serve.workspace import Workspace

    root = tmp_path_factory.mktemp("served")
    shutil.copytree(os.path.join(FIXTURES, "python"), root / "one" / "shop")
    shutil.copytree(os.path.join(FIXTURES, "python"), root / "two" / "shop")
    return Workspace.open([str(root / "one" / "shop"), str(root / "two" / "shop")])


def test_workspace_names_repositories_apart_and_asks_for_one(workspace):
    assert sorted(workspace.repos) == ["one/shop", "two/shop"]
    with pytest.raises(RagError, match="several repositories are served"):
        workspace.locate("refund a card payment")
    by_name = workspace.locate("refund a card payment", repo="one/shop")
    by_path = workspace.locate("refund a card payment", repo=workspace.repos["one/shop"].path)
    assert by_name["candidates"] == by_path["candidates"] and by_name["index"]["repo"] == "one/shop"
    for k in (101, True):
        with pytest.raises(RagError, match="k must be a whole number from 1 to 100"):
            workspace.locate("refund", k=k, repo="one/shop")
    with pytest.raises(RagError, match="unknown level"):
        workspace.locate("refund", level="function", repo="one/shop")
    # an agent may ask within a folder, as `rag ask --repo FOLDER` does (QA sweep 7: MCP could not)
    for folder in ("shop/payment", "./shop/payment/"):
        inside = workspace.locate("refund a card payment", repo="one/shop", within=folder)
        assert inside["candidates"] and all(c["module"].startswith("shop/payment/") for c in inside["candidates"])
    with pytest.raises(RagError, match="a path inside the repository"):
        workspace.locate("refund", repo="one/shop", within="../elsewhere")
    with pytest.raises(RagError, match=r"the folder shop/cart.py is a file: give the folder that holds it \(shop\)"):
        workspace.locate("refund", repo="one/shop", within="shop/cart.py")  # sweep 12: "holds no source file"


def test_describe_a_directory_rolls_its_files_up(workspace):
    d = workspace.describe("shop/payment", repo="two/shop")  # the trailing / may be left out
    assert d["module"] == "shop/payment/" and d["kind"] == "directory"
    assert "shop/payment/gateway.py" in d["children"]
    assert {s["file"] for s in d["symbols"]} <= {"shop/payment/gateway.py", "shop/payment/__init__.py"}
    # checkout.py calls into the payment package; calls inside the package are not neighbours
    assert "shop/checkout.py" in [f for f, _ in d["neighbours"]["called_by"]]
    assert all(not f.startswith("shop/payment/") for kind in d["neighbours"].values() for f, _ in kind)


def test_a_failed_reindex_keeps_answering_from_the_last_good_index(workspace, monkeypatch):
    served = workspace.repos["one/shop"]
    before = workspace.locate("refund a card payment", repo="one/shop")

    def broken(*args, **kwargs):
        raise RagError("the disk is full")

    monkeypatch.setattr("rag.serve.workspace.Engine.open", broken)
    served.changed({"shop/cart.py"})
    assert served.refresh() is False
    after = workspace.locate("refund a card payment", repo="one/shop")
    assert after["candidates"] == before["candidates"] and after["index"]["fresh"] is False
    assert any("the disk is full" in w for w in after["warnings"])
    assert workspace.index_status("one/shop")["last_error"] == "the disk is full"
    monkeypatch.undo()
    assert served.refresh() and workspace.index_status("one/shop")["fresh"]


def test_an_edit_the_watcher_has_not_reported_yet_is_no_fresh_answer(workspace):
    """Asked in the moment between a save and the watcher's event, the server answered from the index
    before the edit and called it fresh (QA sweep 5: the agent that edits, then asks at once)."""
    served = workspace.repos["two/shop"]
    assert workspace.locate("refund a card payment", repo="two/shop")["index"]["fresh"] is True
    root = served.engine.repo
    cart = os.path.join(root, "shop", "cart.py")
    saved = os.stat(cart).st_mtime + 1
    os.utime(cart, (saved, saved))  # saved after the index was built
    answer = workspace.locate("refund a card payment", repo="two/shop")
    assert answer["index"]["fresh"] is False and any("shop/cart.py" in w for w in answer["warnings"])
    # QA sweep 6: index_status and modules called it fresh at the same moment
    status = workspace.index_status("two/shop")
    assert status["fresh"] is False and "shop/cart.py" in status["pending"], status
    assert served.refresh()  # the re-index reads it: fresh again
    assert workspace.locate("refund a card payment", repo="two/shop")["index"]["fresh"] is True
    # a clock ahead (QA sweep 6: "not fresh" for two hours): changed until the re-index that reads it
    ahead = time.time() + 7200
    os.utime(cart, (ahead, ahead))
    assert workspace.locate("refund a card payment", repo="two/shop")["index"]["fresh"] is False
    assert served.refresh() and workspace.locate("refund a card payment", repo="two/shop")["index"]["fresh"] is True
    # a file added or deleted a moment ago (QA sweep 6: fresh, and the deleted file was the answer)
    added = os.path.join(root, "shop", "loyalty.py")
    with open(added, "w") as fh:
        fh.write('def redeem(points):\n    """Redeem loyalty points."""\n')
    answer = workspace.locate("refund a card payment", repo="two/shop")
    assert answer["index"]["fresh"] is False and any("shop/loyalty.py" in w for w in answer["warnings"]), answer
    assert served.refresh()
    os.remove(added)
    status = workspace.index_status("two/shop")
    assert status["fresh"] is False and status["pending"] == ["shop/loyalty.py"], status
    assert served.refresh()
    with open(os.path.join(root, "tags"), "w") as fh:  # a file rag cannot read is no edit
        fh.write("Cart\tshop/cart.py\t1\n")
    os.makedirs(os.path.join(root, "shop", "__pycache__"), exist_ok=True)  # nor a cache made by a run
    assert workspace.index_status("two/shop")["fresh"] is True
    # a file in a new folder (QA sweep 7: fresh, and "no evidence" for the question about it)
    os.mkdir(os.path.join(root, "shop", "loyalty"))
    with open(os.path.join(root, "shop", "loyalty", "points.py"), "w") as fh:
        fh.write('def redeem(points):\n    """Redeem loyalty points."""\n')
    status = workspace.index_status("two/shop")
    assert status["fresh"] is False and "shop/loyalty/" in status["pending"], status
    assert served.refresh() and workspace.index_status("two/shop")["fresh"] is True


def test_a_file_deleted_or_added_while_the_re_index_runs_is_no_fresh_answer(workspace, monkeypatch):
    """Deleted or added after the re-index had walked the tree but before its stamp was taken, a file was
    missed by the stamp: answers said fresh for the watcher's half second, naming the deleted file
    (sweep 12: 173 of 3,918 answers under six editing clients)."""
    from rag.serve import workspace as workspace_module

    served = workspace.repos["two/shop"]
    root = served.engine.repo
    catalog, added = os.path.join(root, "shop", "catalog.py"), os.path.join(root, "shop", "loyalty.py")
    real_open = workspace_module.Engine.open

    def open_then_edit(*args, **kwargs):  # the re-index has read the tree; then the user edits it
        engine = real_open(*args, **kwargs)
        os.remove(catalog)
        with open(added, "w") as fh:
            fh.write('def redeem(points):\n    """Redeem loyalty points."""\n')
        return engine

    monkeypatch.setattr(workspace_module.Engine, "open", open_then_edit)
    served.changed({"shop/cart.py"})
    assert served.refresh()
    monkeypatch.undo()
    fresh, edited = served.look()
    assert fresh is False and {"shop/catalog.py", "shop/loyalty.py"} <= set(edited), edited
    assert served.refresh() and served.look() == (True, [])
    # a folder the latest re-index is the first to hold is watched too (sweep 13: a file added there later
    # was called fresh)
    os.mkdir(os.path.join(root, "shop", "rewards"))
    with open(os.path.join(root, "shop", "rewards", "points.py"), "w") as fh:
        fh.write('def earn(cents):\n    """Points earned for a purchase."""\n')
    served.changed({"shop/rewards/points.py"})
    assert served.refresh() and served.look() == (True, [])
    with open(os.path.join(root, "shop", "rewards", "tiers.py"), "w") as fh:
        fh.write('def tier(points):\n    """The tier of the customer."""\n')
    fresh, edited = served.look()
    assert fresh is False and "shop/rewards/tiers.py" in edited, edited


def test_a_deleted_file_without_a_suffix_is_no_folder_moved(workspace):
    """QA sweep 7: deleting `tags` re-indexed the repository (creating it did not): once gone, a name
    without a suffix may have been a folder; the index knows whether it held files."""
    from rag.serve.watch import Watcher

    served = workspace.repos["one/shop"]
    watcher, root = Watcher(served, 300), served.engine.repo
    assert watcher._a_file_gone(os.path.join(root, "tags"))
    assert not watcher._a_file_gone(os.path.join(root, "shop", "cart.py"))  # a source file's name: counted
    payment, moved = os.path.join(root, "shop", "payment"), os.path.join(root, "payment.moved")
    os.rename(payment, moved)
    try:
        assert not watcher._a_file_gone(payment)  # a folder that held indexed files
    finally:
        os.rename(moved, payment)


def test_the_watcher_counts_no_file_rag_cannot_read(tmp_path):
    """QA sweep 6: a file without a suffix (`tags`, `nohup`, `LOG`) written every 0.2 s re-indexed the
    repository each time: such a name counted as a folder that may have moved."""
    from rag.serve.watch import counts

    repo = str(tmp_path)
    for name in ("nohup", "tags", "README"):
        (tmp_path / name).write_text("x\n")
    index_dir = os.path.join(repo, ".rag")
    assert not counts(repo, index_dir, os.path.join(repo, "nohup"))
    assert not counts(repo, index_dir, os.path.join(repo, "tags"))
    assert counts(repo, index_dir, os.path.join(repo, "README"))
    assert counts(repo, index_dir, os.path.join(repo, "pkg"))  # gone: perhaps a folder moved whole


def test_door_refuses_a_wrong_token_and_a_bad_request(workspace):
    from rag.serve.door import Door

    door = Door(workspace)
    ok = door.answer(json.dumps({"token": door.token, "repo": "one/shop", "question": "refund a card payment",
                                 "k": 2}).encode())
    assert len(ok["result"]["candidates"]) == 2
    assert door.answer(json.dumps({"token": "guess", "question": "x"}).encode()) == {"error": "not allowed"}
    assert door.answer(b"{not json")["error"].startswith("bad request")
    assert "k must be" in door.answer(json.dumps({"token": door.token, "repo": "one/shop", "question": "x",
                                                  "k": 0}).encode())["error"]
    door.stop()


def test_serve_bad_address_is_one_line():
    r = run_rag("serve", "--http", "localhost")
    assert r.returncode == 2 and r.stderr.strip() == ("rag: --http wants HOST:PORT (e.g. 127.0.0.1:8765, [::1]:8765), "
                                                      "not 'localhost'")
    from rag.cli.serve import _address

    assert _address("[::1]:8765") == _address("::1:8765") == ("::1", 8765)  # as URLs write it (QA sweep 5)


def test_serve_on_a_taken_port_is_one_line_before_any_work(shop):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_rag("serve", shop, "--http", f"127.0.0.1:{port}", timeout=60)
    assert r.returncode == 2 and r.stderr.startswith(f"rag: --http 127.0.0.1:{port}: cannot listen there"), r.stderr
    assert r.stderr.count("\n") == 1 and not (shop / ".rag").exists()  # nothing indexed first


def test_example_client_configs_are_valid_serve_commands():
    from rag.cli import _parser

    examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples", "mcp")
    for name, key in (("mcp.json", "mcpServers"), ("vscode-mcp.json", "servers")):
        with open(os.path.join(examples, name)) as fh:
            server = json.load(fh)[key]["rag"]
        assert server["command"] == "rag"
        args = _parser().parse_args(server["args"])
        assert args.command == "serve" and len(args.paths) == 1 and args.http is None


def test_serve_one_repository_named_twice_is_one_line(shop):
    r = run_rag("serve", shop, str(shop) + "/")
    assert r.returncode == 2 and "are answered from one index" in r.stderr and "Traceback" not in r.stderr


def test_an_index_directory_the_server_cannot_write_is_one_line(tmp_path):
    """On a read-only checkout `rag serve` was an "internal error: OSError … serve.lock" (QA sweep 5)."""
    from graph.errors import IndexStoreError
    from rag.serve.door import Claim

    (tmp_path / "a-file").write_text("")
    with pytest.raises(IndexStoreError, match="cannot serve the index at .*: Not a directory .*rag ask"):
        Claim(str(tmp_path / "a-file" / ".rag"))


def test_the_http_transport_answers_like_stdio(shop):
    import socket

    from mcp import Client

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(RAG + ["serve", str(shop), "--http", f"127.0.0.1:{port}"], stdin=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
    try:
        for line in server.stderr:  # ready once it says where it listens
            if " over http" in line:
                break

        async def ask():
            for _ in range(50):  # uvicorn binds just after the line
                try:
                    async with Client(f"http://127.0.0.1:{port}/mcp", read_timeout_seconds=60) as client:
                        return _json(await client.call_tool("locate", {"question": "refund a card payment", "k": 2}))
                except Exception:
                    await anyio.sleep(0.2)
            raise AssertionError("the HTTP server never answered")

        located = anyio.run(ask)
        assert located["answer"]["module"] == "shop/payment/gateway.py" and len(located["candidates"]) == 2
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_an_index_directory_removed_under_the_server_is_rebuilt_and_claimed_again(workspace):
    import shutil
    from functools import partial

    from rag.serve.door import Claim, read_record

    served = workspace.repos["two/shop"]
    index_dir = served.engine.store.dir
    claim = Claim(index_dir)
    claim.publish("two/shop", 1, "token", served.path)
    served.after_refresh = partial(claim.restore, "two/shop", 1, "token", served.path)
    try:
        shutil.rmtree(index_dir)  # `rm -rf .rag` while the server runs
        served.changed({".rag/manifest.json"})
        assert served.refresh() and served.fresh
        assert read_record(index_dir)["token"] == "token"
        with pytest.raises(RagError, match="already serves"):
            Claim(index_dir)  # the rebuilt index is held again: no second server
        assert workspace.locate("refund a card payment", repo="two/shop")["answer"]["module"] == "shop/payment/gateway.py"
    finally:
        served.after_refresh = None
        claim.release()


def test_a_server_that_does_not_watch_says_so_and_reloads_an_index_pruned_under_it(tmp_path):
    """Found by a user's probe: with --no-watch, index_status said fresh after an edit, and two `rag index`
    runs beside the server pruned its snapshot, so that `describe` failed ("graph.json is missing")."""
    import shutil

    from conftest import FIXTURES
    from rag.serve.workspace import Workspace

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    workspace = Workspace.open([str(repo)])
    served = workspace.repos["shop"]
    served.watched = False
    status = workspace.index_status(repo="shop")
    assert status["fresh"] is None and status["watching"] is False
    located = workspace.locate("refund a card payment")
    assert located["index"]["fresh"] is None and any("does not watch" in w for w in located["warnings"])
    for edit in ("# one\n", "# two\n"):  # two re-indexes: the snapshot the server loaded is pruned
        (repo / "shop" / "cart.py").write_text((repo / "shop" / "cart.py").read_text() + edit)
        assert run_rag("index", repo, "-q").returncode == 0
    described = workspace.describe("shop/cart.py")
    assert described["module"] == "shop/cart.py" and served.behind() is False


def test_a_server_of_a_subdirectory_sees_commits_made_at_its_repository(tmp_path):
    """Found by a user's probe: a server of a subdirectory watched only that subdirectory, and never saw
    a commit (its repository's .git lies above it), so index_status called an outdated index fresh."""
    import shutil

    from conftest import FIXTURES
    from rag.serve.watch import Watcher
    from rag.serve.workspace import Workspace

    repo = tmp_path / "shop"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.org", "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

    def git(*args):
        return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                              env=env).stdout.strip()

    git("init", "-q")
    (repo / ".gitignore").write_text(".rag/\n")
    git("add", "-A")
    git("commit", "-q", "-m", "Add the shop")
    assert run_rag("index", repo, "-q").returncode == 0
    workspace = Workspace.open([str(repo / "shop" / "payment")])  # answered from the repository's index
    served = next(iter(workspace.repos.values()))
    assert served.status()["history_head"] == git("rev-parse", "HEAD")
    watcher = Watcher(served, 50).start()
    try:
        time.sleep(0.5)  # the watches are in place
        git("commit", "-q", "--allow-empty", "-m", "Record the release checklist")
        new = git("rev-parse", "HEAD")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and served.status()["history_head"] != new:
            time.sleep(0.2)
        assert served.status()["history_head"] == new and served.fresh
    finally:
        watcher.stop()


def test_a_server_of_several_repositories_names_the_one_that_fails(tmp_path):
    """QA sweep 7: a damaged or misconfigured repository among several was not named."""
    import shutil

    from conftest import FIXTURES
    from rag.serve.workspace import Workspace

    for name in ("a", "b"):
        shutil.copytree(f"{FIXTURES}/python", tmp_path / name)
    (tmp_path / "b" / "rag.toml").write_text("[[modules]]\nid = 5\n")
    with pytest.raises(RagError, match=f"^{tmp_path / 'b'}: rag.toml"):
        Workspace.open([str(tmp_path / "a"), str(tmp_path / "b")])
