"""The Python API: `Engine.open(path).ask("which module handles X?")`.

An engine keeps its index and models loaded between calls. Opening a repository without an index
builds one (progress on stderr through the callback); a stale index is used as it is and said so,
unless `refresh=True` brings it up to date first.
"""
from __future__ import annotations

import copy
import os
import time
from dataclasses import dataclass, replace
from typing import Callable

from graph.errors import ConfigError, RagError, RepoError
from graph.index_location import where_index
from graph.indexer import Changes, IndexOptions, Progress, as_stored, check, index
from graph.store import IndexStore
from rag.retrieval.index_files import RetrievalExtension
from rag.retrieval.confidence import answer_confidence
from rag.retrieval.fusion import softmax_top, standardise
from rag.retrieval.past_changes import AsOf
from rag.retrieval.question import MAX_QUERY_CHARS, QueryError, has_evidence, readable
from rag.results import Answer, AskResult, Candidate, ModelUse
from rag.retrieval.retriever import LEVELS, METHODS, Retriever
from rag.settings import ExampleSettings, LLMSettings, RetrievalSettings



@dataclass
class _ModelPick:
    """What the LLM stage made of the candidates."""
    answer: Answer | None  # None: the model abstained
    candidates: list[Candidate]  # in the model's order
    query_truncated: bool  # only the start of the question fitted the prompt
    notes: list[str]  # warnings for the person asking


class Engine:
    r"""A repository's index and models, loaded once, answering "which module handles X?".

    `Engine.open(path)` finds (or builds) the index of the repository at `path`; `ask` ranks its
    modules for a question and says why. A two-file repository:

    >>> import pathlib, tempfile
    >>> repo = pathlib.Path(tempfile.mkdtemp()) / "shop"
    >>> (repo / "shop").mkdir(parents=True)
    >>> _ = (repo / "shop" / "cart.py").write_text(
    ...     '# The shopping cart: items a customer is about to buy.\n\n'
    ...     'def add_item(cart, item):\n    cart.append(item)\n')
    >>> _ = (repo / "shop" / "payment.py").write_text(
    ...     '# Card payments and refunds.\n\n'
    ...     'def refund(order):\n    return order.total\n')
    >>> engine = Engine.open(str(repo), quick_start=True)  # no index yet: builds one in repo/.rag
    >>> result = engine.ask("refund a card payment", k=2)
    >>> result.answer.module
    'shop/payment.py'
    >>> [c.module for c in result.candidates]
    ['shop/payment.py', 'shop/cart.py']
    >>> result.candidates[0].why[0]
    'keywords: payment, refund, card'
    >>> import shutil; shutil.rmtree(repo.parent)

    A question about a past time (`as_of`) sees only older commits as evidence; `llm=True` lets the
    local model pick among the candidates (see README).
    """

    def __init__(self, repo: str, store: IndexStore, retriever: Retriever, stale: Changes,
                 llm_settings: LLMSettings = LLMSettings(), within: str = ""):
        self.repo = repo
        self.within = within  # answers only from under this directory ("" for the whole repository)
        self.store = store
        self.retriever = retriever
        self.stale = stale  # what changed since the index was built (empty when fresh)
        self.llm_settings = llm_settings
        # adapter choice -> (LocalLLM, AdapterInfo | None, the adapter directory loaded or None), on first use
        self._llms: dict[str, tuple] = {}

    @classmethod
    def open(cls, path: str = ".", *, index_dir: str | None = None,
             settings: RetrievalSettings = RetrievalSettings(), refresh: bool = False,
             progress: Progress | None = None, embedder=None, quick_start: bool = False,
             llm: LLMSettings = LLMSettings(), on_lock_wait: Callable[[], None] | None = None) -> Engine:
        """`quick_start` (the CLI's one-shot use) embeds queries without loading torch: a faster
        start, slower queries. A long-lived engine loads torch once and answers faster. `embedder`: a
        loaded embedder (tests inject one); an embedder's name goes in `settings`. `on_lock_wait` is
        called when the index must be built and another process is writing it (a first index of a big
        repository takes minutes: `rag ask` waited 9 minutes without a word, sweep 16)."""
        _check_open_arguments(settings, llm, embedder, index_dir, refresh)
        repo, within, index_dir = where_index(path, index_dir)
        options = IndexOptions(index_dir=index_dir)
        store = IndexStore(index_dir)
        extension = RetrievalExtension(settings, embedder, store.dir)
        if refresh or not store.exists() or _lacks_retrieval(store, extension.retrieval):
            index(repo, options, progress, on_lock_wait, extensions=[extension])
            changes = Changes()
        else:  # only an index we answer from as it is needs the look at what changed since
            # every byte hashed (sizes alone let a flipped byte through: README audit, sweep 11): 80-110 ms
            # for sympy's 73 MB index, once per engine
            changes = check(repo, options, [extension])
            if changes.damaged:
                raise store.damaged_error(changes.damaged)
        manifest = store.manifest()
        retriever = Retriever(store, manifest, settings, embedder=extension.embedder() if embedder else None)
        if not quick_start and settings.w_dense and hasattr(retriever.embedder(), "load"):
            retriever.embedder().load()
        return cls(repo, store, retriever, changes, llm, within)

    def scoped(self, within: str) -> Engine:
        """This engine answering only from under the folder `within` ("pkg/sub/") of its repository:
        one loaded index serves questions about any of its folders (`rag serve`)."""
        if not within or within == self.within:
            return self
        scoped = copy.copy(self)
        scoped.within = within
        return scoped

    def llm(self, adapter: str | None = None):
        """(model, adapter info) for an adapter choice ("auto", "none" or a directory; None: the settings')."""
        choice = adapter or self.llm_settings.adapter
        if choice not in self._llms:
            from rag.llm.adapters import AdapterInfo, AdapterStore
            from rag.llm.model import LocalLLM
            from rag.llm.prompt import SUMMARY_WORDS

            s = self.llm_settings
            info, path = None, None
            if choice == "auto":
                info = self.current_adapter()
                path = AdapterStore(self.store.dir).path(info) if info is not None else None
            if choice == "none" or choice == "auto" and info is None:
                # the model as it is: tuned when `rag finetune --merge` wrote it
                from rag.llm.adapters import merged_adapter
                from rag.llm.model import model_dir

                info = merged_adapter(model_dir(s.model))
            elif choice != "auto":
                from rag.llm.adapters import seal_damage

                damage = seal_damage(choice) if os.path.isdir(choice) else []
                if damage:  # the index's own adapter named by its path is checked as it is under "auto"
                    raise ConfigError(f"the adapter {choice} is damaged ({damage[0]})")
                path, info = choice, AdapterInfo(adapter=choice, base_model=s.model, snapshot="", created="",
                                                 candidates=0, prompt_tokens=s.prompt_tokens, summary_words=SUMMARY_WORDS,
                                                 label_form="plain")
            llm = LocalLLM.load(s.model, s.device, s.dtype, adapter=path)
            self._llms[choice] = (llm, info, path)
        return self._llms[choice][:2]

    def current_adapter(self):
        """The index's current adapter (its AdapterInfo) when it was trained for the model in use, else
        None; loads no model."""
        from rag.llm.adapters import AdapterStore

        store = AdapterStore(self.store.dir)
        info = store.current()
        ours = info is None or same_model(info.base_model, self.llm_settings.model)
        damage = store.adapter_damage() if ours else []  # one trained for another model is never loaded here
        if damage:
            raise ConfigError(f"the index's adapter is damaged ({damage[0]}): `rag finetune` trains a new one; "
                              "meanwhile ask without --llm, or with --adapter none")
        return info if info is not None and ours else None

    def ask(self, query: str, k: int = 10, level: str = "file", method: str = "hybrid",
            llm: bool = False, adapter: str | None = None, as_of: AsOf | None = None,
            run: ExampleSettings | None = None) -> AskResult:
        """`adapter` overrides the settings' choice for this question ("auto", "none" or a directory);
        `as_of` asks as at a past time: only older commits count as similar past changes (evaluation);
        `run`: run the Python example of the report in the repository's own interpreter first, and weigh
        the code it called as evidence (rag/reproduce/run.py: it runs code from the report)."""
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise QueryError(f"k must be a positive whole number, not {k!r}")
        if as_of is not None and not isinstance(as_of, AsOf):
            raise QueryError(f"as_of must be an AsOf (rag.retrieval.past_changes), not {type(as_of).__name__}")
        if level not in LEVELS:
            raise QueryError(f"unknown level {level!r}: use one of {', '.join(LEVELS)}")
        if method not in METHODS:
            raise QueryError(f"unknown method {method!r}: use one of {', '.join(METHODS)}")
        if llm and level != "file":  # its prompts list files; folders were asked as if they were files
            raise QueryError(LLM_FILES_ONLY)
        roles = ", ".join(self.retriever.settings.roles)
        if not self.retriever.files:
            raise RepoError(f"nothing in {self.repo} can be an answer: of its {len(self.retriever.modules)} "
                            f"indexed modules none is a {roles} file (tests, examples and docs never are; "
                            "`rag modules --all` lists them)")
        if self.within and not any(f.startswith(self.within) for f in self.retriever.files):
            if any(f.startswith(self.within) for f in self.stale.added):
                raise RepoError(f"nothing in {self.within} is indexed yet: its files were added since the index was "
                                "built (`rag index`, or `rag ask --refresh`, brings them in)")
            raise RepoError(f"nothing in {self.within} can be an answer: it holds no indexed {roles} file "
                            "(tests, examples and docs never are; ask about the whole repository instead)")
        if level == "dir" and not any(
                m.id.startswith(self.within)
                and (m.kind == "named" or m.kind == "directory" and m.role in self.retriever.settings.roles)
                for m in self.retriever.modules.values()):
            raise QueryError(f"{self.within or 'this repository'} has no folder to rank: its code is all at its "
                             "top level, which is no module; ask with --level file")
        if run is not None and not isinstance(run, ExampleSettings):
            raise QueryError(f"run must be an ExampleSettings (rag.settings), not {type(run).__name__}")
        query = readable(query)
        example, run_ms = None, None
        if run is not None:
            from rag.reproduce.run import run_example

            run_start = time.perf_counter()
            example = run_example(self.repo, query, self.retriever.files, run)
            run_ms = round((time.perf_counter() - run_start) * 1000, 1)
        executed = example.called if example is not None and example.counts else None
        start = time.perf_counter()
        parsed = self.retriever.parse(query)
        pool_size = self.retriever.settings.confidence_pool
        if self.within:  # the folder's answer is weighed against the whole repository's candidates too
            pool, whole = self.retriever.search_within(parsed, max(k, pool_size), level, method, self.within, as_of,
                                                       pool_size, executed)
        else:
            pool, whole = self.retriever.search(parsed, k=max(k, pool_size), level=level, method=method,
                                                as_of=as_of, executed=executed), []
        retrieve_ms = (time.perf_counter() - start) * 1000
        candidates = pool[:k]
        answer = None
        warnings = []
        timing = {"retrieve": round(retrieve_ms, 1)} | ({"run": run_ms} if run_ms is not None else {})
        if candidates:  # over a fixed pool, so that it does not depend on how many candidates are shown
            import numpy as np

            share = round(float(softmax_top(np.array([c.score for c in pool[:pool_size]]))[0]), 4)
        model_use = self.model_use(adapter) if llm else None
        if llm and candidates:
            llm_start = time.perf_counter()
            pick = self._llm_answer(parsed, candidates, adapter, model_use.fusion_weight)
            answer, candidates = pick.answer, pick.candidates
            warnings += pick.notes
            if not model_use.tuned:
                from rag.llm.adapters import AdapterStore

                other = AdapterStore(self.store.dir).current()  # the index's adapter, for another model
                how = (f"this index's adapter is for {other.base_model}: ask with --model {other.base_model}"
                       if other is not None and (adapter or self.llm_settings.adapter) == "auto"
                       else "`rag finetune` tunes it")
                warnings.append(f"the model is not tuned for this repository ({how}): its scores "
                                f"are fused with retrieval's at weight {model_use.fusion_weight}")
            elif note := _held_out_note(self.llm(adapter)[1].held_out):
                warnings.append(note)
            timing["llm"] = round((time.perf_counter() - llm_start) * 1000, 1)
            if pick.query_truncated:
                warnings.append("the query did not fit the model's prompt budget: only its start was used")
            if answer is None:
                warnings.append("the model abstained: none of the candidates fits with enough confidence")
        elif candidates:
            if self.within:  # shared among the folder's files alone, a folder that matches nothing says 1.0
                share = min(share, self._share_in_repository(pool[0], whole, warnings))
            confidence, calibrated = answer_confidence(share, method, level, len(query))
            answer = Answer(candidates[0].module, confidence, share, calibrated)
        if parsed.truncated:
            warnings.append(f"the query was longer than {MAX_QUERY_CHARS:,} characters: only its start and its end "
                            "(where a traceback ends) were read")
        if not (has_evidence(parsed) and self.retriever.matches_the_index(parsed)) and answer is not None:
            answer = replace(answer, confidence=0.0)
            warnings.append("no evidence: nothing in the question names code or matches a word of the index once "
                            "template, markup and environment lines are set aside; the candidates are guesses")
        if self.stale.stale:
            warnings.append(f"{self.stale_note()}; answering from it (--refresh updates it first)")
        if example is not None and example.passed_over:
            warnings.append(f"--run: {example.passed_over}: the example ran in {example.python} (--python chooses)")
        if example is not None and not example.counts:
            warnings.append(example.note())  # the answer is retrieval's alone: said where a person looks
        timing["total"] = round((time.perf_counter() - start) * 1000 + (run_ms or 0), 1)
        return AskResult(query=query, level=level, method=f"{method}+llm" if llm else method, answer=answer,
                         candidates=candidates, timing_ms=timing, warnings=warnings, model=model_use, example=example)

    def _share_in_repository(self, best: Candidate, whole: list[Candidate], warnings: list) -> float:
        """The share of the folder's best answer among the whole repository's candidates (`whole`, as
        many as the confidence pool); says when something outside matches better."""
        import numpy as np

        pool_size = self.retriever.settings.confidence_pool
        if whole and whole[0].score > best.score and not whole[0].module.startswith(self.within):
            warnings.append(f"{whole[0].module}, outside {self.within}, matches the question better than anything "
                            "in it")
        others = [c.score for c in whole if c.module != best.module][: pool_size - 1]
        return round(float(softmax_top(np.array([best.score] + others))[0]), 4)

    def stale_note(self) -> str | None:
        """What changed since the index was built, as a user is told it; None when it is fresh."""
        if not self.stale.stale:
            return None
        changed = len(self.stale.added) + len(self.stale.modified) + len(self.stale.deleted)
        what = self.stale.reason or "; ".join(
            ([f"{changed} file{'s' if changed > 1 else ''} changed"] if changed else []) + ([self.stale.history] if self.stale.history else []))
        built_from = self.retriever.manifest.root
        if built_from and built_from != os.path.realpath(self.repo):  # a copied index, or another repository's
            what += f"; it was built from {built_from}"
        return f"the index is stale ({what})"

    def model_use(self, adapter: str | None = None) -> ModelUse:
        """The model an LLM answer uses for an adapter choice, and how its scores meet retrieval's: an
        untuned model ranks far below retrieval alone, so by default it only re-weighs retrieval's order."""
        s = self.llm_settings
        _, info = self.llm(adapter)
        path = self._llms[adapter or s.adapter][2]  # None for an adapter merged into the model
        return ModelUse(name=s.model, adapter=path, tuned=info is not None, fusion_weight=s.fusion_weight)

    def llm_prompt(self, query, candidates: list[Candidate], adapter: str | None = None):
        """(prompt, the candidates it lists, the ones left out, notes): what the LLM is asked about
        `query` (text or parsed) and retrieval's `candidates`, in the shape its adapter was trained on
        (as many candidates, tokens and summary words, ranks and definitions shown or not), else in the
        shape of the settings."""
        from rag.llm.listing import listing
        from rag.llm.prompt import SUMMARY_WORDS, render

        s = self.llm_settings
        parsed = self.retriever.parse(query) if isinstance(query, str) else query
        model, info = self.llm(adapter)
        notes, budget, words, rest = [], s.prompt_tokens, SUMMARY_WORDS, []
        ranks, definitions = s.prompt_ranks, s.prompt_definitions
        if info is not None:  # the prompt shape it was trained on
            budget, words, ranks, definitions = info.prompt_tokens, info.summary_words, info.ranks, info.definitions
            if info.candidates:
                candidates, rest = candidates[: info.candidates], candidates[info.candidates:]
            if info.snapshot and info.snapshot != self.store.manifest().snapshot:
                notes.append("the fine-tuned adapter was trained on an older index; `rag finetune` refreshes it")
        modules = [c.module for c in candidates]
        listed = listing(self.retriever, self.repo, parsed, modules,
                         {m: i + 1 for i, m in enumerate(modules)} if ranks else None, definitions)
        prompt = render(model.tokenizer, parsed.text, listed, budget, think=s.think, summary_words=words)
        return prompt, candidates, rest, notes

    def _llm_answer(self, parsed, candidates: list[Candidate], adapter: str | None,
                    fusion_weight: float | None) -> _ModelPick:
        """The model's pick among the candidates (re-ranked by its probabilities), or its decoded
        answer over every module ID of the index with scope "all". An adapter lists as many candidates,
        in as many tokens, as it was trained with; the others follow in retrieval order."""
        import numpy as np

        from rag.llm.ranker import constrained_decode, generate_rationale, score_options
        from rag.llm.prompt import ABSTAIN, after_rationale

        s = self.llm_settings
        model, info = self.llm(adapter)
        prompt, candidates, rest, notes = self.llm_prompt(parsed, candidates, adapter)
        text, reasoning = prompt.text, []
        if s.think:
            rationale = generate_rationale(model, text, s.think_tokens)
            text += after_rationale(rationale)
            reasoning = [f"model's reasoning: {rationale}"] if rationale else []
        if s.scope == "all":
            options = sorted(m.id for m in self.retriever.modules.values() if m.kind == "file") + [ABSTAIN]
            pick = constrained_decode(model, text, options)
            if pick == ABSTAIN:
                return _ModelPick(None, candidates + rest, prompt.query_truncated, notes)
            return _ModelPick(Answer(pick, 1.0), self._pick_first(pick, candidates + rest, reasoning),
                              prompt.query_truncated, notes)
        options = [c.module for c in candidates] + [ABSTAIN]
        logprobs = score_options(model, text, options)
        if not np.isfinite(logprobs).all():  # NaN weights (a damaged adapter) score every option NaN
            raise ConfigError(f"the model {'with its adapter ' if info is not None else ''}gives non-finite scores: "
                              "its weights are damaged (train the adapter again, or ask with --adapter none)")
        probs = softmax_top(logprobs)  # with the abstention: decides whether to answer
        among = softmax_top(logprobs[:-1])  # among the candidates only
        if fusion_weight is None:
            order_scores = among
        else:  # the retrieval signal fused explicitly: the model errs where retrieval does not
            retrieval = np.array([c.score for c in candidates])
            order_scores = softmax_top(standardise(retrieval) + fusion_weight * standardise(logprobs[:-1]))
        ranked = []
        for rank, i in enumerate(np.argsort(-order_scores, kind="stable")):
            c = candidates[i]
            ranked.append(Candidate(c.module, c.kind, round(float(order_scores[i]), 4), c.summary,
                                    c.why + [f"model probability {among[i]:.2f} among the candidates"]
                                    + (reasoning if rank == 0 else [])))
        ranked += [Candidate(c.module, c.kind, 0.0, c.summary, c.why + ["not shown to the model"]) for c in rest]
        # the model's own "none of these" counts when it orders alone (a tuned adapter learned to say it);
        # fused, an untuned model's abstention is not calibrated and would only hide retrieval's answer
        if (fusion_weight is None and probs[-1] == probs.max()) or probs[:-1].max() < s.min_confidence:
            return _ModelPick(None, ranked, prompt.query_truncated, notes)
        return _ModelPick(Answer(ranked[0].module, round(float(order_scores.max()), 4)), ranked,
                          prompt.query_truncated, notes)


    def _pick_first(self, pick: str, candidates: list[Candidate], reasoning: list[str]) -> list[Candidate]:
        """The model's answer over all modules leads the list, the others follow in retrieval order.

        It takes the top score, so that scores still read from high to low; its why keeps the
        retrieval's own score and rank, or says that retrieval did not find it."""
        rank = next((i for i, c in enumerate(candidates) if c.module == pick), None)
        top_score = candidates[0].score if candidates else 0.0
        if rank is None:
            module = self.retriever.modules[pick]
            chosen = Candidate(pick, module.kind, top_score, module.summary,
                               ["the model's answer over all modules; not among the retrieved candidates"] + reasoning)
        else:
            c = candidates[rank]
            chosen = Candidate(pick, c.kind, top_score, c.summary,
                               c.why + [f"the model's answer over all modules (retrieval rank {rank + 1}, "
                                        f"score {c.score:.3f})"] + reasoning)
        return [chosen] + [c for c in candidates if c.module != pick]


LLM_FILES_ONLY = "--llm answers at file level only, for now"


def same_model(a: str, b: str) -> bool:
    """Whether two names of a model are one model: the same name, or paths to one directory
    (`--model dir/`, `./dir` and `dir` are one model, and its adapter is theirs).

    >>> same_model("SmolLM2-135M-Instruct", "SmolLM2-135M-Instruct"), same_model("/tmp/", "/tmp/../tmp")
    (True, True)
    """
    return a == b or os.path.isdir(a) and os.path.isdir(b) and os.path.realpath(a) == os.path.realpath(b)


def embedder_change(path: str, index_dir: str | None, settings: RetrievalSettings) -> tuple[str, str] | None:
    """(the embedder the index at `path` was built with, the one `settings` choose) when opening it
    with them would re-embed it; None when they agree or there is no index yet."""
    from rag.embedding.embedder import built_embedder, choose_embedder

    index_dir = where_index(path, index_dir)[2]
    built = built_embedder(index_dir)
    if built is None:
        return None
    asked = choose_embedder(settings.embedder, index_dir)
    return None if asked == built else (built, asked)


def _lacks_retrieval(store: IndexStore, settings: RetrievalSettings) -> bool:
    """An index written without the retrieval part (or with other retrieval settings) must be rebuilt."""
    try:
        manifest = store.manifest()
    except RagError:
        return True
    return manifest.settings.get("extensions", {}).get("retrieval") != as_stored(settings.index_settings())


def _check_open_arguments(settings, llm, embedder, index_dir, refresh) -> None:
    """ConfigError for arguments of the wrong kind, before anything is read: each would otherwise fail
    later as an AttributeError deep inside (`embedder="all-MiniLM-L6-v2"` at the first question)."""
    if index_dir is not None and not isinstance(index_dir, (str, os.PathLike)):
        raise ConfigError(f"index_dir must be a path, not {type(index_dir).__name__}")
    if not isinstance(refresh, bool):
        raise ConfigError(f"refresh must be True or False, not {refresh!r}")
    if not isinstance(settings, RetrievalSettings):
        raise ConfigError(f"settings must be a RetrievalSettings, not {type(settings).__name__}")
    if not isinstance(llm, LLMSettings):
        raise ConfigError(f"llm must be an LLMSettings, not {type(llm).__name__}")
    if embedder is not None and not callable(getattr(embedder, "embed_query", None)):
        raise ConfigError(f"embedder takes a loaded embedder, not {type(embedder).__name__}: an embedder's name "
                          "goes in settings=RetrievalSettings(embedder=...)")


def _held_out_note(check) -> str | None:
    """What `rag finetune`'s held-out check of an adapter (its record's `held_out`) means for an answer
    with it: a warning unless it was clearly better than retrieval alone. A record without a readable
    check (an older adapter, a hand-edited file) gives none."""
    try:
        if check is None or check["clearly_better"]:
            return None
        return (f"on {check['queries']} held-out commit{'' if check['queries'] == 1 else 's'} of this repository the tuned model was not clearly better "
                f"than retrieval alone (Acc@1 {check['llm']['acc1']} against {check['retrieval']['acc1']}; "
                f"{check['better']} better, {check['worse']} worse; `rag finetune`'s check)")
    except (KeyError, TypeError):
        return None

