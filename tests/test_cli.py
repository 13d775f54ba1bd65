"""The CLI as a user meets it: exit codes, one-line errors, output formats, and kills."""
import json
import os
import random
import signal
import subprocess
import time

import pytest

from graph.indexer import load_graph, load_modules
from graph.store import IndexStore

from conftest import RAG, run_rag


def assert_one_line_error(result, fragment):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("rag: ") and fragment in lines[0], result.stderr
    assert "Traceback" not in result.stderr


def test_help_lists_commands():
    r = run_rag("--help")
    assert r.returncode == 0 and "index" in r.stdout and "modules" in r.stdout


def test_bad_flags_are_one_line_errors():
    """argparse's own complaints too: one line naming the flag, no usage block."""
    for args, fragment in ((["finetune", "--epochs", "0"], "argument --epochs: must be 1 or more"),
                           (["ask", "x", "--bogus"], "unrecognized arguments: --bogus"),
                           (["serve", "--debounce-ms", "x"], "argument --debounce-ms"),
                           (["nope"], "invalid choice: 'nope'")):
        assert_one_line_error(run_rag(*args), fragment)


def test_bad_paths_are_one_line_errors(tmp_path):
    assert_one_line_error(run_rag("index", tmp_path / "missing"), "no such path")
    (tmp_path / "file.py").write_text("x = 1\n")
    assert_one_line_error(run_rag("index", tmp_path / "file.py"), "not a directory")
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(run_rag("index", empty), "nothing to index")
    assert_one_line_error(run_rag("modules", empty), "run `rag index` first")


def test_check_exit_codes_and_report(shop):
    r = run_rag("index", "--check", cwd=shop)
    assert r.returncode == 1 and "no index yet" in r.stdout
    r = run_rag("index", cwd=shop)
    assert r.returncode == 0 and "indexed 6 files into 9 modules" in r.stderr
    assert "parse: 6/6" in r.stderr  # progress as plain lines when stderr is not a terminal
    assert run_rag("index", "--check", cwd=shop).returncode == 0
    (shop / "shop" / "catalog.py").write_text("# gone\n")
    r = run_rag("index", "--check", shop)
    assert r.returncode == 1 and "~ shop/catalog.py" in r.stdout
    r = run_rag("index", shop)
    assert "incremental: 1 parsed, 5 unchanged" in r.stderr


def test_skipped_files_are_counted_in_warnings(shop):
    (shop / "shop" / "blob.py").write_bytes(b"\x00\x00")
    r = run_rag("index", shop)
    assert r.returncode == 0
    assert "rag: warning: skipped 1 binary file (shop/blob.py)" in r.stderr


def test_modules_plain_json_and_tree(shop):
    run_rag("index", shop)
    plain = run_rag("modules", shop)
    assert plain.returncode == 0
    assert "shop/cart.py\n    Shopping cart: what a customer is about to buy." in plain.stdout
    data = json.loads(run_rag("modules", shop, "--json").stdout)
    by_id = {m["id"]: m for m in data}
    assert by_id["shop/payment/"]["parent"] == "shop/"
    assert set(by_id["shop/cart.py"]) >= {"id", "kind", "parent", "summary", "keywords", "symbols"}
    # the graph's import edges, both ways (sweep 15: a user saw them only inside the summary's text)
    assert by_id["shop/checkout.py"]["imports"] == ["shop/cart.py", "shop/payment/gateway.py"]
    assert by_id["shop/cart.py"]["imported_by"] == ["shop/checkout.py"] and by_id["shop/cart.py"]["imports"] == ["shop/catalog.py"]
    assert by_id["shop/payment/"]["imports"] == [] and by_id["shop/payment/"]["imported_by"] == []
    tree = run_rag("modules", shop, "--tree").stdout.splitlines()
    assert tree[0].startswith("shop/") and "Online shop" in tree[0]
    assert any(line.startswith("  payment/") for line in tree)
    assert any(line.startswith("    gateway.py") for line in tree)
    both = run_rag("modules", shop, "--tree", "--json")  # --tree was quietly dropped (README audit, sweep 11)
    assert both.returncode == 2 and "give one of them" in both.stderr and not both.stdout


def test_the_repository_is_named_as_a_path_or_with_repo_in_every_command(shop, tmp_path):
    """`rag ask` takes `--repo PATH`, `rag index` and `rag modules` took only PATH: `rag modules --repo X` was
    "unrecognized arguments" (sweep 16). Either spelling now names it; two different ones are one line."""
    assert run_rag("index", "--repo", shop).returncode == 0
    assert run_rag("modules", "--repo", shop, "--json").stdout == run_rag("modules", shop, "--json").stdout
    assert run_rag("index", shop, "--repo", shop, "--check").returncode == 0  # the same one twice
    assert_one_line_error(run_rag("modules", shop, "--repo", tmp_path), "two repositories given")


def test_a_reader_that_goes_away_does_not_stop_the_work(shop):
    """`rag index 2>&1 | head -1` (sweep 16): the progress line after the first failed to write, and the
    run ended with exit 0 and no index. The work goes on without its diagnostics."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line
    try:
        done = subprocess.run(RAG + ["index", str(shop)], stdout=write_end, stderr=write_end, timeout=60)
    finally:
        os.close(write_end)
    assert done.returncode == 0
    assert run_rag("index", "--check", shop).returncode == 0  # written, and fresh


def test_plain_progress_says_each_stage_and_how_long_is_left(monkeypatch, capsys):
    from rag.progress import StderrProgress

    clock = iter([0.0, 0.5, 10.0, 10.2, 20.0])
    monkeypatch.setattr("rag.progress.time.monotonic", lambda: next(clock))
    progress = StderrProgress()
    progress.tty = False
    progress("embed", 0, 5000)  # a new stage is said at once
    progress("embed", 10, 5000)  # too soon for another line
    progress("embed", 1000, 5000)
    progress("graph, history, summaries", 0, 3)
    progress("embed", 5000, 5000)
    assert capsys.readouterr().err.splitlines() == [
        "embed: 0/5000", "embed: 1000/5000 (100/s, about 40 s left)", "graph, history, summaries: 0/3", "embed: 5000/5000 (250/s)"]


def test_corrupt_index_is_one_line_for_readers(shop):
    run_rag("index", shop)
    (shop / ".rag" / "manifest.json").write_text("{")
    assert_one_line_error(run_rag("modules", shop), "rag index --full")


def test_kill_during_index_leaves_a_loadable_index(tmp_path):
    """SIGKILL at random moments of a rebuild: the index is always the old one or the new one."""
    repo = tmp_path / "big"
    (repo / "pkg").mkdir(parents=True)
    for i in range(60):
        (repo / "pkg" / f"m{i}.py").write_text(
            f'"""Module {i}."""\nimport pkg.m{(i + 1) % 60}\n\n'
            + "".join(f"def f{i}_{j}(x):\n    '''Do {j}.'''\n    return f{i}_{(j + 1) % 40}(x)\n\n" for j in range(40)))
    assert run_rag("index", repo, "--jobs", "1", timeout=120).returncode == 0
    store = IndexStore(str(repo / ".rag"))
    rng = random.Random(7)
    for attempt in range(4):
        proc = subprocess.Popen(RAG + ["index", str(repo), "--full", "--jobs", "1", "-q"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        m = store.manifest()  # either the one from before or the complete new one
        assert len(load_modules(store, m)) == 61
        assert load_graph(store, m).number_of_nodes() > 2400
    # the next run cleans up whatever a killed writer left half-written
    assert run_rag("index", repo, "--full", "-q", timeout=120).returncode == 0
    snaps = [e for e in os.listdir(repo / ".rag") if e.startswith("snap-")]
    assert len(snaps) <= 2 and store.manifest().snapshot in snaps


def test_two_concurrent_index_runs_both_succeed(shop):
    """The lock serialises writers: both runs finish, and the index is whole."""
    procs = [subprocess.Popen(RAG + ["index", str(shop), "--full"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    assert len(load_modules(IndexStore(str(shop / ".rag")))) == 9


def test_a_question_waiting_for_an_index_being_written_says_so(shop):
    """spring-framework (sweep 16): `rag ask` waited 9 minutes without a word while another run built the
    first index; `rag index` said it was waiting, `rag ask` did not."""
    from graph.locking import exclusive_lock
    from graph.store import LOCK

    (shop / ".rag").mkdir()
    with exclusive_lock(str(shop / ".rag" / LOCK), "busy"):
        asking = subprocess.Popen(RAG + ["ask", "cart total", "--repo", str(shop)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        time.sleep(3)  # it starts, finds no index, and waits for the writer
    out, err = asking.communicate(timeout=120)
    assert asking.returncode == 0, err
    assert "waiting for another `rag index` to finish" in err and "shop/cart.py" in out


def test_setting_flags_take_type_default_and_help_from_the_settings_dataclass():
    import argparse

    from finetune.settings import RetrieverSettings, TrainSettings
    from rag.cli.flags import add_setting_flag, settings_from_args

    p = argparse.ArgumentParser()
    add_setting_flag(p, "epochs", (TrainSettings, ""), (RetrieverSettings, "with --retriever"))
    add_setting_flag(p, "label_form", (TrainSettings, ""))
    add_setting_flag(p, "qlora", (TrainSettings, ""))
    text = p.format_help()
    assert f"(default {TrainSettings().epochs}; with --retriever {RetrieverSettings().epochs})" in " ".join(text.split())
    assert "--labels {plain,cot,both}" in text
    args = p.parse_args(["--epochs", "3", "--labels", "cot"])
    settings = settings_from_args(TrainSettings, args, ["epochs", "label_form", "qlora"])
    assert (settings.epochs, settings.label_form, settings.qlora, settings.lora_r) == (3, "cot", False, TrainSettings().lora_r)
    assert settings.lora_alpha == 2 * settings.lora_r  # the rule lives on the dataclass, not in the CLI
    with pytest.raises(SystemExit):
        p.parse_args(["--epochs", "0"])  # argparse's one line: "must be 1 or more"


def test_the_readme_lists_every_flag_of_every_command():
    """The README's Commands block is where a newcomer learns what each command takes: a flag the
    parser has and the block leaves out (or one it names that is gone) is found here, not by a user."""
    import argparse
    import pathlib
    import re

    from rag.cli import COMMANDS, _parser

    readme = (pathlib.Path(__file__).resolve().parents[1] / "README.md").read_text()
    block = readme.split("## Commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = next(a for a in _parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in COMMANDS:
        lines = " ".join(line for line in block.splitlines() if line.startswith(f"rag {name} "))
        listed = set(re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", lines))
        flags = {s for a in commands[name]._actions for s in a.option_strings if s not in ("-h", "--help")}
        # a flag with a long and a short spelling is listed once
        spelt = {s for a in commands[name]._actions if set(a.option_strings) & listed for s in a.option_strings}
        assert flags - spelt - {"-h", "--help"} == set(), f"rag {name}: the README's Commands leave out these"
        assert listed - flags == set(), f"rag {name}: the README's Commands name flags the parser does not have"
