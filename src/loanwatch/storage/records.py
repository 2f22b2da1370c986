"""One repository for every workflow record (alerts, tasks, collection cases, actions,
bureau inquiries) over SQLAlchemy, with optimistic concurrency on ``version`` and bulk
writes for the nightly sync.

A record's table holds the fields the workflow filters and sorts on as columns; a ``body``
column, when the table has one, holds the whole record as JSON (``workflow.audit.plain``),
so a list of findings or contacts needs no table of its own. A table without ``body`` (the
alerts) holds every field as a column.

Filters: ``list(status="open", owner=("li", "wang"), loan_id=None, due_on=AtLeast(d))`` —
a value matches equal, a tuple or list matches any of its items, ``None`` matches null,
``AtLeast(v)`` a value at least ``v``.
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import functools
import itertools
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from psycopg.copy import QueuedLibpqWriter
from sqlalchemy.dialects import postgresql

from loanwatch.storage.base import DEFAULT_LIMIT
from loanwatch.storage.codec import from_plain
from loanwatch.storage.connect import Bind, transaction
from loanwatch.workflow.audit import plain, to_json
from loanwatch.workflow.errors import Conflict

T = TypeVar("T")

#: rows per statement of a bulk write (keeps a statement's parameters within every driver's limits)
CHUNK = 5_000


@dataclass(frozen=True)
class RecordKind(Generic[T]):
    """How records of ``cls`` are stored: in ``table``, keyed by the field ``key``; ``entity``
    names them in audit rows and messages."""

    entity: str
    cls: type[T]
    table: sa.Table
    key: str

    @functools.cached_property
    def columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table.columns if c.name != "body")

    @functools.cached_property
    def column_values(self) -> Callable[[T], tuple[Any, ...]]:
        """The record's values of ``columns``, in order (one C call per record)."""
        getter = operator.attrgetter(*self.columns)
        return getter if len(self.columns) > 1 else lambda record: (getter(record),)

    @functools.cached_property
    def has_body(self) -> bool:
        return "body" in self.table.columns


_SCALAR = frozenset({str, int, bool, type(None), dt.date, dt.datetime, Decimal})


def _column_value(value: Any) -> Any:
    """A field as its column holds it: dates, numbers and text as they are, enums by value,
    anything composite (tuples of notes, actions) as JSON-ready data."""
    if type(value) in _SCALAR:  # exact types (a StrEnum is a str, handled below)
        return value
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list) or dataclasses.is_dataclass(value):
        return plain(value)
    return value


def to_row(kind: RecordKind[T], record: T,
           body: Mapping[str, Any] | None = None) -> dict[str, Any]:
    row = dict(zip(kind.columns, map(_column_value, kind.column_values(record)), strict=True))
    if kind.has_body:
        row["body"] = body if body is not None else plain(record)
    return row


def from_row(kind: RecordKind[T], row: Mapping[str, Any]) -> T:
    if kind.has_body:
        return from_plain(kind.cls, row["body"])
    return from_plain(kind.cls, {c: row[c] for c in kind.columns})


@dataclass(frozen=True)
class AtLeast:
    """A filter value: the column is at least ``value`` (and not null)."""

    value: Any


def matches(kind: RecordKind[Any], record: Any, where: Mapping[str, Any]) -> bool:
    """Whether ``record`` passes the filters, as ``list`` reads them (for the memory double)."""
    for name, wanted in where.items():
        value = _column_value(getattr(record, name))
        if isinstance(wanted, AtLeast):
            if value is None or value < wanted.value:
                return False
        elif isinstance(wanted, tuple | list | set | frozenset):
            if value not in {_column_value(w) for w in wanted}:
                return False
        elif value != _column_value(wanted):
            return False
    return True


def _conditions(table: sa.Table, where: Mapping[str, Any]) -> list[sa.ColumnElement[bool]]:
    found = []
    for name, wanted in where.items():
        column = table.c[name]
        if wanted is None:
            found.append(column.is_(None))
        elif isinstance(wanted, AtLeast):
            found.append(column >= _column_value(wanted.value))
        elif isinstance(wanted, tuple | list | set | frozenset):
            found.append(column.in_([_column_value(w) for w in wanted]))
        else:
            found.append(column == _column_value(wanted))
    return found


def _order(table: sa.Table, order_by: Sequence[str]) -> list[sa.ColumnElement[Any]]:
    """``("-due_on", "task_id")``: a leading minus sorts that column descending."""
    return [table.c[n[1:]].desc() if n.startswith("-") else table.c[n] for n in order_by]


def chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def bulk_insert(conn: sa.Connection, table: sa.Table, rows: Iterable[dict[str, Any]]) -> None:
    """Insert ``rows`` (dicts of the same columns) into ``table`` in the caller's transaction:
    PostgreSQL's COPY where the store is PostgreSQL (several times faster than batched
    INSERTs at a million rows), batched INSERTs elsewhere. ``rows`` may be made as they are
    read: the database takes in each row while the next is being made."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return
    rows = itertools.chain((first,), rows)
    if conn.dialect.name != "postgresql":
        while chunk := builtins.list(itertools.islice(rows, CHUNK)):
            conn.execute(table.insert(), chunk)
        return
    names = builtins.list(first)
    as_json = {n for n in names if isinstance(table.c[n].type, sa.JSON)}
    columns = ", ".join(conn.dialect.identifier_preparer.quote(n) for n in names)
    cursor = conn.connection.dbapi_connection.cursor()  # the transaction's own connection
    # a writer thread sends the data while this one formats the next rows
    with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN",
                     writer=QueuedLibpqWriter(cursor)) as copy:
        for row in rows:
            copy.write_row([to_json(row[n]) if n in as_json and row[n] is not None
                            else row[n] for n in names])


def _id_sets(conn: sa.Connection, key: sa.Column[Any],
             ids: Sequence[str]) -> Iterable[sa.ColumnElement[bool]]:
    """Conditions selecting ``ids``: one ``= ANY(array)`` on PostgreSQL (no statement with
    thousands of parameters to compile), ``IN`` by chunks elsewhere."""
    if not ids:
        return
    if conn.dialect.name == "postgresql":
        yield key == sa.func.any(sa.bindparam("ids", builtins.list(ids),
                                              type_=postgresql.ARRAY(sa.String)))
        return
    for chunk in chunks(ids):
        yield key.in_(builtins.list(chunk))


def _update_from_copy(conn: sa.Connection, table: sa.Table, key: str,
                      params: builtins.list[dict[str, Any]]) -> builtins.list[str]:
    """PostgreSQL: COPY the new rows into a temporary table and update from it in one
    statement, each row only at its expected version; the ids not updated are returned."""
    scratch = f"lw_save_{table.name}"
    conn.exec_driver_sql(f"CREATE TEMP TABLE {scratch} (LIKE {table.name}) ON COMMIT DROP")
    conn.exec_driver_sql(f"ALTER TABLE {scratch} ADD COLUMN _expected INTEGER")
    rows = [{**{c: p[c] for c in p if not c.startswith("_")}, key: p["_id"],
             "_expected": p["_expected"]} for p in params]
    staged = sa.Table(scratch, sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.columns),
                      sa.Column("_expected", sa.Integer))
    bulk_insert(conn, staged, rows)
    names = [c for c in rows[0] if c not in (key, "_expected")]
    quote = conn.dialect.identifier_preparer.quote
    updated = conn.exec_driver_sql(
        f"UPDATE {table.name} AS t SET {', '.join(f'{quote(c)} = s.{quote(c)}' for c in names)} "
        f"FROM {scratch} AS s WHERE t.{quote(key)} = s.{quote(key)} AND t.version = s._expected "
        f"RETURNING t.{quote(key)}").scalars().all()
    conn.exec_driver_sql(f"DROP TABLE {scratch}")
    done = set(updated)
    return [p["_id"] for p in params if p["_id"] not in done]


class _Shortfall(Exception):
    """A bulk update matched fewer rows than it was given: some were changed meanwhile."""


def _update_chunk(conn: sa.Connection, update: sa.Update,
                  params: builtins.list[dict[str, Any]]) -> builtins.list[str]:
    """Run ``update`` for each of ``params`` and return the ids it did not match. In one
    statement when all match; else (someone changed a record since it was read) the chunk is
    rolled back to its savepoint and redone row by row, to learn exactly which ones."""
    if conn.dialect.supports_sane_multi_rowcount:
        try:
            with conn.begin_nested():
                if conn.execute(update, params).rowcount != len(params):
                    raise _Shortfall
            return []
        except _Shortfall:
            pass
    return [p["_id"] for p in params if conn.execute(update, p).rowcount != 1]


class SqlRecords(Generic[T]):
    """Records of one kind in their table. Built on an ``Engine`` each call is its own
    transaction; on a ``Connection`` it joins the caller's (see ``storage.sql``)."""

    def __init__(self, bind: Bind, kind: RecordKind[T]) -> None:
        self._bind, self.kind = bind, kind
        self._table = kind.table
        self._key = kind.table.c[kind.key]

    def get(self, record_id: str) -> T | None:
        with transaction(self._bind) as conn:
            row = conn.execute(self._table.select().where(self._key == record_id)).mappings()
            found = row.one_or_none()
        return from_row(self.kind, found) if found else None

    def get_many(self, record_ids: Sequence[str]) -> dict[str, T]:
        """The records of these ids that exist, by id (one round trip per 5,000 ids, or one
        on PostgreSQL)."""
        found: dict[str, T] = {}
        with transaction(self._bind) as conn:
            for condition in _id_sets(conn, self._key, record_ids):
                for row in conn.execute(self._table.select().where(condition)).mappings():
                    record = from_row(self.kind, row)
                    found[getattr(record, self.kind.key)] = record
        return found

    def add(self, record: T) -> None:
        try:
            with transaction(self._bind, savepoint=True) as conn:
                conn.execute(self._table.insert().values(to_row(self.kind, record)))
        except sa.exc.IntegrityError:
            record_id = getattr(record, self.kind.key)
            current = self._version(record_id)
            if current is None:
                raise
            raise Conflict(self.kind.entity, record_id, 0, current) from None

    def save(self, record: T, expected_version: int) -> None:
        record_id = getattr(record, self.kind.key)
        update = (self._table.update().values(to_row(self.kind, record))
                  .where(self._key == record_id, self._table.c.version == expected_version))
        with transaction(self._bind) as conn:
            if conn.execute(update).rowcount == 1:
                return
        current = self._version(record_id)
        if current is None:
            raise LookupError(f"there is no {self.kind.entity} {record_id} to save")
        raise Conflict(self.kind.entity, record_id, expected_version, current)

    def list(self, *, limit: int | None = DEFAULT_LIMIT, order_by: Sequence[str] = (),
             **where: Any) -> builtins.list[T]:
        query = (self._table.select().where(*_conditions(self._table, where))
                 .order_by(*_order(self._table, order_by), self._key).limit(limit))
        with transaction(self._bind) as conn:
            return [from_row(self.kind, row) for row in conn.execute(query).mappings()]

    def count(self, **where: Any) -> int:
        query = sa.select(sa.func.count()).select_from(self._table).where(
            *_conditions(self._table, where))
        with transaction(self._bind) as conn:
            return conn.execute(query).scalar_one()

    def index(self, *columns: str, **where: Any) -> builtins.list[dict[str, Any]]:
        """The named columns of every matching row, without decoding records: what a bulk
        sync needs to decide what to change."""
        query = sa.select(*(self._table.c[c] for c in columns)).where(
            *_conditions(self._table, where))
        with transaction(self._bind) as conn:
            return [dict(row) for row in conn.execute(query).mappings()]

    def tuples(self, *columns: str, **where: Any) -> builtins.list[tuple[Any, ...]]:
        """As ``index``, as plain tuples in the order of ``columns`` (a million rows fast)."""
        query = sa.select(*(self._table.c[c] for c in columns)).where(
            *_conditions(self._table, where))
        with transaction(self._bind) as conn:
            return [tuple(row) for row in conn.execute(query).fetchall()]

    def add_many(self, records: Iterable[T],
                 bodies: Iterable[Mapping[str, Any]] | None = None) -> None:
        """Insert new records in bulk; an id that exists already fails the whole call.
        ``bodies``, when given, are the records already in ``plain`` form or as JSON text
        (the audit rows of their creation hold them), so they are not converted twice. Both
        may be generators: each record is taken in as it is made (``zip`` order: a record,
        then its body)."""
        with transaction(self._bind) as conn:
            bulk_insert(conn, self._table, (
                to_row(self.kind, r, b) for r, b in
                (zip(records, bodies, strict=True) if bodies is not None
                 else zip(records, itertools.repeat(None)))))

    def save_many(self, changes: Sequence[tuple[T, int]]) -> builtins.list[str]:
        """Save each ``(record, expected_version)``; the ids whose stored version was not the
        expected one are returned, unchanged (someone acted on them since they were read)."""
        if not changes:
            return []
        key, params = self.kind.key, []
        for record, expected in changes:
            row = to_row(self.kind, record)
            row["_id"], row["_expected"] = row.pop(key), expected
            params.append(row)
        update = (self._table.update()
                  .where(self._key == sa.bindparam("_id"),
                         self._table.c.version == sa.bindparam("_expected"))
                  .values({c: sa.bindparam(c) for c in params[0] if not c.startswith("_")}))
        with transaction(self._bind) as conn:
            if conn.dialect.name == "postgresql":
                return _update_from_copy(conn, self._table, self.kind.key, params)
            conflicts: builtins.list[str] = []
            for chunk in chunks(params):
                conflicts += _update_chunk(conn, update, builtins.list(chunk))
        return conflicts

    def touch_many(self, record_ids: Sequence[str], **values: Any) -> None:
        """Set bookkeeping columns (an alert's ``last_seen_on``) on many records at once,
        without a new version: only for tables without a body, where the column is the
        whole truth, and only for columns no person edits."""
        if self.kind.has_body:
            raise TypeError(f"{self.kind.entity} records keep a body: save them instead")
        with transaction(self._bind) as conn:
            for condition in _id_sets(conn, self._key, record_ids):
                conn.execute(self._table.update().where(condition)
                             .values({k: _column_value(v) for k, v in values.items()}))

    def delete_many(self, record_ids: Sequence[str]) -> int:
        """Remove records (only the retention job does: inquiries past their keeping time)."""
        removed = 0
        with transaction(self._bind) as conn:
            for condition in _id_sets(conn, self._key, record_ids):
                removed += conn.execute(self._table.delete().where(condition)).rowcount
        return removed

    def _version(self, record_id: str) -> int | None:
        query = sa.select(self._table.c.version).where(self._key == record_id)
        with transaction(self._bind) as conn:
            return conn.execute(query).scalar_one_or_none()
