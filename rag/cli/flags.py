"""Command-line flags made from settings fields (`graph/settings_model.py`): a default and its help are
written once, on the dataclass, and `--help` shows them from there.

A flag can stand for the same field of several settings classes, each with its own default, as
`rag finetune --epochs` does for the LLM adapter (2) and `--retriever` (1): its help lists each
default. A flag left out stays `None`, so that `settings_from_args` takes the class's own default.
"""
from __future__ import annotations

import argparse
import typing

from rag.cli.common import non_negative_int, positive_float, positive_int
from graph.settings_model import described, value_type


def flag_name(cls, name: str) -> str:
    return described(cls)[name].metadata.get("flag") or "--" + name.replace("_", "-")


def add_setting_flag(parser, name: str, *classes: tuple[type, str], help: str | None = None) -> None:
    """Add the flag for field `name` of the first class; `classes` pairs each class with when its
    default applies ("" for the plain case, e.g. "with --retriever"); `help` for another command's wording
    than the setting's own."""
    first = classes[0][0]
    f = described(first)[name]
    kind = value_type(first, name)
    separator = f.metadata.get("separator")
    defaults = []
    for cls, when in classes:
        default = getattr(cls(), name)
        shown = (f"{default:g}" if isinstance(default, float) else
                 separator.join(map(str, default)) if separator and isinstance(default, tuple) else str(default))
        defaults.append(f"{when} {shown}".strip())
    options = {"dest": name, "default": None, "help": help or f.metadata["help"]}
    flag = flag_name(first, name)
    if kind is bool:  # a switch: on (`--qlora`), or off for a setting that is on unless told (`--no-history`)
        off = flag.startswith("--no-")
        parser.add_argument(flag, action="store_const", const=not off, **options)
        return
    is_tuple = typing.get_origin(kind) is tuple
    if is_tuple and not separator:  # a repeatable flag, each time one more value
        parser.add_argument(flag, action="append", metavar=f.metadata.get("metavar"), **options)
        return
    if is_tuple:  # one value holding the items: `-k 1,3,5`
        options["type"] = separated(typing.get_args(kind)[0], separator)
    elif f.metadata.get("choices"):
        options["choices"] = f.metadata["choices"]
    elif kind is int:
        options["type"] = non_negative_int if f.metadata.get("zero_allowed") else positive_int
    else:
        options["type"] = {float: positive_float}.get(kind, kind)
    options["metavar"] = f.metadata.get("metavar")
    if any(defaults):  # an empty default is said by the help itself ("default: the repository's …")
        options["help"] += f" (default {'; '.join(defaults)})"
    parser.add_argument(flag, **options)


def separated(item_type: type, separator: str):
    """An argparse type: the items of one value, each read as `item_type`, empty items skipped."""
    def parse(text: str) -> tuple:
        try:
            return tuple(item_type(part.strip()) for part in text.split(separator) if part.strip())
        except ValueError:
            what = "whole numbers" if item_type is int else f"{item_type.__name__} values"
            raise argparse.ArgumentTypeError(f"takes {what} separated by {separator!r}, not {text!r}") from None
    return parse


def settings_from_args(cls, args, names: list[str], **fixed):
    """An instance of `cls` with the values the command line gave for `names` (the class's defaults for
    the others) and `fixed` ones; a value the class refuses is one line naming its flag (when one flag was
    given: the class's message names the settings of a rule between several, and prefixing every flag
    given, as `--methods, --level, -k:`, blamed ones that had nothing to do with it)."""
    from graph.errors import ConfigError

    given = {n: tuple(v) if isinstance(v, list) else v
             for n in names if (v := getattr(args, n, None)) is not None}
    try:
        return cls(**given, **fixed)
    except ValueError as e:
        flags = [flag_name(cls, n) for n in given if n in described(cls)]
        raise ConfigError(f"{flags[0]}: {e}" if len(flags) == 1 else str(e)) from None
