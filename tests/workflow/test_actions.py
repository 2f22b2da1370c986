"""A post-loan action (贷后处置) is proposed by a maker, approved or rejected by a checker who
is someone else (双人复核) when the policy asks for it, then executed or cancelled; executing
it hands the service one effect per kind."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from loanwatch.policy.workflow import ActionKind, ApprovalPolicy
from loanwatch.workflow.actions import (
    ActionStatus,
    ApplyRepaymentPlan,
    Approve,
    Cancel,
    Execute,
    FreezeLine,
    LoanAction,
    NotifyChecker,
    NotifyMaker,
    PlanInstallment,
    PrepareLitigation,
    Propose,
    ProposeWriteOff,
    RecallLoan,
    Reject,
    SendReminder,
    check_plan,
    transition,
)
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import (
    Conflict,
    IllegalTransition,
    InvalidEvent,
    SelfApproval,
    WorkflowError,
)

MAKER, CHECKER, OTHER_CHECKER, HEAD = "mgr-wang", "risk-li", "risk-chen", "head-zhao"


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 8, day, hour)


def installment(seq: int, due_on: dt.date, principal: str = "50000.00",
                interest: str = "1200.00") -> PlanInstallment:
    return PlanInstallment(seq=seq, due_on=due_on, principal=Decimal(principal),
                           interest=Decimal(interest))


#: three quarterly installments instead of the bullet repayment of loan L1
PLAN = (installment(1, dt.date(2026, 9, 30)), installment(2, dt.date(2026, 12, 31)),
        installment(3, dt.date(2027, 3, 31), interest="0"))


def propose(kind: ActionKind = ActionKind.FREEZE_LINE, *, loan_id: str | None = "L1",
            plan: tuple[PlanInstallment, ...] = (), reason: str = "funds diverted to property",
            details: tuple[tuple[str, str], ...] = ()) -> Propose:
    return Propose(action_id="A1", kind=kind, customer_id="C1", loan_id=loan_id, reason=reason,
                   details=details, plan=plan, alert_id="FUND-DIVERT:L1:2026-08-01", by=MAKER,
                   at=at(1))


def proposed(kind: ActionKind = ActionKind.FREEZE_LINE, **kw) -> LoanAction:
    action, _ = transition(None, propose(kind, **kw))
    return action


def apply(action: LoanAction, *events) -> LoanAction:
    for event in events:
        action, _ = transition(action, event)
    return action


def approve(a: LoanAction, by: str = CHECKER) -> Approve:
    return Approve(comment="agreed: diversion confirmed on site", by=by, at=at(2),
                   expected_version=a.version)


def reject(a: LoanAction, by: str = CHECKER) -> Reject:
    return Reject(comment="evidence too thin; inspect first", by=by, at=at(2),
                  expected_version=a.version)


def execute(a: LoanAction, by: str = MAKER) -> Execute:
    return Execute(by=by, at=at(3), expected_version=a.version)


def cancel(a: LoanAction, by: str = HEAD) -> Cancel:
    return Cancel(reason="borrower repaid in full", by=by, at=at(3), expected_version=a.version)


PROPOSED, APPROVED, REJECTED, EXECUTED, CANCELLED = (
    ActionStatus.PROPOSED, ActionStatus.APPROVED, ActionStatus.REJECTED, ActionStatus.EXECUTED,
    ActionStatus.CANCELLED)
ILLEGAL = IllegalTransition


def action_that_is(status: ActionStatus) -> LoanAction:
    """A line freeze (maker–checker by default) in ``status``."""
    action = proposed()
    steps = {PROPOSED: [], APPROVED: [approve], REJECTED: [reject],
             EXECUTED: [approve, execute], CANCELLED: [cancel]}[status]
    for step in steps:
        action = apply(action, step(action))
    assert action.status is status
    return action


# (state, event, the state after it or the error)
TABLE = [
    (PROPOSED, approve, APPROVED), (APPROVED, approve, ILLEGAL), (REJECTED, approve, ILLEGAL),
    (EXECUTED, approve, ILLEGAL), (CANCELLED, approve, ILLEGAL),
    (PROPOSED, reject, REJECTED), (APPROVED, reject, ILLEGAL), (REJECTED, reject, ILLEGAL),
    (EXECUTED, reject, ILLEGAL), (CANCELLED, reject, ILLEGAL),
    (PROPOSED, execute, ILLEGAL), (APPROVED, execute, EXECUTED), (REJECTED, execute, ILLEGAL),
    (EXECUTED, execute, ILLEGAL), (CANCELLED, execute, ILLEGAL),
    (PROPOSED, cancel, CANCELLED), (APPROVED, cancel, CANCELLED), (REJECTED, cancel, ILLEGAL),
    (EXECUTED, cancel, ILLEGAL), (CANCELLED, cancel, ILLEGAL),
]


@pytest.mark.parametrize(("state", "event", "expected"), TABLE,
                         ids=[f"{s.value}-{e.__name__}" for s, e, _ in TABLE])
def test_transition_table(state, event, expected):
    action = action_that_is(state)
    if expected is ILLEGAL:
        with pytest.raises(IllegalTransition, match=f"^an action that is {state.value} cannot "):
            transition(action, event(action))
        return
    after, effects = transition(action, event(action))
    assert after.status is expected
    assert after.version == action.version + 1
    audits = [e for e in effects if isinstance(e, WriteAudit)]
    assert len(audits) == 1
    assert (audits[0].actor, audits[0].entity, audits[0].entity_id) == (event(action).by,
                                                                         "loan_action", "A1")
    assert audits[0].after["status"] == expected.value


@pytest.mark.parametrize("state", list(ActionStatus))
def test_proposing_an_action_that_exists_is_illegal(state):
    with pytest.raises(IllegalTransition) as caught:
        transition(action_that_is(state), propose())
    assert str(caught.value) == f"an action that is {state.value} cannot be proposed; it exists already"


@pytest.mark.parametrize(("state", "event", "message"), [
    (PROPOSED, execute, "an action that is proposed cannot be executed; a checker must approve it "
                        "first"),
    (APPROVED, approve, "an action that is approved cannot be approved; it is approved already"),
    (APPROVED, reject, "an action that is approved cannot be rejected; it is approved already; "
                       "cancel it instead"),
    (EXECUTED, cancel, "an action that is executed cannot be cancelled; it is finished; propose a "
                       "new action instead"),
    (REJECTED, execute, "an action that is rejected cannot be executed; it is finished; propose a "
                        "new action instead"),
])
def test_the_error_says_what_to_do(state, event, message):
    action = action_that_is(state)
    with pytest.raises(IllegalTransition) as caught:
        transition(action, event(action))
    assert str(caught.value) == message


def test_a_person_cannot_act_on_an_action_never_proposed():
    with pytest.raises(IllegalTransition) as caught:
        transition(None, Approve(by=CHECKER, at=at(2), expected_version=1))
    assert str(caught.value) == "an action that is absent cannot be approved; propose it first"


# --- proposing ------------------------------------------------------------------------------

def test_a_proposal_waiting_for_a_checker_is_audited_and_announced():
    action, (row, notice) = transition(None, propose(details=(("amount", " 2000000.00 "),)))
    assert (action.status, action.needs_approval, action.version) == (PROPOSED, True, 1)
    assert (action.proposed_by, action.checked_by, action.details) == (
        MAKER, None, (("amount", "2000000.00"),))
    assert notice == NotifyChecker(action_id="A1")
    assert (row.actor, row.action, row.entity, row.entity_id, row.before) == (
        MAKER, "propose", "loan_action", "A1", {})
    assert row.after["kind"] == "freeze_line" and row.after["status"] == "proposed"
    assert row.after["proposed_at"] == "2026-08-01T10:00:00"
    assert row.after["details"] == [["amount", "2000000.00"]]


def test_a_kind_without_maker_checker_is_approved_as_proposed():
    action, effects = transition(None, propose(ActionKind.REMINDER))
    assert (action.status, action.needs_approval, action.checked_by) == (APPROVED, False, None)
    assert [type(e) for e in effects] == [WriteAudit]
    executed, (_, reminder) = transition(action, execute(action))
    assert executed.status is EXECUTED
    assert reminder == SendReminder(customer_id="C1", loan_id="L1")


def test_an_action_needing_no_approval_cannot_be_approved():
    action = proposed(ActionKind.REMINDER)
    with pytest.raises(IllegalTransition) as caught:
        transition(action, approve(action))
    assert str(caught.value) == ("an action that is approved cannot be approved; it needs no "
                                 "approval; execute or cancel it")


@pytest.mark.parametrize(("kind", "needs_approval"), [
    (ActionKind.REMINDER, False), (ActionKind.FREEZE_LINE, True), (ActionKind.EARLY_RECALL, True),
    (ActionKind.REPAYMENT_PLAN, True), (ActionKind.ASSET_PRESERVATION, True),
    (ActionKind.WRITE_OFF, True),
])
def test_the_default_policy_asks_a_checker_for_everything_but_reminders(kind, needs_approval):
    plan = PLAN if kind is ActionKind.REPAYMENT_PLAN else ()
    action = proposed(kind, plan=plan)
    assert action.needs_approval is needs_approval
    assert action.status is (PROPOSED if needs_approval else APPROVED)


def test_a_custom_policy_decides_which_kinds_wait_for_a_checker():
    policy = ApprovalPolicy(maker_checker=(ActionKind.REMINDER, ActionKind.WRITE_OFF))
    reminder, effects = transition(None, propose(ActionKind.REMINDER), approvals=policy)
    assert (reminder.status, reminder.needs_approval) == (PROPOSED, True)
    assert NotifyChecker(action_id="A1") in effects
    freeze, effects = transition(None, propose(ActionKind.FREEZE_LINE), approvals=policy)
    assert (freeze.status, freeze.needs_approval) == (APPROVED, False)
    assert not any(isinstance(e, NotifyChecker) for e in effects)
    nobody = ApprovalPolicy(maker_checker=())
    assert transition(None, propose(ActionKind.WRITE_OFF), approvals=nobody)[0].status is APPROVED


@pytest.mark.parametrize(("event", "error"), [
    (propose(reason="  "), "the reason for an action cannot be blank"),
    (propose(ActionKind.EARLY_RECALL, loan_id=None), "an action of kind early_recall needs a loan"),
    (propose(ActionKind.WRITE_OFF, loan_id=None), "an action of kind write_off needs a loan"),
    (propose(ActionKind.REPAYMENT_PLAN, loan_id=None, plan=PLAN),
     "an action of kind repayment_plan needs a loan"),
    (propose(ActionKind.FREEZE_LINE, plan=PLAN),
     "only a repayment_plan action carries a plan, not freeze_line"),
    (propose(details=(("amount", "1"), (" amount", "2"))), "details given twice: amount"),
    (propose(details=(("", "1"),)), "the name of a detail cannot be blank"),
    (propose(details=(("new_end_date", " "),)), "detail new_end_date cannot be blank"),
])
def test_an_incomplete_proposal_is_refused(event, error):
    with pytest.raises(InvalidEvent) as caught:
        transition(None, event)
    assert str(caught.value) == error


def test_a_line_freeze_may_cover_every_line_of_the_borrower():
    action = proposed(loan_id=None)
    action = apply(action, approve(action))
    _, (_, freeze) = transition(action, execute(action))
    assert freeze == FreezeLine(customer_id="C1", loan_id=None)


# --- maker and checker ----------------------------------------------------------------------

@pytest.mark.parametrize("event", [approve, reject], ids=["approve", "reject"])
def test_the_maker_can_never_check_their_own_proposal(event):
    action = action_that_is(PROPOSED)
    with pytest.raises(SelfApproval) as caught:
        transition(action, event(action, by=MAKER))
    assert str(caught.value) == (f"{MAKER} proposed action A1 and cannot check it too; a second "
                                 "person must approve or reject it")
    assert isinstance(caught.value, WorkflowError) and not isinstance(caught.value, InvalidEvent)
    assert action.status is PROPOSED and action.version == 1


def test_approval_records_the_checker_and_tells_the_maker():
    action = action_that_is(PROPOSED)
    approved, (row, notice) = transition(action, approve(action))
    assert (approved.checked_by, approved.checked_at, approved.check_comment) == (
        CHECKER, at(2), "agreed: diversion confirmed on site")
    assert notice == NotifyMaker(action_id="A1", what=f"approved by {CHECKER}")
    assert (row.action, row.before) == ("approve", {
        "status": "proposed", "checked_by": None, "checked_at": None, "check_comment": None,
        "version": 1})
    assert row.after["checked_by"] == CHECKER and row.after["version"] == 2


def test_an_approval_may_go_without_a_comment():
    action = action_that_is(PROPOSED)
    silent = Approve(by=CHECKER, at=at(2), expected_version=1)
    assert apply(action, silent).check_comment is None


def test_a_rejection_needs_a_comment_and_tells_the_maker_why():
    action = action_that_is(PROPOSED)
    with pytest.raises(InvalidEvent, match="^the comment rejecting an action cannot be blank$"):
        transition(action, Reject(comment=" ", by=CHECKER, at=at(2), expected_version=1))
    rejected, (row, notice) = transition(action, reject(action))
    assert (rejected.checked_by, rejected.check_comment) == (CHECKER,
                                                             "evidence too thin; inspect first")
    assert notice == NotifyMaker(action_id="A1",
                                 what=f"rejected by {CHECKER}: evidence too thin; inspect first")
    assert row.action == "reject"


def test_a_stale_version_is_a_conflict():
    action = action_that_is(PROPOSED)
    seen_by_other_checker = reject(action, by=OTHER_CHECKER)
    action = apply(action, approve(action))
    with pytest.raises(Conflict) as caught:
        transition(action, seen_by_other_checker)
    assert str(caught.value) == ("action A1 has changed since you loaded it: you acted on version "
                                 "1, it is at version 2 now; reload it and try again")


# --- execution ------------------------------------------------------------------------------

EXECUTIONS = {
    ActionKind.REMINDER: SendReminder(customer_id="C1", loan_id="L1"),
    ActionKind.FREEZE_LINE: FreezeLine(customer_id="C1", loan_id="L1"),
    ActionKind.EARLY_RECALL: RecallLoan(loan_id="L1"),
    ActionKind.REPAYMENT_PLAN: ApplyRepaymentPlan(loan_id="L1", plan=PLAN),
    ActionKind.ASSET_PRESERVATION: PrepareLitigation(customer_id="C1", loan_id="L1"),
    ActionKind.WRITE_OFF: ProposeWriteOff(loan_id="L1"),
}


def test_every_kind_has_an_execution():
    assert set(EXECUTIONS) == set(ActionKind)


@pytest.mark.parametrize("kind", list(EXECUTIONS), ids=[k.value for k in EXECUTIONS])
def test_executing_an_approved_action_hands_the_service_its_effect(kind):
    action = proposed(kind, plan=PLAN if kind is ActionKind.REPAYMENT_PLAN else ())
    if action.status is PROPOSED:
        action = apply(action, approve(action))
    executed, (row, effect) = transition(action, execute(action, by=HEAD))
    assert effect == EXECUTIONS[kind]
    assert (executed.status, executed.executed_by, executed.executed_at) == (EXECUTED, HEAD, at(3))
    assert (row.action, row.before["status"], row.after["status"]) == ("execute", "approved",
                                                                       "executed")


def test_the_maker_may_execute_once_a_checker_approved():
    action = action_that_is(APPROVED)
    assert apply(action, execute(action, by=MAKER)).executed_by == MAKER


# --- cancelling -----------------------------------------------------------------------------

def test_cancelling_someone_elses_action_tells_the_maker_why():
    action = action_that_is(APPROVED)
    cancelled, (row, notice) = transition(action, cancel(action))
    assert (cancelled.cancelled_by, cancelled.cancel_reason) == (HEAD, "borrower repaid in full")
    assert notice == NotifyMaker(action_id="A1", what=f"cancelled by {HEAD}: borrower repaid in full")
    assert row.action == "cancel" and row.after["cancel_reason"] == "borrower repaid in full"


def test_the_maker_may_withdraw_a_proposal_without_being_told():
    action = action_that_is(PROPOSED)
    cancelled, effects = transition(action, cancel(action, by=MAKER))
    assert cancelled.status is CANCELLED and [type(e) for e in effects] == [WriteAudit]


def test_cancelling_needs_a_reason():
    action = action_that_is(PROPOSED)
    with pytest.raises(InvalidEvent, match="^the reason to cancel an action cannot be blank$"):
        transition(action, Cancel(reason="", by=HEAD, at=at(3), expected_version=1))


# --- repayment plans ------------------------------------------------------------------------

SEP_30, DEC_31 = dt.date(2026, 9, 30), dt.date(2026, 12, 31)


@pytest.mark.parametrize(("plan", "error"), [
    ((), "a repayment plan needs at least one installment"),
    ((installment(1, SEP_30), installment(3, DEC_31)),
     "installments must be numbered 1, 2, 3… in order; found 1, 3"),
    ((installment(0, SEP_30),), "installments must be numbered 1, 2, 3… in order; found 0"),
    ((installment(2, SEP_30), installment(1, DEC_31)),
     "installments must be numbered 1, 2, 3… in order; found 2, 1"),
    ((installment(1, SEP_30), installment(2, SEP_30)),
     "installment 2 is due 2026-09-30, not after installment 1 (2026-09-30)"),
    ((installment(1, DEC_31), installment(2, SEP_30)),
     "installment 2 is due 2026-09-30, not after installment 1 (2026-12-31)"),
    ((installment(1, SEP_30), installment(2, DEC_31, principal="-1.00")),
     "the principal of installment 2 cannot be negative (-1.00)"),
    ((installment(1, SEP_30, interest="-0.01"),),
     "the interest of installment 1 cannot be negative (-0.01)"),
    ((PlanInstallment(seq=1, due_on=SEP_30, principal=100.0, interest=Decimal("0")),),  # type: ignore[arg-type]
     "the principal of installment 1 must be a finite Decimal, not 100.0"),
    ((installment(1, SEP_30, principal="NaN"),),
     "the principal of installment 1 must be a finite Decimal, not Decimal('NaN')"),
    ((installment(1, SEP_30, principal="0"), installment(2, DEC_31, principal="0.00")),
     "a repayment plan must repay some principal; its principal totals 0"),
])
def test_a_repayment_plan_must_be_a_schedule(plan, error):
    with pytest.raises(InvalidEvent) as caught:
        transition(None, propose(ActionKind.REPAYMENT_PLAN, plan=plan))
    assert str(caught.value) == error


def test_a_plan_may_defer_principal_and_waive_interest():
    plan = (installment(1, SEP_30, principal="0", interest="0"), installment(2, DEC_31))
    assert check_plan(plan) == plan


def test_the_proposed_schedule_is_kept_audited_and_applied_after_approval():
    action, (row, _) = transition(None, propose(ActionKind.REPAYMENT_PLAN, plan=list(PLAN)))
    assert action.plan == PLAN and isinstance(action.plan, tuple)
    assert row.after["plan"][0] == {"seq": 1, "due_on": "2026-09-30", "principal": "50000.00",
                                    "interest": "1200.00"}
    action = apply(action, approve(action))
    _, (_, applied) = transition(action, execute(action))
    assert applied == ApplyRepaymentPlan(loan_id="L1", plan=PLAN)
    assert sum(i.principal for i in applied.plan) == Decimal("150000.00")
