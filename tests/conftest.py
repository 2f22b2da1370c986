"""Shared fixtures: a fresh workspace and the small example portfolio."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "small"


@pytest.fixture
def example_dir(tmp_path: Path) -> Path:
    """A copy of the example portfolio that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(EXAMPLE, target)
    return target


@pytest.fixture(autouse=True)
def _no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LOANWATCH_PII_KEY", raising=False)
    monkeypatch.delenv("LOANWATCH_WORKSPACE", raising=False)


@pytest.fixture(scope="session")
def _year_end_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.batch.conftest import import_into, new_workspace
    ws = new_workspace(tmp_path_factory.mktemp("year-end-ws") / "ws")
    import_into(ws, EXAMPLE, "2024-12-31")
    return ws.root


@pytest.fixture
def year_end_ws(tmp_path: Path, _year_end_template: Path):
    """A fresh workspace with the example book imported as of 2024-12-31."""
    from tests.batch.conftest import copy_of
    return copy_of(_year_end_template, tmp_path / "ws")
