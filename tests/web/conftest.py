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


# --- a small lender, run and synced: what the pages show ------------------------------------

BOOK_DAYS = ("2024-10-31", "2024-11-30", "2024-12-31")


@pytest.fixture(scope="session")
def book_ws(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """300 simulated loans, all marts for three month-ends, synced into the store, and the
    users of ``add_users`` with ``mgr`` managing the busiest manager code's borrowers and
    ``head`` heading that manager's branch. Read-only for tests: copy it to change data."""
    from loanwatch.services.nightly import sync_day
    from loanwatch.simulate.config import SimConfig
    from loanwatch.simulate.run import simulate
    from tests.batch.conftest import import_into, new_workspace, policy_of, run

    root = tmp_path_factory.mktemp("book")
    simulate(SimConfig(loans=300, start=dt.date(2023, 1, 1), months=24, seed=19),
             root / "data", "parquet", None)
    ws = new_workspace(root / "ws")
    import_into(ws, root / "data", BOOK_DAYS[-1])
    run(ws, *BOOK_DAYS, marts=None)
    with ws.connect(read_only=True) as con:
        manager, branch = con.execute(
            "SELECT manager_id, any_value(branch_id), count(*) n FROM loans WHERE manager_id "
            "IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 LIMIT 1").fetchone()[:2]
    store = open_store(ws.root)
    try:
        with ws.connect(read_only=True) as con:
            for day in BOOK_DAYS:
                sync_day(store, con, dt.date.fromisoformat(day), policy_of(ws), NOW)
        for user, role, b, m in (
                ("admin", Role.ADMIN, None, None), ("risk", Role.RISK_OFFICER, None, None),
                ("mgr", Role.CUSTOMER_MANAGER, branch, manager),
                ("other", Role.CUSTOMER_MANAGER, branch, "M-NOBODY"),
                ("head", Role.BRANCH_HEAD, branch, None), ("coll", Role.COLLECTOR, None, None),
                ("audit", Role.AUDITOR, None, None), ("view", Role.READ_ONLY, None, None)):
            add_user(store, user_id=user, password=PASSWORD, roles=(role,), branch_id=b,
                     manager_id=m, by="test", at=NOW)
    finally:
        store.close()
    return ws.root


@pytest.fixture
def book_client(book_ws: Path, clock: Clock) -> Iterator[TestClient]:
    """A console on the book (shared: tests that change the store must undo nothing but
    must not rely on state other tests change; use ``fresh_book`` for that)."""
    with TestClient(create_app(book_ws, clock=clock), follow_redirects=False) as c:
        yield c


@pytest.fixture
def fresh_book(book_ws: Path, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    """A console on a private copy of the book: free to change."""
    import shutil
    copy = tmp_path / "ws"
    shutil.copytree(book_ws, copy)
    with TestClient(create_app(copy, clock=clock), follow_redirects=False) as c:
        yield c


def message_of(response) -> str:
    """The message of an API error: ``detail`` as a string, or the messages of a 422's list."""
    detail = response.json()["detail"]
    if isinstance(detail, list):
        return "; ".join(str(d.get("msg", d)) for d in detail)
    return detail
