"""Small expression helpers shared by the analytics: exact money, validity, day counts."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.operations as ops
import ibis.expr.types as ir

MONEY = dtypes.Decimal(18, 2)


def money(value: ir.Value) -> ir.DecimalValue:
    """Back to DECIMAL(18,2): engines widen sums and differences (to 128-bit in DuckDB, which
    is slow); every amount here fits 18 digits. Ibis believes ``decimal(18,2) - decimal(18,2)``
    is still ``decimal(18,2)`` and would drop ``.cast(MONEY)`` as a no-op, so the cast node is
    built directly."""
    return ops.Cast(value, to=MONEY).to_expr()


def zero() -> ir.DecimalScalar:
    return ibis.literal(0).cast(MONEY)


def day(value: dt.date | ir.DateValue) -> ir.DateValue:
    return ibis.date(value) if isinstance(value, dt.date) else value


def in_force(t: ir.Table, on: dt.date | ir.DateValue) -> ir.BooleanValue:
    """True for the row versions of ``t`` in force at the end of day ``on``
    (stored tables carry ``_valid_from <= D < _valid_to``, NULL = unbounded)."""
    d = day(on)
    return ((t._valid_from.isnull() | (t._valid_from <= d))
            & (t._valid_to.isnull() | (t._valid_to > d)))


def days_between(later: ir.DateValue, earlier: ir.DateValue) -> ir.IntegerValue:
    """Calendar days from ``earlier`` to ``later``."""
    return later.delta(earlier, unit="day")


def month_number(d: ir.DateValue) -> ir.IntegerValue:
    return d.year() * 12 + d.month()


def known_by(t: ir.Table, date_column: str, on: dt.date | ir.DateValue) -> ir.Table:
    """The rows of ``t`` known at the end of day ``on``: dated by then (``date_column``) and,
    for a stored table, the versions in force."""
    d = day(on)
    if "_valid_from" in t.columns:
        t = t.filter(in_force(t, d))
    return t.filter(t[date_column] <= d)


def latest_by(t: ir.Table, key: str, date_column: str) -> ir.Table:
    """Each ``key``'s row of ``t`` with the latest ``date_column`` (e.g. a customer's latest
    bureau report)."""
    w = ibis.window(group_by=t[key], order_by=ibis.desc(t[date_column]))
    return t.filter(ibis.row_number().over(w) == 0)
