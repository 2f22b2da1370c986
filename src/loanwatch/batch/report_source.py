"""The stored marts as a report reads them: which marts and dates a run stored, the rows of
a query, and the report's period (the month or quarter ending at the as-of date, and the
period end before it).

A report only reads: it opens the workspace read-only and never computes a mart."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import duckdb

from loanwatch.domain.calendar import previous_month_end
from loanwatch.engines.duckdb import in_force_sql


class Period(StrEnum):
    MONTH = "month"
    QUARTER = "quarter"


def period_start(as_of: dt.date, period: Period) -> dt.date:
    """The end of the period before the one ``as_of`` falls in: the month-end before its
    month, or the quarter-end before its quarter.

    >>> period_start(dt.date(2024, 12, 31), Period.MONTH), period_start(dt.date(2024, 12, 31), Period.QUARTER)
    (datetime.date(2024, 11, 30), datetime.date(2024, 9, 30))
    """
    if period is Period.MONTH:
        return previous_month_end(as_of)
    first_month = (as_of.month - 1) // 3 * 3 + 1
    return as_of.replace(month=first_month, day=1) - dt.timedelta(days=1)


@dataclass
class MartReader:
    """Read-only queries on a workspace's DuckDB connection; what is stored is read once."""

    con: duckdb.DuckDBPyConnection
    _dates: dict[str, list[dt.date]] = field(default_factory=dict)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def dates(self, mart: str) -> list[dt.date]:
        """The dates a run stored ``mart`` for (a date with no rows counts: it was run)."""
        if not self._dates:
            if not self.has_table("lw_runs"):
                return []
            for name, day in self.con.execute(
                    "SELECT DISTINCT mart, as_of FROM lw_runs ORDER BY as_of").fetchall():
                self._dates.setdefault(name, []).append(day)
        return self._dates.get(mart, []) if self.has_table(mart) else []

    def has(self, mart: str, day: dt.date) -> bool:
        return day in self.dates(mart)

    def has_table(self, name: str) -> bool:
        return self.con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
                                "AND table_name = ?", [name]).fetchall()[0][0] > 0

    def in_force(self, table: str, day: dt.date) -> str:
        """SQL of a contract table's rows in force at ``day``."""
        return in_force_sql(table, day)

    def policy_version(self, day: dt.date) -> str | None:
        """The policy version of the latest run that stored a mart for ``day``."""
        if not self.has_table("lw_runs"):
            return None
        found = self.one("SELECT policy_version FROM lw_runs WHERE as_of = ? "
                         "ORDER BY run_id DESC, mart LIMIT 1", [day])
        return found["policy_version"] if found else None

    def stored_before(self, mart: str, day: dt.date) -> dt.date | None:
        return max((d for d in self.dates(mart) if d < day), default=None)
