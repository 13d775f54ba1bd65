"""A long question (a pasted issue report) is scored against whole files with a stronger length
normalisation: a hub file that mentions a report's many words somewhere loses its edge of size."""

import numpy as np
import pytest

from rag.engine import Engine
from rag.settings import RetrievalSettings

REPORT = ("Proxy credentials dropped when the request is redirected to another host\n\n"
          "When I configure a proxy with credentials and the server redirects the request to another host, "
          "the proxy credentials are dropped and the proxy answers 407. Expected: the credentials are kept.")


@pytest.fixture
def hub_and_focus(tmp_path):
    """`shop/everything.py`, 130 functions that use the report's words now and then; `shop/proxy.py`, a
    few lines about exactly what the report is about."""
    (tmp_path / "shop").mkdir()
    hub = ['"""Everything the shop does, in one module."""']
    hub += [f'def step_{i}(order):\n    """Ledger entry {i}: invoice, discount, shipping and tax."""\n    return order.total * {i}\n'
            for i in range(120)]
    hub += [f"def {w}_note():\n    return '{w} {w} {w} {w}'\n" for w in ("proxy", "credentials", "redirected", "host", "request")]
    (tmp_path / "shop" / "everything.py").write_text("\n".join(hub))
    (tmp_path / "shop" / "proxy.py").write_text(
        '"""Proxy settings for outgoing requests."""\n\n\ndef proxy_credentials(request):\n'
        '    """The credentials of the proxy for a request to a host."""\n    return request.proxy\n')
    (tmp_path / "shop" / "cart.py").write_text('"""The cart."""\n\n\ndef add(item):\n    return item\n')
    return tmp_path


def test_a_long_question_is_scored_with_the_long_questions_bm25(hub_and_focus):
    retriever = Engine.open(str(hub_and_focus)).retriever
    long, short = retriever.parse(REPORT), retriever.parse("proxy credentials dropped on redirect")
    assert len(long.tokens) >= RetrievalSettings().long_question_tokens > len(short.tokens)
    assert retriever.file_bm25(long) is retriever.sparse_files_long
    assert retriever.file_bm25(short) is retriever.sparse_files
    assert np.array_equal(retriever.signals(long, "bm25")["bm25"], retriever.sparse_files_long.scores(long.tokens))
    assert np.array_equal(retriever.signals(short, "bm25")["bm25"], retriever.sparse_files.scores(short.tokens))

    hub, focus = retriever.files.index("shop/everything.py"), retriever.files.index("shop/proxy.py")
    as_short = retriever.sparse_files.scores(long.tokens)
    as_long = retriever.sparse_files_long.scores(long.tokens)
    assert as_short[hub] > as_short[focus]  # the short questions' BM25 would have put the hub first
    assert as_long[focus] > as_long[hub]


def test_bm25_parameters_apply_when_scoring_without_a_new_index(hub_and_focus):
    """The index keeps term counts: both parameter sets read the same ones, and other parameters in
    rag.toml take effect at the next question, with no rebuild."""
    shipped = Engine.open(str(hub_and_focus))
    snapshot = shipped.store.manifest().snapshot
    retriever = shipped.retriever
    assert retriever.sparse_files.counts is retriever.sparse_files_long.counts
    assert not (hub_and_focus / ".rag" / snapshot / "retrieval" / "sparse-files-long").exists()
    other = Engine.open(str(hub_and_focus), settings=RetrievalSettings(bm25_long_k1=1.6, bm25_long_b=0.3))
    assert other.store.manifest().snapshot == snapshot
    assert (other.retriever.sparse_files_long.k1, other.retriever.sparse_files_long.b) == (1.6, 0.3)
    long = retriever.parse(REPORT)
    assert not np.array_equal(other.retriever.signals(long, "bm25")["bm25"], retriever.signals(long, "bm25")["bm25"])
    assert "bm25_long_b" not in other.store.manifest().settings["extensions"]["retrieval"]


def test_how_long_a_long_question_is_can_be_set(hub_and_focus):
    retriever = Engine.open(str(hub_and_focus), settings=RetrievalSettings(long_question_tokens=2)).retriever
    assert retriever.file_bm25(retriever.parse("proxy credentials dropped on redirect")) is retriever.sparse_files_long


@pytest.mark.parametrize("bad", [dict(bm25_long_b=1.5), dict(bm25_b=-0.1), dict(bm25_long_k1=0), dict(long_question_tokens=0)])
def test_bm25_parameters_out_of_range_are_refused(bad):
    with pytest.raises(ValueError):
        RetrievalSettings(**bad)
