"""A collection case (催收) is opened and updated by runs, worked by collectors with contacts
and promises to pay (承诺还款), closed with an outcome or cured by the loan coming current;
every change is audited and versioned. Plus strategy, expected loss, queue and figures."""

from __future__ import annotations

import datetime as dt
import doctest
from decimal import Decimal

import pytest

import loanwatch.workflow.collection_queue as queue_module
import loanwatch.workflow.collections as collections_module
from loanwatch.policy import load_default_policy
from loanwatch.policy.workflow import Channel, CollectionPolicy
from loanwatch.workflow.collection_queue import (
    RecoveryFigures,
    expected_loss,
    queue,
    recovery_figures,
    strategy_for,
)
from loanwatch.workflow.collections import (
    ENGINE,
    Assign,
    CaseStatus,
    Close,
    CollectionCase,
    ContactResult,
    Cured,
    Delinquency,
    LogContact,
    NotifyCollector,
    OpenCase,
    Outcome,
    Promise,
    PromiseStatus,
    PromiseToPay,
    Reopen,
    WriteAudit,
    settle_promises,
    transition,
)
from loanwatch.workflow.errors import Conflict, IllegalTransition, InvalidEvent

JULY_1 = dt.date(2026, 7, 1)
COLLECTOR, COLLEAGUE, HEAD = "col-wang", "col-li", "head-zhao"
M2 = (Channel.CALL, Channel.VISIT)
M3 = (Channel.VISIT, Channel.LETTER, Channel.LEGAL)
POLICY = CollectionPolicy(promise_grace_days=3, promise_max_days=30)


def day(n: int) -> dt.date:
    return dt.date(2026, 7, n)


def at(n: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day(n), dt.time(hour))


def money(text: str) -> Decimal:
    return Decimal(text)


def open_case(case_id: str = "K1") -> OpenCase:
    """The run of July 1 found loan L1 at DPD 35 (M2), 3,000 overdue of 50,000."""
    return OpenCase(case_id=case_id, loan_id="L1", customer_id="C1", owner=COLLECTOR,
                    as_of=JULY_1, at=at(1, 6), bucket="M2", dpd=35, overdue_amount=money("3000"),
                    outstanding=money("50000"), expected_loss=money("10000.00"), strategy=M2,
                    alert_id="REPAY-OVERDUE:L1")


def run(n: int, paid: str = "0", bucket: str = "M2", dpd: int | None = None,
        strategy: tuple[Channel, ...] = M2) -> Delinquency:
    return Delinquency(as_of=day(n), at=at(n, 6), bucket=bucket,
                       dpd=dpd if dpd is not None else 34 + n, overdue_amount=money("3000"),
                       outstanding=money("50000"), expected_loss=money("10000.00"),
                       strategy=strategy, paid_since_last=money(paid))


def opened() -> CollectionCase:
    case, _ = transition(None, open_case())
    return case


def apply(case: CollectionCase, *events) -> CollectionCase:
    for event in events:
        case, _ = transition(case, event, policy=POLICY)
    return case


def assign(c: CollectionCase) -> Assign:
    return Assign(to=COLLEAGUE, by=HEAD, at=at(2), expected_version=c.version)


def contact(c: CollectionCase) -> LogContact:
    return LogContact(channel=Channel.CALL, result=ContactResult.REACHED, note="will pay Friday",
                      by=COLLECTOR, at=at(2), expected_version=c.version)


def promise(c: CollectionCase, amount: str = "3000", due: int = 10, made: int = 2) -> PromiseToPay:
    return PromiseToPay(amount=money(amount), due_on=day(due), by=COLLECTOR, at=at(made),
                        expected_version=c.version)


def close(c: CollectionCase) -> Close:
    return Close(outcome=Outcome.RESTRUCTURED, comment="repayment plan signed", by=COLLECTOR,
                 at=at(3), expected_version=c.version)


def reopen(c: CollectionCase) -> Reopen:
    return Reopen(reason="plan payments missed", by=HEAD, at=at(4), expected_version=c.version)


def delinquency(c: CollectionCase) -> Delinquency:
    return run(5, paid="100")


def cured(c: CollectionCase) -> Cured:
    return Cured(as_of=day(5), at=at(5, 6))


def again(c: CollectionCase) -> OpenCase:
    return open_case()


OPEN, WORK, PROMISED, CLOSED = (CaseStatus.OPEN, CaseStatus.IN_PROGRESS, CaseStatus.PROMISED,
                                CaseStatus.CLOSED)


def case_that_is(status: CaseStatus) -> CollectionCase:
    case = opened()
    steps = {OPEN: [], WORK: [contact], PROMISED: [contact, promise], CLOSED: [close]}[status]
    for step in steps:
        case = apply(case, step(case))
    assert case.status is status
    return case


ILLEGAL, UNCHANGED, BOOKKEEPING = IllegalTransition, "unchanged", "bookkeeping"
# (state, event, the state after it, "unchanged", or the error)
TABLE = [
    (OPEN, assign, OPEN), (WORK, assign, WORK), (PROMISED, assign, PROMISED),
    (CLOSED, assign, ILLEGAL),
    (OPEN, contact, WORK), (WORK, contact, WORK), (PROMISED, contact, PROMISED),
    (CLOSED, contact, ILLEGAL),
    (OPEN, promise, ILLEGAL), (WORK, promise, PROMISED), (PROMISED, promise, PROMISED),
    (CLOSED, promise, ILLEGAL),
    (OPEN, close, CLOSED), (WORK, close, CLOSED), (PROMISED, close, CLOSED),
    (CLOSED, close, ILLEGAL),
    (OPEN, reopen, ILLEGAL), (WORK, reopen, ILLEGAL), (PROMISED, reopen, ILLEGAL),
    (CLOSED, reopen, OPEN),
    (OPEN, delinquency, BOOKKEEPING), (WORK, delinquency, BOOKKEEPING),
    (PROMISED, delinquency, PROMISED), (CLOSED, delinquency, UNCHANGED),  # pays the promise
    (OPEN, cured, CLOSED), (WORK, cured, CLOSED), (PROMISED, cured, CLOSED),
    (CLOSED, cured, UNCHANGED),
    (OPEN, again, ILLEGAL), (WORK, again, ILLEGAL), (PROMISED, again, ILLEGAL),
    (CLOSED, again, ILLEGAL),
]


@pytest.mark.parametrize(("state", "event", "expected"), TABLE,
                         ids=[f"{s.value}-{e.__name__}" for s, e, _ in TABLE])
def test_transition_table(state, event, expected):
    case = case_that_is(state)
    if expected is ILLEGAL:
        pattern = f"^a collection case that is {state.value.replace('_', ' ')} cannot be "
        with pytest.raises(IllegalTransition, match=pattern):
            transition(case, event(case), policy=POLICY)
        return
    after, effects = transition(case, event(case), policy=POLICY)
    if expected == UNCHANGED:
        assert (after, effects) == (case, ())
        return
    if expected == BOOKKEEPING:  # the day's figures only: same state and version, no audit
        assert (after.status, after.version, effects) == (case.status, case.version, ())
        assert after.last_seen_on > case.last_seen_on
        return
    assert after.status is expected
    assert after.version == case.version + 1
    audits = [e for e in effects if isinstance(e, WriteAudit)]
    assert len(audits) == 1 and audits[0].entity == "collection_case"
    assert audits[0].actor == getattr(event(case), "by", ENGINE)


@pytest.mark.parametrize(("state", "event", "message"), [
    (CLOSED, contact, "a collection case that is closed cannot be given a contact; reopen it first"),
    (OPEN, promise, "a collection case that is open cannot be given a promise to pay; "
                    "log a contact with the borrower first"),
    (WORK, reopen, "a collection case that is in progress cannot be reopened; "
                   "it has not been closed"),
    (PROMISED, again, "a collection case that is promised cannot be opened; it exists already"),
])
def test_the_error_says_what_to_do(state, event, message):
    case = case_that_is(state)
    with pytest.raises(IllegalTransition) as caught:
        transition(case, event(case), policy=POLICY)
    assert str(caught.value) == message


@pytest.mark.parametrize("event", [run(2), Cured(as_of=day(2), at=at(2)),
                                   Assign(to=COLLEAGUE, by=HEAD, at=at(2), expected_version=1)])
def test_nothing_happens_to_a_case_never_opened(event):
    with pytest.raises(IllegalTransition, match="^a collection case that is absent .*; open it first$"):
        transition(None, event, policy=POLICY)


def test_opening_audits_the_case_and_tells_the_collector():
    case, (row, notice) = transition(None, open_case())
    assert (case.status, case.version, case.opened_on, case.recovered) == (OPEN, 1, JULY_1, 0)
    assert (row.actor, row.action, row.entity, row.entity_id, row.before) == (
        ENGINE, "open", "collection_case", "K1", {})
    assert row.after["strategy"] == ["call", "visit"] and row.after["opened_on"] == "2026-07-01"
    assert notice == NotifyCollector(owner=COLLECTOR, case_id="K1",
                                     what="new case: M2, DPD 35, overdue 3000")


def test_a_stale_version_is_a_conflict():
    case = case_that_is(WORK)
    seen_by_head = assign(case)
    case = apply(case, contact(case))
    with pytest.raises(Conflict, match="collection case K1 has changed since you loaded it: "
                                       "you acted on version 2, it is at version 3"):
        transition(case, seen_by_head, policy=POLICY)


def test_a_run_the_case_has_seen_changes_nothing():
    case = apply(opened(), run(3, paid="500"))
    assert transition(case, run(3, paid="500"), policy=POLICY) == (case, ())
    assert transition(case, run(2, paid="500"), policy=POLICY) == (case, ())
    assert case.recovered == 500


def test_the_days_figures_alone_are_bookkeeping_without_audit_or_a_new_version():
    case = case_that_is(WORK)
    after, effects = transition(case, run(2, paid="250.50"), policy=POLICY)
    assert effects == ()
    assert (after.last_seen_on, after.dpd, after.recovered, after.version) == (
        day(2), 36, money("250.50"), case.version)


def test_audit_rows_carry_only_the_changed_fields():
    case = case_that_is(WORK)
    after, (row, *_) = transition(case, run(2, paid="250.50", bucket="M3", dpd=61,
                                             strategy=M2), policy=POLICY)
    assert row.before == {"last_seen_on": "2026-07-01", "bucket": "M2", "dpd": 35,
                          "recovered": "0", "version": 2}
    assert row.after == {"last_seen_on": "2026-07-02", "bucket": "M3", "dpd": 61,
                         "recovered": "250.50", "version": 3}
    assert (row.actor, row.action) == (ENGINE, "update")


def test_logging_a_contact_starts_work_and_keeps_the_contact():
    case = opened()
    after, (row,) = transition(case, contact(case), policy=POLICY)
    assert after.status is WORK
    assert [(c.channel, c.result, c.note, c.by) for c in after.contacts] == [
        (Channel.CALL, ContactResult.REACHED, "will pay Friday", COLLECTOR)]
    assert row.before == {"status": "open", "contacts": [], "version": 1}
    assert row.after["contacts"][0]["channel"] == "call"


def test_assigning_tells_the_new_collector_and_assigning_the_owner_changes_nothing():
    case = opened()
    after, effects = transition(case, assign(case), policy=POLICY)
    assert after.owner == COLLEAGUE
    assert NotifyCollector(owner=COLLEAGUE, case_id="K1", what=f"assigned to you by {HEAD}") in effects
    assert transition(after, assign(after), policy=POLICY) == (after, ())
    with pytest.raises(InvalidEvent, match="the collector to assign cannot be blank"):
        transition(case, Assign(to=" ", by=HEAD, at=at(2), expected_version=1), policy=POLICY)


# --- promises -------------------------------------------------------------------------------

def test_a_promise_to_pay_is_recorded_and_the_case_waits_on_it():
    case = case_that_is(WORK)
    after, (row,) = transition(case, promise(case, "1500.00", due=10), policy=POLICY)
    assert after.status is PROMISED
    assert after.promises == (Promise(amount=Decimal("1500.00"), due_on=day(10), made_by=COLLECTOR,
                                      made_at=at(2)),)
    assert row.action == "promise_to_pay" and row.before["status"] == "in_progress"


@pytest.mark.parametrize(("amount", "due", "error"), [
    ("0", 10, "a promise to pay must be for a positive amount, not 0"),
    ("-5", 10, "a promise to pay must be for a positive amount, not -5"),
    ("100", 2, "a promise to pay made on 2026-07-02 must fall due after it and by 2026-08-01, "
               "not on 2026-07-02"),
    ("100", 1, "a promise to pay made on 2026-07-02 must fall due after it and by 2026-08-01, "
               "not on 2026-07-01"),
])
def test_a_promise_must_be_positive_and_fall_due_in_the_allowed_window(amount, due, error):
    case = case_that_is(WORK)
    with pytest.raises(InvalidEvent) as caught:
        transition(case, promise(case, amount, due=due), policy=POLICY)
    assert str(caught.value) == error


def test_a_promise_may_fall_due_at_most_the_policy_days_ahead():
    case = case_that_is(WORK)
    made, latest = at(2), day(2) + dt.timedelta(days=30)
    ok = PromiseToPay(amount=money("1"), due_on=latest, by=COLLECTOR, at=made, expected_version=2)
    assert transition(case, ok, policy=POLICY)[0].promises[0].due_on == dt.date(2026, 8, 1)
    with pytest.raises(InvalidEvent, match="by 2026-08-01, not on 2026-08-02"):
        transition(case, PromiseToPay(amount=money("1"), due_on=latest + dt.timedelta(days=1),
                                      by=COLLECTOR, at=made, expected_version=2), policy=POLICY)


def promised(amount: str = "3000", due: int = 10) -> CollectionCase:
    """In progress since July 2, with a promise of ``amount`` made July 2, due on ``due``."""
    case = case_that_is(WORK)
    return apply(case, promise(case, amount, due=due))


def test_a_promise_paid_on_the_last_day_of_grace_is_kept():
    case = apply(promised(due=10), run(5, paid="1000"))
    after, effects = transition(case, run(13, paid="2000"), policy=POLICY)
    (kept,) = after.promises
    assert (kept.status, kept.received, kept.settled_on) == (PromiseStatus.KEPT, 3000, day(13))
    assert after.status is WORK and after.recovered == 3000
    assert not [e for e in effects if isinstance(e, NotifyCollector)]


def test_a_promise_short_when_grace_ends_is_broken_and_the_collector_told():
    case = apply(promised(due=10), run(5, paid="1000"))
    after, effects = transition(case, run(13, paid="1999.99"), policy=POLICY)
    (broken,) = after.promises
    assert (broken.status, broken.received, broken.settled_on) == (
        PromiseStatus.BROKEN, Decimal("2999.99"), day(13))
    assert after.status is WORK and after.recovered == Decimal("2999.99")
    assert NotifyCollector(owner=COLLECTOR, case_id="K1",
                           what="promise of 3000 due 2026-07-10 broken: 2999.99 received") in effects


def test_money_paid_one_day_after_grace_does_not_keep_a_promise():
    case = apply(promised(due=10), run(12))
    after, _ = transition(case, run(14, paid="3000"), policy=POLICY)
    (broken,) = after.promises
    assert (broken.status, broken.received, broken.settled_on) == (PromiseStatus.BROKEN, 0, day(14))
    assert after.recovered == 3000


def test_a_promise_is_pending_until_paid_or_grace_ends():
    case = apply(promised(due=10), run(11, paid="2999"), run(12))
    assert [(p.status, p.received) for p in case.promises] == [(PromiseStatus.PENDING, 2999)]
    assert case.status is PROMISED


def test_a_promise_paid_in_full_early_is_kept_at_once():
    case = apply(promised(due=10), run(4, paid="3500"))
    assert [(p.status, p.received, p.settled_on) for p in case.promises] == [
        (PromiseStatus.KEPT, 3000, day(4))]
    assert case.status is WORK and case.recovered == 3500


def test_money_goes_to_the_promise_due_first():
    case = promised("1000", due=20)
    case = apply(case, promise(case, "500", due=8))
    case = apply(case, run(5, paid="700"))
    assert [(p.due_on, p.status, p.received) for p in case.promises] == [
        (day(20), PromiseStatus.PENDING, 200), (day(8), PromiseStatus.KEPT, 500)]
    assert case.status is PROMISED


def test_settle_promises_ignores_money_paid_before_a_promise_was_made():
    made_later = Promise(amount=money("100"), due_on=day(10), made_by=COLLECTOR, made_at=at(6))
    assert settle_promises([made_later], day(5), money("100"), 3) == (made_later,)
    (kept,) = settle_promises([made_later], day(6), money("100"), 3)
    assert (kept.status, kept.settled_on) == (PromiseStatus.KEPT, day(6))


def test_a_cure_keeps_pending_promises_and_closes_the_case():
    case = promised(due=10)
    after, effects = transition(case, Cured(as_of=day(6), at=at(6, 6),
                                            paid_since_last=money("3000")), policy=POLICY)
    assert (after.status, after.outcome, after.closed_by, after.close_comment) == (
        CLOSED, Outcome.CURED, ENGINE, "back to current on 2026-07-06")
    assert [(p.status, p.received) for p in after.promises] == [(PromiseStatus.KEPT, 3000)]
    assert after.recovered == 3000
    assert effects[0].action == "cure" and effects[1:] == (
        NotifyCollector(owner=COLLECTOR, case_id="K1", what="cured"),)


# --- escalation, closing, reopening ---------------------------------------------------------

def test_an_escalation_that_changes_the_strategy_tells_the_collector():
    case = case_that_is(WORK)
    after, (row, notice) = transition(case, run(27, bucket="M3", dpd=61, strategy=M3), policy=POLICY)
    assert (after.bucket, after.dpd, after.strategy) == ("M3", 61, M3)
    assert notice == NotifyCollector(owner=COLLECTOR, case_id="K1",
                                     what="escalated to M3 (DPD 61): visit, letter, legal")
    assert row.after["strategy"] == ["visit", "letter", "legal"]


def test_a_new_bucket_with_the_same_strategy_or_falling_back_is_silent():
    case = apply(case_that_is(WORK), run(27, bucket="M3", dpd=61, strategy=M3))
    _, effects = transition(case, run(28, bucket="M4", dpd=91, strategy=M3), policy=POLICY)
    assert len(effects) == 1
    _, effects = transition(case, run(28, bucket="M2", dpd=40, strategy=M2), policy=POLICY)
    assert len(effects) == 1


def test_closing_needs_a_comment_and_tells_an_owner_who_did_not_close():
    case = case_that_is(WORK)
    with pytest.raises(InvalidEvent, match="the comment closing a collection case cannot be blank"):
        transition(case, Close(outcome=Outcome.WRITTEN_OFF, comment="  ", by=HEAD, at=at(3),
                               expected_version=2), policy=POLICY)
    after, (row, notice) = transition(case, Close(
        outcome=Outcome.WRITTEN_OFF, comment=" approved by committee ", by=HEAD, at=at(3),
        expected_version=2), policy=POLICY)
    assert (after.outcome, after.closed_by, after.closed_at, after.close_comment) == (
        Outcome.WRITTEN_OFF, HEAD, at(3), "approved by committee")
    assert notice.what == f"closed by {HEAD}: written_off"
    assert row.before["outcome"] is None and row.after["outcome"] == "written_off"


def test_a_person_may_close_a_case_as_cured():
    case = case_that_is(OPEN)
    after, effects = transition(case, Close(outcome=Outcome.CURED, comment="paid at the branch",
                                            by=COLLECTOR, at=at(3), expected_version=1), policy=POLICY)
    assert (after.outcome, after.closed_by) == (Outcome.CURED, COLLECTOR) and len(effects) == 1


def test_reopening_needs_a_reason_and_resumes_where_the_work_was():
    case = case_that_is(PROMISED)
    case = apply(case, close(case))
    with pytest.raises(InvalidEvent, match="a reason to reopen cannot be blank"):
        transition(case, Reopen(reason="", by=HEAD, at=at(4), expected_version=case.version),
                   policy=POLICY)
    after, (row, notice) = transition(case, reopen(case), policy=POLICY)
    assert (after.status, after.outcome, after.closed_by, after.reopen_reason) == (
        PROMISED, None, None, "plan payments missed")
    assert notice.what == f"reopened by {HEAD}: plan payments missed"
    assert row.before["status"] == "closed" and row.after["status"] == "promised"


def test_a_run_resumes_updating_a_reopened_case():
    case = case_that_is(CLOSED)
    case = apply(case, reopen(case), run(6, paid="10"))
    assert (case.last_seen_on, case.recovered, case.status) == (day(6), 10, OPEN)


def test_negative_money_from_a_run_is_refused():
    with pytest.raises(InvalidEvent, match="cannot be negative"):
        transition(opened(), run(2, paid="-1"), policy=POLICY)


# --- strategy, expected loss, queue, figures --------------------------------------------------

DEFAULT = load_default_policy()
BUCKETS = [b.name for b in DEFAULT.buckets]


@pytest.mark.parametrize(("bucket", "channels"), [
    ("M0", (Channel.REMINDER,)),
    ("M1", (Channel.SMS, Channel.CALL)),
    ("M2", (Channel.CALL, Channel.VISIT)),
    ("M3", M3), ("M4", M3), ("M5", M3), ("M6", M3), ("M7+", M3),
])
def test_each_bucket_of_the_default_policy_has_its_strategy(bucket, channels):
    assert BUCKETS == ["M0", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]
    assert strategy_for(bucket, BUCKETS, DEFAULT.workflow.collections) == channels


def test_strategy_for_an_unknown_bucket_is_an_error():
    with pytest.raises(ValueError, match="unknown bucket 'M9'"):
        strategy_for("M9", BUCKETS, DEFAULT.workflow.collections)


@pytest.mark.parametrize(("outstanding", "pd", "bucket", "loss"), [
    ("10000", Decimal("0.123"), "M1", "1230.00"),
    ("10000", None, "M2", "2000.00"),
    ("10000", None, "M0", "0.00"),
    ("333.33", None, "M1", "16.67"),       # 16.6665 rounds half up
    ("100.10", Decimal("0.05"), "M3", "5.01"),   # 5.005 rounds half up, the PD wins over M3
    ("100.09", Decimal("0.05"), "M3", "5.00"),   # 5.0045 rounds down
    ("50000", Decimal("0"), "M7+", "0.00"),
])
def test_expected_loss_uses_the_pd_or_else_the_bucket_weight(outstanding, pd, bucket, loss):
    result = expected_loss(Decimal(outstanding), pd, bucket, DEFAULT.workflow.collections)
    assert result == Decimal(loss) and str(result) == loss


def test_a_pd_outside_zero_and_one_is_an_error():
    with pytest.raises(ValueError, match="not 1.5"):
        expected_loss(Decimal("100"), Decimal("1.5"), "M1")


def with_figures(case_id: str, loss: str, dpd: int) -> CollectionCase:
    case, _ = transition(None, open_case(case_id))
    return CollectionCase(**{**case.__dict__, "expected_loss": Decimal(loss), "dpd": dpd})


def test_the_queue_puts_the_largest_loss_first_then_the_longest_overdue_then_the_id():
    closed = with_figures("K0", "99999", 200)
    closed = apply(closed, close(closed))
    cases = [with_figures("K3", "500", 40), with_figures("K2", "500", 40), closed,
             with_figures("K1", "500", 90), with_figures("K4", "2000.01", 31)]
    assert [c.case_id for c in queue(cases)] == ["K4", "K1", "K2", "K3"]
    assert queue([]) == []


def test_recovery_figures_count_outcomes_money_and_promises():
    kept = apply(promised("1000", due=10), run(5, paid="1000"))
    broken = apply(promised("3000", due=10), run(5, paid="200.50"), run(13))
    pending = promised("3000", due=20)
    cured = apply(case_that_is(WORK), Cured(as_of=day(9), at=at(9), paid_since_last=money("3000")))
    restructured = case_that_is(CLOSED)
    figures = recovery_figures([kept, broken, pending, cured, restructured])
    assert figures == RecoveryFigures(
        cases_opened=5,
        closed_by_outcome={Outcome.CURED: 1, Outcome.SETTLED: 0, Outcome.RESTRUCTURED: 1,
                           Outcome.TRANSFERRED_LEGAL: 0, Outcome.WRITTEN_OFF: 0,
                           Outcome.UNCOLLECTABLE: 0},
        recovered=Decimal("4200.50"), promises_made=3, promises_kept=1, promises_broken=1,
        kept_rate=Decimal("0.5000"))


def test_recovery_figures_without_judged_promises_have_no_kept_rate():
    figures = recovery_figures([promised()])
    assert (figures.promises_made, figures.kept_rate, figures.recovered) == (1, None, 0)
    assert recovery_figures([]).kept_rate is None
    two_of_three = recovery_figures([apply(promised("1", due=10), run(5, paid="1")),
                                     apply(promised("1", due=10), run(5, paid="1")),
                                     apply(promised("1", due=10), run(13))])
    assert two_of_three.kept_rate == Decimal("0.6667")


def test_doctest_examples_hold():
    results = [doctest.testmod(m) for m in (collections_module, queue_module)]
    assert sum(r.attempted for r in results) >= 2 and sum(r.failed for r in results) == 0
