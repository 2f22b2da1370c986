"""The lifecycle of an alert (预警处置) as pure transitions ``transition(alert, event) ->
(alert, effects)``: runs report that a condition fires or has cleared; people acknowledge,
work, close with a disposition and reopen. The service that stores alerts carries out the
effects (audit rows, notifications, triggered inspections, collection cases).

A run's "cleared" is not a closure: the alert waits for a person's disposition
(SIGNALS.md, "Combining signals"). A disposition stands while the same condition lasts; when
the condition clears and later fires again, the alert reopens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any, ClassVar

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.workflow.audit import WriteAudit, audit
from loanwatch.workflow.errors import IllegalTransition, InvalidEvent, check_version
from loanwatch.workflow.events import PersonEvent

#: the actor of the changes a run makes
ENGINE = "engine"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


class Disposition(StrEnum):
    """How a person closed an alert (SIGNALS.md)."""

    RESOLVED = "resolved"
    FALSE_POSITIVE = "false_positive"
    ESCALATED = "escalated"


LIVE = frozenset({AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED, AlertStatus.IN_PROGRESS})


@dataclass(frozen=True)
class Note:
    by: str
    at: dt.datetime
    text: str


@dataclass(frozen=True, kw_only=True)
class Alert:
    """One alert as the workflow sees it. ``opened_on`` is the run date it first fired;
    ``live_since`` when it (re)opened, from which its SLA counts; ``cleared_on`` the run
    date its condition stopped firing, while it waits for a person."""

    alert_id: str
    signal_id: str
    customer_id: str
    loan_id: str | None
    severity: Severity
    evidence: str
    actions: tuple[Action, ...]
    owner: str
    opened_on: dt.date
    last_seen_on: dt.date
    live_since: dt.datetime
    branch_id: str | None = None
    status: AlertStatus = AlertStatus.OPEN
    cleared_on: dt.date | None = None
    disposition: Disposition | None = None
    closed_by: str | None = None
    closed_at: dt.datetime | None = None
    close_comment: str | None = None
    notes: tuple[Note, ...] = ()
    reopened_count: int = 0
    version: int = 1


# --- events -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Fired:
    """A run found the condition at ``as_of``; the sync reported it at ``at``. The borrower's
    customer manager ``manager_id`` owns a new alert; ``branch_id`` is the loan's branch."""

    verb: ClassVar[str] = "fired"
    alert_id: str
    signal_id: str
    customer_id: str
    loan_id: str | None
    manager_id: str
    as_of: dt.date
    at: dt.datetime
    severity: Severity
    evidence: str
    actions: tuple[Action, ...] = ()
    branch_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConditionCleared:
    """A run at ``as_of`` no longer found the condition."""

    verb: ClassVar[str] = "cleared"
    as_of: dt.date
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Acknowledge(PersonEvent):
    verb: ClassVar[str] = "acknowledged"


@dataclass(frozen=True, kw_only=True)
class Assign(PersonEvent):
    verb: ClassVar[str] = "assigned"
    to: str


@dataclass(frozen=True, kw_only=True)
class StartWork(PersonEvent):
    verb: ClassVar[str] = "started"


@dataclass(frozen=True, kw_only=True)
class Comment(PersonEvent):
    verb: ClassVar[str] = "commented on"
    text: str


@dataclass(frozen=True, kw_only=True)
class Close(PersonEvent):
    verb: ClassVar[str] = "closed"
    disposition: Disposition
    comment: str


@dataclass(frozen=True, kw_only=True)
class Escalate(PersonEvent):
    """Close as escalated and ask for a higher-level review."""

    verb: ClassVar[str] = "escalated"
    comment: str


@dataclass(frozen=True, kw_only=True)
class Reopen(PersonEvent):
    verb: ClassVar[str] = "reopened"
    reason: str


AlertEvent = (Fired | ConditionCleared | Acknowledge | Assign | StartWork | Comment | Close
              | Escalate | Reopen)


# --- effects ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class NotifyOwner:
    owner: str
    alert_id: str
    what: str


@dataclass(frozen=True, kw_only=True)
class OpenTriggeredInspection:
    """A high or critical alert that recommends ``inspect`` calls for an inspection task."""

    alert_id: str
    customer_id: str
    loan_id: str | None


@dataclass(frozen=True, kw_only=True)
class StartCollection:
    """An alert that recommends ``collect`` calls for a collection case (催收)."""

    alert_id: str
    customer_id: str
    loan_id: str | None


@dataclass(frozen=True, kw_only=True)
class RequestReview:
    """An escalated alert asks for a review one level up."""

    alert_id: str
    requested_by: str
    comment: str


AlertEffect = WriteAudit | NotifyOwner | OpenTriggeredInspection | StartCollection | RequestReview
Result = tuple[Alert, tuple[AlertEffect, ...]]


def _changed(before: Alert, after: Alert, actor: str, action: str, at: dt.datetime,
             *effects: AlertEffect) -> Result:
    after = replace(after, version=before.version + 1)
    row = audit(before, after, actor=actor, action=action, entity="alert",
                entity_id=before.alert_id, at=at)
    return after, (row, *effects)


def _follow_up(alert: Alert) -> tuple[AlertEffect, ...]:
    """Work an alert calls for when it (re)opens."""
    found: list[AlertEffect] = []
    if alert.severity.rank >= Severity.HIGH.rank and Action.INSPECT in alert.actions:
        found.append(OpenTriggeredInspection(alert_id=alert.alert_id,
                                             customer_id=alert.customer_id, loan_id=alert.loan_id))
    if Action.COLLECT in alert.actions:
        found.append(StartCollection(alert_id=alert.alert_id, customer_id=alert.customer_id,
                                     loan_id=alert.loan_id))
    return tuple(found)


# --- run events ---------------------------------------------------------------------------

def _open(e: Fired) -> Result:
    alert = Alert(alert_id=e.alert_id, signal_id=e.signal_id, customer_id=e.customer_id,
                  loan_id=e.loan_id, severity=e.severity, evidence=e.evidence,
                  actions=tuple(e.actions), owner=e.manager_id, opened_on=e.as_of,
                  last_seen_on=e.as_of, live_since=e.at, branch_id=e.branch_id)
    row = audit(None, alert, actor=ENGINE, action="open", entity="alert",
                entity_id=alert.alert_id, at=e.at)
    return alert, (row, NotifyOwner(owner=alert.owner, alert_id=alert.alert_id, what="opened"),
                   *_follow_up(alert))


def _is_stale(alert: Alert, as_of: dt.date) -> bool:
    """A run older than what the alert already knows changes nothing."""
    return as_of < alert.last_seen_on or (alert.cleared_on is not None
                                          and as_of <= alert.cleared_on)


def _fired(alert: Alert | None, e: Fired) -> Result:
    if alert is None:
        return _open(e)
    if e.alert_id != alert.alert_id:
        raise InvalidEvent(f"a firing of alert {e.alert_id} applied to alert {alert.alert_id}")
    if _is_stale(alert, e.as_of):
        return alert, ()
    seen = replace(alert, severity=e.severity, evidence=e.evidence, actions=tuple(e.actions),
                   last_seen_on=e.as_of, cleared_on=None)
    if alert.status is AlertStatus.CLOSED:
        return _reopened_by_run(alert, seen, e) if alert.cleared_on else (alert, ())
    if seen == alert:
        return alert, ()
    if replace(seen, last_seen_on=alert.last_seen_on) == alert:
        # only seen again: bookkeeping, not a change of state (no audit row, same version)
        return seen, ()
    effects: list[AlertEffect] = []
    if e.severity.rank > alert.severity.rank:
        effects.append(NotifyOwner(owner=alert.owner, alert_id=alert.alert_id,
                                   what=f"severity raised to {e.severity.value}"))
        if alert.severity.rank < Severity.HIGH.rank:
            effects += [f for f in _follow_up(seen) if isinstance(f, OpenTriggeredInspection)]
    return _changed(alert, seen, ENGINE, "update", e.at, *effects)


def _reopened_by_run(alert: Alert, seen: Alert, e: Fired) -> Result:
    """The condition returned after a person closed the alert and the condition cleared."""
    reopened = _reopen_fields(seen, e.at)
    notice = NotifyOwner(owner=alert.owner, alert_id=alert.alert_id,
                         what="reopened: the condition returned")
    return _changed(alert, reopened, ENGINE, "reopen", e.at, notice, *_follow_up(reopened))


def _reopen_fields(alert: Alert, at: dt.datetime) -> Alert:
    return replace(alert, status=AlertStatus.OPEN, disposition=None, closed_by=None,
                   closed_at=None, close_comment=None, cleared_on=None, live_since=at,
                   reopened_count=alert.reopened_count + 1)


def _cleared(alert: Alert, e: ConditionCleared) -> Result:
    if alert.cleared_on is not None or e.as_of <= alert.last_seen_on:
        return alert, ()
    effects: list[AlertEffect] = []
    if alert.status in LIVE:
        effects.append(NotifyOwner(owner=alert.owner, alert_id=alert.alert_id,
                                   what="condition cleared: close it with a disposition"))
    return _changed(alert, replace(alert, cleared_on=e.as_of), ENGINE, "clear", e.at, *effects)


# --- person events ------------------------------------------------------------------------

def _required(text: str, what: str) -> str:
    if not text.strip():
        raise InvalidEvent(f"{what} cannot be blank")
    return text.strip()


def _acknowledge(alert: Alert, e: Acknowledge) -> Result:
    return _changed(alert, replace(alert, status=AlertStatus.ACKNOWLEDGED), e.by, "acknowledge",
                    e.at)


def _assign(alert: Alert, e: Assign) -> Result:
    _required(e.to, "the person to assign")
    if e.to == alert.owner:
        return alert, ()
    notice = NotifyOwner(owner=e.to, alert_id=alert.alert_id, what=f"assigned to you by {e.by}")
    return _changed(alert, replace(alert, owner=e.to), e.by, "assign", e.at, notice)


def _start(alert: Alert, e: StartWork) -> Result:
    return _changed(alert, replace(alert, status=AlertStatus.IN_PROGRESS), e.by, "start_work",
                    e.at)


def _comment(alert: Alert, e: Comment) -> Result:
    note = Note(by=e.by, at=e.at, text=_required(e.text, "a comment"))
    return _changed(alert, replace(alert, notes=(*alert.notes, note)), e.by, "comment", e.at)


def _close(alert: Alert, e: Close) -> Result:
    comment = _required(e.comment, "the comment closing an alert")
    closed = replace(alert, status=AlertStatus.CLOSED, disposition=e.disposition, closed_by=e.by,
                     closed_at=e.at, close_comment=comment)
    if e.disposition is not Disposition.ESCALATED:
        return _changed(alert, closed, e.by, "close", e.at)
    review = RequestReview(alert_id=alert.alert_id, requested_by=e.by, comment=comment)
    return _changed(alert, closed, e.by, "escalate", e.at, review)


def _escalate(alert: Alert, e: Escalate) -> Result:
    return _close(alert, Close(by=e.by, at=e.at, expected_version=e.expected_version,
                               disposition=Disposition.ESCALATED, comment=e.comment))


def _reopen(alert: Alert, e: Reopen) -> Result:
    note = Note(by=e.by, at=e.at, text=f"reopened: {_required(e.reason, 'a reason to reopen')}")
    reopened = replace(_reopen_fields(alert, e.at), notes=(*alert.notes, note))
    notice = NotifyOwner(owner=alert.owner, alert_id=alert.alert_id, what=f"reopened by {e.by}")
    return _changed(alert, reopened, e.by, "reopen", e.at, notice)


_ANY = frozenset(AlertStatus)
# event -> (the states it may happen in, its transition)
_PERSON: dict[type, tuple[frozenset[AlertStatus], Callable[[Alert, Any], Result]]] = {
    Acknowledge: (frozenset({AlertStatus.OPEN}), _acknowledge),
    Assign: (LIVE, _assign),
    StartWork: (frozenset({AlertStatus.ACKNOWLEDGED}), _start),
    Comment: (_ANY, _comment),
    Close: (LIVE, _close),
    Escalate: (LIVE, _escalate),
    Reopen: (frozenset({AlertStatus.CLOSED}), _reopen),
}


def _hint(alert: Alert, event: object) -> str | None:
    if alert.status is AlertStatus.CLOSED:
        return "reopen it first"
    if isinstance(event, Reopen):
        return "it has not been closed"
    if isinstance(event, StartWork) and alert.status is AlertStatus.OPEN:
        return "acknowledge it first"
    if isinstance(event, Acknowledge | StartWork):
        return f"it is {alert.status.value.replace('_', ' ')} already"
    return None


def transition(alert: Alert | None, event: AlertEvent) -> Result:
    """The alert after ``event`` and the effects the service must carry out.

    ``alert`` is ``None`` before the first firing. Raises ``Conflict`` when a person acted on
    an old version, ``IllegalTransition`` when the event cannot happen in the alert's state,
    ``InvalidEvent`` when a required comment or reason is blank.
    """
    if isinstance(event, Fired):
        return _fired(alert, event)
    if alert is None:
        raise IllegalTransition("absent", event, hint="it has not fired yet")
    if isinstance(event, ConditionCleared):
        return _cleared(alert, event)
    allowed, apply = _PERSON[type(event)]
    check_version("alert", alert.alert_id, event.expected_version, alert.version)
    if alert.status not in allowed:
        raise IllegalTransition(alert.status, event, hint=_hint(alert, event))
    return apply(alert, event)
