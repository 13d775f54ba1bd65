"""What retrieval's confidence means: the chance that its first answer is right.

Retrieval first measures how far its top file stands out: the top score's share of a softmax over the
first ten fused scores (`share`). The share orders answers well but is no probability, and the same
share means less for a pasted issue report than for a one-line question: at a share of 0.99 or more
the first answer was right for 94-99% of the commit messages of the dev sets and 81-83% of the issue
reports; between 0.8 and 0.95 for 50-100% and 30-43%. So the share is mapped to a probability by Platt
scaling with the question's length as a second input,

    confidence = 1 / (1 + exp(-(a * logit(share) + b * ln(characters) + c)))

fit by logistic regression on questions with known answers (`python bench/calibration.py`: the commit
messages of rich, scrapy and networkx and the astropy + sympy issue reports; checked on the reports of
seven other repositories, where the expected calibration error fell from 0.18 to 0.09 with rag 0.1.29). A new fit
replaces the three numbers below. The map is monotone in the share: it changes what the number says,
never which answer comes first.

It was fit on hybrid answers at file level, so only those are calibrated; other methods and levels
keep the share, and answers the LLM picked the model's own score, and say so (`Answer.calibrated`).

>>> round(HYBRID_FILES.probability(0.99, 60), 2), round(HYBRID_FILES.probability(0.99, 3000), 2)
(0.84, 0.67)
>>> HYBRID_FILES.probability(0.5, 100) < HYBRID_FILES.probability(0.9, 100)
True
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from rag.retrieval.question import MAX_QUERY_CHARS

# a share of exactly 0 or 1 has no logit; a softmax over ten finite scores never quite gives either
_EDGE = 1e-6


@dataclass(frozen=True)
class Calibration:
    """Platt scaling of the softmax share, with the question's length (characters) as a second input."""
    share_weight: float
    length_weight: float
    bias: float

    @staticmethod
    def inputs(share: float, characters: int) -> tuple[float, float]:
        """What the map reads, and what bench/calibration.py fits on: logit(share) and ln(characters).
        Past MAX_QUERY_CHARS only a question's start and end are read, and no question that long was
        fit on: a longer paste counts as that long."""
        share = min(max(share, _EDGE), 1 - _EDGE)
        return math.log(share / (1 - share)), math.log(min(max(characters, 1), MAX_QUERY_CHARS))

    def probability(self, share: float, characters: int) -> float:
        logit, length = self.inputs(share, characters)
        return 1 / (1 + math.exp(-(self.share_weight * logit + self.length_weight * length + self.bias)))


# below this a calibrated answer is a coin toss or worse: on the issue reports its first answer was right
# 40-45% of the time and the first three held the fixed file 64-70% (rag 0.1.29, bench/README.md), so `rag ask` says so
UNSURE_BELOW = 0.5

# `python bench/calibration.py`, 2026-12-06, rag 0.1.29: 693 questions (539 commit messages, 154 issue reports);
# refit when long questions got their own BM25, which moved the shares of reports (0.1.26: 0.391, -0.189, 0.655)
HYBRID_FILES = Calibration(share_weight=0.363, length_weight=-0.235, bias=0.926)


def answer_confidence(share: float, method: str, level: str, characters: int) -> tuple[float, bool]:
    """(confidence, calibrated) of retrieval's first answer to a question of `characters` characters.

    >>> answer_confidence(0.9, "hybrid", "file", 10**6) == answer_confidence(0.9, "hybrid", "file", MAX_QUERY_CHARS)
    True
    >>> answer_confidence(0.9, "hybrid", "dir", 100)
    (0.9, False)
    """
    if method == "hybrid" and level == "file":
        return round(HYBRID_FILES.probability(share, characters), 4), True
    return share, False
