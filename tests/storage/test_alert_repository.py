"""The contract every alert repository and audit log keeps: the in-memory double, SQLite and
PostgreSQL alike (the ``store`` fixture runs each test once per adapter)."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import replace

import pytest
import sqlalchemy as sa

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.storage.sql import SqlAlertRepository, SqlAuditLog
from loanwatch.workflow.alerts import (
    Acknowledge,
    Alert,
    AlertStatus,
    Close,
    Comment,
    Disposition,
    Fired,
    Note,
    transition,
)
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import Conflict
from tests.storage.conftest import Store

DAY = dt.date(2025, 3, 31)
AT = dt.datetime(2025, 4, 1, 7, 30, 15, 123456)


def an_alert(alert_id: str = "A1", **changes: object) -> Alert:
    alert = Alert(alert_id=alert_id, signal_id="S_DPD_30", customer_id="C1", loan_id="L1",
                  severity=Severity.HIGH, evidence="逾期 31 天 (DPD 31)",
                  actions=(Action.INSPECT, Action.COLLECT), owner="mgr-1", opened_on=DAY,
                  last_seen_on=DAY, live_since=AT)
    return replace(alert, **changes)


def fired(alert_id: str = "A1") -> Fired:
    return Fired(alert_id=alert_id, signal_id="S_DPD_30", customer_id="C1", loan_id="L1",
                 manager_id="mgr-1", as_of=DAY, at=AT, severity=Severity.HIGH,
                 evidence="DPD 31", actions=(Action.INSPECT,))


def test_an_added_alert_comes_back_with_every_field(store: Store) -> None:
    closed = an_alert(status=AlertStatus.CLOSED, cleared_on=DAY + dt.timedelta(days=3),
                      disposition=Disposition.FALSE_POSITIVE, closed_by="王经理",
                      closed_at=AT + dt.timedelta(days=4), close_comment="已核实，客户已还款",
                      notes=(Note(by="mgr-1", at=AT, text="电话联系客户"),
                             Note(by="mgr-2", at=AT + dt.timedelta(hours=2), text="上门")),
                      reopened_count=2, version=7)
    customer_level = an_alert("A2", loan_id=None, actions=())
    store.alerts.add(closed)
    store.alerts.add(customer_level)
    assert store.alerts.get("A1") == closed
    assert store.alerts.get("A2") == customer_level
    assert store.alerts.get("nope") is None


def test_adding_an_existing_alert_is_a_conflict(store: Store) -> None:
    store.alerts.add(an_alert())
    with pytest.raises(Conflict):
        store.alerts.add(an_alert(evidence="another sync"))
    assert store.alerts.get("A1") == an_alert()


def test_saving_at_the_expected_version_stores_the_next_one(store: Store) -> None:
    opened, _ = transition(None, fired())
    store.alerts.add(opened)
    acknowledged, _ = transition(opened, Acknowledge(by="mgr-1", at=AT, expected_version=1))
    store.alerts.save(acknowledged, expected_version=1)
    assert store.alerts.get("A1") == acknowledged
    assert acknowledged.version == 2


def test_two_people_closing_the_same_alert_one_wins_the_other_gets_a_conflict(
        store: Store) -> None:
    store.alerts.add(transition(None, fired())[0])
    first, second = store.alerts.get("A1"), store.alerts.get("A1")
    assert first is not None and second is not None
    closed, _ = transition(first, Close(by="mgr-1", at=AT, expected_version=1,
                                        disposition=Disposition.RESOLVED, comment="已还款"))
    store.alerts.save(closed, expected_version=first.version)
    commented, _ = transition(second, Comment(by="mgr-2", at=AT, expected_version=1,
                                              text="客户失联"))
    with pytest.raises(Conflict) as raised:
        store.alerts.save(commented, expected_version=second.version)
    assert (raised.value.expected, raised.value.current) == (1, 2)
    assert store.alerts.get("A1") == closed


def test_saving_an_alert_never_added_is_an_error(store: Store) -> None:
    with pytest.raises(LookupError):
        store.alerts.save(an_alert(version=2), expected_version=1)


def test_find_returns_the_alert_of_a_signal_on_a_subject(store: Store) -> None:
    store.alerts.add(an_alert("A1"))
    store.alerts.add(an_alert("A2", loan_id="L2"))
    store.alerts.add(an_alert("A3", loan_id=None))
    store.alerts.add(an_alert("A4", signal_id="S_OTHER"))
    assert store.alerts.find("S_DPD_30", "C1", "L1") == an_alert("A1")
    assert store.alerts.find("S_DPD_30", "C1", None) == an_alert("A3", loan_id=None)
    assert store.alerts.find("S_DPD_30", "C9", "L1") is None


def test_find_prefers_the_most_recently_opened(store: Store) -> None:
    old = an_alert("A1", status=AlertStatus.CLOSED, disposition=Disposition.RESOLVED)
    new = an_alert("A2", live_since=AT + dt.timedelta(days=30))
    store.alerts.add(old)
    store.alerts.add(new)
    assert store.alerts.find("S_DPD_30", "C1", "L1") == new


def test_list_filters_by_status_and_owner_newest_first(store: Store) -> None:
    later = AT + dt.timedelta(days=1)
    alerts = [an_alert("A1"), an_alert("A2", live_since=later),
              an_alert("A3", owner="mgr-2"),
              an_alert("A4", status=AlertStatus.CLOSED, disposition=Disposition.RESOLVED)]
    for alert in alerts:
        store.alerts.add(alert)
    ids = [a.alert_id for a in store.alerts.list()]
    assert ids == ["A2", "A1", "A3", "A4"]
    assert [a.alert_id for a in store.alerts.list(status=AlertStatus.OPEN)] == ["A2", "A1", "A3"]
    assert [a.alert_id for a in store.alerts.list(owner="mgr-2")] == ["A3"]
    assert [a.alert_id for a in store.alerts.list(AlertStatus.CLOSED, "mgr-1")] == ["A4"]
    assert [a.alert_id for a in store.alerts.list(limit=2)] == ["A2", "A1"]


def test_the_audit_trail_keeps_rows_in_the_order_appended(store: Store) -> None:
    opened, (row_open, *_) = transition(None, fired())
    acknowledged, (row_ack,) = transition(opened, Acknowledge(by="mgr-1", at=AT,
                                                              expected_version=1))
    other = WriteAudit(actor="engine", action="open", entity="alert", entity_id="A2", at=AT,
                       before={}, after={"evidence": "其他"})
    for row in (row_open, other, row_ack):
        assert isinstance(row, WriteAudit)
        store.audit.append(row)
    assert store.audit.for_entity("alert", "A1") == [row_open, row_ack]
    assert store.audit.for_entity("alert", "A2") == [other]
    assert store.audit.for_entity("task", "A1") == []


def test_the_audit_log_offers_no_way_to_change_a_row(store: Store) -> None:
    public = {name for name in dir(store.audit) if not name.startswith("_")}
    assert public == {"append", "append_many", "for_entity"}


# --- SQL only: the unit of work, on each database -----------------------------------------------------------

def test_an_alert_and_its_audit_row_commit_together_or_not_at_all(sql_engine: sa.Engine) -> None:
    opened, (row, *_) = transition(None, fired())
    assert isinstance(row, WriteAudit)
    with pytest.raises(RuntimeError), sql_engine.begin() as conn:
        SqlAlertRepository(conn).add(opened)
        SqlAuditLog(conn).append(row)
        raise RuntimeError("the service failed halfway")
    assert SqlAlertRepository(sql_engine).get("A1") is None
    assert SqlAuditLog(sql_engine).for_entity("alert", "A1") == []
    with sql_engine.begin() as conn:
        SqlAlertRepository(conn).add(opened)
        SqlAuditLog(conn).append(row)
    assert SqlAlertRepository(sql_engine).get("A1") == opened


def test_a_conflicting_add_leaves_the_callers_transaction_usable(sql_engine: sa.Engine) -> None:
    SqlAlertRepository(sql_engine).add(an_alert())
    with sql_engine.begin() as conn:
        with pytest.raises(Conflict):
            SqlAlertRepository(conn).add(an_alert())
        SqlAlertRepository(conn).add(an_alert("A2"))
    assert SqlAlertRepository(sql_engine).get("A2") == an_alert("A2")


def test_aware_datetimes_are_refused_rather_than_shifted(sql_engine: sa.Engine) -> None:
    aware = AT.replace(tzinfo=dt.UTC)
    with pytest.raises(sa.exc.StatementError):
        SqlAlertRepository(sql_engine).add(an_alert(live_since=aware))


def test_a_save_racing_an_uncommitted_one_waits_and_gets_a_conflict(
        _postgres_engine: sa.Engine) -> None:
    """Truly concurrent on PostgreSQL: the second UPDATE waits on the first's row lock, then
    finds the version moved on."""
    repo = SqlAlertRepository(_postgres_engine)
    repo.add(an_alert())
    loaded = repo.get("A1")
    assert loaded is not None
    first, second = replace(loaded, evidence="first", version=2), replace(loaded, version=2)
    outcome: list[BaseException] = []

    def save_second() -> None:
        try:
            repo.save(second, expected_version=1)
        except Conflict as error:
            outcome.append(error)

    with _postgres_engine.begin() as conn:
        SqlAlertRepository(conn).save(first, expected_version=1)
        racer = threading.Thread(target=save_second)
        racer.start()
        racer.join(timeout=0.5)
        assert racer.is_alive(), "the second save should wait for the first to commit"
    racer.join(timeout=10)
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert repo.get("A1") == first
