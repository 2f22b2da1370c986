"""The admin page (系统管理): adding users, changing roles, resetting passwords, disabling and
enabling users from the console and the API (argon2, audited), refusals with a message (never
a 500), the read-only permission table and the branches; only administrators may open it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loanwatch.security.permissions import ROLE_PERMISSIONS, Permission, Role
from loanwatch.services.store import open_store
from loanwatch.workspace import Workspace
from tests.web.conftest import PASSWORD, bearer, log_in, message_of
from tests.web.test_alerts import conforms

NEW_PASSWORD = "fresh-pass-2026"


def me(client: TestClient, user: str, password: str = PASSWORD) -> dict:
    r = client.post("/api/auth/token", json={"user": user, "password": password})
    assert r.status_code == 200, r.text
    token = {"Authorization": f"Bearer {r.json()['access_token']}"}
    return client.get("/api/me", headers=token).json()


def audit_actions(ws: Path, user: str) -> list[str]:
    store = open_store(ws)
    try:
        with store.session() as s:
            return [r.action for r in s.audit.for_entity("user", user)]
    finally:
        store.close()


def test_an_admin_adds_a_user_from_the_console(client: TestClient, empty_ws: Path):
    token = log_in(client, "admin")
    r = client.post("/admin/users", data={
        "csrf_token": token, "user_id": "zhang", "display_name": "张三", "password": PASSWORD,
        "roles": ["customer_manager", "collector"], "branch_id": "B009", "manager_id": "M00042"})
    assert (r.status_code, r.headers["location"]) == (303, "/admin?done=added&user=zhang")
    page = client.get(r.headers["location"]).text
    assert 'data-testid="notice"' in page and 'data-user="zhang"' in page and "张三" in page
    who = me(client, "zhang")
    assert (who["roles"], who["branch_id"], who["manager_id"], who["scope"]) == (
        ["customer_manager", "collector"], "B009", "M00042", "all")
    assert audit_actions(empty_ws, "zhang")[0] == "add_user"


def test_an_admin_adds_a_user_through_the_api(client: TestClient):
    headers = bearer(client, "admin")
    r = client.post("/api/admin/users", headers=headers, json={
        "user_id": "li", "roles": ["branch_head"], "branch_id": "B002", "password": PASSWORD})
    assert r.status_code == 201
    assert r.json() == {"user_id": "li", "display_name": "li", "roles": ["branch_head"],
                        "branch_id": "B002", "manager_id": None, "active": True,
                        "locked_until": None}
    assert "password" not in r.text and "argon2" not in r.text
    listed = client.get("/api/admin/users", headers=headers).json()
    assert "li" in [u["user_id"] for u in listed] and "argon2" not in str(listed)
    assert me(client, "li")["scope"] == "branch"


@pytest.mark.parametrize(("password", "message"), [("short-1", "at least 10 characters"),
                                                   ("onlyletterslong", "letters and digits")])
def test_a_weak_password_is_refused_with_its_reason(client: TestClient, password: str,
                                                    message: str):
    r = client.post("/api/admin/users", headers=bearer(client, "admin"), json={
        "user_id": "wang", "roles": ["read_only"], "password": password})
    assert r.status_code == 422 and message in message_of(r)
    token = log_in(client, "admin")
    r = client.post("/admin/users", data={"csrf_token": token, "user_id": "wang",
                                          "roles": ["read_only"], "password": password})
    assert r.status_code == 422 and message in r.text and 'value="wang"' in r.text
    assert "wang" not in [u["user_id"] for u in client.get(
        "/api/admin/users", headers=bearer(client, "admin")).json()]


def test_a_taken_user_id_is_a_conflict_with_a_message(client: TestClient):
    r = client.post("/api/admin/users", headers=bearer(client, "admin"), json={
        "user_id": "risk", "roles": ["read_only"], "password": NEW_PASSWORD})
    assert (r.status_code, r.json()) == (409, {"detail": "there is already a user risk"})
    token = log_in(client, "admin")
    r = client.post("/admin/users", data={"csrf_token": token, "user_id": "risk",
                                          "roles": ["read_only"], "password": NEW_PASSWORD})
    assert r.status_code == 409 and "there is already a user risk" in r.text
    assert me(client, "risk")["roles"] == ["risk_officer"]  # unchanged, old password still works


@pytest.mark.parametrize(("roles", "api", "console"), [
    ([], "at least 1 item", "at least one role"),
    (["boss"], "Input should be 'admin'", "unknown role boss")])
def test_no_role_or_an_unknown_one_is_refused(client: TestClient, roles: list, api: str,
                                              console: str):
    headers = bearer(client, "admin")
    r = client.post("/api/admin/users", headers=headers, json={
        "user_id": "zhao", "roles": roles, "password": NEW_PASSWORD})
    assert r.status_code == 422 and api in json.dumps(r.json())
    r = client.put("/api/admin/users/view/roles", headers=headers, json={"roles": roles})
    assert r.status_code == 422 and api in json.dumps(r.json())
    token = log_in(client, "admin")
    r = client.post("/admin/users/view/roles", data={"csrf_token": token, "roles": roles})
    assert r.status_code == 422 and console in r.text
    assert me(client, "view")["roles"] == ["read_only"]


def test_a_user_id_is_letters_digits_and_a_few_signs(client: TestClient):
    r = client.post("/api/admin/users", headers=bearer(client, "admin"), json={
        "user_id": "a b", "roles": ["read_only"], "password": NEW_PASSWORD})
    assert r.status_code == 422
    token = log_in(client, "admin")
    r = client.post("/admin/users", data={"csrf_token": token, "user_id": "a/b",
                                          "roles": ["read_only"], "password": NEW_PASSWORD})
    assert r.status_code == 422 and "a user id is" in r.text


def test_an_admin_changes_roles_from_the_console_and_the_api(client: TestClient,
                                                             empty_ws: Path):
    token = log_in(client, "admin")
    r = client.post("/admin/users/view/roles", data={
        "csrf_token": token, "roles": ["branch_head"], "branch_id": "B007"})
    assert (r.status_code, r.headers["location"]) == (303, "/admin?done=roles&user=view")
    assert (me(client, "view")["roles"], me(client, "view")["branch_id"]) == (
        ["branch_head"], "B007")
    r = client.put("/api/admin/users/view/roles", headers=bearer(client, "admin"),
                   json={"roles": ["auditor", "read_only"]})
    assert r.status_code == 200 and r.json()["roles"] == ["auditor", "read_only"]
    assert "view_audit" in me(client, "view")["permissions"]
    assert audit_actions(empty_ws, "view").count("set_roles") == 2
    r = client.put("/api/admin/users/nobody/roles", headers=bearer(client, "admin"),
                   json={"roles": ["read_only"]})
    assert r.status_code == 404 and "nobody" in message_of(r)


def test_an_admin_resets_a_password_and_the_users_sessions_end(client: TestClient):
    old_session = bearer(client, "coll")
    token = log_in(client, "admin")
    r = client.post("/admin/users/coll/password", data={"csrf_token": token,
                                                         "password": NEW_PASSWORD})
    assert (r.status_code, r.headers["location"]) == (303, "/admin?done=password&user=coll")
    assert client.get("/api/me", headers=old_session).status_code == 401
    assert client.post("/api/auth/token", json={"user": "coll", "password": PASSWORD}
                       ).status_code == 401
    assert me(client, "coll", NEW_PASSWORD)["user"] == "coll"
    r = client.put("/api/admin/users/coll/password", headers=bearer(client, "admin"),
                   json={"password": "12345678901"})
    assert r.status_code == 422 and "letters and digits" in message_of(r)
    r = client.post("/admin/users/coll/password", data={"csrf_token": token, "password": "short"})
    assert r.status_code == 422 and "at least 10 characters" in r.text
    r = client.put("/api/admin/users/coll/password", headers=bearer(client, "admin"),
                   json={"password": PASSWORD})
    assert r.status_code == 200 and me(client, "coll")["user"] == "coll"


def test_a_form_without_the_csrf_token_changes_nothing(client: TestClient):
    log_in(client, "admin")
    r = client.post("/admin/users", data={"user_id": "sneaky", "roles": ["admin"],
                                          "password": NEW_PASSWORD})
    assert r.status_code == 403
    assert client.post("/api/auth/token", json={"user": "sneaky", "password": NEW_PASSWORD}
                       ).status_code == 401


@pytest.mark.parametrize("user", ["risk", "head", "mgr", "audit", "view"])
def test_only_administrators_may_manage_users(book_client: TestClient, user: str):
    headers = bearer(book_client, user)
    assert book_client.get("/api/admin/users", headers=headers).status_code == 403
    assert book_client.get("/api/admin/permissions", headers=headers).status_code == 403
    r = book_client.post("/api/admin/users", headers=headers, json={
        "user_id": "x1", "roles": ["admin"], "password": NEW_PASSWORD})
    assert r.status_code == 403
    for change in ("disable", "enable"):
        assert book_client.post(f"/api/admin/users/risk/{change}", headers=headers
                                ).status_code == 403
    assert book_client.put("/api/admin/users/risk/password", headers=headers,
                           json={"password": NEW_PASSWORD}).status_code == 403
    log_in(book_client, user)
    assert book_client.get("/admin").status_code == 403


def test_the_permission_table_is_the_role_table(book_client: TestClient):
    table = book_client.get("/api/admin/permissions", headers=bearer(book_client, "admin")).json()
    assert [r["role"] for r in table] == [r.value for r in Role]
    for row in table:
        granted = {p for p, yes in row["permissions"].items() if yes}
        assert granted == {p.value for p in ROLE_PERMISSIONS[Role(row["role"])]}
    log_in(book_client, "admin")
    page = book_client.get("/admin").text
    admin_users = [page.count(f'data-role="{r.value}" data-permission="admin_users">✓<')
                   for r in Role]
    assert admin_users == [1 if Permission.ADMIN_USERS in ROLE_PERMISSIONS[r] else 0 for r in Role]
    assert "<form" not in page[page.index('id="permissions"'):page.index('id="branches"')]


def test_the_branches_are_those_of_the_loans_with_their_counts(book_client: TestClient,
                                                               book_ws: Path):
    with Workspace(book_ws).connect(read_only=True) as con:
        expected = dict(con.execute("SELECT branch_id, count(*) FROM loans "
                                    "WHERE _valid_to IS NULL GROUP BY 1").fetchall())
    shown = book_client.get("/api/admin/branches", headers=bearer(book_client, "admin")).json()
    assert {b["branch_id"]: b["loans"] for b in shown if b["loans"]} == expected
    head = book_client.get("/api/me", headers=bearer(book_client, "head")).json()
    assert next(b for b in shown if b["branch_id"] == head["branch_id"])["users"] >= 3
    log_in(book_client, "admin")
    assert f'data-branch="{head["branch_id"]}"' in book_client.get("/admin").text


# --- disabling and enabling -----------------------------------------------------------------

def login_message(client: TestClient, user: str, password: str = PASSWORD) -> tuple[int, str]:
    r = client.post("/api/auth/token", json={"user": user, "password": password})
    return r.status_code, r.json().get("detail", "")


def test_a_disabled_user_cannot_log_in_and_their_sessions_end(client: TestClient,
                                                              empty_ws: Path):
    old_session = bearer(client, "coll")
    headers = bearer(client, "admin")
    r = client.post("/api/admin/users/coll/disable", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is False
    conforms(client, "/api/admin/users/{user_id}/disable", "POST", r)
    assert client.get("/api/me", headers=old_session).status_code == 401
    status, message = login_message(client, "coll")
    assert status == 401 and "disabled" in message and "administrator" in message
    # only whoever knows the password learns that the account exists and is disabled
    assert login_message(client, "coll", "wrong-pass-1") == (401, "wrong user name or password")
    r = client.post("/login", data={"user": "coll", "password": PASSWORD})
    assert r.status_code == 401 and "disabled" in r.text
    listed = {u["user_id"]: u["active"] for u in client.get("/api/admin/users",
                                                            headers=headers).json()}
    assert listed["coll"] is False and listed["risk"] is True
    again = client.post("/api/admin/users/coll/disable", headers=headers)
    assert again.status_code == 200 and again.json()["active"] is False
    assert audit_actions(empty_ws, "coll").count("disable") == 1  # nothing changed: no row
    r = client.post("/api/admin/users/coll/enable", headers=headers)
    assert r.status_code == 200 and r.json()["active"] is True
    assert me(client, "coll")["user"] == "coll"  # the old password works again
    assert audit_actions(empty_ws, "coll")[-3:] == ["disable", "enable", "login"]


def test_every_change_of_the_account_is_audited_with_its_before_and_after(client: TestClient,
                                                                           empty_ws: Path):
    headers = bearer(client, "admin")
    client.post("/api/admin/users/view/disable", headers=headers)
    client.post("/api/admin/users/view/enable", headers=headers)
    store = open_store(empty_ws)
    try:
        with store.session() as s:
            rows = [r for r in s.audit.for_entity("user", "view")
                    if r.action in ("disable", "enable")]
    finally:
        store.close()
    assert [(r.actor, r.action, r.before["active"], r.after["active"]) for r in rows] == [
        ("admin", "disable", True, False), ("admin", "enable", False, True)]


def test_an_admin_cannot_disable_themselves(client: TestClient):
    headers = bearer(client, "admin")
    r = client.post("/api/admin/users/admin/disable", headers=headers)
    assert r.status_code == 409 and "your own account" in message_of(r)
    token = log_in(client, "admin")
    page = client.get("/admin").text
    assert 'action="/admin/users/risk/disable"' in page
    assert 'action="/admin/users/admin/disable"' not in page  # no button for oneself
    r = client.post("/admin/users/admin/disable", data={"csrf_token": token})
    assert r.status_code == 409 and "your own account" in r.text
    assert client.get("/api/me", headers=headers).json()["user"] == "admin"  # still logged in
    assert client.get("/admin").status_code == 200


def test_an_unknown_user_is_a_404_with_a_message(client: TestClient):
    headers = bearer(client, "admin")
    for change in ("disable", "enable"):
        r = client.post(f"/api/admin/users/nobody/{change}", headers=headers)
        assert r.status_code == 404 and "nobody" in message_of(r)
    token = log_in(client, "admin")
    r = client.post("/admin/users/nobody/disable", data={"csrf_token": token})
    assert r.status_code == 404 and "nobody" in r.text


def test_an_admin_disables_and_enables_a_user_from_the_console(client: TestClient):
    risk_session = bearer(client, "risk")
    token = log_in(client, "admin")
    assert client.post("/admin/users/risk/disable", data={}).status_code == 403  # no CSRF
    assert client.get("/api/me", headers=risk_session).status_code == 200
    r = client.post("/admin/users/risk/disable", data={"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, "/admin?done=disabled&user=risk")
    page = client.get(r.headers["location"]).text
    row = page[page.index('data-user="risk"'):page.index('data-user="view"')]
    assert 'data-testid="disabled"' in row and 'action="/admin/users/risk/enable"' in row
    assert 'data-testid="notice"' in page
    assert client.get("/api/me", headers=risk_session).status_code == 401
    r = client.post("/admin/users/risk/enable", data={"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, "/admin?done=enabled&user=risk")
    row = client.get("/admin?lang=en").text
    row = row[row.index('data-user="risk"'):row.index('data-user="view"')]
    assert 'action="/admin/users/risk/disable"' in row and 'data-testid="disabled"' not in row
    assert me(client, "risk")["user"] == "risk"
