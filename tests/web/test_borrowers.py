"""Borrower search and the 360 view (客户视图): what a borrower's page and API show match the
workspace's tables, each person finds only the borrowers of their slice, and personal data
stays masked unless a permitted role reveals it on purpose, which is audited."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from loanwatch.engines.duckdb import in_force_sql
from loanwatch.services.scope import rows
from loanwatch.services.store import open_store
from loanwatch.workspace import Workspace
from tests.web.conftest import BOOK_DAYS, bearer, log_in

LAST = dt.date.fromisoformat(BOOK_DAYS[-1])


def query(root: Path, sql: str, params: list[Any] | tuple = ()) -> list[dict]:
    with Workspace(root).connect(read_only=True) as con:
        return rows(con, sql, params)


def mgr_code(root: Path) -> tuple[str, str]:
    """The manager code and branch ``mgr`` was given (the busiest manager, as the fixture)."""
    found = query(root, "SELECT manager_id, any_value(branch_id) AS branch_id, count(*) AS n "
                        "FROM loans WHERE manager_id IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 "
                        "LIMIT 1")[0]
    return found["manager_id"], found["branch_id"]


def borrower_of_mgr(root: Path, customer_type: str | None = None) -> str:
    """A borrower of ``mgr``: one with related parties and the most loans first."""
    manager, _ = mgr_code(root)
    kind = "AND c.customer_type = ?" if customer_type else ""
    return query(root, f"""
        WITH related AS (SELECT customer_id FROM relations
                         UNION SELECT related_customer_id FROM relations)
        SELECT l.customer_id, count(DISTINCT l.loan_id) AS loans,
               bool_or(l.customer_id IN (SELECT customer_id FROM related)) AS has_related
        FROM {in_force_sql('loans', LAST)} l JOIN {in_force_sql('customers', LAST)} c
             USING (customer_id)
        WHERE l.manager_id = ? {kind} GROUP BY 1 ORDER BY has_related DESC, loans DESC, 1
        LIMIT 1""", [manager, *([customer_type] if customer_type else [])])[0]["customer_id"]


def stranger(root: Path) -> str:
    """A borrower of another manager and another branch than ``mgr``'s."""
    manager, branch = mgr_code(root)
    return query(root, "SELECT min(customer_id) AS c FROM loans WHERE manager_id <> ? "
                       "AND branch_id <> ?", [manager, branch])[0]["c"]


def clear_personal(root: Path, customer_id: str) -> dict[str, str | None]:
    ws = Workspace(root)
    (sealed,) = query(root, "SELECT pii_enc FROM customers WHERE customer_id = ?", [customer_id])
    return ws.cipher().reveal(sealed["pii_enc"])


# --- the 360 view -------------------------------------------------------------------------

def test_the_borrower_api_shows_the_loans_the_loans_table_has(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    r = book_client.get(f"/api/borrowers/{customer}", headers=bearer(book_client, "mgr"))
    assert r.status_code == 200, r.text
    view = r.json()
    assert view["as_of"] == BOOK_DAYS[-1] and view["profile"]["customer_id"] == customer
    loans = query(book_ws, f"SELECT loan_id, principal FROM {in_force_sql('loans', LAST)} "
                           f"WHERE customer_id = ? AND disbursed_on <= ? "
                           f"ORDER BY disbursed_on, loan_id", [customer, LAST])
    assert loans and [x["loan_id"] for x in view["loans"]] == [x["loan_id"] for x in loans]
    for shown in view["loans"]:
        (table,) = [x for x in loans if x["loan_id"] == shown["loan_id"]]
        assert shown["principal"] == f"{table['principal']:.2f}"
        schedule = query(book_ws, f"SELECT count(*) AS n FROM {in_force_sql('installments', LAST)}"
                                  f" WHERE loan_id = ?", [shown["loan_id"]])[0]["n"]
        paid = query(book_ws, f"SELECT coalesce(sum(amount), 0) AS s FROM "
                              f"{in_force_sql('repayments', LAST)} WHERE loan_id = ? "
                              f"AND paid_on <= ?", [shown["loan_id"], LAST])[0]["s"]
        assert len(shown["installments"]) == schedule > 0
        assert sum(float(p["amount"]) for p in shown["repayments"]) == pytest.approx(float(paid))
        snap = query(book_ws, "SELECT dpd, outstanding_principal FROM loan_snapshot WHERE "
                              "loan_id = ? AND as_of = ?", [shown["loan_id"], LAST])[0]
        assert (shown["dpd"], shown["outstanding_principal"]) == (
            snap["dpd"], f"{snap['outstanding_principal']:.2f}")


def test_the_dpd_history_has_one_point_per_stored_date(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    headers = bearer(book_client, "mgr")
    history = book_client.get(f"/api/borrowers/{customer}", headers=headers).json()["dpd_history"]
    assert [p["as_of"] for p in history] == list(BOOK_DAYS)
    worst = {r["as_of"].isoformat(): r["dpd"] for r in query(
        book_ws, "SELECT as_of, max(dpd) AS dpd FROM loan_snapshot WHERE customer_id = ? "
                 "GROUP BY 1", [customer])}
    assert {p["as_of"]: p["dpd"] for p in history} == {d: worst.get(d) for d in BOOK_DAYS}
    earlier = book_client.get(f"/api/borrowers/{customer}?as_of={BOOK_DAYS[0]}",
                              headers=headers).json()
    assert [p["as_of"] for p in earlier["dpd_history"]] == [BOOK_DAYS[0]]
    assert {c["as_of"] for c in earlier["classes"]} <= {BOOK_DAYS[0]}


def test_class_rating_and_indicators_come_from_the_marts(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    view = book_client.get(f"/api/borrowers/{customer}", headers=bearer(book_client, "mgr")).json()
    classes = query(book_ws, "SELECT as_of, loan_id, five_class, stage FROM classification "
                             "WHERE customer_id = ?", [customer])
    assert sorted((c["as_of"], c["loan_id"], c["five_class"], c["stage"]) for c in view["classes"]
                  ) == sorted((c["as_of"].isoformat(), c["loan_id"], c["five_class"], c["stage"])
                              for c in classes)
    grades = query(book_ws, "SELECT as_of, grade FROM ratings WHERE customer_id = ?", [customer])
    assert {(r["as_of"], r["grade"]) for r in view["ratings"]} == {
        (g["as_of"].isoformat(), g["grade"]) for g in grades}
    assert view["indicators"]["as_of"] == BOOK_DAYS[-1]
    assert view["score"] is None  # no champion model in the book


def test_the_borrowers_alerts_are_those_of_the_store_with_links(book_client: TestClient,
                                                                 book_ws):
    customer = query(book_ws, "SELECT customer_id FROM alerts GROUP BY 1 "
                              "ORDER BY count(*) DESC, 1 LIMIT 1")[0]["customer_id"]
    store = open_store(book_ws)
    with store.session() as s:
        stored = {a.alert_id for a in s.alerts.list(customer_id=customer, limit=None)}
    store.close()
    log_in(book_client, "risk")
    view = book_client.get(f"/api/borrowers/{customer}").json()
    assert stored and {a["alert_id"] for a in view["alerts"]} == stored
    page = book_client.get(f"/borrowers/{customer}")
    assert page.status_code == 200
    first = sorted(stored)[0]
    assert f'href="/alerts/{first.replace(":", "%3A")}"' in page.text


def test_the_360_page_draws_the_dpd_history_and_the_network(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    log_in(book_client, "mgr")
    page = book_client.get(f"/borrowers/{customer}")
    assert page.status_code == 200, page.text
    for part in ("dpd-chart", "network-chart", "还款计划", "五级分类与减值阶段", "征信摘要"):
        assert part in page.text
    loans = query(book_ws, "SELECT loan_id FROM loans WHERE customer_id = ?", [customer])
    assert all(f'data-loan="{x["loan_id"]}"' in page.text for x in loans)
    english = book_client.get(f"/borrowers/{customer}?lang=en")
    assert "Days past due over time" in english.text and "Schedule" in english.text


def test_the_network_api_gives_the_borrowers_related_parties(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    related = query(book_ws, f"SELECT customer_id, related_customer_id, kind FROM "
                             f"{in_force_sql('relations', LAST)} WHERE ? IN "
                             f"(customer_id, related_customer_id)", [customer])
    assert related, "the chosen borrower has related parties"
    net = book_client.get(f"/api/borrowers/{customer}/network",
                          headers=bearer(book_client, "mgr")).json()
    nodes = {n["customer_id"]: n for n in net["nodes"]}
    assert nodes[customer]["depth"] == 0 and nodes[customer]["visible"]
    edges = {(e["src"], e["dst"], e["kind"]) for e in net["edges"]}
    assert {(r["customer_id"], r["related_customer_id"], r["kind"]) for r in related} <= edges
    assert all(n["depth"] <= 2 for n in net["nodes"])


# --- personal data ------------------------------------------------------------------------

def test_personal_data_is_masked_for_a_read_only_user(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws, "individual")
    clear = clear_personal(book_ws, customer)
    profile = book_client.get(f"/api/borrowers/{customer}",
                              headers=bearer(book_client, "view")).json()["profile"]
    assert profile["masked"] and "*" in profile["name"] and profile["name"] != clear["name"]
    assert profile["name"][0] == clear["name"][0]
    assert profile["id_number"] != clear["id_number"] and profile["phone"] != clear["phone"]
    log_in(book_client, "view")
    page = book_client.get(f"/borrowers/{customer}").text
    assert clear["name"] not in page and clear["id_number"] not in page
    assert 'data-testid="unmask"' not in page


def test_a_risk_officer_can_reveal_personal_data_and_it_is_audited(fresh_book: TestClient,
                                                                    tmp_path: Path):
    root = tmp_path / "ws"
    customer = borrower_of_mgr(root, "individual")
    clear = clear_personal(root, customer)
    token = log_in(fresh_book, "risk")
    page = fresh_book.get(f"/borrowers/{customer}").text
    assert 'data-testid="unmask"' in page and clear["name"] not in page
    assert fresh_book.post(f"/borrowers/{customer}/unmask", data={}).status_code == 403  # CSRF
    shown = fresh_book.post(f"/borrowers/{customer}/unmask", data={"csrf_token": token})
    assert shown.status_code == 200 and shown.headers["cache-control"] == "no-store"
    assert clear["name"] in shown.text and clear["id_number"] in shown.text
    api = fresh_book.post(f"/api/borrowers/{customer}/unmask",
                          headers=bearer(fresh_book, "risk")).json()
    assert (api["name"], api["id_number"], api["phone"]) == (
        clear["name"], clear["id_number"], clear["phone"])
    store = open_store(root)
    with store.session() as s:
        trail = s.audit.for_entity("customer", customer)
    store.close()
    assert [(a.actor, a.action) for a in trail] == [("risk", "unmask"), ("risk", "unmask")]
    assert clear["name"] not in str(trail[0].after) and "name" in trail[0].after["fields"]


def test_roles_without_unmask_permission_are_refused(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws, "individual")
    for user in ("view", "mgr"):
        r = book_client.post(f"/api/borrowers/{customer}/unmask",
                             headers=bearer(book_client, user))
        assert r.status_code == 403, user
    token = log_in(book_client, "view")
    assert book_client.post(f"/borrowers/{customer}/unmask",
                            data={"csrf_token": token}).status_code == 403


# --- search and scope ---------------------------------------------------------------------

def test_search_finds_by_id_loan_and_exact_name_through_the_keyed_hash(book_client: TestClient,
                                                                        book_ws):
    customer = borrower_of_mgr(book_ws, "individual")
    clear = clear_personal(book_ws, customer)
    loan = query(book_ws, "SELECT min(loan_id) AS l FROM loans WHERE customer_id = ?",
                 [customer])[0]["l"]
    headers = bearer(book_client, "mgr")

    def found(q: str) -> dict[str, str]:
        r = book_client.get("/api/borrowers", params={"q": q}, headers=headers)
        assert r.status_code == 200, r.text
        return {h["customer_id"]: h["matched_by"] for h in r.json()["results"]}

    assert found(customer) == {customer: "customer_id"}
    assert found(loan.lower()) == {customer: "loan_id"}
    assert found(clear["name"]).get(customer) == "name"
    assert found(clear["id_number"]) == {customer: "id_number"}
    assert found(clear["phone"]) == {customer: "phone"}
    assert found(clear["name"][:1]) == {}  # exact matches only: no LIKE on names
    assert found(clear["id_number"][:-1]) == {}


def test_a_manager_finds_only_their_borrowers(book_client: TestClient, book_ws):
    manager, _ = mgr_code(book_ws)
    mine = {r["customer_id"] for r in query(
        book_ws, f"SELECT DISTINCT customer_id FROM {in_force_sql('customers', LAST)} "
                 f"WHERE manager_id = ?", [manager])}
    headers = bearer(book_client, "mgr")
    listed = book_client.get("/api/borrowers", headers=headers).json()["results"]
    assert {h["customer_id"] for h in listed} == mine
    theirs = stranger(book_ws)
    assert book_client.get("/api/borrowers", params={"q": theirs}, headers=headers
                           ).json()["results"] == []
    assert book_client.get(f"/api/borrowers/{theirs}", headers=headers).status_code == 404
    assert book_client.get(f"/api/borrowers/{theirs}/loans", headers=headers).status_code == 404
    log_in(book_client, "mgr")
    assert book_client.get(f"/borrowers/{theirs}").status_code == 404


def test_a_manager_without_borrowers_sees_none(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    headers = bearer(book_client, "other")
    assert book_client.get(f"/api/borrowers/{customer}", headers=headers).status_code == 404
    assert book_client.get(f"/api/borrowers/{customer}/network",
                           headers=headers).status_code == 404
    for q in ("", customer):
        r = book_client.get("/api/borrowers", params={"q": q}, headers=headers)
        assert (r.status_code, r.json()["results"]) == (200, [])
    log_in(book_client, "other")
    assert book_client.get(f"/borrowers/{customer}").status_code == 404
    assert 'data-testid="no-borrowers"' in book_client.get("/borrowers").text


def test_a_branch_head_sees_the_borrowers_of_their_branch(book_client: TestClient, book_ws):
    _, branch = mgr_code(book_ws)
    theirs = {r["customer_id"] for r in query(book_ws, f"""
        SELECT customer_id FROM {in_force_sql('customers', LAST)} WHERE branch_id = ?
        UNION SELECT customer_id FROM {in_force_sql('loans', LAST)} WHERE branch_id = ?""",
        [branch, branch])}
    headers = bearer(book_client, "head")
    found = book_client.get("/api/borrowers", headers=headers).json()
    assert {h["customer_id"] for h in found["results"]} == theirs and not found["truncated"]
    assert all(h["branch_id"] == branch for h in found["results"])
    assert book_client.get(f"/api/borrowers/{borrower_of_mgr(book_ws)}",
                           headers=headers).status_code == 200
    assert book_client.get(f"/api/borrowers/{stranger(book_ws)}",
                           headers=headers).status_code == 404


def test_the_search_page_lists_the_hits(book_client: TestClient, book_ws):
    customer = borrower_of_mgr(book_ws)
    log_in(book_client, "mgr")
    page = book_client.get("/borrowers", params={"q": customer})
    assert page.status_code == 200 and 'data-testid="borrower-results"' in page.text
    assert f'href="/borrowers/{customer}?as_of={BOOK_DAYS[-1]}"' in page.text
