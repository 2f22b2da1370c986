"""The dashboard (风险总览): the KPIs of each caller's slice are the portfolio-metrics mart's,
with the change since the stored date before; every figure and every bar lists exactly its
loans on ``/loans``, and no filter widens what a person may see."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from loanwatch.services.store import open_store
from loanwatch.workspace import Workspace
from tests.web.conftest import BOOK_DAYS, bearer, log_in, message_of

LAST, BEFORE = BOOK_DAYS[-1], BOOK_DAYS[-2]
NPL = "five_class=substandard&five_class=doubtful&five_class=loss"


def mart(ws: Path, dimension: str, segment: str, as_of: str) -> dict | None:
    with Workspace(ws).connect(read_only=True) as con:
        cur = con.execute("SELECT * FROM portfolio_metrics WHERE dimension = ? AND segment = ? "
                          "AND as_of = ?", [dimension, segment, as_of])
        names = [d[0] for d in cur.description]
        found = cur.fetchone()
    return dict(zip(names, found, strict=True)) if found else None


def query(ws: Path, sql: str, params: list | None = None) -> list[tuple]:
    with Workspace(ws).connect(read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def slice_of(client: TestClient, user: str) -> tuple[str, str]:
    me = client.get("/api/me", headers=bearer(client, user)).json()
    return {"all": ("all", "*"), "branch": ("branch_id", me["branch_id"]),
            "own": ("manager_id", me["manager_id"])}[me["scope"]]


def charts(page: str) -> dict[str, dict]:
    found = re.findall(r'data-testid="chart-(\w+)"><script type="application/json">(.*?)</script>',
                       page, flags=re.S)
    return {name: json.loads(text) for name, text in found}


def href(page: str, testid: str) -> str:
    found = re.search(rf'href="([^"]+)" data-testid="{testid}"', page)
    assert found, testid
    return html.unescape(found.group(1))


@pytest.mark.parametrize("user", ["risk", "head", "mgr"])
def test_the_kpis_are_the_mart_row_of_the_callers_slice(book_client: TestClient, book_ws: Path,
                                                        user: str):
    dimension, segment = slice_of(book_client, user)
    row = mart(book_ws, dimension, segment, LAST)
    assert row is not None and row["loans"] > 0
    board = book_client.get("/api/dashboard", headers=bearer(book_client, user)).json()
    assert (board["as_of"], board["dimension"], board["segment"]) == (LAST, dimension, segment)
    now = board["now"]
    for key in ("loans", "m1_loans", "m3_loans"):
        assert now[key] == row[key], key
    for key in ("outstanding", "m1_balance", "m3_balance", "npl_balance", "loss_allowance"):
        assert Decimal(now[key]) == row[key], key
    for key in ("m1_rate_balance", "m3_rate_balance", "npl_ratio", "provision_coverage"):
        assert now[key] == pytest.approx(row[key], nan_ok=True), key
    log_in(book_client, user)
    page = book_client.get("/dashboard").text
    card = page[page.index('data-testid="kpi-outstanding"'):][:300]
    assert f"{row['outstanding']:,.2f}" in card


def test_the_branch_and_manager_slices_are_smaller_than_the_book(book_client: TestClient):
    loans = {u: book_client.get("/api/dashboard", headers=bearer(book_client, u)).json()["now"]
             ["loans"] for u in ("risk", "head", "mgr")}
    assert loans["risk"] > loans["head"] >= loans["mgr"] > 0


def test_each_kpi_changes_against_the_stored_date_before(book_client: TestClient, book_ws: Path):
    board = book_client.get(f"/api/dashboard?as_of={LAST}", headers=bearer(book_client, "risk")
                            ).json()
    now, before = mart(book_ws, "all", "*", LAST), mart(book_ws, "all", "*", BEFORE)
    assert board["previous"] == BEFORE
    change = board["change"]
    assert Decimal(change["outstanding"]) == now["outstanding"] - before["outstanding"]
    assert Decimal(change["npl_balance"]) == now["npl_balance"] - before["npl_balance"]
    assert change["loans"] == now["loans"] - before["loans"]
    assert change["m1_rate_balance"] == pytest.approx(now["m1_rate_balance"]
                                                      - before["m1_rate_balance"])
    assert Decimal(board["before"]["outstanding"]) == before["outstanding"]


def test_the_first_stored_date_has_nothing_to_change_against(book_client: TestClient):
    first = BOOK_DAYS[0]
    board = book_client.get(f"/api/dashboard?as_of={first}", headers=bearer(book_client, "risk")
                            ).json()
    assert (board["as_of"], board["previous"], board["before"], board["change"]) == (
        first, None, None, None)
    log_in(book_client, "risk")
    page = book_client.get(f"/dashboard?as_of={first}").text
    assert "无上期" in page and f'<option value="{first}" selected>' in page


def test_a_date_never_computed_is_404_naming_the_stored_ones(book_client: TestClient):
    r = book_client.get("/api/dashboard?as_of=2024-12-30", headers=bearer(book_client, "risk"))
    assert r.status_code == 404 and BOOK_DAYS[0] in message_of(r)
    r = book_client.get("/api/loans?as_of=2024-12-30", headers=bearer(book_client, "risk"))
    assert r.status_code == 404


@pytest.mark.parametrize("user", ["risk", "head"])
def test_each_kpi_lists_exactly_its_loans(book_client: TestClient, user: str):
    board = book_client.get("/api/dashboard", headers=bearer(book_client, user)).json()["now"]
    log_in(book_client, user)
    page = book_client.get("/dashboard").text
    for testid, total in (("kpi-loans", board["loans"]), ("kpi-m1-loans", board["m1_loans"]),
                          ("kpi-m3", board["m3_loans"])):
        url = href(page, testid)
        listed = book_client.get(url)
        assert listed.status_code == 200
        shown = re.search(r'data-testid="loans-total">([\d,]+)<', listed.text).group(1)
        assert int(shown.replace(",", "")) == total, testid
        api = book_client.get("/api" + url + "&size=500").json()
        assert api["total"] == total == len(api["loans"])
    npl = book_client.get("/api" + href(page, "kpi-npl")).json()
    assert Decimal(npl["outstanding"]) == Decimal(board["npl_balance"])
    assert {r["five_class"] for r in npl["loans"]} <= {"substandard", "doubtful", "loss"}


def test_the_m1_list_holds_only_loans_one_day_past_due_or_more(book_client: TestClient):
    found = book_client.get(f"/api/loans?as_of={LAST}&min_dpd=1&size=500",
                            headers=bearer(book_client, "risk")).json()
    assert found["total"] > 0 and all(r["dpd"] >= 1 for r in found["loans"])
    assert [r["dpd"] for r in found["loans"]] == sorted((r["dpd"] for r in found["loans"]),
                                                        reverse=True)


def test_every_breakdown_bar_lists_its_loans(book_client: TestClient):
    headers = bearer(book_client, "risk")
    board = book_client.get("/api/dashboard", headers=headers).json()
    log_in(book_client, "risk")
    drawn = charts(book_client.get("/dashboard").text)
    for dimension, segments in board["breakdowns"].items():
        links = drawn[f"by_{dimension}"]["lwLinks"]
        assert len(links) == len(segments) > 0
        for s in segments:
            url = links[s["segment"] if s["segment"] is not None else "-"]
            assert url.startswith(f"/loans?as_of={LAST}&")
            assert book_client.get("/api" + url, headers=headers).json()["total"] == s["loans"], url
        assert sum(s["loans"] for s in segments) == board["now"]["loans"]


def test_a_branch_head_sees_breakdowns_of_their_branch_only(book_client: TestClient):
    board = book_client.get("/api/dashboard", headers=bearer(book_client, "head")).json()
    branches = [s["segment"] for s in board["breakdowns"]["branch_id"]]
    assert branches == [board["segment"]]
    assert sum(s["loans"] for s in board["breakdowns"]["product"]) == board["now"]["loans"]
    assert board["roll_rates"] == [] and board["vintage"] == [] and not board["whole_book"]


def test_a_manager_lists_only_their_loans_and_guessing_filters_does_not_widen_it(
        book_client: TestClient, book_ws: Path):
    headers = bearer(book_client, "mgr")
    _, manager = slice_of(book_client, "mgr")
    mine = book_client.get("/api/loans?size=500", headers=headers).json()
    expected = query(book_ws, "SELECT count(*) FROM loan_snapshot WHERE as_of = ? AND status = "
                     "'active' AND outstanding_principal > 0 AND manager_id = ?", [LAST, manager])
    assert mine["total"] == expected[0][0] > 0
    assert {r["manager_id"] for r in mine["loans"]} == {manager}
    other_manager, other_branch = query(
        book_ws, "SELECT manager_id, branch_id FROM loan_snapshot WHERE as_of = ? AND status = "
        "'active' AND manager_id <> ? AND branch_id <> ? LIMIT 1",
        [LAST, manager, mine["loans"][0]["branch_id"]])[0]
    for guess in (f"manager_id={other_manager}", f"branch_id={other_branch}",
                  f"manager_id={other_manager}&branch_id={other_branch}"):
        assert book_client.get(f"/api/loans?{guess}", headers=headers).json()["total"] == 0, guess
    risk = book_client.get(f"/api/loans?manager_id={other_manager}",
                           headers=bearer(book_client, "risk")).json()
    assert risk["total"] > 0  # the filter itself works: the scope is what stopped it


def test_a_manager_with_no_borrowers_sees_no_loans(book_client: TestClient):
    headers = bearer(book_client, "other")
    assert book_client.get("/api/loans", headers=headers).json()["total"] == 0
    board = book_client.get("/api/dashboard", headers=headers).json()
    assert board["now"] is None and board["as_of"] == LAST
    log_in(book_client, "other")
    page = book_client.get("/loans")
    assert page.status_code == 200 and "没有符合条件的借据" in page.text


def test_the_charts_are_embedded_as_parseable_echarts_options(book_client: TestClient):
    log_in(book_client, "risk")
    drawn = charts(book_client.get("/dashboard").text)
    assert {"trend", "roll", "vintage", "by_product", "by_branch_id", "by_industry"} <= set(drawn)
    trend = drawn["trend"]
    assert trend["xAxis"]["data"] == list(BOOK_DAYS)
    assert [s["name"] for s in trend["series"]] == ["M1+", "M3+", "不良率"]
    assert trend["lwLinks"][BOOK_DAYS[0]] == f"/dashboard?as_of={BOOK_DAYS[0]}"
    assert drawn["roll"]["series"][0]["name"] == "C→M1"
    assert all(len(p) == 2 for s in drawn["vintage"]["series"] for p in s["data"])


def test_roll_rates_and_vintages_are_the_whole_books_only(book_client: TestClient):
    log_in(book_client, "mgr")
    drawn = charts(book_client.get("/dashboard").text)
    assert "trend" in drawn and "roll" not in drawn and "vintage" not in drawn


def test_alerts_and_overdue_tasks_are_counted_in_the_callers_slice(book_client: TestClient,
                                                                   book_ws: Path):
    store = open_store(book_ws)
    try:
        with store.session() as s:
            alerts = s.alerts.index("severity", "opened_on", "owner", "status")
            tasks = s.tasks.index("due_on", "status", "owner")
    finally:
        store.close()
    day = dt.date.fromisoformat(LAST)
    risk = book_client.get("/api/dashboard", headers=bearer(book_client, "risk")).json()
    new = [a for a in alerts if a["opened_on"] == day]
    assert sum(risk["new_alerts"].values()) == len(new) > 0
    assert risk["new_alerts"]["medium"] == sum(a["severity"] == "medium" for a in new)
    assert sum(risk["open_alerts"].values()) == sum(a["status"] != "closed" for a in alerts)
    late = [t for t in tasks if t["status"] in ("planned", "in_progress") and t["due_on"] < day]
    assert risk["overdue_tasks"] == len(late) > 0
    _, manager = slice_of(book_client, "mgr")
    mgr = book_client.get("/api/dashboard", headers=bearer(book_client, "mgr")).json()
    assert mgr["overdue_tasks"] == sum(t["owner"] in ("mgr", manager) for t in late)
    assert sum(mgr["open_alerts"].values()) == sum(
        a["owner"] in ("mgr", manager) and a["status"] != "closed" for a in alerts)


def test_the_filter_form_as_a_browser_sends_it_lists_the_same_loans(book_client: TestClient):
    board = book_client.get("/api/dashboard", headers=bearer(book_client, "risk")).json()["now"]
    log_in(book_client, "risk")
    empty = "product=&branch_id=&manager_id=&region=&industry=&vintage="
    for min_dpd, total in (("", board["loans"]), ("1", board["m1_loans"])):
        page = book_client.get(f"/loans?as_of={LAST}&min_dpd={min_dpd}&{empty}")
        assert page.status_code == 200, page.text[:300]
        shown = re.search(r'data-testid="loans-total">([\d,]+)<', page.text).group(1)
        assert int(shown.replace(",", "")) == total


def test_the_loans_page_pages_and_shows_money_with_two_decimals(book_client: TestClient):
    log_in(book_client, "risk")
    first = book_client.get(f"/loans?as_of={LAST}&size=20").text
    second = book_client.get(f"/loans?as_of={LAST}&size=20&page=2").text
    ids = [re.findall(r'data-loan="([^"]+)"', p) for p in (first, second)]
    assert len(ids[0]) == len(ids[1]) == 20 and not set(ids[0]) & set(ids[1])
    assert "page=2" in first and 'data-testid="pager"' in first
    cells = re.findall(r'<td class="num">([\d,.\-]+)</td>', first)
    money = [c for c in cells if "." in c]
    assert money and all(re.fullmatch(r"\d{1,3}(,\d{3})*\.\d{2}", c) for c in money)


@pytest.mark.parametrize(("filters", "message"), [("min_dpd=M1", "min_dpd"),
                                                  ("five_class=awful", "five_class"),
                                                  ("size=0", "size")])
def test_a_bad_filter_is_422_with_a_message(book_client: TestClient, filters: str, message: str):
    r = book_client.get(f"/api/loans?{filters}", headers=bearer(book_client, "risk"))
    assert r.status_code == 422 and message in json.dumps(r.json())


def test_an_empty_workspace_shows_no_results_yet(client: TestClient):
    headers = bearer(client, "risk")
    board = client.get("/api/dashboard", headers=headers).json()
    assert (board["as_of"], board["now"], board["dates"]) == (None, None, [])
    assert client.get("/api/loans", headers=headers).json()["total"] == 0
    log_in(client, "risk")
    assert "尚无计算结果" in client.get("/dashboard").text


def test_the_dashboard_speaks_english_on_request(book_client: TestClient):
    log_in(book_client, "risk")
    page = book_client.get("/dashboard?lang=en").text
    assert "Outstanding" in page and "NPL ratio" in page and "贷款余额" not in page
