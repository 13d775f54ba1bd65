"""rag eval: metrics on hand-made rankings, labeled-query validation, the method registry, reports."""
import json
import os

import pytest

from eval.dataset import DatasetError, gold_ids, load_labeled
from eval.methods import Method, MethodError, get_method, method_names, register_method
from eval.metrics import accuracy_by_confidence, directory_of, percentile
from rag.ranking_metrics import (accuracy_at, all_within, dedupe, first_rank, first_place_changes, mcnemar_p,
                                 mean_reciprocal_rank, strict_accuracy_at)

from conftest import run_rag


# --- metrics -------------------------------------------------------------------------------------

def test_first_rank_with_multiple_golds_duplicates_and_misses():
    assert first_rank(["a", "b", "c"], ["c", "b"]) == 2
    assert first_rank(["a", "a", "b"], ["b"]) == 2  # the duplicate counts once
    assert first_rank(["a", "b"], ["z"]) is None
    assert first_rank([], ["a"]) is None
    assert dedupe(["x", "y", "x"]) == ["x", "y"]


def test_accuracy_and_mrr_by_hand():
    ranks = [1, 3, None, 2]
    assert accuracy_at(ranks, 1) == 0.25
    assert accuracy_at(ranks, 2) == 0.5
    assert accuracy_at(ranks, 3) == 0.75
    assert mean_reciprocal_rank(ranks) == pytest.approx((1 + 1 / 3 + 0 + 1 / 2) / 4)
    assert accuracy_at([], 1) == 0.0 and mean_reciprocal_rank([]) == 0.0


def test_strict_accuracy_needs_every_gold():
    rankings = [["a", "b", "c"], ["a", "x", "b"], ["a", "a", "b"]]
    golds = [["a", "b"], ["a", "b"], ["b", "a"]]
    assert [all_within(r, g, 2) for r, g in zip(rankings, golds)] == [True, False, True]
    assert strict_accuracy_at(rankings, golds, 2) == pytest.approx(2 / 3)
    assert strict_accuracy_at(rankings, golds, 3) == 1.0
    assert not all_within(["a"], [], 1)  # no gold: never a hit


def test_first_place_changes_and_the_exact_test():
    assert first_place_changes([True, False, False, True], [True, True, True, False]) == (2, 1)
    assert first_place_changes([], []) == (0, 0)
    with pytest.raises(ValueError, match="same questions"):
        first_place_changes([True], [True, False])
    # 9 won, 1 lost: 2 * P(X <= 1 | 10, 1/2) = 22/1024; an even split or no difference is no evidence
    assert mcnemar_p(9, 1) == pytest.approx(22 / 1024) and mcnemar_p(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_p(5, 5) == 1.0 and mcnemar_p(0, 0) == 1.0


def test_ties_keep_the_order_the_method_returned():
    # two modules with equal scores: the ranking is what the method returned, first one first
    assert first_rank(["tie-a", "tie-b"], ["tie-b"]) == 2


def test_percentile_and_directories():
    assert percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50) == 3.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == 4.0
    assert directory_of("rich/progress.py") == "rich/"
    assert directory_of("setup.py") == "./"
    assert directory_of("scrapy/http/") == "scrapy/http/"


def test_accuracy_by_confidence_puts_each_question_in_one_band():
    confidences = [0.0, 0.49, 0.5, 0.799, 0.8, 1.0]
    ranks = [None, 1, 4, 1, 2, 1]
    bands = accuracy_by_confidence(confidences, ranks)
    assert [b["band"] for b in bands] == ["[0, 0.5)", "[0.5, 0.8)", "[0.8, 1]"]
    assert [b["n"] for b in bands] == [2, 2, 2]  # a bound belongs to the band above it; 1.0 to the last
    assert [(b["acc@1"], b["acc@3"]) for b in bands] == [(50.0, 50.0), (50.0, 50.0), (50.0, 100.0)]
    assert [b["band"] for b in accuracy_by_confidence([0.5], [1], edges=(0.5,))] == ["[0, 0.5)", "[0.5, 1]"]
    assert all(b["n"] == 0 and b["acc@1"] is None for b in accuracy_by_confidence([], []))


# --- labeled queries -----------------------------------------------------------------------------

def test_load_keeps_unknown_fields_and_both_gold_kinds(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(json.dumps({"id": "q1", "query": "fix cart", "gold_files": ["shop/cart.py"], "meta": {"x": 1}})
                    + "\n\n" + json.dumps({"query": "payments", "gold_modules": ["shop.payment.gateway"]}) + "\n")
    qs = load_labeled(str(path))
    assert [q.line for q in qs] == [1, 3]
    assert qs[0].extra == {"id": "q1", "meta": {"x": 1}} and qs[0].id == "q1"
    known = {"shop/cart.py", "shop/payment/gateway.py", "shop/payment/"}
    assert gold_ids(qs[1], known, known) == ["shop/payment/gateway.py"]
    # a gold path written as a shell completes it is the module it names (QA sweep 7: a miss, silently)
    path.write_text(json.dumps({"query": "fix cart", "gold_files": ["./shop/cart.py"]}) + "\n")
    assert load_labeled(str(path))[0].gold_files == ["shop/cart.py"]


@pytest.mark.parametrize("line, message", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"gold_files": ["a.py"]}', "'query' must be a non-empty string"),
    ('{"query": "x"}', "needs 'gold_files' or 'gold_modules'"),
    ('{"query": "x", "gold_files": [3]}', "'gold_files' must be a list of non-empty strings"),
    ('{"query": "x", "gold_files": ["/abs/a.py"]}', "'gold_files' are paths inside the repository"),
])
def test_malformed_line_names_its_number(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"query": "ok", "gold_files": ["a.py"]}\n' + line + "\n")
    with pytest.raises(DatasetError, match=rf"bad.jsonl:2: .*{message}"):
        load_labeled(str(path))


def test_a_byte_order_mark_is_read_past_and_a_repeated_id_is_refused(tmp_path):
    path = tmp_path / "windows.jsonl"  # as Notepad saves it: was "Expecting value" on line 1
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "q1", "query": "fix cart", "gold_files": ["a.py"]}).encode()
                     + b"\r\n")
    assert [q.id for q in load_labeled(str(path))] == ["q1"]
    path.write_text("".join(json.dumps({"id": i, "query": "x", "gold_files": ["a.py"]}) + "\n" for i in ("q1", "q2", "q1")))
    with pytest.raises(DatasetError, match=r"windows.jsonl:3: id 'q1' is already the id of line 1"):
        load_labeled(str(path))  # --compare matches runs by id: a repeated one was accepted silently


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(DatasetError, match="no such labeled-query file"):
        load_labeled(str(tmp_path / "nope.jsonl"))
    (tmp_path / "empty.jsonl").write_text("\n")
    with pytest.raises(DatasetError, match="holds no labeled queries"):
        load_labeled(str(tmp_path / "empty.jsonl"))


# --- methods -------------------------------------------------------------------------------------

def test_registry_has_the_retrieval_methods_and_rejects_bad_entries():
    assert {"bm25", "dense", "hybrid"} <= set(method_names())
    with pytest.raises(MethodError, match="registered already"):
        register_method(Method("bm25", "again", lambda *a: []))
    with pytest.raises(MethodError, match="plain name"):
        register_method(Method("a,b", "bad", lambda *a: []))
    with pytest.raises(MethodError, match="unknown method 'nope'"):
        get_method("nope")


# --- end to end ----------------------------------------------------------------------------------

@pytest.fixture
def labeled(tmp_path):
    rows = [
        {"query": "add a product to the shopping cart", "gold_files": ["shop/cart.py"]},
        {"query": "charge the customer's card through Stripe", "gold_files": ["shop/payment/gateway.py"]},
        {"query": "look up a product by its stock keeping unit", "gold_files": ["shop/catalog.py"]},
        {"query": "turn the cart into a paid order", "gold_files": ["shop/checkout.py", "shop/cart.py"]},
        {"query": "a file that is gone", "gold_files": ["shop/removed.py"]},
    ]
    path = tmp_path / "shop.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_agrees_with_ask_and_writes_a_report(shop, labeled, tmp_path):
    from eval.runner import evaluate
    from rag.engine import Engine

    engine = Engine.open(str(shop))
    queries = load_labeled(str(labeled))
    report = evaluate(engine, str(labeled), queries, ["bm25", "hybrid"], ["file", "dir"], [1, 3, 5])
    assert report.missing_gold == ["shop/removed.py"]
    hybrid = next(r for r in report.results if r.method == "hybrid" and r.level == "file")
    for q, row in zip(queries, hybrid.queries):  # the numbers are what `rag ask` returns
        asked = engine.ask(q.query, k=5)
        assert row.top == [c.module for c in asked.candidates] and row.confidence == asked.answer.confidence
    assert hybrid.queries[-1].rank is None  # the missing gold file is a miss, not dropped
    assert hybrid.accuracy[1] == 80.0 and hybrid.gold_not_in_candidates == 1
    directory = next(r for r in report.results if r.method == "hybrid" and r.level == "dir")
    assert directory.queries[1].gold == ["shop/payment/"]
    bands = {b["band"]: b for b in hybrid.by_confidence}
    assert sum(b["n"] for b in bands.values()) == 5
    for band, (low, high) in {"[0, 0.5)": (0, 0.5), "[0.5, 0.8)": (0.5, 0.8), "[0.8, 1]": (0.8, 2)}.items():
        inside = [row for row in hybrid.queries if low <= row.confidence < high]
        assert bands[band]["n"] == len(inside)
        if inside:
            assert bands[band]["acc@1"] == round(100 * sum(row.rank == 1 for row in inside) / len(inside), 1)

    out = tmp_path / "report"
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25,hybrid", "-k", "1,5", "--report", out, "--json")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert [(x["method"], x["level"]) for x in data["results"]] == [("bm25", "file"), ("hybrid", "file")]
    assert data["missing_gold"] == ["shop/removed.py"] and "1 gold modules are not in the index" in r.stderr
    assert (out / "acc_at_k.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (out / "report.md").read_text()
    assert "| hybrid | file |" in markdown and "by its confidence" in markdown
    assert sum(b["n"] for b in data["results"][1]["by_confidence"]) == data["n"] == 5
    lines = [json.loads(x) for x in (out / "queries.jsonl").read_text().splitlines()]
    assert len(lines) == 10 and set(lines[0]) >= {"method", "level", "query", "gold", "rank", "top", "ms", "confidence"}
    # hybrid against bm25, the first method named, counted from the very rows the report wrote
    [paired] = data["paired"]
    ranks = {m: [x["rank"] for x in lines if x["method"] == m] for m in ("bm25", "hybrid")}
    assert (paired["baseline"], paired["method"], paired["n"]) == ("bm25", "hybrid", 5)
    assert paired["wins"] == sum(h == 1 and b != 1 for b, h in zip(ranks["bm25"], ranks["hybrid"]))
    assert paired["losses"] == sum(b == 1 and h != 1 for b, h in zip(ranks["bm25"], ranks["hybrid"]))
    assert "Acc@1 against bm25" in markdown
    assert not [f for f in os.listdir(out) if f.endswith(".tmp")]  # each file written whole, then renamed
    # a report that cannot be written is one line before any work, not an internal error after it (QA sweep 5)
    clash = tmp_path / "clash"
    (clash / "queries.jsonl").mkdir(parents=True)
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25", "--report", clash)
    assert r.returncode == 2 and "queries.jsonl there is a directory" in r.stderr and r.stderr.count("\n") == 1
    assert os.listdir(clash) == ["queries.jsonl"]
    text = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25,hybrid")
    assert "Acc@1 against bm25" in text.stdout and "hybrid (file)" in text.stdout.split("against bm25")[1]
    alone = run_rag("eval", labeled, "--repo", shop, "--methods", "hybrid", "--json")
    assert json.loads(alone.stdout)["paired"] == []  # one method: nothing to compare it with


# --- paired comparisons --------------------------------------------------------------------------

def test_paired_comparison_counts_only_the_questions_that_differ():
    from eval.paired import compare_ranks

    same = compare_ranks([1, 2, None, 1], [1, 2, None, 1])
    assert (same.wins, same.losses, same.p_value, same.acc1_interval, same.mrr_interval) == (0, 0, 1.0, (0.0, 0.0), (0.0, 0.0))
    # 9 wins and 1 loss among 100 questions: exact binomial, 2 * P(X <= 1 | 10, 1/2) = 22/1024
    better = compare_ranks([1] * 90 + [None] * 9 + [1], [1] * 90 + [1] * 9 + [3])
    assert (better.wins, better.losses, better.acc1_delta) == (9, 1, 8.0)
    assert better.p_value == pytest.approx(22 / 1024) and better.significant
    assert 0 < better.acc1_interval[0] < 8.0 < better.acc1_interval[1]
    assert better.mrr_delta == pytest.approx((9 - 1 + 1 / 3) / 100, abs=1e-4)
    # a better rank below the first moves MRR, not Acc@1 nor the test
    deeper = compare_ranks([3, 1], [2, 1])
    assert (deeper.wins, deeper.losses, deeper.p_value) == (0, 0, 1.0) and deeper.mrr_delta > 0
    with pytest.raises(ValueError, match="same questions"):
        compare_ranks([1, 2], [1])
    # a large labeled set is resampled in chunks: the same answer, bounded memory
    many = compare_ranks([1] * 15000 + [None] * 15000, [None] * 15000 + [1] * 15000, resamples=500)
    assert (many.wins, many.losses, many.acc1_delta, many.p_value) == (15000, 15000, 0.0, 1.0)
    assert -1.5 < many.acc1_interval[0] < 0 < many.acc1_interval[1] < 1.5


def _run_file(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def test_eval_compare_two_runs(tmp_path):
    def rows(ranks):
        return [{"method": "hybrid", "level": "file", "id": f"q{i}", "rank": r} for i, r in enumerate(ranks)]

    before = _run_file(tmp_path / "before.jsonl", rows([1, None, 2, 1, 4]))
    (tmp_path / "after").mkdir()  # a report directory works as well as its queries.jsonl
    _run_file(tmp_path / "after" / "queries.jsonl", rows([1, 1, 1, None, 4, 1])
              + [{"method": "bm25", "level": "file", "id": "q0", "rank": 1}])
    r = run_rag("eval", "--compare", before, tmp_path / "after", "--json")
    assert r.returncode == 0, r.stderr
    [c] = json.loads(r.stdout)  # bm25 is in one run only: not compared, and said so
    assert "bm25 (file) only in" in r.stderr and "not compared" in r.stderr
    assert (c["method"], c["level"], c["only_before"], c["only_after"]) == ("hybrid", "file", 0, 1)
    assert (c["paired"]["n"], c["paired"]["wins"], c["paired"]["losses"]) == (5, 2, 1)
    assert (c["paired"]["baseline_acc1"], c["paired"]["candidate_acc1"]) == (40.0, 60.0)
    text = run_rag("eval", "--compare", before, tmp_path / "after").stdout
    assert "40.0 → 60.0: +20.0 points" in text and "2 better / 1 worse" in text and "1 after" in text


def test_a_report_directory_holding_an_earlier_run_says_it_is_replaced(shop, labeled, tmp_path):
    first = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25", "--report", tmp_path / "rep")
    assert first.returncode == 0 and "earlier run" not in first.stderr, first.stderr
    again = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25", "--report", tmp_path / "rep")
    assert again.returncode == 0 and "holds an earlier run's report: this run replaces it" in again.stderr, again.stderr


def test_a_report_that_cannot_be_written_is_refused_before_the_work(shop, labeled):
    """QA sweep 7: `--report /proc/x` (root may write nowhere there, though os.access says yes) failed
    only after the whole evaluation had run."""
    r = run_rag("eval", labeled, "--repo", shop, "--report", "/proc/rag-report")
    assert r.returncode == 2 and "cannot write in /proc" in r.stderr and "eval:" not in r.stderr, r.stderr


def test_eval_compare_leaves_out_questions_whose_gold_changed(tmp_path):
    """QA sweep 6: a question relabeled between two runs (cart.py, then catalog.py) counted as a loss."""
    def rows(golds):
        return [{"method": "hybrid", "level": "file", "id": f"q{i}", "gold": [g], "rank": 1 if g == "cart.py" else None}
                for i, g in enumerate(golds)]

    before = _run_file(tmp_path / "before.jsonl", rows(["cart.py", "cart.py", "cart.py"]))
    after = _run_file(tmp_path / "after.jsonl", rows(["cart.py", "catalog.py", "cart.py"]))
    r = run_rag("eval", "--compare", before, after, "--json")
    [c] = json.loads(r.stdout)
    assert (c["paired"]["n"], c["paired"]["losses"], c["gold_changed"]) == (2, 0, 1), c
    assert "gold changed between the runs: 1" in run_rag("eval", "--compare", before, after).stdout
    relabeled = _run_file(tmp_path / "relabeled.jsonl", rows(["catalog.py"] * 3))  # QA sweep 7: said "share no question"
    r = run_rag("eval", "--compare", before, relabeled)
    assert r.returncode != 0 and "every question the two runs share (3) has other gold files" in r.stderr, r.stderr


def test_eval_compare_matches_questions_by_id_or_text_never_by_line(tmp_path):
    """Found by a user's probe: the same questions in reverse order (rows without an id) were paired by
    line, and two different labeled files were compared as if they were one."""
    questions = [("where is the cart total", 1), ("refund a payment", None), ("list the catalog", 2)]

    def rows(pairs, ids=False):
        return [{"method": "hybrid", "level": "file", "line": i + 1, "query": q, "rank": r,
                 **({"id": f"q{i}"} if ids else {})} for i, (q, r) in enumerate(pairs)]

    forward = _run_file(tmp_path / "forward.jsonl", rows(questions))
    backward = _run_file(tmp_path / "backward.jsonl", rows(questions[::-1]))
    r = run_rag("eval", "--compare", forward, backward, "--json")
    assert r.returncode == 0, r.stderr
    [c] = json.loads(r.stdout)
    assert (c["paired"]["n"], c["paired"]["wins"], c["paired"]["losses"]) == (3, 0, 0)
    other = _run_file(tmp_path / "other.jsonl", rows([("a different question", 1)] * 3, ids=True))
    r = run_rag("eval", "--compare", _run_file(tmp_path / "ids.jsonl", rows(questions, ids=True)), other)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "cannot be compared" in r.stderr, r.stderr


def test_eval_compare_tells_reports_that_open_alike_apart(shop, tmp_path):
    """Rows without an id were paired by their first line cut to 120 characters: four reports opening
    with "### Bug report" were one question (QA sweep 5)."""
    bodies = [("the cart forgets a product I added", "shop/cart.py"),
              ("the card is charged twice at checkout", "shop/checkout.py"),
              ("the catalog lists products out of stock", "shop/catalog.py")]
    labeled = tmp_path / "reports.jsonl"
    labeled.write_text("".join(json.dumps({"query": f"### Bug report\n\n{b}", "gold_files": [g]}) + "\n"
                               for b, g in bodies))
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25", "--report", tmp_path / "run", timeout=300)
    assert r.returncode == 0, r.stderr
    r = run_rag("eval", "--compare", tmp_path / "run", tmp_path / "run", "--json")
    assert r.returncode == 0, r.stderr
    assert [c["paired"]["n"] for c in json.loads(r.stdout)] == [3]
    # "id": null is no id: two such rows are two questions, not "id 'None'" twice (QA sweep 5)
    nulls = tmp_path / "nulls.jsonl"
    nulls.write_text("".join(json.dumps({"query": q, "gold_files": [g], "id": None}) + "\n"
                             for q, g in (("the cart forgets", "shop/cart.py"), ("the card is charged", "shop/checkout.py"))))
    r = run_rag("eval", nulls, "--repo", shop, "--methods", "bm25", timeout=120)
    assert r.returncode == 0 and "2 queries" in r.stdout, r.stderr
    twice = _run_file(tmp_path / "twice.jsonl", [{"method": "bm25", "level": "file", "query": "same", "rank": 1}] * 2)
    r = run_rag("eval", "--compare", twice, twice)
    assert r.returncode == 2 and "is asked twice" in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_eval_compare_bad_input_is_one_line(tmp_path):
    good = _run_file(tmp_path / "good.jsonl", [{"method": "bm25", "level": "file", "id": "a", "rank": 1}])
    other = _run_file(tmp_path / "other.jsonl", [{"method": "dense", "level": "file", "id": "a", "rank": 1}])
    for run, fragment in ((tmp_path / "missing", "no such run"),
                          (_run_file(tmp_path / "text.jsonl", ["not json"]), "not a row of a rag eval run"),
                          (_run_file(tmp_path / "rank.jsonl", [{"id": "a", "rank": 0}]), "rank must be"),
                          (_run_file(tmp_path / "empty.jsonl", []), "holds no answers"),
                          (other, "share no method")):
        r = run_rag("eval", "--compare", good, run)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr
    r = run_rag("eval", good, "--compare", good, good)
    assert r.returncode == 2 and "give it no labeled-query file" in r.stderr and r.stderr.count("\n") == 1
    # a flag of another mode was ignored without a word (QA sweep 5)
    for args, said in ((["--compare", good, good, "--methods", "bm25"], "--methods goes with an evaluation"),
                       (["--from-git", "--report", tmp_path / "r"], "--report goes with an evaluation"),
                       ([good, "--out", tmp_path / "o.jsonl"], "--out goes with --from-git"),
                       (["--compare", good, good, "--repo", tmp_path / "nowhere"], "--repo goes with an evaluation")):
        r = run_rag("eval", *args)
        assert r.returncode == 2 and said in r.stderr and r.stderr.count("\n") == 1, r.stderr


def test_folder_level_gold_keeps_named_modules_and_says_what_no_folder_holds(shop, tmp_path):
    """At --level dir a named module's gold (rag.toml's `billing`) became "./" and a file at the top level
    too: each scored a miss without a word (QA sweep 5)."""
    (shop / "main.py").write_text('"""Command line entry point: start the web shop."""\ndef main():\n    pass\n')
    labeled = tmp_path / "folders.jsonl"
    labeled.write_text(json.dumps({"query": "take the customer's money", "gold_modules": ["billing"]}) + "\n"
                       + json.dumps({"query": "start the web shop", "gold_files": ["main.py"]}) + "\n")
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "hybrid", "--level", "dir", "--json", timeout=120)
    assert r.returncode == 0, r.stderr
    assert "1 gold files are at the repository's top level, which no folder holds (main.py)" in r.stderr
    data = json.loads(r.stdout)
    assert data["top_level_gold"] == ["main.py"] and data["results"][0]["acc@10"] == 50.0  # billing is found
    # at the file level the named module can only be a miss: said, not scored silently (QA sweep 6)
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25", "--json", timeout=120)
    assert "1 gold modules are folders or named modules (billing), which a file ranking never gives" in r.stderr
    assert json.loads(r.stdout)["folder_gold"] == ["billing"]


def test_eval_of_a_stale_index_says_so(shop, labeled):
    """`rag ask` warned of a stale index and `rag eval` measured it without a word (QA sweep 5)."""
    assert run_rag("index", shop, "-q").returncode == 0
    with open(shop / "shop" / "cart.py", "a") as fh:
        fh.write("\n# edited\n")
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "bm25")
    assert r.returncode == 0 and "the index is stale (1 file changed); evaluating it as it is" in r.stderr, r.stderr


def test_eval_of_llm_without_a_tuned_adapter_says_it_is_the_base_model(shop, labeled, tmp_path):
    r = run_rag("eval", labeled, "--repo", shop, "--methods", "hybrid,llm", "-k", "1", "--level", "both", "--json",
                "--report", tmp_path / "rep", timeout=300)
    assert r.returncode == 0, r.stderr
    assert "no tuned adapter for the model: `llm` is the base model, as `llm-base`" in r.stderr  # was silent
    # the LLM ranks files only: at --level both it is left out of the folder level, with a note (QA sweep 6:
    # "--llm answers at file level only" after the work, exit 2)
    assert "llm rank(s) files only: left out of the folder level" in r.stderr, r.stderr
    ran = [(row["method"], row["level"]) for row in json.loads(r.stdout)["results"]]
    assert ran == [("hybrid", "file"), ("hybrid", "dir"), ("llm", "file")], ran
    assert json.loads(r.stdout)["left_out"] == ["llm (dir)"]  # QA sweep 7: said on stderr only, not in the report
    assert "Not asked, since the method does not rank at that level" in (tmp_path / "rep" / "report.md").read_text()


def test_eval_bad_input_is_one_line(shop, labeled):
    for args, fragment in ((["--methods", "bm25,nope"], "--methods: unknown method 'nope'"),
                           (["--methods", ","], "--methods: name at least one method"),
                           (["-k", "0"], "-k: every cut-off must be 1 or more"),
                           (["-k", "a,b"], "argument -k: takes whole numbers separated by ','"),
                           (["--level", "module"], "invalid choice: 'module'"),
                           (["--methods", "hybrid,llm", "--level", "dir"], "llm rank(s) files only: --level file")):
        r = run_rag("eval", labeled, "--repo", shop, *args)
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and fragment in r.stderr, r.stderr
    assert "--methods, --level" not in r.stderr  # QA sweep 7: a rule between flags blamed every flag given


def test_a_labeled_file_with_from_git_is_refused(tmp_path):
    """`rag eval FILE --from-git` mined the history and left FILE unread, exit 0 (README audit, sweep 11)."""
    labeled = tmp_path / "mine.jsonl"
    labeled.write_text('{"id": "q1", "query": "cart total", "gold": ["shop/cart.py"]}\n')
    r = run_rag("eval", labeled, "--from-git", "--repo", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "--from-git mines labeled queries from the history: give it no labeled-query file" in r.stderr
    r = run_rag("eval", "--from-git", "", "--repo", tmp_path)  # '' was taken for no file (sweep 13)
    assert r.returncode == 2 and "give it no labeled-query file ('')" in r.stderr, r.stderr
