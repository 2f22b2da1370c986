"""A workflow record and its stored form: ``workflow.audit.plain`` writes a frozen dataclass
as JSON-ready data (the audit trail uses the same form); ``from_plain`` reads it back, led by
the dataclass's type hints, so adding a field to a record needs no storage code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from collections.abc import Callable
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


Decode = Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


def _optional(inner: Decode) -> Decode:
    return lambda v: None if v is None else inner(v)


def _converter(hint: Any) -> Decode:
    """A function turning the stored form of a ``hint``-typed field back into its value,
    chosen once per field (decoding a million records field by field must be quick)."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _optional(_converter(options[0])) if len(options) == 1 else _same
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])
            return lambda v: tuple(item(x) for x in v)
        items = [_converter(a) for a in args]
        return lambda v: tuple(f(x) for f, x in zip(items, v, strict=True))
    if origin is not None:  # Mapping[...] and the like travel as they are
        return _same
    if dataclasses.is_dataclass(hint):
        return lambda v: from_plain(hint, v)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint
        if issubclass(hint, dt.datetime):
            return lambda v: v if isinstance(v, dt.datetime) else dt.datetime.fromisoformat(v)
        if issubclass(hint, dt.date):
            return lambda v: v if isinstance(v, dt.date) else dt.date.fromisoformat(v)
        if issubclass(hint, Decimal):
            return lambda v: v if isinstance(v, Decimal) else Decimal(v)
    return _same


@functools.cache
def _decoders(cls: type) -> dict[str, Decode]:
    hints = typing.get_type_hints(cls)
    return {f.name: _optional(_converter(hints[f.name]))
            for f in dataclasses.fields(cls)}  # type: ignore[arg-type]


def from_plain(cls: type[T], data: dict[str, Any]) -> T:
    """The record of type ``cls`` that ``plain`` turned into ``data``.

    >>> from loanwatch.workflow.audit import plain
    >>> from loanwatch.workflow.tasks import Finding
    >>> f = Finding(by="li", at=dt.datetime(2026, 1, 5, 9), text="ok")
    >>> from_plain(Finding, plain(f)) == f
    True
    """
    decoders = _decoders(cls)
    return cls(**{k: decoders[k](v) for k, v in data.items() if k in decoders})
