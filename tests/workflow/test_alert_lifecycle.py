"""An alert (预警) is opened by a run, worked by people, closed with a disposition, and
reopened when its condition returns; every change is audited and versioned."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.workflow.alerts import (
    ENGINE,
    Acknowledge,
    Alert,
    AlertStatus,
    Assign,
    Close,
    Comment,
    ConditionCleared,
    Disposition,
    Escalate,
    Fired,
    NotifyOwner,
    OpenTriggeredInspection,
    Reopen,
    RequestReview,
    StartCollection,
    StartWork,
    WriteAudit,
    transition,
)
from loanwatch.workflow.errors import Conflict, IllegalTransition, InvalidEvent

JUNE_1, JUNE_2, JUNE_3, JUNE_4 = (dt.date(2026, 6, d) for d in (1, 2, 3, 4))
MANAGER, COLLEAGUE, HEAD = "mgr-wang", "mgr-li", "head-zhao"


def at(day: dt.date, hour: int = 7) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def fired(as_of: dt.date = JUNE_1, severity: Severity = Severity.MEDIUM,
          evidence: str = "DPD 12", actions: tuple[Action, ...] = (Action.REMIND,)) -> Fired:
    """The run of ``as_of`` found REPAY-OVERDUE on loan L1 of customer C1."""
    return Fired(alert_id="REPAY-OVERDUE:L1:2026-06-01", signal_id="REPAY-OVERDUE",
                 customer_id="C1", loan_id="L1", manager_id=MANAGER, as_of=as_of, at=at(as_of),
                 severity=severity, evidence=evidence, actions=actions)


def cleared(as_of: dt.date) -> ConditionCleared:
    return ConditionCleared(as_of=as_of, at=at(as_of))


def opened(**kw) -> Alert:
    alert, _ = transition(None, fired(**kw))
    return alert


def apply(alert: Alert, *events) -> Alert:
    for event in events:
        alert, _ = transition(alert, event)
    return alert


# person events on the current version, by the manager, on June 2 ----------------------------
def acknowledge(a: Alert) -> Acknowledge:
    return Acknowledge(by=MANAGER, at=at(JUNE_2), expected_version=a.version)


def assign(a: Alert) -> Assign:
    return Assign(to=COLLEAGUE, by=HEAD, at=at(JUNE_2), expected_version=a.version)


def start(a: Alert) -> StartWork:
    return StartWork(by=MANAGER, at=at(JUNE_2), expected_version=a.version)


def comment(a: Alert) -> Comment:
    return Comment(text="called the borrower, payment promised", by=MANAGER, at=at(JUNE_2),
                   expected_version=a.version)


def close(a: Alert, disposition: Disposition = Disposition.RESOLVED, by: str = MANAGER) -> Close:
    return Close(disposition=disposition, comment="repaid in full", by=by, at=at(JUNE_2, 10),
                 expected_version=a.version)


def escalate(a: Alert) -> Escalate:
    return Escalate(comment="borrower unreachable", by=MANAGER, at=at(JUNE_2),
                    expected_version=a.version)


def reopen(a: Alert) -> Reopen:
    return Reopen(reason="the repayment bounced", by=HEAD, at=at(JUNE_3),
                  expected_version=a.version)


def alert_that_is(status: AlertStatus) -> Alert:
    """An alert brought to ``status`` the way people do it."""
    alert = opened()
    steps = {AlertStatus.OPEN: [], AlertStatus.ACKNOWLEDGED: [acknowledge],
             AlertStatus.IN_PROGRESS: [acknowledge, start],
             AlertStatus.CLOSED: [acknowledge, start, close]}[status]
    for step in steps:
        alert = apply(alert, step(alert))
    assert alert.status is status
    return alert


OPEN, ACK, WORK, CLOSED = (AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.IN_PROGRESS,
                           AlertStatus.CLOSED)
ILLEGAL = IllegalTransition

# (state, event, the state after it or the error)
TABLE = [
    (OPEN, acknowledge, ACK), (ACK, acknowledge, ILLEGAL), (WORK, acknowledge, ILLEGAL),
    (CLOSED, acknowledge, ILLEGAL),
    (OPEN, assign, OPEN), (ACK, assign, ACK), (WORK, assign, WORK), (CLOSED, assign, ILLEGAL),
    (OPEN, start, ILLEGAL), (ACK, start, WORK), (WORK, start, ILLEGAL), (CLOSED, start, ILLEGAL),
    (OPEN, comment, OPEN), (ACK, comment, ACK), (WORK, comment, WORK), (CLOSED, comment, CLOSED),
    (OPEN, close, CLOSED), (ACK, close, CLOSED), (WORK, close, CLOSED), (CLOSED, close, ILLEGAL),
    (OPEN, escalate, CLOSED), (ACK, escalate, CLOSED), (WORK, escalate, CLOSED),
    (CLOSED, escalate, ILLEGAL),
    (OPEN, reopen, ILLEGAL), (ACK, reopen, ILLEGAL), (WORK, reopen, ILLEGAL),
    (CLOSED, reopen, OPEN),
]


@pytest.mark.parametrize(("state", "event", "expected"), TABLE,
                         ids=[f"{s.value}-{e.__name__}" for s, e, _ in TABLE])
def test_transition_table(state, event, expected):
    alert = alert_that_is(state)
    if expected is ILLEGAL:
        with pytest.raises(IllegalTransition, match=f"that is {state.value.replace('_', ' ')} "):
            transition(alert, event(alert))
        return
    after, effects = transition(alert, event(alert))
    assert after.status is expected
    assert after.version == alert.version + 1
    audits = [e for e in effects if isinstance(e, WriteAudit)]
    assert len(audits) == 1 and audits[0].actor == event(alert).by


def test_the_error_names_the_state_and_the_event_and_says_what_to_do():
    alert = alert_that_is(CLOSED)
    with pytest.raises(IllegalTransition) as caught:
        transition(alert, acknowledge(alert))
    assert str(caught.value) == "an alert that is closed cannot be acknowledged; reopen it first"
    assert (caught.value.state, caught.value.event) == ("closed", "Acknowledge")
    alert = alert_that_is(OPEN)
    with pytest.raises(IllegalTransition, match="cannot be started; acknowledge it first"):
        transition(alert, start(alert))


def test_a_person_cannot_act_on_an_alert_that_has_not_fired():
    with pytest.raises(IllegalTransition, match="has not fired yet"):
        transition(None, Acknowledge(by=MANAGER, at=at(JUNE_1), expected_version=1))


# --- runs -----------------------------------------------------------------------------------

def test_a_first_firing_opens_the_alert_for_the_borrowers_manager():
    alert, effects = transition(None, fired())
    assert (alert.status, alert.owner, alert.version) == (OPEN, MANAGER, 1)
    assert (alert.opened_on, alert.last_seen_on, alert.live_since) == (JUNE_1, JUNE_1, at(JUNE_1))
    row, notice = effects
    assert (row.actor, row.action, row.entity, row.entity_id) == (
        ENGINE, "open", "alert", "REPAY-OVERDUE:L1:2026-06-01")
    assert row.before == {} and row.after["status"] == "open" and row.after["owner"] == MANAGER
    assert row.after["severity"] == "medium" and row.after["actions"] == ["remind"]
    assert notice == NotifyOwner(owner=MANAGER, alert_id=alert.alert_id, what="opened")


def test_the_same_firing_twice_changes_nothing_the_second_time():
    alert = opened()
    again, effects = transition(alert, fired())
    assert again == alert and effects == ()
    synced_later = Fired(**{**fired().__dict__, "at": at(JUNE_1, 23)})
    assert transition(alert, synced_later) == (alert, ())


def test_a_firing_older_than_what_the_alert_knows_changes_nothing():
    alert = apply(opened(), fired(JUNE_3))
    assert transition(alert, fired(JUNE_2, Severity.CRITICAL)) == (alert, ())


def test_the_same_condition_seen_again_only_moves_last_seen_without_audit_or_version():
    alert = opened()
    after, effects = transition(alert, fired(JUNE_2))
    assert effects == ()
    assert after == replace(alert, last_seen_on=JUNE_2)
    assert transition(after, fired(JUNE_2)) == (after, ())


def test_a_later_firing_updates_severity_evidence_and_last_seen_and_audits_only_those():
    alert = opened()
    after, effects = transition(alert, fired(JUNE_2, Severity.HIGH, "DPD 13"))
    assert (after.severity, after.evidence, after.last_seen_on) == (Severity.HIGH, "DPD 13", JUNE_2)
    assert (after.opened_on, after.version) == (JUNE_1, 2)
    row = effects[0]
    assert (row.actor, row.action) == (ENGINE, "update")
    assert row.before == {"severity": "medium", "evidence": "DPD 12",
                          "last_seen_on": "2026-06-01", "version": 1}
    assert row.after == {"severity": "high", "evidence": "DPD 13",
                         "last_seen_on": "2026-06-02", "version": 2}
    assert NotifyOwner(owner=MANAGER, alert_id=alert.alert_id,
                       what="severity raised to high") in effects


def test_the_condition_clearing_does_not_close_the_alert_it_waits_for_a_person():
    alert = apply(opened(), acknowledge(opened()))
    after, effects = transition(alert, cleared(JUNE_2))
    assert (after.status, after.cleared_on, after.disposition) == (ACK, JUNE_2, None)
    assert effects[0].before == {"cleared_on": None, "version": 2}
    assert effects[1].what == "condition cleared: close it with a disposition"
    assert transition(after, cleared(JUNE_3)) == (after, ())


def test_a_condition_that_returns_before_anyone_closed_the_alert_is_no_longer_cleared():
    alert = apply(opened(), cleared(JUNE_2), fired(JUNE_3))
    assert (alert.status, alert.cleared_on, alert.last_seen_on, alert.reopened_count) == (
        OPEN, None, JUNE_3, 0)


def test_the_condition_returning_after_a_person_closed_the_alert_reopens_it():
    alert = apply(opened(), cleared(JUNE_2))
    alert = apply(alert, close(alert))
    after, effects = transition(alert, fired(JUNE_4, Severity.HIGH, "DPD 3"))
    assert (after.status, after.reopened_count, after.disposition, after.closed_by) == (
        OPEN, 1, None, None)
    assert (after.live_since, after.last_seen_on, after.severity) == (at(JUNE_4), JUNE_4,
                                                                       Severity.HIGH)
    assert after.owner == MANAGER and after.opened_on == JUNE_1
    row = effects[0]
    assert (row.actor, row.action) == (ENGINE, "reopen")
    assert (row.before["status"], row.after["status"]) == ("closed", "open")
    assert (row.before["disposition"], row.after["reopened_count"]) == ("resolved", 1)
    assert NotifyOwner(owner=MANAGER, alert_id=alert.alert_id,
                       what="reopened: the condition returned") in effects


def test_a_disposition_stands_while_the_same_condition_lasts():
    alert = opened()
    alert = apply(alert, close(alert, Disposition.FALSE_POSITIVE))
    assert transition(alert, fired(JUNE_2)) == (alert, ())
    alert = apply(alert, cleared(JUNE_3))
    assert (alert.status, alert.cleared_on) == (CLOSED, JUNE_3)
    reopened = apply(alert, fired(JUNE_4))
    assert (reopened.status, reopened.reopened_count) == (OPEN, 1)


# --- follow-up work -------------------------------------------------------------------------

@pytest.mark.parametrize(("severity", "actions", "inspection"), [
    (Severity.HIGH, (Action.INSPECT,), True),
    (Severity.CRITICAL, (Action.REMIND, Action.INSPECT), True),
    (Severity.MEDIUM, (Action.INSPECT,), False),
    (Severity.CRITICAL, (Action.REMIND,), False),
])
def test_a_high_alert_recommending_inspection_opens_a_triggered_inspection(severity, actions,
                                                                          inspection):
    _, effects = transition(None, fired(severity=severity, actions=actions))
    expected = OpenTriggeredInspection(alert_id="REPAY-OVERDUE:L1:2026-06-01", customer_id="C1",
                                       loan_id="L1")
    assert (expected in effects) is inspection


def test_an_alert_rising_to_high_opens_the_inspection_once():
    alert = opened(actions=(Action.INSPECT,))
    risen, effects = transition(alert, fired(JUNE_2, Severity.HIGH, actions=(Action.INSPECT,)))
    assert any(isinstance(e, OpenTriggeredInspection) for e in effects)
    _, effects = transition(risen, fired(JUNE_3, Severity.CRITICAL, actions=(Action.INSPECT,)))
    assert not any(isinstance(e, OpenTriggeredInspection) for e in effects)


def test_an_alert_recommending_collection_starts_a_collection_case():
    _, effects = transition(None, fired(actions=(Action.REMIND, Action.COLLECT)))
    assert StartCollection(alert_id="REPAY-OVERDUE:L1:2026-06-01", customer_id="C1",
                           loan_id="L1") in effects
    _, effects = transition(None, fired(actions=(Action.REMIND,)))
    assert not any(isinstance(e, StartCollection) for e in effects)


# --- people ---------------------------------------------------------------------------------

def test_two_people_closing_the_same_alert_the_first_wins_the_second_gets_a_conflict():
    alert = alert_that_is(WORK)
    first, second = close(alert, by=MANAGER), close(alert, Disposition.FALSE_POSITIVE, by=HEAD)
    closed, _ = transition(alert, first)
    with pytest.raises(Conflict, match="you acted on version 3, it is at version 4 now") as caught:
        transition(closed, second)
    assert (caught.value.expected, caught.value.current) == (3, 4)
    assert (closed.disposition, closed.closed_by) == (Disposition.RESOLVED, MANAGER)


def test_a_stale_version_is_a_conflict_even_for_a_harmless_comment():
    alert = opened()
    moved = apply(alert, fired(JUNE_2, Severity.HIGH))
    with pytest.raises(Conflict):
        transition(moved, comment(alert))


def test_closing_audits_the_fields_it_changes_before_and_after():
    alert = alert_that_is(WORK)
    _, (row,) = transition(alert, close(alert))
    assert (row.actor, row.action, row.at) == (MANAGER, "close", at(JUNE_2, 10))
    assert row.before == {"status": "in_progress", "disposition": None, "closed_by": None,
                          "closed_at": None, "close_comment": None, "version": 3}
    assert row.after == {"status": "closed", "disposition": "resolved", "closed_by": MANAGER,
                         "closed_at": "2026-06-02T10:00:00", "close_comment": "repaid in full",
                         "version": 4}


@pytest.mark.parametrize("how", ["escalate", "close as escalated"])
def test_escalating_closes_the_alert_and_asks_for_a_higher_review(how):
    alert = alert_that_is(ACK)
    event = escalate(alert) if how == "escalate" else Close(
        disposition=Disposition.ESCALATED, comment="borrower unreachable", by=MANAGER,
        at=at(JUNE_2), expected_version=alert.version)
    after, effects = transition(alert, event)
    assert (after.status, after.disposition) == (CLOSED, Disposition.ESCALATED)
    assert effects[0].action == "escalate"
    assert RequestReview(alert_id=alert.alert_id, requested_by=MANAGER,
                         comment="borrower unreachable") in effects


@pytest.mark.parametrize("event", [
    lambda a: Close(disposition=Disposition.RESOLVED, comment="  ", by=MANAGER, at=at(JUNE_2),
                    expected_version=a.version),
    lambda a: Escalate(comment="", by=MANAGER, at=at(JUNE_2), expected_version=a.version),
    lambda a: Comment(text="", by=MANAGER, at=at(JUNE_2), expected_version=a.version),
], ids=["close", "escalate", "comment"])
def test_closing_and_commenting_need_words(event):
    alert = alert_that_is(WORK)
    with pytest.raises(InvalidEvent, match="cannot be blank"):
        transition(alert, event(alert))


def test_reopening_by_hand_needs_a_reason_and_restarts_the_alert():
    alert = alert_that_is(CLOSED)
    with pytest.raises(InvalidEvent, match="a reason to reopen cannot be blank"):
        transition(alert, Reopen(reason="", by=HEAD, at=at(JUNE_3), expected_version=alert.version))
    after, effects = transition(alert, reopen(alert))
    assert (after.status, after.reopened_count, after.live_since) == (OPEN, 1, at(JUNE_3))
    assert after.notes[-1].text == "reopened: the repayment bounced"
    assert NotifyOwner(owner=MANAGER, alert_id=alert.alert_id, what=f"reopened by {HEAD}") in effects


def test_assigning_hands_the_alert_over_and_tells_the_new_owner():
    alert = opened()
    after, effects = transition(alert, assign(alert))
    assert after.owner == COLLEAGUE
    assert NotifyOwner(owner=COLLEAGUE, alert_id=alert.alert_id,
                       what=f"assigned to you by {HEAD}") in effects
    assert transition(after, assign(after)) == (after, ())


def test_a_comment_is_kept_even_after_closure():
    alert = alert_that_is(CLOSED)
    after = apply(alert, comment(alert))
    assert [n.text for n in after.notes] == ["called the borrower, payment promised"]


def test_every_change_is_audited_once_and_moves_the_version_by_one():
    alert, effects = transition(None, fired())
    history = [(alert, effects)]
    for event in (fired(JUNE_2, Severity.HIGH), acknowledge, start, comment, cleared(JUNE_3),
                  close, fired(JUNE_4), close, reopen):
        before = history[-1][0]
        history.append(transition(before, event(before) if callable(event) else event))
    for (before, _), (after, effects) in zip(history, history[1:], strict=False):
        assert after.version == before.version + 1
        assert sum(isinstance(e, WriteAudit) for e in effects) == 1
    assert history[-1][0].reopened_count == 2 and len(history) == 10
