"""Whole-run benchmark: ``loanwatch run --as-of D`` on 1M loans, every mart included
(snapshot, ratings, classification with IFRS 9 stage and ECL, class migration and events,
portfolio metrics, bucket migration, roll rates, vintage, concentration).

    python benchmarks/run_bench.py [--loans 1000000] [--repeat 1] [--mart NAME ...]

Uses the workspace of benchmarks/engine_bench.py (generated and imported once). The
baseline, measured in the same run, is the loan snapshot alone (the engine benchmark's Ibis
worker, one date). Prints the whole command's time and peak memory, each mart's share (from
the run's ``lw_runs`` timestamps), the ratio to the baseline and whether the goal holds:
the whole run for one date <= 30 s.
Exit status: 0 the goal holds, 1 it is missed, 2 a step failed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from engine_bench import _median_run, ensure_workspace  # noqa: E402
from import_bench import AS_OF, OUT_DIR, measure  # noqa: E402

GOAL_SECONDS = 30.0


def mart_seconds(ws: Path) -> dict[str, float]:
    """Seconds from the end of the mart before to the end of each mart, in run order
    (``finished_at`` is when a mart's rows were written; its commit, milliseconds, falls to
    the next mart)."""
    import duckdb

    con = duckdb.connect(str(ws / "loanwatch.duckdb"), read_only=True)
    rows = con.execute("SELECT mart, max(finished_at) AS t FROM lw_runs WHERE run_id = "
                       "(SELECT max(run_id) FROM lw_runs) GROUP BY mart ORDER BY t").fetchall()
    con.close()
    out, before = {}, None
    for mart, t in rows:
        out[mart] = (t - before).total_seconds() if before else float("nan")
        before = t
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--mart", action="append", default=[],
                    help="only these marts and what they read (loanwatch run --mart); default all")
    a = ap.parse_args()
    ws = ensure_workspace(a.loans, a.seed)
    sys.path.insert(0, str(HERE.parent / "src"))
    from loanwatch.policy import default_policy_text
    # engine_bench.py's own worker, in a subprocess of its own
    snap_s, snap_mb, _ = _median_run(["--worker", "ibis", "--ws", str(ws)], a.repeat)
    print(f"{'baseline: loan snapshot alone, one date':45s} {snap_s:7.2f} s  peak {snap_mb:6.0f} MB")
    cli = Path(sys.executable).with_name("loanwatch")
    work = OUT_DIR / "run-bench-ws"
    seconds, peaks, parts = [], [], {}
    for _ in range(a.repeat):
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(ws, work)
        # the cached workspace may hold the policy file of an older LoanWatch
        (work / "policy.yaml").write_text(default_policy_text(), encoding="utf-8")
        only = [arg for m in a.mart for arg in ("--mart", m)]
        run = measure([cli, "run", "--workspace", work, "--as-of", AS_OF, *only])
        if run.returncode != 0:
            print(run.stderr[-3000:])
            return 2
        seconds.append(run.seconds)
        peaks.append(run.peak_mb)
        parts = mart_seconds(work)
    shutil.rmtree(work, ignore_errors=True)
    whole = statistics.median(seconds)
    what = "loanwatch run --as-of" + (f" ({len(a.mart)} marts asked)" if a.mart else " (all marts)")
    print(f"{what:45s} {whole:7.2f} s  peak {max(peaks):6.0f} MB"
          f"  = {whole / snap_s:.1f}x the snapshot alone")
    for mart, s in parts.items():
        print(f"  {mart:22s} {s:7.2f} s" if s == s else f"  {mart:22s} (first: start-up + compute)")
    ok = whole <= GOAL_SECONDS
    print(f"  {'ok  ' if ok else 'MISS'} whole run for one date {whole:.1f} s <= {GOAL_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
