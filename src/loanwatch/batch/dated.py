"""Reading stored marts by date, for the builders that read what a run stored before them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.engines.base import AnalyticsEngine

Stored = Callable[[str], Sequence[dt.date]]  # mart -> the dates stored


def rows_on(engine: AnalyticsEngine, mart: str, day: dt.date) -> ir.Table:
    t = engine.table(mart)
    return t.filter(t.as_of == day)


def date_before(stored: Stored, mart: str, day: dt.date) -> dt.date | None:
    """The latest date of ``mart`` stored before ``day``."""
    earlier = [d for d in stored(mart) if d < day]
    return max(earlier) if earlier else None


def rows_before(engine: AnalyticsEngine, stored: Stored, mart: str, day: dt.date,
                columns: pa.Schema) -> ir.Table:
    """``columns`` of ``mart`` at its latest stored date before ``day``; none (with those
    columns) for a first run."""
    before = date_before(stored, mart, day)
    if before is None:
        return ibis.memtable(columns.empty_table())
    return rows_on(engine, mart, before).select(*columns.names)
