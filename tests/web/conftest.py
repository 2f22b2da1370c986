"""A console over a workspace with users of every role (no data needed for login)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loanwatch.policy import default_policy_text
from loanwatch.security.permissions import Role
from loanwatch.services.auth import add_user
from loanwatch.services.store import open_store
from loanwatch.web.app import create_app
from loanwatch.workspace import init_workspace

PASSWORD = "test-pass-2026"
NOW = dt.datetime(2026, 1, 5, 9, 0)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


def add_users(root: Path) -> None:
    store = open_store(root)
    try:
        for user, role, branch, manager in (
                ("admin", Role.ADMIN, None, None), ("risk", Role.RISK_OFFICER, None, None),
                ("mgr", Role.CUSTOMER_MANAGER, "B001", "M00001"),
                ("head", Role.BRANCH_HEAD, "B001", None), ("coll", Role.COLLECTOR, None, None),
                ("audit", Role.AUDITOR, None, None), ("view", Role.READ_ONLY, None, None)):
            add_user(store, user_id=user, password=PASSWORD, roles=(role,), branch_id=branch,
                     manager_id=manager, by="test", at=NOW)
    finally:
        store.close()


@pytest.fixture
def empty_ws(tmp_path: Path) -> Path:
    ws, _ = init_workspace(tmp_path / "ws", default_policy_text())
    add_users(ws.root)
    return ws.root


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(empty_ws: Path, clock: Clock) -> Iterator[TestClient]:
    with TestClient(create_app(empty_ws, clock=clock), follow_redirects=False) as c:
        yield c


def log_in(client: TestClient, user: str, password: str = PASSWORD) -> str:
    """Log in through the form; the CSRF token of the new session, read from a page."""
    r = client.post("/login", data={"user": user, "password": password, "next": "/dashboard"})
    assert r.status_code == 303, r.text
    return csrf_of(client)


def csrf_of(client: TestClient, page: str = "/dashboard") -> str:
    """The session's CSRF token, from the logout form every page carries."""
    r = client.get(page, follow_redirects=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert found, r.text[:500]
    return found.group(1)


def bearer(client: TestClient, user: str) -> dict[str, str]:
    r = client.post("/api/auth/token", json={"user": user, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
