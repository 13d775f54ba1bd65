"""What a file is for: source, test, example, documentation, benchmark, vendored, generated or a database
migration, from path conventions.

"Which module handles X" asks for the code that does X; tests, examples, docs and benchmarks mention
X too, so retrieval leaves them out of answers by default. So does vendored code: a copy of another
project kept in the tree (`vendor/`, `third_party/`, astropy's `cextern/`, sphinx's
`static/jquery-3.5.1.js`) is not where this repository's changes belong, and a big bundled library
matches any long report on sheer term mass (jquery was among the first ten for 21 of 57 sphinx reports).
Nor is a generated single-header copy of the repository's own headers (a header-only C++ library's
`single_include/`: nlohmann's 920 KB `json.hpp` was the top answer for 5 of 6 questions about the headers
it is made from); telling such a copy by its definitions raised false alarms (bench/LOG.md, 2026-12-07).
Nor is a database migration: a numbered step of the schema's history, written once (mostly by a tool)
from the models, which are where a change belongs. In web applications they outnumber most folders
(healthchecks: 192 of its 1,271 files) and their names and field lists match questions about the models:
one was the first answer to 28 of 353 questions mined from healthchecks' commits, and among the first
five for 106 (sweep 17).
"""
from __future__ import annotations

import re

SOURCE, TEST, EXAMPLE, DOC, BENCH, VENDORED, GENERATED, MIGRATION = (
    "source", "test", "example", "doc", "bench", "vendored", "generated", "migration")

_DIR_ROLES = {
    "test": TEST, "tests": TEST, "testing": TEST, "__tests__": TEST, "spec": TEST, "specs": TEST,
    "testdata": TEST, "fixtures": TEST, "mock": TEST, "mocks": TEST, "__mocks__": TEST,  # test doubles, a mock server
    "__fixtures__": TEST, "__testfixtures__": TEST,  # jscodeshift's inputs and outputs of a codemod's tests
    "example": EXAMPLE, "examples": EXAMPLE, "demo": EXAMPLE, "demos": EXAMPLE, "samples": EXAMPLE,
    "doc": DOC, "docs": DOC, "documentation": DOC,
    "bench": BENCH, "benches": BENCH, "benchmark": BENCH, "benchmarks": BENCH,
    "vendor": VENDORED, "vendored": VENDORED, "_vendor": VENDORED, "third_party": VENDORED,
    "thirdparty": VENDORED, "3rdparty": VENDORED, "extern": VENDORED, "cextern": VENDORED, "externals": VENDORED,
    "node_modules": VENDORED, "bower_components": VENDORED,
    "single_include": GENERATED, "amalgamation": GENERATED, "amalgamated": GENERATED,
}
# a .NET solution's projects are folders named after their assembly: `Newtonsoft.Json.Tests/`,
# `Polly.Specs/`, `App.IntegrationTests/`, `Json.Benchmarks/`, `Json.Samples/`
_PROJECT_ROLES = re.compile(r".+\.(?:(?P<test>(?:unit|integration|functional|acceptance)?tests?|specs?|testing)|"
                            r"(?P<bench>benchmarks?|perf)|(?P<example>samples?|examples?|demos?))$", re.I)
# a folder named for an example or demo: dio's `example_dart/` and `example_flutter_app/`, `dio_flutter_example/`
# (its example apps answered questions about the library: sweep 15)
_EXAMPLE_DIR = re.compile(r"(?:examples?|demos?|samples?)[_-].+|.+[_-](?:examples?|demos?|samples?)", re.I)
# a front-end app's pages and components: below them an `example` or `documentation` folder is a page of the app
# (and a Rails or Laravel app's code: maybe-finance's `app/models/demo/generator.rb` seeds its demo data, sweep 17)
_APP_PAGES = {"views", "pages", "components", "routes", "screens", "models", "controllers", "services", "jobs", "mailers"}
# only at the repository's top: a C project's copies (ujson's, redis's `deps/`), where a web app's own
# `app/deps/` holds its dependency-injection code (FastAPI's convention; sweep 13)
_TOP_DIR_ROLES = {"deps": VENDORED}
_TEST_FILE = re.compile(r"(^test_.*|.*_test|.*_tests|.*\.test|.*\.spec|^conftest|.*Test|.*Tests|.*IT)\.[A-Za-z]+$")
# what a JavaScript test runner loads before the tests: `test-setup.ts`, `setupTests.js`, `jest.setup.ts`,
# `vitest.setup.mts` (TanStack Query's 14 `test-setup.ts` ranked 3rd for questions about their packages)
_TEST_SETUP_FILE = re.compile(r"(?:test[-_]?setup|setup[-_]?tests?|(?:jest|vitest)\.setup)\.[cm]?[jt]sx?$", re.I)
# a package of test helpers: `query-test-utils/`, `test-utils/`, `test_helpers/`
_TEST_HELPERS_DIR = re.compile(r"(?:.+[-_])?test[-_]?(?:utils?|helpers?|support)", re.I)
# busted's and RSpec's `cart_spec.lua`, `cart_spec.rb` (in Python a `*_spec.py` is often a product's own module)
_SPEC_FILE = re.compile(r".*_spec\.(?:lua|rb)$")
# JMH's and BenchmarkDotNet's convention (`ParseBenchmark.java`), as `*Test.java` is for tests: in the
# languages that keep it (a Python or Go library named `benchmark` may be the product)
_BENCH_FILE = re.compile(r".*[a-z0-9]Benchmarks?\.(?:java|kt|scala|cs)$")
# a web library copied in as a release (`jquery-3.5.1.js`, `underscore-1.13.1.js`) or minified (`app.min.js`)
_BUNDLED_ASSET = re.compile(r"(.*[-.]v?\d+\.\d+(\.\d+)*(\.min)?|.*\.min)\.(js|mjs|css)$")
# a migration is a file named for its place in the sequence (a number, a timestamp, Alembic's 12-hex revision)
# in a migrations folder: Django's `app/migrations/0042_order_discount.py`, Rails' `db/migrate/20240101120000_x.rb`,
# Laravel's `database/migrations/2014_10_12_000000_x.php`, Sequelize's and TypeORM's `migrations/1592332811238-X.ts`,
# Alembic's `migrations/versions/4e4d89ad9b3a_x.py`, Entity Framework's `Migrations/20230101000000_X.Designer.cs`
# and its `AppDbContextModelSnapshot.cs`. The code that runs migrations (`django/db/migrations/autodetector.py`,
# CTFd's `utils/migrations/__init__.py`) is named otherwise and stays source
_MIGRATIONS_DIR = re.compile(r".*migrations|migrate", re.I)
_ALEMBIC_DIR = re.compile(r".*migrations|alembic", re.I)  # above its `versions/`
_MIGRATION_FILE = re.compile(r"(?:\d{3,}|[0-9a-f]{12})[_-].+|.+ModelSnapshot\.cs")
# what Rails writes from the database after each migration ("This file is auto-generated from the current
# state of the database"): `db/schema.rb`, and Rails 8's `db/cache_schema.rb`, `db/queue_schema.rb`
_RAILS_SCHEMA = re.compile(r"(?:.+_)?schema\.rb")


def file_role(path: str, generated_stub: bool = False) -> str:
    """`generated_stub`: the file is a declaration file a tool wrote (graph/generated.py: is_generated_stub),
    which its path alone cannot tell."""
    if generated_stub:
        return GENERATED
    parts = path.split("/")
    if _TEST_FILE.match(parts[-1]) or _SPEC_FILE.match(parts[-1]) or _TEST_SETUP_FILE.match(parts[-1]):
        return TEST
    if _BENCH_FILE.match(parts[-1]):
        return BENCH
    if _BUNDLED_ASSET.match(parts[-1]):
        return VENDORED
    if len(parts) > 1 and parts[0].lower() in _TOP_DIR_ROLES:
        return _TOP_DIR_ROLES[parts[0].lower()]
    for i, part in enumerate(parts[:-1]):
        role = (_DIR_ROLES.get(part.lower()) or (EXAMPLE if _EXAMPLE_DIR.match(part) else None)
                or (TEST if _TEST_HELPERS_DIR.fullmatch(part) else None))
        if role in (EXAMPLE, DOC) and any(p.lower() in _APP_PAGES for p in parts[:i]):
            continue  # a web app's page named so (`src/views/example/create.vue`, routed like any other)
        if role == DOC and parts[-1].endswith(".go"):
            continue  # a Go folder is a package: cobra's `doc/` writes man pages, gotify's `docs/` serves the API's (sweep 16)
        if role:
            return role
        project = _PROJECT_ROLES.match(part)
        if project:
            return TEST if project["test"] else BENCH if project["bench"] else EXAMPLE
    if _is_migration(parts):  # after the folders: a test app's migrations are tests
        return MIGRATION
    if len(parts) > 1 and parts[-2] == "db" and _RAILS_SCHEMA.fullmatch(parts[-1]):
        return GENERATED
    return SOURCE


def _is_migration(parts: list[str]) -> bool:
    """Whether a path (split at its slashes) is a numbered migration in a migrations folder.

    >>> _is_migration("shop/migrations/0042_order_discount.py".split("/"))
    True
    >>> _is_migration("migrations/versions/4e4d89ad9b3a_add_discount.py".split("/"))
    True
    >>> _is_migration("django/db/migrations/autodetector.py".split("/"))
    False
    """
    if len(parts) < 2 or not _MIGRATION_FILE.fullmatch(parts[-1]):
        return False
    if _MIGRATIONS_DIR.fullmatch(parts[-2]):
        return True
    return len(parts) > 2 and parts[-2] == "versions" and bool(_ALEMBIC_DIR.fullmatch(parts[-3]))
