"""Logging in and out of the console and the API: argon2 passwords, HTTP-only session
cookies, CSRF on forms, lock-out after repeated failures, bearer tokens for API clients."""

from __future__ import annotations

import datetime as dt

from fastapi.testclient import TestClient

from loanwatch.security.users import LOCK_MINUTES, MAX_FAILURES, SESSION_HOURS
from loanwatch.services.store import open_store
from tests.web.conftest import PASSWORD, bearer, csrf_of, log_in


def test_a_page_without_a_session_sends_the_browser_to_the_login_page(client: TestClient):
    r = client.get("/dashboard")
    assert (r.status_code, r.headers["location"]) == (303, "/login?next=/dashboard")
    assert "贷后智能监控平台" in client.get("/login").text


def test_logging_in_sets_an_http_only_strict_cookie_and_opens_the_page(client: TestClient):
    r = client.post("/login", data={"user": "risk", "password": PASSWORD, "next": "/dashboard"})
    assert (r.status_code, r.headers["location"]) == (303, "/dashboard")
    cookie = r.headers["set-cookie"]
    assert "lw_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    page = client.get("/dashboard")
    assert page.status_code == 200 and "风险总览" in page.text


def test_a_wrong_password_is_refused_without_saying_which_part_was_wrong(client: TestClient):
    for user in ("risk", "nobody"):
        r = client.post("/login", data={"user": user, "password": "wrong-pass-1", "next": "/"})
        assert r.status_code == 401 and "wrong user name or password" in r.text


def test_repeated_failures_lock_the_account_for_a_while(client: TestClient, clock, empty_ws):
    for _ in range(MAX_FAILURES):
        client.post("/login", data={"user": "risk", "password": "wrong-pass-1"})
    r = client.post("/login", data={"user": "risk", "password": PASSWORD})
    assert r.status_code == 401 and "locked until" in r.text
    clock.now += dt.timedelta(minutes=LOCK_MINUTES)
    assert client.post("/login", data={"user": "risk", "password": PASSWORD}).status_code == 303
    store = open_store(empty_ws)
    with store.session() as s:
        actions = [r.action for r in s.audit.for_entity("user", "risk")]
    store.close()
    assert actions[-2:] == ["lock", "login"]


def test_a_form_without_the_csrf_token_is_refused(client: TestClient):
    token = log_in(client, "risk")
    assert client.post("/logout", data={}).status_code == 403
    assert client.post("/logout", data={"csrf_token": "forged"}).status_code == 403
    r = client.post("/logout", data={"csrf_token": token})
    assert (r.status_code, r.headers["location"]) == (303, "/login")
    assert client.get("/dashboard").status_code == 303  # the session is gone


def test_sessions_expire(client: TestClient, clock):
    log_in(client, "risk")
    clock.now += dt.timedelta(hours=SESSION_HOURS, seconds=1)
    assert client.get("/dashboard").status_code == 303


def test_api_clients_use_bearer_tokens_without_csrf(client: TestClient):
    assert client.get("/api/me").status_code == 401
    headers = bearer(client, "mgr")
    me = client.get("/api/me", headers=headers).json()
    assert (me["user"], me["roles"], me["scope"], me["manager_id"]) == (
        "mgr", ["customer_manager"], "own", "M00001")
    assert "act_alerts" in me["permissions"] and "admin_users" not in me["permissions"]
    assert client.post("/api/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/me", headers=headers).status_code == 401


def test_a_wrong_api_login_is_401_with_a_message(client: TestClient):
    r = client.post("/api/auth/token", json={"user": "risk", "password": "nope-nope-1"})
    assert (r.status_code, r.json()) == (401, {"detail": "wrong user name or password"})
    r = client.post("/api/auth/token", json={"user": "risk"})
    assert r.status_code == 422


def test_the_login_page_only_returns_to_pages_of_this_site(client: TestClient):
    r = client.post("/login", data={"user": "risk", "password": PASSWORD,
                                    "next": "https://evil.example/"})
    assert r.headers["location"] == "/"


def test_the_language_switch_sticks(client: TestClient):
    log_in(client, "risk")
    client.get("/lang/en?back=/dashboard")
    assert "Dashboard" in client.get("/dashboard").text
    assert csrf_of(client)
