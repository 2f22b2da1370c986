"""The report's sections from the operational store: alerts closed by disposition, SLA
breaches, overdue inspections and debt confirmations by branch, collection results — equal
to what the store holds after people closed a few alerts, cancelled tasks and closed a case;
without a store the sections say so."""

from __future__ import annotations

import datetime as dt
import shutil
from collections import Counter

import pytest

from loanwatch.policy import load_policy
from loanwatch.policy.workflow import Channel
from loanwatch.services import work
from loanwatch.services.nightly import sync_day
from loanwatch.services.store import open_store
from loanwatch.workflow import alerts as wa
from loanwatch.workflow import collections as wc
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.sla import due_at
from loanwatch.workspace import Workspace
from tests.reports.conftest import AS_OF, BEFORE, QUARTER_BEFORE, by_first_cell, html_tables, lw

DAYS = (QUARTER_BEFORE, "2024-10-31", BEFORE, AS_OF)
IN_PERIOD = dt.datetime(2024, 12, 20, 10)  # when people act: in December, the report's month
WATCHED = ("first_inspection", "periodic_inspection", "triggered_inspection",
           "debt_confirmation")


@pytest.fixture(scope="module")
def store_ws(report_ws: Workspace, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the lender, synced into its store, with a few alerts closed in December
    (one of each disposition), two watched tasks cancelled, one collection case cured and a
    promise to pay judged."""
    root = tmp_path_factory.mktemp("store-ws") / "ws"
    shutil.copytree(report_ws.root, root)
    ws = Workspace.open(root)
    policy = load_policy(ws.policy_file)
    store = open_store(root)
    try:
        with ws.connect(read_only=True) as con:
            for day in DAYS:
                synced = dt.date.fromisoformat(day)
                if day == AS_OF:  # a promise the month-end's run judges
                    _promise(store, policy)
                sync_day(store, con, synced, policy, _night_after(synced))
        _act(store, policy)
    finally:
        store.close()
    return ws


def _night_after(day: dt.date) -> dt.datetime:
    """When the nightly run of ``day`` synced the store."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6))


def _promise(store, policy) -> None:
    with store.session() as s:
        case = next(c for c in s.cases.list(limit=None) if c.status in wc.LIVE)
    at = dt.datetime(2024, 12, 2, 9)
    called = work.act(store, "collection_case", case.case_id, wc.LogContact(
        by="coll", at=at, expected_version=case.version, channel=Channel.CALL,
        result=wc.ContactResult.PROMISED), policy).record
    work.act(store, "collection_case", case.case_id, wc.PromiseToPay(
        by="coll", at=at, expected_version=called.version,
        amount=case.overdue_amount, due_on=dt.date(2024, 12, 10)), policy)


def _act(store, policy) -> None:
    with store.session() as s:
        live = [a for a in s.alerts.list(limit=None) if a.status in wa.LIVE
                and a.live_since < IN_PERIOD]
        tasks = [t for t in s.tasks.list(limit=None) if t.status in wt.OPEN_WORK
                 and t.kind.value in WATCHED and t.due_on < dt.date(2024, 12, 31)]
        cases = [c for c in s.cases.list(limit=None) if c.status in wc.LIVE]
    assert len(live) >= 4 and len(tasks) >= 3 and cases, "the lender gives work to act on"
    events = [wa.Close(by="risk", at=IN_PERIOD, expected_version=live[0].version,
                       disposition=wa.Disposition.RESOLVED, comment="repaid"),
              wa.Close(by="risk", at=IN_PERIOD, expected_version=live[1].version,
                       disposition=wa.Disposition.FALSE_POSITIVE, comment="data error"),
              wa.Close(by="risk", at=IN_PERIOD, expected_version=live[2].version,
                       disposition=wa.Disposition.FALSE_POSITIVE, comment="data error"),
              wa.Escalate(by="risk", at=IN_PERIOD, expected_version=live[3].version,
                          comment="to the committee")]
    for alert, event in zip(live, events, strict=False):
        work.act(store, "alert", alert.alert_id, event, policy)
    for task in tasks[:2]:  # finished in December: no longer overdue at the month-end
        work.act(store, "task", task.task_id, wt.Cancel(
            by="risk", at=IN_PERIOD, expected_version=task.version, reason="loan sold"), policy)
    work.act(store, "collection_case", cases[0].case_id, wc.Close(
        by="risk", at=IN_PERIOD, expected_version=cases[0].version, outcome=wc.Outcome.CURED,
        comment="paid up"), policy)


@pytest.fixture(scope="module")
def tables(store_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("store-report") / "report.html"
    result = lw("report", "portfolio", "-w", store_ws.root, "--as-of", AS_OF, "--out", out)
    assert result.exit_code == 0, result.output
    return html_tables(out.read_text(encoding="utf-8")).tables


@pytest.fixture(scope="module")
def held(store_ws):
    """What the store holds, read record by record."""
    store = open_store(store_ws.root)
    try:
        with store.session() as s:
            return (s.alerts.list(limit=None), s.tasks.list(limit=None),
                    s.cases.list(limit=None))
    finally:
        store.close()


END = dt.datetime(2025, 1, 1)
START = dt.datetime(2024, 12, 1)


def _late(alert, at: dt.datetime, policy) -> bool:
    due = due_at(alert.live_since, alert.severity, policy.workflow.sla_hours)
    return due is not None and min(alert.closed_at or at, at) > due


def test_alerts_closed_by_disposition_are_the_stores(tables, held, store_ws):
    policy = load_policy(store_ws.policy_file)
    closed = [a for a in held[0] if a.closed_at and START <= a.closed_at < END]
    by = Counter(a.disposition.value for a in closed)
    assert by == {"resolved": 1, "false_positive": 2, "escalated": 1}
    table = by_first_cell(tables["dispositions"])
    assert table["已解决"]["本期处置关闭"] == "1"
    assert table["误报"]["本期处置关闭"] == "2"
    assert table["升级"]["本期处置关闭"] == "1"
    assert table["合计"]["本期处置关闭"] == "4"
    assert table["合计"]["超时"] == str(sum(_late(a, END, policy) for a in closed))


def test_sla_by_severity_counts_the_alerts_open_at_the_month_end(tables, held, store_ws):
    policy = load_policy(store_ws.policy_file)
    live = [a for a in held[0] if a.opened_on <= dt.date(2024, 12, 31)
            and (a.closed_at is None or a.closed_at >= END)]
    table = by_first_cell(tables["sla"])
    assert table["合计"]["期末未关闭"] == f"{len(live):,}"
    assert table["合计"]["期末超时未关闭"] == f"{sum(_late(a, END, policy) for a in live):,}"
    assert table["合计"]["本期处置关闭"] == "4"


def test_overdue_inspections_and_confirmations_by_branch_are_the_stores(tables, held):
    late = [t for t in held[1] if t.kind.value in WATCHED and t.due_on < dt.date(2024, 12, 31)
            and (t.finished_at is None or t.finished_at >= END)]
    assert late, "the lender has overdue work at the month-end"
    table = by_first_cell(tables["overdue-work"])
    assert table["合计"]["合计"] == f"{len(late):,}"
    kinds = Counter(t.kind.value for t in late)
    assert table["合计"]["首次检查"] == f"{kinds['first_inspection']:,}"
    branch = Counter(t.branch_id or "—" for t in late).most_common(1)[0]
    assert table[branch[0]]["合计"] == f"{branch[1]:,}"
    # the two tasks cancelled in December are not overdue at its end
    cancelled = [t for t in held[1] if t.status is wt.TaskStatus.CANCELLED]
    assert len(cancelled) == 2 and not set(cancelled) & set(late)


def test_collection_results_are_the_stores(tables, held):
    cases = held[2]
    opened = sum(dt.date(2024, 11, 30) < c.opened_on <= dt.date(2024, 12, 31) for c in cases)
    row = by_first_cell(tables["collections"])
    (only,) = row.values()
    assert only["本期新增案件"] == f"{opened:,}"
    closed = [c for c in cases if c.closed_at and START <= c.closed_at < END]
    cured = sum(c.outcome is wc.Outcome.CURED for c in closed)
    assert any(c.closed_by == "risk" for c in closed)  # the case closed by hand counts
    assert only["本期治愈"] == f"{cured:,}" and only["本期结案"] == f"{len(closed):,}"
    worked = [c for c in cases if c.opened_on <= dt.date(2024, 12, 31)
              and (c.closed_at is None or c.closed_at >= START)]
    assert only["本期在催案件"] == f"{len(worked):,}"
    judged = [p for c in cases for p in c.promises
              if p.settled_on and dt.date(2024, 11, 30) < p.settled_on <= dt.date(2024, 12, 31)]
    assert judged, "the promise given in December was judged by the month-end's run"
    assert only["承诺还款已兑现"] == f"{sum(p.status is wc.PromiseStatus.KEPT for p in judged):,}"
    assert only["承诺还款未兑现"] == \
        f"{sum(p.status is wc.PromiseStatus.BROKEN for p in judged):,}"
    assert only["已回收金额"] == f"{sum(c.recovered for c in worked):,.2f}"
    assert by_first_cell(tables["case-outcomes"])["治愈"]["案件数"] == f"{cured:,}"


def test_without_a_store_the_sections_say_so(report_ws, tmp_path):
    out = tmp_path / "report.html"
    result = lw("report", "portfolio", "-w", report_ws.root, "--as-of", AS_OF, "--out", out,
                "--lang", "en")
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    assert html.count("No operational store") == 3  # warnings, workflow, collections
    assert "dispositions" not in html_tables(html).tables


def test_the_borrower_report_lists_the_borrowers_tasks_and_their_findings(store_ws, tmp_path):
    """The inspection report's tasks come from the store: a task worked with a finding shows
    its finding; a finding given after the report's date does not."""
    store = open_store(store_ws.root)
    try:
        with store.session() as s:
            task = next(t for t in s.tasks.list(limit=None, order_by=("task_id",))
                        if t.status is wt.TaskStatus.PLANNED and t.due_on <= dt.date(2025, 3, 31))
            mine = s.tasks.list(customer_id=task.customer_id, limit=None)
        started = work.act(store, "task", task.task_id, wt.Start(
            by="mgr", at=IN_PERIOD, expected_version=task.version), load_policy(
                store_ws.policy_file)).record
        noted = work.act(store, "task", task.task_id, wt.RecordFinding(
            by="mgr", at=IN_PERIOD, expected_version=started.version, text="厂区停工，库存积压"),
            load_policy(store_ws.policy_file)).record
        work.act(store, "task", task.task_id, wt.RecordFinding(
            by="mgr", at=dt.datetime(2025, 1, 15, 9), expected_version=noted.version,
            text="一月份复工"), load_policy(store_ws.policy_file))
    finally:
        store.close()
    out = tmp_path / "borrower.html"
    result = lw("report", "borrower", task.customer_id, "-w", store_ws.root, "--as-of", AS_OF,
                "--out", out)
    assert result.exit_code == 0, result.output
    rows = html_tables(out.read_text(encoding="utf-8")).tables["tasks"][1:]  # the header off
    assert len(rows) == min(len(mine), 30)
    worked = [r for r in rows if "厂区停工" in " ".join(map(str, r))]
    assert len(worked) == 1 and "一月份复工" not in out.read_text(encoding="utf-8")
    assert "进行中" in " ".join(map(str, worked[0]))

    bare = tmp_path / "bare.html"  # no store: the section says so
    shutil.copytree(store_ws.root, tmp_path / "bare")
    (tmp_path / "bare" / "operations.sqlite").unlink()
    assert lw("report", "borrower", task.customer_id, "-w", tmp_path / "bare", "--as-of", AS_OF,
              "--out", bare).exit_code == 0
    assert "未找到业务库" in bare.read_text(encoding="utf-8")
