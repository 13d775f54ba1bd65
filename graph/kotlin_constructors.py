"""Kotlin's primary constructor written on the line below its class, joined to it before parsing.

Kotlin allows a class's header to break before its primary constructor's modifiers:

    public class Options
    private constructor(
      internal val strings: Array<out String>,
    ) { … }

tree-sitter-kotlin 1.1 parses this at the top level but not inside another class, nor with an
annotation and a visibility (`@Inject internal constructor`, Dagger's form): there the rest of the
enclosing class became one ERROR node (moshi's JsonReader.kt: 470 lines, every method after its nested
`Options` lost). The compiler reads the two lines as one header; so do we. The constructor's line is
moved up to the header's, and the line it leaves holds the indentation, one space shorter: every
later line and byte keeps its position, so the tree's offsets still index the original text.
"""
from __future__ import annotations

import re

_MODIFIER = rb"(?:@[\w.]+(?:\([^)\n]*\))?|public|private|protected|internal|abstract|open|final|sealed|data|inner|value|expect|actual)"
_SPLIT_HEADER = re.compile(
    rb"^(?P<header>[ \t]*(?:" + _MODIFIER + rb"[ \t]+)*(?:class|interface)[ \t]+[\w`]+(?:<[^>\n]*>)?[ \t]*)\n"
    rb"(?P<indent>[ \t]+)(?P<constructor>(?:" + _MODIFIER + rb"[ \t]+)*constructor\b[^\n]*)",
    re.M)


def constructors_joined(source: bytes) -> bytes:
    r"""`source` with each class header whose primary constructor begins the next line joined to it.

    >>> constructors_joined(b"  class Options\n  private constructor(val s: String) {\n  }").split(b"\n")
    [b'  class Options private constructor(val s: String) {', b' ', b'  }']
    >>> constructors_joined(b"class Cart(val id: Int)\n  constructor() : this(0)") == b"class Cart(val id: Int)\n  constructor() : this(0)"
    True
    """
    def join(m: re.Match) -> bytes:
        return m["header"] + b" " + m["constructor"] + b"\n" + m["indent"][1:]

    return _SPLIT_HEADER.sub(join, source)
