"""The settings of `rag eval`: which methods are compared, at which level, cut off where.

A module of its own, importing nothing heavy, because the command line builds its flags from these
fields (`rag/cli/flags.py`) and `rag --help` must not load the evaluation code.
"""
from __future__ import annotations

from dataclasses import dataclass

from eval.methods import MethodError, get_method
from graph.settings_model import setting

LEVEL_CHOICES = ("file", "dir", "both")


@dataclass(frozen=True)
class EvalSettings:
    """What `rag eval` compares; the fields with help are its flags.

    >>> EvalSettings(k=(10, 1, 1)).k  # sorted, each once
    (1, 10)
    >>> EvalSettings(methods=("hybrid", "bm25", "hybrid")).methods  # each once, the first named first
    ('hybrid', 'bm25')
    >>> EvalSettings(level="both").levels
    ('file', 'dir')
    >>> EvalSettings(methods=("bm25", "nope"))
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'nope': one of ...
    """
    methods: tuple[str, ...] = setting(("bm25", "dense", "hybrid"), "the methods to compare, comma-separated",
                                       metavar="M,M,…", separator=",")
    level: str = setting("file", "rank files, directories, or both", choices=LEVEL_CHOICES)
    k: tuple[int, ...] = setting((1, 3, 5, 10), "cut-offs for Acc@k, comma-separated", metavar="K,K,…",
                                 flag="-k", separator=",")

    def __post_init__(self):
        if not self.methods:
            raise ValueError("name at least one method")
        object.__setattr__(self, "methods", tuple(dict.fromkeys(self.methods)))  # asked twice: run once
        for name in self.methods:
            try:
                get_method(name)  # an unknown name fails before any work
            except MethodError as e:
                raise ValueError(str(e)) from None
        if self.level not in LEVEL_CHOICES:
            raise ValueError(f"level must be one of {', '.join(LEVEL_CHOICES)}")
        if self.files_only and self.level == "dir":  # refused before any work, not after the first method ran
            raise ValueError(f"{', '.join(self.files_only)} rank(s) files only: --level file, or both (where "
                             "they are left out of the folder level)")
        object.__setattr__(self, "k", tuple(sorted(set(self.k))))
        if not self.k or self.k[0] < 1:
            raise ValueError("every cut-off must be 1 or more")

    @property
    def files_only(self) -> list[str]:
        """The methods that rank files only (the LLM's), left out of the folder level."""
        return [name for name in self.methods if "dir" not in get_method(name).levels]

    @property
    def levels(self) -> tuple[str, ...]:
        return ("file", "dir") if self.level == "both" else (self.level,)
