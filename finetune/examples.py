"""Training examples: the production prompt (rag/llm/prompt.py) with candidates from the real retriever,
and what the model must write after it.

Per query: the retriever's top candidates (hard negatives); the gold put in place of the last one
when retrieval missed it; the order shuffled, so that the model cannot learn "the first one is right";
a fraction of queries with the gold left out, labelled with the abstention. Every query yields two
examples, 1:1: the bare ID, and a short chain of thought (key terms, functional area, parent module)
followed by the ID. The validation split is by seed source, so paraphrases of one docstring never
sit on both sides.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import asdict, dataclass

from graph.history import checked_date, commit_time
from graph.modules import Module
from graph.text import content_words, first_sentence
from finetune.settings import COT, PLAIN
from finetune.queries import Seed, augment, normalized, phrase, seeded_rng
from rag.retrieval.past_changes import AsOf
from rag.llm.prompt import ABSTAIN, Listed, after_rationale, render


@dataclass(frozen=True)
class DataSettings:
    queries_per_seed: int = 2  # phrasings of each seed
    augmented_per_query: int = 1  # meaning-preserving variants of each phrasing
    max_queries_per_module: int = 12  # so that big files do not drown small ones
    candidates: int = 5  # listed in the prompt (the LLM re-ranks this many at inference)
    # short prompts: on CPU a training step costs about its token count (~100 GFLOP a 250-token example)
    prompt_tokens: int = 320
    summary_words: int = 12
    abstain_fraction: float = 0.08
    validation_fraction: float = 0.1
    seed: int = 0
    # leave commits from this date on (ISO 8601) out of the history pairs: train on the past only
    until: str | None = None
    # what the prompts show of each candidate besides its summary (rag/llm/listing.py), recorded with the
    # adapter so that inference asks in the same shape: retrieval's rank, the best-matching definition
    ranks: bool = False
    definitions: bool = False

    def __post_init__(self):
        if self.until is not None:
            checked_date(self.until, "until")
        for name in ("queries_per_seed", "max_queries_per_module", "candidates", "prompt_tokens", "summary_words"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for name in ("abstain_fraction", "validation_fraction"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ValueError(f"{name} must be in [0, 1)")


@dataclass
class Example:
    query: str
    gold: str  # the module ID to answer, or ABSTAIN when the gold was left out of the candidates
    module: str  # the module the query is about (equal to gold unless abstaining)
    candidates: list[str]  # module IDs in prompt order
    prompt: str
    target: str  # what the model writes after the prompt
    form: str  # PLAIN or COT
    split: str  # "train" or "validation"
    source: str  # the seed's source: the unit of the split
    origin: str = "graph"  # "graph" or "git"

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Query:
    text: str
    module: str
    source: str
    origin: str = "graph"
    split: str | None = None  # fixed by the caller (git history: by time), else by a hash of the source
    # a commit's message is asked as at its commit: its own change (and later ones) are no evidence
    # for the candidates it is trained with (rag/retrieval/past_changes.py)
    as_of: AsOf | None = None


def queries_from_history(rows: list[dict], modules: dict[str, Module], settings: DataSettings) -> list[Query]:
    """Commit messages (rag.commit_queries.mine rows, newest first) that changed one source file, older than
    `settings.until` when given: the newest `validation_fraction` of them validate, the older ones
    train, so no later change leaks backwards (a time split, never a random one)."""
    until = commit_time(settings.until) if settings.until else None
    usable = [r for r in rows if len(r["gold_files"]) == 1 and r["gold_files"][0] in modules
              and modules[r["gold_files"][0]].role == "source"
              and (until is None or ("date" in r and commit_time(r["date"]) < until))]
    newest = round(len(usable) * settings.validation_fraction)
    return [Query(r["query"], r["gold_files"][0], f"git:{r['commit']}", "git",
                  "validation" if i < newest else "train",
                  AsOf(commit_time(r["date"]), r["commit"]) if "date" in r else None) for i, r in enumerate(usable)]


def until_note(dates: list[str], until: str) -> str | None:
    """What to tell a user whose --until leaves out all of the history or none of it (`dates`: the
    mined commits'); None when it cuts through it.

    >>> until_note(["2020-05-01T10:00:00+00:00", "2022-01-02T10:00:00+00:00"], "2019")
    '--until 2019 is before the oldest commit to train on (2020-05-01): no history pairs, only generated queries'
    >>> until_note(["2020-05-01T10:00:00+00:00", "2022-01-02T10:00:00+00:00"], "2021-06-30") is None
    True
    """
    if not dates:
        return f"--until {until}: no commit of this repository describes a change to train on, so it leaves nothing out"
    cut, times = commit_time(until), sorted(dates, key=commit_time)
    if commit_time(times[0]) >= cut:
        return (f"--until {until} is before the oldest commit to train on ({times[0][:10]}): no history pairs, "
                "only generated queries")
    if commit_time(times[-1]) < cut:
        return f"--until {until} is after the newest commit to train on ({times[-1][:10]}): it leaves nothing out"
    return None


def queries_from_seeds(seeds: list[Seed], settings: DataSettings) -> list[Query]:
    """Phrased and augmented queries, deduplicated, at most `max_queries_per_module` per module."""
    by_module: dict[str, list[Query]] = defaultdict(list)
    seen: set[str] = set()
    for seed in seeds:
        rng = seeded_rng(str(settings.seed), seed.source, seed.kind, seed.text)
        for text in phrase(seed, rng, settings.queries_per_seed):
            variants = [text] + [augment(text, rng) for _ in range(settings.augmented_per_query)]
            for v in variants:
                key = normalized(v)
                if key and key not in seen:
                    seen.add(key)
                    by_module[seed.module].append(Query(v, seed.module, seed.source))
    out = []
    for module, queries in sorted(by_module.items()):
        rng = seeded_rng(str(settings.seed), "cap", module)
        rng.shuffle(queries)
        out += queries[: settings.max_queries_per_module]
    return out


def sample_queries(queries: list[Query], settings: DataSettings, train: int, validation: int) -> list[Query]:
    """At most `train` training and `validation` validation queries (a seeded sample, order kept).

    Training uses only this many, and building an example costs a retrieval and two prompt renders
    (~60 ms): on a big repository (transformers: 24,788 queries) building them all took longer than
    the whole training budget.
    """
    rng = seeded_rng(str(settings.seed), "sample")
    by_split: dict[str, list[int]] = defaultdict(list)
    for i, q in enumerate(queries):
        by_split[q.split or split_of(q.source, settings)].append(i)
    keep: set[int] = set()
    for split, cap in (("train", train), ("validation", validation)):
        indices = by_split[split]
        keep.update(indices if len(indices) <= cap else rng.sample(indices, cap))
    return [q for i, q in enumerate(queries) if i in keep]


def split_of(source: str, settings: DataSettings) -> str:
    h = int(hashlib.sha256(f"{settings.seed}\x00{source}".encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return "validation" if h < settings.validation_fraction else "train"


def build_examples(queries: list[Query], search, modules: dict[str, Module], tokenizer,
                   settings: DataSettings, describe=None) -> list[Example]:
    """`search(query, k, as_of)` returns module IDs best first (the production retriever);
    `describe(query, module IDs, ranks)` lists them as the prompt shows them (rag/llm/listing.py), by
    default with their summaries alone.

    With ranks shown, the listing is retrieval's top candidates as inference would see them: a gold
    module retrieval ranked lower is not slipped in (its rank would give it away), the example teaches
    the abstention instead."""
    describe = describe or (lambda text, listed, ranks: [Listed(m, modules[m].summary) for m in listed])
    out = []
    for q in queries:
        rng = seeded_rng(str(settings.seed), "example", q.source, q.text)
        ranked = [m for m in search(q.text, settings.candidates + 1, q.as_of) if m in modules]
        abstain = rng.random() < settings.abstain_fraction
        if abstain:
            listed = [m for m in ranked if m != q.module][: settings.candidates]
        else:
            listed = ranked[: settings.candidates]
            if q.module not in listed:
                if settings.ranks:
                    abstain = True
                else:
                    listed = listed[: settings.candidates - 1] + [q.module]
        if not listed:
            continue
        rng.shuffle(listed)
        gold = ABSTAIN if abstain else q.module
        split = q.split or split_of(q.source, settings)
        shown = describe(q.text, listed, {m: i + 1 for i, m in enumerate(ranked)} if settings.ranks else None)
        for form in (PLAIN, COT):
            prompt = render(tokenizer, q.text, shown, settings.prompt_tokens, think=form == COT,
                            summary_words=settings.summary_words)
            target = gold if form == PLAIN else after_rationale(rationale(q.text, q.module, gold, modules)) + gold
            out.append(Example(q.text, gold, q.module, listed, prompt.text, target, form, split, q.source, q.origin))
    return out


def rationale(query: str, module: str, gold: str, modules: dict[str, Module]) -> str:
    """Key terms -> functional area -> parent module: the short chain of thought of a COT label."""
    target = modules.get(module)
    words = list(dict.fromkeys(content_words(query)))
    vocabulary = set(target.keywords) | set(content_words(target.summary)) if target else set()
    key = [w for w in words if w in vocabulary][:4] or words[:3]
    terms = f"Key terms: {', '.join(key) if key else 'none'}."
    if gold == ABSTAIN:
        return f"{terms} None of the listed modules covers this."
    parent = modules.get(target.parent) if target and target.parent else None
    area = first_sentence(parent.summary, 10) if parent else first_sentence(target.summary, 10)
    return f"{terms} Functional area: {area.rstrip('.')}. Parent module: {target.parent or './'}."
