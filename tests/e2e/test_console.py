"""The console in a real browser (Debian's Chromium via Playwright): log in, read the
dashboard, filter the alerts, close one with a disposition, open a borrower 360 and see the
network, switch the language. Each step leaves a screenshot in test-artifacts/screenshots."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import shot
from tests.web.conftest import PASSWORD


def log_in(page, user: str = "risk") -> None:
    page.goto("/login")
    shot(page, "01-login")
    page.fill("input[name=user]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/dashboard"))


@pytest.fixture(scope="module")
def networked(book_ws: Path) -> str:
    """A borrower with loans and related parties, for the network graph."""
    db = next(book_ws.glob("*.duckdb"))
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("""
            SELECT r.customer_id FROM relations r JOIN loans l USING (customer_id)
            GROUP BY 1 ORDER BY count(DISTINCT r.related_customer_id) DESC, 1 LIMIT 1""").fetchone()
    assert row, "the test book has no borrower with relations"
    return row[0]


def test_a_risk_officer_works_through_the_console(page, networked: str):
    log_in(page)
    expect(page.get_by_test_id("kpis")).to_be_visible()
    expect(page.locator("[data-testid=kpis] .value").first).not_to_have_text("—")
    page.wait_for_selector("[data-chart] svg")  # the charts are drawn (SVG), from local assets
    shot(page, "02-dashboard")

    page.click("header nav a[href='/alerts']")
    page.select_option("select[name=severity]", "high")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"severity=high"))
    rows = page.locator("[data-testid=alert-rows] tbody tr")
    expect(rows.first).to_be_visible()
    for badge in page.locator("[data-testid=alert-rows] tbody .badge.high").all()[:5]:
        expect(badge).to_be_visible()
    shot(page, "03-alerts-filtered")

    rows.first.locator("a[href^='/alerts/']").first.click()
    page.wait_for_selector("[data-testid=alert-facts]")
    shot(page, "04-alert")
    close = page.locator("form:has(input[name=event][value=close])")
    close.locator("select[name=disposition]").select_option("false_positive")
    close.locator("textarea[name=comment]").fill("已核实：供应商回款，非挪用")
    close.locator("button[type=submit]").click()
    expect(page.get_by_test_id("done")).to_be_visible()
    expect(page.get_by_test_id("alert-facts")).to_contain_text(re.compile("误报|false"))
    shot(page, "05-alert-closed")

    page.goto(f"/borrowers/{networked}")
    expect(page.get_by_test_id("profile")).to_be_visible()
    page.wait_for_selector("[data-testid=network-chart] svg")
    expect(page.get_by_test_id("network")).to_be_visible()
    shot(page, "06-borrower-360")

    page.click("[data-testid=lang-switch]")
    expect(page.locator("header nav")).to_contain_text("Dashboard")
    expect(page.get_by_test_id("profile")).to_be_visible()
    shot(page, "07-borrower-360-en")
    page.goto("/dashboard")
    expect(page.locator("h1")).to_contain_text("Dashboard")
    shot(page, "08-dashboard-en")


def test_a_customer_manager_cannot_open_anothers_borrower(page, networked: str, book_ws: Path):
    log_in(page, "other")
    response = page.goto(f"/borrowers/{networked}")
    assert response.status == 404
    shot(page, "09-not-yours")
