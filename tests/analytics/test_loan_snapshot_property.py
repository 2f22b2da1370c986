"""The engine agrees with the plain-Python reference allocator on random books."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loanwatch.analytics.loan_snapshot import SnapshotRules
from tests.analytics.book import BUCKETS, Installment, Loan, snapshot
from tests.analytics.reference import reference_snapshot

START = dt.date(2024, 1, 1)
cents = st.integers(min_value=0, max_value=300_000).map(lambda c: Decimal(c) / 100)
small_cents = st.one_of(st.just(Decimal(0)), st.integers(0, 5_000).map(lambda c: Decimal(c) / 100))


@st.composite
def loans(draw, loan_id: str) -> Loan:
    disbursed = START + dt.timedelta(days=draw(st.integers(0, 60)))
    n = draw(st.integers(0, 8))
    gaps = draw(st.lists(st.integers(0, 40), min_size=n, max_size=n))  # 0: same-day dues
    due, schedule = disbursed, []
    for seq, gap in enumerate(gaps, start=1):
        due += dt.timedelta(days=gap)
        schedule.append(Installment(seq, due, draw(cents), draw(small_cents), draw(small_cents)))
    payments = draw(st.lists(st.tuples(st.integers(0, 400), cents), max_size=6))
    loan = Loan(loan_id, disbursed, sum((s.principal for s in schedule), Decimal(0)),
                annual_rate=Decimal(draw(st.integers(1, 3600))) / 10_000, schedule=schedule,
                written_off_on=draw(st.none() | st.just(disbursed + dt.timedelta(days=200))))
    loan.payments = [(disbursed + dt.timedelta(days=d), a.quantize(Decimal("0.01"))) for d, a in payments]
    return loan


@st.composite
def books(draw):
    return [draw(loans(f"L{n}")) for n in range(draw(st.integers(1, 12)))]


FIELDS = ("status", "dpd", "outstanding_principal", "paid_principal", "paid_interest", "paid_fee",
          "overdue_principal", "overdue_interest", "overdue_fee", "credit_balance",
          "overdue_installments", "next_due_on", "next_due_amount", "penalty_interest")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), offsets=st.lists(st.integers(-10, 450), min_size=1, max_size=3),
       near_due=st.lists(st.tuples(st.integers(0, 100), st.integers(-1, 1)), max_size=3),
       threshold=st.sampled_from([Decimal("0"), Decimal("0"), Decimal("0.50")]))
def test_engine_matches_the_reference_allocator(book, offsets, near_due, threshold):
    # boundaries matter most: also look the day before, on and after some due dates
    dues = sorted({s.due_on for loan in book for s in loan.schedule})
    dates = {START + dt.timedelta(days=o) for o in offsets}
    dates |= {dues[n % len(dues)] + dt.timedelta(days=shift) for n, shift in near_due if dues}
    dates = sorted(dates)
    rules = SnapshotRules(BUCKETS, materiality=threshold)
    got = snapshot(book, *(d.isoformat() for d in dates), rules=rules)
    for loan in book:
        for day in dates:
            want = reference_snapshot(loan, day, threshold=threshold)
            row = got[(loan.loan_id, day)]
            assert {f: row[f] for f in FIELDS} == want, (loan, day)
