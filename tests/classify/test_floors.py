"""Every automatic floor of the five-level classification (METRICS.md), with its boundaries.

Unless said otherwise a loan is one installment of principal only, unpaid, due ``dpd`` days
before the as-of date ON, so its DPD is ``dpd`` and its outstanding its principal."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.analytics.book import D, Loan, monthly
from tests.classify.book import Book, classify

ON = "2026-06-30"


def overdue(loan_id: str, dpd: int, principal: object = 1000, on: str = ON) -> Loan:
    due = D(on) - dt.timedelta(days=dpd)
    return monthly(loan_id, (due - dt.timedelta(days=30)).isoformat(),
                   [(due.isoformat(), principal, 0)])


def current(loan_id: str, principal: object = 1000) -> Loan:
    """Due a month after ON: nothing overdue."""
    return monthly(loan_id, "2026-06-01", [("2026-07-31", principal, 0)])


def one(book: Book, loan_id: str = "L", on: str = ON) -> dict:
    return classify(book, on)[loan_id]


@pytest.mark.parametrize("dpd, five_class, reasons", [
    (0, "normal", []),                 # due today: not overdue yet
    (1, "special_mention", ["OVERDUE"]),
    (90, "special_mention", ["OVERDUE"]),
    (91, "substandard", ["DPD-90"]),
    (270, "substandard", ["DPD-90"]),
    (271, "doubtful", ["DPD-270"]),
    (360, "doubtful", ["DPD-270"]),
    (361, "loss", ["DPD-360"]),
])
def test_days_past_due_set_the_floor(dpd, five_class, reasons):
    row = one(Book([overdue("L", dpd)]))
    assert (row["dpd"], row["five_class"], row["reasons"]) == (dpd, five_class, reasons)
    assert row["auto_class"] == five_class


@pytest.mark.parametrize("dpd, marked_days_ago, five_class", [
    (7, 3, "normal"),             # marked during this overdue, at most 7 days: technical
    (8, 3, "special_mention"),    # longer than the technical allowance
    (5, 6, "special_mention"),    # the mark is older than this overdue episode
    (5, None, "special_mention"),  # no mark
])
def test_a_technical_overdue_the_bank_marks_is_no_floor(dpd, marked_days_ago, five_class):
    marks = [] if marked_days_ago is None else [
        ("L", (D(ON) - dt.timedelta(days=marked_days_ago)).isoformat())]
    row = one(Book([overdue("L", dpd)], marks=marks))
    assert row["five_class"] == five_class
    assert row["technical_overdue"] is (five_class == "normal")


def test_a_written_off_loan_is_loss():
    loan = overdue("L", 40)
    loan.written_off_on = D("2026-06-01")
    row = one(Book([loan]))
    assert (row["status"], row["five_class"], row["reasons"]) == ("written_off", "loss",
                                                                  ["WRITTEN-OFF"])


@pytest.mark.parametrize("kind, months_ago, five_class", [
    ("dishonest_debtor", 3, "substandard"),
    ("dishonest_debtor", 13, "normal"),   # outside the 12 months of the policy
    ("lawsuit", 1, "normal"),             # not a credit-impairment event by default
])
def test_a_credit_impaired_debtor_is_at_least_substandard(kind, months_ago, five_class):
    on = (D(ON) - dt.timedelta(days=months_ago * 31)).isoformat()
    row = one(Book([current("L")], events=[("C-L", on, kind)]))
    assert row["five_class"] == five_class
    assert row["reasons"] == (["CREDIT-IMPAIRED"] if five_class != "normal" else [])


@pytest.mark.parametrize("other, enterprise, five_class", [
    # NPL 1,000.00 of 10,000.00 = 10.00%: not more than 10%
    ("9000.00", True, "normal"),
    # 1,000.00 of 9,990.01 = 10.01%
    ("8990.01", True, "substandard"),
    # a retail debtor's loans are classified one by one
    ("8990.01", False, "normal"),
])
def test_a_debtor_with_more_than_a_tenth_non_performing_here_is_non_performing(
        other, enterprise, five_class):
    book = Book([overdue("BAD", 100), current("L", other)], customer_of={"BAD": "C", "L": "C"},
                enterprises={"C"} if enterprise else set())
    rows = classify(book, ON)
    assert rows["BAD"]["five_class"] == "substandard"
    assert rows["L"]["five_class"] == five_class
    assert rows["L"]["reasons"] == (["DEBTOR-NPL-SHARE"] if five_class != "normal" else [])


@pytest.mark.parametrize("here, elsewhere, over_90, enterprise, five_class, reasons", [
    # 2,000 90+ of 8,000 here + 2,000 elsewhere = 20.00%: only "NPL elsewhere"
    ("8000.00", "2000.00", "2000.00", True, "special_mention", ["DEBTOR-NPL-ELSEWHERE"]),
    # 2,001 of 7,999 + 2,001 = 20.01%
    ("7999.00", "2001.00", "2001.00", True, "substandard", ["DEBTOR-BUREAU-90"]),
    ("8000.00", "2000.00", "0.00", True, "normal", []),
    ("8000.00", "2000.00", None, True, "normal", []),      # the bureau does not say
    ("7999.00", "2001.00", "2001.00", False, "normal", []),  # retail
])
def test_bureau_debt_more_than_90_days_overdue(here, elsewhere, over_90, enterprise, five_class,
                                                reasons):
    book = Book([current("L", here)], bureau={"C-L": ("2026-06-01", elsewhere, over_90)},
                enterprises={"C-L"} if enterprise else set())
    row = one(book)
    assert (row["five_class"], row["reasons"]) == (five_class, reasons)


def test_a_bureau_report_after_the_date_is_not_read():
    book = Book([current("L", "7999.00")], bureau={"C-L": ("2026-07-01", "2001.00", "2001.00")},
                enterprises={"C-L"})
    assert one(book)["five_class"] == "normal"


def restructured(payments: list[tuple[str, int]]) -> Loan:
    """Restructured on 2025-06-15 into 24 monthly installments of 100 from 2025-07-31; paid
    ``(on, installments)``."""
    dues = []
    day = D("2025-07-31")
    for _ in range(24):
        dues.append((day.isoformat(), 100, 0))
        day = (day.replace(day=1) + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    loan = monthly("L", "2025-01-15", dues)
    for on, n in payments:
        loan.pay(on, 100 * n)
    return loan


def on_time(until: str) -> list[tuple[str, int]]:
    return [(d, 1) for d in _month_ends("2025-07-31", until)]


def _month_ends(start: str, end: str) -> list[str]:
    out, day = [], D(start)
    while day <= D(end):
        out.append(day.isoformat())
        day = (day.replace(day=1) + dt.timedelta(days=62)).replace(day=1) - dt.timedelta(days=1)
    return out


@pytest.mark.parametrize("on, payments, previous, five_class, reasons, observed", [
    # first due date after restructuring 2025-07-31; a year of payments on time later it ends
    ("2026-06-30", on_time("2026-06-30"), None, "special_mention", ["RESTRUCT-OBSERVATION"], True),
    ("2026-07-31", on_time("2026-07-31"), None, "normal", [], False),
    # 2025-10-31 paid on 2025-11-10: it restarts at 2025-11-30 and runs to 2026-11-30
    ("2026-07-31", [p for p in on_time("2026-07-31") if p[0] != "2025-10-31"]
     + [("2025-11-10", 1)], None, "special_mention", ["RESTRUCT-OBSERVATION"], True),
    # non-performing before the restructuring: it stays non-performing while observed
    ("2026-06-30", on_time("2026-06-30"), ("2025-05-31", "substandard", "2025-03-01", None),
     "substandard", ["RESTRUCT-WAS-NPL", "RESTRUCT-NO-UPGRADE"], True),
    # no upgrade while observed: 可疑 at the run before stays 可疑
    ("2026-06-30", on_time("2026-06-30"), ("2026-05-31", "doubtful", "2025-03-01", "doubtful"),
     "doubtful", ["RESTRUCT-WAS-NPL", "RESTRUCT-NO-UPGRADE"], True),
])
def test_restructured_loans_are_observed(on, payments, previous, five_class, reasons, observed):
    book = Book([restructured(payments)], restructured={"L": "2025-06-15"},
                previous={"L": previous} if previous else {})
    row = one(book, on=on)
    assert (row["five_class"], row["reasons"], row["in_observation"]) == (
        five_class, reasons, observed)


@pytest.mark.parametrize("on, five_class", [
    # NPL since 2025-12-31; arrears paid 2026-01-05; then 2026-01-31 … on time: six months
    # after 2026-01-05 is 2026-07-05
    ("2026-06-30", "substandard"),
    ("2026-07-31", "normal"),
])
def test_leaving_non_performing_waits_for_six_months_of_good_payment(on, five_class):
    dues = [(d, 100, 0) for d in _month_ends("2025-07-31", "2027-06-30")]
    loan = monthly("L", "2025-07-01", dues)
    loan.pay("2026-01-05", 600)  # 2025-07-31 … 2025-12-31, all late
    for d in _month_ends("2026-01-31", on):
        loan.pay(d, 100)
    book = Book([loan], previous={"L": ("2026-05-31", "substandard", "2025-12-31", None)})
    row = one(book, on=on)
    assert row["five_class"] == five_class
    assert row["upgrade_ready"] is (five_class == "normal")
    assert row["reasons"] == (["UPGRADE-PENDING"] if five_class != "normal" else [])
    assert row["npl_since"] == (D("2025-12-31") if five_class != "normal" else None)


def test_two_periods_are_needed_as_well_as_six_months():
    # a bullet loan: one installment left, due after the date; six months pass, no period
    loan = monthly("L", "2025-01-01", [("2025-06-30", 0, 50), ("2027-06-30", 1000, 0)])
    loan.pay("2025-09-01", 50)
    book = Book([loan], previous={"L": ("2026-05-31", "substandard", "2025-08-01", None)})
    row = one(book, on="2026-06-30")
    assert (row["five_class"], row["upgrade_ready"]) == ("substandard", False)


def test_a_loan_turning_non_performing_starts_its_npl_period_today():
    row = one(Book([overdue("L", 91)]))
    assert row["npl_since"] == D(ON)


@pytest.mark.parametrize("overrides, five_class, reasons", [
    # proposed and worse than the automatic class: a floor, in force at once
    ([("L", "substandard", "proposed", "2026-06-01", None)], "substandard", ["MANUAL"]),
    # proposed and better: no effect until approved
    ([("L", "normal", "proposed", "2026-06-01", None)], "special_mention", ["OVERDUE"]),
    ([("L", "normal", "approved", "2026-06-01", "2026-06-10")], "normal", ["MANUAL"]),
    # approved after the date: at the date it was only proposed
    ([("L", "normal", "approved", "2026-06-01", "2026-07-02")], "special_mention", ["OVERDUE"]),
    ([("L", "substandard", "rejected", "2026-06-01", "2026-06-10")], "special_mention",
     ["OVERDUE"]),
    # in force from a later date
    ([("L", "substandard", "proposed", "2026-07-01", None)], "special_mention", ["OVERDUE"]),
    # the same as the automatic class: both reasons
    ([("L", "special_mention", "proposed", "2026-06-01", None)], "special_mention",
     ["OVERDUE", "MANUAL"]),
])
def test_a_person_may_only_make_a_loan_worse_unless_a_second_person_approves(
        overrides, five_class, reasons):
    row = one(Book([overdue("L", 10)], overrides=overrides))
    assert (row["five_class"], row["reasons"], row["auto_class"]) == (
        five_class, reasons, "special_mention")
