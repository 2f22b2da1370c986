"""The slice of the book a person sees, as SQL over the marts (DuckDB) and as a filter of
store records: everything, their branch, or the borrowers they manage."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from loanwatch.security.permissions import Principal, Scope


def scope_sql(who: Principal, branch_col: str = "branch_id",
              manager_col: str = "manager_id") -> tuple[str, list[Any]]:
    """A SQL condition (with its parameters) keeping the rows ``who`` may see."""
    if who.scope is Scope.ALL:
        return "TRUE", []
    if who.scope is Scope.BRANCH:
        return f"{branch_col} = ?", [who.branch_id]
    return f"{manager_col} IN (?, ?)", [who.manager_id, who.user_id]


def owners_of(who: Principal) -> tuple[str, ...] | None:
    """Store records (alerts, tasks) owned by ``who``'s slice: ``None`` for everything; a
    customer manager's own (their user id and their manager code)."""
    if who.scope is Scope.OWN:
        return tuple(x for x in (who.user_id, who.manager_id) if x)
    return None


def latest_as_of(con: duckdb.DuckDBPyConnection, mart: str = "loan_snapshot") -> dt.date | None:
    """The newest date a mart was computed for, or ``None`` before the first run."""
    try:
        return con.execute(f"SELECT max(as_of) FROM {mart}").fetchone()[0]
    except duckdb.CatalogException:
        return None


def stored_dates(con: duckdb.DuckDBPyConnection, mart: str = "loan_snapshot") -> list[dt.date]:
    try:
        return [r[0] for r in con.execute(f"SELECT DISTINCT as_of FROM {mart} ORDER BY 1")
                .fetchall()]
    except duckdb.CatalogException:
        return []


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | tuple = ()) -> list[dict]:
    """The rows of a query as dicts."""
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
