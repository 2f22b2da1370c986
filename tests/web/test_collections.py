"""Collections (催收): the queue is the store's live cases by expected loss, each role sees its
slice (collectors all of it), recovery figures add up, and a case is worked — contacts,
promises to pay, closing — by form and by API, with stale, illegal and incomplete events
refused."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient

from loanwatch.security.permissions import Role
from loanwatch.services.auth import add_user
from loanwatch.services.scope import rows
from loanwatch.workflow.collection_queue import queue, recovery_figures
from loanwatch.workflow.collections import LIVE, CollectionCase
from loanwatch.workspace import Workspace
from tests.web.conftest import NOW, PASSWORD, bearer, log_in, message_of

TODAY = NOW.date()


def store_cases(client: TestClient, **where: Any) -> list[CollectionCase]:
    with client.app.state.lw.store.session() as s:
        return s.cases.list(limit=None, **where)


def live(client: TestClient) -> list[CollectionCase]:
    return store_cases(client, status=tuple(LIVE))


def query(root: Path, sql: str, params: list[Any] | tuple = ()) -> list[dict]:
    with Workspace(root).connect(read_only=True) as con:
        return rows(con, sql, params)


def api(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(url, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def subjects(root: Path, column: str, value: str) -> tuple[set[str], set[str]]:
    """The customers and loans whose current rows have ``column`` = ``value``."""
    customers = {r["customer_id"] for r in query(
        root, f"SELECT customer_id FROM customers WHERE _valid_to IS NULL AND {column} = ?",
        [value])}
    loans = query(root, f"SELECT loan_id, customer_id FROM loans WHERE _valid_to IS NULL AND "
                        f"({column} = ? OR customer_id IN ({', '.join('?' * len(customers)) or 'NULL'}))",
                  [value, *customers])
    return customers | {r["customer_id"] for r in loans}, {r["loan_id"] for r in loans}


def add_person(client: TestClient, user_id: str, role: Role, branch: str | None,
               manager: str | None) -> dict[str, str]:
    add_user(client.app.state.lw.store, user_id=user_id, password=PASSWORD, roles=(role,),
             branch_id=branch, manager_id=manager, by="test", at=NOW)
    return bearer(client, user_id)


def conforms(client: TestClient, path: str, method: str, response: Any) -> None:
    """The response matches what the published OpenAPI schema declares for it."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    schema[path][method].validate_response(response)


def manager_of(root: Path, loan_id: str) -> tuple[str, str]:
    (row,) = query(root, "SELECT manager_id, branch_id FROM loans WHERE _valid_to IS NULL AND "
                         "loan_id = ?", [loan_id])
    return row["manager_id"], row["branch_id"]


# --- the queue ------------------------------------------------------------------------------

def test_the_queue_is_the_live_cases_by_expected_loss(book_client: TestClient):
    response = book_client.get("/api/collections", headers=bearer(book_client, "coll"),
                               params={"limit": 500})
    conforms(book_client, "/api/collections", "GET", response)
    page = response.json()
    expected = queue(store_cases(book_client))
    assert [c["case_id"] for c in page["items"]] == [c.case_id for c in expected]
    assert page["total"] == len(live(book_client)) > 0
    losses = [Decimal(c["expected_loss"]) for c in page["items"]]
    assert losses == sorted(losses, reverse=True)
    assert Decimal(page["expected_loss"]) == sum(c.expected_loss for c in expected)
    figures = recovery_figures(store_cases(book_client))
    assert page["figures"]["cases_opened"] == figures.cases_opened == len(store_cases(book_client))
    assert Decimal(page["figures"]["recovered"]) == figures.recovered
    assert page["figures"]["closed_by_outcome"]["cured"] == figures.closed_by_outcome["cured"]
    assert api(book_client, "/api/collections/figures", bearer(book_client, "coll")) == page[
        "figures"]


@pytest.mark.parametrize("params, where", [
    ({"bucket": "M1"}, {"bucket": "M1", "status": tuple(LIVE)}),
    ({"status": "closed"}, {"status": "closed"}),
    ({"status": "all"}, {}),
    ({"owner": "collections:B005"}, {"owner": "collections:B005", "status": tuple(LIVE)}),
])
def test_each_filter_keeps_what_the_store_counts(book_client: TestClient,
                                                 params: dict[str, str], where: dict[str, Any]):
    page = api(book_client, "/api/collections", bearer(book_client, "coll"), **params)
    with book_client.app.state.lw.store.session() as s:
        assert page["total"] == s.cases.count(**where) > 0


def test_paging_the_queue(book_client: TestClient):
    headers = bearer(book_client, "coll")
    whole = [c["case_id"] for c in api(book_client, "/api/collections", headers)["items"]]
    first = api(book_client, "/api/collections", headers, limit=5)
    second = api(book_client, "/api/collections", headers, limit=5, offset=5)
    assert [c["case_id"] for c in first["items"] + second["items"]] == whole[:10]


def test_the_console_queue_and_case_page(book_client: TestClient):
    top = queue(store_cases(book_client))[0]
    log_in(book_client, "coll")
    page = book_client.get("/collections")
    assert page.status_code == 200 and "催收管理" in page.text
    listed = re.findall(r'<tr data-case="([^"]+)"', page.text)
    assert listed == [c.case_id for c in queue(store_cases(book_client))][:50]
    assert re.search(r'data-testid="case-total">(\d+)<', page.text).group(1) == str(
        len(live(book_client)))
    case = book_client.get(f"/collections/{top.case_id}")
    assert case.status_code == 200
    assert f"{top.expected_loss:,.2f}" in case.text and top.bucket in case.text
    assert 'data-testid="contact-form"' in case.text
    assert "上门" in case.text or "短信" in case.text  # the strategy, in Chinese
    book_client.get(f"/lang/en?back=/collections/{top.case_id}")
    assert "Contact log" in book_client.get(f"/collections/{top.case_id}").text
    assert book_client.get("/collections/CC:NOPE").status_code == 404


# --- the slice ------------------------------------------------------------------------------

def test_each_role_sees_its_slice(fresh_book: TestClient, book_ws: Path):
    case = queue(store_cases(fresh_book))[0]
    manager, branch = manager_of(book_ws, case.loan_id)
    as_manager = add_person(fresh_book, "m-case", Role.CUSTOMER_MANAGER, branch, manager)
    as_head = add_person(fresh_book, "h-case", Role.BRANCH_HEAD, branch, None)
    for headers, column, value in ((as_manager, "manager_id", manager),
                                   (as_head, "branch_id", branch)):
        customers, loans = subjects(book_ws, column, value)
        expected = {c.case_id for c in live(fresh_book)
                    if c.loan_id in loans or c.customer_id in customers}
        page = api(fresh_book, "/api/collections", headers, limit=500)
        assert {c["case_id"] for c in page["items"]} == expected and case.case_id in expected
        assert page["figures"]["cases_opened"] == len(
            [c for c in store_cases(fresh_book) if c.loan_id in loans or c.customer_id in customers])
    assert api(fresh_book, "/api/collections", bearer(fresh_book, "other"))["total"] == 0
    outside = next(c for c in live(fresh_book)
                   if c.loan_id not in subjects(book_ws, "manager_id", manager)[1]
                   and c.customer_id not in subjects(book_ws, "manager_id", manager)[0])
    hidden = fresh_book.get(f"/api/collections/{outside.case_id}", headers=as_manager)
    assert hidden.status_code == 404
    assert message_of(hidden) == f"there is no collection case {outside.case_id}"
    assert fresh_book.get(f"/api/collections/{case.case_id}", headers=as_manager).json()[
        "trail"] is None  # a customer manager does not work cases
    assert fresh_book.post(f"/api/collections/{case.case_id}/events", headers=as_manager,
                           json={"event": "contact", "version": case.version, "channel": "call",
                                 "result": "reached"}).status_code == 403


def test_read_only_roles_cannot_act(book_client: TestClient):
    case = live(book_client)[0]
    r = book_client.post(f"/api/collections/{case.case_id}/events",
                         headers=bearer(book_client, "view"),
                         json={"event": "contact", "version": case.version, "channel": "call",
                               "result": "reached"})
    assert r.status_code == 403
    assert store_cases(book_client, case_id=case.case_id) == [case]


# --- working a case -------------------------------------------------------------------------

def test_a_case_worked_through_the_api(fresh_book: TestClient):
    case = queue(store_cases(fresh_book))[0]
    headers = bearer(fresh_book, "coll")
    url = f"/api/collections/{case.case_id}/events"

    def send(**body: Any) -> Any:
        return fresh_book.post(url, headers=headers, json=body)

    v, due = case.version, (TODAY + dt.timedelta(days=10)).isoformat()
    early = send(event="promise", version=v, amount="5000", due_on=due)
    assert early.status_code == 409 and "log a contact" in message_of(early)
    assert send(event="contact", version=v, channel="call").status_code == 422  # no result
    contact = send(event="contact", version=v, channel="call", result="reached",
                   note="客户称月底还款")
    assert contact.status_code == 200 and contact.json()["case"]["status"] == "in_progress"
    assert send(event="contact", version=v, channel="sms", result="no_answer").status_code == 409
    assert send(event="promise", version=v + 1, amount="0", due_on=due).status_code == 422
    far = (TODAY + dt.timedelta(days=31)).isoformat()
    assert send(event="promise", version=v + 1, amount="5000", due_on=far).status_code == 422
    promised = send(event="promise", version=v + 1, amount="5000.00", due_on=due).json()["case"]
    assert promised["status"] == "promised"
    assert [(p["amount"], p["due_on"], p["status"]) for p in promised["promises"]] == [
        ("5000.00", due, "pending")]
    assert send(event="close", version=v + 2, outcome="settled", comment="").status_code == 422
    assert send(event="close", version=v + 2, comment="已结清").status_code == 422  # no outcome
    closed = send(event="close", version=v + 2, outcome="restructured", comment="已签重组协议")
    assert closed.json()["case"]["status"] == "closed"
    assert closed.json()["case"]["outcome"] == "restructured"
    assert send(event="contact", version=v + 3, channel="call", result="reached"
                ).status_code == 409
    reopened = send(event="reopen", version=v + 3, comment="重组未生效").json()["case"]
    assert (reopened["status"], reopened["reopen_reason"]) == ("promised", "重组未生效")
    response = fresh_book.get(f"/api/collections/{case.case_id}", headers=headers)
    conforms(fresh_book, "/api/collections/{case_id}", "GET", response)
    conforms(fresh_book, "/api/collections/{case_id}/events", "POST", closed)
    detail = response.json()
    assert [r["action"] for r in detail["trail"]][-4:] == [
        "log_contact", "promise_to_pay", "close", "reopen"]
    assert api(fresh_book, "/api/collections/figures", headers)["promises_made"] == (
        recovery_figures(store_cases(fresh_book)).promises_made) == 1


def test_a_case_worked_through_the_console(fresh_book: TestClient):
    case = queue(store_cases(fresh_book))[0]
    token = log_in(fresh_book, "coll")
    url = f"/collections/{case.case_id}/events"
    r = fresh_book.post(url, data={"csrf_token": token, "event": "contact",
                                   "version": case.version, "channel": "visit",
                                   "result": "promised", "note": "上门面谈"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=contact")
    page = fresh_book.get(r.headers["location"]).text
    assert "上门面谈" in page and 'name="amount"' in page  # a promise may follow now
    bad = fresh_book.post(url, data={"csrf_token": token, "event": "promise",
                                     "version": case.version + 1, "amount": "abc",
                                     "due_on": (TODAY + dt.timedelta(days=5)).isoformat()})
    assert bad.status_code == 422
    ok = fresh_book.post(url, data={"csrf_token": token, "event": "promise",
                                    "version": case.version + 1, "amount": "1,200.50",
                                    "due_on": (TODAY + dt.timedelta(days=5)).isoformat()})
    assert ok.status_code == 303
    (after,) = store_cases(fresh_book, case_id=case.case_id)
    assert [p.amount for p in after.promises] == [Decimal("1200.50")]
    assert fresh_book.post(url, data={"event": "contact", "version": after.version,
                                      "channel": "call", "result": "paid"}).status_code == 403


def test_the_openapi_schema_names_the_case_models(book_client: TestClient):
    spec = book_client.get("/api/openapi.json").json()
    event = spec["components"]["schemas"]["CaseEvent"]["properties"]
    assert event["event"]["enum"] == ["contact", "promise", "close", "reopen", "assign"]
    assert spec["paths"]["/api/collections"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"].endswith("/CasePage")
