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


# --- signals by their titles, codes by their labels ---------------------------------------

def titles(client: TestClient) -> dict[str, tuple[str, str]]:
    """The titles the rules catalogue gives the signals of the app's policy."""
    from loanwatch.rules.catalogue import signal_titles
    return signal_titles(client.app.state.lw.policy)


def test_the_360_alerts_read_as_signal_titles(book_client: TestClient, book_ws):
    customer = query(book_ws, "SELECT customer_id FROM alerts GROUP BY 1 "
                              "ORDER BY count(DISTINCT signal_id) DESC, 1 LIMIT 1")[0]["customer_id"]
    known = titles(book_client)
    view = book_client.get(f"/api/borrowers/{customer}", headers=bearer(book_client, "risk"))
    alerts = view.json()["alerts"]
    assert alerts and all((a["title_zh"], a["title_en"]) == known[a["signal_id"]] for a in alerts)
    log_in(book_client, "risk")
    page = book_client.get(f"/borrowers/{customer}").text
    english = book_client.get(f"/borrowers/{customer}?lang=en").text
    for a in alerts:
        zh, en = known[a["signal_id"]]
        assert f'data-signal="{a["signal_id"]}">{zh} ({a["signal_id"]})<' in page
        assert f'data-signal="{a["signal_id"]}">{en} ({a["signal_id"]})<' in english


def test_the_networks_open_signals_read_as_titles(book_client: TestClient, book_ws):
    found = query(book_ws, "SELECT customer_id, signals FROM warning_levels WHERE as_of = ? "
                           "AND len(signals) > 0 ORDER BY customer_id", [LAST])
    headers = bearer(book_client, "risk")
    known = titles(book_client)
    for row in found:
        net = book_client.get(f"/api/borrowers/{row['customer_id']}/network", headers=headers)
        if net.json() and net.json()["edges"]:
            break
    else:
        pytest.skip("no borrower with open signals has related parties in this book")
    signals = {s for n in net.json()["nodes"] for s in n["signals"]}
    assert signals
    log_in(book_client, "risk")
    page = book_client.get(f"/borrowers/{row['customer_id']}").text
    for s in signals:
        assert f'data-signal="{s}">{known[s][0]} ({s})<' in page


def test_a_signal_the_catalogue_no_longer_has_reads_as_its_id(book_client: TestClient, book_ws):
    customer = query(book_ws, "SELECT customer_id FROM alerts GROUP BY 1 "
                              "ORDER BY count(*) DESC, 1 LIMIT 1")[0]["customer_id"]
    book_client.app.state.lw.signal_titles = {}  # every signal removed
    alerts = book_client.get(f"/api/borrowers/{customer}",
                             headers=bearer(book_client, "risk")).json()["alerts"]
    assert alerts and all(a["title_zh"] == a["title_en"] == a["signal_id"] for a in alerts)
    log_in(book_client, "risk")
    page = book_client.get(f"/borrowers/{customer}").text
    assert all(f'data-signal="{a["signal_id"]}">{a["signal_id"]}<' in page for a in alerts)


def test_the_360_page_labels_products_tasks_registry_events_and_collateral(
        book_client: TestClient, book_ws):
    from loanwatch.web.i18n import label
    customer = query(book_ws, f"""
        SELECT l.customer_id FROM {in_force_sql('collaterals', LAST)} z
        JOIN {in_force_sql('loans', LAST)} l USING (loan_id)
        WHERE l.customer_id IN (SELECT customer_id FROM registry_events)
        GROUP BY 1 ORDER BY 1 LIMIT 1""")[0]["customer_id"]
    events = query(book_ws, f"SELECT DISTINCT kind FROM {in_force_sql('registry_events', LAST)} "
                            f"WHERE customer_id = ? AND occurred_on <= ?", [customer, LAST])
    kinds = query(book_ws, f"""SELECT DISTINCT z.kind, z.status FROM
        {in_force_sql('collaterals', LAST)} z JOIN {in_force_sql('loans', LAST)} l USING (loan_id)
        WHERE l.customer_id = ? AND z.appraised_on <= ?""", [customer, LAST])
    products = query(book_ws, f"SELECT DISTINCT product FROM {in_force_sql('loans', LAST)} "
                              f"WHERE customer_id = ? AND disbursed_on <= ?", [customer, LAST])
    with book_client.app.state.lw.store.session() as s:
        tasks = {t.kind.value for t in s.tasks.list(customer_id=customer, limit=None)}
    assert events and kinds and products and tasks
    log_in(book_client, "risk")
    for lang in ("zh", "en"):
        page = book_client.get(f"/borrowers/{customer}?lang={lang}").text
        for e in events:
            shown = label(lang, "registry_kind", e["kind"])
            assert shown != e["kind"] and f'data-registry-kind="{e["kind"]}">{shown}<' in page
        for k in kinds:
            shown = label(lang, "collateral_kind", k["kind"])
            assert shown != k["kind"] and f'data-collateral-kind="{k["kind"]}">{shown}<' in page
            assert label(lang, "collateral_status", k["status"]) in page
        for p in products:
            shown = label(lang, "product", p["product"])
            assert shown != p["product"]
            assert f'data-product="{p["product"]}" title="{p["product"]}">{shown}<' in page
        for kind in tasks:
            assert f'data-task-kind="{kind}">{label(lang, "task_kind", kind)}<' in page


def test_a_code_without_a_label_reads_as_itself():
    from loanwatch.domain.labels import LABELS
    from loanwatch.web.i18n import label
    assert label("zh", "product", "P-OWN-7") == "P-OWN-7"
    assert label("en", "no-such-kind", "x") == "x" and label("zh", "product", None) == ""
    assert all(len(pair) == 2 and all(pair) for kind in LABELS.values() for pair in kind.values())


# --- documents ------------------------------------------------------------------------------

def expected_documents(root: Path, customer: str, day: dt.date) -> tuple[list[str], list[str]]:
    """The borrower's contracts (latest dated first) and invoices (latest first) as known at
    ``day``, read from the contract tables."""
    contracts = query(root, f"""
        SELECT k.contract_id FROM {in_force_sql('contracts', day)} k
        JOIN {in_force_sql('loans', day)} l ON l.loan_id = k.loan_id
        WHERE l.customer_id = ? AND l.disbursed_on <= ?
              AND (k.signed_on IS NULL OR k.signed_on <= ?)
        ORDER BY coalesce(k.signed_on, l.disbursed_on) DESC, k.contract_id DESC""",
                      [customer, day, day])
    ids = [c["contract_id"] for c in contracts]
    (me,) = query(root, f"SELECT customer_type, id_number FROM "
                        f"{in_force_sql('customers', day)} WHERE customer_id = ?", [customer])
    tax_id = me["id_number"] if me["customer_type"] == "enterprise" else None
    invoices = query(root, f"""
        SELECT invoice_no FROM {in_force_sql('invoices', day)}
        WHERE issued_on <= ? AND (list_contains(?, contract_id) OR buyer_tax_id = ?
                                  OR seller_tax_id = ?)
        ORDER BY issued_on DESC, invoice_no DESC""", [day, ids, tax_id, tax_id])
    return ids, [i["invoice_no"] for i in invoices]


def borrower_with_documents(root: Path) -> str:
    """A borrower of ``mgr`` with contracts and invoices, some of them dated after the first
    stored date (so that the first date shows fewer)."""
    manager, _ = mgr_code(root)
    first = dt.date.fromisoformat(BOOK_DAYS[0])
    for r in query(root, "SELECT DISTINCT l.customer_id FROM contracts k JOIN loans l "
                         "USING (loan_id) WHERE l.manager_id = ? ORDER BY 1", [manager]):
        now, then = (expected_documents(root, r["customer_id"], d) for d in (LAST, first))
        if now[0] and now[1] and (now[0] != then[0] or now[1] != then[1]):
            return r["customer_id"]
    pytest.fail("the book has no borrower of mgr with documents after the first date")


def test_the_documents_are_the_borrowers_contracts_and_invoices_as_of_the_date(
        book_client: TestClient, book_ws):
    from tests.web.test_alerts import conforms
    customer = borrower_with_documents(book_ws)
    headers = bearer(book_client, "mgr")
    for day in (LAST, dt.date.fromisoformat(BOOK_DAYS[0])):
        contracts, invoices = expected_documents(book_ws, customer, day)
        view = book_client.get(f"/api/borrowers/{customer}?as_of={day}", headers=headers).json()
        docs = view["documents"]
        assert [c["contract_id"] for c in docs["contracts"]["items"]] == contracts[:50]
        assert [i["invoice_no"] for i in docs["invoices"]["items"]] == invoices[:50]
        assert (docs["contracts"]["total"], docs["invoices"]["total"]) == (
            len(contracts), len(invoices))
        assert all(i["issued_on"] <= day.isoformat() for i in docs["invoices"]["items"])
    table = query(book_ws, f"SELECT * FROM {in_force_sql('contracts', LAST)} "
                           f"WHERE contract_id = ?", [contracts[0]])[0]
    shown = next(c for c in book_client.get(f"/api/borrowers/{customer}", headers=headers
                                            ).json()["documents"]["contracts"]["items"]
                 if c["contract_id"] == table["contract_id"])
    assert (shown["counterparty_name"], shown["amount"], shown["goods"]) == (
        table["counterparty_name"], f"{table['amount']:.2f}", table["goods"])
    page = book_client.get(f"/api/borrowers/{customer}/documents",
                           params={"limit": 2, "offset": 1}, headers=headers)
    conforms(book_client, "/api/borrowers/{customer_id}/documents", "GET", page)
    _, invoices = expected_documents(book_ws, customer, LAST)
    assert [i["invoice_no"] for i in page.json()["invoices"]["items"]] == invoices[1:3]
    assert page.json()["invoices"]["total"] == len(invoices)


def test_the_documents_section_of_the_360_page(book_client: TestClient, book_ws):
    customer = borrower_with_documents(book_ws)
    contracts, invoices = expected_documents(book_ws, customer, LAST)
    log_in(book_client, "mgr")
    page = book_client.get(f"/borrowers/{customer}").text
    assert 'data-testid="documents"' in page and "购销合同" in page and "增值税发票" in page
    assert all(f'data-contract="{c}"' in page for c in contracts)
    assert all(f'data-invoice="{i}"' in page for i in invoices[:50])
    assert f'data-testid="invoices-total">({len(invoices)})<' in page
    first = dt.date.fromisoformat(BOOK_DAYS[0])
    earlier = book_client.get(f"/borrowers/{customer}?as_of={first}").text
    then_contracts, then_invoices = expected_documents(book_ws, customer, first)
    later = (set(contracts) - set(then_contracts)) | (set(invoices) - set(then_invoices))
    assert later and not any(f'data-contract="{x}"' in earlier or f'data-invoice="{x}"' in earlier
                             for x in later)
    assert "VAT invoices" in book_client.get(f"/borrowers/{customer}?lang=en").text


def test_documents_outside_the_slice_do_not_exist(book_client: TestClient, book_ws):
    theirs = stranger(book_ws)
    for user in ("mgr", "other"):
        r = book_client.get(f"/api/borrowers/{theirs}/documents", headers=bearer(book_client, user))
        assert r.status_code == 404 and theirs in r.json()["detail"]
    headers = bearer(book_client, "risk")
    assert book_client.get(f"/api/borrowers/{theirs}/documents", headers=headers
                           ).status_code == 200
    for bad in ({"limit": 0}, {"offset": -1}, {"as_of": "yesterday"}):
        r = book_client.get(f"/api/borrowers/{theirs}/documents", params=bad, headers=headers)
        assert r.status_code == 422, bad


def test_an_invoice_naming_no_contract_is_matched_to_the_borrowers_contract(
        fresh_book: TestClient, tmp_path: Path):
    root = tmp_path / "ws"
    customer = borrower_with_documents(root)
    contracts = query(root, f"""
        SELECT k.contract_id, k.counterparty_tax_id, k.counterparty_name, k.signed_on
        FROM {in_force_sql('contracts', LAST)} k JOIN {in_force_sql('loans', LAST)} l
        USING (loan_id) WHERE l.customer_id = ? AND k.signed_on <= ?
        ORDER BY k.signed_on DESC""", [customer, LAST])
    (me,) = query(root, "SELECT id_number, name FROM customers WHERE customer_id = ? "
                        "AND _valid_to IS NULL", [customer])
    target = contracts[0]
    with Workspace(root).connect() as con:
        con.execute("""INSERT INTO invoices (invoice_no, seller_tax_id, seller_name, buyer_tax_id,
                       buyer_name, issued_on, amount, tax_amount, status, contract_id)
                       VALUES ('T-UNLINKED-1', ?, ?, ?, ?, ?, 1000.00, 130.00, 'normal', NULL)""",
                    [target["counterparty_tax_id"], target["counterparty_name"], me["id_number"],
                     me["name"], target["signed_on"]])
        con.execute("ALTER TABLE loans ADD COLUMN product_name VARCHAR")
        con.execute("UPDATE loans SET product_name = '小微快贷' WHERE customer_id = ?", [customer])
    view = fresh_book.get(f"/api/borrowers/{customer}", headers=bearer(fresh_book, "mgr")).json()
    (added,) = [i for i in view["documents"]["invoices"]["items"]
                if i["invoice_no"] == "T-UNLINKED-1"]
    assert (added["contract_id"], added["contract_inferred"]) == (target["contract_id"], True)
    linked = [i for i in view["documents"]["invoices"]["items"] if i["invoice_no"] != "T-UNLINKED-1"]
    assert not any(i["contract_inferred"] for i in linked)
    assert {x["product_name"] for x in view["loans"]} == {"小微快贷"}
    log_in(fresh_book, "mgr")
    assert ">小微快贷<" in fresh_book.get(f"/borrowers/{customer}").text


def test_the_files_on_the_borrowers_tasks_are_listed_with_their_download_link(
        fresh_book: TestClient):
    from tests.web.test_alerts import conforms
    from tests.web.test_tasks import mgr_task, png
    task = mgr_task(fresh_book)
    token = log_in(fresh_book, "mgr")
    data = png()
    r = fresh_book.post(f"/tasks/{task.task_id}/attachments",
                        data={"csrf_token": token, "version": task.version},
                        files={"file": ("核查 报告.png", data, "image/png")})
    assert r.status_code == 303, r.text
    headers = bearer(fresh_book, "mgr")
    view = fresh_book.get(f"/api/borrowers/{task.customer_id}", headers=headers)
    conforms(fresh_book, "/api/borrowers/{customer_id}", "GET", view)
    docs = view.json()["documents"]["attachments"]
    (f,) = [x for x in docs["items"] if x["task_id"] == task.task_id]
    assert (f["name"], f["size"], f["by"], f["task_kind"]) == (
        "核查 报告.png", len(data), "mgr", task.kind.value)
    assert fresh_book.get(f["url"], headers=headers).content == data
    page = fresh_book.get(f"/borrowers/{task.customer_id}").text
    link = f'/tasks/{task.task_id.replace(":", "%3A")}/attachments/%E6%A0%B8%E6%9F%A5%20'
    assert link in page
    assert fresh_book.get(link + "%E6%8A%A5%E5%91%8A.png").content == data
    # uploaded after the first stored date: not among the documents as known then
    earlier = fresh_book.get(f"/api/borrowers/{task.customer_id}?as_of={BOOK_DAYS[0]}",
                             headers=headers).json()["documents"]["attachments"]
    assert task.task_id not in {x["task_id"] for x in earlier["items"]}
    log_in(fresh_book, "coll")  # may see the borrower, not open tasks: the name, no link
    page = fresh_book.get(f"/borrowers/{task.customer_id}").text
    assert "核查 报告.png" in page and link not in page
