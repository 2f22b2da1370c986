"""``loanwatch user …`` end to end on a new workspace: adding a user, disabling and enabling
them (audited; a disabled user cannot log in and loses their sessions), and listing them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.security.users import LoginRefused
from loanwatch.services.auth import DISABLED, login, session_of
from loanwatch.services.store import open_store

runner = CliRunner()
PASSWORD = "cli-pass-2026"
NOW = dt.datetime(2026, 1, 5, 9, 0)


def lw(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def ws(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "ws"
    assert lw("init", str(root)).exit_code == 0
    monkeypatch.setenv("LOANWATCH_USER", "ops")
    assert lw("user", "add", "zhang", "-w", str(root), "--role", "risk_officer",
              "--password", PASSWORD).exit_code == 0
    return root


def audit(root: Path, user: str) -> list[tuple[str, str]]:
    store = open_store(root)
    try:
        with store.session() as s:
            return [(r.actor, r.action) for r in s.audit.for_entity("user", user)]
    finally:
        store.close()


def active(root: Path, user: str) -> bool:
    store = open_store(root)
    try:
        with store.session() as s:
            return s.users.get(user).active
    finally:
        store.close()


def test_disable_stops_logins_and_ends_sessions_and_enable_lets_the_user_back(ws: Path):
    store = open_store(ws)
    try:
        token, _, _ = login(store, "zhang", PASSWORD, NOW)
    finally:
        store.close()
    done = lw("user", "disable", "zhang", "-w", str(ws))
    assert done.exit_code == 0 and "zhang disabled" in done.output
    assert not active(ws, "zhang")
    store = open_store(ws)
    try:
        assert session_of(store, token, NOW) is None
        with pytest.raises(LoginRefused, match="disabled"):
            login(store, "zhang", PASSWORD, NOW)
    finally:
        store.close()
    listed = lw("user", "list", "-w", str(ws)).output
    assert "zhang" in listed and "False" in listed
    done = lw("user", "enable", "zhang", "-w", str(ws))
    assert done.exit_code == 0 and "zhang enabled" in done.output and active(ws, "zhang")
    store = open_store(ws)
    try:
        assert login(store, "zhang", PASSWORD, NOW)[2].user_id == "zhang"
    finally:
        store.close()
    assert audit(ws, "zhang") == [("ops", "add_user"), ("zhang", "login"), ("ops", "disable"),
                                  ("ops", "enable"), ("zhang", "login")]
    assert DISABLED.startswith("the account is disabled")


def test_disabling_twice_changes_nothing_more(ws: Path):
    assert lw("user", "disable", "zhang", "-w", str(ws)).exit_code == 0
    assert lw("user", "disable", "zhang", "-w", str(ws)).exit_code == 0
    assert [a for _, a in audit(ws, "zhang")].count("disable") == 1 and not active(ws, "zhang")


@pytest.mark.parametrize("change", ["disable", "enable"])
def test_an_unknown_user_is_one_error_line(ws: Path, change: str):
    result = lw("user", change, "nobody", "-w", str(ws))
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "there is no user nobody" in result.output


@pytest.mark.parametrize("change", ["disable", "enable"])
def test_the_commands_have_help(change: str):
    result = lw("user", change, "--help")
    assert result.exit_code == 0 and "Usage" in result.output
