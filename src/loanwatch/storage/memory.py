"""In-memory doubles of the store's ports, for services' tests and demos; they behave as the
SQL adapters do (the contract suites in tests/storage run against both)."""

from __future__ import annotations

import builtins
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.storage.kinds import ALERTS
from loanwatch.storage.records import RecordKind, matches, to_row
from loanwatch.workflow.alerts import Alert, AlertStatus
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import Conflict

T = TypeVar("T")


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is None, value)


class MemoryRecords(Generic[T]):
    """Records in a dict; frozen dataclasses, so what callers hold cannot change the store."""

    def __init__(self, kind: RecordKind[T]) -> None:
        self.kind = kind
        self._records: dict[str, T] = {}

    def _id(self, record: T) -> str:
        return getattr(record, self.kind.key)

    def get(self, record_id: str) -> T | None:
        return self._records.get(record_id)

    def get_many(self, record_ids: Sequence[str]) -> dict[str, T]:
        return {i: self._records[i] for i in record_ids if i in self._records}

    def add(self, record: T) -> None:
        if (current := self._records.get(self._id(record))) is not None:
            raise Conflict(self.kind.entity, self._id(record), 0, current.version)  # type: ignore[attr-defined]
        self._records[self._id(record)] = record

    def save(self, record: T, expected_version: int) -> None:
        current = self._records.get(self._id(record))
        if current is None:
            raise LookupError(f"there is no {self.kind.entity} {self._id(record)} to save")
        if current.version != expected_version:  # type: ignore[attr-defined]
            raise Conflict(self.kind.entity, self._id(record), expected_version,
                           current.version)  # type: ignore[attr-defined]
        self._records[self._id(record)] = record

    def list(self, *, limit: int | None = DEFAULT_LIMIT, order_by: Sequence[str] = (),
             **where: Any) -> builtins.list[T]:
        found = sorted((r for r in self._records.values() if matches(self.kind, r, where)),
                       key=self._id)
        for name in reversed(order_by):
            column = name.lstrip("-")
            found.sort(key=lambda r, c=column: _sort_key(to_row(self.kind, r)[c]),
                       reverse=name.startswith("-"))
        return found[:limit]

    def count(self, **where: Any) -> int:
        return len(self.list(limit=None, **where))

    def index(self, *columns: str, **where: Any) -> builtins.list[dict[str, Any]]:
        return [{c: to_row(self.kind, r)[c] for c in columns}
                for r in self.list(limit=None, **where)]

    def tuples(self, *columns: str, **where: Any) -> builtins.list[tuple[Any, ...]]:
        return [tuple(r.values()) for r in self.index(*columns, **where)]

    def add_many(self, records: Iterable[T],
                 bodies: Iterable[Mapping[str, Any]] | None = None) -> None:
        records = builtins.list(records)
        taken = [self._id(r) for r in records if self._id(r) in self._records]
        if taken or len({self._id(r) for r in records}) != len(records):
            raise Conflict(self.kind.entity, (taken or [self._id(records[0])])[0], 0, 1)
        for record in records:
            self._records[self._id(record)] = record

    def save_many(self, changes: Sequence[tuple[T, int]]) -> builtins.list[str]:
        conflicts = []
        for record, expected in changes:
            current = self._records.get(self._id(record))
            if current is None or current.version != expected:  # type: ignore[attr-defined]
                conflicts.append(self._id(record))
            else:
                self._records[self._id(record)] = record
        return conflicts

    def touch_many(self, record_ids: Sequence[str], **values: Any) -> None:
        if self.kind.has_body:
            raise TypeError(f"{self.kind.entity} records keep a body: save them instead")
        for i in record_ids:
            if i in self._records:
                self._records[i] = replace(self._records[i], **values)  # type: ignore[type-var]

    def delete_many(self, record_ids: Sequence[str]) -> int:
        return sum(self._records.pop(i, None) is not None for i in record_ids)


class MemoryAlertRepository(MemoryRecords[Alert]):
    def __init__(self) -> None:
        super().__init__(ALERTS)

    def find(self, signal_id: str, customer_id: str, loan_id: str | None) -> Alert | None:
        found = self.list(limit=1, signal_id=signal_id, customer_id=customer_id, loan_id=loan_id)
        return found[0] if found else None

    def list(self, status: AlertStatus | None = None, owner: str | None = None,  # type: ignore[override]
             limit: int | None = DEFAULT_LIMIT, order_by: Sequence[str] = ("-live_since",),
             **where: Any) -> builtins.list[Alert]:
        if status is not None:
            where["status"] = status
        if owner is not None:
            where["owner"] = owner
        return super().list(limit=limit, order_by=order_by, **where)


class MemoryAuditLog:
    def __init__(self) -> None:
        self._rows: list[WriteAudit] = []

    def append(self, row: WriteAudit) -> None:
        self._rows.append(row)

    def append_many(self, rows: Sequence[WriteAudit]) -> None:
        self._rows.extend(rows)

    def for_entity(self, entity: str, entity_id: str) -> builtins.list[WriteAudit]:
        return [r for r in self._rows if (r.entity, r.entity_id) == (entity, entity_id)]


class MemorySyncLog:
    def __init__(self) -> None:
        self._runs: dict[dt.date, tuple[dt.datetime, dict[str, int]]] = {}

    def latest(self) -> dt.date | None:
        return max(self._runs, default=None)

    def record(self, as_of: dt.date, at: dt.datetime, counts: dict[str, int]) -> None:
        self._runs[as_of] = (at, dict(counts))

    def counts(self, as_of: dt.date) -> dict[str, int] | None:
        found = self._runs.get(as_of)
        return dict(found[1]) if found else None
