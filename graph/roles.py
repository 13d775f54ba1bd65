"""What a file is for: source, test, example, documentation or benchmark, from path conventions.

"Which module handles X" asks for the code that does X; tests, examples, docs and benchmarks mention
X too, so retrieval leaves them out of answers by default.
"""
from __future__ import annotations

import re

SOURCE, TEST, EXAMPLE, DOC, BENCH = "source", "test", "example", "doc", "bench"

_DIR_ROLES = {
    "test": TEST, "tests": TEST, "testing": TEST, "__tests__": TEST, "spec": TEST, "specs": TEST,
    "testdata": TEST, "fixtures": TEST,
    "example": EXAMPLE, "examples": EXAMPLE, "demo": EXAMPLE, "demos": EXAMPLE, "samples": EXAMPLE,
    "doc": DOC, "docs": DOC, "documentation": DOC,
    "bench": BENCH, "benches": BENCH, "benchmark": BENCH, "benchmarks": BENCH,
}
_TEST_FILE = re.compile(r"(^test_.*|.*_test|.*_tests|.*\.test|.*\.spec|^conftest|.*Test|.*Tests|.*IT)\.[A-Za-z]+$")


def file_role(path: str) -> str:
    parts = path.split("/")
    if _TEST_FILE.match(parts[-1]):
        return TEST
    for part in parts[:-1]:
        role = _DIR_ROLES.get(part.lower())
        if role:
            return role
    return SOURCE
