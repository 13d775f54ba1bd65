"""rag index: incremental == full, freshness checks, what is skipped, and safety of the store."""
import gc
import json
import os
import shutil

import pytest

from graph.errors import ConfigError, IndexStoreError, RepoError
from graph.indexer import IndexOptions, check, index, load_graph, load_modules
from graph.store import FORMAT_VERSION, IndexStore

from conftest import FIXTURES, run_rag


def snapshot_bytes(index_dir):
    """The content of the index that must not depend on how it was built."""
    store = IndexStore(str(index_dir))
    m = store.manifest()
    out = {name: open(store.snapshot_path(m, name), "rb").read()
           for name in ("graph.json", "modules.jsonl", "files.jsonl")}
    out["files"] = json.dumps(m.files, sort_keys=True).encode()
    return out


def test_incremental_equals_full_after_edit_add_and_delete(shop, tmp_path):
    index(str(shop))
    (shop / "shop" / "cart.py").write_text((shop / "shop" / "cart.py").read_text().replace(
        "Put a product into the cart.", "Put a product into the basket."))
    (shop / "shop" / "coupons.py").write_text('"""Discount coupons."""\nfrom .cart import Cart\n\n'
                                              'def apply_coupon(cart: Cart, code):\n    return Cart()\n')
    (shop / "shop" / "payment" / "README.md").write_text("Card payments only.\n")
    os.remove(shop / "shop" / "catalog.py")
    report = index(str(shop))
    assert (report.parsed, report.reused) == (2, 4)  # cart.py and coupons.py re-parsed; the rest reused
    assert report.changes.added == ["shop/coupons.py"]
    assert report.changes.modified == ["shop/cart.py", "shop/payment/README.md"]
    assert report.changes.deleted == ["shop/catalog.py"]

    full_dir = tmp_path / "full-index"
    index(str(shop), IndexOptions(index_dir=str(full_dir), full=True))
    assert snapshot_bytes(shop / ".rag") == snapshot_bytes(full_dir)
    modules = {m.id: m for m in load_modules(IndexStore(str(shop / ".rag")))}
    assert "shop/catalog.py" not in modules
    assert modules["shop/payment/"].summary.startswith("Card payments only.")
    assert "Cart.add (method): Put a product into the basket" in modules["shop/cart.py"].summary


def test_parallel_parse_gives_the_same_index(shop, tmp_path):
    index(str(shop), IndexOptions(jobs=1))
    index(str(shop), IndexOptions(index_dir=str(tmp_path / "j2"), jobs=2))
    assert snapshot_bytes(shop / ".rag") == snapshot_bytes(tmp_path / "j2")


def test_the_cycle_collector_is_left_as_the_caller_had_it(shop, tmp_path):
    # a build runs without it (speed); the caller's process must get it back, also after an error
    class Probe:  # an index extension that looks at the collector while the build runs
        name, seen = "probe", []

        def settings(self):
            return {}

        def build(self, ctx):
            self.seen.append(gc.isenabled())
            return [], {}

    assert gc.isenabled()
    index(str(shop), extensions=[Probe()])
    assert Probe.seen == [False] and gc.isenabled()
    with pytest.raises(RepoError):
        index(str(tmp_path / "missing"))
    assert gc.isenabled()
    gc.disable()
    try:
        index(str(shop), IndexOptions(full=True))
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_steps_between_parsing_and_embedding_are_said_for_a_big_repository(shop, monkeypatch):
    """spring-framework (sweep 16): 48 s without a word between the last parse line and the first embed line.
    A small repository's run says nothing it need not."""
    import graph.indexer

    said = []
    index(str(shop), IndexOptions(full=True), progress=lambda stage, done, total: said.append((stage, done, total)))
    assert not any(stage.startswith("graph") for stage, _, _ in said)
    monkeypatch.setattr(graph.indexer, "SAID_STEPS_MIN_FILES", 1)
    said.clear()
    index(str(shop), IndexOptions(full=True), progress=lambda stage, done, total: said.append((stage, done, total)))
    assert [s for s in said if s[0].startswith("graph")] == [("graph, history, summaries", n, 3) for n in range(4)]


def test_check_reports_fresh_and_each_kind_of_change(shop):
    assert check(str(shop)).reason == "no index yet"
    index(str(shop))
    assert not check(str(shop)).stale
    (shop / "shop" / "new.py").write_text("x = 1\n")
    (shop / "shop" / "cart.py").write_text("# emptied\n")
    os.remove(shop / "shop" / "checkout.py")
    c = check(str(shop))
    assert (c.added, c.modified, c.deleted) == (["shop/new.py"], ["shop/cart.py"], ["shop/checkout.py"])
    assert c.describe() == ["+ shop/new.py", "~ shop/cart.py", "- shop/checkout.py"]


def test_second_run_without_changes_writes_nothing(shop):
    index(str(shop))
    manifest = (shop / ".rag" / "manifest.json").read_bytes()
    report = index(str(shop))
    assert not report.wrote
    assert (shop / ".rag" / "manifest.json").read_bytes() == manifest


def test_settings_change_forces_full_rebuild(shop):
    index(str(shop))
    (shop / "rag.toml").write_text('[index]\nexclude = ["shop/payment/"]\n')
    c = check(str(shop))
    assert "settings changed" in c.reason
    report = index(str(shop))
    assert report.parsed == 4 and report.reused == 0
    assert not any(m.id.startswith("shop/payment") for m in load_modules(IndexStore(str(shop / ".rag"))))


def test_gitignore_default_excludes_include_and_exclude(shop):
    for d in ("generated", ".venv/lib", "node_modules/pkg", "build", "shop/vendor", "src/3rdparty", "pkg/extern", "envdir"):
        os.makedirs(shop / d, exist_ok=True)
        (shop / d / "junk.py").write_text("def junk(): pass\n")
    (shop / "envdir" / "pyvenv.cfg").write_text("home = /usr\n")
    (shop / ".gitignore").write_text("generated/\n")
    (shop / "shop" / ".gitignore").write_text("cart.py\n")  # nested .gitignore, relative to its directory
    index(str(shop))
    files = set(IndexStore(str(shop / ".rag")).manifest().files)
    assert not any("junk.py" in f for f in files)
    assert "shop/cart.py" not in files and "shop/catalog.py" in files

    index(str(shop), IndexOptions(index_dir=str(shop / "only"), include=("shop/payment/",)))
    assert {f for f, meta in IndexStore(str(shop / "only")).manifest().files.items() if meta["kind"] == "source"} \
        == {"shop/payment/__init__.py", "shop/payment/gateway.py"}
    index(str(shop), IndexOptions(index_dir=str(shop / "ex"), exclude=("*checkout*",)))
    assert "shop/checkout.py" not in IndexStore(str(shop / "ex")).manifest().files


def test_command_line_patterns_are_remembered_until_full(shop):
    """Found by a user's probe: an index built with --exclude was stale at once for `--check` and every
    `rag ask`, and a refresh brought back what it had left out."""
    payment = ("shop/payment/__init__.py", "shop/payment/gateway.py")
    r = run_rag("index", shop, "-q", "--exclude", "shop/payment/")
    assert r.returncode == 0 and not set(payment) & set(IndexStore(str(shop / ".rag")).manifest().files)
    check = run_rag("index", shop, "--check")
    assert check.returncode == 0 and check.stdout.strip() == "index is fresh", check.stdout
    asked = run_rag("ask", "charge the card", "--repo", shop, "--refresh", "-k", "3")
    assert asked.returncode == 0 and "stale" not in asked.stderr and "payment" not in asked.stdout
    (shop / "shop" / "cart.py").write_text((shop / "shop" / "cart.py").read_text() + "\n# edited\n")
    assert run_rag("index", shop, "-q").returncode == 0  # a run that gives no patterns keeps them
    report_files = set(IndexStore(str(shop / ".rag")).manifest().files)
    assert not set(payment) & report_files and "shop/cart.py" in report_files
    assert run_rag("index", shop, "-q", "--include", "shop/payment/").returncode == 0  # new ones replace them
    assert set(payment) <= set(IndexStore(str(shop / ".rag")).manifest().files)
    assert run_rag("index", shop, "-q", "--full").returncode == 0  # --full starts from rag.toml alone
    assert {"shop/cart.py", *payment} <= set(IndexStore(str(shop / ".rag")).manifest().files)
    assert run_rag("index", shop, "--check").returncode == 0


# --- bad input ---------------------------------------------------------------------------------

def test_missing_path(tmp_path):
    with pytest.raises(RepoError, match="no such path"):
        index(str(tmp_path / "nope"))


def test_not_a_directory(tmp_path):
    (tmp_path / "f.py").write_text("x = 1\n")
    with pytest.raises(RepoError, match="not a directory"):
        index(str(tmp_path / "f.py"))


def test_empty_repository(tmp_path):
    (tmp_path / "notes.txt").write_text("hello\n")
    with pytest.raises(RepoError, match="nothing to index"):
        index(str(tmp_path))
    assert not (tmp_path / ".rag" / "manifest.json").exists()


def test_not_utf8_binary_and_huge_files_are_skipped_and_counted(shop):
    (shop / "shop" / "latin1.py").write_bytes('name = "café"\n'.encode("latin-1"))
    (shop / "shop" / "blob.py").write_bytes(b"\x00\x01\x02binary")
    (shop / "shop" / "huge.py").write_text("x = 1\n" * 200_000)  # 1.2 MB, over the 1 MB default
    report = index(str(shop))
    assert report.skipped == {"not-utf8": ["shop/latin1.py"], "binary": ["shop/blob.py"], "huge": ["shop/huge.py"]}
    assert report.files == 6


def test_files_in_a_declared_encoding_are_read_in_it(shop):
    # a PEP 263 coding line (pylint's and sphinx's own tests carry such files) and a UTF-16 byte-order mark
    (shop / "shop" / "legacy.py").write_bytes('# -*- coding: latin-1 -*-\n"""Prices in the café\'s tills."""\n'
                                              'def till():\n    return 1\n'.encode("latin-1"))
    (shop / "shop" / "wide.py").write_bytes('"""Receipts printed in UTF-16."""\nX = 1\n'.encode("utf-16"))
    report = index(str(shop))
    assert report.skipped == {} and report.files == 8
    summaries = {m.id: m.summary for m in load_modules(IndexStore(report.index_dir))}
    assert summaries["shop/legacy.py"].startswith("Prices in the café's tills.")
    assert summaries["shop/wide.py"].startswith("Receipts printed in UTF-16.")


def test_syntax_errors_parse_partially_and_indexing_goes_on(shop):
    (shop / "shop" / "broken.py").write_text('"""Half written."""\ndef ok():\n    pass\n\ndef broken(:\n'
                                             '    pass\n\nclass After:\n    pass\n')
    report = index(str(shop))
    assert report.syntax_errors == 1 and report.files == 7
    assert report.syntax_error_files == ["shop/broken.py"]  # the warning names it (sweep 12: 79 files, none named)
    g = load_graph(IndexStore(report.index_dir))
    assert g.nodes["shop/broken.py"]["syntax_errors"] >= 1
    assert "shop/broken.py::ok" in g and "shop/broken.py::After" in g
    (shop / "shop" / "broken.py").write_text("def broken(:\n")
    r = run_rag("index", shop)
    assert "rag: warning: 1 file has syntax errors; indexed what parsed (shop/broken.py)" in r.stderr, r.stderr
    # the repository's own code first, the most broken first (sweep 14: three test files were named, while
    # the source files with the most errors were not)
    (shop / "tests").mkdir(exist_ok=True)
    (shop / "tests" / "test_a.py").write_text("def broken(:\n")
    (shop / "shop" / "worse.py").write_text("def a(:\n    pass\ndef b(:\n    pass\nclass (:\n")
    assert index(str(shop)).syntax_error_files == ["shop/worse.py", "shop/broken.py", "tests/test_a.py"]


def test_symlink_loop_and_links_are_not_followed(shop):
    os.symlink(shop / "shop", shop / "shop" / "loop")  # a directory that contains itself
    os.symlink("self-link", shop / "shop" / "self-link")  # a link to itself
    os.symlink(shop / "shop" / "cart.py", shop / "shop" / "cart_alias.py")
    report = index(str(shop))
    assert report.skipped == {"symlink": ["shop/cart_alias.py", "shop/loop", "shop/self-link"]}
    assert report.files == 6


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_file_is_skipped(shop):
    target = shop / "shop" / "secret.py"
    target.write_text("x = 1\n")
    target.chmod(0)
    report = index(str(shop))
    assert report.skipped == {"unreadable": ["shop/secret.py"]}


def test_unreadable_file_is_skipped_even_as_root(shop, monkeypatch):
    """Root ignores file modes, so simulate the failing open() the way a permission error shows up."""
    import builtins

    real_open = builtins.open

    def guarded_open(path, *args, **kwargs):
        if str(path).endswith("catalog.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded_open)
    report = index(str(shop))
    assert report.skipped == {"unreadable": ["shop/catalog.py"]}


def test_a_named_module_whose_paths_match_nothing_is_warned_about(shop):
    """A typo in a rag.toml module's paths gave an empty module without a word (QA sweep 4)."""
    (shop / "rag.toml").write_text("[[modules]]\nid = 'billing'\npaths = ['shop/paymnet/']\n"
                                   "[[modules]]\nid = 'selling'\npaths = ['shop/cart.py']\n")
    for _ in range(2):  # built, then fresh: said both times
        r = run_rag("index", shop)
        assert r.returncode == 0, r.stderr
        assert "rag.toml's module 'billing' holds no indexed source file (its paths: shop/paymnet/ match none)" \
            in r.stderr and "'selling'" not in r.stderr


def test_one_mistyped_path_of_a_named_module_is_warned_about(shop):
    """A typo in one path of a module whose other paths match was not said (README audit, QA sweep 11);
    a negation only takes files out and is not a typo."""
    (shop / "rag.toml").write_text("[[modules]]\nid = 'billing'\npaths = ['shop/paymnet/', 'shop/cart.py', "
                                   "'!shop/nothing_here.py']\n")
    r = run_rag("index", shop)
    assert r.returncode == 0, r.stderr
    assert "rag.toml's module 'billing': shop/paymnet/ matches no indexed source file" in r.stderr
    assert "nothing_here" not in r.stderr and "holds no indexed source file" not in r.stderr


def test_an_index_dir_of_the_users_files_is_never_written_into(shop, tmp_path):
    """`--index-dir` naming a folder of the user's deleted its entries named snap-* as old snapshots,
    and `rag index . --index-dir .` a source folder `snap-tools/` (QA sweep 5)."""
    mine = tmp_path / "mydocs"
    mine.mkdir()
    (mine / "snap-photo.png").write_bytes(b"\x89PNG")
    (shop / "snap-tools").mkdir()
    (shop / "snap-tools" / "build.py").write_text("def build():\n    pass\n")
    for index_dir in (mine, shop):
        r = run_rag("index", shop, "--index-dir", index_dir)
        assert r.returncode != 0 and "holds files that are not a rag index" in r.stderr, r.stderr
        assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert (mine / "snap-photo.png").exists() and (shop / "snap-tools" / "build.py").exists()
    assert sorted(os.listdir(mine)) == ["snap-photo.png"]  # not even a lock file was left
    web = tmp_path / "webapp"  # a folder with a manifest.json of its own is no index (QA sweep 6)
    web.mkdir()
    (web / "manifest.json").write_text('{"name": "my app"}')
    r = run_rag("index", shop, "--index-dir", web)
    assert r.returncode == 2 and "holds files that are not a rag index (manifest.json)" in r.stderr, r.stderr
    assert (web / "manifest.json").read_text() == '{"name": "my app"}'
    for command in (["index"], ["index", "--check"], ["modules"]):  # a file named by mistake: never "remove it"
        r = run_rag(*command, shop, "--index-dir", shop / "shop" / "cart.py")
        assert r.returncode == 2 and "cart.py is a file, not a directory" in r.stderr and "remove" not in r.stderr
    # an index directory's own entries, and a stray file in it, are another matter: it is still an index
    assert run_rag("index", shop, "-q").returncode == 0
    (shop / ".rag" / "snap-notes.txt").write_text("mine")
    # a folder of the user's named exactly like a snapshot was removed with what it held (QA sweep 6)
    lookalike = shop / ".rag" / "snap-20261206150808-5379e46a"
    lookalike.mkdir()
    (lookalike / "mydata.txt").write_text("precious")
    (shop / "shop" / "cart.py").write_text("def total():\n    return 0\n")
    assert run_rag("index", shop, "-q").returncode == 0  # a new snapshot: the old ones are collected
    snapshots = [e for e in os.listdir(shop / ".rag") if e.startswith("snap-2") and e != lookalike.name]
    assert (shop / ".rag" / "snap-notes.txt").exists() and len(snapshots) == 2
    assert (lookalike / "mydata.txt").read_text() == "precious"
    (shop / "shop" / "cart.py").write_text("def total():\n    return 1\n")
    assert run_rag("index", shop, "-q").returncode == 0  # and real old snapshots are still collected
    assert len([e for e in os.listdir(shop / ".rag") if e.startswith("snap-2") and e != lookalike.name]) == 2


def test_an_include_that_matches_nothing_names_the_patterns(shop):
    """It said "no source files of a supported language" of a repository full of them (QA sweep 5)."""
    r = run_rag("index", shop, "--include", "nomatch/")
    assert r.returncode == 2 and "no source file matches the include patterns (nomatch/" in r.stderr, r.stderr


def test_invalid_rag_toml_is_one_clear_error(shop):
    (shop / "rag.toml").write_text("[[modules]]\nid = 'x'\npaths = 3\n")
    with pytest.raises(ConfigError, match="'paths' must be a list of strings"):
        index(str(shop))
    (shop / "rag.toml").write_text("not toml ===\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        index(str(shop))
    (shop / "rag.toml").write_text("[[modules]]\nid = 'shop'\npaths = ['shop/']\n")
    with pytest.raises(ConfigError, match="collides with a path"):
        index(str(shop))
    (shop / "rag.toml").write_text('[index]\nmax_file_bytes = "big"\n')  # was int()'s "invalid literal for int()"
    with pytest.raises(ConfigError, match="max_file_bytes must be a whole number of bytes, not a string"):
        index(str(shop))


@pytest.mark.parametrize("damage", ["truncate-manifest", "garbage-graph", "truncate-files", "delete-modules"])
def test_corrupt_index_gives_clear_message_and_full_recovers(shop, damage):
    index(str(shop))
    store = IndexStore(str(shop / ".rag"))
    m = store.manifest()
    snap = shop / ".rag" / m.snapshot
    if damage == "truncate-manifest":
        path = shop / ".rag" / "manifest.json"
        path.write_bytes(path.read_bytes()[:40])
    elif damage == "garbage-graph":
        (snap / "graph.json").write_text("{not json")
    elif damage == "truncate-files":
        (snap / "files.jsonl").write_bytes((snap / "files.jsonl").read_bytes()[:100])
    else:
        os.remove(snap / "modules.jsonl")
    with pytest.raises(IndexStoreError, match=r"corrupt|incomplete") as err:
        m = store.manifest()
        load_graph(store, m)
        load_modules(store, m)
        store.read_jsonl(m, "files.jsonl")
    assert "rag index --full" in str(err.value)
    (shop / "shop" / "cart.py").write_text('"""Changed."""\n')  # so that a rebuild needs the old parse results
    report = index(str(shop))  # a writer rebuilds a damaged index instead of failing
    if damage in ("truncate-manifest", "truncate-files"):  # the parse results are lost: all re-parsed
        assert report.changes.reason and report.parsed == 6
    load_graph(store)
    assert len(load_modules(store)) == 9
    index(str(shop), IndexOptions(full=True))
    assert len(load_modules(store)) == 9


def test_index_from_a_future_format_version_is_refused(shop):
    index(str(shop))
    path = shop / ".rag" / "manifest.json"
    data = json.loads(path.read_text())
    data["format_version"] = FORMAT_VERSION + 1
    path.write_text(json.dumps(data))
    with pytest.raises(IndexStoreError, match="newer than this rag"):
        load_modules(IndexStore(str(shop / ".rag")))
    with pytest.raises(IndexStoreError, match="newer than this rag"):  # not reported as stale: refused
        check(str(shop))
    with pytest.raises(IndexStoreError, match="newer than this rag"):  # nor overwritten by a plain rebuild
        index(str(shop))
    index(str(shop), IndexOptions(full=True))
    assert IndexStore(str(shop / ".rag")).manifest().format_version == FORMAT_VERSION


def test_failure_while_writing_keeps_previous_index(shop, monkeypatch):
    index(str(shop))
    before = snapshot_bytes(shop / ".rag")
    (shop / "shop" / "cart.py").write_text('"""Changed."""\n')
    import graph.store

    real = graph.store.write_durably
    calls = []

    def failing(path, chunks):
        calls.append(path)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(path, chunks)

    monkeypatch.setattr(graph.store, "write_durably", failing)
    with pytest.raises(IndexStoreError, match="No space left on device; the previous index is unchanged"):
        index(str(shop))
    monkeypatch.undo()
    assert snapshot_bytes(shop / ".rag") == before
    assert [e for e in os.listdir(shop / ".rag") if e.startswith("snap-")] == [IndexStore(str(shop / ".rag")).manifest().snapshot]


def test_concurrent_writer_waits_for_the_lock(shop):
    from graph.errors import LockedError

    store = IndexStore(str(shop / ".rag"))
    waited = []
    with store.lock():
        # a second writer in the same process sees the lock held (filelock is per lock object)
        with pytest.raises(LockedError, match="another `rag index`"):
            with IndexStore(str(shop / ".rag")).lock(timeout=0.2, on_wait=lambda: waited.append(1)):
                pass
    assert waited == [1]
    index(str(shop))  # and once released, indexing proceeds


def test_fixture_repositories_index_without_errors(tmp_path):
    """Every language fixture goes through the whole pipeline (graph, modules, store)."""
    for name in sorted(os.listdir(FIXTURES)):
        repo = tmp_path / name
        shutil.copytree(os.path.join(FIXTURES, name), repo)
        report = index(str(repo))
        assert report.files >= 3 and report.syntax_errors == 0, name
        modules = load_modules(IndexStore(report.index_dir))
        assert all(m.summary for m in modules), name
