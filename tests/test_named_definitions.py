"""A code name the query uses points at the file that defines it, not only at the files that use it."""
import numpy as np
import pytest

from rag.engine import Engine
from rag.retrieval.question import code_identifiers
from rag.settings import RetrievalSettings

MAX_DEFINERS = RetrievalSettings().max_definers
from rag.settings import RetrievalSettings

USER = '''"""{what}: formats output with the repr highlighter and flags."""
from lib.highlighter import ReprHighlighter


def {name}(value, flag=None):
    """Show a value; support for flags and bits goes through ReprHighlighter."""
    highlighter = ReprHighlighter()
    if flag:
        return ReprHighlighter()(repr(flag))
    return highlighter(repr(value))
'''


@pytest.fixture
def repo(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "__init__.py").write_text("")
    (lib / "highlighter.py").write_text('"""Highlighting."""\n\n\nclass ReprHighlighter:\n'
                                        '    """Highlights the parts of a repr string."""\n\n'
                                        '    def __call__(self, text):\n        return text\n')
    for module, what in (("console", "Console output"), ("logging", "Log records"), ("progress", "Progress bars")):
        (lib / f"{module}.py").write_text(USER.format(what=what, name=f"show_{module}"))
    for i in range(MAX_DEFINERS + 1):  # a helper every one of these files defines
        (lib / f"util{i}.py").write_text(f'"""Utilities {i}."""\n\n\ndef shared_helper(x):\n    return x + {i}\n')
    return tmp_path


QUERY = "Add support for enum.Flag in ReprHighlighter"


def test_the_file_defining_a_named_class_comes_first(repo):
    top = Engine.open(str(repo)).ask(QUERY).candidates[0]
    assert top.module == "lib/highlighter.py"
    assert "defines ReprHighlighter, named in the query" in top.why


def test_a_name_written_twice_is_said_once(repo):
    """`mux.ServeHTTP` and `ServeHTTP` in one question gave "defines ServeHTTP, ServeHTTP" (sweep 12)."""
    top = Engine.open(str(repo)).ask("highlighter.ReprHighlighter breaks: ReprHighlighter drops flags").candidates[0]
    assert "defines ReprHighlighter, named in the query" in top.why


def test_without_the_signal_the_files_using_the_name_win(repo):
    # the fixture is hard enough that the signal, not word overlap, puts the definition first
    eng = Engine.open(str(repo), settings=RetrievalSettings(w_named_definition=0.0))
    top = eng.ask(QUERY).candidates[0]
    assert top.module != "lib/highlighter.py"
    assert not any(w.startswith("defines") for w in top.why)


def test_single_signal_methods_are_left_alone(repo):
    eng = Engine.open(str(repo))
    for method in ("bm25", "dense"):
        assert not any(w.startswith("defines") for c in eng.ask(QUERY, method=method).candidates for w in c.why)


def test_a_name_many_files_define_is_no_evidence(repo):
    r = Engine.open(str(repo)).retriever
    assert len(r.definers("shared_helper")) == MAX_DEFINERS + 1
    assert r.named_definitions(r.parse("shared_helper returns the wrong value").identifiers) == {}
    named = r.named_definitions(r.parse("ReprHighlighter.__call__ and enum.Flag").identifiers)
    assert {r.files[f]: names for f, names in named.items()} == {"lib/highlighter.py": ["ReprHighlighter.__call__"]}


def test_code_identifiers_are_names_only_code_uses():
    text = "Fix print_json and Text.from_ansi in ReprHighlighter; the console is slow, __init__"
    assert code_identifiers(text) == ["print_json", "Text.from_ansi", "ReprHighlighter"]


def test_a_rust_macros_invocation_is_a_name():
    text = "json!({\"a\": 1,}) is accepted, and vec![1, 2] too. This is wrong! [again] (really)"
    assert code_identifiers(text) == ["json", "vec"]


def test_a_capitalised_word_inside_a_sentence_is_a_name():
    text = "Theme used for Traceback should not inherit defaults. Console and `Pretty`\n* Parse (Column) Rows"
    assert code_identifiers(text) == ["Traceback", "Pretty", "Column", "Rows"]


def test_a_top_level_definition_outranks_methods_of_the_same_name(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "symbol.py").write_text('"""Symbols."""\n\n\nclass Symbol:\n    """A named variable."""\n')
    for name in ("calculus", "common"):  # handlers with a method per expression type, as sympy's have
        (pkg / f"{name}.py").write_text(f'"""{name} handlers."""\n\n\nclass Ask{name.title()}Handler:\n'
                                        "    def Symbol(expr):\n        return True\n")
    r = Engine.open(str(tmp_path)).retriever
    assert [r.files[f] for f in r.definers("Symbol")] == ["pkg/symbol.py"]
    assert len(r.definers("AskCalculusHandler.Symbol")) == 1


def test_names_only_a_code_block_uses_are_a_signal_of_their_own(repo):
    r = Engine.open(str(repo), settings=RetrievalSettings(w_named_in_code=1.0)).retriever
    q = r.parse("Flags are highlighted wrongly\n```python\nfrom lib import ReprHighlighter\n"
                "ReprHighlighter()(repr(flag))\n```")
    assert q.prose_identifiers == [] and "ReprHighlighter" in q.identifiers
    signals = r.signals(q)
    assert not signals["named"].any()
    assert {r.files[f] for f in np.nonzero(signals["named_in_code"])[0]} == {"lib/highlighter.py"}
