"""``loanwatch backtest``: run the monitoring month-end by month-end (no look-ahead: each date
is an ordinary run, reading only data known by it), then measure its alerts against what
really happened (rules/backtest.py).

The truth is a folder with ``loans.parquet`` or ``loans.csv``: ``loan_id`` and
``first_90dpd_on`` (empty for a loan that did not default), optionally ``first_miss_on``
and ``scenario`` (what made it fail, for a recall per scenario).
The simulator writes one (``ground_truth/``); a bank builds it from its own later history.
Monitoring never reads it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from loanwatch.batch.alert_marts import escalations_of
from loanwatch.batch.runner import Progress, run_marts
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import Policy
from loanwatch.rules.backtest import (
    SUMMARY_RULES,
    Window,
    alert_flags,
    case_detection,
    defaults,
    dpd_flags,
    measures,
    recall_by,
)
from loanwatch.rules.catalogue import signal_titles
from loanwatch.workspace import Workspace

TRUTH_COLUMNS = {"loan_id": pa.string(), "first_90dpd_on": pa.date32(),
                 "first_miss_on": pa.date32(), "scenario": pa.string()}
REQUIRED = ("loan_id", "first_90dpd_on")


class TruthError(ValueError):
    """The truth folder cannot be read as the backtest needs it."""


@dataclass
class Backtest:
    month_ends: list[dt.date]
    outcome_end: dt.date
    window: Window
    policy_version: str
    rows: list[dict[str, object]] = field(default_factory=list)  # one per rule
    # recall of the summary rules per scenario of the truth (when it has one)
    by_scenario: list[dict[str, object]] = field(default_factory=list)
    titles: dict[str, tuple[str, str]] = field(default_factory=dict)  # rule -> (zh, en)
    # per injected case of the truth's scenarios (when it has them): the share picked out by
    # each signal group, real cases and look-alikes
    detection: list[dict[str, object]] = field(default_factory=list)


def read_truth(folder: Path) -> pa.Table:
    """The truth's ``loans`` table, typed; a clear ``TruthError`` when it is missing or
    lacks a column."""
    for name, read in (("loans.parquet", pq.read_table), ("loans.csv", _read_csv)):
        path = folder / name
        if path.exists():
            try:
                t = read(path)
            except (pa.ArrowInvalid, OSError) as e:
                raise TruthError(f"{path}: cannot be read ({e})") from None
            break
    else:
        raise TruthError(f"{folder}: no loans.parquet or loans.csv (loan_id, first_90dpd_on)")
    missing = [c for c in REQUIRED if c not in t.column_names]
    if missing:
        raise TruthError(f"{path}: missing column {', '.join(missing)}")
    cols = [c for c in TRUTH_COLUMNS if c in t.column_names]
    try:
        return pa.table({c: t[c].cast(TRUTH_COLUMNS[c]) for c in cols})
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
        raise TruthError(f"{path}: {e}") from None


CASE_COLUMNS = {"loan_id": pa.string(), "customer_id": pa.string(), "scenario": pa.string(),
                "role": pa.string(), "trace_on": pa.date32(), "default_onset_on": pa.date32()}


def read_cases(folder: Path) -> pa.Table | None:
    """The truth's ``scenarios`` (one row per injected case), or None when it has none."""
    for name in ("scenarios.parquet", "scenarios.csv"):
        path = folder / name
        if path.exists():
            try:
                t = pq.read_table(path) if name.endswith(".parquet") else pacsv.read_csv(
                    path, convert_options=pacsv.ConvertOptions(
                        column_types={c: pa.string() for c in CASE_COLUMNS}))
                cols = [c for c in CASE_COLUMNS if c in t.column_names]
                return pa.table({c: _date(t[c]) if CASE_COLUMNS[c] == pa.date32()
                                 and pa.types.is_string(t[c].type) else t[c].cast(CASE_COLUMNS[c])
                                 for c in cols})
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, KeyError, OSError) as e:
                raise TruthError(f"{path}: {e}") from None
    return None


def _read_csv(path: Path) -> pa.Table:
    types = {c: pa.string() for c in TRUTH_COLUMNS}
    t = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types))
    return pa.table({c: _date(t[c]) if TRUTH_COLUMNS[c] == pa.date32() else t[c]
                     for c in t.column_names if c in TRUTH_COLUMNS})


def _date(text: pa.ChunkedArray) -> pa.ChunkedArray:
    """``YYYY-MM-DD`` text to dates, empty cells to nulls."""
    blank = pc.equal(pc.utf8_trim_whitespace(text), "")
    return pc.strptime(pc.if_else(blank, None, text), "%Y-%m-%d", "s").cast(pa.date32())


def backtest(ws: Workspace, policy: Policy, month_ends: Sequence[dt.date], truth: pa.Table, *,
             outcome_end: dt.date | None = None, window: Window | None = None, rerun: bool = True,
             progress: Progress | None = None, cases: pa.Table | None = None) -> Backtest:
    """Run the alerts (and what they read) for ``month_ends`` unless ``rerun`` is off, then
    measure them against ``truth``. Outcomes count up to ``outcome_end`` (default the last
    month-end)."""
    days = sorted(month_ends)
    end = outcome_end or days[-1]
    window = window or Window()
    if rerun:
        run_marts(ws, days, policy, marts=["alerts"], progress=progress)
    with ws.connect(read_only=True) as con:
        eng = DuckDBEngine.open(con=con)
        alerts = eng.table("alerts")
        alerts = alerts.filter(alerts.as_of.isin(days))
        snaps = eng.table("loan_snapshot")
        snaps = snaps.filter(snaps.as_of.isin(days))
        flags = ibis.union(alert_flags(alerts, escalations_of(policy)), dpd_flags(snaps))
        d = defaults(ibis.memtable(truth), eng.table("loans"), window)
        table = eng.to_arrow(measures(flags, snaps, d, days, end, window))
        scen = (eng.to_arrow(recall_by(flags, d, "scenario", SUMMARY_RULES, days[0], days[-1],
                                       window)).to_pylist()
                if "scenario" in truth.column_names else [])
        found = (eng.to_arrow(case_detection(alerts, ibis.memtable(cases), days[0],
                                             days[-1])).to_pylist()
                 if cases is not None and cases.num_rows else [])
    return Backtest(days, end, window, policy.version_id, table.to_pylist(), scen,
                    signal_titles(policy), found)
