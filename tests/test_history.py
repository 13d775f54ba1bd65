"""rag index and git history: what is mined and left out, the graph's change counts and changed_with
edges, incremental and re-mined history, renames, bad repositories, --no-history, [history] settings,
the similar-past-change signal, and `rag eval` asking each dated row as of its date."""
import json
import os
import re
import subprocess

import numpy as np
import pytest

import graph.history
from eval.dataset import DatasetError, load_labeled
from graph.errors import ConfigError
from graph.history import BULK_FILES, HISTORY_FILE, History, commit_time
from graph.indexer import IndexOptions, check, index, load_graph, load_modules
from graph.store import IndexStore
from rag.cli import main
from rag.engine import Engine
from rag.retrieval.past_changes import AsOf
from rag.settings import RetrievalSettings

from conftest import run_rag

GIT_CONFIG = ["-c", "user.name=Tess Tester", "-c", "user.email=tess@example.org", "-c", "commit.gpgsign=false",
              "-c", "init.defaultBranch=main", "-c", "core.autocrlf=false"]


def git(repo, *args, date=None, binary=False):
    env = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_CONFIG_GLOBAL": os.devnull}
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = date
    out = subprocess.run(["git", *GIT_CONFIG, "-C", str(repo), *args], check=True, capture_output=True,
                         env=env, text=not binary).stdout
    return out if binary else out.strip()


def day(n: int, month: int = 1) -> str:
    return f"2021-{month:02d}-{n:02d}T12:00:00+00:00"


def write(repo, files: dict):
    for path, text in files.items():
        full = repo / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_text(text)


def commit(repo, message, date, files=None, *extra) -> str:
    """Write `files`, commit everything with `message` at `date`; the new HEAD."""
    write(repo, files or {})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message, *extra, date=date)
    return git(repo, "rev-parse", "HEAD")


def py(name: str, body: str = "") -> str:
    return f'"""The {name} module."""\n\n\ndef {name}_value(x):\n    return x\n{body}'


def read_history(repo, index_dir=None) -> tuple[dict, object]:
    store = IndexStore(str(index_dir or repo / ".rag"))
    manifest = store.manifest()
    return store.read_json(manifest, HISTORY_FILE), manifest


def modules_of(repo, index_dir=None) -> dict:
    return {m.id: m for m in load_modules(IndexStore(str(index_dir or repo / ".rag")))}


@pytest.fixture
def project(tmp_path):
    """A small repository: 8 commits of which 4 are kept. Returns (repo, {name: hash})."""
    repo = tmp_path / "project"
    repo.mkdir()
    git(repo, "init", "-q")
    h = {}
    h["add"] = commit(repo, "Add the inventory, pricing and report code", day(1), {
        "pkg/__init__.py": "", "README.md": "# Project\n",
        "pkg/inventory.py": py("inventory"), "pkg/pricing.py": py("pricing"), "pkg/report.py": py("report")})
    h["typo"] = commit(repo, "Fix typo in pricing", day(2), {"pkg/pricing.py": py("pricing", "# spelt right\n")})
    h["round"] = commit(repo, "Round prices to cents in the stock valuation", day(3), {
        "pkg/inventory.py": py("inventory", "# rounds\n"), "pkg/pricing.py": py("pricing", "# cents\n")})
    h["readme"] = commit(repo, "Explain how to install the project", day(4), {"README.md": "# Project\n\npip install\n"})
    h["bump"] = commit(repo, "Bump version to 1.1", day(5), {"pkg/report.py": py("report", "VERSION = '1.1'\n")})
    git(repo, "checkout", "-q", "-b", "side")
    h["side"] = commit(repo, "Let the report list stock per warehouse", day(6),
                       {"pkg/report.py": py("report", "VERSION = '1.1'\n# per warehouse\n")})
    git(repo, "checkout", "-q", "main")
    h["track"] = commit(repo, "Track stock levels per warehouse", day(7),
                        {"pkg/inventory.py": py("inventory", "# rounds\n# levels\n")})
    git(repo, "merge", "-q", "--no-ff", "side", "-m", "Merge branch 'side'", date=day(8))
    h["merge"] = git(repo, "rev-parse", "HEAD")
    return repo, h


KEPT = ["track", "side", "round", "add"]  # newest first


# --- 1. what is stored ---------------------------------------------------------------------------

def test_index_stores_the_kept_commits_newest_first(project):
    repo, h = project
    report = index(str(repo))
    history, manifest = read_history(repo)
    assert history["head"] == h["merge"] == git(repo, "rev-parse", "HEAD")
    assert manifest.history_head == git(repo, "rev-parse", "HEAD")
    assert [c["hash"] for c in history["commits"]] == [h[k] for k in KEPT]
    left_out = {h[k] for k in ("typo", "readme", "bump", "merge")}
    assert not left_out & {c["hash"] for c in history["commits"]}
    assert history["scanned"] == 8
    first = history["commits"][-1]
    assert first["files"] == ["pkg/__init__.py", "pkg/inventory.py", "pkg/pricing.py", "pkg/report.py"]  # no README
    assert first["message"] == "Add the inventory, pricing and report code"
    assert first["date"].startswith("2021-01-01T12:00:00") and first["time"] == commit_time(day(1))
    assert report.history == "history: 4 of 8 commits kept as evidence"


# --- 2. the graph ---------------------------------------------------------------------------------

def test_modules_count_changes_and_list_files_changed_together(project):
    repo, _ = project
    index(str(repo))
    modules = modules_of(repo)
    assert modules["pkg/inventory.py"].changes == 3  # add, round, track
    assert modules["pkg/pricing.py"].changes == 2  # add, round (the typo fix is left out)
    assert modules["pkg/report.py"].changes == 2  # add, side (the version bump is left out)
    # inventory and pricing changed together twice; report with either only once (the first commit)
    assert modules["pkg/inventory.py"].changed_with == [["pkg/pricing.py", 2]]
    assert modules["pkg/pricing.py"].changed_with == [["pkg/inventory.py", 2]]
    assert modules["pkg/report.py"].changed_with == []
    assert modules["pkg/"].changes == 0 and modules["pkg/"].changed_with == []

    g = load_graph(IndexStore(str(repo / ".rag")))
    edges = {(u, v): d for u, v, k, d in g.edges(keys=True, data=True) if k == "changed_with"}
    assert edges == {("pkg/inventory.py", "pkg/pricing.py"): {"weight": 2},
                     ("pkg/pricing.py", "pkg/inventory.py"): {"weight": 2}}
    assert g.nodes["pkg/inventory.py"]["changes"] == 3


# --- 3. incremental, rewritten ---------------------------------------------------------------------

def spy_on_mining(monkeypatch) -> list[str]:
    """The revisions each `git log` of the history was asked for."""
    asked, real = [], graph.history.read_commits

    def spy(repo, revisions="HEAD", *args, **kwargs):
        asked.append(revisions)
        return real(repo, revisions, *args, **kwargs)

    monkeypatch.setattr(graph.history, "read_commits", spy)
    return asked


def test_a_new_commit_makes_the_index_stale_and_is_mined_alone(project, monkeypatch, tmp_path):
    repo, h = project
    index(str(repo))
    assert not check(str(repo)).stale
    empty = commit(repo, "Record the release checklist", day(9), None, "--allow-empty")
    changes = check(str(repo))
    assert changes.stale and (changes.added, changes.modified, changes.deleted, changes.reason) == ([], [], [], "")
    assert changes.history.startswith("the history moved since the index was built (new commits")
    assert h["merge"][:10] in changes.history and empty[:10] in changes.history
    assert changes.describe() == [changes.history]

    new = commit(repo, "Cache the price table between report runs", day(10), {
        "pkg/pricing.py": py("pricing", "# cents\n# cached\n"), "pkg/report.py": py("report", "# cached\n")})
    asked = spy_on_mining(monkeypatch)
    report = index(str(repo))
    assert asked == [f"{h['merge']}..{new}"]  # only what came since the indexed HEAD
    assert report.changes.history and report.changes.modified == ["pkg/pricing.py", "pkg/report.py"]
    history, manifest = read_history(repo)
    assert manifest.history_head == new
    assert [c["hash"] for c in history["commits"]] == [new] + [h[k] for k in KEPT]  # the empty commit: no source file
    assert history["scanned"] == 10
    assert modules_of(repo)["pkg/report.py"].changed_with == [["pkg/pricing.py", 2]]  # now twice together
    assert not check(str(repo)).stale

    # the incremental history is the one a full rebuild mines
    full = tmp_path / "full"
    index(str(repo), IndexOptions(index_dir=str(full), full=True))
    assert read_history(repo, full)[0] == history
    assert {k: (m.changes, m.changed_with) for k, m in modules_of(repo, full).items()} == \
           {k: (m.changes, m.changed_with) for k, m in modules_of(repo).items()}


def test_cli_check_reports_new_commits(project, monkeypatch, capsys):
    repo, h = project
    monkeypatch.setattr("rag.embedding.embedder.shared_embedder", lambda name: FakeEmbedder())
    assert main(["index", str(repo), "-q"]) == 0
    capsys.readouterr()
    assert main(["index", str(repo), "--check"]) == 0
    assert capsys.readouterr().out.strip() == "index is fresh"
    new = commit(repo, "Record the release checklist", day(9), None, "--allow-empty")
    assert main(["index", str(repo), "--check"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("index is stale:") and "the history moved since the index was built" in out
    assert f"{h['merge'][:10]} → {new[:10]}" in out
    # a question says the same, not "0 files changed"
    assert main(["ask", "release checklist", "--repo", str(repo), "-k", "1"]) == 0
    err = capsys.readouterr().err
    assert "the index is stale (the history moved since the index was built" in err and "files changed" not in err, err


def test_an_amended_head_is_mined_again(project, monkeypatch):
    repo, h = project
    new = commit(repo, "Cache the price table between report runs", day(10), {"pkg/pricing.py": py("pricing", "# c\n")})
    index(str(repo))
    assert read_history(repo)[0]["commits"][0]["hash"] == new
    git(repo, "commit", "-q", "--amend", "-m", "Cache the price table for an hour", date=day(11))
    amended = git(repo, "rev-parse", "HEAD")
    assert amended != new
    assert check(str(repo)).history
    asked = spy_on_mining(monkeypatch)
    index(str(repo))
    assert asked == [amended]  # all of it: the indexed HEAD is no longer an ancestor
    history, manifest = read_history(repo)
    assert manifest.history_head == amended
    hashes = [c["hash"] for c in history["commits"]]
    assert new not in hashes and hashes == [amended] + [h[k] for k in KEPT]
    assert history["commits"][0]["message"] == "Cache the price table for an hour"
    assert history["scanned"] == 9


def test_a_reset_branch_drops_the_commits_it_left(project):
    repo, h = project
    index(str(repo))
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # the merge goes, and with it the side branch's commit
    new = commit(repo, "Show totals at the end of each report", day(12), {"pkg/report.py": py("report", "# totals\n")})
    index(str(repo))
    history, manifest = read_history(repo)
    assert manifest.history_head == new
    assert [c["hash"] for c in history["commits"]] == [new, h["track"], h["round"], h["add"]]
    assert modules_of(repo)["pkg/report.py"].changes == 2  # add, totals: no longer the side branch's commit


def test_a_revert_removes_the_reverted_commit_incrementally(project):
    repo, h = project
    index(str(repo))
    git(repo, "revert", "--no-edit", h["track"], date=day(13))
    index(str(repo))
    history, _ = read_history(repo)
    assert [c["hash"] for c in history["commits"]] == [h["side"], h["round"], h["add"]]
    assert modules_of(repo)["pkg/inventory.py"].changes == 2


# --- 4. renames ------------------------------------------------------------------------------------

HELPERS = "".join(f'\n\ndef helper_{i}(text):\n    """Helper number {i}."""\n    return text * {i}\n' for i in range(12))


def test_commits_before_a_rename_count_for_the_new_path(tmp_path):
    repo = tmp_path / "renames"
    repo.mkdir()
    git(repo, "init", "-q")
    first = commit(repo, "Add text helpers and the app", day(1), {"pkg/utils.py": HELPERS, "pkg/app.py": py("app")})
    wrap = commit(repo, "Teach the helpers to wrap long lines", day(2), {"pkg/utils.py": HELPERS + "\nWIDTH = 80\n"})
    (repo / "pkg" / "util").mkdir()
    git(repo, "mv", "pkg/utils.py", "pkg/util/text.py")
    move = commit(repo, "Move the text helpers into their own package", day(3))
    git(repo, "mv", "pkg/util/text.py", "pkg/util/strings.py")
    again = commit(repo, "Call the text helpers strings helpers", day(4))
    report = index(str(repo))

    history, _ = read_history(repo)
    assert [c["hash"] for c in history["commits"]] == [again, move, wrap, first]
    assert history["commits"][1]["renames"] == {"pkg/utils.py": "pkg/util/text.py"}
    assert History.from_dict(history).current_paths() == [
        ["pkg/util/strings.py"], ["pkg/util/strings.py"], ["pkg/util/strings.py"],
        ["pkg/app.py", "pkg/util/strings.py"]]
    modules = modules_of(repo)
    assert "pkg/utils.py" not in modules and "pkg/util/text.py" not in modules
    assert modules["pkg/util/strings.py"].changes == 4
    assert modules["pkg/app.py"].changes == 1 and modules["pkg/app.py"].changed_with == []
    assert report.history == "history: 4 of 4 commits kept as evidence"


# --- 5. repositories that give no (or little) history ---------------------------------------------

def assert_no_history(repo, report, note="no git history"):
    assert note in report.history
    history, manifest = read_history(repo)
    assert manifest.history_head is None and history["head"] is None and history["commits"] == []
    assert {m.id: m.changes for m in load_modules(IndexStore(str(repo / ".rag")))}["a.py"] == 0


def test_a_directory_without_git_indexes_without_history(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no git repository above it either
    repo = tmp_path / "plain"
    write(repo, {"a.py": py("a")})
    report = index(str(repo))
    assert report.files == 1
    assert_no_history(repo, report)
    assert not check(str(repo)).stale


def test_a_repository_without_commits(tmp_path):
    repo = tmp_path / "fresh"
    write(repo, {"a.py": py("a")})
    git(repo, "init", "-q")
    assert_no_history(repo, index(str(repo)))
    assert not check(str(repo)).stale


def test_git_not_installed(project, tmp_path, monkeypatch):
    repo, _ = project
    write(repo, {"a.py": py("a")})
    empty = tmp_path / "no-programs"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    report = index(str(repo))
    assert report.files == 5 and report.wrote
    assert_no_history(repo, report)
    assert not check(str(repo)).stale


def test_git_failing_to_start_mid_way(project, monkeypatch):
    """`git rev-parse` works, `git log` cannot start: still an index, with no history."""
    repo, _ = project
    real = subprocess.run

    def run(cmd, *args, **kwargs):
        if "log" in cmd:
            raise FileNotFoundError(2, "No such file or directory", "git")
        return real(cmd, *args, **kwargs)

    monkeypatch.setattr(graph.history.subprocess, "run", run)
    report = index(str(repo))
    assert report.history == "git is not installed"
    assert read_history(repo)[0]["commits"] == []
    assert not check(str(repo)).stale  # HEAD is recorded: not stale on every later look


def test_a_detached_head(project):
    repo, h = project
    git(repo, "checkout", "-q", "--detach", h["round"])
    report = index(str(repo))
    history, manifest = read_history(repo)
    assert manifest.history_head == h["round"]
    assert [c["hash"] for c in history["commits"]] == [h["round"], h["add"]]
    assert report.history == "history: 2 of 3 commits kept as evidence"


def test_a_shallow_clone_says_so(project, tmp_path):
    repo, h = project
    clone = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "2", f"file://{repo}", str(clone)], check=True,
                   capture_output=True)
    assert git(clone, "rev-parse", "--is-shallow-repository") == "true"
    report = index(str(clone))
    assert "shallow" in report.history and report.history.startswith("history: ")
    history, manifest = read_history(clone)
    assert manifest.history_head == h["merge"]
    assert "shallow" in history["note"]
    assert history["scanned"] < 8 and h["add"] not in {c["hash"] for c in history["commits"]}


def test_a_shallow_checkout_of_a_later_commit_keeps_the_history_its_cached_index_had(project, tmp_path):
    """CI: a depth-1 checkout restores the index built at an earlier commit. It cannot tell new commits
    from a rewrite, and must not lose the history the index had."""
    import shutil

    repo, h = project
    index(str(repo))
    before = {c["hash"] for c in read_history(repo)[0]["commits"]}
    new = commit(repo, "Handle an empty cart in the checkout total", day(20), {"a.py": py("a", "# empty\n")})
    clone = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(clone)], check=True, capture_output=True)
    shutil.rmtree(clone / ".rag", ignore_errors=True)  # the fixture commits everything, its index too
    shutil.copytree(repo / ".rag", clone / ".rag")
    report = index(str(clone))
    history, manifest = read_history(clone)
    assert manifest.history_head == new
    assert before <= {c["hash"] for c in history["commits"]}
    assert "and those the index had" in report.history


def test_a_commit_touching_more_than_bulk_files_is_left_out(tmp_path):
    repo = tmp_path / "bulk"
    repo.mkdir()
    git(repo, "init", "-q")
    names = [f"pkg/m{i:02d}.py" for i in range(BULK_FILES + 1)]
    twenty = commit(repo, "Add the first twenty modules", day(1), {n: py(f"m{i}") for i, n in enumerate(names[:BULK_FILES])})
    sweep = commit(repo, "Rename value to amount everywhere", day(2), {n: py(f"m{i}", "# amount\n") for i, n in enumerate(names)})
    index(str(repo))
    history, _ = read_history(repo)
    assert [c["hash"] for c in history["commits"]] == [twenty]  # BULK_FILES exactly is kept; one more is not
    assert sweep not in {c["hash"] for c in history["commits"]} and history["scanned"] == 2
    modules = modules_of(repo)
    assert modules["pkg/m00.py"].changes == 1 and modules[names[-1]].changes == 0


def test_non_utf8_commit_messages(tmp_path):
    repo = tmp_path / "latin"
    repo.mkdir()
    git(repo, "init", "-q")
    message = "Corrige la façon de calculer les coûts\n\nAvec des accents: é à ü.\n".encode("latin-1")
    (tmp_path / "msg").write_bytes(message)
    write(repo, {"pkg/costs.py": py("costs")})
    git(repo, "add", "-A")
    git(repo, "-c", "i18n.commitEncoding=latin1", "commit", "-q", "-F", str(tmp_path / "msg"), date=day(1))
    declared = git(repo, "rev-parse", "HEAD")
    # latin-1 bytes without an encoding header (git commit would re-encode them: written as an object)
    write(repo, {"pkg/costs.py": py("costs", "# again\n")})
    git(repo, "add", "-A")
    tree = git(repo, "write-tree")
    who = b"Tess Tester <tess@example.org> 1609588800 +0000"  # 2021-01-02T12:00:00Z
    raw_commit = b"tree %s\nparent %s\nauthor %s\ncommitter %s\n\n%s" % (
        tree.encode(), declared.encode(), who, who, message)
    (tmp_path / "object").write_bytes(raw_commit)
    raw = git(repo, "hash-object", "-t", "commit", "-w", str(tmp_path / "object"))
    git(repo, "update-ref", "HEAD", raw)
    assert b"\xe7" in git(repo, "cat-file", "commit", raw, binary=True)

    report = index(str(repo))
    history, _ = read_history(repo)
    by_hash = {c["hash"]: c for c in history["commits"]}
    assert list(by_hash) == [raw, declared]
    assert by_hash[declared]["message"].startswith("Corrige la façon de calculer les coûts")
    assert by_hash[raw]["message"].startswith("Corrige la fa") and "calculer les co" in by_hash[raw]["message"]
    assert report.history == "history: 2 of 2 commits kept as evidence"
    assert modules_of(repo)["pkg/costs.py"].changes == 2


def test_a_subdirectory_of_a_repository_sees_only_its_own_history(project):
    repo, h = project
    index(str(repo / "pkg"))
    history, _ = read_history(repo / "pkg")
    assert [c["hash"] for c in history["commits"]] == [h[k] for k in KEPT]
    assert history["commits"][-1]["files"] == ["__init__.py", "inventory.py", "pricing.py", "report.py"]
    assert modules_of(repo / "pkg")["inventory.py"].changes == 3


def test_commits_elsewhere_leave_a_subdirectory_index_fresh_and_an_untracked_one_has_no_history(project):
    repo, h = project
    commit(repo, "Keep indexes out of git", day(21), {".gitignore": ".rag/\n"})
    index(str(repo / "pkg"))
    commit(repo, "Describe the project better", day(21), {"README.md": "# shop\n\nBetter words.\n"})
    assert not check(str(repo / "pkg")).stale  # HEAD moved, nothing under pkg/ did
    commit(repo, "Count stock per warehouse", day(22), {"pkg/inventory.py": py("inventory", "# per warehouse\n")})
    assert check(str(repo / "pkg")).history
    (repo / ".gitignore").write_text(".rag/\ndownloads/\n")
    write(repo, {"downloads/lib/tool.py": py("tool")})
    report = index(str(repo / "downloads" / "lib"))
    assert read_history(repo / "downloads" / "lib")[1].history_head is None
    assert "no git history" in report.history


# --- 6. --no-history ---------------------------------------------------------------------------------

class FakeEmbedder:
    """No model: every text gets the same unit vector, so the dense signal is flat (standardised to
    zero) and rankings come from the other signals alone."""
    dimension = 16

    def embed(self, texts, batch_size=64, progress=None):
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        out[:, 0] = 1.0
        if progress:
            progress(len(texts), len(texts))
        return out

    def embed_query(self, text):
        return self.embed([text])[0]


@pytest.fixture
def fake_embedder(monkeypatch):
    fake = FakeEmbedder()
    monkeypatch.setattr("rag.embedding.embedder.shared_embedder", lambda name: fake)
    return fake


def test_no_history_is_remembered_until_full(project, fake_embedder, capsys):
    repo, h = project
    assert main(["index", str(repo), "--no-history"]) == 0
    assert "history off" in capsys.readouterr().err
    history, manifest = read_history(repo)
    assert history["head"] is None and history["commits"] == [] and manifest.history_head is None
    assert modules_of(repo)["pkg/inventory.py"].changes == 0

    commit(repo, "Track stock by lot as well", day(20), {"pkg/inventory.py": py("inventory", "# lots\n")})
    assert main(["index", str(repo), "--check"]) == 1
    assert "new commits" not in capsys.readouterr().out  # only the changed file
    assert main(["index", str(repo), "-q"]) == 0  # without --no-history: still off
    assert read_history(repo)[1].history_head is None
    commit(repo, "Record the release checklist", day(21), None, "--allow-empty")
    assert main(["index", str(repo), "--check"]) == 0
    assert capsys.readouterr().out.strip() == "index is fresh"

    assert main(["index", str(repo), "--full", "-q"]) == 0
    history, manifest = read_history(repo)
    assert manifest.history_head == git(repo, "rev-parse", "HEAD") == history["head"]
    assert len(history["commits"]) == 5
    assert main(["index", str(repo), "--check"]) == 0


# --- 7. [history] in rag.toml --------------------------------------------------------------------------

def test_max_commits_limits_the_scan(project):
    repo, h = project
    (repo / "rag.toml").write_text("[history]\nmax_commits = 2\n")
    report = index(str(repo))
    history, _ = read_history(repo)
    assert history["scanned"] == 2 and [c["hash"] for c in history["commits"]] == [h["track"]]  # the merge, track
    assert "limited to the newest 2 commits" in report.history


def test_max_commits_zero_turns_history_off(project):
    repo, _ = project
    (repo / "rag.toml").write_text("[history]\nmax_commits = 0\n")
    report = index(str(repo))
    assert "history off" in report.history and read_history(repo)[1].history_head is None
    assert not check(str(repo)).stale


def test_changing_max_commits_mines_again(project):
    """A new limit in rag.toml makes the index stale; the rebuilt index must honour it."""
    repo, h = project
    index(str(repo))
    assert len(read_history(repo)[0]["commits"]) == 4
    (repo / "rag.toml").write_text("[history]\nmax_commits = 2\n")
    assert check(str(repo)).reason
    index(str(repo))
    history, _ = read_history(repo)
    assert history["scanned"] == 2 and [c["hash"] for c in history["commits"]] == [h["track"]]
    (repo / "rag.toml").write_text("[history]\nmax_commits = 100\n")
    index(str(repo))
    history, _ = read_history(repo)
    assert history["scanned"] == 8 and [c["hash"] for c in history["commits"]] == [h[k] for k in KEPT]


def test_an_update_past_max_commits_keeps_the_window_a_full_build_keeps(project, tmp_path):
    """spring-framework (sweep 16): after an update the index held 10,669 commits of 20,408 scanned, where
    a full build of the same HEAD holds 10,390 of 20,000: the previous window plus the new commits
    outgrew the limit. An update and a full build of the same HEAD now hold the same history."""
    repo, h = project
    (repo / "rag.toml").write_text("[history]\nmax_commits = 5\n")
    index(str(repo))
    assert read_history(repo)[0]["scanned"] == 5
    commit(repo, "Report stock value per warehouse", day(9), {"pkg/report.py": py("report", "# value\n")})
    commit(repo, "Price items in the customer's currency", day(10), {"pkg/pricing.py": py("pricing", "# currency\n")})
    index(str(repo))
    updated, _ = read_history(repo)
    index(str(repo), IndexOptions(full=True))
    rebuilt, _ = read_history(repo)
    assert updated["scanned"] == rebuilt["scanned"] == 5
    assert [c["hash"] for c in updated["commits"]] == [c["hash"] for c in rebuilt["commits"]]


@pytest.mark.parametrize("value", ['"x"', "-1", "2.5", "true"])
def test_bad_max_commits_is_a_config_error(project, value):
    repo, _ = project
    (repo / "rag.toml").write_text(f"[history]\nmax_commits = {value}\n")
    with pytest.raises(ConfigError, match=r"max_commits must be a whole number >= 0"):
        index(str(repo))


def test_bad_max_commits_is_one_line_from_the_cli(project, capsys):
    repo, _ = project
    (repo / "rag.toml").write_text('[history]\nmax_commits = "x"\n')
    assert main(["index", str(repo)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("rag: rag.toml [history] max_commits must be a whole number")
    (repo / "rag.toml").write_text("[history]\nmax_commits = -1\n")
    r = run_rag("index", repo)  # as a user meets it
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert r.stderr.strip() == "rag: rag.toml [history] max_commits must be a whole number >= 0, not -1"
    assert not (repo / ".rag" / "manifest.json").exists()


# --- 8. similar past changes in the ranking ----------------------------------------------------------

FROB = "Fix the frobnicator handling of widget colours"


@pytest.fixture
def ranked(tmp_path):
    """A repository where a past change's message, not the code, ties the question to pkg/colours.py."""
    repo = tmp_path / "ranked"
    repo.mkdir()
    git(repo, "init", "-q")
    files = {
        "pkg/__init__.py": "",
        "pkg/colours.py": '"""Conversions between colour spaces."""\n\n\ndef rgb_to_hsl(r, g, b):\n'
                          '    """Hue, saturation and lightness of an RGB triple."""\n    return (r + g + b) / 3, 0, 0\n\n\n'
                          'def blend(a, b, t):\n    """Mix two RGB triples."""\n    return tuple(x + (y - x) * t for x, y in zip(a, b))\n',
        "pkg/widgets.py": '"""Buttons and sliders."""\n\n\nclass Widget:\n'
                          '    """On screen."""\n\n    def __init__(self, label):\n        self.label = label\n',
        "pkg/layout.py": '"""Boxes laid out in rows."""\n\n\ndef grid(boxes, columns):\n    """Rows of boxes."""\n'
                         '    return [boxes[i:i + columns] for i in range(0, len(boxes), columns)]\n',
        "pkg/fonts.py": '"""Typefaces and their sizes."""\n\n\ndef scale(size, factor):\n    return size * factor\n',
        "pkg/shapes.py": '"""Circles, squares and triangles."""\n\n\ndef area(shape):\n    return shape.width * shape.height\n',
        "pkg/events.py": '"""Clicks and key presses."""\n\n\ndef dispatch(event, handlers):\n'
                         '    for handler in handlers:\n        handler(event)\n',
    }
    h = {"add": commit(repo, "Initial import", day(1, 3), files)}
    h["frob"] = commit(repo, FROB, day(4, 3), {"pkg/colours.py": files["pkg/colours.py"] + "\nGAMMA = 2.2\n"})
    h["grid"] = commit(repo, "Lay out boxes in a grid of columns", day(6, 3),
                       {"pkg/layout.py": files["pkg/layout.py"] + "\nCOLUMNS = 3\n"})
    return repo, h


QUESTION = "frobnicator widget colours wrong"


def test_a_similar_past_change_ranks_the_file_it_touched_first(ranked, fake_embedder):
    repo, h = ranked
    assert "frobnicator" not in (repo / "pkg" / "colours.py").read_text()
    res = Engine.open(str(repo), embedder=fake_embedder).ask(QUESTION)
    top = res.candidates[0]
    assert top.module == "pkg/colours.py"
    line = f'similar past change: {h["frob"][:7]} "{FROB}" (2021-03-04)'
    assert line in top.why
    assert re.fullmatch(r'similar past change: [0-9a-f]{7} "Fix the frobnicator .*" \(\d{4}-\d{2}-\d{2}\)', line)
    assert not any("similar past change" in w for c in res.candidates[1:] for w in c.why)


def test_past_changes_are_matched_against_the_head_of_a_report_not_its_example(ranked, fake_embedder):
    # the frobnicator change shares three rare words with the example below, the grid change the title
    repo, h = ranked
    report = ("Boxes in a grid of columns are laid out wrong\n"
              "With three columns the last row of boxes is dropped.\n\n```python\n"
              "from pkg import frobnicator_widget_colours\nfrobnicator(widget, colours)\n"
              "frobnicator(widget, colours)\n```\n")
    res = Engine.open(str(repo), embedder=fake_embedder).ask(report)
    cited = [w for c in res.candidates for w in c.why if w.startswith("similar past change")]
    assert any(h["grid"][:7] in w for w in cited)
    assert not any(h["frob"][:7] in w for w in cited)
    layout = next(c for c in res.candidates if c.module == "pkg/layout.py")
    assert any(h["grid"][:7] in w for w in layout.why)


def test_no_past_change_from_after_the_question(ranked, fake_embedder):
    repo, h = ranked
    engine = Engine.open(str(repo), embedder=fake_embedder)
    with_history = engine.ask(QUESTION)
    before = engine.ask(QUESTION, as_of=AsOf(commit_time(day(4, 3)) - 1))
    assert before.candidates[0].module != "pkg/colours.py"  # without the change, the widget code leads
    assert not any("similar past change" in w for c in before.candidates for w in c.why)
    colours = {c.module: c.score for c in with_history.candidates}["pkg/colours.py"]
    assert {c.module: c.score for c in before.candidates}["pkg/colours.py"] < colours
    # later, but the question is the commit itself: it does not see itself
    itself = engine.ask(QUESTION, as_of=AsOf(commit_time(day(30, 3)), h["frob"][:12]))
    assert not any("similar past change" in w for c in itself.candidates for w in c.why)
    assert [c.module for c in itself.candidates] == [c.module for c in before.candidates]
    # after it: seen again
    after = engine.ask(QUESTION, as_of=AsOf(commit_time(day(4, 3)) + 1))
    assert after.candidates[0].module == "pkg/colours.py"


def test_history_weight_zero_leaves_it_out(ranked, fake_embedder):
    repo, _ = ranked
    full = Engine.open(str(repo), embedder=fake_embedder).ask(QUESTION)  # builds the index, with its history
    engine = Engine.open(str(repo), embedder=fake_embedder, settings=RetrievalSettings(w_history=0))
    assert not engine.stale.stale  # the weight is a question-time setting: the same index answers
    res = engine.ask(QUESTION)
    assert res.candidates[0].module == "pkg/widgets.py"
    assert not any("similar past change" in w for c in res.candidates for w in c.why)
    # the boost is the weight times the signal, which is 1 for the best file of the similar changes
    with_history = {c.module: c.score for c in full.candidates}
    without = {c.module: c.score for c in res.candidates}
    boost = RetrievalSettings().w_history
    assert with_history["pkg/colours.py"] - without["pkg/colours.py"] == pytest.approx(boost, abs=1e-3)
    assert with_history["pkg/widgets.py"] == without["pkg/widgets.py"]


# --- 9. rag eval asks each row as of its date ----------------------------------------------------------

def test_a_dated_labeled_row_does_not_see_its_own_commit(ranked, fake_embedder, tmp_path):
    from eval.methods import get_method

    repo, h = ranked
    date = git(repo, "log", "-1", "--format=%aI", h["frob"])
    rows = [{"query": FROB, "gold_files": ["pkg/colours.py"], "date": date, "commit": h["frob"]},
            {"query": FROB, "gold_files": ["pkg/colours.py"], "meta": {"date": date}},
            {"query": FROB, "gold_files": ["pkg/colours.py"]}]
    path = tmp_path / "dev.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    own, meta_dated, undated = load_labeled(str(path))
    assert own.as_of == AsOf(commit_time(date), h["frob"])
    assert meta_dated.as_of == AsOf(commit_time(date), "")
    assert undated.as_of is None

    engine = Engine.open(str(repo), embedder=fake_embedder)
    hybrid = get_method("hybrid")
    assert hybrid.rank(engine, FROB, 3, "file", None).modules[0] == "pkg/colours.py"  # sees the commit: its own message
    for q in (own, meta_dated):
        assert hybrid.rank(engine, q.query, 3, "file", q.as_of).modules[0] != "pkg/colours.py"
        res = engine.ask(q.query, as_of=q.as_of)
        assert not any("similar past change" in w for c in res.candidates for w in c.why)


def test_a_bad_date_names_its_line(tmp_path):
    path = tmp_path / "dev.jsonl"
    path.write_text(json.dumps({"query": "a", "gold_files": ["a.py"], "date": "2021-03-04T12:00:00+00:00"}) + "\n"
                    + json.dumps({"query": "b", "gold_files": ["b.py"], "date": "last tuesday"}) + "\n")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:2: 'date' must be an ISO 8601 date") + ".*last tuesday"):
        load_labeled(str(path))


@pytest.mark.parametrize("date", [20210304, ["2021-03-04"]])
def test_a_date_that_is_not_a_string_names_its_line(tmp_path, date):
    path = tmp_path / "dev.jsonl"
    path.write_text(json.dumps({"query": "b", "gold_files": ["b.py"], "date": date}) + "\n")
    with pytest.raises(DatasetError, match=re.escape(f"{path}:1: 'date' must be an ISO 8601 date")):
        load_labeled(str(path))
