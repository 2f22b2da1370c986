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
