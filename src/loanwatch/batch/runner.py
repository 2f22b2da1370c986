"""``loanwatch run``: compute the marts for one or many as-of dates and store them.

First the per-loan marts on the chosen engine, then the marts read from them on the
workspace's DuckDB. Dates are computed a few at a time (``dates_per_pass``): one pass over
the schedule serves every date of the group, and each group is stored in its own
transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb

from loanwatch.batch.marts import MARTS, with_needs
from loanwatch.batch.model_registry import ensure_models_table
from loanwatch.batch.overrides_store import ensure_override_tables
from loanwatch.batch.store import new_run_id, save_arrow, save_mart, stored_dates
from loanwatch.engines.base import AnalyticsEngine, open_engine
from loanwatch.engines.duckdb import planner_settings
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import Policy
from loanwatch.workspace import Workspace

DATES_PER_PASS = 2  # measured at 1M loans: wider passes cost more per date (benchmarks/engine_bench.py)
INPUT_TABLES = ("loans", "installments", "repayments")

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class StoredDates:
    """``stored(mart)``: the dates of ``mart`` in the store, read when asked."""

    con: duckdb.DuckDBPyConnection

    def __call__(self, mart: str) -> list[dt.date]:
        return stored_dates(self.con, mart)


@dataclass
class RunResult:
    run_id: int
    engine: str
    policy_version: str
    rows: dict[str, int] = field(default_factory=dict)  # mart -> rows written
    dates: list[dt.date] = field(default_factory=list)


def run_marts(ws: Workspace, dates: Sequence[dt.date], policy: Policy, *, engine: str = "duckdb",
              dates_per_pass: int | None = None, progress: Progress | None = None,
              marts: Sequence[str] | None = None) -> RunResult:
    """Compute and store ``marts`` (default all, and always what they read) for ``dates``,
    ``dates_per_pass`` at a time (default: each mart's own width, else ``DATES_PER_PASS``)."""
    dates = sorted(set(dates))
    chosen = [MARTS[m] for m in with_needs(marts if marts is not None else list(MARTS))]
    # Spark reads a copy of the tables: make it before this process holds the write lock
    outside = open_engine(engine, ws.database, tables=INPUT_TABLES) if engine != "duckdb" else None
    try:
        with ws.connect() as con:
            ensure_override_tables(con)  # the classification reads them, empty or not
            ensure_models_table(con)  # the scores read the champion, if any
            local = DuckDBEngine.open(con=con)
            eng: AnalyticsEngine = outside or local
            result = RunResult(new_run_id(con), eng.name, policy.version_id, dates=dates)
            stamp = dict(run_id=result.run_id, policy_version=policy.version_id)
            steps = [(m, eng, dates) for m in chosen if not m.reads_marts]
            steps += [(m, local, dates) for m in chosen if m.reads_marts]
            for n, (mart, on, days) in enumerate(steps):
                width = (1 if mart.one_date_at_a_time
                         else dates_per_pass or mart.pass_width or DATES_PER_PASS)
                for group in [days[i:i + width] for i in range(0, len(days), width)]:
                    if progress:
                        progress(f"{mart.name} {group[0]}…{group[-1]}", n, len(steps))
                    # what was stored before, this run's earlier groups and marts included
                    expr = mart.build(on, group, policy, stored=StoredDates(con))
                    if on is local:
                        settings = mart.history_settings if len(group) > 1 else ()
                        with planner_settings(con, settings):
                            written = save_mart(con, mart.name, local.sql(expr), group,
                                                engine=on.name, columns=expr.columns, **stamp)
                    else:
                        written = save_arrow(con, mart.name, on.to_arrow(expr), group, engine=on.name,
                                             **stamp)
                    result.rows[mart.name] = result.rows.get(mart.name, 0) + written
            if progress:
                progress("done", len(steps), len(steps))
            return result
    finally:
        if outside is not None:
            outside.close()
