"""How settings are declared, shown and stored: a documented field, a flag made from it, a JSON record.

Each settings dataclass (`RetrievalSettings`, `TrainSettings`, `ServeSettings`, …) is the one source
of truth for its values. A field declared with `setting()` carries its help text, so that the command
line (`rag/cli/flags.py`) takes the flag's type, default and help from it instead of repeating them;
`to_record` / `from_record` write and read a settings object as versioned JSON (saved beside what it
made: an adapter, a tuned embedder), refusing a record it cannot read instead of guessing.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Greeting:
...     times: int = setting(2, "how often to greet", metavar="N")
...     loud: bool = setting(False, "shout")
>>> record = to_record(Greeting(times=3))
>>> record
{'kind': 'Greeting', 'version': 1, 'values': {'times': 3, 'loud': False}}
>>> from_record(Greeting, record)
Greeting(times=3, loud=False)
>>> from_record(Greeting, {**record, "version": 2})
Traceback (most recent call last):
...
ValueError: Greeting settings of version 2 cannot be read by this rag (it reads version 1): upgrade rag
"""
from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import field

RECORD_VERSION = 1


def setting(default, help: str, *, metavar: str | None = None, choices: tuple | None = None, flag: str | None = None,
            zero_allowed: bool = False, separator: str | None = None):
    """A settings field with the text a person reads about it (`--help`, the README's tables).

    `flag` names its command-line flag when the field's name does not (`--no-history` for `history`);
    a number must be 1 or more unless `zero_allowed`; a tuple with a `separator` is given as one value
    (`-k 1,3,5`), else one flag per item."""
    metadata = {"help": help, "metavar": metavar, "choices": choices, "flag": flag, "zero_allowed": zero_allowed,
                "separator": separator}
    if isinstance(default, (list, dict, set)):
        raise TypeError("a setting's default must be immutable (a tuple, not a list)")
    return field(default=default, metadata=metadata)


def described(cls) -> dict[str, dataclasses.Field]:
    """The fields of a settings class that carry help, by name."""
    return {f.name: f for f in dataclasses.fields(cls) if "help" in f.metadata}


def value_type(cls, name: str) -> type:
    """A field's type with `None` taken out (`float | None` is float)."""
    hint = typing.get_type_hints(cls)[name]
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args and typing.get_origin(hint) in (typing.Union, types.UnionType) else hint


def to_record(settings) -> dict:
    """The settings as JSON-ready data: which class, which version of the record, every value."""
    values = {f.name: _jsonable(getattr(settings, f.name)) for f in dataclasses.fields(settings)}
    return {"kind": type(settings).__name__, "version": RECORD_VERSION, "values": values}


def from_record(cls, record: dict):
    """The settings a record holds; ValueError with one line if it is of another kind, a newer version,
    or names a value this version does not know (a silently dropped setting would change behaviour)."""
    if not isinstance(record, dict) or record.get("kind") != cls.__name__:
        raise ValueError(f"not a record of {cls.__name__} settings")
    if record.get("version") != RECORD_VERSION:
        raise ValueError(f"{cls.__name__} settings of version {record.get('version')} cannot be read by this rag "
                         f"(it reads version {RECORD_VERSION}): upgrade rag")
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(record.get("values", {})) - set(known))
    if unknown:
        raise ValueError(f"{cls.__name__} settings name values this rag does not know: {', '.join(unknown)}")
    values = {}
    for name, value in record.get("values", {}).items():
        default = getattr(cls(), name)
        values[name] = tuple(value) if isinstance(default, tuple) and isinstance(value, list) else value
    return cls(**values)


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value
