"""Batch fixtures: workspaces holding the example book or a simulated lender, runs of the
marts on them, and the stored rows read back."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from loanwatch.batch.runner import RunResult, run_marts
from loanwatch.ingest.importer import ImportResult, import_folder
from loanwatch.policy import Policy, default_policy_text, load_policy
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate
from loanwatch.workspace import Workspace, init_workspace
from tests.conftest import EXAMPLE

D = dt.date.fromisoformat
Row = dict[str, Any]

# a small lender over two years: not yet disbursed, late, restructured, settled and written-off
# loans (seed 19 writes one off on 2024-08-11)
LENDER = SimConfig(loans=200, start=D("2023-01-01"), months=24, seed=19)
MONEY_COLUMNS = ("outstanding_principal", "paid_principal", "paid_interest", "paid_fee",
                 "overdue_principal", "overdue_interest", "overdue_fee", "credit_balance",
                 "next_due_amount", "penalty_interest", "principal")


def new_workspace(root: Path) -> Workspace:
    ws, _ = init_workspace(root, default_policy_text())
    return ws


def policy_of(ws: Workspace) -> Policy:
    return load_policy(ws.policy_file)


def import_into(ws: Workspace, folder: Path, as_of: str) -> ImportResult:
    with ws.connect(pii=True) as con:
        return import_folder(con, folder, D(as_of), ws.cipher(), policy_version=policy_of(ws).version_id)


SNAPSHOT = ("loan_snapshot",)


def run(ws: Workspace, *days: str | dt.date, marts: tuple[str, ...] | None = SNAPSHOT,
        **kw) -> RunResult:
    """``run_marts`` with the workspace's own policy; the loan snapshot alone unless other
    ``marts`` are asked for (``None``: all): how a run stores, replaces and groups dates is
    the same for every mart, and the others cost a second a date in Ibis compile time."""
    dates = [D(d) if isinstance(d, str) else d for d in days]
    return run_marts(ws, dates, policy_of(ws), marts=marts, **kw)


def stored(ws: Workspace, *days: str | dt.date) -> list[Row]:
    """The stored loan snapshots (of ``days``, default all) by as-of date and loan."""
    where = ""
    if days:
        where = "WHERE as_of IN (" + ", ".join(f"DATE '{d}'" for d in days) + ")"
    with ws.connect(read_only=True) as con:
        cur = con.execute(f"SELECT * FROM main.loan_snapshot {where} ORDER BY as_of, loan_id")
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def rows(ws: Workspace, sql: str) -> list[dict]:
    """The rows of a query on the workspace, as dicts."""
    with ws.connect(read_only=True) as con:
        cur = con.execute(sql)
        names = [c[0] for c in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def values(rows: Iterable[Row]) -> list[Row]:
    """Rows without the run that wrote them: what two equivalent runs must agree on."""
    return [{k: v for k, v in r.items() if k != "run_id"} for r in rows]


def runs(ws: Workspace, mart: str = "loan_snapshot") -> list[tuple]:
    """``lw_runs`` of one mart as (run_id, mart, as_of, engine, policy_version, rows)."""
    with ws.connect(read_only=True) as con:
        return con.execute("SELECT run_id, mart, as_of, engine, policy_version, rows FROM lw_runs "
                           "WHERE mart = ? ORDER BY run_id, mart, as_of", [mart]).fetchall()


def loan(rows: Iterable[Row], loan_id: str, day: str) -> Row:
    (row,) = [r for r in rows if r["loan_id"] == loan_id and r["as_of"] == D(day)]
    return row


def add_rows(folder: Path, table: str, *lines: str) -> None:
    """Append CSV lines to ``folder/<table>.csv``."""
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")


def change_row(folder: Path, table: str, old: str, new: str) -> None:
    path = folder / f"{table}.csv"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not one row of {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def delivery(folder: Path, *tables: str) -> Path:
    """A later delivery of some of the example's tables, in ``folder``, for a test to change."""
    folder.mkdir()
    for table in tables:
        shutil.copy(EXAMPLE / f"{table}.csv", folder)
    return folder


@pytest.fixture(scope="session")
def _example_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = new_workspace(tmp_path_factory.mktemp("example-ws") / "ws")
    import_into(ws, EXAMPLE, "2024-05-31")
    return ws.root


@pytest.fixture
def example_ws(tmp_path: Path, _example_template: Path) -> Workspace:
    """A fresh workspace with the example book imported as of 2024-05-31."""
    return copy_of(_example_template, tmp_path / "ws")


@pytest.fixture(scope="session")
def lender_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lender")
    simulate(LENDER, out, "csv", None)
    return out


@pytest.fixture(scope="session")
def _lender_template(tmp_path_factory: pytest.TempPathFactory, lender_dir: Path) -> Path:
    ws = new_workspace(tmp_path_factory.mktemp("lender-ws") / "ws")
    import_into(ws, lender_dir, LENDER.end.isoformat())
    return ws.root


def copy_of(template: Path, root: Path) -> Workspace:
    shutil.copytree(template, root)
    return Workspace.open(root)


@pytest.fixture
def lender_ws(tmp_path: Path, _lender_template: Path) -> Workspace:
    """A fresh workspace with the simulated lender imported, no mart computed yet."""
    return copy_of(_lender_template, tmp_path / "ws")
