"""What a file is for, and that only source files are answers."""
import pytest

from graph.roles import BENCH, DOC, EXAMPLE, GENERATED, MIGRATION, SOURCE, TEST, VENDORED, file_role
from graph.history import HISTORY_FILE
from graph.store import IndexStore
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
    # sweep 16, TanStack Query: a codemod's test inputs and outputs, the test runner's setup and a package of
    # test helpers ranked 2nd to 5th for questions about the library
    ("packages/query-codemods/src/v5/keep-previous-data/__testfixtures__/default.input.tsx", TEST),
    ("packages/react-query/test-setup.ts", TEST),
    ("src/setupTests.js", TEST),
    ("packages/solid-query/vitest.setup.mts", TEST),
    ("packages/query-test-utils/src/queryKey.ts", TEST),
    ("pylint/testutils/checker_test_case.py", TEST),
    ("src/setup.ts", SOURCE),
    ("src/utils/test.ts", SOURCE),
    ("pkg/contest_utils.py", SOURCE),
    # a Go folder is a package whatever its name: cobra's `doc/` generates man pages and Markdown, gotify's
    # `docs/` serves the swagger UI (its question had no answer in the top 10); a docs folder's site stays docs
    ("doc/man_docs.go", SOURCE),
    ("docs/ui.go", SOURCE),
    ("docs/_ext/linkcode.py", DOC),
    ("doc/man_docs_test.go", TEST),
    # sweep 17: database migrations, numbered steps of the schema's history (a migration was the first answer
    # to 28 of 353 questions mined from healthchecks' commits); the code that runs migrations stays source
    ("hc/api/migrations/0120_fix_ping_kind.py", MIGRATION),
    ("db/migrate/20240201183314_enable_uuid.rb", MIGRATION),
    ("db/old_migrations/20241010165823_create_active_storage_tables.active_storage.rb", MIGRATION),
    ("migrations/versions/4e4d89ad9b3a_add_discount.py", MIGRATION),  # Alembic's revision ids
    ("CTFd/plugins/dynamic_challenges/migrations/93284ed9c099_add_dynamic_prefix.py", MIGRATION),
    ("database/migrations/2014_10_12_000000_create_users_table.php", MIGRATION),
    ("src/migrations/1592332811238-Init.ts", MIGRATION),
    ("Data/Migrations/AppDbContextModelSnapshot.cs", MIGRATION),
    ("tests/migrations/0001_initial.py", TEST),  # a test app's
    ("django/db/migrations/autodetector.py", SOURCE),
    ("CTFd/utils/migrations/__init__.py", SOURCE),
    ("hc/api/migrations/__init__.py", SOURCE),
    ("lib/versions/123_compat.py", SOURCE),  # `versions/` is Alembic's only in a migrations folder
    ("db/schema.rb", GENERATED),  # Rails writes it from the database
    ("db/queue_schema.rb", GENERATED),
    ("app/models/schema.rb", SOURCE),
    ("app/models/demo/generator.rb", SOURCE),  # a Rails app's model that seeds its demo (sweep 17)
    ("lib/demo/generator.rb", EXAMPLE),
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


def test_a_migration_is_no_answer_and_no_past_change(tmp_path):
    """healthchecks (sweep 17): `hc/api/migrations/0114_flip_reason.py` answered "Move repeating flip reason
    descriptions to Flip.reason_long()" above the model that holds them. A migration is indexed, never an
    answer, and the history's commits count only the model as the file they changed."""
    import subprocess

    app = tmp_path / "shop"
    (app / "migrations").mkdir(parents=True)
    (app / "__init__.py").write_text("")
    (app / "migrations" / "__init__.py").write_text("")
    (app / "models.py").write_text('"""The shop\'s tables."""\n\n\nclass Flip:\n    """A check going up or down."""\n\n'
                                   '    def reason_long(self):\n        return self.reason\n')
    (app / "migrations" / "0114_flip_reason.py").write_text(
        "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
        "    operations = [migrations.AddField(model_name='flip', name='reason', field=models.CharField())]\n")
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(git + ["init", "-q"], check=True)
    subprocess.run(git + ["add", "."], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "Add the reason of a flip"], check=True)
    engine = Engine.open(str(tmp_path))
    answers = [c.module for c in engine.ask("flip reason field", k=10).candidates]
    assert answers[0] == "shop/models.py" and "shop/migrations/0114_flip_reason.py" not in answers
    assert engine.retriever.modules["shop/migrations/0114_flip_reason.py"].role == MIGRATION
    store = IndexStore(str(tmp_path / ".rag"))
    (commit,) = store.read_json(store.manifest(), HISTORY_FILE)["commits"]
    assert "shop/models.py" in commit["files"] and "shop/migrations/0114_flip_reason.py" not in commit["files"]


def test_a_declaration_file_a_tool_wrote_is_no_answer(tmp_path):
    """huggingface/tokenizers (sweep 16): the PyO3 stubs (`# Generated content DO NOT EDIT`) and NAPI's
    `index.d.ts` (`/* auto-generated by NAPI-RS */`) repeat every name of the API and answered 3 of 19
    questions above the Rust code that implements it. A stub written by hand stays an answer."""
    stubs = tmp_path / "py_src" / "tokenizers"
    stubs.mkdir(parents=True)
    (stubs / "decoders.pyi").write_text("# Generated content DO NOT EDIT\nclass ByteFallback:\n"
                                        '    """ByteFallback decoder: byte tokens like <0x0A> become the bytes they stand for."""\n'
                                        "    def decode(self, tokens): ...\n")
    (stubs / "models.pyi").write_text('"""Type hints for the models."""\nclass Unigram:\n    def token_to_id(self, token): ...\n')
    src = tmp_path / "src"
    src.mkdir()
    (src / "byte_fallback.py").write_text('"""Decodes byte-fallback tokens."""\n\n\ndef decode_chain(tokens):\n'
                                          '    """Turn <0x0A> byte tokens into bytes."""\n    return tokens\n')
    engine = Engine.open(str(tmp_path))
    answers = [c.module for c in engine.ask("ByteFallback decoder turns <0x0A> byte tokens into the replacement character", k=10).candidates]
    assert answers[0] == "src/byte_fallback.py" and "py_src/tokenizers/decoders.pyi" not in answers
    assert engine.retriever.modules["py_src/tokenizers/decoders.pyi"].role == GENERATED
    assert engine.retriever.modules["py_src/tokenizers/models.pyi"].role == SOURCE


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
