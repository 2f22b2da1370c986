"""When each installment was covered, which were late, and the loan's repayment facts."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.repayment_record import (
    installment_cover,
    late_since,
    on_time_since,
    repayment_facts,
)
from tests.analytics.book import D, load, monthly

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
def test_late_counts_since_a_date_agree_with_the_dated_record(since, materiality):
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
    expected = {}
    for row in whole:
        if row["due_on"] > D(since):
            expected[row["loan_id"]] = expected.get(row["loan_id"], 0) + row["late"]
    got = bk.to_pyarrow(late_since(i, r, on, D(since), Decimal(materiality))).to_pylist()
    assert {row["loan_id"]: row["late"] for row in got} == expected
    con.close()
