"""Import benchmark: LoanWatch's import against DuckDB's bare load of the same files.

    python benchmarks/import_bench.py [--loans 1000000] [--keep] [--floor]

1. Generates the portfolio (benchmarks/portfolio_gen.py) once as CSV and once as Parquet
   into benchmarks/data/<format>-<loans>/ (gitignored). A folder that is already there for
   the same loans and seed, with the files it was written with, is reused.
2. For each format, each step in a fresh subprocess so that wall time and peak memory are
   its own:
   a. baseline: ``CREATE TABLE t AS SELECT * FROM read_csv('<file>')`` (or read_parquet)
      for every table file into a fresh DuckDB database file;
   b. product: ``loanwatch init <ws>`` (not measured), then
      ``loanwatch import <datadir> --workspace <ws> --as-of 2025-06-30`` (measured).
   Peak memory is the larger of the child's ru_maxrss (os.wait4) and the largest sum of
   RSS over the child and its descendants, sampled every 50 ms. (Linux carries the
   parent's RSS at fork into the child's ru_maxrss, so this process stays small: the data
   is generated in a subprocess too and DuckDB is never imported here.)
   c. with --floor, the floor: the bare load plus the columns the contract derives at import
      (a schedule's running sums, a window over each loan's installments), no checks.
3. Prints format, baseline s / peak MB, import s / peak MB, import/baseline time ratio and
   whether the goals hold: ratio <= 2.0 and import peak <= 4096 MB.

Databases and workspaces go to benchmarks/out/import-bench-<time>/ and are deleted at the
end unless --keep. Exit status: 0 goals hold, 1 a goal is missed, 2 a step failed.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
GENERATOR = HERE / "portfolio_gen.py"
AS_OF = "2025-06-30"  # the generator's as-of date: no payment is dated after it
DATA_DIR = HERE / "data"
OUT_DIR = HERE / "out"
DEFAULT_LOANWATCH = Path(sys.executable).with_name("loanwatch")
FORMATS = ("csv", "parquet")
RATIO_GOAL = 2.0
PEAK_GOAL_MB = 4096.0
POLL_SECONDS = 0.05

# Runs in the baseline child: the plainest DuckDB load of every table file of a folder. With
# "floor", each table also gets the columns the contract derives at import (a schedule's
# running sums, a window over each loan's installments): no import can store those for less,
# and the distance from there to the import is the checks.
BASELINE_CHILD = r"""
import sys, duckdb
from pathlib import Path
db, folder, fmt, kind = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]
reader = "read_csv" if fmt == "csv" else "read_parquet"
derived = {}
if kind == "floor":
    from loanwatch.ingest.contract import TABLES
    derived = {t.name: "".join(f", {sql} AS {name}" for name, (_, sql) in t.derived.items())
               for t in TABLES}
con = duckdb.connect(db)
for path in sorted(folder.glob("*." + fmt)):
    target = str(path).replace("'", "''")
    extra = derived.get(path.stem, "")
    con.execute(f'CREATE TABLE "{path.stem}" AS SELECT *{extra} FROM {reader}(\'{target}\')')
    n = con.execute(f'SELECT count(*) FROM "{path.stem}"').fetchone()[0]
    print(f"{path.stem}: {n} rows", flush=True)
con.close()
"""


@dataclass
class Run:
    """One measured subprocess."""

    command: list[str]
    seconds: float = 0.0
    peak_mb: float = 0.0
    polled_peak_mb: float = 0.0
    maxrss_mb: float = 0.0
    returncode: int | None = None
    stdout: str = ""
    stderr: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@dataclass
class Result:
    format: str
    data_dir: str
    baseline: list[Run] = field(default_factory=list)
    floor: list[Run] = field(default_factory=list)
    product: list[Run] = field(default_factory=list)
    error: str | None = None  # why the product part could not be measured

    @staticmethod
    def _summary(runs: list[Run]) -> tuple[float, float] | None:
        if not runs or not all(r.ok for r in runs):
            return None
        return statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs)

    @property
    def baseline_summary(self) -> tuple[float, float] | None:
        return self._summary(self.baseline)

    @property
    def floor_summary(self) -> tuple[float, float] | None:
        return self._summary(self.floor)

    @property
    def product_summary(self) -> tuple[float, float] | None:
        return self._summary(self.product)


def _tree_rss(proc: psutil.Process) -> int:
    total = 0
    try:
        procs = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return 0
    for p in procs:
        with contextlib.suppress(psutil.Error):
            total += p.memory_info().rss
    return total


def measure(command: list[str], cwd: Path | None = None) -> Run:
    """Run ``command``, return its wall time and peak memory; output goes to temp files."""
    run = Run([str(c) for c in command])
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as out, \
            tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as err:
        started = time.perf_counter()
        child = subprocess.Popen(run.command, cwd=cwd, stdout=out, stderr=err,
                                 stdin=subprocess.DEVNULL)
        proc = psutil.Process(child.pid)
        peak = 0
        while True:
            pid, status, usage = os.wait4(child.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _tree_rss(proc))
            time.sleep(POLL_SECONDS)
        run.seconds = time.perf_counter() - started
        child.returncode = run.returncode = os.waitstatus_to_exitcode(status)
        run.polled_peak_mb = peak / 2**20
        # ru_maxrss is in kilobytes on Linux (the child and its waited-for descendants)
        run.maxrss_mb = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024) / 2**20
        run.peak_mb = max(run.polled_peak_mb, run.maxrss_mb)
        out.seek(0)
        err.seek(0)
        run.stdout, run.stderr = out.read(), err.read()
    return run


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _dir_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


# --------------------------------------------------------------------------- data


def ensure_data(fmt: str, loans: int, seed: int) -> Path:
    """The portfolio folder for ``fmt``; generated unless a matching one is there."""
    folder = DATA_DIR / f"{fmt}-{loans}"
    manifest = DATA_DIR / f"{fmt}-{loans}.json"  # beside the folder: not a table file
    if manifest.exists():
        try:
            info = json.loads(manifest.read_text())
            same = (info.get("loans") == loans and info.get("seed") == seed
                    and info.get("format") == fmt
                    and all((folder / name).is_file() and (folder / name).stat().st_size == size
                            for name, size in info["files"].items())
                    and sorted(p.name for p in folder.iterdir()) == sorted(info["files"]))
        except (ValueError, KeyError, OSError):
            same = False
        if same:
            print(f"[data] reusing {folder} ({sum(info['files'].values()) / 2**20:,.0f} MB)")
            return folder
    if folder.exists():
        shutil.rmtree(folder)
    manifest.unlink(missing_ok=True)
    print(f"[data] generating {loans:,} loans as {fmt} into {folder}", flush=True)
    started = time.perf_counter()
    gen = subprocess.run([sys.executable, str(GENERATOR), "--out", str(folder), "--loans",
                          str(loans), "--format", fmt, "--seed", str(seed)],
                         stdin=subprocess.DEVNULL)
    if gen.returncode != 0:
        raise SystemExit(f"[data] the generator failed (exit {gen.returncode})")
    seconds = time.perf_counter() - started
    files = {p.name: p.stat().st_size for p in folder.iterdir()}
    manifest.write_text(json.dumps({"loans": loans, "seed": seed, "format": fmt,
                                    "files": files, "generation_seconds": round(seconds, 1)},
                                   indent=2))
    return folder


# --------------------------------------------------------------------------- steps


def run_baseline(folder: Path, fmt: str, work: Path, i: int, kind: str = "baseline") -> Run:
    """The bare load (``kind`` baseline) or the bare load with derived columns (floor)."""
    db = work / f"{kind}-{fmt}-{i}.duckdb"
    for p in (db, db.with_name(db.name + ".wal")):
        p.unlink(missing_ok=True)
    run = measure([sys.executable, "-c", BASELINE_CHILD, str(db), str(folder), fmt, kind])
    size = _dir_size(db) if db.exists() else 0
    print(f"  {kind:<8} {fmt} #{i}: {run.seconds:7.1f} s  peak {run.peak_mb:6.0f} MB "
          f"(polled {run.polled_peak_mb:.0f}, maxrss {run.maxrss_mb:.0f})  "
          f"db {size / 2**20:,.0f} MB  rc={run.returncode}", flush=True)
    if not run.ok:
        print("    " + _tail(run.stderr).replace("\n", "\n    "))
    return run


def run_product(folder: Path, fmt: str, work: Path, i: int, loanwatch: Path,
                as_of: str) -> tuple[Run | None, str | None]:
    """Init a fresh workspace (not measured), then measure the import."""
    ws = work / f"ws-{fmt}-{i}"
    if ws.exists():
        shutil.rmtree(ws)
    if not loanwatch.exists():
        return None, f"{loanwatch} does not exist"
    init = subprocess.run([str(loanwatch), "init", str(ws)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL)
    if init.returncode != 0:
        return None, (f"`loanwatch init` exited {init.returncode}:\n"
                      + _tail(init.stdout + "\n" + init.stderr))
    run = measure([str(loanwatch), "import", str(folder), "--workspace", str(ws),
                   "--as-of", as_of])
    size = _dir_size(ws) if ws.exists() else 0
    print(f"  import   {fmt} #{i}: {run.seconds:7.1f} s  peak {run.peak_mb:6.0f} MB "
          f"(polled {run.polled_peak_mb:.0f}, maxrss {run.maxrss_mb:.0f})  "
          f"workspace {size / 2**20:,.0f} MB  rc={run.returncode}", flush=True)
    if run.stdout.strip():
        print("    " + _tail(run.stdout, 15).replace("\n", "\n    "))
    if not run.ok:
        return run, (f"`loanwatch import` exited {run.returncode}:\n"
                     + _tail(run.stdout + "\n" + run.stderr, 30))
    return run, None


# --------------------------------------------------------------------------- report


def report(results: list[Result]) -> int:
    """Print the table; return the exit status."""
    head = (f"{'format':<8}{'baseline s':>11}{'base MB':>9}{'import s':>10}{'import MB':>10}"
            f"{'ratio':>7}  goals (ratio <= {RATIO_GOAL:g}, peak <= {PEAK_GOAL_MB:.0f} MB)")
    print("\n" + head + "\n" + "-" * len(head))
    status = 0
    for r in results:
        base, prod = r.baseline_summary, r.product_summary
        bs = f"{base[0]:>11.1f}{base[1]:>9.0f}" if base else f"{'failed':>11}{'':>9}"
        if base and prod:
            ratio = prod[0] / base[0]
            ok_ratio, ok_peak = ratio <= RATIO_GOAL, prod[1] <= PEAK_GOAL_MB
            verdict = ("hold" if ok_ratio and ok_peak else
                       "MISSED: " + ", ".join(x for x, ok in (("ratio", ok_ratio),
                                                            ("peak", ok_peak)) if not ok))
            print(f"{r.format:<8}{bs}{prod[0]:>10.1f}{prod[1]:>10.0f}{ratio:>7.2f}  {verdict}")
            status = max(status, 0 if ok_ratio and ok_peak else 1)
        else:
            print(f"{r.format:<8}{bs}{'n/a':>10}{'n/a':>10}{'n/a':>7}  not measured")
            status = 2
    for r in results:
        base, floor, prod = r.baseline_summary, r.floor_summary, r.product_summary
        if base and floor:
            against = f"; the import takes {prod[0] / floor[0]:.2f}x the floor" if prod else ""
            print(f"{r.format:<8} floor: the bare load with the derived columns takes "
                  f"{floor[0]:.1f} s ({floor[0] / base[0]:.2f}x the bare load, peak "
                  f"{floor[1]:.0f} MB){against}")
    for r in results:
        if r.error:
            print(f"\n[{r.format}] product import not measured: "
                  + r.error.replace("\n", "\n    "))
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--keep", action="store_true",
                    help="keep the baseline databases and LoanWatch workspaces "
                         "(the generated data is always kept for reuse)")
    ap.add_argument("--formats", default=",".join(FORMATS),
                    help="comma-separated subset of csv,parquet")
    ap.add_argument("--repeat", type=int, default=1,
                    help="measure each step N times; report median time and max peak")
    ap.add_argument("--as-of", default=AS_OF)
    ap.add_argument("--loanwatch", type=Path, default=DEFAULT_LOANWATCH,
                    help="the loanwatch executable (default: beside this Python)")
    ap.add_argument("--skip-import", action="store_true",
                    help="only generate the data and measure the baseline")
    ap.add_argument("--json", type=Path, help="also write the measurements here")
    ap.add_argument("--floor", action="store_true",
                    help="also measure the bare load with the contract's derived columns (a "
                         "schedule's running sums): what no import can go under")
    args = ap.parse_args(argv)
    formats = [f.strip() for f in args.formats.split(",") if f.strip()]
    if not formats or any(f not in FORMATS for f in formats):
        ap.error("--formats takes csv and/or parquet")

    print(f"machine: {psutil.cpu_count()} CPUs, "
          f"{psutil.virtual_memory().total / 2**30:.0f} GB RAM; loans {args.loans:,}; "
          f"this process {psutil.Process().memory_info().rss / 2**20:.0f} MB")
    folders = {fmt: ensure_data(fmt, args.loans, args.seed) for fmt in formats}
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    work = OUT_DIR / time.strftime("import-bench-%Y%m%d-%H%M%S")
    work.mkdir()
    results = []
    try:
        for fmt in formats:
            result = Result(fmt, str(folders[fmt]))
            results.append(result)
            for i in range(1, args.repeat + 1):
                result.baseline.append(run_baseline(folders[fmt], fmt, work, i))
                if args.floor:
                    result.floor.append(run_baseline(folders[fmt], fmt, work, i, "floor"))
            if args.skip_import:
                result.error = "skipped (--skip-import)"
                continue
            for i in range(1, args.repeat + 1):
                run, error = run_product(folders[fmt], fmt, work, i, args.loanwatch, args.as_of)
                if run is not None:
                    result.product.append(run)
                if error:
                    result.error = error
                    break
    finally:
        if args.keep:
            print(f"\nkept databases and workspaces in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    status = report(results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(
            {"loans": args.loans, "seed": args.seed, "as_of": args.as_of,
             "results": [{**asdict(r), "baseline_summary": r.baseline_summary,
                          "floor_summary": r.floor_summary,
                          "product_summary": r.product_summary} for r in results]},
            indent=2, ensure_ascii=False))
    return status


if __name__ == "__main__":
    sys.exit(main())
