"""``loanwatch export <mart>``: write a stored mart for one as-of date to CSV or Parquet.

Money columns are DECIMAL(18,2), so CSV shows exactly two decimals and Parquet keeps the
decimal type; rows are sorted by the mart's key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from loanwatch.batch.marts import MARTS
from loanwatch.batch.store import stored_dates

FORMATS = {".csv": "(FORMAT csv, HEADER true)", ".parquet": "(FORMAT parquet)"}


class ExportError(Exception):
    """The mart, the date or the output file cannot be exported; the message says why."""


def export_mart(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date | None, out: Path) -> int:
    """Write mart ``name`` as of ``as_of`` (default: the latest stored) to ``out``; rows written."""
    mart = MARTS.get(name)
    if mart is None:
        raise ExportError(f"unknown mart {name!r}: choose one of {', '.join(sorted(MARTS))}")
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ExportError(f"{out}: the file name must end in {' or '.join(FORMATS)}")
    have = stored_dates(con, name)
    if as_of is None and have:
        as_of = have[-1]
    if as_of not in have:
        raise ExportError(f"no {name} as of {as_of or 'any date'}: run `loanwatch run --as-of "
                          f"{as_of or 'YYYY-MM-DD'}` first")
    out.parent.mkdir(parents=True, exist_ok=True)
    order = ", ".join(mart.key)
    query = (f"SELECT * EXCLUDE (run_id) FROM main.{name} WHERE as_of = DATE '{as_of.isoformat()}' "
             f"ORDER BY {order}")
    con.execute(f"COPY ({query}) TO '{_quoted(out)}' {fmt}")
    return con.execute(f"SELECT count(*) FROM main.{name} WHERE as_of = ?", [as_of]).fetchall()[0][0]


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
