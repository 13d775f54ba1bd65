"""rag eval --from-git: which commits become labeled queries, and why the others are dropped."""
import json
import os
import shutil
import subprocess

import pytest

from rag.commit_queries import clean_message, mine, names_module

from conftest import FIXTURES, run_rag

GIT_ENV = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}


def git(repo, *args):
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=GIT_ENV).stdout


def change(repo, path, message, text="# changed\n"):
    full = repo / path
    full.parent.mkdir(parents=True, exist_ok=True)
    with open(full, "a") as fh:
        fh.write(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def history(tmp_path):
    repo = tmp_path / "repo"
    shutil.copytree(os.path.join(FIXTURES, "python"), repo)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    old = {**GIT_ENV, "GIT_AUTHOR_DATE": "2020-01-01T12:00:00", "GIT_COMMITTER_DATE": "2020-01-01T12:00:00"}
    subprocess.run(["git", "-C", str(repo), "commit", "-q", "-m", "Initial import of the shop"],  # 6 files: too many
                   check=True, env=old)
    change(repo, "shop/cart.py", "Fix rounding of cart totals when quantities are large\n\n"
                                 "Totals overflowed.\n\nSigned-off-by: t <t@example.org>")
    change(repo, "shop/catalog.py", "fix typo")
    change(repo, "shop/catalog.py", "Make catalog.py lookups case-insensitive")  # names the file: a leak
    change(repo, "tests/test_cart.py", "Add a test for large carts")  # no source file
    change(repo, "shop/cart.py", "Bump version to 1.2.0")
    change(repo, "shop/payment/gateway.py", "Retry card charges once when the provider times out")
    git(repo, "checkout", "-q", "-b", "side")
    change(repo, "shop/checkout.py", "Let customers pay for an order with two cards at once")
    git(repo, "checkout", "-q", "main")
    change(repo, "shop/catalog.py", "Cache product lookups for a minute to spare the database")
    git(repo, "merge", "-q", "--no-ff", "side", "-m", "Merge branch side")
    git(repo, "revert", "--no-edit", "HEAD~1")
    return repo


def test_mining_keeps_described_changes_and_says_why_others_went(history):
    result = mine(str(history))
    assert {r["query"].splitlines()[0]: r["gold_files"] for r in result.rows} == {
        "Fix rounding of cart totals when quantities are large": ["shop/cart.py"],
        "Retry card charges once when the provider times out": ["shop/payment/gateway.py"],
        "Let customers pay for an order with two cards at once": ["shop/checkout.py"],
    }
    assert result.dropped == {"more than two source files": 1, "formatting, typo, lint, CI or docs": 1,
                              "message names a gold module": 1, "no source file changed": 1,
                              "version bump or release": 1, "merge": 1, "revert": 1, "reverted later": 1}
    assert result.scanned == 11
    row = next(r for r in result.rows if r["gold_files"] == ["shop/cart.py"])
    assert "Signed-off-by" not in row["query"] and row["commit"] and row["date"]


def test_last_and_since_limit_the_scan(history):
    assert mine(str(history), last=3).scanned == 3
    assert mine(str(history), since="2021-01-01").scanned == 10  # all but the initial import of 2020


def test_leak_rules():
    assert names_module("Fix shop/cart.py totals", "shop/cart.py")
    assert names_module("make http_proxy honour no_proxy", "scrapy/http_proxy.py")
    assert names_module("speed up shop.payment.gateway", "shop/payment/gateway.py")
    assert not names_module("align cells in a table", "rich/table.py")  # an ordinary word stays
    assert names_module("Proxy support in HttpProxy", "pkg/HttpProxy.java")
    assert clean_message("Subject\n\nBody\nCo-authored-by: x <x@y>\n") == "Subject\n\nBody"


def test_cli_writes_jsonl_that_rag_eval_reads(history, tmp_path):
    out = tmp_path / "mined.jsonl"
    r = run_rag("eval", "--from-git", "--repo", history, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "mined 3 labeled queries from 11 commits" in r.stderr and "dropped 1: merge" in r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and all(set(row) >= {"query", "gold_files", "commit", "date"} for row in rows)
    r = run_rag("eval", out, "--repo", history, "--methods", "bm25", "-k", "1,3")
    assert r.returncode == 0 and "3 queries" in r.stdout
    # a folder of the indexed repository is mined and scored by that index's module IDs (QA sweep 5: mined
    # as cart.py, scored against shop/cart.py, every query a miss)
    sub = history / "shop"
    r = run_rag("eval", "--from-git", "--repo", sub, "--out", tmp_path / "sub.jsonl")
    assert r.returncode == 0, r.stderr
    assert all(g.startswith("shop/") for line in (tmp_path / "sub.jsonl").read_text().splitlines()
               for g in json.loads(line)["gold_files"])
    r = run_rag("eval", tmp_path / "sub.jsonl", "--repo", sub, "--methods", "bm25", "--json")
    assert r.returncode == 0 and "not in the index" not in r.stderr, r.stderr


def test_not_a_git_repository_is_one_line(tmp_path):
    (tmp_path / "a.py").write_text("x = 1\n")
    r = run_rag("eval", "--from-git", "--repo", tmp_path)
    assert r.returncode == 2 and r.stderr.startswith("rag: cannot read the git history") and r.stderr.count("\n") == 1


def test_a_repository_without_commits_and_since_with_last_are_one_line(history, tmp_path):
    import subprocess

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    r = run_rag("eval", "--from-git", "--repo", tmp_path)  # was git's own "fatal: bad revision 'HEAD'"
    assert r.returncode == 2 and r.stderr == f"rag: {tmp_path} has no commits yet: there is no history to read\n"
    r = run_rag("eval", "--from-git", "--repo", history, "--since", "2021-01-01", "--last", "3")
    assert r.returncode == 2 and "not allowed with argument --since" in r.stderr  # the README's alternatives


@pytest.mark.parametrize("since", ["notadate", "2012-13-45", "yesterday"])
def test_a_since_that_is_not_a_date_is_one_line(history, since):
    """git reads a word it does not know as "now": `--since banana` selected nothing and said nothing."""
    r = run_rag("eval", "--from-git", "--repo", history, "--since", since)
    assert r.returncode == 2 and r.stderr.startswith("rag: --since must be an ISO 8601 date") and r.stderr.count("\n") == 1


def test_since_keeps_the_commits_after_the_date(history):
    every = run_rag("eval", "--from-git", "--repo", history)
    later = run_rag("eval", "--from-git", "--repo", history, "--since", "2090-01-01")
    assert every.returncode == later.returncode == 0
    assert "mined 3 labeled queries" in every.stderr and "mined 0 labeled queries from 0 commits" in later.stderr
    assert "no commit of this repository is from 2090-01-01 or later" in later.stderr  # said why (QA sweep 5)
    # to the second: the initial import is at 2020-01-01T12:00:00 (a bare date starts at its midnight,
    # where git alone would read it at the current time of day)
    assert "from 11 commits" in run_rag("eval", "--from-git", "--repo", history, "--since", "2020-01-01").stderr
    after_it = run_rag("eval", "--from-git", "--repo", history, "--since", "2020-01-01T12:00:01+00:00")
    assert "from 10 commits" in after_it.stderr, after_it.stderr
