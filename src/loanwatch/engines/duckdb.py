"""The DuckDB analytics database of a workspace: the one place that opens it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa

from loanwatch.security.pii import PiiCipher


def connect(path: Path, *, read_only: bool = False,
            cipher: PiiCipher | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database; with a cipher, SQL gets ``lw_encrypt`` and ``lw_hash``."""
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute("SET preserve_insertion_order = true")
    if cipher is not None:
        register_pii_functions(con, cipher)
    return con


def register_pii_functions(con: duckdb.DuckDBPyConnection, cipher: PiiCipher) -> None:
    def encrypt(values: pa.Array) -> pa.Array:
        return pa.array([cipher.encrypt(v) for v in values.to_pylist()], pa.string())

    def keyed_hash(values: pa.Array) -> pa.Array:
        return pa.array([cipher.hash(v) for v in values.to_pylist()], pa.string())

    for name, fn in (("lw_encrypt", encrypt), ("lw_hash", keyed_hash)):
        con.create_function(name, fn, ["VARCHAR"], "VARCHAR", type="arrow",
                            null_handling="special", side_effects=name == "lw_encrypt")


def in_force_sql(table: str, as_of: dt.date) -> str:
    """SQL of a table's row versions in force at the end of ``as_of``."""
    day = f"DATE '{as_of.isoformat()}'"
    return (f"(SELECT * EXCLUDE (_valid_from, _valid_to, _import_id) FROM main.{table} "
            f"WHERE (_valid_from IS NULL OR _valid_from <= {day}) "
            f"AND (_valid_to IS NULL OR _valid_to > {day}))")
