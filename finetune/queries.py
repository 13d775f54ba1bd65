"""Requirement-style queries phrased from what the code says about itself.

A `Seed` is one statement the repository makes about a module: a docstring sentence of a definition,
the module's own docstring, a `rag.toml` description or alias, a definition's name. Each seed is
phrased several ways, the way developers write requests ("add/change/fix …", "where is … handled",
a commit subject, a two-sentence bug report), then augmented (synonyms, dropped filler words, clauses
reordered) with the meaning kept. Pure functions: the same graph and seed give the same queries.
"""
from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass

import networkx as nx

from graph.modules import FILE, Module
from graph.roles import SOURCE
from graph.text import first_sentence, split_identifier

MAX_SEED_WORDS = 18
_DETERMINERS = {"a", "an", "the", "this", "these", "that", "base", "abstract", "helper", "helpers", "class",
                "mixin", "exception", "error", "utility", "utilities", "internal", "private", "common", "generic"}
_IMPERATIVES = {
    "return", "compute", "calculate", "create", "check", "get", "set", "add", "remove", "find", "generate",
    "convert", "build", "make", "read", "write", "load", "save", "parse", "render", "draw", "update",
    "handle", "run", "print", "format", "validate", "apply", "initialize", "yield", "raise", "test",
    "determine", "construct", "produce", "compare", "count", "merge", "split", "sort", "filter", "select",
    "store", "send", "receive", "open", "close", "start", "stop", "register", "resolve", "encode", "decode",
    "move", "define", "use", "show", "display", "hide", "wrap", "measure", "insert", "replace", "reset",
    "refresh", "clear", "copy", "export", "import", "log", "track", "emit", "call", "invoke", "map", "match",
    "look", "iterate", "enable", "disable", "configure", "align", "pad", "strip", "truncate", "join", "append",
    "extend", "combine", "execute", "process", "schedule", "fetch", "download", "upload", "connect", "listen",
    "wait", "cancel", "retry", "install", "push", "pop", "distribute", "highlight", "escape", "quote",
    "normalize", "expand", "collapse", "crop", "fit", "scale", "flatten", "group", "pick", "choose", "detect",
    "decide", "ensure", "prepare", "patch", "cache", "serialize", "deserialize", "dump", "visit", "walk",
    "traverse", "search", "flush", "release", "acquire", "lock", "unlock", "try", "attempt", "setup", "unwrap",
    "plot", "layout", "color", "relabel", "contract", "reverse", "approximate", "estimate", "sample", "draw",
}
_DOC_SECTION = re.compile(r"\n\s*\n|\b(Args|Arguments|Parameters|Returns|Raises|Yields|Examples?|Notes?|"
                          r"Attributes|See Also|References)\s*:?\s*\n|\b(Args|Returns|Raises):", re.S)
_SYNONYMS = {
    "fix": ["repair", "correct"], "add": ["support", "introduce"], "change": ["modify", "adjust"],
    "error": ["exception", "failure"], "wrong": ["incorrect", "bad"], "handle": ["deal with", "process"],
    "option": ["setting", "parameter"], "support": ["allow"], "bug": ["problem", "issue"],
    "crash": ["failure"], "slow": ["too slow", "sluggish"], "improve": ["enhance", "make better"],
    "returns": ["gives back", "yields"], "create": ["build", "make"], "remove": ["drop", "delete"],
}
_FILLER = {"the", "a", "an", "that", "currently", "really", "just", "please", "also", "some"}


@dataclass(frozen=True)
class Seed:
    module: str  # the gold module ID
    source: str  # where it came from ("path::qualname", "path", "alias:…"): the unit of the train/validation split
    kind: str  # "symbol-doc", "module-doc", "name", "description", "alias"
    text: str  # the statement, one sentence
    name: str = ""  # the identifier it documents, when there is one


def seeds_of(g: nx.MultiDiGraph, modules: list[Module]) -> list[Seed]:
    """Every seed of every source file module (answers are source files, as in retrieval)."""
    files = {m.id: m for m in modules if m.kind == FILE and m.role == SOURCE}
    out: list[Seed] = []
    for path, module in sorted(files.items()):
        doc = _lead(g.nodes[path].get("doc", ""))
        if _usable(doc):
            out.append(Seed(path, path, "module-doc", doc))
        stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
        stem_words = [w for w in split_identifier(stem) if not w.isdigit()]
        if stem not in ("__init__", "index", "mod", "lib", "main") and stem_words:
            out.append(Seed(path, f"{path}#name", "name", " ".join(stem_words), stem))
    for node, a in g.nodes(data=True):
        path = a.get("path")
        if a["kind"] not in ("class", "function") or path not in files:
            continue
        doc = _lead(a.get("doc", ""))
        source = f"{path}::{a['qualname']}"
        if _usable(doc):
            out.append(Seed(path, source, "symbol-doc", doc, a["name"]))
        elif not a["name"].startswith("__"):  # undocumented (often private) code still says what it does by name
            words = " ".join(w for w in split_identifier(a["name"]) if len(w) > 1 and not w.isdigit())
            if len(words.split()) >= 2:
                out.append(Seed(path, source, "name", words, a["name"]))
    for node, a in g.nodes(data=True):  # rag.toml named modules: their description and team jargon
        if a["kind"] != "named":
            continue
        members = sorted(v for _, v, k in g.out_edges(node, keys=True) if k == "contains" and v in files)
        for member in members[:1] if len(members) == 1 else []:  # a seed needs one gold file
            if a.get("doc"):
                out.append(Seed(member, f"named:{node}", "description", first_sentence(a["doc"], MAX_SEED_WORDS)))
            for alias in a.get("aliases", ()):
                out.append(Seed(member, f"alias:{node}:{alias}", "alias", alias))
    return sorted(set(out), key=lambda s: (s.module, s.source, s.kind, s.text))


def phrase(seed: Seed, rng: random.Random, n: int = 3) -> list[str]:
    """`n` requirement-style queries for one seed, in different shapes."""
    text = seed.text.rstrip(" .…:;")
    words = text.split()
    if not words:
        return []
    first = words[0].lower()
    rest = " ".join(words[1:])
    if seed.kind in ("name", "alias"):
        shapes = [f"Where is the {text} logic?", f"Change how {text} works",
                  f"Fix a bug in {text}", f"Add an option to the {text} code",
                  f"Which part of the code deals with {text}?", f"{text} gives wrong results"]
    elif _is_verb(first):
        base = _base_form(first)
        third = first if first.endswith("s") and first not in _IMPERATIVES else _third_person(base)
        shapes = [f"{base.capitalize()} {rest}".strip(), f"Where do we {base} {rest}?",
                  f"Change how the code {third} {rest}", f"Fix: it fails to {base} {rest} correctly",
                  f"Add an option when we {base} {rest}",
                  f"We need to {base} {rest} differently. Right now the result is wrong in some cases.",
                  f"Bug report: trying to {base} {rest} raises an error."]
    else:
        noun = text if words[0].isupper() and len(words[0]) > 1 else text[0].lower() + text[1:]
        shapes = [f"Where is {noun} defined?", f"Change the {noun}" if first not in _DETERMINERS else f"Change {noun}",
                  f"Fix a bug in {noun}", f"Improve {noun}",
                  f"Problem with {noun}: it behaves incorrectly in an edge case."]
    rng.shuffle(shapes)
    return [" ".join(s.split()) for s in shapes[:n]]


def augment(query: str, rng: random.Random) -> str:
    """One meaning-preserving variant: a synonym, fewer filler words, or clauses in another order."""
    choice = rng.randrange(3)
    if choice == 0:
        words = query.split()
        spots = [i for i, w in enumerate(words) if w.lower().strip(".,?:") in _SYNONYMS]
        if spots:
            i = rng.choice(spots)
            bare = words[i].lower().strip(".,?:")
            words[i] = words[i].lower().replace(bare, rng.choice(_SYNONYMS[bare]))
            return _sentence_case(" ".join(words))
    if choice == 1:
        kept = [w for w in query.split() if w.lower() not in _FILLER]
        if 3 <= len(kept) < len(query.split()):
            return _sentence_case(" ".join(kept))
    sentences = [s for s in re.split(r"(?<=[.?!])\s+", query) if s]
    if len(sentences) > 1:
        return " ".join(sentences[1:] + sentences[:1])
    m = re.match(r"(.+?)\s+(when|if|because|after|before)\s+(.+)", query.rstrip(".?"), re.I)
    if m:
        return _sentence_case(f"{m.group(2)} {m.group(3)}, {m.group(1)[0].lower()}{m.group(1)[1:]}")
    return query


def seeded_rng(*parts: str) -> random.Random:
    """A random source fixed by its inputs, so that data generation is reproducible."""
    return random.Random(int(hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16], 16))


def normalized(query: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", query.lower()))


def _lead(doc: str) -> str:
    """The first sentence of a docstring's opening paragraph (argument sections and examples cut off)."""
    return first_sentence(_DOC_SECTION.split(doc.strip(), maxsplit=1)[0], MAX_SEED_WORDS)


def _usable(doc: str) -> bool:
    return len(doc.split()) >= 3 and not doc.lower().startswith(("todo", "fixme", "copyright", "see ", ">>>"))


def _is_verb(word: str) -> bool:
    if word in _DETERMINERS:
        return False
    # known verbs only: a docstring opening with a plural noun ("Items a customer …") is not a request
    return word in _IMPERATIVES or _base_form(word) in _IMPERATIVES


def _base_form(word: str) -> str:
    if word in _IMPERATIVES:
        return word
    for suffix, repl in (("ies", "y"), ("sses", "ss"), ("shes", "sh"), ("ches", "ch"), ("xes", "x"), ("s", "")):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + repl
    return word


def _third_person(base: str) -> str:
    if base.endswith("y") and base[-2:-1] not in "aeiou":
        return base[:-1] + "ies"
    if base.endswith(("s", "sh", "ch", "x")):
        return base + "es"
    return base + "s"


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text
