"""What a file is for, and that only source files are answers."""
import pytest

from graph.roles import BENCH, DOC, EXAMPLE, GENERATED, SOURCE, TEST, VENDORED, file_role
from rag.engine import Engine


@pytest.mark.parametrize("path, role", [
    ("pkg/core.py", SOURCE),
    ("pkg/static/app.js", SOURCE),
    ("pkg/static/jquery.js", SOURCE),  # no release in its name: could be the project's own
    ("pkg/version_1.2.py", SOURCE),  # a version in a Python module's name is not a bundled release
    ("pkg/externals.py", SOURCE),
    ("sphinx/themes/basic/static/jquery-3.5.1.js", VENDORED),
    ("sphinx/themes/basic/static/underscore-1.13.1.js", VENDORED),
    ("web/bootstrap-4.6.0.min.css", VENDORED),
    ("web/app.min.js", VENDORED),
    ("cextern/wcslib/C/wcs.h", VENDORED),
    ("astropy/extern/ply/lex.py", VENDORED),
    ("pip/_vendor/requests/api.py", VENDORED),
    ("sklearn/externals/_packaging/version.py", VENDORED),
    ("third_party/zlib/inflate.c", VENDORED),
    ("tests/vendor/fake.py", TEST),  # a test fixture is a test first
    ("docs/conf.py", DOC),
    ("benchmarks/bench_core.py", BENCH),
    # sweep 12: gson's metrics/ParseBenchmark.java answered performance questions; ujson's deps/ copy of
    # double-conversion was its top answer twice
    ("metrics/src/main/java/com/google/gson/metrics/ParseBenchmark.java", BENCH),
    ("src/Perf/SerializerBenchmarks.cs", BENCH),
    ("pkg/benchmark.py", SOURCE),  # a module of that name may be the product (pytest-benchmark)
    ("deps/double-conversion/double-conversion/strtod.cc", VENDORED),
    ("app/deps/auth.py", SOURCE),  # FastAPI's dependencies, the app's own (sweep 13)
    ("pkg/PyBenchmark.py", SOURCE),
    # a header-only library's generated single header (nlohmann/json, Catch2): a copy of include/
    ("single_include/nlohmann/json.hpp", GENERATED),
    ("single_include/catch2/catch.hpp", GENERATED),
    ("include/nlohmann/detail/output/serializer.hpp", SOURCE),
    ("tests/single_include/check.cpp", TEST),
    # a .NET solution's projects are named after their assemblies: Newtonsoft.Json's 343 test classes
    # were answers until `Src/Newtonsoft.Json.Tests/` was read as a test folder
    ("Src/Newtonsoft.Json.Tests/Serialization/JsonSerializerTest.cs", TEST),
    ("src/Polly.Specs/Retry/RetrySpecs.cs", TEST),
    ("test/App.IntegrationTests/Api.cs", TEST),
    ("Src/Newtonsoft.Json.Benchmarks/Runner.cs", BENCH),
    ("Json.Samples/Program.cs", EXAMPLE),
    ("Src/Newtonsoft.Json/Serialization/JsonSerializerInternalReader.cs", SOURCE),
    ("Src/Newtonsoft.Json.TestConsole/Program.cs", SOURCE),  # not a test project by its name
    # busted's and RSpec's specs beside the code; a Python module named so may be the product's
    ("lua/telescope/finders_spec.lua", TEST),
    ("lib/rack/utils_spec.rb", TEST),
    ("pkg/openapi_spec.py", SOURCE),
    ("test/dio_test.dart", TEST),
    ("lib/plug/conn_test.exs", TEST),
    # vue-element-admin: `src/views/example/` and `src/views/documentation/` are routed pages, `mock/` its
    # development mock server (its utils.js answered above the real src/utils/index.js)
    ("src/views/example/components/ArticleDetail.vue", SOURCE),
    ("src/views/documentation/index.vue", SOURCE),
    ("mock/utils.js", TEST),
    ("src/__mocks__/api.js", TEST),
    ("examples/views/app.py", EXAMPLE),
    # dio's example apps beside its packages (sweep 15: example_dart/lib/formdata.dart answered above the
    # library's form_data.dart); a page of an app named so stays the app's
    ("example_dart/lib/formdata.dart", EXAMPLE),
    ("example_flutter_app/lib/main.dart", EXAMPLE),
    ("plugins/native_dio_adapter/dio_flutter_example/lib/main.dart", EXAMPLE),
    ("src/views/components-demo/index.vue", SOURCE),
    ("pkg/example_parser.py", SOURCE),  # a file's name is not a folder's
])
def test_file_role(path, role):
    assert file_role(path) == role


def test_vendored_code_is_no_answer(tmp_path):
    """A bundled library matches a long question on sheer term mass; it is indexed but never an answer."""
    pkg = tmp_path / "pkg"
    (pkg / "static").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "widgets.py").write_text('"""Widgets."""\n\n\ndef render_widget(node):\n    return node\n')
    bundled = "\n".join(f"function selector{i}(element, event) {{ return element.event.handler; }}" for i in range(200))
    (pkg / "static" / "jquery-3.5.1.js").write_text(bundled)
    (pkg / "static" / "site.js").write_text("function selector(element, event) { return element; }\n")
    engine = Engine.open(str(tmp_path))
    answers = [c.module for c in engine.ask("selector element event handler breaks render_widget", k=10).candidates]
    assert "pkg/static/jquery-3.5.1.js" not in answers
    assert "pkg/static/site.js" in answers and "pkg/widgets.py" in answers
    assert engine.retriever.modules["pkg/static/jquery-3.5.1.js"].role == VENDORED


def test_an_index_of_an_older_rag_is_stale_and_rebuilt(tmp_path, monkeypatch):
    """Roles are decided at index time: after an upgrade that changes them, the old index must not be
    used as it is (its candidates would still include the vendored file)."""
    import graph.indexer as indexer
    from rag.retrieval.index_files import RetrievalExtension

    def stale() -> bool:
        return indexer.check(str(tmp_path), extensions=[RetrievalExtension()]).stale

    (tmp_path / "app.py").write_text('"""The app."""\n\n\ndef run():\n    return 1\n')
    Engine.open(str(tmp_path))
    assert not stale()  # the same rag: up to date
    monkeypatch.setattr(indexer, "TOOL_VERSION", "0.0.1")
    Engine.open(str(tmp_path), refresh=True)  # an older rag writes its index
    monkeypatch.undo()
    assert stale()
    Engine.open(str(tmp_path), refresh=True)
    assert not stale()
