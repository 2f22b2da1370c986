"""The audit trail of the workflow (审计): one append-only row per state change — who, when,
what, and the fields before and after — as an effect the services write."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson


@dataclass(frozen=True, kw_only=True)
class WriteAudit:
    """An append-only audit row: who did what to which record, and the fields it changed."""

    actor: str
    action: str
    entity: str
    entity_id: str
    at: dt.datetime
    before: Mapping[str, Any]
    after: Mapping[str, Any]


_AS_IS = frozenset({str, int, float, bool, type(None), dict})
_OPTIONS = orjson.OPT_NON_STR_KEYS


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, JsonText):
        return value._data()
    raise TypeError


class JsonText(Mapping[str, Any]):
    """A JSON object kept as its text and decoded only when read: a record's creation is
    audited with the whole record, which the store writes as text twice (the record's body and
    the audit row) and, in a nightly sync of a million records, nobody reads back."""

    __slots__ = ("_decoded", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._decoded: dict[str, Any] | None = None

    def _data(self) -> dict[str, Any]:
        if self._decoded is None:
            self._decoded = orjson.loads(self.text)
        return self._decoded

    def __getitem__(self, key: str) -> Any:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return repr(self._data())


def to_json(value: Any) -> str:
    """``value`` as compact JSON text, as :func:`plain` reads it (non-ASCII kept as is)."""
    if type(value) is JsonText:
        return value.text
    try:
        return orjson.dumps(value, default=_json_default, option=_OPTIONS).decode()
    except TypeError:  # what orjson cannot encode (an integer beyond 64 bits, …)
        return json.dumps(_plain(value), ensure_ascii=False, separators=(",", ":"))


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: enums by value, dates in ISO form, money as its exact
    decimal string, records as dicts. Records go through orjson there and back (the nightly
    sync makes millions of these); whatever it cannot encode takes the slow path."""
    if type(value) in _AS_IS:  # exact types: a StrEnum is a str too, and goes by its value
        return value
    try:
        return orjson.loads(orjson.dumps(value, default=_json_default, option=_OPTIONS))
    except TypeError:
        return _plain(value)


def _plain(value: Any) -> Any:
    kind = type(value)
    if kind in _AS_IS:
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(kind)}
    return value


def audit(before: Any, after: Any, *, actor: str, action: str, entity: str, entity_id: str,
          at: dt.datetime) -> WriteAudit:
    """The audit row of a change: ``before`` ``None`` for a creation, else only changed fields."""
    if before is None:
        return WriteAudit(actor=actor, action=action, entity=entity, entity_id=entity_id, at=at,
                          before={}, after=JsonText(to_json(after)))
    if type(before) is type(after) and dataclasses.is_dataclass(before):
        # records: compare the fields, write only the changed ones in plain form
        changed = [k for k in _field_names(type(after))
                   if getattr(before, k) != getattr(after, k)]
        return WriteAudit(actor=actor, action=action, entity=entity, entity_id=entity_id, at=at,
                          before={k: plain(getattr(before, k)) for k in changed},
                          after={k: plain(getattr(after, k)) for k in changed})
    old, new = plain(before), plain(after)
    changed = [k for k in new if new[k] != old[k]]
    return WriteAudit(actor=actor, action=action, entity=entity, entity_id=entity_id, at=at,
                      before={k: old[k] for k in changed}, after={k: new[k] for k in changed})
