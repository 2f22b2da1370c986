"""Vectorised amortisation schedules against exact integer checks and the Decimal reference."""

from __future__ import annotations

import calendar
import datetime
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from loanwatch.simulate.schedules import (
    METHODS,
    Schedule,
    add_months,
    build_schedules,
    monthly_interest,
    reference_schedule,
)

EI, EP, IF, BULLET = (
    METHODS.index(m) for m in ("equal_installment", "equal_principal", "interest_first", "bullet")
)
D = 12_000_000  # 12 months × rate in millionths


def rhu(num: int, den: int) -> int:
    """Round half up of num / den for non-negative Python ints."""
    return (2 * num + den) // (2 * den)


def py_add_months(start: datetime.date, months: int) -> datetime.date:
    y, m0 = divmod(start.year * 12 + start.month - 1 + months, 12)
    return datetime.date(y, m0 + 1, min(start.day, calendar.monthrange(y, m0 + 1)[1]))


def level_payment(p: int, rate_micro: int, n: int) -> int:
    """Exact A in cents: round-half-up of P·r(1+r)^n/((1+r)^n−1), r = rate/12; ceil(P/n) at rate 0."""
    if rate_micro == 0:
        return -(-p // n)
    g = (D + rate_micro) ** n
    return rhu(p * rate_micro * g, D * (g - D**n))


def build(
    loans: list[tuple[int, int, int, int, datetime.date]], first_seq: list[int] | None = None
) -> Schedule:
    p, r, m, t, d = zip(*loans, strict=True)
    return build_schedules(
        np.array(p, dtype=np.int64),
        np.array(r, dtype=np.int64),
        np.array(m, dtype=np.int8),
        np.array(t, dtype=np.int64),
        np.array(d, dtype="datetime64[D]"),
        None if first_seq is None else np.array(first_seq, dtype=np.int32),
    )


def rows(s: Schedule, i: int) -> tuple[list[int], list[datetime.date], list[int], list[int]]:
    lo, hi = np.searchsorted(s.loan, [i, i + 1])
    return (
        s.seq[lo:hi].tolist(),
        s.due_on[lo:hi].tolist(),
        s.principal_due[lo:hi].tolist(),
        s.interest_due[lo:hi].tolist(),
    )


loan_st = st.tuples(
    st.integers(100_000, 500_000_000),  # 1_000.00 – 5_000_000.00 yuan, in cents
    st.integers(0, 240_000),  # 0 – 0.24, six decimals
    st.integers(0, len(METHODS) - 1),
    st.integers(1, 360),
    st.dates(datetime.date(2020, 1, 1), datetime.date(2026, 12, 31)),
)
batch_st = st.lists(loan_st, min_size=1, max_size=6)

# Loans worth pinning: A exactly on a half cent, zero rate, month ends, longest terms.
PINNED = [
    [
        (351_571_875, 640, EI, 2, datetime.date(2024, 1, 31)),
        (187_875_250, 24_000, EI, 3, datetime.date(2025, 1, 31)),
    ],
    [(100_000, 0, EI, 7, datetime.date(2023, 1, 31)), (100_000, 0, EP, 7, datetime.date(2020, 2, 29))],
    [
        (100_000, 240_000, EI, 360, datetime.date(2026, 12, 31)),
        (500_000_000, 240_000, BULLET, 360, datetime.date(2020, 1, 30)),
    ],
    [
        (500_000_000, 1, EI, 360, datetime.date(2021, 8, 31)),
        (123_457, 43_500, IF, 360, datetime.date(2022, 5, 31)),
    ],
]


# --- add_months -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2024-01-31", 1, "2024-02-29"),
        ("2023-01-31", 1, "2023-02-28"),
        ("2024-01-31", 2, "2024-03-31"),  # counted from the start day, not from the clamped February
        ("2024-02-29", 12, "2025-02-28"),
        ("2020-08-31", 1, "2020-09-30"),
        ("2023-12-15", 1, "2024-01-15"),
        ("2023-11-30", 3, "2024-02-29"),
        ("2024-03-31", -1, "2024-02-29"),
        ("2024-05-10", 0, "2024-05-10"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    got = add_months(np.array([start], dtype="datetime64[D]"), months)
    assert got.dtype == np.dtype("datetime64[D]")
    assert got[0] == np.datetime64(expected)


@given(
    st.lists(
        st.tuples(st.dates(datetime.date(2000, 1, 1), datetime.date(2030, 12, 31)), st.integers(0, 400)),
        min_size=1,
    )
)
def test_add_months_matches_calendar(cases: list[tuple[datetime.date, int]]) -> None:
    starts, months = zip(*cases, strict=True)
    got = add_months(np.array(starts, dtype="datetime64[D]"), np.array(months))
    assert got.tolist() == [py_add_months(d, k) for d, k in cases]


# --- monthly_interest -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "rate", "months", "expected"),
    [
        (100_000_000, 43_500, 1, 362_500),  # 1,000,000 × 4.35% / 12 = 3,625.00
        (100_000_000, 43_500, 12, 4_350_000),
        (100_000_000, 49_000, 1, 408_333),  # 4,083.333…
        (1, 6_000_000, 1, 1),  # exactly half a cent rounds up
        (1, 5_999_999, 1, 0),
        (3, 2_000_000, 1, 1),  # 0.5
        (1, 2_000_000, 3, 1),  # 0.5 through months
        (-1, 6_000_000, 1, -1),  # half away from zero, as Decimal ROUND_HALF_UP
        (0, 240_000, 1, 0),
        (100_000_000_000, 400_000, 360, 1_200_000_000_000),  # would overflow as balance×rate×months
    ],
)
def test_monthly_interest_examples(balance: int, rate: int, months: int, expected: int) -> None:
    assert int(monthly_interest(np.array([balance]), np.array([rate]), months)[0]) == expected


@given(
    st.lists(
        st.tuples(st.integers(0, 100_000_000_000), st.integers(0, 400_000), st.integers(1, 360)), min_size=1
    )
)
def test_monthly_interest_is_exact(cases: list[tuple[int, int, int]]) -> None:
    b, r, m = (np.array(c, dtype=np.int64) for c in zip(*cases, strict=True))
    assert monthly_interest(b, r, m).tolist() == [rhu(bb * rr * mm, D) for bb, rr, mm in cases]
    assert monthly_interest(b, r).tolist() == [rhu(bb * rr, D) for bb, rr, _ in cases]


def test_monthly_interest_overflow_raises() -> None:
    with pytest.raises(OverflowError):
        monthly_interest(np.array([2**62]), np.array([400_000]))


# --- hand-checked examples ------------------------------------------------------------------------


def test_textbook_mortgage_one_million_at_4_9_percent_30_years() -> None:
    d = datetime.date(2024, 1, 15)
    s = build([(100_000_000, 49_000, m, 360, d) for m in (EI, EP, IF, BULLET)])
    ei, ep, ifirst, bullet = (rows(s, i) for i in range(4))
    # 等额本息: the published monthly payment for 100万 / 4.9% / 30 years is 5,307.27 yuan.
    assert ei[2][0] + ei[3][0] == 530_727
    assert ei[3][0] == 408_333
    # 等额本金: 1,000,000 // 360 = 2,777.77 principal, first interest 4,083.33; last takes the remainder.
    assert ep[2][:3] == [277_777] * 3
    assert ep[3][0] == 408_333
    assert ep[2][-1] == 100_000_000 - 359 * 277_777
    assert ep[3][1] == rhu((100_000_000 - 277_777) * 49_000, D)
    # 先息后本: interest only, principal at the end.
    assert set(ifirst[3]) == {408_333}
    assert ifirst[2][-1] == 100_000_000 and set(ifirst[2][:-1]) == {0}
    # 到期一次还本付息: 1,000,000 × 4.9% × 30 years = 1,470,000.00 interest.
    assert bullet == ([1], [datetime.date(2054, 1, 15)], [100_000_000], [147_000_000])


def test_level_payment_exactly_on_half_a_cent_rounds_up() -> None:
    # r = 0.064% / 12 = 1/18750, n = 2: A = P(1+r)²/(2+r) = 351,571,875 × 18751² / (18750 × 37501)
    # = 175,800,000.5 cents exactly (float64 cannot decide this tie on its own).
    s = build([(351_571_875, 640, EI, 2, datetime.date(2024, 1, 31))])
    _, due, principal, interest = rows(s, 0)
    assert principal[0] + interest[0] == 175_800_001
    assert interest[0] == 18_751  # 351,571,875 / 18750 = 18,750.5, half rounds up too
    assert due == [datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]


def test_zero_rate_loans() -> None:
    d = datetime.date(2023, 1, 31)
    s = build([(100_000, 0, m, 3, d) for m in (EI, EP, IF, BULLET)])
    ei, ep, ifirst, bullet = (rows(s, i) for i in range(4))
    assert ei[2] == [33_334, 33_334, 33_332]  # A = ceil(1000.00 / 3)
    assert ep[2] == [33_333, 33_333, 33_334]
    assert ifirst[2] == [0, 0, 100_000]
    assert bullet[2] == [100_000]
    for r in (ei, ep, ifirst, bullet):
        assert set(r[3]) == {0}
    assert ei[1] == [datetime.date(2023, 2, 28), datetime.date(2023, 3, 31), datetime.date(2023, 4, 30)]
    assert bullet[1] == [datetime.date(2023, 4, 30)]


def test_clipped_when_level_payment_overpays() -> None:
    # rate 0: A = ceil(1000.81 / 360) = 2.79 and 359 × 2.79 > 1000.81, so the loan is paid off early.
    # 358 × 2.79 = 998.82 leaves 1.99 for installment 359 (clipped, never negative) and 0 for the last.
    s = build([(100_081, 0, EI, 360, datetime.date(2024, 1, 1))])
    principal = rows(s, 0)[2]
    assert principal == [279] * 358 + [199, 0]


# --- properties on generated loans ----------------------------------------------------------------


def check_loan(s: Schedule, i: int, loan: tuple[int, int, int, int, datetime.date], seq0: int = 1) -> None:
    p, rate, method, term, start = loan
    seq, due, principal, interest = rows(s, i)
    n = 1 if method == BULLET else term
    assert len(seq) == n
    assert seq == list(range(seq0, seq0 + n))
    assert sum(principal) == p
    assert min(principal) >= 0 and min(interest) >= 0
    assert all(a < b for a, b in zip(due, due[1:], strict=False))

    if method == BULLET:
        assert due == [py_add_months(start, term)]
        assert principal == [p]
        assert interest == [rhu(p * rate * term, D)]
        return

    assert due == [py_add_months(start, k) for k in range(1, n + 1)]
    outstanding = p - np.concatenate([[0], np.cumsum(principal)[:-1]])
    assert interest == [rhu(int(b) * rate, D) for b in outstanding]
    assert principal[-1] == outstanding[-1]

    if method == EP:
        assert principal[:-1] == [p // n] * (n - 1)
    elif method == IF:
        assert principal[:-1] == [0] * (n - 1) and principal[-1] == p
    else:
        a = level_payment(p, rate, n)
        totals = [x + y for x, y in zip(principal, interest, strict=True)]
        after = outstanding - np.array(principal)
        # Level: every installment but the last pays A, unless the loan was already paid off by then
        # (principal clipped at the remaining balance, then nothing more is due).
        for k in range(n - 1):
            assert totals[k] == a or (after[k] == 0 and totals[k] < a), (k, totals[k], a)
        if outstanding[-1] > 0:
            # The last one absorbs rounding: A and each interest are within half a cent of exact, and an
            # error of ε in month k grows to ε·(1+r)^(n−k) by the end.
            g = 1 + rate / D
            bound = n + 1 if rate == 0 else (g**n - 1) / (g - 1) + 1
            assert abs(totals[-1] - a) <= bound, (totals[-1], a, bound)
        else:
            assert totals[-1] == 0


@settings(max_examples=150, deadline=None)
@given(batch_st)
@example(PINNED[0])
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[3])
def test_schedule_invariants(loans: list[tuple[int, int, int, int, datetime.date]]) -> None:
    s = build(loans)
    assert len(s) == sum(1 if m == BULLET else t for _, _, m, t, _ in loans)
    assert np.all(np.diff(s.loan) >= 0)
    for i, loan in enumerate(loans):
        check_loan(s, i, loan)


@settings(max_examples=150, deadline=None)
@given(batch_st)
@example(PINNED[0])
@example(PINNED[1])
@example(PINNED[2])
@example(PINNED[3])
def test_matches_decimal_reference(loans: list[tuple[int, int, int, int, datetime.date]]) -> None:
    s = build(loans)
    for i, (p, rate, method, term, start) in enumerate(loans):
        expected = reference_schedule(
            Decimal(p) / 100, Decimal(rate) / 1_000_000, METHODS[method], term, start
        )
        seq, due, principal, interest = rows(s, i)
        got = [
            (q, d, Decimal(x) / 100, Decimal(y) / 100)
            for q, d, x, y in zip(seq, due, principal, interest, strict=True)
        ]
        assert got == expected


@settings(max_examples=50, deadline=None)
@given(st.lists(st.tuples(loan_st, st.integers(1, 200)), min_size=1, max_size=6))
def test_first_seq_continues_numbering(
    cases: list[tuple[tuple[int, int, int, int, datetime.date], int]],
) -> None:
    loans = [loan for loan, _ in cases]
    firsts = [f for _, f in cases]
    s = build(loans, first_seq=firsts)
    plain = build(loans)
    for i, loan in enumerate(loans):
        check_loan(s, i, loan, seq0=firsts[i])
    np.testing.assert_array_equal(s.seq - plain.seq, np.repeat(np.array(firsts) - 1, np.bincount(s.loan)))
    for name in ("loan", "due_on", "principal_due", "interest_due"):
        np.testing.assert_array_equal(getattr(s, name), getattr(plain, name))


# --- shape, scale and validation ------------------------------------------------------------------


def test_dtypes_and_empty_input() -> None:
    s = build([(100_000, 43_500, EI, 12, datetime.date(2024, 1, 31))])
    assert s.loan.dtype == np.int64 and s.seq.dtype == np.int32
    assert s.due_on.dtype == np.dtype("datetime64[D]")
    assert s.principal_due.dtype == np.int64 and s.interest_due.dtype == np.int64
    empty = build_schedules(
        np.array([], np.int64),
        np.array([], np.int64),
        np.array([], np.int8),
        np.array([], np.int64),
        np.array([], "datetime64[D]"),
    )
    assert len(empty) == 0


@pytest.mark.parametrize(
    ("field", "value"),
    [("method", 4), ("method", -1), ("term", 0), ("principal", -1), ("rate", -1)],
)
def test_invalid_input_raises(field: str, value: int) -> None:
    loan = {"principal": 100_000, "rate": 43_500, "method": EI, "term": 12}
    loan[field] = value
    with pytest.raises(ValueError):
        build([(loan["principal"], loan["rate"], loan["method"], loan["term"], datetime.date(2024, 1, 1))])


def test_two_hundred_thousand_mixed_loans() -> None:
    rng = np.random.default_rng(20240131)
    n = 200_000
    term = rng.integers(6, 37, n)
    long = rng.random(n) < 0.05
    term[long] = rng.integers(37, 361, int(long.sum()))
    principal = rng.integers(100_000, 500_000_001, n)
    rate = rng.integers(0, 240_001, n)
    rate[rng.random(n) < 0.01] = 0
    method = rng.integers(0, len(METHODS), n).astype(np.int8)
    start = np.datetime64("2020-01-01") + rng.integers(0, 2557, n)

    s = build_schedules(principal, rate, method, term, start)

    counts = np.where(method == BULLET, 1, term)
    assert len(s) == int(counts.sum())
    np.testing.assert_array_equal(np.bincount(s.loan, minlength=n), counts)
    assert np.all(np.diff(s.loan) >= 0)
    first = np.concatenate([[0], np.cumsum(counts)[:-1]])
    np.testing.assert_array_equal(np.add.reduceat(s.principal_due, first), principal)
    assert np.all(s.seq[first] == 1)
    same = np.diff(s.loan) == 0
    assert np.all(np.diff(s.seq)[same] == 1)
    assert np.all(np.diff(s.due_on)[same] > np.timedelta64(0, "D"))
    assert s.principal_due.min() >= 0 and s.interest_due.min() >= 0
    # Spot-check a sample of loans in full against the exact checks.
    loans = list(
        zip(principal.tolist(), rate.tolist(), method.tolist(), term.tolist(), start.tolist(), strict=True)
    )
    for i in rng.choice(n, 200, replace=False).tolist():
        check_loan(s, i, loans[i])
