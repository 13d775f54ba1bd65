"""The examples in the public API's docstrings run, and say what the code does."""
import doctest

import pytest

import eval.dataset
import eval.metrics
import eval.paired
import eval.runner
import eval.settings
import finetune.examples
import finetune.held_out
import finetune.pipeline
import finetune.train
import graph.build
import graph.conditional
import graph.dart_null_calls
import graph.generated
import graph.headers
import graph.history
import graph.java_varargs
import graph.kotlin_constructors
import graph.neighbours
import graph.package_manifests
import graph.parse
import graph.parse_text
import graph.text
import graph.typescript_newer_syntax
import rag.cli.common
import rag.engine
import rag.llm.listing
import rag.progress
import rag.ranking_metrics
import rag.reproduce.examples
import rag.reproduce.run
import rag.retrieval.confidence
import rag.results
import rag.serve.mcp_server
import rag.serve.watch
import graph.settings_model
import graph.walk


@pytest.mark.parametrize("module", [
    eval.dataset, eval.metrics, eval.paired, eval.runner, eval.settings, finetune.examples, finetune.held_out, finetune.pipeline, finetune.train,
    graph.build, graph.conditional, graph.dart_null_calls, graph.generated, graph.headers, graph.history, graph.java_varargs, graph.kotlin_constructors, graph.neighbours, graph.package_manifests, graph.parse, graph.parse_text, graph.text, graph.typescript_newer_syntax, rag.llm.listing, rag.progress, rag.ranking_metrics, rag.reproduce.examples, rag.reproduce.run,
    rag.retrieval.confidence, rag.results, rag.cli.common, rag.engine, graph.settings_model, graph.walk, rag.serve.mcp_server,
    rag.serve.watch
])
def test_docstring_examples(module):
    failed, attempted = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0, f"{module.__name__} has no examples"
    assert failed == 0
