"""Java's annotation on a variable-arity parameter's type, `Object @Nullable ... args`, read without it.

JSpecify's nullness annotations go on the type they qualify, and for varargs that is before the `...`
(`@Nullable Object @Nullable ... args`: the array may be null, and so may each element). tree-sitter-java
0.23 has no rule for an annotation there: spring-framework's 61 files with such a parameter (JdbcTemplate,
AbstractBeanDefinition) were reported with syntax errors on every run (sweep 16). The annotation says
nothing about where code belongs: it is made spaces, and every line and byte keeps its position.
"""
from __future__ import annotations

import re

_VARARGS_ANNOTATION = re.compile(rb"(?<=[\w>\]])(\s+)(@[\w.]+(?:\([^()\n]*\))?)(?=\s*\.\.\.)")


def varargs_unannotated(source: bytes) -> bytes:
    r"""`source` with an annotation right before a parameter's `...` made spaces.

    >>> varargs_unannotated(b"void query(String sql, @Nullable Object @Nullable ... args) {}")
    b'void query(String sql, @Nullable Object           ... args) {}'
    >>> varargs_unannotated(b"void f(Object... args) {}")
    b'void f(Object... args) {}'
    """
    return _VARARGS_ANNOTATION.sub(lambda m: m[1] + b" " * len(m[2]), source)
