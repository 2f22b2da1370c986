"""Post-loan actions (贷后处置: a reminder, a frozen line, an early recall, a repayment plan,
asset preservation, a write-off) as pure transitions ``transition(action, event,
approvals=...) -> (action, effects)``.

A maker proposes an action; the kinds the policy names wait for a checker — never the maker —
to approve or reject them (双人复核), the others are approved as proposed. An approved action
is executed, or cancelled before it is; executing it is an effect the service carries out.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any, ClassVar

from loanwatch.policy.workflow import ActionKind, ApprovalPolicy
from loanwatch.workflow.audit import WriteAudit, audit
from loanwatch.workflow.errors import IllegalTransition, InvalidEvent, SelfApproval, check_version
from loanwatch.workflow.events import PersonEvent

DEFAULT_APPROVALS = ApprovalPolicy()
#: kinds that act on one loan: proposing one without a loan is refused
NEEDS_LOAN = frozenset({ActionKind.EARLY_RECALL, ActionKind.REPAYMENT_PLAN, ActionKind.WRITE_OFF})


class ActionStatus(StrEnum):
    PROPOSED = "proposed"  # waiting for a checker
    APPROVED = "approved"
    REJECTED = "rejected"
    EXECUTED = "executed"
    CANCELLED = "cancelled"


FINISHED = frozenset({ActionStatus.REJECTED, ActionStatus.EXECUTED, ActionStatus.CANCELLED})


@dataclass(frozen=True, kw_only=True)
class PlanInstallment:
    """One installment of the new schedule a repayment plan proposes (yuan)."""

    seq: int
    due_on: dt.date
    principal: Decimal
    interest: Decimal


@dataclass(frozen=True, kw_only=True)
class LoanAction:
    """One action on a borrower or loan. ``details`` are (key, value) pairs such as the
    amount or a new end date; ``plan`` is the new schedule of a repayment plan, else empty."""

    action_id: str
    kind: ActionKind
    customer_id: str
    loan_id: str | None
    reason: str
    details: tuple[tuple[str, str], ...] = ()
    plan: tuple[PlanInstallment, ...] = ()
    alert_id: str | None = None
    proposed_by: str
    proposed_at: dt.datetime
    needs_approval: bool
    status: ActionStatus
    checked_by: str | None = None
    checked_at: dt.datetime | None = None
    check_comment: str | None = None
    executed_by: str | None = None
    executed_at: dt.datetime | None = None
    cancelled_by: str | None = None
    cancelled_at: dt.datetime | None = None
    cancel_reason: str | None = None
    version: int = 1


# --- events -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Propose:
    """A maker proposes an action, often from an alert that recommends it."""

    verb: ClassVar[str] = "proposed"
    action_id: str
    kind: ActionKind
    customer_id: str
    loan_id: str | None
    reason: str
    details: tuple[tuple[str, str], ...] = ()
    plan: tuple[PlanInstallment, ...] = ()
    alert_id: str | None = None
    by: str
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Approve(PersonEvent):
    verb: ClassVar[str] = "approved"
    comment: str = ""


@dataclass(frozen=True, kw_only=True)
class Reject(PersonEvent):
    verb: ClassVar[str] = "rejected"
    comment: str


@dataclass(frozen=True, kw_only=True)
class Execute(PersonEvent):
    verb: ClassVar[str] = "executed"


@dataclass(frozen=True, kw_only=True)
class Cancel(PersonEvent):
    verb: ClassVar[str] = "cancelled"
    reason: str


ActionEvent = Propose | Approve | Reject | Execute | Cancel


# --- effects ------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class NotifyChecker:
    """An action waits for a checker's approval."""

    action_id: str


@dataclass(frozen=True, kw_only=True)
class NotifyMaker:
    action_id: str
    what: str


@dataclass(frozen=True, kw_only=True)
class SendReminder:
    """还款提醒 to the borrower."""

    customer_id: str
    loan_id: str | None


@dataclass(frozen=True, kw_only=True)
class FreezeLine:
    """Stop drawdowns (停止放款 / 冻结额度) on the loan, or on every line of the borrower."""

    customer_id: str
    loan_id: str | None


@dataclass(frozen=True, kw_only=True)
class RecallLoan:
    """Declare the loan due now (提前收回)."""

    loan_id: str


@dataclass(frozen=True, kw_only=True)
class ApplyRepaymentPlan:
    """Replace the loan's remaining schedule with the approved plan."""

    loan_id: str
    plan: tuple[PlanInstallment, ...]


@dataclass(frozen=True, kw_only=True)
class PrepareLitigation:
    """Asset preservation (诉前保全): gather the borrower's assets and open a legal case."""

    customer_id: str
    loan_id: str | None


@dataclass(frozen=True, kw_only=True)
class ProposeWriteOff:
    """Put the loan forward for write-off (核销), which has its own approval outside this app."""

    loan_id: str


Execution = SendReminder | FreezeLine | RecallLoan | ApplyRepaymentPlan | PrepareLitigation | ProposeWriteOff
ActionEffect = WriteAudit | NotifyChecker | NotifyMaker | Execution
Result = tuple[LoanAction, tuple[ActionEffect, ...]]


def _changed(before: LoanAction, after: LoanAction, actor: str, action: str, at: dt.datetime,
             *effects: ActionEffect) -> Result:
    after = replace(after, version=before.version + 1)
    row = audit(before, after, actor=actor, action=action, entity="loan_action",
                entity_id=before.action_id, at=at)
    return after, (row, *effects)


def _required(text: str, what: str) -> str:
    if not text.strip():
        raise InvalidEvent(f"{what} cannot be blank")
    return text.strip()


# --- checking a proposal ------------------------------------------------------------------

def _money(value: object, what: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidEvent(f"{what} must be a finite Decimal, not {value!r}")
    if value < 0:
        raise InvalidEvent(f"{what} cannot be negative ({value})")
    return value


def check_plan(plan: tuple[PlanInstallment, ...]) -> tuple[PlanInstallment, ...]:
    """The plan if it is a schedule: numbered 1, 2, 3… in order, due dates increasing, no
    negative amounts and some principal repaid; else ``InvalidEvent`` saying what is wrong."""
    if not plan:
        raise InvalidEvent("a repayment plan needs at least one installment")
    numbers = [i.seq for i in plan]
    if numbers != list(range(1, len(plan) + 1)):
        raise InvalidEvent("installments must be numbered 1, 2, 3… in order; found "
                           f"{', '.join(map(str, numbers))}")
    for earlier, later in pairwise(plan):
        if later.due_on <= earlier.due_on:
            raise InvalidEvent(f"installment {later.seq} is due {later.due_on.isoformat()}, not "
                               f"after installment {earlier.seq} ({earlier.due_on.isoformat()})")
    for i in plan:
        _money(i.principal, f"the principal of installment {i.seq}")
        _money(i.interest, f"the interest of installment {i.seq}")
    if sum(i.principal for i in plan) <= 0:
        raise InvalidEvent("a repayment plan must repay some principal; its principal totals 0")
    return tuple(plan)


def _details(pairs: tuple[tuple[str, str], ...]) -> tuple[tuple[str, str], ...]:
    keys = [_required(key, "the name of a detail") for key, _ in pairs]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise InvalidEvent(f"details given twice: {', '.join(twice)}")
    return tuple((k, _required(v, f"detail {k}")) for k, (_, v) in zip(keys, pairs, strict=True))


def _plan_of(e: Propose) -> tuple[PlanInstallment, ...]:
    if e.kind is ActionKind.REPAYMENT_PLAN:
        return check_plan(e.plan)
    if e.plan:
        raise InvalidEvent(f"only a repayment_plan action carries a plan, not {e.kind.value}")
    return ()


# --- transitions --------------------------------------------------------------------------

def _propose(e: Propose, approvals: ApprovalPolicy) -> Result:
    if e.kind in NEEDS_LOAN and not e.loan_id:
        raise InvalidEvent(f"an action of kind {e.kind.value} needs a loan")
    needs_approval = e.kind in approvals.maker_checker
    action = LoanAction(
        action_id=e.action_id, kind=e.kind, customer_id=e.customer_id, loan_id=e.loan_id,
        reason=_required(e.reason, "the reason for an action"), details=_details(e.details),
        plan=_plan_of(e), alert_id=e.alert_id, proposed_by=e.by, proposed_at=e.at,
        needs_approval=needs_approval,
        status=ActionStatus.PROPOSED if needs_approval else ActionStatus.APPROVED)
    row = audit(None, action, actor=e.by, action="propose", entity="loan_action",
                entity_id=action.action_id, at=e.at)
    return action, (row, *([NotifyChecker(action_id=action.action_id)] if needs_approval else []))


def _not_the_maker(action: LoanAction, e: Approve | Reject) -> None:
    if e.by == action.proposed_by:
        raise SelfApproval(f"{e.by} proposed action {action.action_id} and cannot check it too; "
                           "a second person must approve or reject it")


def _approve(action: LoanAction, e: Approve) -> Result:
    _not_the_maker(action, e)
    approved = replace(action, status=ActionStatus.APPROVED, checked_by=e.by, checked_at=e.at,
                       check_comment=e.comment.strip() or None)
    notice = NotifyMaker(action_id=action.action_id, what=f"approved by {e.by}")
    return _changed(action, approved, e.by, "approve", e.at, notice)


def _reject(action: LoanAction, e: Reject) -> Result:
    _not_the_maker(action, e)
    comment = _required(e.comment, "the comment rejecting an action")
    rejected = replace(action, status=ActionStatus.REJECTED, checked_by=e.by, checked_at=e.at,
                       check_comment=comment)
    notice = NotifyMaker(action_id=action.action_id, what=f"rejected by {e.by}: {comment}")
    return _changed(action, rejected, e.by, "reject", e.at, notice)


def execution(action: LoanAction) -> Execution:
    """What executing ``action`` asks the service to do."""
    customer, loan = action.customer_id, action.loan_id
    match action.kind:
        case ActionKind.REMINDER:
            return SendReminder(customer_id=customer, loan_id=loan)
        case ActionKind.FREEZE_LINE:
            return FreezeLine(customer_id=customer, loan_id=loan)
        case ActionKind.EARLY_RECALL:
            return RecallLoan(loan_id=str(loan))
        case ActionKind.REPAYMENT_PLAN:
            return ApplyRepaymentPlan(loan_id=str(loan), plan=action.plan)
        case ActionKind.ASSET_PRESERVATION:
            return PrepareLitigation(customer_id=customer, loan_id=loan)
        case ActionKind.WRITE_OFF:
            return ProposeWriteOff(loan_id=str(loan))
    raise AssertionError(f"no execution for {action.kind}")  # a new ActionKind needs one


def _execute(action: LoanAction, e: Execute) -> Result:
    executed = replace(action, status=ActionStatus.EXECUTED, executed_by=e.by, executed_at=e.at)
    return _changed(action, executed, e.by, "execute", e.at, execution(action))


def _cancel(action: LoanAction, e: Cancel) -> Result:
    reason = _required(e.reason, "the reason to cancel an action")
    cancelled = replace(action, status=ActionStatus.CANCELLED, cancelled_by=e.by,
                        cancelled_at=e.at, cancel_reason=reason)
    notice = NotifyMaker(action_id=action.action_id, what=f"cancelled by {e.by}: {reason}")
    return _changed(action, cancelled, e.by, "cancel", e.at,
                    *(() if e.by == action.proposed_by else (notice,)))


_PROPOSED = frozenset({ActionStatus.PROPOSED})
# event -> (the states it may happen in, its transition)
_PERSON: dict[type, tuple[frozenset[ActionStatus], Callable[[LoanAction, Any], Result]]] = {
    Approve: (_PROPOSED, _approve),
    Reject: (_PROPOSED, _reject),
    Execute: (frozenset({ActionStatus.APPROVED}), _execute),
    Cancel: (frozenset({ActionStatus.PROPOSED, ActionStatus.APPROVED}), _cancel),
}


def _hint(action: LoanAction, event: object) -> str:
    if action.status in FINISHED:
        return "it is finished; propose a new action instead"
    if action.status is ActionStatus.PROPOSED:
        return "a checker must approve it first"
    if not action.needs_approval:
        return "it needs no approval; execute or cancel it"
    # approved: only a checker's answer comes too late
    if isinstance(event, Reject):
        return "it is approved already; cancel it instead"
    return "it is approved already"


def transition(action: LoanAction | None, event: ActionEvent, *,
               approvals: ApprovalPolicy = DEFAULT_APPROVALS) -> Result:
    """The action after ``event`` and the effects the service must carry out.

    ``action`` is ``None`` before ``Propose``; ``approvals`` says which kinds wait for a
    checker. Raises ``Conflict`` when a person acted on an old version, ``SelfApproval`` when
    the maker checks their own proposal, ``IllegalTransition`` when the event cannot happen in
    the action's state, ``InvalidEvent`` when it is incomplete or the plan is no schedule.
    """
    if isinstance(event, Propose):
        if action is not None:
            raise IllegalTransition(action.status, event, subject="action",
                                    hint="it exists already")
        return _propose(event, approvals)
    if action is None:
        raise IllegalTransition("absent", event, subject="action", hint="propose it first")
    allowed, apply = _PERSON[type(event)]
    check_version("action", action.action_id, event.expected_version, action.version)
    if action.status not in allowed:
        raise IllegalTransition(action.status, event, subject="action",
                                hint=_hint(action, event))
    return apply(action, event)
