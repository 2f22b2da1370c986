"""Sync one date's alerts, collection cases and tasks of a 1M-loan lender into PostgreSQL
(issue 9: ≤ 60 s).

The workspace of benchmarks/signals_bench.py (1M loans, imported) is copied once and run for
two month-ends (alerts and classification, no sync). Each repetition then syncs, into a new
PostgreSQL database: the first month-end into the empty store (every alert, case and
scheduled task is new: the worst day) and the next month-end (a day of changes). The
baseline, measured in the same run, is PostgreSQL's COPY of as many rows as the first sync
wrote, as (id, JSON) pairs: the fastest way to put that many rows in.

    python benchmarks/sync_bench.py [--loans N] [--repeat K] [--server URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from import_bench import DEFAULT_LOANWATCH, OUT_DIR, _tail, measure  # noqa: E402
from signals_bench import ensure_workspace  # noqa: E402

from loanwatch.policy import load_policy  # noqa: E402
from loanwatch.services.nightly import sync_day  # noqa: E402
from loanwatch.services.store import SqlStore  # noqa: E402
from loanwatch.workspace import Workspace  # noqa: E402

GOAL_SECONDS = 60.0
DAYS = (dt.date(2025, 11, 30), dt.date(2025, 12, 31))
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"


def ensure_runs(loans: int, cli: Path) -> Path:
    ws = OUT_DIR / f"sync-ws-{loans}"
    if (ws / ".runs-complete").exists():
        return ws
    shutil.rmtree(ws, ignore_errors=True)
    shutil.copytree(ensure_workspace(loans, cli), ws)
    for day in DAYS:
        run = measure([cli, "run", "--workspace", ws, "--as-of", day.isoformat(), "--mart",
                       "alerts", "--mart", "classification", "--no-sync"])
        print(f"  made: loanwatch run {day} {run.seconds:7.1f} s  peak {run.peak_mb:6.0f} MB")
        if run.returncode != 0:
            print(_tail(run.stderr, 40))
            raise SystemExit(2)
    (ws / ".runs-complete").touch()
    return ws


def _database(admin: sa.Engine, create: bool, name: str) -> None:
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"' if create
                             else f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def copy_baseline(url: str, rows: int) -> float:
    """Seconds to COPY ``rows`` (id, JSON) rows into a fresh table of the same database."""
    engine = sa.create_engine(url)
    body = json.dumps({"status": "open", "owner": "M00001", "evidence": "逾期 31 天",
                       "due_on": "2025-12-31", "version": 1}, ensure_ascii=False)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE bench_copy (id VARCHAR(64) PRIMARY KEY, body JSON)")
            start = time.perf_counter()
            cursor = conn.connection.dbapi_connection.cursor()
            with cursor.copy("COPY bench_copy (id, body) FROM STDIN") as copy:
                for i in range(rows):
                    copy.write_row((f"R{i:09d}", body))
            seconds = time.perf_counter() - start
            conn.exec_driver_sql("DROP TABLE bench_copy")
        return seconds
    finally:
        engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--server", default=SERVER)
    a = ap.parse_args()
    ws = Workspace.open(ensure_runs(a.loans, DEFAULT_LOANWATCH))
    policy = load_policy(ws.policy_file)
    admin = sa.create_engine(f"{a.server}/postgres", isolation_level="AUTOCOMMIT")
    firsts, nexts, baselines, counts = [], [], [], []
    for _ in range(a.repeat):
        name = f"lw_bench_{uuid.uuid4().hex[:10]}"
        _database(admin, True, name)
        try:
            store = SqlStore(f"{a.server}/{name}")
            with ws.connect(read_only=True) as con:
                for day, times in zip(DAYS, (firsts, nexts), strict=True):
                    start = time.perf_counter()
                    result = sync_day(store, con, day, policy, dt.datetime(2026, 1, 2, 6))
                    times.append(time.perf_counter() - start)
                    counts.append((day, dict(result.counts)))
            with store.session() as s:
                written = (s.alerts.count() + s.tasks.count() + s.cases.count())
            store.close()
            baselines.append(copy_baseline(f"{a.server}/{name}", written))
        finally:
            _database(admin, False, name)
    admin.dispose()
    for day, c in counts[:2]:
        print(f"{day}: " + ", ".join(f"{k} {v:,}" for k, v in c.items() if v))
    first, following, base = (statistics.median(x) for x in (firsts, nexts, baselines))
    print(f"sync into PostgreSQL, {a.loans:,} loans (median of {a.repeat}):")
    print(f"  first month-end, empty store  {first:7.2f} s")
    print(f"  next month-end                {following:7.2f} s")
    print(f"  baseline: COPY of {written:,} rows  {base:7.2f} s  (first sync = {first / base:.1f}x)")
    worst = max(first, following)
    ok = worst <= GOAL_SECONDS
    print(f"  {'ok  ' if ok else 'MISS'} one date's sync {worst:.1f} s <= {GOAL_SECONDS:.0f} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
