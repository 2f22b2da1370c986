"""Reading the quarantine: refused rows with the file, line, column and reason."""

from __future__ import annotations

from pathlib import Path

import duckdb


def summary(con: duckdb.DuckDBPyConnection, limit_imports: int = 20) -> list[tuple]:
    """(import, as of, table, column, reason, rows) for the most recent imports."""
    return con.execute(
        "SELECT q.import_id, i.as_of, q.table_name, q.column_name, q.reason, count(*) "
        "FROM lw_quarantine q JOIN lw_imports i USING (import_id) "
        "WHERE q.import_id IN (SELECT import_id FROM lw_imports ORDER BY import_id DESC "
        "LIMIT ?) GROUP BY ALL ORDER BY 1 DESC, 3, 6 DESC", [limit_imports]).fetchall()


def latest_import(con: duckdb.DuckDBPyConnection) -> int | None:
    return con.execute("SELECT max(import_id) FROM lw_imports").fetchall()[0][0]


def rows(con: duckdb.DuckDBPyConnection, import_id: int | None, table: str | None,
         limit: int) -> list[tuple]:
    """Refused rows of one import (default: the latest), masked values only."""
    import_id = import_id if import_id is not None else latest_import(con)
    return con.execute(
        "SELECT import_id, table_name, file, line, column_name, value, reason "
        "FROM lw_quarantine WHERE import_id = ? AND (? IS NULL OR table_name = ?) "
        "ORDER BY table_name, line, column_name LIMIT ?",
        [import_id, table, table, limit]).fetchall()


def write_quarantine_file(con: duckdb.DuckDBPyConnection, folder: Path,
                          import_id: int) -> Path | None:
    """``quarantine/import-<id>.csv`` for data engineers to fix at the source."""
    count = con.execute("SELECT count(*) FROM lw_quarantine WHERE import_id = ?",
                        [import_id]).fetchall()[0][0]
    if not count:
        return None
    path = folder / f"import-{import_id}.csv"
    folder.mkdir(parents=True, exist_ok=True)
    con.execute(
        f"COPY (SELECT table_name, file, line, column_name, value, reason, raw "
        f"FROM lw_quarantine WHERE import_id = {int(import_id)} ORDER BY table_name, line) "
        f"TO '{str(path).replace(chr(39), chr(39) * 2)}' (HEADER, DELIMITER ',')")
    return path
