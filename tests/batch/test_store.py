"""``save_mart``: a mart's rows of some dates replace those dates, the query is planned once,
and ``lw_runs.finished_at`` is when the rows were written, so the time between two marts'
stamps is what the second one took."""

from __future__ import annotations

import datetime as dt
import time

import duckdb
import pytest

from loanwatch.batch.store import new_run_id, save_mart

D = dt.date.fromisoformat
STAMP = {"engine": "duckdb", "policy_version": "test"}
ROWS = ("SELECT DATE '2024-01-31' AS as_of, 'L1' AS loan_id, 12.50::DECIMAL(18,2) AS amount "
        "UNION ALL SELECT DATE '2024-02-29', 'L1', 7.25::DECIMAL(18,2)")


class Recording:
    """A connection that keeps the statements it is given."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.statements = con, []

    def execute(self, sql: str, *args):
        self.statements.append(sql)
        return self.con.execute(sql, *args)


@pytest.fixture
def con():
    with duckdb.connect() as c:
        yield c


def save(con, rows_sql: str, dates, **kw) -> int:
    run_id = new_run_id(con.con if isinstance(con, Recording) else con)
    return save_mart(con, "things", rows_sql, dates, run_id=run_id, **STAMP, **kw)


def planned(rec: Recording, rows_sql: str) -> list[str]:
    """The first two words of the statements that planned ``rows_sql``."""
    return [" ".join(s.split()[:2]) for s in rec.statements if rows_sql in s]


def test_the_first_save_makes_the_table_with_the_query_s_types(con):
    assert save(con, ROWS, [D("2024-01-31"), D("2024-02-29")]) == 2
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name = 'things'").fetchall())
    assert types == {"as_of": "DATE", "loan_id": "VARCHAR", "amount": "DECIMAL(18,2)",
                     "policy_version": "VARCHAR", "run_id": "INTEGER"}


def test_a_save_replaces_its_dates_only(con):
    save(con, ROWS, [D("2024-01-31"), D("2024-02-29")])
    assert save(con, ROWS.replace("12.50", "99.00").split(" UNION ALL")[0], [D("2024-01-31")]) == 1
    assert con.execute("SELECT as_of, amount FROM things ORDER BY as_of").fetchall() == [
        (D("2024-01-31"), 99), (D("2024-02-29"), 7.25)]


@pytest.mark.parametrize("columns", [None, ["as_of", "loan_id", "amount"]])
def test_the_query_is_planned_once_when_its_columns_are_known(con, columns):
    """A big query (the alerts of every signal) takes a second to plan: making the table,
    reading the query's types and inserting would plan it three times."""
    rec = Recording(con)
    save(rec, ROWS, [D("2024-01-31"), D("2024-02-29")], columns=columns)
    assert planned(rec, ROWS) == ["CREATE TABLE"]
    rec.statements.clear()
    save(rec, ROWS, [D("2024-01-31")], columns=columns)
    expected = ["INSERT INTO"] if columns else ["DESCRIBE SELECT", "INSERT INTO"]
    assert planned(rec, ROWS) == expected


def test_a_column_new_to_the_table_is_added_even_when_the_columns_are_given(con):
    save(con, ROWS, [D("2024-01-31"), D("2024-02-29")])
    wider = f"SELECT *, 1::BIGINT AS late FROM ({ROWS}) WHERE as_of = DATE '2024-02-29'"
    save(con, wider, [D("2024-02-29")], columns=["as_of", "loan_id", "amount", "late"])
    assert con.execute("SELECT as_of, late FROM things ORDER BY as_of").fetchall() == [
        (D("2024-01-31"), None), (D("2024-02-29"), 1)]


def test_finished_at_is_when_the_rows_were_written(con):
    """Not when the transaction began: the time between two marts' stamps must hold the
    second mart's query, which here takes 0.3 s."""
    con.create_function("slowly", lambda x: time.sleep(0.3) or x, ["BIGINT"], "BIGINT",
                        side_effects=True)
    run_id = new_run_id(con)
    save_mart(con, "first", "SELECT DATE '2024-01-31' AS as_of", [D("2024-01-31")],
              run_id=run_id, **STAMP)
    save_mart(con, "second", "SELECT DATE '2024-01-31' AS as_of, slowly(1) AS n",
              [D("2024-01-31")], run_id=run_id, **STAMP)
    (gap,) = con.execute("SELECT max(finished_at) - min(finished_at) FROM lw_runs").fetchall()[0]
    assert gap >= dt.timedelta(seconds=0.3)
