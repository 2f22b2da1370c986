"""Fund-flow tracing benchmark: trace the proceeds of the loans disbursed in the 30 days to
the as-of date (~55k of a 1M-loan lender) through its ~50M transactions, as the
``fund_flows`` mart of ``loanwatch run`` does (each hop run and held before the next).

    python benchmarks/flows_bench.py [--loans 1000000] [--repeat 1] [--days 30]

Uses the simulated workspace of benchmarks/signals_bench.py (made once under
benchmarks/out/). Baseline, measured in the same run: one scan of the transactions of the
same period (count and sum by direction). Goal: the trace <= 60 s.
Exit status: 0 the goal holds, 1 it is missed."""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import ibis

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_bench import DEFAULT_LOANWATCH  # noqa: E402
from signals_bench import ensure_workspace  # noqa: E402

from loanwatch.analytics.expr import in_force  # noqa: E402
from loanwatch.analytics.flows.findings import flow_findings  # noqa: E402
from loanwatch.analytics.flows.proceeds import traced_hops  # noqa: E402
from loanwatch.batch.flow_marts import flow_rules  # noqa: E402
from loanwatch.engines.ibis_duckdb import DuckDBEngine  # noqa: E402
from loanwatch.policy import load_default_policy  # noqa: E402

GOAL_SECONDS = 60.0


def trace(engine: DuckDBEngine, since: dt.date, day: dt.date) -> tuple[float, dict]:
    rules = flow_rules(load_default_policy())
    start = time.perf_counter()
    steps = {}

    def materialise(t):
        t0 = time.perf_counter()
        rows = engine.to_arrow(t)
        steps[f"step {len(steps) + 1}"] = (time.perf_counter() - t0, rows.num_rows)
        return ibis.memtable(rows)

    loans = engine.table("loans")
    tr = traced_hops(loans, engine.table("transactions"), engine.table("accounts"),
                     engine.table("relations"), engine.table("guarantees"), since, day, rules,
                     materialise=materialise)
    contracts = engine.table("contracts")
    found = flow_findings(tr.hops, tr.regular, loans.filter(in_force(loans, day)),
                          contracts.filter(in_force(contracts, day)), rules)
    t0 = time.perf_counter()
    rows = engine.to_arrow(found)
    steps["findings"] = (time.perf_counter() - t0, rows.num_rows)
    return time.perf_counter() - start, steps


def scan(engine: DuckDBEngine, since: dt.date, day: dt.date) -> float:
    t = engine.table("transactions")
    t = t.filter(t.occurred_at >= dt.datetime.combine(since, dt.time()),
                 t.occurred_at < dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))
    start = time.perf_counter()
    engine.to_arrow(t.group_by("direction").aggregate(n=t.count(), total=t.amount.sum()))
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--days", type=int, default=30)
    # the simulated lender's last disbursements are in its last but one month
    ap.add_argument("--as-of", default="2025-11-30")
    a = ap.parse_args()
    ws = ensure_workspace(a.loans, DEFAULT_LOANWATCH)
    day = dt.date.fromisoformat(a.as_of)
    since = day - dt.timedelta(days=a.days)
    engine = DuckDBEngine.open(ws / "loanwatch.duckdb")
    try:
        con = engine.con
        txns = con.execute("SELECT count(*) FROM transactions").fetchall()[0][0]
        new = con.execute("SELECT count(*) FROM loans WHERE disbursed_on > ? AND disbursed_on <= ?",
                          [since, day]).fetchall()[0][0]
        traces, scans, steps = [], [], {}
        for _ in range(a.repeat):
            seconds, steps = trace(engine, since, day)
            traces.append(seconds)
            scans.append(scan(engine, since, day))
    finally:
        engine.close()
    figure, base = statistics.median(traces), statistics.median(scans)
    print(f"trace of {new:,} loans disbursed {since}..{day} through {txns:,} transactions "
          f"({a.loans:,} loans): {figure:.2f} s (median of {a.repeat})")
    for name, (s, n) in steps.items():
        print(f"  {name:10s} {s:7.2f} s  {n:>10,} rows")
    print(f"baseline: one scan of the period's transactions {base:.2f} s; trace = "
          f"{figure / base:.1f}x the scan")
    ok = figure <= GOAL_SECONDS
    print(f"  {'ok  ' if ok else 'MISS'} tracing {figure:.1f} s <= {GOAL_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
