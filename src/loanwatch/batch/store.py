"""Mart tables in the workspace's DuckDB file: written per as-of date atomically.

A run for dates D1..Dn deletes those dates and inserts the new rows in one transaction, so a
crash halfway leaves the previous results readable and re-running is idempotent. Each row
records the run and the policy version that produced it; ``lw_runs`` lists the runs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pyarrow as pa

RUNS_DDL = """
CREATE SEQUENCE IF NOT EXISTS lw_run_seq START 1;
CREATE TABLE IF NOT EXISTS lw_runs (
    run_id INTEGER NOT NULL, mart VARCHAR NOT NULL, as_of DATE NOT NULL, engine VARCHAR NOT NULL,
    policy_version VARCHAR NOT NULL, rows BIGINT NOT NULL, finished_at TIMESTAMP NOT NULL,
    PRIMARY KEY (run_id, mart, as_of));
"""


def new_run_id(con: duckdb.DuckDBPyConnection) -> int:
    for ddl in RUNS_DDL.split(";"):
        if ddl.strip():
            con.execute(ddl)
    return con.execute("SELECT nextval('lw_run_seq')").fetchall()[0][0]


def _days(dates: Sequence[dt.date]) -> str:
    return ", ".join(f"DATE '{d.isoformat()}'" for d in dates)


def save_mart(con: duckdb.DuckDBPyConnection, mart: str, rows_sql: str, dates: Sequence[dt.date],
              *, run_id: int, engine: str, policy_version: str,
              columns: Sequence[str] | None = None) -> int:
    """Replace ``dates`` of table ``mart`` with the rows of the query ``rows_sql`` (which may
    read a registered arrow table); ``columns``, the query's columns if known, spare reading
    them from the database. Returns the rows written.

    The query is planned once: the first time by ``CREATE TABLE ... AS``, then by the
    ``INSERT`` (a big query, such as the alerts of every signal, takes a second to plan).
    ``lw_runs.finished_at`` is when the rows were written: what a mart took is the time from
    the mart before it (the commit, a matter of milliseconds, counts to the next one)."""
    stamped = (f"SELECT *, '{policy_version}'::VARCHAR AS policy_version, {run_id}::INTEGER "
               f"AS run_id FROM ({rows_sql})")
    con.execute("BEGIN TRANSACTION")
    try:
        if _table_exists(con, mart):
            _add_new_columns(con, mart, stamped, columns)
            con.execute(f"DELETE FROM main.{mart} WHERE as_of IN ({_days(dates)})")
            con.execute(f"INSERT INTO main.{mart} BY NAME {stamped}")
        else:
            con.execute(f"CREATE TABLE main.{mart} AS {stamped}")
        found = dict(con.execute(f"SELECT as_of, count(*) FROM main.{mart} WHERE as_of IN "
                                 f"({_days(dates)}) GROUP BY as_of").fetchall())
        counts = [(day, found.get(day, 0)) for day in dates]  # a date with no rows is still run
        finished = dt.datetime.now()
        for day, n in counts:
            con.execute("INSERT INTO lw_runs VALUES (?, ?, ?, ?, ?, ?, ?)",
                        [run_id, mart, day, engine, policy_version, n, finished])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return sum(n for _, n in counts)


def _table_exists(con: duckdb.DuckDBPyConnection, mart: str) -> bool:
    return con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
                       "AND table_name = ?", [mart]).fetchall()[0][0] > 0


def _add_new_columns(con: duckdb.DuckDBPyConnection, mart: str, rows_sql: str,
                     columns: Sequence[str] | None) -> None:
    """A mart that gained columns since the table was made (a newer LoanWatch) gets them,
    empty for the dates stored before."""
    have = {r[0] for r in con.execute(f"DESCRIBE main.{mart}").fetchall()}
    if columns is not None and have.issuperset(columns):
        return  # nothing new: no need to plan the query to learn its types
    for name, typ, *_ in con.execute(f"DESCRIBE {rows_sql}").fetchall():
        if name not in have:
            con.execute(f'ALTER TABLE main.{mart} ADD COLUMN "{name}" {typ}')


def save_arrow(con: duckdb.DuckDBPyConnection, mart: str, rows: pa.Table, dates: Sequence[dt.date],
               **stamp) -> int:
    con.register("lw_incoming", rows)
    try:
        return save_mart(con, mart, "SELECT * FROM lw_incoming", dates, columns=rows.column_names,
                         **stamp)
    finally:
        con.unregister("lw_incoming")


def stored_dates(con: duckdb.DuckDBPyConnection, mart: str) -> list[dt.date]:
    """The dates computed for ``mart`` (a date with no loans in force has no rows but a run)."""
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
                         "AND table_name IN ('lw_runs', ?)", [mart]).fetchall()[0][0]
    if exists < 2:
        return []
    return [r[0] for r in con.execute("SELECT DISTINCT as_of FROM lw_runs WHERE mart = ? ORDER BY 1",
                                      [mart]).fetchall()]
