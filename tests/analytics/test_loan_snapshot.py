"""Loan snapshot: hand-computed cases for each rule of METRICS.md and the allocation rule."""

from __future__ import annotations

from decimal import Decimal

import pytest

from loanwatch.analytics.loan_snapshot import SnapshotRules
from tests.analytics.book import BUCKETS, RULES, D, Installment, money, monthly, one, snapshot

THREE = [("2026-01-31", 1000, 50), ("2026-02-28", 1000, 50), ("2026-03-31", 1000, 50)]


def three(**kw):
    return monthly("L1", "2025-12-31", THREE, **kw)


def test_metrics_example_no_payment():
    r = one(three(), "2026-03-31")
    assert (r["dpd"], r["bucket"]) == (59, "M2")
    assert r["overdue_principal"] == money(2000) and r["overdue_interest"] == money(100)
    assert r["outstanding_principal"] == money(3000)
    assert r["overdue_installments"] == 2
    assert (r["next_due_on"], r["next_due_amount"]) == (D("2026-03-31"), money(1050))
    assert r["status"] == "active"


def test_payment_on_the_due_date_is_on_time():
    loan = three().pay("2026-01-31", 1050)
    for day in ("2026-01-31", "2026-02-01", "2026-02-28"):
        r = one(loan, day)
        assert (r["dpd"], r["bucket"], r["overdue_principal"]) == (0, "M0", money(0)), day
    r = one(loan, "2026-01-31")
    assert (r["paid_principal"], r["paid_interest"]) == (money(1000), money(50))
    assert r["outstanding_principal"] == money(2000)
    assert r["next_due_on"] == D("2026-02-28")


def test_unpaid_installment_is_not_overdue_on_its_due_date():
    r = one(three(), "2026-01-31")
    assert (r["dpd"], r["overdue_installments"], r["overdue_principal"]) == (0, 0, money(0))
    assert r["next_due_on"] == D("2026-01-31")


def test_one_cent_short_is_overdue_from_the_next_day():
    loan = three().pay("2026-01-31", "1049.99")
    r = one(loan, "2026-02-01")
    assert (r["dpd"], r["bucket"]) == (1, "M1")
    # interest is covered before principal: the missing cent is principal
    assert (r["overdue_principal"], r["overdue_interest"]) == (money("0.01"), money(0))
    assert r["next_due_on"] == D("2026-02-28")


def test_materiality_threshold_ignores_tiny_shortfalls():
    loan = three().pay("2026-01-31", "1049.99")
    rules = SnapshotRules(BUCKETS, materiality=Decimal("0.01"))
    assert one(loan, "2026-02-01", rules=rules)["dpd"] == 0
    assert one(loan, "2026-03-01", rules=rules)["dpd"] == 1  # February's 1,050 is not tiny


def test_partial_payments_go_fee_then_interest_then_principal():
    loan = three(fee=10).pay("2026-01-20", 40)
    r = one(loan, "2026-02-01")
    assert (r["paid_fee"], r["paid_interest"], r["paid_principal"]) == (money(10), money(30), money(0))
    assert (r["overdue_fee"], r["overdue_interest"], r["overdue_principal"]) == (
        money(0), money(20), money(1000))
    loan.pay("2026-02-10", 1040)  # completes January (1,020) and pays 20 of February's fee + interest
    r = one(loan, "2026-02-10")
    assert (r["paid_fee"], r["paid_interest"], r["paid_principal"]) == (money(20), money(60), money(1000))
    assert r["dpd"] == 0
    assert (r["next_due_on"], r["next_due_amount"]) == (D("2026-02-28"), money(1040))


def test_unsorted_and_same_day_repayments_allocate_by_date():
    loan = three()
    for on, amount in (("2026-02-28", 500), ("2026-01-31", 300), ("2026-02-28", 550), ("2026-01-31", 750)):
        loan.pay(on, amount)
    r = one(loan, "2026-02-28")
    assert (r["paid_principal"], r["paid_interest"], r["dpd"]) == (money(2000), money(100), 0)
    assert one(loan, "2026-02-27")["paid_principal"] == money(1000)


def test_repayments_after_the_as_of_date_are_not_known_yet():
    loan = three().pay("2026-02-05", 1050)
    r = one(loan, "2026-02-04")
    assert (r["dpd"], r["paid_principal"]) == (4, money(0))
    assert one(loan, "2026-02-05")["dpd"] == 0


def test_prepayment_settles_the_loan():
    loan = three().pay("2026-01-15", 3150)
    r = one(loan, "2026-01-15")
    assert r["status"] == "settled"
    assert (r["outstanding_principal"], r["credit_balance"]) == (money(0), money(0))
    assert (r["next_due_on"], r["next_due_amount"]) == (None, None)
    assert r["paid_interest"] == money(150)


def test_early_payment_covers_the_next_installments_in_order():
    loan = three().pay("2026-01-31", 1050).pay("2026-02-10", 1300)
    r = one(loan, "2026-03-01")
    assert r["dpd"] == 0
    assert (r["paid_principal"], r["paid_interest"]) == (money(2200), money(150))
    assert (r["next_due_on"], r["next_due_amount"]) == (D("2026-03-31"), money(800))


def test_overpayment_is_a_credit_balance_never_negative():
    loan = three().pay("2026-03-31", 3200)
    r = one(loan, "2026-03-31")
    assert (r["credit_balance"], r["outstanding_principal"], r["status"]) == (money(50), money(0), "settled")


def test_zero_installments_are_never_overdue_nor_next():
    loan = monthly("Z", "2025-12-31", [("2026-01-31", 0, 0), ("2026-02-28", 0, 0),
                                      ("2026-03-31", 1000, 30)])
    r = one(loan, "2026-03-01")
    assert (r["dpd"], r["overdue_installments"]) == (0, 0)
    assert (r["next_due_on"], r["next_due_amount"]) == (D("2026-03-31"), money(1030))
    assert one(loan, "2026-04-01")["dpd"] == 1


def test_interest_only_then_bullet():
    loan = monthly("IO", "2025-12-31", [("2026-01-31", 0, 100), ("2026-02-28", 0, 100),
                                       ("2026-03-31", 10000, 100)])
    loan.pay("2026-01-31", 100).pay("2026-02-28", 100).pay("2026-03-31", 5100)
    r = one(loan, "2026-03-31")
    assert (r["paid_interest"], r["paid_principal"], r["outstanding_principal"]) == (
        money(300), money(5000), money(5000))
    r = one(loan, "2026-04-30")
    assert (r["dpd"], r["bucket"], r["overdue_principal"], r["overdue_interest"]) == (
        30, "M1", money(5000), money(0))


@pytest.mark.parametrize(("due", "on", "dpd"), [
    ("2024-02-29", "2024-03-31", 31),   # leap day due date
    ("2024-01-31", "2024-03-01", 30),   # across a 29-day February
    ("2023-01-31", "2023-03-02", 30),   # across a 28-day February
    ("2023-12-31", "2024-12-31", 366),  # a leap year of arrears
])
def test_days_past_due_count_calendar_days_across_leap_years(due, on, dpd):
    loan = monthly("LY", "2023-01-01", [(due, 1000, 10)])
    assert one(loan, on)["dpd"] == dpd


@pytest.mark.parametrize(("dpd", "bucket"), [
    (0, "M0"), (1, "M1"), (30, "M1"), (31, "M2"), (60, "M2"), (61, "M3"), (90, "M3"), (91, "M4"),
    (120, "M4"), (121, "M5"), (150, "M5"), (151, "M6"), (180, "M6"), (181, "M7+"), (900, "M7+"),
])
def test_every_bucket_boundary(dpd, bucket):
    loan = monthly("B", "2020-01-01", [("2020-02-01", 1000, 10)])
    r = one(loan, (D("2020-02-01") + __import__("datetime").timedelta(days=dpd)).isoformat())
    assert (r["dpd"], r["bucket"]) == (dpd, bucket)


def test_restructured_schedule_switches_on_its_date():
    loan = monthly("RS", "2025-12-31", [], written_off_on=None)
    old = [Installment(n, D(d), money(1000), money(50), valid_to=D("2026-03-15"))
           for n, d in enumerate(("2026-01-31", "2026-02-28", "2026-03-31"), start=1)]
    # arrears settled at the restructuring, the rest stretched over four months from April
    new = [Installment(1, D("2026-01-31"), money(1000), money(50), valid_from=D("2026-03-15"))]
    new += [Installment(n, D(d), money(500), money(20), valid_from=D("2026-03-15"))
            for n, d in enumerate(("2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"), start=2)]
    loan.schedule, loan.principal = old + new, money(3000)
    loan.pay("2026-01-31", 1050).pay("2026-03-15", 0.01)
    before = one(loan, "2026-03-14")
    assert (before["dpd"], before["overdue_principal"]) == (14, money(1000))
    after = one(loan, "2026-03-15")
    assert (after["dpd"], after["overdue_principal"], after["outstanding_principal"]) == (
        0, money(0), money(2000))
    assert (after["next_due_on"], after["next_due_amount"]) == (D("2026-04-30"), money("519.99"))


def test_written_off_loans_keep_their_arrears():
    loan = three(written_off_on=D("2026-06-30"))
    assert one(loan, "2026-06-29")["status"] == "active"
    r = one(loan, "2026-06-30")
    assert (r["status"], r["dpd"], r["overdue_principal"]) == ("written_off", 150, money(3000))


def test_before_disbursement_nothing_is_outstanding():
    r = one(three(), "2025-12-30")
    assert (r["status"], r["outstanding_principal"], r["dpd"], r["mob"]) == (
        "not_started", money(0), 0, 0)


def test_months_on_book_count_calendar_months():
    loan = three()
    assert [one(loan, d)["mob"] for d in ("2025-12-31", "2026-01-01", "2026-01-31", "2026-03-31")] == [
        0, 1, 1, 3]


def test_penalty_interest_accrues_daily_on_overdue_principal():
    loan = three(annual_rate=Decimal("0.12"))
    # 1,000 overdue 59 days and 1,000 overdue 31 days at 12 % x 1.5, ACT/360
    assert one(loan, "2026-03-31")["penalty_interest"] == money(45)
    loan.pay("2026-02-15", 1050)  # January paid: its penalty is settled with it
    assert one(loan, "2026-03-31")["penalty_interest"] == money("15.50")


def test_penalty_rounds_half_up_to_the_cent():
    # 0.01 x 1.5 x 1 day / 360 x 1.2 = exactly 0.00005: rounds to 0.00; x 100 days 0.005 -> 0.01
    loan = monthly("P", "2025-12-31", [("2026-01-31", "1.20", 0)], annual_rate=Decimal("0.01"))
    assert one(loan, "2026-02-01")["penalty_interest"] == money(0)
    loan = monthly("P", "2025-12-31", [("2026-01-31", "120.00", 0)], annual_rate=Decimal("0.01"))
    assert one(loan, "2026-01-31")["penalty_interest"] == money(0)
    assert one(loan, "2026-02-01")["penalty_interest"] == money("0.01")  # 0.005 exactly


def test_several_dates_in_one_pass_equal_one_date_at_a_time():
    loans = [three().pay("2026-01-31", 1050).pay("2026-03-10", 500), three(fee=5).pay("2026-02-20", 2000)]
    loans[1].loan_id = "L2"
    days = ("2026-01-31", "2026-02-01", "2026-02-28", "2026-03-15", "2026-04-30")
    together = snapshot(loans, *days)
    for day in days:
        alone = snapshot(loans, day)
        for key, row in alone.items():
            assert together[key] == row


def test_a_history_equals_each_date_alone_through_amendments_and_new_versions():
    """The history reads each row of the schedule for a run of dates: check it where money
    received falls (an amended repayment), the schedule or the loan row changes version, a
    loan has no schedule, pays ahead, settles, has zero installments or due dates that go
    back."""
    amended = three().pay("2026-01-31", 1050).amend("2026-02-27", 1050, 50, "2026-03-20")
    amended.loan_id = "AM"
    restructured = monthly("RS", "2025-12-31", [])
    restructured.schedule = (
        [Installment(n, D(d), money(1000), money(50), valid_to=D("2026-03-15"))
         for n, d in enumerate(("2026-01-31", "2026-02-28", "2026-03-31"), start=1)]
        + [Installment(1, D("2026-01-31"), money(1000), money(50), valid_from=D("2026-03-15"))]
        + [Installment(n, D(d), money(500), money(20), valid_from=D("2026-03-15"))
           for n, d in enumerate(("2026-04-30", "2026-05-31", "2026-06-30", "2026-07-31"), start=2)])
    restructured.principal = money(3000)
    restructured.pay("2026-01-31", 1050).pay("2026-03-15", 0.01).pay("2026-05-02", 500)
    no_schedule = monthly("NS", "2025-12-31", []).pay("2026-01-31", 500)
    no_schedule.principal = money(10000)
    ahead = three(fee=5).pay("2026-01-10", 2200)  # two installments paid before the first is due
    ahead.loan_id = "AH"
    settled = three().pay("2026-03-31", 3150)
    settled.loan_id = "ST"
    zeros = monthly("Z0", "2025-12-31", [("2026-01-31", 0, 0), ("2026-02-28", 1000, 30),
                                         ("2026-03-31", 0, 0), ("2026-04-30", 1000, 20)])
    zeros.pay("2026-03-01", 1030)
    # the loan row itself changes from 2026-03-01: written off from then on
    before = three(written_off_on=None)
    before.loan_id, before.valid_to = "WO", D("2026-03-01")
    after = monthly("WO", "2025-12-31", [], written_off_on=D("2026-03-01"))
    after.principal, after.valid_from = before.principal, D("2026-03-01")
    # a schedule whose due dates go back once (the contract expects them not to)
    backwards = monthly("BW", "2025-12-31", [("2026-02-28", 1000, 30), ("2026-01-31", 1000, 30),
                                             ("2026-04-30", 1000, 30)]).pay("2026-02-10", 1030)
    book = [amended, restructured, no_schedule, ahead, settled, zeros, before, after, backwards]
    days = ("2025-12-30", "2026-01-31", "2026-02-01", "2026-02-28", "2026-03-01", "2026-03-14",
            "2026-03-15", "2026-03-20", "2026-03-31", "2026-04-30", "2026-05-31", "2026-06-30",
            "2026-08-31")
    together = snapshot(book, *days)
    alone = {}
    for day in days:
        alone.update(snapshot(book, day))
    assert len(alone) == 8 * len(days)
    # with due dates going back "the next installment due" has no single meaning (the
    # engine expects them in seq order); arrears and balances must still agree
    for rows in (together, alone):
        for (loan_id, _), row in rows.items():
            if loan_id == "BW":
                del row["next_due_on"], row["next_due_amount"]
    assert together == alone
    # the amendment is seen: 2,100 received until 2026-03-20, then 1,100: February is short
    assert together[("AM", D("2026-03-14"))]["dpd"] == 0
    assert (together[("AM", D("2026-03-20"))]["dpd"],
            together[("AM", D("2026-03-20"))]["overdue_principal"]) == (20, money(1000))


def test_money_columns_are_exact_decimals():
    r = one(three().pay("2026-01-31", "333.33"), "2026-02-01")
    assert isinstance(r["overdue_principal"], Decimal)
    assert r["overdue_principal"] == money("716.67")
    assert RULES.penalty_factor == Decimal("0.00416666666667")


def test_a_loan_without_a_schedule_is_active_with_its_principal_outstanding():
    loan = monthly("NS", "2025-12-31", []).pay("2026-01-31", 500)
    loan.principal = money(10000)
    r = one(loan, "2026-02-28")
    assert (r["status"], r["outstanding_principal"], r["credit_balance"], r["dpd"]) == (
        "active", money(10000), money(500), 0)
