"""Reports in the console and the API (报告): the page lists the stored month-ends with
download links; the portfolio report comes as PDF, HTML or XLSX with its media type and
file name and the store's figures; a borrower's inspection report only for a borrower in
the caller's slice; bad parameters are 4xx with a message."""

from __future__ import annotations

import io

import openpyxl
import pytest
from fastapi.testclient import TestClient

from loanwatch.security.permissions import ROLE_PERMISSIONS, Permission, Role
from tests.web.conftest import BOOK_DAYS, bearer, log_in


@pytest.fixture
def risk(book_client: TestClient) -> dict[str, str]:
    return bearer(book_client, "risk")


def test_view_reports_is_given_to_the_roles_that_read_the_whole_book():
    have = {r for r in Role if Permission.VIEW_REPORTS in ROLE_PERMISSIONS[r]}
    assert have == {Role.ADMIN, Role.RISK_OFFICER, Role.BRANCH_HEAD, Role.AUDITOR,
                    Role.READ_ONLY}


def test_the_page_lists_the_month_ends_with_links_in_chinese_then_english(book_client):
    log_in(book_client, "view")
    page = book_client.get("/reports")
    assert page.status_code == 200
    assert '<a href="/reports" class="active">报告</a>' in page.text
    for day in BOOK_DAYS:
        assert f'data-as-of="{day}"' in page.text
        assert f"/api/reports/portfolio?as_of={day}&amp;period=month&amp;format=pdf&amp;lang=zh" \
            in page.text
    # 2024-12-31 ends a quarter, 2024-11-30 does not
    assert "as_of=2024-12-31&amp;period=quarter&amp;format=xlsx" in page.text
    assert "as_of=2024-11-30&amp;period=quarter" not in page.text
    english = book_client.get("/reports?lang=en")
    assert ">Reports</a>" in english.text and "lang=en" in english.text


def test_a_customer_manager_has_no_reports_page_nor_entry(book_client):
    log_in(book_client, "mgr")
    assert book_client.get("/reports").status_code == 403
    assert 'href="/reports"' not in book_client.get("/dashboard").text


def test_the_dates_endpoint(book_client, risk):
    found = book_client.get("/api/reports", headers=risk).json()["dates"]
    assert [d["as_of"] for d in found] == list(reversed(BOOK_DAYS))
    assert [d["quarter_end"] for d in found] == [True, False, False]


def test_the_portfolio_report_as_html_shows_the_stores_dispositions(book_client, risk):
    r = book_client.get("/api/reports/portfolio", headers=risk,
                        params={"as_of": BOOK_DAYS[-1], "format": "html", "lang": "en"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["content-disposition"] == \
        'attachment; filename="loanwatch-portfolio-month-2024-12-31.html"'
    assert 'id="dispositions"' in r.text and 'id="overdue-work"' in r.text
    assert "Collection results" in r.text and "No operational store" not in r.text


def test_the_portfolio_report_as_xlsx_and_pdf(book_client, risk):
    r = book_client.get("/api/reports/portfolio", headers=risk,
                        params={"as_of": BOOK_DAYS[-1], "format": "xlsx", "period": "quarter"})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "loanwatch-portfolio-quarter-2024-12-31.xlsx" in r.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert {"dispositions", "overdue-work", "sla", "collections"} <= set(book.sheetnames)
    assert book["目录"]["A1"].value == "贷后风险报告（季度）"
    pdf = book_client.get("/api/reports/portfolio", headers=risk,
                          params={"as_of": BOOK_DAYS[-1], "format": "pdf"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(("params", "status", "says"), [
    ({"format": "doc"}, 422, "format"),
    ({"period": "year"}, 422, "period"),
    ({"as_of": "2024-12-15"}, 404, "no report for 2024-12-15"),
    ({"as_of": "not-a-date"}, 422, "as_of"),
    ({"lang": "fr"}, 422, "lang"),
])
def test_bad_parameters_are_4xx_with_a_message(book_client, risk, params, status, says):
    r = book_client.get("/api/reports/portfolio", headers=risk, params=params)
    assert r.status_code == status
    assert says in r.text


def _mgr_borrower(client: TestClient, mgr: dict[str, str]) -> str:
    return client.get("/api/borrowers", headers=mgr).json()["results"][0]["customer_id"]


def test_a_customer_manager_gets_the_report_of_their_borrower_only(book_client):
    mgr, other = bearer(book_client, "mgr"), bearer(book_client, "other")
    cid = _mgr_borrower(book_client, mgr)
    assert book_client.get("/api/reports/portfolio", headers=mgr).status_code == 403
    r = book_client.get(f"/api/reports/borrower/{cid}", headers=mgr,
                        params={"as_of": BOOK_DAYS[-1], "format": "html"})
    assert r.status_code == 200, r.text
    assert f'filename="loanwatch-borrower-{cid}-2024-12-31.html"' in \
        r.headers["content-disposition"]
    assert "贷后检查报告" in r.text
    outside = book_client.get(f"/api/reports/borrower/{cid}", headers=other)
    assert outside.status_code == 404
    unknown = book_client.get("/api/reports/borrower/NOBODY", headers=mgr)
    assert unknown.status_code == 404 and "NOBODY" in unknown.text
    assert book_client.get(f"/api/reports/borrower/{cid}", headers=mgr,
                           params={"format": "xlsx"}).status_code == 422


def test_the_borrower_page_links_its_inspection_report(book_client):
    mgr = bearer(book_client, "mgr")
    cid = _mgr_borrower(book_client, mgr)
    log_in(book_client, "mgr")
    page = book_client.get(f"/borrowers/{cid}?as_of={BOOK_DAYS[-1]}")
    assert f"/api/reports/borrower/{cid}?as_of={BOOK_DAYS[-1]}&amp;format=pdf&amp;lang=zh" \
        in page.text
