"""Signals-and-indicators benchmark: the early-warning part of ``loanwatch run --as-of D`` on a
simulated lender of 1M loans with every contract table (bureau, registry, statements,
incomes, collateral, guarantees, accounts and ~50M transactions).

    python benchmarks/signals_bench.py [--loans 1000000] [--repeat 1] [--keep]

The simulated portfolio (``loanwatch simulate``, 24 months, Parquet) and its imported
workspace are made once under benchmarks/out/ and reused. Each repetition runs
``loanwatch run --as-of <last month-end> --mart loan_warnings`` (the alerts and everything
they read) on a fresh copy of the workspace, and reads each mart's seconds from the run's
``lw_runs`` timestamps (stamped when a mart's rows are written, so a mart's seconds are its
build, query and write). The figure is indicators + alerts + warning levels + loan warnings;
the baseline, from the same run, is the loan snapshot. Goal: signals and indicators for one
date <= 20 s. Exit status: 0 the goal holds, 1 it is missed, 2 a step failed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_bench import DEFAULT_LOANWATCH, OUT_DIR, _tail, measure  # noqa: E402
from run_bench import mart_seconds  # noqa: E402

GOAL_SECONDS = 20.0
SIGNAL_MARTS = ("indicators", "alerts", "warning_levels", "loan_warnings")
MONTHS = 24
START = "2024-01-01"
AS_OF = "2025-12-31"  # the last month-end simulated


def ensure_workspace(loans: int, cli: Path) -> Path:
    """The simulated lender's workspace, made once (simulate, init, import)."""
    ws = OUT_DIR / f"signals-ws-{loans}"
    if (ws / ".complete").exists():
        return ws
    data = OUT_DIR / f"signals-data-{loans}"
    shutil.rmtree(ws, ignore_errors=True)
    shutil.rmtree(data, ignore_errors=True)
    for step in (["simulate", "--out", data, "--loans", str(loans), "--months", str(MONTHS),
                  "--start", START, "--format", "parquet", "--seed", "7"],
                 ["init", ws],
                 ["import", data, "--workspace", ws, "--as-of", AS_OF]):
        run = measure([cli, *step])
        print(f"  made: loanwatch {step[0]:9s} {run.seconds:7.1f} s  peak {run.peak_mb:6.0f} MB")
        if run.returncode != 0:
            print(_tail(run.stderr))
            raise SystemExit(2)
    shutil.rmtree(data, ignore_errors=True)
    (ws / ".complete").touch()
    return ws


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the run's workspace copy")
    a = ap.parse_args()
    cli = DEFAULT_LOANWATCH
    ws = ensure_workspace(a.loans, cli)
    work = OUT_DIR / "signals-bench-ws"
    figures, baselines, wholes, peaks, parts = [], [], [], [], {}
    for _ in range(a.repeat):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(ws, work)
        run = measure([cli, "run", "--workspace", work, "--as-of", AS_OF, "--mart", "loan_warnings"])
        if run.returncode != 0:
            print(_tail(run.stderr, 40))
            return 2
        parts = mart_seconds(work)
        figures.append(sum(parts.get(m, 0.0) for m in SIGNAL_MARTS))
        baselines.append(parts.get("repayment_record", float("nan")))
        wholes.append(run.seconds)
        peaks.append(run.peak_mb)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    figure, whole = statistics.median(figures), statistics.median(wholes)
    # the snapshot is the run's first mart: its lw_runs gap includes start-up, so the
    # baseline is the whole run minus everything after the snapshot
    after = statistics.median(baselines)
    snapshot = whole - sum(s for s in parts.values() if s == s)
    print(f"loanwatch run --as-of {AS_OF} --mart loan_warnings, {a.loans:,} loans: "
          f"{whole:.2f} s, peak {max(peaks):.0f} MB (median of {a.repeat})")
    for mart, s in parts.items():
        print(f"  {mart:22s} {s:7.2f} s" if s == s else f"  {mart:22s} (first: start-up + compute)")
    print(f"baseline: start-up and loan snapshot      {snapshot:7.2f} s"
          f"  (repayment record {after:.2f} s)")
    print(f"signals and indicators ({' + '.join(SIGNAL_MARTS)}) {figure:7.2f} s"
          f"  = {figure / snapshot:.1f}x the snapshot")
    ok = figure <= GOAL_SECONDS
    print(f"  {'ok  ' if ok else 'MISS'} signals and indicators for one date {figure:.1f} s "
          f"<= {GOAL_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
