from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from loanwatch.ingest.importer import ImportResult, import_folder
from loanwatch.workspace import Workspace, init_workspace

BAD = Path(__file__).parent / "bad"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    ws, _ = init_workspace(tmp_path / "ws", "version: test\n")
    return ws


@pytest.fixture
def con(workspace: Workspace):
    with workspace.connect(pii=True) as c:
        yield c


Importer = Callable[..., ImportResult]


@pytest.fixture
def run_import(con: duckdb.DuckDBPyConnection, workspace: Workspace) -> Importer:
    def run(folder: Path, as_of: str = "2024-06-30", **kw) -> ImportResult:
        return import_folder(con, folder, dt.date.fromisoformat(as_of), workspace.cipher(), **kw)
    return run


def use_fixture(data: Path, case: str) -> str:
    """Replace one table of ``data`` by the bad-input fixture ``case``; return its table."""
    (fixture,) = BAD.glob(f"{case}.*")
    _, table, suffix = fixture.name.split(".")
    for old in data.glob(f"{table}.*"):
        old.unlink()
    shutil.copy(fixture, data / f"{table}.{suffix}")
    return table


def quarantine(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT table_name, line, column_name, reason, value "
                       "FROM lw_quarantine ORDER BY table_name, line, column_name").fetchall()


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return con.execute(f"SELECT count(*) FROM {table} WHERE _valid_to IS NULL").fetchall()[0][0]
