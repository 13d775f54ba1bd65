"""Typed answers of `rag ask`, with the same fields as its JSON.

`Engine.ask` returns an `AskResult`: the answer (the module most likely to handle the question, with
a confidence), the ranked candidates with the evidence for each, and how long it took. `to_dict()` is
the object `rag ask --json` prints:

>>> result = AskResult(
...     query="progress bar flickers", level="file", method="hybrid",
...     answer=Answer("rich/progress.py", 0.94),
...     candidates=[Candidate("rich/progress.py", "file", 12.4, "Python file defining Progress, Task.",
...                           ["keywords: progress, bar"]),
...                 Candidate("rich/live.py", "file", 8.8, "Python file defining Live.")],
...     timing_ms={"retrieve": 21.0, "total": 21.3})
>>> result.answer.module
'rich/progress.py'
>>> [c.module for c in result.candidates]
['rich/progress.py', 'rich/live.py']
>>> sorted(result.to_dict())
['answer', 'candidates', 'level', 'method', 'query', 'timing_ms', 'warnings']
>>> result.to_dict()["candidates"][0]["why"]
['keywords: progress, bar']

Warnings (a stale index, no evidence in the question) are for a person and stay out of the JSON;
`model` appears only when the LLM answered, `example` only when the report's example was run (`--run`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rag.reproduce.run import ExampleRun


@dataclass
class Candidate:
    module: str
    kind: str
    score: float
    summary: str
    why: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"module": self.module, "kind": self.kind, "score": self.score, "summary": self.summary,
                "why": list(self.why)}


@dataclass
class Answer:
    """The module most likely to handle the question. `confidence`: for a hybrid answer at file level,
    the estimated chance that it is right (rag/retrieval/confidence.py; `calibrated`); otherwise
    retrieval's `share` (the top score's softmax share among the first ten), or for an answer the LLM
    picked the model's own score: both order answers, neither is a probability. `share` is None when
    the LLM answered."""
    module: str
    confidence: float
    share: float | None = None
    calibrated: bool = False

    def to_dict(self) -> dict:
        return {"module": self.module, "confidence": self.confidence, "share": self.share,
                "calibrated": self.calibrated}


@dataclass
class ModelUse:
    """Which LLM answered, and whether it was tuned for this repository (`rag finetune`)."""
    name: str
    adapter: str | None  # the LoRA adapter's directory, None for the base model
    tuned: bool
    fusion_weight: float | None  # its scores fused with retrieval's at this weight; None: the model alone

    def to_dict(self) -> dict:
        return {"name": self.name, "adapter": self.adapter, "tuned": self.tuned, "fusion_weight": self.fusion_weight}


@dataclass
class AskResult:
    query: str
    level: str
    method: str
    answer: Answer | None  # None when the engine abstains
    candidates: list[Candidate]
    timing_ms: dict[str, float]
    warnings: list[str] = field(default_factory=list)  # said to a person on stderr, not part of the JSON
    model: ModelUse | None = None  # with --llm
    example: ExampleRun | None = None  # with --run: what running the report's example did

    @classmethod
    def from_dict(cls, d: dict, warnings: list[str] = ()) -> AskResult:
        """The inverse of `to_dict` (what a running `rag serve` sends back to `rag ask`)."""
        answer, model = d.get("answer"), d.get("model")
        return cls(query=d["query"], level=d["level"], method=d["method"],
                   answer=Answer(**answer) if answer else None,
                   candidates=[Candidate(**c) for c in d["candidates"]], timing_ms=dict(d["timing_ms"]),
                   warnings=list(warnings), model=ModelUse(**model) if model else None)

    def to_dict(self) -> dict:
        out = {"query": self.query, "level": self.level, "method": self.method,
               "answer": self.answer.to_dict() if self.answer else None,
               "candidates": [c.to_dict() for c in self.candidates], "timing_ms": dict(self.timing_ms),
               "warnings": list(self.warnings)}  # what stderr says, for a program reading the JSON (sweep 17)
        if self.model is not None:
            out["model"] = self.model.to_dict()
        if self.example is not None:
            out["example"] = self.example.to_dict()
        return out
