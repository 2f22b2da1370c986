"""The nightly sync on a hand-made book: what the alerts mart, the classification and the
loan snapshot say at each date, and what the store holds after; on memory, SQLite and
PostgreSQL alike."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from loanwatch.policy import Policy, default_policy_text, load_policy_text
from loanwatch.policy.workflow import CustomerType
from loanwatch.services.nightly import OutOfOrder, sync_day
from loanwatch.services.store import MemoryStore, SqlStore
from loanwatch.services.work import act
from loanwatch.workflow.alerts import AlertStatus, Close, Disposition
from loanwatch.workflow.collections import CaseStatus, Outcome
from loanwatch.workflow.tasks import TaskKind

D1, D2, D3, D4 = (dt.date(2025, 3, 31), dt.date(2025, 4, 1), dt.date(2025, 4, 2),
                  dt.date(2025, 4, 3))
AT = dt.datetime(2025, 4, 5, 6, 0)
VALID = "NULL::DATE AS _valid_from, NULL::DATE AS _valid_to, 1 AS _import_id"


@pytest.fixture
def policy() -> Policy:
    return load_policy_text(default_policy_text(), "default policy")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest):
    if request.param == "memory":
        yield MemoryStore()
        return
    s = SqlStore(request.getfixturevalue(f"{request.param}_url"))
    yield s
    s.close()


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute(f"""CREATE TABLE customers AS SELECT * FROM (VALUES
        ('C1', 'enterprise', 'mgr-c1', 'B1'), ('C2', 'individual', NULL, 'B2'))
        t(customer_id, customer_type, manager_id, branch_id), (SELECT {VALID})""")
    c.execute(f"""CREATE TABLE loans AS SELECT * FROM (VALUES
        ('L1', 'C1', 'mgr-l1', 'B1', DATE '2025-03-20', 500000.00::DECIMAL(18,2)),
        ('L2', 'C2', NULL, 'B2', DATE '2024-01-10', 20000.00::DECIMAL(18,2)))
        t(loan_id, customer_id, manager_id, branch_id, disbursed_on, principal), (SELECT {VALID})""")
    c.execute("CREATE TABLE repayments (loan_id VARCHAR, paid_on DATE, amount DECIMAL(18,2), "
              "_valid_from DATE, _valid_to DATE, _import_id INT)")
    c.execute("CREATE TABLE alerts (as_of DATE, alert_id VARCHAR, signal_id VARCHAR, "
              "customer_id VARCHAR, loan_id VARCHAR, status VARCHAR, severity VARCHAR, "
              "evidence VARCHAR, actions VARCHAR[])")
    c.execute("CREATE TABLE classification (as_of DATE, loan_id VARCHAR, customer_id VARCHAR, "
              "status VARCHAR, dpd INT, outstanding_principal DECIMAL(18,2), "
              "overdue_principal DECIMAL(18,2), overdue_interest DECIMAL(18,2), "
              "overdue_fee DECIMAL(18,2), five_class VARCHAR, branch_id VARCHAR, "
              "manager_id VARCHAR)")
    c.execute("CREATE TABLE loan_snapshot (as_of DATE, loan_id VARCHAR, bucket VARCHAR)")
    return c


def fire(con, day, signal, customer, loan, severity="medium", evidence="e", actions=("remind",)):
    subject = loan or customer
    con.execute("INSERT INTO alerts VALUES (?, ?, ?, ?, ?, 'open', ?, ?, ?)",
                [day, f"{signal}:{subject}:{day}", signal, customer, loan, severity, evidence,
                 list(actions)])


def book(con, day, l2_dpd=0, l2_bucket="M0", l1_class="normal"):
    for loan, customer, dpd, bucket, cls, balance, branch, manager in (
            ("L1", "C1", 0, "M0", l1_class, "500000.00", "B1", "mgr-l1"),
            ("L2", "C2", l2_dpd, l2_bucket, "normal", "15000.00", "B2", None)):
        con.execute("INSERT INTO classification VALUES (?, ?, ?, 'active', ?, ?, ?, 0, 0, ?, "
                    "?, ?)", [day, loan, customer, dpd, Decimal(balance),
                              Decimal("800.00") if dpd else Decimal(0), cls, branch, manager])
        con.execute("INSERT INTO loan_snapshot VALUES (?, ?, ?)", [day, loan, bucket])


def test_a_firing_opens_an_alert_for_the_loans_manager_and_resyncing_changes_nothing(
        store, con, policy):
    book(con, D1)
    fire(con, D1, "REPAY-OVERDUE", "C1", "L1")
    fire(con, D1, "REG-CHURN", "C2", None)
    first = sync_day(store, con, D1, policy, AT)
    assert first.counts["alerts_opened"] == 2
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
        b = s.alerts.find("REG-CHURN", "C2", None)
        audit_rows = len(s.audit.for_entity("alert", a.alert_id))
        assert (a.owner, a.branch_id, a.status, a.opened_on) == ("mgr-l1", "B1", AlertStatus.OPEN, D1)
        assert (b.owner, b.branch_id) == ("branch:B2", "B2")  # no manager: the branch queue
        assert s.syncs.latest() == D1
    again = sync_day(store, con, D1, policy, AT)
    assert sum(v for k, v in again.counts.items() if not k.endswith("conflicts")) == 0
    with store.session() as s:
        assert len(s.audit.for_entity("alert", a.alert_id)) == audit_rows
        assert s.alerts.count() == 2


def test_an_older_date_than_the_store_reflects_is_refused(store, con, policy):
    book(con, D2)
    sync_day(store, con, D2, policy, AT)
    with pytest.raises(OutOfOrder, match="reflects 2025-04-01 already"):
        sync_day(store, con, D1, policy, AT)


def test_seen_again_moves_last_seen_a_new_severity_is_an_audited_change(store, con, policy):
    for day, severity in ((D1, "medium"), (D2, "medium"), (D3, "high")):
        book(con, day)
        fire(con, day, "REPAY-OVERDUE", "C1", "L1", severity)
    sync_day(store, con, D1, policy, AT)
    seen = sync_day(store, con, D2, policy, AT)
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
    assert (seen.counts["alerts_seen"], a.last_seen_on, a.version) == (1, D2, 1)
    raised = sync_day(store, con, D3, policy, AT)
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
        rows = s.audit.for_entity("alert", a.alert_id)
    assert (raised.counts["alerts_changed"], a.severity.value, a.version) == (1, "high", 2)
    assert rows[-1].after["severity"] == "high"


def test_a_condition_that_returns_after_closure_reopens_the_same_alert(store, con, policy):
    book(con, D1)
    fire(con, D1, "REPAY-OVERDUE", "C1", "L1")
    for day in (D2, D3, D4):
        book(con, day)
    fire(con, D4, "REPAY-OVERDUE", "C1", "L1")  # the mart gives it a new id
    sync_day(store, con, D1, policy, AT)
    sync_day(store, con, D2, policy, AT)  # cleared: waits for a person
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
    assert (a.status, a.cleared_on) == (AlertStatus.OPEN, D2)
    act(store, "alert", a.alert_id, Close(by="li", at=AT, expected_version=a.version,
                                          disposition=Disposition.RESOLVED, comment="paid"), policy)
    sync_day(store, con, D3, policy, AT)
    sync_day(store, con, D4, policy, AT)
    with store.session() as s:
        assert s.alerts.count() == 1
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
        actions = [r.action for r in s.audit.for_entity("alert", a.alert_id)]
    assert (a.alert_id, a.status, a.reopened_count) == (f"REPAY-OVERDUE:L1:{D1}", AlertStatus.OPEN, 1)
    assert actions == ["open", "clear", "close", "reopen"]


def test_a_disposition_stands_while_the_condition_lasts(store, con, policy):
    for day in (D1, D2):
        book(con, day)
        fire(con, day, "REPAY-OVERDUE", "C1", "L1")
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
    act(store, "alert", a.alert_id, Close(by="li", at=AT, expected_version=1,
                                          disposition=Disposition.FALSE_POSITIVE,
                                          comment="known supplier"), policy)
    sync_day(store, con, D2, policy, AT)
    with store.session() as s:
        a = s.alerts.find("REPAY-OVERDUE", "C1", "L1")
    assert (a.status, a.disposition) == (AlertStatus.CLOSED, Disposition.FALSE_POSITIVE)


def test_a_past_due_loan_gets_a_case_refreshed_daily_and_cured_when_current(store, con, policy):
    book(con, D1, l2_dpd=35, l2_bucket="M2")
    book(con, D2, l2_dpd=36, l2_bucket="M2")
    book(con, D3, l2_dpd=0, l2_bucket="M0")
    con.execute("INSERT INTO repayments VALUES ('L2', DATE '2025-04-01', 300.00, NULL, NULL, 1), "
                "('L2', DATE '2025-04-02', 500.00, NULL, NULL, 1)")
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        (case,) = s.cases.list()
    assert (case.case_id, case.owner, case.bucket) == (f"CC:L2:{D1}", "collections:B2", "M2")
    assert case.expected_loss == Decimal("3000.00")  # 15,000 x the M2 weight 0.20
    assert [c.value for c in case.strategy] == ["call", "visit"]
    sync_day(store, con, D2, policy, AT)
    with store.session() as s:
        case = s.cases.get(case.case_id)
    assert (case.dpd, case.recovered, case.version) == (36, Decimal("300.00"), 1)
    sync_day(store, con, D3, policy, AT)
    with store.session() as s:
        case = s.cases.get(case.case_id)
    assert (case.status, case.outcome, case.recovered) == (CaseStatus.CLOSED, Outcome.CURED,
                                                            Decimal("800.00"))


def test_tasks_follow_the_schedule_and_alerts_that_ask_for_an_inspection(store, con, policy):
    book(con, D1, l1_class="special_mention")
    fire(con, D1, "FLOW-BACKFLOW", "C1", "L1", "high", actions=("inspect",))
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        kinds = {(t.kind, t.customer_id, t.loan_id): t for t in s.tasks.list(limit=None)}
    first = kinds[(TaskKind.FIRST_INSPECTION, "C1", "L1")]
    assert (first.due_on, first.owner, first.branch_id) == (dt.date(2025, 4, 19), "mgr-l1", "B1")
    periodic = kinds[(TaskKind.PERIODIC_INSPECTION, "C1", None)]
    assert periodic.due_on == D1 + dt.timedelta(days=90)  # 关注: every 90 days
    assert kinds[(TaskKind.DEBT_CONFIRMATION, "C1", None)].due_on == D1 + dt.timedelta(days=92)
    assert kinds[(TaskKind.CLASSIFICATION_MATERIALS, "C1", None)].due_on == dt.date(2025, 4, 10)
    triggered = kinds[(TaskKind.TRIGGERED_INSPECTION, "C1", "L1")]
    assert triggered.alert_id == f"FLOW-BACKFLOW:L1:{D1}" and triggered.owner == "mgr-l1"
    # the individual borrower, an old loan: no scheduled visits by default
    assert not [k for k in kinds if k[1] == "C2"]


def test_the_schedule_scope_is_the_banks_choice(store, con, policy):
    everyone = policy.workflow.schedules.periodic_inspection.model_copy(
        update={"customer_types": tuple(CustomerType)})
    schedules = policy.workflow.schedules.model_copy(update={"periodic_inspection": everyone})
    policy = policy.model_copy(update={"workflow": policy.workflow.model_copy(
        update={"schedules": schedules})})
    book(con, D1)
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        assert s.tasks.count(kind=TaskKind.PERIODIC_INSPECTION, customer_id="C2") == 1


def test_resyncing_a_date_leaves_a_case_a_collector_closed_that_day(store, con, policy):
    from loanwatch.workflow.collections import Close as CloseCase
    book(con, D1, l2_dpd=35, l2_bucket="M2")
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        (case,) = s.cases.list()
    act(store, "collection_case", case.case_id, CloseCase(
        by="coll", at=AT, expected_version=case.version, outcome=Outcome.SETTLED,
        comment="paid in full at the branch"), policy)
    again = sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        assert [c.status for c in s.cases.list()] == [CaseStatus.CLOSED]
        assert s.syncs.counts(D1)["cases_opened"] == 1  # the first sync's figures are kept
    assert again.counts["cases_opened"] == 0


def test_the_next_periodic_task_counts_from_when_the_last_was_done(store, con, policy):
    from loanwatch.workflow.tasks import Complete, Start
    book(con, D1)
    sync_day(store, con, D1, policy, AT)
    with store.session() as s:
        (task,) = s.tasks.list(kind=TaskKind.RATING_REFRESH)
    done_at = dt.datetime(2025, 4, 2, 15, 0)
    act(store, "task", task.task_id, Start(by="mgr-l1", at=done_at, expected_version=1), policy)
    act(store, "task", task.task_id, Complete(
        by="mgr-l1", at=done_at, expected_version=2, findings="rated B",
        checklist={"financials": "2024 年报已录入", "rating": "B, 经营稳定"}), policy)
    book(con, D3)
    sync_day(store, con, D3, policy, AT)
    with store.session() as s:
        planned = s.tasks.list(kind=TaskKind.RATING_REFRESH, status="planned")
    assert [t.due_on for t in planned] == [dt.date(2025, 4, 2) + dt.timedelta(days=92)]
