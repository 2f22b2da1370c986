"""The dashboard's figures (风险总览) as of a date, for the caller's slice of the book: the
portfolio metrics mart of the whole book, their branch, or their own borrowers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from loanwatch.security.permissions import Principal, Scope
from loanwatch.services.scope import latest_as_of, rows, stored_dates

KPI_COLUMNS = ("loans", "outstanding", "m1_balance", "m3_balance", "npl_balance", "npl_ratio",
               "m1_rate_balance", "m3_rate_balance", "loss_allowance", "provision_coverage")


def segment_of(who: Principal) -> tuple[str, str]:
    """The portfolio-metrics slice of ``who``: (dimension, segment)."""
    if who.scope is Scope.BRANCH:
        return "branch_id", who.branch_id or ""
    if who.scope is Scope.OWN:
        return "manager_id", who.manager_id or who.user_id
    return "all", "all"


def kpis(con: duckdb.DuckDBPyConnection, who: Principal, as_of: dt.date | None = None
         ) -> dict[str, Any]:
    """The key figures at ``as_of`` (default the newest) and at the month-end before it."""
    day = as_of or latest_as_of(con, "portfolio_metrics")
    dates = stored_dates(con, "portfolio_metrics")
    if day is None or day not in dates:
        return {"as_of": day, "dates": dates, "now": None, "before": None}
    before = max((d for d in dates if d < day), default=None)
    dimension, segment = segment_of(who)
    cols = ", ".join(KPI_COLUMNS)
    found = {r["as_of"]: r for r in rows(con, f"""
        SELECT as_of, {cols} FROM portfolio_metrics
        WHERE dimension = ? AND segment = ? AND as_of IN (?, ?)""",
        [dimension, segment, day, before or day])}
    return {"as_of": day, "dates": dates, "now": found.get(day), "before": found.get(before)}
