"""Checks across rows of a staged table: duplicate keys, references to other tables and
complete schedules. Each adds (row, column, reason) to ``err_<table>``; ``accepted_view``
then names the rows that passed everything."""

from __future__ import annotations

import duckdb

from loanwatch.ingest.cells import ident, lit
from loanwatch.ingest.contract import TABLES_BY_NAME, Reference, Table


def _eq(table: Table, a: str, b: str, cols: tuple[str, ...], other: tuple[str, ...]) -> str:
    parts = []
    for c, o in zip(cols, other, strict=True):
        op = "=" if table.column(c).required else "IS NOT DISTINCT FROM"
        parts.append(f"{a}.{ident(c)} {op} {b}.{ident(o)}")
    return " AND ".join(parts)


def _text(cols: tuple[str, ...], alias: str) -> str:
    return " || ', ' || ".join(f"COALESCE({alias}.{ident(c)}::VARCHAR, '')" for c in cols)


def _clean_rows(name: str) -> str:
    return f"stg_{name} s ANTI JOIN err_{name} e ON s.rowid = e.row"


def check_duplicates(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Rows sharing a key: an exact copy of an earlier row is dropped, conflicting ones all go."""
    key = ", ".join(ident(k) for k in table.key)
    every = ", ".join(ident(c) for c in table.column_names)
    label = ", ".join(table.key)
    n = table.name
    # the cheap count finds the (usually few) duplicated keys; only those rows are compared
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dup_{n} AS SELECT s.rowid AS row, s.* FROM stg_{n} s "
        f"SEMI JOIN (SELECT {key} FROM stg_{n} WHERE _err = 0 GROUP BY ALL HAVING count(*) > 1) g "
        f"ON {_eq(table, 's', 'g', table.key, table.key)} WHERE s._err = 0")
    con.execute(
        f"INSERT INTO err_{n} SELECT d.row, NULL, '{label}', "
        f"CASE WHEN g.variants = 1 THEN 'exact duplicate of an earlier row' "
        f"ELSE 'duplicate key: ' || g.n || ' rows have this key with different values' END, "
        f"{_text(table.key, 'd')}, NULL FROM dup_{n} d JOIN ("
        f"SELECT {key}, count(*) AS n, count(DISTINCT hash({every})) AS variants, "
        f"min(row) AS first FROM dup_{n} GROUP BY ALL) g "
        f"ON {_eq(table, 'd', 'g', table.key, table.key)} "
        f"WHERE NOT (g.variants = 1 AND d.row = g.first)"
    )


def parent_relation(parent: Table, staged: bool) -> str:
    """Rows of ``parent`` as they will be after this import: accepted now, else stored."""
    cols = ", ".join(ident(c) for c in parent.column_names)
    stored = f"SELECT {cols} FROM main.{parent.name} WHERE _valid_to IS NULL"
    if not staged:
        return f"({stored})"
    key_eq = _eq(parent, "cur", "new", parent.key, parent.key)
    return (f"(SELECT {cols} FROM ok_{parent.name} UNION ALL SELECT {cols} FROM "
            f"({stored}) cur ANTI JOIN ok_{parent.name} new ON {key_eq})")


def check_reference(con: duckdb.DuckDBPyConnection, table: Table, ref: Reference,
                    parent_staged: bool) -> None:
    parent = TABLES_BY_NAME[ref.table]
    rel = parent_relation(parent, parent_staged)
    on = " AND ".join(f"c.{ident(a)} = p.{ident(b)}" for a, b in zip(ref.columns, parent.key,
                                                                     strict=True))
    present = " AND ".join(f"c.{ident(a)} IS NOT NULL" for a in ref.columns)
    label = ", ".join(ref.columns)
    con.execute(
        f"INSERT INTO err_{table.name} SELECT c.rowid, NULL, '{label}', "
        f"'not found in {parent.name}', {_text(ref.columns, 'c')}, NULL "
        f"FROM stg_{table.name} c ANTI JOIN {rel} p ON {on} WHERE c._err = 0 AND {present}"
    )
    if ref.check:
        sql, reason = ref.check
        con.execute(
            f"INSERT INTO err_{table.name} SELECT c.rowid, NULL, '{label}', {lit(reason)}, "
            f"{_text(ref.columns, 'c')}, NULL FROM stg_{table.name} c JOIN {rel} p ON {on} "
            f"WHERE c._err = 0 AND {sql}"
        )


def check_schedules(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """A schedule is loaded whole or not at all: seq must run 1..N and every row be good."""
    scope = table.replace_scope
    cols = ", ".join(ident(c) for c in scope)
    label = ", ".join(scope)
    n = table.name
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad_scope_{n} AS "
        f"SELECT {cols}, 'schedule has gaps: seq must run 1..' || max(seq) || ' without gaps' "
        f"AS reason FROM {_clean_rows(n)} GROUP BY ALL HAVING min(seq) <> 1 "
        f"OR max(seq) <> count(*) UNION ALL "
        f"SELECT DISTINCT {cols}, 'schedule refused as a whole: another of its rows is bad' "
        f"FROM stg_{n} s SEMI JOIN err_{n} e ON s.rowid = e.row "
        f"WHERE {' AND '.join(f's.{ident(c)} IS NOT NULL' for c in scope)}"
    )
    on = " AND ".join(f"s.{ident(c)} = b.{ident(c)}" for c in scope)
    con.execute(
        f"INSERT INTO err_{n} SELECT s.rowid, NULL, '{label}', first(b.reason), "
        f"{_text(scope, 's')}, NULL FROM {_clean_rows(n)} JOIN bad_scope_{n} b ON {on} "
        f"GROUP BY ALL"
    )


def accepted_view(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """``ok_<table>``: staged rows with no error, in file order."""
    con.execute(f"CREATE OR REPLACE TEMP VIEW ok_{table.name} AS "
                f"SELECT s.* EXCLUDE (_err, _raw) FROM {_clean_rows(table.name)}")
