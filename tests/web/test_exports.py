"""Excel exports of the console's lists (导出 Excel): every row the filtered list holds, in the
caller's slice, with bold frozen headers, yuan as numbers formatted '#,##0.00' and dates as
dates; each list page links its export with its filters."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
from fastapi.testclient import TestClient

from tests.web.conftest import BOOK_DAYS, bearer, log_in


def sheet(r):
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert r.headers["content-disposition"].startswith('attachment; filename="loanwatch-')
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert ws.freeze_panes == "A2" and all(c.font.b for c in ws[1])
    return ws


def column(ws, title: str) -> list:
    head = [c.value for c in ws[1]]
    return [row[head.index(title)] for row in ws.iter_rows(min_row=2)]


def test_the_alerts_export_holds_every_alert_of_the_filter(book_client: TestClient):
    risk = bearer(book_client, "risk")
    total = book_client.get("/api/alerts", headers=risk,
                            params={"severity": "high", "status": "all"}).json()["total"]
    ws = sheet(book_client.get("/api/exports/alerts", headers=risk,
                               params={"severity": "high", "status": "all", "signal": ""}))
    assert ws.max_row - 1 == total > 0
    assert {c.value for c in column(ws, "严重程度")} == {"高"}
    everything = book_client.get("/api/alerts", headers=risk, params={"status": "all"})
    whole = sheet(book_client.get("/api/exports/alerts", headers=risk, params={"status": "all"}))
    assert whole.max_row - 1 == everything.json()["total"] > 50  # more than one page
    opened = column(ws, "首次触发")
    assert all(isinstance(c.value, dt.datetime) and c.number_format == "yyyy-mm-dd"
               for c in opened)


def test_the_tasks_export_is_the_managers_own_tasks(book_client: TestClient):
    mgr = bearer(book_client, "mgr")
    total = book_client.get("/api/tasks", headers=mgr, params={"tab": "mine"}).json()["total"]
    ws = sheet(book_client.get("/api/exports/tasks", headers=mgr,
                               params={"kind": "", "overdue": ""}))
    assert ws.max_row - 1 == total > 0
    assert all(isinstance(c.value, dt.datetime) for c in column(ws, "截止日期"))


def test_the_loans_export_has_the_money_of_the_list(book_client: TestClient):
    risk = bearer(book_client, "risk")
    params = {"as_of": BOOK_DAYS[-1], "min_dpd": "1"}
    listed = book_client.get("/api/loans", headers=risk, params={**params, "size": 500}).json()
    ws = sheet(book_client.get("/api/exports/loans", headers=risk,
                               params={**params, "lang": "en"}))
    assert ws.max_row - 1 == listed["total"] > 0
    balances = column(ws, "Outstanding")
    assert all(c.number_format == "#,##0.00" for c in balances)
    assert sum(Decimal(str(c.value)) for c in balances) == \
        sum(Decimal(str(x["outstanding_principal"])) for x in listed["loans"])
    assert all(c.value >= 1 for c in column(ws, "DPD"))


def test_bad_filters_are_422_and_a_collector_has_no_tasks_export(book_client: TestClient):
    risk, coll = bearer(book_client, "risk"), bearer(book_client, "coll")
    r = book_client.get("/api/exports/alerts", headers=risk, params={"severity": "huge"})
    assert r.status_code == 422 and "severity" in r.text
    assert book_client.get("/api/exports/tasks", headers=risk,
                           params={"tab": "all"}).status_code == 422
    assert book_client.get("/api/exports/tasks", headers=coll).status_code == 403


def test_each_list_page_links_its_export_with_its_filters(book_client: TestClient):
    log_in(book_client, "risk")
    for page, export in (("/alerts?severity=high&status=all", "alerts"),
                         ("/tasks?tab=team&overdue=yes", "tasks"),
                         (f"/loans?as_of={BOOK_DAYS[-1]}&min_dpd=1", "loans")):
        html = book_client.get(page).text
        query = page.split("?", 1)[1].replace("&", "&amp;")
        assert f'href="/api/exports/{export}?{query}"' in html, page
        assert "导出 Excel" in html
