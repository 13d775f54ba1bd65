"""Dart's call through a null assertion, `f!(x)`, read as the call it is.

`options.onSendProgress!(complete, length)` calls a nullable function after asserting it is not null.
tree-sitter-dart-orchard 0.7 has no rule for a call after `!`: the statement, and often the function
around it, became an ERROR node (dio: 7 of 156 files with syntax errors, every one from this; the calls
in them lost). The assertion says nothing about where code belongs, so the `!` is read as a space:
`onSendProgress (complete, length)` is the same call, and every line and byte keeps its position.
A prefix `!` (`if (!(done))`) follows no name or bracket and is left alone.
"""
from __future__ import annotations

import re

_ASSERTED_CALL = re.compile(rb"(?<=[\w)\]])!(?=\()")


def null_calls_unasserted(source: bytes) -> bytes:
    r"""`source` with the `!` of each `name!(` made a space.

    >>> null_calls_unasserted(b"options.onSendProgress!(done, total); if (!(ok)) {}")
    b'options.onSendProgress (done, total); if (!(ok)) {}'
    """
    return _ASSERTED_CALL.sub(b" ", source)
