"""When each installment was covered, which were late (and how many working days), which
were partly paid at their due date, and the loan's repayment facts."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.repayment_record import (
    RecordRules,
    installment_cover,
    on_time_since,
    repayment_counts,
    repayment_facts,
)
from loanwatch.domain.calendar import working_days_between
from tests.analytics.book import D, Loan, load, monthly, tables

DUES = [("2026-01-31", 100, 5), ("2026-02-28", 100, 5), ("2026-03-31", 100, 5)]


def cover(loan, on: str, materiality: str = "0.00"):
    con = duckdb.connect()
    load(con, [loan])
    b = ibis.duckdb.from_connection(con)
    c = installment_cover(b.table("installments"), b.table("repayments"), D(on),
                          Decimal(materiality))
    rows = b.to_pyarrow(c.order_by("seq")).to_pylist()
    facts = b.to_pyarrow(repayment_facts(c, D(on))).to_pylist()
    starts = ibis.memtable(pa.table({"loan_id": [loan.loan_id], "start": [D("2026-02-01")]}))
    since = b.to_pyarrow(on_time_since(c, starts)).to_pylist()
    con.close()
    return ([(r["seq"], r["covered_on"], r["late"]) for r in rows], facts[0] if facts else None,
            since[0] if since else None)


def test_each_installment_is_covered_when_the_money_received_reaches_it():
    # 105 on 01-31 covers #1 on time; 50 + 60 on 03-10 reach 210 (#2, late) and leave 5
    # toward #3, which is unpaid after its due date: late, uncovered
    loan = monthly("L", "2025-12-31", DUES).pay("2026-01-31", 105).pay("2026-03-10", 50) \
        .pay("2026-03-10", 60)
    rows, facts, since = cover(loan, "2026-04-15")
    assert rows == [(1, D("2026-01-31"), False), (2, D("2026-03-10"), True), (3, None, True)]
    assert facts == dict(loan_id="L", late_12m=2, cured_on=D("2026-03-10"), in_arrears=True)
    assert since is None  # nothing due from 02-01 on was paid on time


def test_on_its_due_date_an_unpaid_installment_is_not_late_yet():
    loan = monthly("L", "2025-12-31", DUES).pay("2026-01-31", 105).pay("2026-02-27", 105)
    rows, facts, since = cover(loan, "2026-03-31")
    assert rows[-1] == (3, None, False)
    assert facts["in_arrears"] is False and facts["late_12m"] == 0 and facts["cured_on"] is None
    assert since == dict(loan_id="L", on_time=2, first_due=D("2026-02-28"))


def test_money_received_after_the_date_is_not_seen():
    loan = monthly("L", "2025-12-31", DUES).pay("2026-02-05", 105)
    rows, facts, _ = cover(loan, "2026-02-01")
    assert rows == [(1, None, True)]
    assert facts["in_arrears"] is True


@pytest.mark.parametrize("paid, late", [("104.99", False), ("104.98", True)])
def test_a_shortfall_within_the_materiality_threshold_is_covered(paid, late):
    loan = monthly("L", "2025-12-31", DUES).pay("2026-01-31", paid)
    rows, _, _ = cover(loan, "2026-02-10", materiality="0.01")
    assert rows[0][2] is late


@pytest.mark.parametrize("since", ["2025-12-31", "2026-01-31", "2026-02-15", "2026-03-10",
                                   "2026-04-30"])
@pytest.mark.parametrize("materiality", ["0.00", "5.00"])
@pytest.mark.parametrize("working_days", [0, 5, 20])
def test_counts_since_a_date_agree_with_the_dated_record(since, materiality, working_days):
    # paid ahead (#2 partly before 02-15), late (#2 on 03-10), short by 5.00 (#4), payments
    # on the due dates and on `since` itself; L2 never pays, L3 pays everything on day one
    a = monthly("L", "2025-12-31", DUES + [("2026-04-30", 100, 5)]).pay("2026-01-31", 150) \
        .pay("2026-02-15", 10).pay("2026-03-10", 50).pay("2026-04-30", 100)
    b = monthly("L2", "2025-12-31", DUES)
    c = monthly("L3", "2025-12-31", DUES).pay("2026-01-01", 315)
    con = duckdb.connect()
    load(con, [a, b, c])
    bk = ibis.duckdb.from_connection(con)
    i, r, on = bk.table("installments"), bk.table("repayments"), D("2026-04-30")
    whole = bk.to_pyarrow(installment_cover(i, r, on, Decimal(materiality),
                                            loans=bk.table("loans"))).to_pylist()
    expected: dict[str, tuple[int, int]] = {}
    for row in whole:
        if row["due_on"] > D(since):
            late, long_late = expected.get(row["loan_id"], (0, 0))
            days = working_days_between(row["due_on"], row["covered_on"] or on)
            expected[row["loan_id"]] = (late + row["late"],
                                        long_late + (row["late"] and days > working_days))
    rules = RecordRules(Decimal(materiality), working_days)
    got = bk.to_pyarrow(repayment_counts(i, r, on, D(since), rules)).to_pylist()
    assert {row["loan_id"]: (row["late"], row["long_late"]) for row in got} == expected
    con.close()


def counts(loans: list[Loan], on: str, rules: RecordRules | None = None) -> dict[str, dict]:
    """``repayment_counts`` over the 12 months to ``on``, by loan, from in-memory tables."""
    t = {name: ibis.memtable(table) for name, table in tables(loans).items()}
    since = D(on).replace(year=D(on).year - 1)
    expr = repayment_counts(t["installments"], t["repayments"], D(on), since,
                            rules or RecordRules())
    return {r.pop("loan_id"): r for r in ibis.duckdb.connect().to_pyarrow(expr).to_pylist()}


def once(due: str, paid: str | None = None) -> Loan:
    """One installment of 100 + 5 due ``due``, paid in full on ``paid``."""
    loan = monthly("L", "2025-12-01", [(due, 100, 5)])
    return loan.pay(paid, 105) if paid else loan


@pytest.mark.parametrize("due, paid, on, long_late", [
    ("2026-01-07", "2026-01-14", "2026-01-31", 0),  # Wednesday to Wednesday: 5 working days
    ("2026-01-07", "2026-01-15", "2026-01-31", 1),  # ... to Thursday: 6
    ("2026-01-09", "2026-01-16", "2026-01-31", 0),  # Friday to Friday, a weekend inside: 5
    ("2026-01-09", "2026-01-18", "2026-01-31", 0),  # ... to the Sunday after: still 5
    ("2026-01-09", "2026-01-19", "2026-01-31", 1),  # ... to the Monday after: 6
    ("2026-01-09", None, "2026-01-16", 0),          # unpaid, 5 working days at the date
    ("2026-01-09", None, "2026-01-19", 1),          # unpaid, 6
    ("2026-01-09", "2026-01-20", "2026-01-19", 1),  # paid after the date: not seen
])
def test_long_late_is_more_than_five_working_days_after_the_due_date(due, paid, on, long_late):
    assert counts([once(due, paid)], on)["L"] == dict(late=1, long_late=long_late, periods=1,
                                                      partial=0, partials=None)


def test_long_late_takes_the_policy_s_number_of_working_days():
    loan = once("2026-01-07", "2026-01-15")  # 6 working days late
    assert counts([loan], "2026-01-31", RecordRules(long_late_working_days=6))["L"]["long_late"] == 0
    assert counts([loan], "2026-01-31", RecordRules(long_late_working_days=0))["L"]["long_late"] == 1


FOUR = DUES + [("2026-04-30", 100, 5)]


def partials(*rows: tuple[int, str, str]) -> list[dict]:
    return [dict(seq=seq, due_on=D(due), received=Decimal(received), due=Decimal("105.00"))
            for seq, due, received in rows]


@pytest.mark.parametrize("payments, on, partial, detail", [
    # #2 gets 50 by its due date, #3 45 (the 100 of 03-31 makes #2 good first), #4 is paid
    ([("2026-01-31", 105), ("2026-02-28", 50), ("2026-03-31", 100), ("2026-04-30", 165)],
     "2026-04-30", 2, [(2, "2026-02-28", "50.00"), (3, "2026-03-31", "45.00")]),
    # only #2 is partly paid: 1 of the last 3
    ([("2026-01-31", 105), ("2026-02-28", 50), ("2026-03-31", 160), ("2026-04-30", 105)],
     "2026-04-30", 1, [(2, "2026-02-28", "50.00")]),
    # #1 and #2 partly paid, but #1 is not among the last 3 due
    ([("2026-01-31", 50), ("2026-02-28", 110), ("2026-03-31", 155), ("2026-04-30", 105)],
     "2026-04-30", 1, [(2, "2026-02-28", "55.00")]),
    # at 03-31 the last 3 are #1-#3; #3 is partly paid on its due date, which is the date
    # (not late yet); the money of 04-01 is not seen
    ([("2026-01-31", 105), ("2026-02-28", 50), ("2026-03-31", 100), ("2026-04-01", 60)],
     "2026-03-31", 2, [(2, "2026-02-28", "50.00"), (3, "2026-03-31", "45.00")]),
    # nothing paid at all: missed, not partly paid
    ([], "2026-04-30", 0, []),
])
def test_partial_payments_in_the_last_three_installments_due(payments, on, partial, detail):
    loan = monthly("L", "2025-12-31", FOUR)
    for day, amount in payments:
        loan.pay(day, amount)
    got = counts([loan], on)["L"]
    assert (got["periods"], got["partial"], got["partials"]) == (3, partial,
                                                                 partials(*detail) or None)


def test_partial_payments_need_money_beyond_the_materiality_threshold():
    loan = monthly("L", "2025-12-31", FOUR[:2]).pay("2026-01-31", "104.99").pay("2026-02-28", "101")
    # #1 short by 0.01 (within 0.01: covered); #2 gets 101 - 0.01 = 100.99 of 105: partial
    got = counts([loan], "2026-02-28", RecordRules(materiality=Decimal("0.01")))["L"]
    assert (got["late"], got["periods"], got["partial"]) == (0, 2, 1)
    assert got["partials"] == [dict(seq=2, due_on=D("2026-02-28"), received=Decimal("100.99"),
                                    due=Decimal("105.00"))]
