"""``loanwatch export <mart>``: write a stored mart for one as-of date to CSV or Parquet;
``loanwatch show <mart>``: read some of its rows.

Money columns are DECIMAL(18,2), so CSV shows exactly two decimals and Parquet keeps the
decimal type; rows are sorted by the mart's key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import duckdb

from loanwatch.batch.errors import ExportError
from loanwatch.batch.marts import MARTS, Mart
from loanwatch.batch.store import stored_dates

FORMATS = {".csv": "(FORMAT csv, HEADER true)", ".parquet": "(FORMAT parquet)"}


def export_mart(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date | None, out: Path) -> int:
    """Write mart ``name`` as of ``as_of`` (default: the latest stored) to ``out``; rows written."""
    mart, as_of = _stored(con, name, as_of)
    fmt = FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise ExportError(f"{out}: the file name must end in {' or '.join(FORMATS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    order = ", ".join(mart.key)
    query = (f"SELECT * EXCLUDE (run_id) FROM main.{name} WHERE as_of = DATE '{as_of.isoformat()}' "
             f"ORDER BY {order}")
    con.execute(f"COPY ({query}) TO '{_quoted(out)}' {fmt}")
    return con.execute(f"SELECT count(*) FROM main.{name} WHERE as_of = ?", [as_of]).fetchall()[0][0]


def read_mart(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date | None,
              where: Mapping[str, str] | None = None, limit: int = 50
              ) -> tuple[dt.date, list[str], list[tuple]]:
    """Rows of mart ``name`` as of ``as_of`` (default: the latest stored) whose columns equal
    the texts of ``where``, in key order, at most ``limit``: (date, column names, rows)."""
    mart, as_of = _stored(con, name, as_of)
    names = [r[0] for r in con.execute(f"DESCRIBE main.{name}").fetchall() if r[0] != "run_id"]
    unknown = sorted(set(where or {}) - set(names))
    if unknown:
        raise ExportError(f"{name} has no column {', '.join(unknown)} (columns: {', '.join(names)})")
    tests = "".join(f" AND CAST({c} AS VARCHAR) = ?" for c in (where or {}))
    cur = con.execute(f"SELECT * EXCLUDE (run_id) FROM main.{name} WHERE as_of = ?{tests} "
                      f"ORDER BY {', '.join(mart.key)} LIMIT {int(limit)}",
                      [as_of, *(where or {}).values()])
    return as_of, [c[0] for c in cur.description], cur.fetchall()


def _stored(con: duckdb.DuckDBPyConnection, name: str, as_of: dt.date | None
            ) -> tuple[Mart, dt.date]:
    """The mart and the date asked for (default: the latest stored), or why not."""
    mart = MARTS.get(name)
    if mart is None:
        raise ExportError(f"unknown mart {name!r}: choose one of {', '.join(sorted(MARTS))}")
    have = stored_dates(con, name)
    if as_of is None and have:
        as_of = have[-1]
    if as_of not in have:
        raise ExportError(f"no {name} as of {as_of or 'any date'}: run `loanwatch run --as-of "
                          f"{as_of or 'YYYY-MM-DD'}` first")
    return mart, as_of


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")
