"""A workflow record and its stored form: ``workflow.audit.plain`` writes a frozen dataclass
as JSON-ready data (the audit trail uses the same form); ``from_plain`` reads it back, led by
the dataclass's type hints, so adding a field to a record needs no storage code."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import types
import typing
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar

T = TypeVar("T")


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(args[0], v) for v in value)
        return tuple(_decode(a, v) for a, v in zip(args, value, strict=True))
    if origin is not None:  # Mapping[...] and the like travel as they are
        return value
    if dataclasses.is_dataclass(hint):
        return from_plain(hint, value)
    if isinstance(hint, type):
        if issubclass(hint, Enum):
            return hint(value)
        if issubclass(hint, dt.datetime):
            return dt.datetime.fromisoformat(value)
        if issubclass(hint, dt.date):
            return dt.date.fromisoformat(value)
        if issubclass(hint, Decimal):
            return Decimal(value)
    return value


def from_plain(cls: type[T], data: dict[str, Any]) -> T:
    """The record of type ``cls`` that ``plain`` turned into ``data``.

    >>> from loanwatch.workflow.audit import plain
    >>> from loanwatch.workflow.tasks import Finding
    >>> f = Finding(by="li", at=dt.datetime(2026, 1, 5, 9), text="ok")
    >>> from_plain(Finding, plain(f)) == f
    True
    """
    hints = _hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _decode(hints[k], v) for k, v in data.items() if k in known})
