"""The lifecycle of a collection case (催收) as pure transitions ``transition(case, event,
policy=...) -> (case, effects)``: runs open a case for a delinquent loan, update its figures every
day and close it when the loan is current again (cured); collectors log contacts, take
promises to pay (承诺还款), and close or reopen it. Plus the pure helpers around it: the
strategy of a bucket, the expected loss that orders the work queue, and recovery figures.

Promises are judged on the money the runs report: each run's ``paid_since_last`` counts
toward the pending promises made on or before the run's date whose window (through
``due_on`` + grace days) is still open, earliest due first. A promise is kept as soon as the
money reaches its amount and broken at the first run on or after its window's last day that
finds it short. The engine runs daily; a skipped run's money counts on the next run's date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar

from loanwatch.policy.workflow import Channel, CollectionPolicy
from loanwatch.workflow.audit import WriteAudit, audit
from loanwatch.workflow.errors import IllegalTransition, InvalidEvent, check_version
from loanwatch.workflow.events import PersonEvent

#: the actor of the changes a run makes
ENGINE = "engine"
SUBJECT = "collection case"
DEFAULT_POLICY = CollectionPolicy()
ZERO = Decimal("0")
CENT = Decimal("0.01")


class CaseStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    PROMISED = "promised"  # a promise to pay is pending
    CLOSED = "closed"


LIVE = frozenset({CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.PROMISED})


class Outcome(StrEnum):
    """How a case ended."""

    CURED = "cured"  # back to current
    SETTLED = "settled"  # the loan paid off
    RESTRUCTURED = "restructured"
    TRANSFERRED_LEGAL = "transferred_legal"
    WRITTEN_OFF = "written_off"
    UNCOLLECTABLE = "uncollectable"


class ContactResult(StrEnum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    REFUSED = "refused"
    PROMISED = "promised"
    PAID = "paid"


class PromiseStatus(StrEnum):
    PENDING = "pending"
    KEPT = "kept"
    BROKEN = "broken"


@dataclass(frozen=True)
class Contact:
    channel: Channel
    result: ContactResult
    note: str
    by: str
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Promise:
    """A promise to pay ``amount`` by ``due_on``; ``received`` is the money the runs counted
    toward it while it was pending, ``settled_on`` the run date that judged it."""

    amount: Decimal
    due_on: dt.date
    made_by: str
    made_at: dt.datetime
    status: PromiseStatus = PromiseStatus.PENDING
    received: Decimal = ZERO
    settled_on: dt.date | None = None


@dataclass(frozen=True, kw_only=True)
class CollectionCase:
    """One case for one delinquent loan. The figures (``bucket`` to ``strategy``) are those of
    the run of ``last_seen_on``; ``recovered`` is the money received since the case opened."""

    case_id: str
    loan_id: str
    customer_id: str
    owner: str
    opened_on: dt.date
    last_seen_on: dt.date
    bucket: str
    dpd: int
    overdue_amount: Decimal
    outstanding: Decimal
    expected_loss: Decimal
    strategy: tuple[Channel, ...]
    status: CaseStatus = CaseStatus.OPEN
    contacts: tuple[Contact, ...] = ()
    promises: tuple[Promise, ...] = ()
    recovered: Decimal = ZERO
    outcome: Outcome | None = None
    closed_by: str | None = None
    closed_at: dt.datetime | None = None
    close_comment: str | None = None
    reopen_reason: str | None = None
    alert_id: str | None = None
    version: int = 1


# --- events -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class OpenCase:
    """The run of ``as_of`` found the loan delinquent; collector ``owner`` gets the case."""

    verb: ClassVar[str] = "opened"
    case_id: str
    loan_id: str
    customer_id: str
    owner: str
    as_of: dt.date
    at: dt.datetime
    bucket: str
    dpd: int
    overdue_amount: Decimal
    outstanding: Decimal
    expected_loss: Decimal
    strategy: tuple[Channel, ...]
    alert_id: str | None = None


@dataclass(frozen=True, kw_only=True)
class Delinquency:
    """The run of ``as_of`` still finds the loan delinquent, with these figures; the borrower
    paid ``paid_since_last`` since the previous run."""

    verb: ClassVar[str] = "updated"
    as_of: dt.date
    at: dt.datetime
    bucket: str
    dpd: int
    overdue_amount: Decimal
    outstanding: Decimal
    expected_loss: Decimal
    strategy: tuple[Channel, ...]
    paid_since_last: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class Cured:
    """The run of ``as_of`` finds the loan current (DPD 0) after ``paid_since_last``."""

    verb: ClassVar[str] = "cured"
    as_of: dt.date
    at: dt.datetime
    paid_since_last: Decimal = ZERO


@dataclass(frozen=True, kw_only=True)
class Assign(PersonEvent):
    verb: ClassVar[str] = "assigned"
    to: str


@dataclass(frozen=True, kw_only=True)
class LogContact(PersonEvent):
    verb: ClassVar[str] = "given a contact"
    channel: Channel
    result: ContactResult
    note: str = ""


@dataclass(frozen=True, kw_only=True)
class PromiseToPay(PersonEvent):
    verb: ClassVar[str] = "given a promise to pay"
    amount: Decimal
    due_on: dt.date


@dataclass(frozen=True, kw_only=True)
class Close(PersonEvent):
    verb: ClassVar[str] = "closed"
    outcome: Outcome
    comment: str


@dataclass(frozen=True, kw_only=True)
class Reopen(PersonEvent):
    verb: ClassVar[str] = "reopened"
    reason: str


CaseEvent = OpenCase | Delinquency | Cured | Assign | LogContact | PromiseToPay | Close | Reopen


# --- effects ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class NotifyCollector:
    owner: str
    case_id: str
    what: str


CaseEffect = WriteAudit | NotifyCollector
Result = tuple[CollectionCase, tuple[CaseEffect, ...]]


def _changed(before: CollectionCase, after: CollectionCase, actor: str, action: str,
             at: dt.datetime, *effects: CaseEffect) -> Result:
    after = replace(after, version=before.version + 1)
    row = audit(before, after, actor=actor, action=action, entity="collection_case",
                entity_id=before.case_id, at=at)
    return after, (row, *effects)


def _required(text: str, what: str) -> str:
    if not text.strip():
        raise InvalidEvent(f"{what} cannot be blank")
    return text.strip()


def _notify(case: CollectionCase, what: str, owner: str | None = None) -> NotifyCollector:
    return NotifyCollector(owner=owner or case.owner, case_id=case.case_id, what=what)


def _working_status(case: CollectionCase) -> CaseStatus:
    """The live status the promises and contacts call for."""
    if any(p.status is PromiseStatus.PENDING for p in case.promises):
        return CaseStatus.PROMISED
    return CaseStatus.IN_PROGRESS if case.contacts else CaseStatus.OPEN


# --- promises -----------------------------------------------------------------------------

def _window_open(p: Promise, as_of: dt.date, grace_days: int) -> bool:
    return (p.status is PromiseStatus.PENDING
            and p.made_at.date() <= as_of <= p.due_on + dt.timedelta(days=grace_days))


def settle_promises(promises: Sequence[Promise], as_of: dt.date, paid: Decimal,
                    grace_days: int) -> tuple[Promise, ...]:
    """The promises after the run of ``as_of`` reported ``paid``: the money goes to the pending
    promises whose window is open, earliest due first, each up to its amount; a pending
    promise is kept once fully paid and broken when its window closes short."""
    left, counted = paid, dict[int, Decimal]()
    for i in sorted((i for i, p in enumerate(promises) if _window_open(p, as_of, grace_days)),
                    key=lambda i: (promises[i].due_on, promises[i].made_at)):
        share = min(left, promises[i].amount - promises[i].received)
        counted[i], left = promises[i].received + share, left - share
    return tuple(_judged(replace(p, received=counted.get(i, p.received)), as_of, grace_days)
                 for i, p in enumerate(promises))


def _judged(p: Promise, as_of: dt.date, grace_days: int) -> Promise:
    if p.status is not PromiseStatus.PENDING:
        return p
    if p.received >= p.amount:
        return replace(p, status=PromiseStatus.KEPT, settled_on=as_of)
    if as_of >= p.due_on + dt.timedelta(days=grace_days):
        return replace(p, status=PromiseStatus.BROKEN, settled_on=as_of)
    return p


def _broken_notices(case: CollectionCase, before: Sequence[Promise],
                    after: Sequence[Promise]) -> list[CaseEffect]:
    return [_notify(case, f"promise of {p.amount} due {p.due_on.isoformat()} broken: "
                          f"{p.received} received")
            for old, p in zip(before, after, strict=True)
            if old.status is PromiseStatus.PENDING and p.status is PromiseStatus.BROKEN]


# --- run events ---------------------------------------------------------------------------

def _paid(amount: Decimal) -> Decimal:
    if amount < 0:
        raise InvalidEvent(f"the money paid since the last run cannot be negative ({amount})")
    return amount


def _open(e: OpenCase) -> Result:
    case = CollectionCase(case_id=e.case_id, loan_id=e.loan_id, customer_id=e.customer_id,
                          owner=e.owner, opened_on=e.as_of, last_seen_on=e.as_of,
                          bucket=e.bucket, dpd=e.dpd, overdue_amount=e.overdue_amount,
                          outstanding=e.outstanding, expected_loss=e.expected_loss,
                          strategy=tuple(e.strategy), alert_id=e.alert_id)
    row = audit(None, case, actor=ENGINE, action="open", entity="collection_case",
                entity_id=case.case_id, at=e.at)
    return case, (row, _notify(case, f"new case: {e.bucket}, DPD {e.dpd}, "
                                     f"overdue {e.overdue_amount}"))


def _delinquency(case: CollectionCase, e: Delinquency, policy: CollectionPolicy) -> Result:
    promises = settle_promises(case.promises, e.as_of, _paid(e.paid_since_last),
                               policy.promise_grace_days)
    seen = replace(case, last_seen_on=e.as_of, bucket=e.bucket, dpd=e.dpd,
                   overdue_amount=e.overdue_amount, outstanding=e.outstanding,
                   expected_loss=e.expected_loss, strategy=tuple(e.strategy),
                   recovered=case.recovered + e.paid_since_last, promises=promises)
    seen = replace(seen, status=_working_status(seen))
    effects = _broken_notices(case, case.promises, promises)
    if e.bucket != case.bucket and e.dpd > case.dpd and seen.strategy != case.strategy:
        effects.append(_notify(case, f"escalated to {e.bucket} (DPD {e.dpd}): "
                                     f"{', '.join(seen.strategy)}"))
    if not effects and (seen.status, seen.bucket, seen.promises) == (
            case.status, case.bucket, case.promises):
        # the day's figures only (DPD, amounts, money received): bookkeeping, not a change of
        # state, so no audit row and the same version (a collector's open form stays valid)
        return seen, ()
    return _changed(case, seen, ENGINE, "update", e.at, *effects)


def _cured(case: CollectionCase, e: Cured, policy: CollectionPolicy) -> Result:
    """Promises still pending are kept: the loan is current before their window closed."""
    promises = settle_promises(case.promises, e.as_of, _paid(e.paid_since_last),
                               policy.promise_grace_days)
    effects = _broken_notices(case, case.promises, promises)
    promises = tuple(replace(p, status=PromiseStatus.KEPT, settled_on=e.as_of)
                     if p.status is PromiseStatus.PENDING else p for p in promises)
    closed = replace(case, last_seen_on=e.as_of, promises=promises,
                     recovered=case.recovered + e.paid_since_last, status=CaseStatus.CLOSED,
                     outcome=Outcome.CURED, closed_by=ENGINE, closed_at=e.at,
                     close_comment=f"back to current on {e.as_of.isoformat()}")
    return _changed(case, closed, ENGINE, "cure", e.at, *effects, _notify(case, "cured"))


# --- person events ------------------------------------------------------------------------

def _assign(case: CollectionCase, e: Assign, policy: CollectionPolicy) -> Result:
    to = _required(e.to, "the collector to assign")
    if to == case.owner:
        return case, ()
    notice = _notify(case, f"assigned to you by {e.by}", owner=to)
    return _changed(case, replace(case, owner=to), e.by, "assign", e.at, notice)


def _contact(case: CollectionCase, e: LogContact, policy: CollectionPolicy) -> Result:
    contact = Contact(channel=e.channel, result=e.result, note=e.note.strip(), by=e.by, at=e.at)
    worked = replace(case, contacts=(*case.contacts, contact))
    return _changed(case, replace(worked, status=_working_status(worked)), e.by, "log_contact",
                    e.at)


def _promise(case: CollectionCase, e: PromiseToPay, policy: CollectionPolicy) -> Result:
    if e.amount <= 0:
        raise InvalidEvent(f"a promise to pay must be for a positive amount, not {e.amount}")
    made_on = e.at.date()
    latest = made_on + dt.timedelta(days=policy.promise_max_days)
    if not made_on < e.due_on <= latest:
        raise InvalidEvent(f"a promise to pay made on {made_on.isoformat()} must fall due after "
                           f"it and by {latest.isoformat()}, not on {e.due_on.isoformat()}")
    promise = Promise(amount=e.amount, due_on=e.due_on, made_by=e.by, made_at=e.at)
    promised = replace(case, promises=(*case.promises, promise), status=CaseStatus.PROMISED)
    return _changed(case, promised, e.by, "promise_to_pay", e.at)


def _close(case: CollectionCase, e: Close, policy: CollectionPolicy) -> Result:
    """Pending promises stay pending: nobody judged them."""
    closed = replace(case, status=CaseStatus.CLOSED, outcome=e.outcome, closed_by=e.by,
                     closed_at=e.at,
                     close_comment=_required(e.comment, "the comment closing a collection case"))
    notices = () if e.by == case.owner else (_notify(case, f"closed by {e.by}: {e.outcome}"),)
    return _changed(case, closed, e.by, "close", e.at, *notices)


def _reopen(case: CollectionCase, e: Reopen, policy: CollectionPolicy) -> Result:
    reason = _required(e.reason, "a reason to reopen")
    reopened = replace(case, outcome=None, closed_by=None, closed_at=None, close_comment=None,
                       reopen_reason=reason)
    reopened = replace(reopened, status=_working_status(reopened))
    notice = _notify(case, f"reopened by {e.by}: {reason}")
    return _changed(case, reopened, e.by, "reopen", e.at, notice)


_WORKING = frozenset({CaseStatus.IN_PROGRESS, CaseStatus.PROMISED})
_Apply = Callable[[CollectionCase, Any, CollectionPolicy], Result]
# event -> (the states it may happen in, its transition)
_PERSON: dict[type, tuple[frozenset[CaseStatus], _Apply]] = {
    Assign: (LIVE, _assign),
    LogContact: (LIVE, _contact),
    PromiseToPay: (_WORKING, _promise),
    Close: (LIVE, _close),
    Reopen: (frozenset({CaseStatus.CLOSED}), _reopen),
}
_RUN: dict[type, _Apply] = {Delinquency: _delinquency, Cured: _cured}


def _hint(case: CollectionCase, event: object) -> str | None:
    if case.status is CaseStatus.CLOSED:
        return "reopen it first"
    if isinstance(event, Reopen):
        return "it has not been closed"
    if isinstance(event, PromiseToPay) and case.status is CaseStatus.OPEN:
        return "log a contact with the borrower first"
    return None


def transition(case: CollectionCase | None, event: CaseEvent, *,
               policy: CollectionPolicy = DEFAULT_POLICY) -> Result:
    """The case after ``event`` and the effects the service must carry out.

    ``case`` is ``None`` before ``OpenCase``. A run older than or as old as the case's
    figures, or a run on a closed case, changes nothing. Raises ``Conflict`` when a person
    acted on an old version, ``IllegalTransition`` when the event cannot happen in the case's
    state, ``InvalidEvent`` when a comment or reason is blank or a promise is out of bounds.
    """
    if isinstance(event, OpenCase):
        if case is not None:
            raise IllegalTransition(case.status, event, subject=SUBJECT, hint="it exists already")
        return _open(event)
    if case is None:
        raise IllegalTransition("absent", event, subject=SUBJECT, hint="open it first")
    if isinstance(event, Delinquency | Cured):
        if case.status is CaseStatus.CLOSED or event.as_of <= case.last_seen_on:
            return case, ()
        return _RUN[type(event)](case, event, policy)
    allowed, apply = _PERSON[type(event)]
    check_version(SUBJECT, case.case_id, event.expected_version, case.version)
    if case.status not in allowed:
        raise IllegalTransition(case.status, event, subject=SUBJECT, hint=_hint(case, event))
    return apply(case, event, policy)
