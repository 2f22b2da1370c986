"""Checks across rows of a staged table: duplicate keys, references to other tables and
complete schedules. Each adds (row, column, reason) to ``err_<table>``; ``accepted_view``
then names the rows that passed everything, with the table's derived columns."""

from __future__ import annotations

import datetime as dt

import duckdb

from loanwatch.engines.duckdb import in_force_sql
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


def accepted_rows(name: str) -> str:
    """FROM clause (alias ``s``) of the staged rows with no error recorded, so far."""
    return f"{_clean_rows(name)} WHERE s._err = 0"


def check_duplicates(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """Rows sharing a key: an exact copy of an earlier row is dropped, conflicting ones all go."""
    key = ", ".join(ident(k) for k in table.key)
    every = ", ".join(ident(c) for c in table.column_names)
    label = ", ".join(table.key)
    n = table.name
    # as many distinct key hashes as rows proves every key unique (the usual case) with a
    # count over integers; otherwise the grouping finds the duplicated keys (a hash
    # collision only costs that grouping) and only their rows are compared
    if con.execute(f"SELECT count(*) = count(DISTINCT hash({key})) FROM stg_{n} "
                   "WHERE _err = 0").fetchall()[0][0]:
        return
    con.execute(f"CREATE OR REPLACE TEMP TABLE dup_{n} AS SELECT {key} FROM stg_{n} "
                "WHERE _err = 0 GROUP BY ALL HAVING count(*) > 1")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE dup_{n} AS SELECT s.rowid AS row, s.* FROM stg_{n} s "
        f"SEMI JOIN dup_{n} g ON {_eq(table, 's', 'g', table.key, table.key)} WHERE s._err = 0")
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


def check_reference(con: duckdb.DuckDBPyConnection, table: Table, ref: Reference,
                    as_of: dt.date) -> None:
    """Against the parent rows in force at the as-of date, this import's included."""
    parent = TABLES_BY_NAME[ref.table]
    on = " AND ".join(f"c.{ident(a)} = p.{ident(b)}" for a, b in zip(ref.columns, parent.key,
                                                                     strict=True))
    present = " AND ".join(f"c.{ident(a)} IS NOT NULL" for a in ref.columns)
    missing = f"p.{ident(parent.key[0])} IS NULL"
    sql, reason = ref.check or ("false", "")
    con.execute(
        f"INSERT INTO err_{table.name} SELECT c.rowid, NULL, '{', '.join(ref.columns)}', "
        f"CASE WHEN {missing} THEN 'not found in {parent.name}' ELSE {lit(reason)} END, "
        f"{_text(ref.columns, 'c')}, NULL FROM stg_{table.name} c "
        f"LEFT JOIN {in_force_sql(parent.name, as_of)} p ON {on} "
        f"WHERE c._err = 0 AND {present} AND ({missing} OR {sql})"
    )


def check_schedules(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """A schedule is loaded whole or not at all: its seq must run 1, 2, 3, … and every row
    be good. One grouping finds the schedules that do not run 1 … n; only those are
    numbered row by row, to say where they break."""
    n, scope = table.name, table.replace_scope
    cols = ", ".join(ident(c) for c in scope)
    whole = "'schedule refused as a whole: another of its rows is bad'"
    # rows the CSV reader refused are known only by their raw fields
    unread = ", ".join(f"json_extract_string(raw, {lit(c)}) AS {ident(c)}" for c in scope)
    good = accepted_rows(n)
    window = f"WINDOW w AS (PARTITION BY {cols} ORDER BY seq)"
    odd = (f"SELECT {cols}, seq, row_number() OVER w AS _rn, lag(seq) OVER w AS _prev "
           f"FROM (SELECT s.* FROM {good}) SEMI JOIN ({_broken_scopes(con, n, cols, good)}) o "
           f"USING ({cols}) {window}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bad_scope_{n} AS SELECT {cols}, "
        f"first(reason ORDER BY prio) AS reason "
        f"FROM (SELECT {cols}, CASE WHEN bool_or(_prev = seq) THEN 'schedule repeats seq ' || "
        f"min(seq) FILTER (WHERE _prev = seq) ELSE 'schedule has gaps: seq must run 1, 2, 3, "
        f"… without gaps; seq ' || arg_min(seq, _rn) || ' found where ' || min(_rn) || "
        f"' was expected' END AS reason, 1 AS prio FROM ({odd}) WHERE _rn <> seq GROUP BY ALL "
        f"UNION ALL SELECT DISTINCT {cols}, {whole}, 0 FROM stg_{n} s SEMI JOIN err_{n} e "
        f"ON s.rowid = e.row WHERE {' AND '.join(f's.{ident(c)} IS NOT NULL' for c in scope)} "
        f"UNION ALL SELECT DISTINCT {unread}, {whole}, 0 FROM err_{n} WHERE row IS NULL "
        f"AND {' AND '.join(f'json_extract_string(raw, {lit(c)}) IS NOT NULL' for c in scope)}"
        f") GROUP BY ALL")
    on = " AND ".join(f"s.{ident(c)} = b.{ident(c)}" for c in scope)
    con.execute(
        f"INSERT INTO err_{n} SELECT s.rowid, NULL, '{', '.join(scope)}', b.reason, "
        f"{_text(scope, 's')}, NULL FROM {_clean_rows(n)} JOIN bad_scope_{n} b ON {on}")


# a bitstring of this many bits per schedule marks the seq values it holds (16 bytes per
# 128 seq); past it (daily schedules of decades) each row is compared with the one before
MAX_SEQ_BITS = 4096


def _broken_scopes(con: duckdb.DuckDBPyConnection, n: str, cols: str, good: str) -> str:
    """SQL of the scopes whose seq do not run 1 … count: the lowest is not 1, the highest is
    not the count, or there are fewer distinct values than rows. A grouping, no sort."""
    top = con.execute(f"SELECT max(seq) FROM stg_{n} WHERE _err = 0").fetchall()[0][0] or 1
    if top <= MAX_SEQ_BITS:
        return (f"SELECT {cols} FROM {good} GROUP BY ALL HAVING min(seq) <> 1 OR "
                f"max(seq) <> count(*) OR bit_count(bitstring_agg(seq, 1, {top})) <> count(*)")
    return (f"SELECT DISTINCT {cols} FROM (SELECT {cols}, seq, lag(seq) OVER (PARTITION BY "
            f"{cols} ORDER BY seq) AS _prev FROM {good}) WHERE seq <> COALESCE(_prev, 0) + 1")


def accepted_view(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    """``ok_<table>``: rows with no error, with derived columns (a schedule's running sums
    are computed here, over whole schedules: a refused one has all its rows in the errors)."""
    n = table.name
    derived = "".join(f", {sql} AS {ident(name)}" for name, (_, sql) in table.derived.items())
    con.execute(f"CREATE OR REPLACE TEMP VIEW ok_{n} AS SELECT s.* EXCLUDE (_err, _raw)"
                f"{derived} FROM {accepted_rows(n)}")
