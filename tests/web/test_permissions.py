"""Every endpoint declares its permission, and the role × endpoint matrix holds: a role
without the permission gets 403, with it 200 (GET endpoints of the book, each user of
every role)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from loanwatch.security.permissions import ROLE_PERMISSIONS, Permission, Role
from loanwatch.web import api
from loanwatch.web.app import create_app
from tests.web.conftest import bearer

PUBLIC = {("POST", "/api/auth/token")}
# endpoints any logged-in person may call (who am I, log out)
ANY_USER = {("GET", "/api/me"), ("POST", "/api/auth/logout")}
USERS = {Role.ADMIN: "admin", Role.RISK_OFFICER: "risk", Role.CUSTOMER_MANAGER: "mgr",
         Role.BRANCH_HEAD: "head", Role.COLLECTOR: "coll", Role.AUDITOR: "audit",
         Role.READ_ONLY: "view"}


def _permission(route: APIRoute):
    """The permission a route's dependencies demand, or None."""
    todo = list(route.dependant.dependencies)
    while todo:
        d = todo.pop()
        if getattr(d.call, "permission", None) is not None:
            return d.call.permission
        todo += d.dependencies
    return None


def _api_routes(app=None) -> list[tuple[str, str, APIRoute]]:
    """(method, path, route) of every API endpoint: the routers ``create_app`` mounts under
    /api."""
    return [(m, f"/api{r.path}", r) for router in api.ROUTERS for r in router.routes
            if isinstance(r, APIRoute) for m in sorted(r.methods)]


def test_every_api_endpoint_declares_a_permission(empty_ws: Path):
    app = create_app(empty_ws)
    assert client_paths(app) >= {p for _, p, _ in _api_routes()}
    missing = [f"{m} {p}" for m, p, r in _api_routes(app)
               if (m, p) not in PUBLIC | ANY_USER and _permission(r) is None]
    assert not missing, missing
    assert len(_api_routes(app)) > len(PUBLIC | ANY_USER)


def client_paths(app) -> set[str]:
    """The paths the app's OpenAPI schema publishes (what is really served)."""
    with TestClient(app) as c:
        return set(c.get("/api/openapi.json").json()["paths"])


def _plain_gets(app) -> list[tuple[str, object]]:
    return [(p, _permission(r)) for m, p, r in _api_routes(app)
            if m == "GET" and "{" not in p and (m, p) not in ANY_USER]


@pytest.fixture(scope="module")
def matrix_client(book_ws: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("matrix") / "ws"
    shutil.copytree(book_ws, root)  # POSTs reach the handlers of permitted roles: a copy
    with TestClient(create_app(root), follow_redirects=False) as c:
        headers = {role: bearer(c, user) for role, user in USERS.items()}
        yield c, headers


def _ids(client: TestClient, headers: dict) -> dict[str, str]:
    """Path parameters naming records in the customer manager's slice (so that a permitted
    scoped role may reach them): their first alert, task, case, borrower."""
    mgr, risk = headers[Role.CUSTOMER_MANAGER], headers[Role.RISK_OFFICER]
    first = {
        "alert_id": client.get("/api/alerts", headers=mgr).json()["items"][0]["alert_id"],
        "task_id": client.get("/api/tasks", headers=mgr).json()["items"][0]["task_id"],
        "customer_id": client.get("/api/borrowers", headers=mgr).json()["results"][0][
            "customer_id"],
        "case_id": client.get("/api/collections", headers=risk).json()["items"][0]["case_id"],
    }
    # a user of no role in the matrix: disabling them must not end the sessions it uses
    return {**first, "override_id": "1", "user_id": "other", "name": "none.png"}


def test_every_endpoint_for_every_role_answers_403_exactly_without_the_permission(
        matrix_client):
    """The full matrix: every method and path, every role. Without the permission: 403.
    With it: anything but 403 and 5xx (a scoped role may get 404 outside its slice, an empty
    body 422)."""
    client, headers = matrix_client
    ids = _ids(client, headers)
    wrong, calls = [], 0
    for method, path, route in _api_routes():
        permission = _permission(route)
        if permission is None:
            continue
        url = path.format(**ids)
        for role in USERS:
            r = client.request(method, url, headers=headers[role],
                               json={} if method in ("POST", "PUT") else None)
            calls += 1
            allowed = permission in ROLE_PERMISSIONS[role]
            if (r.status_code == 403) == allowed or r.status_code >= 500:
                wrong.append(f"{role.value} {method} {url}: {r.status_code} "
                             f"(needs {permission.value})")
    assert not wrong, wrong
    assert calls >= 7 * 35


def test_the_new_endpoints_are_in_the_matrix():
    """Disabling and enabling users (admin_users), a borrower's documents and inspection
    report (view_borrowers) and the portfolio report (view_reports) are walked like every
    other endpoint."""
    routes = {(m, p): _permission(r) for m, p, r in _api_routes()}
    assert routes[("POST", "/api/admin/users/{user_id}/disable")] is Permission.ADMIN_USERS
    assert routes[("POST", "/api/admin/users/{user_id}/enable")] is Permission.ADMIN_USERS
    assert routes[("GET", "/api/borrowers/{customer_id}/documents")] is Permission.VIEW_BORROWERS
    assert routes[("GET", "/api/reports")] is Permission.VIEW_REPORTS
    assert routes[("GET", "/api/reports/portfolio")] is Permission.VIEW_REPORTS
    assert routes[("GET", "/api/reports/borrower/{customer_id}")] is Permission.VIEW_BORROWERS


def test_the_role_by_endpoint_matrix(matrix_client):
    client, headers = matrix_client
    app = client.app
    wrong = []
    for path, permission in _plain_gets(app):
        for role, h in headers.items():
            status = client.get(path, headers=h).status_code
            allowed = permission in ROLE_PERMISSIONS[role]
            if (status == 403) == allowed or status >= 500:
                wrong.append(f"{role.value} GET {path}: {status} (allowed: {allowed})")
    assert not wrong, wrong
