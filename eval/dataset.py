"""Labeled-query sets (JSONL): `query` plus `gold_files` and/or `gold_modules`; other fields kept.

A malformed line is an error that names its line number. Gold modules may be module IDs
(`scrapy/http/`) or dotted Python names (`scrapy.http.request`), which are mapped to files.
"""
from __future__ import annotations

import json
import os
import posixpath
from dataclasses import dataclass, field

from graph.errors import RagError
from graph.history import commit_time
from rag.retrieval.past_changes import AsOf


class DatasetError(RagError):
    """The labeled-query file cannot be read as DESIGN.md defines it."""


@dataclass
class LabeledQuery:
    line: int
    query: str
    gold_files: list[str]
    gold_modules: list[str] = field(default_factory=list)
    extra: dict = field(default_factory=dict)  # every other field, kept as it was
    id: str = ""
    # when the query was asked (its `date`, or a dev set's `meta.date`), and its own `commit`: only
    # older history is evidence for it (rag/retrieval/past_changes.py), so no query sees its own commit
    as_of: AsOf | None = None


def read_lines(path: str, missing: str, error: type[RagError] = RagError) -> list[str]:
    """A UTF-8 text file's lines (a byte-order mark, as Windows editors write, left out); a file that is
    not there or cannot be read is one clear `error`."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            return fh.read().splitlines()
    except FileNotFoundError:
        raise error(missing) from None
    except (OSError, UnicodeDecodeError) as e:
        raise error(f"cannot read {path}: {e}") from None


def load_labeled(path: str) -> list[LabeledQuery]:
    lines = read_lines(path, f"no such labeled-query file: {path}", DatasetError)
    out = []
    for number, text in enumerate(lines, 1):
        if not text.strip():
            continue
        try:
            row = json.loads(text)
        except json.JSONDecodeError as e:
            raise DatasetError(f"{path}:{number}: not valid JSON ({e.msg})") from None
        out.append(_parse_row(row, path, number))
    if not out:
        raise DatasetError(f"{path} holds no labeled queries")
    first_line: dict[str, int] = {}
    for q in out:  # `rag eval --compare` matches two runs' questions by id
        if q.id and first_line.setdefault(q.id, q.line) != q.line:
            raise DatasetError(f"{path}:{q.line}: id {q.id!r} is already the id of line {first_line[q.id]}")
    return out


def labeled_from_rows(rows: list[dict], source: str) -> list[LabeledQuery]:
    """Labeled queries from rows already in memory (e.g. rag.commit_queries.mine's); `source` names them in errors."""
    return [_parse_row(row, source, number) for number, row in enumerate(rows, 1)]


def _parse_row(row, path: str, number: int) -> LabeledQuery:
    where = f"{path}:{number}"
    if not isinstance(row, dict):
        raise DatasetError(f"{where}: a line must be a JSON object")
    query = row.get("query")
    if not isinstance(query, str) or not query.strip():
        raise DatasetError(f"{where}: 'query' must be a non-empty string")
    golds = {}
    for key in ("gold_files", "gold_modules"):
        value = row.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise DatasetError(f"{where}: '{key}' must be a list of non-empty strings")
        if key == "gold_files":  # as a module ID is written: `./shop/cart.py` and `shop\cart.py` are shop/cart.py
            value = [_as_module_path(v) for v in value]
            if any(os.path.isabs(v) or v.startswith("../") for v in value):
                raise DatasetError(f"{where}: 'gold_files' are paths inside the repository, not {value[0]!r}")
        golds[key] = value
    if not golds["gold_files"] and not golds["gold_modules"]:
        raise DatasetError(f"{where}: needs 'gold_files' or 'gold_modules'")
    extra = {k: v for k, v in row.items() if k not in ("query", "gold_files", "gold_modules")}
    return LabeledQuery(number, query, golds["gold_files"], golds["gold_modules"], extra, "" if row.get("id") is None else str(row["id"]),
                        _as_of(row, where))


def _as_of(row: dict, where: str) -> AsOf | None:
    meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
    date = row.get("date", meta.get("date"))
    if date is None:
        return None
    try:
        time = commit_time(date)
    except (TypeError, ValueError):
        raise DatasetError(f"{where}: 'date' must be an ISO 8601 date (2021-03-02T10:00:00+00:00), not {date!r}") from None
    commit = row.get("commit")
    return AsOf(time, commit if isinstance(commit, str) else "")


def gold_ids(q: LabeledQuery, known: set[str], files: set[str]) -> list[str]:
    """The module IDs a query's answer should be: its gold files, else its gold modules (IDs, or dotted
    Python names mapped to the file or package directory that defines them)."""
    if q.gold_files:
        return list(q.gold_files)
    out = []
    for m in q.gold_modules:
        if m in known:
            out.append(m)
            continue
        path = m.replace(".", "/")
        for candidate in (path + ".py", path + "/__init__.py", path + "/"):
            if candidate in known or candidate in files:
                out.append(candidate)
                break
        else:
            out.append(m)  # unknown: reported as missing from the index, scored as a miss
    return out


def _as_module_path(path: str) -> str:
    """`./shop/cart.py` -> `shop/cart.py`: a gold path as module IDs write it.

    >>> _as_module_path("./shop//cart.py"), _as_module_path("shop\\\\payment\\\\"), _as_module_path("shop/payment/")
    ('shop/cart.py', 'shop/payment/', 'shop/payment/')
    """
    folder = path.endswith(("/", "\\"))
    normal = posixpath.normpath(path.replace("\\", "/"))
    return normal + "/" if folder and normal != "." else normal
