"""The alerts queue and the alert page (预警处置): what the console and the API list matches
the store, each person sees only their slice (and 404 outside it), and a person's event on
an alert at a stale version, in the wrong state or without its comment is refused with
409/409/422 while nothing changes."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
import schemathesis
from fastapi.testclient import TestClient

from loanwatch.services.queues import flow_path
from loanwatch.services.scope import rows
from loanwatch.web.console.alerts import flow_chart
from loanwatch.workflow.alerts import LIVE, Alert
from loanwatch.workflow.sla import sla_breached
from loanwatch.workspace import Workspace
from tests.web.conftest import NOW, bearer, log_in, message_of

MISSING = "NOPE:L0:2024-10-31"


# --- what the store and the marts hold, read independently of the service ------------------

def store_alerts(client: TestClient, **where: Any) -> list[Alert]:
    with client.app.state.lw.store.session() as s:
        return s.alerts.list(limit=None, **where)


def live(client: TestClient) -> list[Alert]:
    return store_alerts(client, status=tuple(LIVE))


def query(root: Path, sql: str, params: list[Any] | tuple = ()) -> list[dict]:
    with Workspace(root).connect(read_only=True) as con:
        return rows(con, sql, params)


def managed_customers(root: Path, column: str, value: str) -> set[str]:
    """Customers whose current row, or one of whose loans, has ``column`` = ``value``."""
    found = query(root, f"""SELECT customer_id FROM customers WHERE _valid_to IS NULL AND {column} = ?
                            UNION SELECT customer_id FROM loans WHERE _valid_to IS NULL
                            AND {column} = ?""", [value, value])
    return {r["customer_id"] for r in found}


def mgr_code(root: Path) -> str:
    return query(root, "SELECT manager_id FROM loans WHERE manager_id IS NOT NULL GROUP BY 1 "
                       "ORDER BY count(*) DESC, 1 LIMIT 1")[0]["manager_id"]


def mgr_branch(client: TestClient) -> str:
    with client.app.state.lw.store.session() as s:
        return s.users.get("mgr").branch_id


def mine_for_mgr(client: TestClient, root: Path) -> list[Alert]:
    code = mgr_code(root)
    customers = managed_customers(root, "manager_id", code)
    return [a for a in live(client) if a.owner in ("mgr", code) or a.customer_id in customers]


def owned_by_mgr(client: TestClient, root: Path) -> Alert:
    code = mgr_code(root)
    return next(a for a in mine_for_mgr(client, root) if a.owner == code)


def not_for_mgr(client: TestClient, root: Path) -> Alert:
    mine = {a.alert_id for a in mine_for_mgr(client, root)}
    return next(a for a in live(client) if a.alert_id not in mine
                and a.branch_id != mgr_branch(client))


def api_all(client: TestClient, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get("/api/alerts", headers=headers, params={"limit": 500, **params})
    assert r.status_code == 200, r.text
    return r.json()


def path_of(alert_id: str) -> str:
    return f"/alerts/{alert_id}"


def conforms(client: TestClient, path: str, method: str, response: Any) -> None:
    """The response matches what the published OpenAPI schema declares for it."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    schema[path][method].validate_response(response)


# --- the queue ------------------------------------------------------------------------------

def test_the_api_lists_the_live_alerts_most_urgent_first(book_client: TestClient):
    page = api_all(book_client, bearer(book_client, "risk"))
    stored = live(book_client)
    assert page["total"] == len(stored) == len(page["items"]) > 0
    assert {a["alert_id"] for a in page["items"]} == {a.alert_id for a in stored}
    assert page["by_severity"] == dict(Counter(a.severity.value for a in stored))
    dues = [a["sla_due"] for a in page["items"]]
    assert dues == sorted(dues)  # the earliest due time first: critical before low
    assert page["items"][0]["severity"] == "critical"


@pytest.mark.parametrize("param, column, value", [
    ("severity", "severity", "high"), ("signal", "signal_id", "REPAY-REPEAT"),
    ("branch", "branch_id", "B003"), ("owner", "owner", "M00051"),
])
def test_each_filter_keeps_what_the_store_counts(book_client: TestClient, param: str,
                                                 column: str, value: str):
    headers = bearer(book_client, "risk")
    page = api_all(book_client, headers, **{param: value})
    with book_client.app.state.lw.store.session() as s:
        expected = s.alerts.count(status=tuple(LIVE), **{column: value})
    assert page["total"] == expected > 0
    assert {a[column] for a in page["items"]} == {value}


def test_the_status_filter_and_paging(book_client: TestClient):
    headers = bearer(book_client, "risk")
    everything = api_all(book_client, headers, status="all")
    assert everything["total"] == len(store_alerts(book_client))
    assert api_all(book_client, headers, status="open")["total"] == len(
        store_alerts(book_client, status="open"))
    first = api_all(book_client, headers, limit=10)
    second = api_all(book_client, headers, limit=10, offset=10)
    whole = [a["alert_id"] for a in api_all(book_client, headers)["items"]]
    assert [a["alert_id"] for a in first["items"] + second["items"]] == whole[:20]
    assert (first["limit"], second["offset"], first["total"]) == (10, 10, len(whole))
    assert book_client.get("/api/alerts?limit=0", headers=headers).status_code == 422


def test_the_sla_breach_follows_the_policy_and_the_clock(book_client: TestClient, clock):
    headers = bearer(book_client, "risk")
    assert api_all(book_client, headers)["breached"] == 0  # all synced at NOW
    clock.now = NOW + dt.timedelta(hours=25)  # past the 24 hours of a critical alert
    headers = bearer(book_client, "risk")  # a session lasts 8 hours
    page = api_all(book_client, headers, breached="true")
    expected = [a for a in live(book_client) if sla_breached(
        a, clock.now, book_client.app.state.lw.policy.workflow.sla_hours)]
    assert page["total"] == len(expected) == api_all(book_client, headers)["breached"] > 0
    assert {a["severity"] for a in page["items"]} == {"critical"}
    assert all(a["sla_breached"] for a in page["items"])
    within = api_all(book_client, headers, breached="false")
    assert within["total"] + page["total"] == len(live(book_client))


def test_the_console_queue_has_badges_filters_and_bulk_assign(book_client: TestClient):
    log_in(book_client, "risk")
    r = book_client.get("/alerts?severity=critical")
    assert r.status_code == 200
    assert 'class="badge critical"' in r.text and "预警处置" in r.text
    assert re.search(r'data-testid="alert-total">(\d+)<', r.text).group(1) == str(
        len([a for a in live(book_client) if a.severity == "critical"]))
    assert 'name="ids"' in r.text and 'action="/alerts/assign"' in r.text
    book_client.get("/lang/en?back=/alerts")
    english = book_client.get("/alerts?limit=5")
    assert "Severity" in english.text and 'data-testid="pager"' in english.text
    assert "offset=5" in english.text  # the next page keeps the filters
    assert book_client.get("/alerts?severity=bogus").status_code == 422


def test_roles_without_assign_rights_see_no_bulk_form(book_client: TestClient):
    log_in(book_client, "view")
    page = book_client.get("/alerts")
    assert page.status_code == 200 and 'name="ids"' not in page.text


# --- the slice ------------------------------------------------------------------------------

def test_a_customer_manager_sees_only_their_own_alerts(book_client: TestClient, book_ws: Path):
    page = api_all(book_client, bearer(book_client, "mgr"))
    expected = mine_for_mgr(book_client, book_ws)
    assert {a["alert_id"] for a in page["items"]} == {a.alert_id for a in expected}
    assert page["total"] == len(expected) > 0
    assert api_all(book_client, bearer(book_client, "other"))["total"] == 0


def test_a_branch_head_sees_their_branch(book_client: TestClient, book_ws: Path):
    branch = mgr_branch(book_client)
    page = api_all(book_client, bearer(book_client, "head"))
    customers = managed_customers(book_ws, "branch_id", branch)
    expected = {a.alert_id for a in live(book_client)
                if a.branch_id == branch or a.customer_id in customers}
    assert {a["alert_id"] for a in page["items"]} == expected
    assert {a.alert_id for a in live(book_client) if a.branch_id == branch} <= expected


def test_outside_the_slice_an_alert_does_not_exist(book_client: TestClient, book_ws: Path):
    theirs = not_for_mgr(book_client, book_ws)
    mine = mine_for_mgr(book_client, book_ws)[0]
    headers = bearer(book_client, "mgr")
    assert book_client.get(f"/api{path_of(mine.alert_id)}", headers=headers).status_code == 200
    hidden = book_client.get(f"/api{path_of(theirs.alert_id)}", headers=headers)
    unknown = book_client.get(f"/api{path_of(MISSING)}", headers=headers)
    assert (hidden.status_code, unknown.status_code) == (404, 404)
    assert message_of(hidden) == f"there is no alert {theirs.alert_id}"
    act = book_client.post(f"/api{path_of(theirs.alert_id)}/events", headers=headers,
                           json={"event": "acknowledge", "version": theirs.version})
    assert act.status_code == 404
    other = bearer(book_client, "other")
    assert book_client.get(f"/api{path_of(mine.alert_id)}", headers=other).status_code == 404
    log_in(book_client, "mgr")
    assert book_client.get(path_of(theirs.alert_id)).status_code == 404


def test_read_only_roles_cannot_act(book_client: TestClient, book_ws: Path):
    alert = live(book_client)[0]
    headers = bearer(book_client, "view")
    assert book_client.get(f"/api{path_of(alert.alert_id)}", headers=headers).status_code == 200
    for url, body in ((f"/api{path_of(alert.alert_id)}/events",
                       {"event": "acknowledge", "version": alert.version}),
                      ("/api/alerts/assign", {"ids": [alert.alert_id], "to": "view"}),
                      (f"/api{path_of(alert.alert_id)}/actions",
                       {"kind": "reminder", "reason": "call"})):
        assert book_client.post(url, headers=headers, json=body).status_code == 403
    token = log_in(book_client, "view")
    r = book_client.post(f"{path_of(alert.alert_id)}/events",
                         data={"csrf_token": token, "event": "acknowledge",
                               "version": alert.version})
    assert r.status_code == 403
    assert store_alerts(book_client, alert_id=alert.alert_id)[0] == alert


# --- the alert page -------------------------------------------------------------------------

def test_the_alert_page_shows_the_alert_and_its_forms(book_client: TestClient, book_ws: Path):
    alert = owned_by_mgr(book_client, book_ws)
    log_in(book_client, "mgr")
    page = book_client.get(path_of(alert.alert_id))
    assert page.status_code == 200
    assert f'href="/borrowers/{alert.customer_id}"' in page.text
    assert alert.evidence.split(" ")[0] in page.text
    assert f'name="version" value="{alert.version}"' in page.text
    assert 'value="acknowledge"' in page.text and 'data-testid="audit-trail"' in page.text
    api = book_client.get(f"/api{path_of(alert.alert_id)}", headers=bearer(book_client, "mgr"))
    body = api.json()
    assert body["alert"]["evidence"] == alert.evidence
    assert [r["action"] for r in body["trail"]][0] == "open"  # the owner reads the trail


def test_the_audit_trail_is_for_auditors_and_the_owner(book_client: TestClient, book_ws: Path):
    alert = not_for_mgr(book_client, book_ws)
    url = f"/api{path_of(alert.alert_id)}"
    assert book_client.get(url, headers=bearer(book_client, "audit")).json()["trail"]
    assert book_client.get(url, headers=bearer(book_client, "risk")).json()["trail"] is None
    log_in(book_client, "risk")
    assert 'data-testid="audit-trail"' not in book_client.get(path_of(alert.alert_id)).text


def test_a_flow_alert_draws_the_path_of_the_proceeds(book_client: TestClient):
    flows = [a for a in store_alerts(book_client) if a.signal_id.startswith("FLOW-") and a.loan_id]
    if not flows:
        pytest.skip("the book has no FLOW-* alert; the graph builder is tested on its own")
    alert = flows[0]
    response = book_client.get(f"/api{path_of(alert.alert_id)}",
                               headers=bearer(book_client, "risk"))
    conforms(book_client, "/api/alerts/{alert_id}", "GET", response)
    detail = response.json()
    flow = detail["flow"]
    assert detail["flow_problem"] is None and flow["loan_id"] == alert.loan_id
    assert flow["as_of"] == alert.last_seen_on.isoformat()
    borrower = [n for n in flow["nodes"] if n["kind"] == "borrower"]
    assert borrower and all(n["customer_id"] == alert.customer_id for n in borrower)
    ids = {n["node_id"] for n in flow["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in flow["edges"])
    if alert.signal_id == "FLOW-BACKFLOW":
        assert any("backflow" in e["categories"] for e in flow["edges"])
    log_in(book_client, "risk")
    page = book_client.get(path_of(alert.alert_id)).text
    spec = json.loads(re.search(r'data-testid="flow-chart"><script type="application/json">'
                                r'(.*?)</script>', page, re.S).group(1))
    assert spec["series"][0]["type"] == "graph"
    assert {n["name"] for n in spec["series"][0]["data"]} == ids
    assert len(spec["series"][0]["links"]) == len(flow["edges"])


def test_other_alerts_have_no_flow_and_say_nothing_about_it(book_client: TestClient):
    alert = next(a for a in live(book_client) if not a.signal_id.startswith("FLOW-"))
    detail = book_client.get(f"/api{path_of(alert.alert_id)}",
                             headers=bearer(book_client, "risk")).json()
    assert (detail["flow"], detail["flow_problem"]) == (None, None)


def _move(hop: int, txn: str, src: str, dst: str | None, amount: str, **kw: Any) -> dict:
    return {"hop": hop, "txn_id": txn, "src": src, "dst": dst, "move_amount": Decimal(amount),
            "at": dt.datetime(2024, 3, hop), "dst_customer": kw.get("customer"),
            "dst_type": kw.get("type", "enterprise"), "dst_name": kw.get("name"),
            "channel": kw.get("channel", "transfer"), "category": kw.get("category", "use")}


def test_the_graph_of_a_hand_made_trace():
    trace = pa.Table.from_pylist([
        _move(1, "T1", "A0", "A1", "100.00", name="甲公司"),
        _move(1, "T2", "A0", "A2", "50.00", name="乙公司"),
        _move(2, "T3", "A1", "A0", "80.00", name="张三丰", type="individual", customer="C1",
              category="backflow"),
        _move(3, "T2", "A0", "A2", "50.00", name="乙公司"),  # T2 again, on another route
        _move(2, "T4", "A2", None, "20.00", type="unknown", channel="cash",
              category="cash_out"),
    ])
    path = flow_path(trace, "L1", dt.date(2024, 3, 31), "C1")
    nodes = {n.node_id: n for n in path.nodes}
    assert set(nodes) == {"A0", "A1", "A2", "(cash)"}
    assert (nodes["A0"].kind, nodes["A0"].column, nodes["A0"].name) == ("borrower", 0, "张**")
    assert (nodes["A2"].column, nodes["(cash)"].kind) == (1, "unknown")
    edges = {(e.source, e.target): e for e in path.edges}
    assert edges[("A0", "A2")].amount == Decimal("50.00")  # one transaction counted once
    assert edges[("A0", "A2")].moves == 1
    assert edges[("A1", "A0")].categories == ("backflow",)
    chart = flow_chart(path, "en")
    series = chart["series"][0]
    assert len(series["data"]) == 4 and len(series["links"]) == 4
    assert chart["lwLinks"] == {"A0": "/borrowers/C1"}
    backflow = next(x for x in series["links"] if x["source"] == "A1")
    assert backflow["lineStyle"]["color"] == "#c53030"
    assert backflow["label"]["formatter"] == "80.00"


# --- acting on an alert ---------------------------------------------------------------------

def test_an_alert_worked_through_the_api(fresh_book: TestClient):
    alert = live(fresh_book)[0]
    url = f"/api{path_of(alert.alert_id)}/events"
    headers = bearer(fresh_book, "risk")

    def send(**body: Any) -> Any:
        return fresh_book.post(url, headers=headers, json=body)

    v = alert.version
    r = send(event="acknowledge", version=v)
    assert r.status_code == 200 and r.json()["alert"]["status"] == "acknowledged"
    assert r.json()["alert"]["version"] == v + 1
    stale = send(event="start", version=v)
    assert stale.status_code == 409
    assert message_of(stale) == (
        f"alert {alert.alert_id} has changed since you loaded it: you acted on version {v}, "
        f"it is at version {v + 1} now; reload it and try again")
    assert send(event="acknowledge", version=v + 1).status_code == 409  # acknowledged already
    assert send(event="start", version=v + 1).status_code == 200
    blank = send(event="close", version=v + 2, disposition="resolved", comment="  ")
    assert blank.status_code == 422 and "cannot be blank" in message_of(blank)
    assert send(event="close", version=v + 2, comment="why").status_code == 422  # no disposition
    assert send(event="close", version=v + 2, disposition="maybe", comment="x").status_code == 422
    done = send(event="close", version=v + 2, disposition="false_positive", comment="核实无误")
    assert done.status_code == 200
    closed = done.json()["alert"]
    assert (closed["status"], closed["disposition"], closed["closed_by"]) == (
        "closed", "false_positive", "risk")
    illegal = send(event="acknowledge", version=v + 3)
    assert illegal.status_code == 409 and "cannot be acknowledged" in message_of(illegal)
    assert send(event="reopen", version=v + 3, comment="").status_code == 422
    response = send(event="reopen", version=v + 3, comment="客户再次逾期")
    conforms(fresh_book, "/api/alerts/{alert_id}/events", "POST", response)
    reopened = response.json()["alert"]
    assert (reopened["status"], reopened["reopened_count"]) == ("open", alert.reopened_count + 1)
    trail = fresh_book.get(f"/api{path_of(alert.alert_id)}",
                           headers=bearer(fresh_book, "audit")).json()["trail"]
    assert [r["action"] for r in trail][-4:] == ["acknowledge", "start_work", "close", "reopen"]


def test_escalating_closes_the_alert_and_asks_for_a_review(fresh_book: TestClient):
    alert = live(fresh_book)[-1]
    url = f"/api{path_of(alert.alert_id)}/events"
    headers = bearer(fresh_book, "head" if alert.branch_id == mgr_branch(fresh_book) else "risk")
    assert fresh_book.post(url, headers=headers, json={"event": "escalate",
                                                       "version": alert.version}).status_code == 422
    r = fresh_book.post(url, headers=headers, json={"event": "escalate", "version": alert.version,
                                                    "comment": "涉嫌挪用，提交风险部"})
    assert r.status_code == 200
    body = r.json()
    assert (body["alert"]["status"], body["alert"]["disposition"]) == ("closed", "escalated")
    review = [e for e in body["effects"] if e["kind"] == "RequestReview"]
    assert review and review[0]["detail"]["comment"] == "涉嫌挪用，提交风险部"


def test_an_alert_worked_through_the_console(fresh_book: TestClient, book_ws: Path):
    alert = mine_for_mgr(fresh_book, book_ws)[0]
    token = log_in(fresh_book, "mgr")
    url = f"{path_of(alert.alert_id)}/events"
    form = {"csrf_token": token, "version": alert.version}
    assert fresh_book.post(url, data={"event": "acknowledge",
                                      "version": alert.version}).status_code == 403  # no CSRF
    r = fresh_book.post(url, data={**form, "event": "comment", "comment": "已电话联系客户"})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=comment")
    page = fresh_book.get(r.headers["location"]).text
    assert "已电话联系客户" in page and f'name="version" value="{alert.version + 1}"' in page
    stale = fresh_book.post(url, data={**form, "event": "acknowledge"})
    assert stale.status_code == 409 and "has changed since you loaded it" in stale.text
    missing = fresh_book.post(url, data={**form, "version": alert.version + 1, "event": "close",
                                         "disposition": "resolved", "comment": ""})
    assert missing.status_code == 422
    closed = fresh_book.post(url, data={**form, "version": alert.version + 1, "event": "close",
                                        "disposition": "resolved", "comment": "已还款"})
    assert closed.status_code == 303
    (after,) = store_alerts(fresh_book, alert_id=alert.alert_id)
    assert (after.status, after.disposition, after.close_comment) == ("closed", "resolved", "已还款")


def test_bulk_assignment_reports_each_failure(fresh_book: TestClient, book_ws: Path):
    theirs = not_for_mgr(fresh_book, book_ws)
    ours = [a for a in live(fresh_book) if a.alert_id != theirs.alert_id][:2]
    r = fresh_book.post("/api/alerts/assign", headers=bearer(fresh_book, "risk"),
                        json={"ids": [a.alert_id for a in ours] + [MISSING], "to": "mgr"})
    assert r.status_code == 200
    body = r.json()
    assert (body["assigned"], body["failed"]) == (2, 1)
    assert body["results"][-1] == {"alert_id": MISSING, "ok": False, "owner": None,
                                   "version": None, "error": f"there is no alert {MISSING}"}
    assert {a.owner for a in store_alerts(fresh_book, alert_id=tuple(a.alert_id for a in ours))
            } == {"mgr"}
    # assigned to mgr, they are mgr's now, whoever the borrower's manager is
    mine = {a["alert_id"] for a in api_all(fresh_book, bearer(fresh_book, "mgr"))["items"]}
    assert {a.alert_id for a in ours} <= mine
    assert fresh_book.post("/api/alerts/assign", headers=bearer(fresh_book, "risk"),
                           json={"ids": [], "to": "mgr"}).status_code == 422
    blank = fresh_book.post("/api/alerts/assign", headers=bearer(fresh_book, "risk"),
                            json={"ids": [theirs.alert_id], "to": " "})
    assert blank.status_code == 422


def test_the_schema_refuses_every_owner_the_server_would_find_blank(fresh_book: TestClient):
    """What the OpenAPI pattern lets through, the service must accept: Python strips a few
    characters ECMAScript's \\s does not know (a fuzzer found \\x1c)."""
    spec = fresh_book.get("/api/openapi.json").json()
    pattern = spec["components"]["schemas"]["AssignRequest"]["properties"]["to"]["pattern"]
    for blank in (" ", "\t", "\x1c", "\x1f", "\x85", "\xa0", "\u2003", "\u3000", " \x1c\u3000 "):
        assert not blank.strip()
        assert re.search(pattern, blank) is None, repr(blank)
        r = fresh_book.post("/api/alerts/assign", headers=bearer(fresh_book, "risk"),
                            json={"ids": [MISSING], "to": blank})
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "to"], repr(blank)
    for kept in ("mgr", " mgr ", "\x1cmgr", "张三"):
        assert re.search(pattern, kept)


def test_a_branch_head_assigns_in_bulk_from_the_console(fresh_book: TestClient, book_ws: Path):
    branch = mgr_branch(fresh_book)
    inside = next(a for a in live(fresh_book) if a.branch_id == branch)
    outside = next(a for a in live(fresh_book) if a.branch_id != branch
                   and a.customer_id not in managed_customers(book_ws, "branch_id", branch))
    token = log_in(fresh_book, "head")
    r = fresh_book.post("/alerts/assign", data={"csrf_token": token, "to": "other",
                                                "ids": [inside.alert_id, outside.alert_id]})
    assert r.status_code == 200
    assert re.search(r'data-testid="assign-summary">\s*已分派 1 / 2', r.text)
    assert f"there is no alert {outside.alert_id}" in r.text
    assert store_alerts(fresh_book, alert_id=inside.alert_id)[0].owner == "other"
    assert store_alerts(fresh_book, alert_id=outside.alert_id)[0].owner == outside.owner


def test_launching_an_action_from_an_alert(fresh_book: TestClient, book_ws: Path):
    alert = mine_for_mgr(fresh_book, book_ws)[0]
    headers = bearer(fresh_book, "mgr")
    url = f"/api{path_of(alert.alert_id)}/actions"
    r = fresh_book.post(url, headers=headers, json={"kind": "freeze_line", "reason": "资金回流"})
    assert r.status_code == 201
    action = r.json()["action"]
    assert (action["status"], action["needs_approval"], action["alert_id"]) == (
        "proposed", True, alert.alert_id)
    assert [e["kind"] for e in r.json()["effects"]] == ["NotifyChecker"]
    assert fresh_book.post(url, headers=headers, json={"kind": "reminder", "reason": " "}
                           ).status_code == 422
    assert fresh_book.post(url, headers=headers, json={"kind": "nope", "reason": "x"}
                           ).status_code == 422
    token = log_in(fresh_book, "mgr")
    form = fresh_book.post(path_of(alert.alert_id) + "/actions",
                           data={"csrf_token": token, "kind": "reminder", "reason": "提醒还款"})
    assert form.status_code == 303
    response = fresh_book.get(f"/api{path_of(alert.alert_id)}", headers=headers)
    conforms(fresh_book, "/api/alerts/{alert_id}", "GET", response)
    conforms(fresh_book, "/api/alerts/{alert_id}/actions", "POST", r)
    detail = response.json()
    assert sorted((a["kind"], a["status"]) for a in detail["actions"]) == [
        ("freeze_line", "proposed"), ("reminder", "approved")]
    assert "提醒还款" in fresh_book.get(path_of(alert.alert_id)).text


def test_the_openapi_schema_names_the_alert_models(book_client: TestClient):
    spec = book_client.get("/api/openapi.json").json()
    listed = spec["paths"]["/api/alerts"]["get"]["responses"]["200"]["content"]
    assert listed["application/json"]["schema"]["$ref"].endswith("/AlertPage")
    event = spec["paths"]["/api/alerts/{alert_id}/events"]["post"]
    assert event["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/AlertEvent")
    assert {"404", "409", "422"} <= set(event["responses"])
    assert spec["components"]["schemas"]["AlertEvent"]["properties"]["event"]["enum"] == [
        "acknowledge", "start", "comment", "close", "escalate", "reopen", "assign"]


# --- signals by their titles ----------------------------------------------------------------

def catalogue_titles(client: TestClient) -> dict[str, tuple[str, str]]:
    from loanwatch.rules.catalogue import signal_titles
    return signal_titles(client.app.state.lw.policy)


def test_the_api_gives_each_alert_its_signal_titles(book_client: TestClient):
    titles = catalogue_titles(book_client)
    headers = bearer(book_client, "risk")
    response = book_client.get("/api/alerts", headers=headers, params={"limit": 500})
    conforms(book_client, "/api/alerts", "GET", response)
    items = response.json()["items"]
    assert {a["signal_id"] for a in items} <= set(titles) and len({a["signal_id"] for a in items}) > 1
    assert all((a["title_zh"], a["title_en"]) == titles[a["signal_id"]] for a in items)
    detail = book_client.get(f"/api{path_of(items[0]['alert_id'])}", headers=headers)
    conforms(book_client, "/api/alerts/{alert_id}", "GET", detail)
    alert = detail.json()["alert"]
    assert (alert["title_zh"], alert["title_en"]) == titles[alert["signal_id"]]


def test_the_console_shows_signal_titles_in_the_chosen_language(book_client: TestClient):
    titles = catalogue_titles(book_client)
    stored = live(book_client)
    signals = sorted({a.signal_id for a in stored})
    log_in(book_client, "risk")
    queue = book_client.get("/alerts", params={"limit": 500}).text
    english = book_client.get("/alerts", params={"limit": 500, "lang": "en"}).text
    for s in signals:
        zh, en = titles[s]
        assert f'<option value="{s}" >{zh} ({s})</option>' in queue
        assert f'<option value="{s}" >{en} ({s})</option>' in english
        assert f'data-signal="{s}">{zh} ({s})</a>' in queue
    alert = stored[0]
    zh, en = titles[alert.signal_id]
    page = book_client.get(path_of(alert.alert_id)).text
    assert f'data-testid="signal-title">{zh} ({alert.signal_id})<' in page
    assert f'data-signal="{alert.signal_id}">{zh} ({alert.signal_id})<' in page
    assert f"<title>{zh} ({alert.signal_id})" in page
    book_client.get("/lang/en?back=/alerts")
    page = book_client.get(path_of(alert.alert_id)).text
    assert f'data-testid="signal-title">{en} ({alert.signal_id})<' in page


def test_an_alert_of_a_removed_signal_shows_its_id(book_client: TestClient):
    alert = live(book_client)[0]
    book_client.app.state.lw.signal_titles = {}  # the catalogue lost every signal
    got = book_client.get(f"/api{path_of(alert.alert_id)}", headers=bearer(book_client, "risk"))
    assert got.status_code == 200
    assert got.json()["alert"]["title_zh"] == got.json()["alert"]["title_en"] == alert.signal_id
    log_in(book_client, "risk")
    page = book_client.get(path_of(alert.alert_id)).text
    assert f'data-testid="signal-title">{alert.signal_id}<' in page
