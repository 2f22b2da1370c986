"""The DuckDB analytics database of a workspace: the one place that opens it."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa

from loanwatch.security.pii import HASH_HEX_CHARS, PiiCipher


def connect(path: Path, *, read_only: bool = False, cipher: PiiCipher | None = None,
            memory_limit: str | None = None,
            temp_directory: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Open the database; with a cipher, SQL gets ``lw_encrypt(v)`` and ``lw_hash(v)``."""
    config = {"preserve_insertion_order": True}
    if memory_limit:
        config["memory_limit"] = memory_limit
    if temp_directory:
        config["temp_directory"] = str(temp_directory)
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    if cipher is not None:
        register_pii_functions(con, cipher)
    return con


def register_pii_functions(con: duckdb.DuckDBPyConnection, cipher: PiiCipher) -> None:
    """``lw_encrypt`` runs AES-GCM in Python; ``lw_hash`` is HMAC-SHA256 in SQL (vectorised)."""

    def encrypt(values: pa.Array) -> pa.Array:
        return pa.array(cipher.encrypt_many(values.to_pylist()), pa.string())

    con.create_function("lw_encrypt", encrypt, ["VARCHAR"], "VARCHAR", type="arrow",
                        null_handling="special", side_effects=True)
    inner, outer = cipher.hmac_pads()
    con.execute("SET VARIABLE lw_hmac_inner = ?", [inner])
    con.execute("SET VARIABLE lw_hmac_outer = ?", [outer])
    con.execute("CREATE OR REPLACE TEMP MACRO lw_hash(v) AS CASE WHEN v IS NULL THEN NULL ELSE "
                "left(sha256(getvariable('lw_hmac_outer') || unhex(sha256(getvariable("
                f"'lw_hmac_inner') || encode(v::VARCHAR)))), {HASH_HEX_CHARS}) END")


@contextlib.contextmanager
def planner_settings(con: duckdb.DuckDBPyConnection, settings: Sequence[str]) -> Iterator[None]:
    """DuckDB settings (``name = value``) for the queries run inside, reset after."""
    for setting in settings:
        con.execute(f"SET {setting}")
    try:
        yield
    finally:
        for setting in settings:
            con.execute(f"RESET {setting.split('=')[0].strip()}")


def in_force_sql(table: str, as_of: dt.date) -> str:
    """SQL of a table's row versions in force at the end of ``as_of``."""
    day = f"DATE '{as_of.isoformat()}'"
    return (f"(SELECT * EXCLUDE (_valid_from, _valid_to, _import_id) FROM main.{table} "
            f"WHERE (_valid_from IS NULL OR _valid_from <= {day}) "
            f"AND (_valid_to IS NULL OR _valid_to > {day}))")
