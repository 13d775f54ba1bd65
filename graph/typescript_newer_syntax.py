"""TypeScript written in syntax newer than our grammar, read as the older syntax it means.

tree-sitter-typescript 0.23 (the newest on PyPI) predates two forms, and the declaration around each
broke:
- variance annotations (TypeScript 4.7), `interface $ZodType<out Output = unknown, in out Input>`: zod's
  four main schema files had 21 syntax errors among them;
- type-only re-exports of a whole module (5.0), `export type * from './types'`: TanStack Query's
  `react-query/src/index.ts`.
Neither says anything about where code belongs: the modifier is made spaces, so the parameter reads as a
plain one and the export as `export * from`, and every line and byte keeps its position.
"""
from __future__ import annotations

import re

# after a type parameter list's `<` or `,` (and any comments: zod writes `/** @ts-ignore Cast variance */`
# above its parameters): `in`, `out` or `in out`, then the parameter's name and what may follow a name
# there (`extends`, a default, the next parameter, the list's end)
_GAP = rb"(?:\s|/\*(?:[^*]|\*(?!/))*+\*/|//[^\n]*+)*+"  # possessive: a URL's `//` in a comment is no second comment
_VARIANCE = re.compile(rb"(?<=[<,])(" + _GAP + rb"(?:const\s+)?)((?:in\s+)?(?:out\s+)?)(?=[A-Za-z_$][\w$]*\s*(?:extends\b|=|,|>))")
_TYPE_ONLY_REEXPORT = re.compile(rb"^([ \t]*export\s+)(type)(?=\s+\*)", re.M)


def older_syntax(source: bytes) -> bytes:
    r"""`source` with each type parameter's `in` / `out` and each `export type *`'s `type` made spaces.

    >>> older_syntax(b"interface Box<out T, in out U extends Base = Base> { f(a, b): T }")
    b'interface Box<    T,        U extends Base = Base> { f(a, b): T }'
    >>> older_syntax(b"interface Enum<\n  /** @ts-ignore */\n  out T = Like,\n> {}").split(b"\n")
    [b'interface Enum<', b'  /** @ts-ignore */', b'      T = Like,', b'> {}']
    >>> older_syntax(b"export type * from './types'\nexport type { Query } from './query'")
    b"export      * from './types'\nexport type { Query } from './query'"
    """
    def blank(m: re.Match) -> bytes:
        return m[1] + re.sub(rb"[^\n]", b" ", m[2])

    return _TYPE_ONLY_REEXPORT.sub(blank, _VARIANCE.sub(blank, source))
