"""The analytics engine port: where Ibis expressions over the workspace's tables run.

Analytics functions take ``ibis.Table`` and return ``ibis.Table``; an engine supplies the
stored tables and executes expressions. ``DuckDBEngine`` (default) runs them on the
workspace's DuckDB file, ``SparkEngine`` (extra ``loanwatch[spark]``) on PySpark over a
Parquet copy of the same tables. Both must give identical results (one contract test)."""

from __future__ import annotations

from typing import Protocol

import ibis
import pyarrow as pa


class AnalyticsEngine(Protocol):
    name: str

    def table(self, name: str) -> ibis.Table:
        """A stored contract table with all its row versions (``_valid_from``/``_valid_to``)."""
        ...

    def to_arrow(self, expr: ibis.Table) -> pa.Table:
        """Execute an expression and return its rows."""
        ...

    def close(self) -> None: ...


ENGINES = ("duckdb", "spark")


def open_engine(name: str, database, **options) -> AnalyticsEngine:
    """The engine called ``name`` over a workspace database; backends load lazily by name."""
    if name == "duckdb":
        from loanwatch.engines.ibis_duckdb import DuckDBEngine
        return DuckDBEngine.open(database, **options)
    if name == "spark":
        from loanwatch.engines.spark import SparkEngine
        return SparkEngine.open(database, **options)
    raise ValueError(f"unknown engine {name!r}: choose one of {', '.join(ENGINES)}")
