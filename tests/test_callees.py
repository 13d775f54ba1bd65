"""From the code a report names to the code it hands the work on to: the call graph as a signal."""
import numpy as np
import pytest

from rag.engine import Engine
from rag.settings import RetrievalSettings


@pytest.fixture
def repo(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "api.py").write_text('"""The public entry points."""\nfrom pkg.kernel import reduce_terms\n\n\n'
                                'def simplify(expr):\n    """Simplify an expression."""\n    return reduce_terms(expr)\n')
    (pkg / "kernel.py").write_text('"""Term rewriting."""\n\n\ndef reduce_terms(expr):\n    return expr\n')
    (pkg / "other.py").write_text('"""Unrelated."""\n\n\ndef helper():\n    return 1\n')
    return tmp_path


def test_the_files_a_named_function_calls_get_the_callee_signal(repo):
    engine = Engine.open(str(repo), settings=RetrievalSettings(w_callee=1.0))
    r = engine.retriever
    signals = r.signals(r.parse("simplify() returns a wrong result for sums"))
    callee = dict(zip(r.files, signals["callee"]))
    assert callee["pkg/kernel.py"] == 1.0
    assert callee["pkg/api.py"] == 0.0 and callee["pkg/other.py"] == 0.0  # its own file is the named signal's


def test_no_named_code_no_callee_signal(repo):
    engine = Engine.open(str(repo), settings=RetrievalSettings(w_callee=1.0))
    r = engine.retriever
    assert not np.any(r.signals(r.parse("results are wrong for sums"))["callee"])


def test_centrality_counts_the_files_calling_into_a_file(repo):
    engine = Engine.open(str(repo), settings=RetrievalSettings(w_central=1.0))
    r = engine.retriever
    central = dict(zip(r.files, r.signals(r.parse("anything"))["central"]))
    assert central["pkg/kernel.py"] == pytest.approx(np.log(2))  # api.py calls it
    assert central["pkg/api.py"] == 0.0 and central["pkg/other.py"] == 0.0
