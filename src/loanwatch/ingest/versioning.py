"""Write accepted rows into a versioned table as of an import date D.

A row whose key is new is in force for every date. A row that differs from the version in
force at D starts a new version at D; the old one stays in force before D, so results
computed for an earlier date never change. A schedule (a loan's installments) is versioned
as a whole. Re-importing identical rows writes nothing."""

from __future__ import annotations

import datetime as dt

import duckdb

from loanwatch.engines.duckdb import planner_settings
from loanwatch.ingest.cells import ident
from loanwatch.ingest.contract import Table
from loanwatch.ingest.layout import compared_columns


def _on(cols: tuple[str, ...], a: str, b: str) -> str:
    return " AND ".join(f"{a}.{ident(c)} IS NOT DISTINCT FROM {b}.{ident(c)}" for c in cols)


def _in_force(alias: str, day: str) -> str:
    return (f"({alias}._valid_from IS NULL OR {alias}._valid_from <= {day}) AND "
            f"({alias}._valid_to IS NULL OR {alias}._valid_to > {day})")


def _differs(cols: list[str], a: str, b: str) -> str:
    return " OR ".join(f"{a}.{ident(c)} IS DISTINCT FROM {b}.{ident(c)}" for c in cols)


def _insert(table: Table, cols: list[str], select: str) -> int:
    names = ", ".join(ident(c) for c in cols)
    return (f"INSERT INTO main.{table.name} ({names}, _valid_from, _valid_to, _import_id) "
            f"{select}")


def write_versions(con: duckdb.DuckDBPyConnection, table: Table, new: str, cols: list[str],
                   extras: list[str], as_of: dt.date, import_id: int) -> int:
    """Merge relation ``new`` (rows as stored) into the table; return versions written."""
    names = ", ".join(ident(c) for c in cols)
    empty = con.execute(f"SELECT count(*) = 0 FROM (SELECT 1 FROM main.{table.name} LIMIT 1)"
                        ).fetchall()[0][0]
    if empty:
        # a schedule's rows come out of its window grouped by loan: not putting them back in
        # file order spares a merge (the stored order means nothing)
        order = ("preserve_insertion_order = false",) if table.replace_scope else ()
        with planner_settings(con, order):
            con.execute(_insert(table, cols, f"SELECT {names}, NULL, NULL, {import_id} "
                                f"FROM {new}"))
        return con.execute(f"SELECT count(*) FROM main.{table.name}").fetchall()[0][0]
    if table.replace_scope:  # read several times below: the window runs once
        con.execute(f"CREATE OR REPLACE TEMP TABLE put_{table.name} AS SELECT * FROM {new}")
        return _write_scoped(con, table, f"put_{table.name}", cols, extras, as_of, import_id)
    return _write_rows(con, table, new, cols, extras, as_of, import_id)


def _write_rows(con, table, new, cols, extras, as_of, import_id) -> int:
    day, t, k = f"DATE '{as_of}'", f"main.{table.name}", table.key
    names = ", ".join(ident(c) for c in cols)
    differs = _differs(compared_columns(table, extras), "n", "a")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE chg_{table.name} AS SELECT n.*, a._valid_from AS "
        f"old_from, a._valid_to AS old_to, a._import_id IS NULL AS is_new FROM {new} n "
        f"LEFT JOIN (SELECT * FROM {t} a WHERE {_in_force('a', day)}) a ON {_on(k, 'n', 'a')} "
        f"WHERE a._import_id IS NULL OR {differs}")
    chg = f"chg_{table.name}"
    same_old = f"{t}._valid_from IS NOT DISTINCT FROM x.old_from AND NOT x.is_new"
    con.execute(f"DELETE FROM {t} USING {chg} x WHERE {_on(k, t, 'x')} AND {same_old} "
                f"AND {t}._valid_from = {day}")
    con.execute(f"UPDATE {t} SET _valid_to = {day} FROM {chg} x WHERE {_on(k, t, 'x')} "
                f"AND {same_old}")
    con.execute(_insert(table, cols, f"SELECT {names}, CASE WHEN is_new THEN NULL ELSE {day} "
                        f"END, old_to, {import_id} FROM {chg}"))
    return con.execute(f"SELECT count(*) FROM {chg}").fetchall()[0][0]


def _write_scoped(con, table, new, cols, extras, as_of, import_id) -> int:
    day, t, n = f"DATE '{as_of}'", f"main.{table.name}", table.name
    scope, key = table.replace_scope, table.key
    sc = ", ".join(ident(c) for c in scope)
    con.execute(f"CREATE OR REPLACE TEMP TABLE act_{n} AS SELECT a.* FROM {t} a SEMI JOIN "
                f"(SELECT DISTINCT {sc} FROM {new}) s ON {_on(scope, 'a', 's')} "
                f"WHERE {_in_force('a', day)}")
    first = ident(key[0])
    differs = _differs(compared_columns(table, extras), "n", "a")
    pick = ", ".join(f"COALESCE(n.{ident(c)}, a.{ident(c)}) AS {ident(c)}" for c in scope)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE chg_{n} AS SELECT DISTINCT {pick} FROM {new} n "
        f"FULL JOIN act_{n} a ON {_on(key, 'n', 'a')} "
        f"WHERE n.{first} IS NULL OR a.{first} IS NULL OR {differs}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE chg_{n} AS SELECT c.*, h.has_rows IS NOT NULL AS "
        f"has_history, h.next_from FROM chg_{n} c LEFT JOIN (SELECT {sc}, true AS has_rows, "
        f"min(_valid_from) FILTER (WHERE _valid_from > {day}) AS next_from FROM {t} "
        f"GROUP BY ALL) h ON {_on(scope, 'c', 'h')}")
    _switch_days(con, table, as_of)
    chg = f"chg_{n}"
    con.execute(f"DELETE FROM {t} USING {chg} x WHERE {_on(scope, t, 'x')} AND "
                f"{_in_force(t, day)} AND {t}._valid_from = x.switch_day")
    con.execute(f"UPDATE {t} SET _valid_to = x.switch_day FROM {chg} x WHERE {_on(scope, t, 'x')} "
                f"AND {_in_force(t, day)}")
    con.execute(_insert(table, cols, f"SELECT {', '.join('n.' + ident(c) for c in cols)}, "
                        f"CASE WHEN x.has_history THEN x.switch_day END, x.next_from, {import_id} "
                        f"FROM {new} n JOIN {chg} x ON {_on(scope, 'n', 'x')}"))
    return con.execute(f"SELECT count(*) FROM {new} n SEMI JOIN {chg} x "
                       f"ON {_on(scope, 'n', 'x')}").fetchall()[0][0]


def _switch_days(con, table: Table, as_of: dt.date) -> None:
    """``chg_<table>.switch_day``: when each changed scope's new version takes effect. The
    import's as-of, or the parent's ``applies_from`` date when that is earlier, but never
    before the version in force started (older history is not rewritten)."""
    n, day = table.name, f"DATE '{as_of}'"
    con.execute(f"ALTER TABLE chg_{n} ADD COLUMN switch_day DATE")
    con.execute(f"UPDATE chg_{n} SET switch_day = {day}")
    if table.applies_from is None:
        return
    parent, column = table.applies_from
    scope = table.replace_scope
    con.execute(
        f"UPDATE chg_{n} x SET switch_day = greatest(p.{ident(column)}, coalesce(a.started, "
        f"p.{ident(column)})) FROM (SELECT * FROM main.{parent} p WHERE {_in_force('p', day)}) p "
        f"LEFT JOIN (SELECT {', '.join(ident(c) for c in scope)}, max(_valid_from) AS started "
        f"FROM act_{n} GROUP BY ALL) a ON {_on(scope, 'p', 'a')} "
        f"WHERE {_on(scope, 'x', 'p')} AND x.has_history AND p.{ident(column)} < {day}")
