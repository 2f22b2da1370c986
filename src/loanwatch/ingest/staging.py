"""Stage one file: parse every value into its contract type in a single pass, flag bad
values with a bitmask, then find rows that break keys, references and schedules.

The staged table ``stg_<table>`` keeps the file's row order (its ``rowid`` is the row
position) and the errors go to ``err_<table>`` as (row, column, reason)."""

from __future__ import annotations

import duckdb

from loanwatch.ingest.cells import (
    Check,
    cleaned_sql,
    ident,
    lit,
    table_checks,
    text_alias,
    typed_sql,
)
from loanwatch.ingest.contract import SQL_TYPES, Table
from loanwatch.ingest.readers import Source

MAX_CHECKS = 64


def extra_columns(table: Table, src: Source) -> dict[str, str]:
    """File columns the contract does not know: kept as text, under a safe name."""
    extras = {}
    for norm, raw in src.columns.items():
        if norm not in table.column_names:
            extras[("x" + norm) if norm.startswith("_") else norm] = raw
    return extras


def _value_columns(table: Table, src: Source, timezone: str) -> list[str]:
    parts = []
    for col in table.columns:
        raw = src.columns.get(col.name)
        stype = src.types.get(raw) if raw else None
        v = cleaned_sql(raw, stype)
        typed = typed_sql(col, text_alias(col.name), stype, timezone)
        if col.default is not None:
            typed = f"COALESCE({typed}, {col.default})"
        typed = f"CAST({typed} AS {SQL_TYPES[col.kind]})"
        parts.append(f"{v} AS {text_alias(col.name)}, {typed} AS {ident(col.name)}")
    return parts


def stage_values(con: duckdb.DuckDBPyConnection, table: Table, src: Source,
                 timezone: str) -> list[Check]:
    """Create ``stg_<table>`` from the file in one pass; return the checks of the bitmask."""
    checks = table_checks(table)
    assert len(checks) <= MAX_CHECKS, f"{table.name}: too many checks for one bitmask"
    extras = extra_columns(table, src)
    inner = _value_columns(table, src, timezone) + [
        f"{cleaned_sql(raw, 'VARCHAR' if src.types[raw] == 'VARCHAR' else None)}"
        f"::VARCHAR AS {ident(name)}" for name, raw in extras.items()]
    mask = " | ".join(f"(CASE WHEN COALESCE({c.sql}, false) THEN {1 << i}::UBIGINT "
                      "ELSE 0::UBIGINT END)" for i, c in enumerate(checks)) or "0::UBIGINT"
    raw_json = ", ".join(f"'{c.name}': {text_alias(c.name)}::VARCHAR" for c in table.columns)
    out = [ident(c.name) for c in table.columns] + [ident(n) for n in extras]
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE stg_{table.name} AS "
        f"SELECT {', '.join(out)}, _err, CASE WHEN _err <> 0 THEN to_json({{{raw_json}}}) "
        f"END AS _raw FROM (SELECT *, {mask} AS _err FROM "
        f"(SELECT {', '.join(inner)} FROM {src.relation_sql}))"
    )
    src.row_base = con.execute(f"SELECT min(rowid) FROM stg_{table.name}").fetchall()[0][0] or 0
    return checks


def record_value_errors(con: duckdb.DuckDBPyConnection, table: Table,
                        checks: list[Check]) -> None:
    """Create ``err_<table>`` with one row per failed check of each bad row."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE err_{table.name} (row BIGINT, line BIGINT, "
                "column_name VARCHAR, reason VARCHAR, value VARCHAR, raw VARCHAR)")
    if not checks:
        return
    values = ", ".join(f"({1 << i}::UBIGINT, '{c.column}', {lit(c.reason)})"
                       for i, c in enumerate(checks))
    con.execute(
        f"INSERT INTO err_{table.name} SELECT s.rowid, NULL, c.col, c.reason, "
        f"json_extract_string(s._raw, c.col), s._raw "
        f"FROM stg_{table.name} s JOIN (VALUES {values}) c(bit, col, reason) "
        f"ON (s._err & c.bit) <> 0 WHERE s._err <> 0"
    )
