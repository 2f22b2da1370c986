"""The monthly portfolio report as PDF on a 1M-loan lender (issue 11: ≤ 60 s).

The imported workspace of benchmarks/signals_bench.py (1M loans, 24 months) is copied once
and every mart is run for the last two month-ends (``loanwatch run --from 2025-11-01 --to
2025-12-31 --no-sync``), so that the report has each section and its comparison month.
Each repetition then times ``loanwatch report portfolio --format pdf`` end to end (a new
process: imports, data quality of the tables, the marts' queries, HTML, WeasyPrint), and in
this process the parts: reading the marts, measuring data quality, HTML and PDF.

The baseline, measured in the same run, is DuckDB's scan of the loan snapshot of that date
(count, sums of balances and DPD) — the least any report of the date has to read.

    python benchmarks/report_bench.py [--loans 1000000] [--repeat 1]

Exit status: 0 the goal holds, 1 it is missed, 2 a step failed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_bench import DEFAULT_LOANWATCH, OUT_DIR, _tail, measure  # noqa: E402
from signals_bench import ensure_workspace  # noqa: E402

from loanwatch.batch.report_source import MartReader  # noqa: E402
from loanwatch.engines.duckdb import connect  # noqa: E402
from loanwatch.policy import load_policy  # noqa: E402
from loanwatch.reports.html import render_html  # noqa: E402
from loanwatch.reports.pdf import write_pdf  # noqa: E402
from loanwatch.reports.portfolio import Quality, build_portfolio  # noqa: E402
from loanwatch.services.report_workflow import quality_rows  # noqa: E402

GOAL_SECONDS = 60.0
AS_OF = "2025-12-31"
FIRST = "2025-11-01"  # the month-end before is the comparison


def ensure_runs(loans: int, cli: Path) -> Path:
    """A copy of the imported lender with every mart of the last two month-ends, made once."""
    ws = OUT_DIR / f"report-ws-{loans}"
    if (ws / ".runs-complete").exists():
        return ws
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(ensure_workspace(loans, cli), ws)
    run = measure([cli, "run", "--workspace", ws, "--from", FIRST, "--to", AS_OF, "--no-sync"])
    print(f"  made: loanwatch run {FIRST} … {AS_OF} (every mart) {run.seconds:7.1f} s  "
          f"peak {run.peak_mb:6.0f} MB")
    if run.returncode != 0:
        print(_tail(run.stderr, 40))
        raise SystemExit(2)
    (ws / ".runs-complete").touch()
    return ws


def snapshot_scan(ws: Path) -> tuple[float, int]:
    """Seconds for DuckDB to read every column of the date's loan snapshot into Arrow
    (baseline), and its loans."""
    with connect(ws / "loanwatch.duckdb", read_only=True) as con:
        start = time.perf_counter()
        rows = con.sql(f"SELECT * FROM loan_snapshot WHERE as_of = DATE '{AS_OF}'").to_arrow_table()
        return time.perf_counter() - start, rows.num_rows


def parts(ws: Path, out: Path) -> dict[str, float]:
    """The report's steps timed in this process."""
    import datetime as dt
    policy = load_policy(ws / "policy.yaml")
    seconds = {}
    with connect(ws / "loanwatch.duckdb", read_only=True) as con:
        start = time.perf_counter()
        quality = Quality(**quality_rows(con))
        seconds["data quality (loanwatch quality)"] = time.perf_counter() - start
        start = time.perf_counter()
        report = build_portfolio(MartReader(con), policy, dt.date.fromisoformat(AS_OF),
                                 quality=quality, lender="bench")
        seconds["marts read (every section)"] = time.perf_counter() - start
    start = time.perf_counter()
    html = render_html(report)
    seconds["HTML"] = time.perf_counter() - start
    start = time.perf_counter()
    write_pdf(html, out)
    seconds["PDF (WeasyPrint)"] = time.perf_counter() - start
    return seconds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--loanwatch", type=Path, default=DEFAULT_LOANWATCH)
    args = ap.parse_args()
    print(f"report benchmark: {args.loans:,} loans, monthly PDF as of {AS_OF}")
    ws = ensure_runs(args.loans, args.loanwatch)
    work = Path(tempfile.mkdtemp(prefix="report-bench-"))
    totals, baselines = [], []
    try:
        for i in range(args.repeat):
            scan, loans = snapshot_scan(ws)
            baselines.append(scan)
            out = work / f"report-{i}.pdf"
            run = measure([args.loanwatch, "report", "portfolio", "--workspace", ws, "--as-of",
                           AS_OF, "--format", "pdf", "--out", out])
            if run.returncode != 0:
                print(_tail(run.stderr, 40))
                return 2
            totals.append(run.seconds)
            startup = measure([args.loanwatch, "--help"]).seconds
            print(f"  run {i + 1}: report {run.seconds:6.1f} s  peak {run.peak_mb:6.0f} MB  "
                  f"({out.stat().st_size / 2**10:,.0f} KiB, of which {startup:.1f} s starting "
                  f"the loanwatch command); baseline snapshot scan {scan:6.3f} s over "
                  f"{loans:,} loans")
        for step, s in parts(ws, work / "parts.pdf").items():
            print(f"    {step:36s} {s:6.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total, base = statistics.median(totals), statistics.median(baselines)
    ok = total <= GOAL_SECONDS
    print(f"monthly PDF: {total:.1f} s (median of {len(totals)}); baseline DuckDB scan of the "
          f"loan snapshot: {base:.3f} s ({total / base:,.0f}x); goal ≤ {GOAL_SECONDS:.0f} s: "
          f"{'met' if ok else 'missed'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
