"""Simulator benchmark: ``loanwatch simulate`` for 10k, 100k and 1M loans over 24 months.

    python benchmarks/simulate_bench.py [--sizes 10000 100000 1000000] [--format csv] [--keep]

For each size, in fresh subprocesses (wall time and peak memory of the process tree, as in
import_bench.py):
  a. product: ``loanwatch simulate --out <dir> --loans N --months 24 --seed 1 --format F``;
  b. baseline: DuckDB re-writing the files the product wrote (``COPY (SELECT * FROM read_csv(f))
     TO f2``) — the cost of just producing that many rows of text, no simulation.
Prints rows written, seconds, peak MB, product/baseline time ratio and whether the goal holds:
1M loans in under 300 s and under 8 GB. Output goes to benchmarks/out/ (gitignored), deleted
unless --keep. Exit status: 0 goals hold, 1 a goal is missed, 2 a step failed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from import_bench import DEFAULT_LOANWATCH, OUT_DIR, _tail, measure  # noqa: E402

GOAL_SECONDS = 300.0
GOAL_PEAK_MB = 8192.0

BASELINE_CHILD = r"""
import sys, duckdb
from pathlib import Path
src, dst, fmt = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
dst.mkdir(parents=True, exist_ok=True)
con = duckdb.connect()
reader = "read_csv" if fmt == "csv" else "read_parquet"
option = "(HEADER)" if fmt == "csv" else "(FORMAT parquet, COMPRESSION zstd)"
for path in sorted(src.glob("*." + fmt)):
    con.execute(f"COPY (SELECT * FROM {reader}('{path}')) TO '{dst / path.name}' {option}")
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--loanwatch", type=Path, default=DEFAULT_LOANWATCH)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    args = parser.parse_args(argv)
    work = OUT_DIR / f"simulate-bench-{time.strftime('%Y%m%d-%H%M%S')}"
    results, status = [], 0
    try:
        for n in args.sizes:
            out = work / f"sim-{n}"
            product = measure(
                [
                    args.loanwatch,
                    "simulate",
                    "--out",
                    out,
                    "--loans",
                    n,
                    "--months",
                    24,
                    "--seed",
                    1,
                    "--format",
                    args.format,
                ]
            )
            if not product.ok:
                print(f"simulate {n} failed:\n{_tail(product.stderr)}", file=sys.stderr)
                return 2
            made = json.loads((out / "ground_truth" / "simulation.json").read_text(encoding="utf-8"))
            rows = sum(made["rows"].values())
            base = measure([sys.executable, "-c", BASELINE_CHILD, out, work / f"copy-{n}", args.format])
            if not base.ok:
                print(f"baseline {n} failed:\n{_tail(base.stderr)}", file=sys.stderr)
                return 2
            size_mb = sum(p.stat().st_size for p in out.glob(f"*.{args.format}")) / 2**20
            results.append(
                {
                    "loans": n,
                    "rows": rows,
                    "files_mb": round(size_mb),
                    "simulate_s": round(product.seconds, 1),
                    "simulate_peak_mb": round(product.peak_mb),
                    "baseline_s": round(base.seconds, 1),
                    "baseline_peak_mb": round(base.peak_mb),
                    "ratio": round(product.seconds / base.seconds, 2),
                }
            )
            shutil.rmtree(work / f"copy-{n}", ignore_errors=True)
            if not args.keep:
                shutil.rmtree(out, ignore_errors=True)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    print(
        f"{'loans':>9} {'rows':>12} {'files MB':>9} {'simulate s':>10} {'peak MB':>8} "
        f"{'rewrite s':>9} {'peak MB':>8} {'ratio':>6}"
    )
    for r in results:
        print(
            f"{r['loans']:>9,} {r['rows']:>12,} {r['files_mb']:>9,} {r['simulate_s']:>10} "
            f"{r['simulate_peak_mb']:>8,} {r['baseline_s']:>9} {r['baseline_peak_mb']:>8,} {r['ratio']:>6}"
        )
    big = [r for r in results if r["loans"] >= 1_000_000]
    for r in big:
        ok = r["simulate_s"] <= GOAL_SECONDS and r["simulate_peak_mb"] <= GOAL_PEAK_MB
        print(
            f"goal 1M loans ≤ {GOAL_SECONDS:.0f} s and ≤ {GOAL_PEAK_MB:.0f} MB: {'met' if ok else 'MISSED'}"
        )
        status = status or (0 if ok else 1)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return status


if __name__ == "__main__":
    sys.exit(main())
