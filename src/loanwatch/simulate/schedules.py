"""Vectorised loan amortisation schedules in integer cents.

Four repayment methods are supported (``METHODS``): 等额本息 equal installment, 等额本金 equal principal,
先息后本 interest first and 到期一次还本付息 bullet. All money is int64 cents, rates are annual rates in
millionths (``0.0435`` → ``43500``) and interest is computed in exact integer arithmetic, rounded half up.

``build_schedules`` loops over the period index k = 1..max term with whole-array operations; the loans
still running at k are kept in a shrinking compressed state, and each period's amounts and due dates are
scattered straight into their final row (loan and seq come from cumulative sums), so the output is sorted by
(loan, seq) by construction and no n × max_term matrix is ever held.

``reference_schedule`` is a plain-Python ``Decimal`` implementation of the same rules used by the tests.
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal, Inexact, localcontext

import numpy as np

# 等额本息, 等额本金, 先息后本, 到期一次还本付息
METHODS = ("equal_installment", "equal_principal", "interest_first", "bullet")
EQUAL_INSTALLMENT, EQUAL_PRINCIPAL, INTEREST_FIRST, BULLET = range(len(METHODS))

RATE_SCALE = 1_000_000  # rate_micro units per 1.0 of annual rate
_DENOM = 12 * RATE_SCALE  # one month of an annual rate in micro units
_HALF_DENOM = _DENOM // 2
_INT64_MAX = int(np.iinfo(np.int64).max)
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Schedule:
    """Installment rows of many loans, sorted by (loan, seq)."""

    loan: np.ndarray  # int64, index into the input arrays
    seq: np.ndarray  # int32, contiguous per loan, from first_seq (default 1)
    due_on: np.ndarray  # datetime64[D]
    principal_due: np.ndarray  # int64 cents
    interest_due: np.ndarray  # int64 cents

    def __len__(self) -> int:
        return len(self.loan)


def _month_parts(start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split datetime64[D] into (datetime64[M], 0-based day of month)."""
    month = start.astype("datetime64[M]")
    day0 = (start - month.astype("datetime64[D]")).astype(np.int64)
    return month, day0


def _shift_months(month: np.ndarray, day0: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """Day ``day0`` (0-based) of ``month + months``, clamped to that month's last day."""
    target = month + np.asarray(months, dtype=np.int64)
    first = target.astype("datetime64[D]")
    month_len = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return first + np.minimum(day0, month_len - 1)


def add_months(start: np.ndarray, months: np.ndarray | int) -> np.ndarray:
    """datetime64[D] start + k months, same day of month, clamped to the month's last day.

    Jan 31 + 1 → Feb 28/29; always counted from ``start`` (Jan 31 + 2 → Mar 31).
    """
    month, day0 = _month_parts(np.asarray(start, dtype="datetime64[D]"))
    return _shift_months(month, day0, months)


def monthly_interest(
    balance_cents: np.ndarray, rate_micro: np.ndarray, months: int | np.ndarray = 1
) -> np.ndarray:
    """round-half-up(balance × rate_micro × months / 12_000_000) in exact int64 arithmetic.

    rate_micro = annual rate × 1e6 as int64 (0.0435 → 43500). Halves round away from zero (as Decimal's
    ROUND_HALF_UP). ``balance × rate_micro`` must fit in int64 (OverflowError otherwise); ``months`` may be
    large: the product with months is split so that it does not overflow as long as the result fits.
    """
    b = np.asarray(balance_cents, dtype=np.int64)
    r = np.asarray(rate_micro, dtype=np.int64)
    m = np.asarray(months, dtype=np.int64)
    if m.size and int(m.min()) < 0:
        raise ValueError("months must be >= 0")
    if b.size and r.size:
        bound = int(np.abs(b).max()) * int(np.abs(r).max())
        if bound > _INT64_MAX - _DENOM:
            raise OverflowError("balance × rate_micro does not fit in int64")
    x = b * r
    negative = x < 0
    any_negative = bool(negative.any())
    if any_negative:
        x = np.abs(x)
    if m.ndim == 0 and int(m) == 1:
        out = (x + _HALF_DENOM) // _DENOM
    else:
        q, rem = np.divmod(x, _DENOM)
        out = q * m + (rem * m + _HALF_DENOM) // _DENOM
    if any_negative:
        out = np.where(negative, -out, out)
    return out


class _MonthTable:
    """First day (days since 1970-01-01) and length of every month the schedules can reach.

    Turns ``add_months`` into two gathers from a small table instead of calendar conversions per row.
    """

    def __init__(self, dates: np.ndarray, max_months: int) -> None:
        if len(dates) == 0:
            self.first = self.length = np.zeros(0, dtype=np.int64)
            self.base = 0
            return
        month_no = dates.astype("datetime64[M]").view(np.int64)
        self.base = int(month_no.min())
        span = np.arange(self.base, int(month_no.max()) + max_months + 2).astype("datetime64[M]")
        first = span.astype("datetime64[D]").view(np.int64)
        self.first = first[:-1]
        self.length = np.diff(first)

    def parts(self, dates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(month index into the table, 0-based day of month) of datetime64[D] dates."""
        mi = dates.astype("datetime64[M]").view(np.int64) - self.base
        return mi, dates.view(np.int64) - self.first[mi]

    def shift(self, mi: np.ndarray, day0: np.ndarray, months: np.ndarray | int) -> np.ndarray:
        """Days since epoch of ``add_months`` for dates given by ``parts``."""
        target = mi + months
        return self.first[target] + np.minimum(day0, self.length[target] - 1)


def _exact_level_payment(principal: int, rate_micro: int, n: int) -> int:
    """round-half-up of P·r(1+r)^n/((1+r)^n−1) with r = rate_micro / 12e6, in exact integers."""
    growth = (_DENOM + rate_micro) ** n
    num = principal * rate_micro * growth
    den = _DENOM * (growth - _DENOM**n)
    return (2 * num + den) // (2 * den)


def _level_payment(principal: np.ndarray, rate_micro: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Equal-installment payment A in cents for each loan (ceil(P/n) when the rate is 0).

    float64 gives A to a relative error of a few 1e-16 (log1p/expm1 avoid the cancellation of
    (1+r)^n − 1 for small r); loans whose float value lies within a tolerance of a half cent are
    recomputed exactly with Python integers, so the rounding is always that of the exact value.
    """
    out = np.empty(len(principal), dtype=np.int64)
    zero = rate_micro == 0
    out[zero] = -(-principal[zero] // n[zero])
    pos = np.flatnonzero(~zero)
    if len(pos) == 0:
        return out
    p, rate, term = principal[pos], rate_micro[pos], n[pos]
    r = rate / _DENOM
    a = p * r / -np.expm1(-term * np.log1p(r))
    rounded = np.floor(a + 0.5)
    ambiguous = np.abs(a - np.floor(a) - 0.5) < 1e-6 + 1e-12 * a
    res = rounded.astype(np.int64)
    for i in np.flatnonzero(ambiguous):
        res[i] = _exact_level_payment(int(p[i]), int(rate[i]), int(term[i]))
    out[pos] = res
    return out


def _as_1d(values: object, dtype: str | type, name: str, n: int | None) -> np.ndarray:
    arr = np.asarray(values, dtype=dtype)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    if n is not None and len(arr) != n:
        raise ValueError(f"{name} has length {len(arr)}, expected {n}")
    return arr


def build_schedules(
    principal_cents: np.ndarray,
    annual_rate_micro: np.ndarray,
    method_code: np.ndarray,
    term_months: np.ndarray,
    disbursed_on: np.ndarray,
    first_seq: np.ndarray | None = None,
) -> Schedule:
    """Build the installment schedules of n loans (all arrays of length n).

    ``method_code`` is an int8 index into ``METHODS``; ``term_months`` ≥ 1. ``first_seq`` (default 1)
    numbers the first installment of each loan, for a new schedule that follows already-paid ones; due
    dates still count from ``disbursed_on``: installment k is due ``add_months(disbursed_on, k)``.
    Interest each month is ``monthly_interest`` of the outstanding balance before the installment.

    - equal_installment: level payment A (see ``_level_payment``), principal A − interest clipped to
      [0, remaining], the last installment pays all that remains.
    - equal_principal: principal P // n, the last installment pays the remainder.
    - interest_first: principal 0 except the last installment, which pays P.
    - bullet: one installment at ``add_months(disbursed_on, term)`` with principal P and interest
      ``monthly_interest(P, rate, months=term)``.
    """
    principal = _as_1d(principal_cents, np.int64, "principal_cents", None)
    n = len(principal)
    rate = _as_1d(annual_rate_micro, np.int64, "annual_rate_micro", n)
    method = _as_1d(method_code, np.int8, "method_code", n)
    term = _as_1d(term_months, np.int64, "term_months", n)
    disbursed = _as_1d(disbursed_on, "datetime64[D]", "disbursed_on", n)
    seq0 = np.ones(n, dtype=np.int32) if first_seq is None else _as_1d(first_seq, np.int32, "first_seq", n)
    if n and ((method < 0) | (method >= len(METHODS))).any():
        raise ValueError("method_code out of range")
    if n and (term < 1).any():
        raise ValueError("term_months must be >= 1")
    if n and ((principal < 0) | (rate < 0)).any():
        raise ValueError("principal and rate must be >= 0")
    if n and np.isnat(disbursed).any():
        raise ValueError("disbursed_on must not be NaT")

    if n and int(principal.max()) * int(rate.max()) > _INT64_MAX - _DENOM:
        raise OverflowError("principal × rate_micro does not fit in int64")
    bullet = method == BULLET
    n_rows = np.where(bullet, 1, term)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(n_rows, out=offsets[1:])
    total = int(offsets[-1])
    starts = offsets[:-1]

    # loan and seq are built sequentially as cumulative sums of per-loan steps (no scatter per period).
    loan = np.zeros(total, dtype=np.int64)
    loan[starts[1:]] = 1
    np.cumsum(loan, out=loan)
    seq = np.ones(total, dtype=np.int32)
    if n:
        seq[0] = seq0[0]
        seq[starts[1:]] = seq0[1:] - (seq0[:-1] + n_rows[:-1] - 1)
    np.cumsum(seq, dtype=np.int32, out=seq)

    due_days = np.empty(total, dtype=np.int64)
    principal_due = np.empty(total, dtype=np.int64)
    interest_due = np.empty(total, dtype=np.int64)
    months = _MonthTable(disbursed, int(term.max()) if n else 0)

    # Bullet loans: a single row each.
    ix = np.flatnonzero(bullet)
    pos = starts[ix]
    mi, day0 = months.parts(disbursed[ix])
    due_days[pos] = months.shift(mi, day0, term[ix])
    principal_due[pos] = principal[ix]
    interest_due[pos] = monthly_interest(principal[ix], rate[ix], term[ix])

    # Amortising loans: state of the loans still running, compressed as they finish.
    ix = np.flatnonzero(~bullet)
    pos = starts[ix]
    balance = principal[ix]
    r = rate[ix]
    nt = term[ix]
    m = method[ix]
    ei = (m == EQUAL_INSTALLMENT).astype(np.int64)  # 1 where the interest comes out of the payment
    planned = np.zeros(len(ix), dtype=np.int64)  # A (equal installment) or P // n (equal principal)
    sel = m == EQUAL_PRINCIPAL
    planned[sel] = balance[sel] // nt[sel]
    sel = ei.astype(bool)
    planned[sel] = _level_payment(balance[sel], r[sel], nt[sel])
    mi, day0 = months.parts(disbursed[ix])
    del m, sel

    max_term = int(nt.max()) if len(ix) else 0
    for k in range(1, max_term + 1):
        interest = (balance * r + _HALF_DENOM) // _DENOM  # monthly_interest, overflow checked above
        paid = np.minimum(np.maximum(planned - ei * interest, 0), balance)
        last = nt == k
        ends = np.flatnonzero(last)
        paid[ends] = balance[ends]
        due_days[pos] = months.shift(mi, day0, k)
        principal_due[pos] = paid
        interest_due[pos] = interest
        if len(ends):
            keep = ~last
            pos, balance, paid, r, nt = pos[keep], balance[keep], paid[keep], r[keep], nt[keep]
            ei, planned, mi, day0 = ei[keep], planned[keep], mi[keep], day0[keep]
        balance = balance - paid
        pos += 1

    due_on = due_days.view("datetime64[D]")
    return Schedule(loan, seq, due_on, principal_due, interest_due)


# --- plain-Python Decimal reference ---------------------------------------------------------------


def _ref_add_months(start: datetime.date, months: int) -> datetime.date:
    year, month0 = divmod(start.month - 1 + months, 12)
    year += start.year
    last_day = calendar.monthrange(year, month0 + 1)[1]
    return datetime.date(year, month0 + 1, min(start.day, last_day))


def _ref_interest(balance: Decimal, annual_rate: Decimal, months: int = 1) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = 80
        return (balance * annual_rate * months / 12).quantize(_CENT, rounding=ROUND_HALF_UP)


def _ref_level_payment(principal: Decimal, annual_rate: Decimal, n: int) -> Decimal:
    """P·r(1+r)^n/((1+r)^n−1), r = rate/12, written as P·rate·(12+rate)^n / (12·((12+rate)^n − 12^n))."""
    with localcontext() as ctx:
        ctx.prec = 60
        if annual_rate == 0:
            return (principal / n).quantize(_CENT, rounding=ROUND_CEILING)
        ctx.prec = 12 * n + 200
        ctx.traps[Inexact] = True  # numerator and denominator must be exact
        growth = (12 + annual_rate) ** n
        num = principal * annual_rate * growth
        den = 12 * (growth - Decimal(12) ** n)
        ctx.traps[Inexact] = False
        return (num / den).quantize(_CENT, rounding=ROUND_HALF_UP)


def reference_schedule(
    principal: Decimal, annual_rate: Decimal, method: str, term_months: int, disbursed_on: datetime.date
) -> list[tuple[int, datetime.date, Decimal, Decimal]]:
    """Decimal (ROUND_HALF_UP, 0.01) reference of ``build_schedules`` for one loan, amounts in yuan.

    Returns one ``(seq, due_on, principal_due, interest_due)`` row per installment, seq from 1.
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}")
    if term_months < 1:
        raise ValueError("term_months must be >= 1")
    principal = Decimal(principal)
    annual_rate = Decimal(annual_rate)
    if principal != principal.quantize(_CENT) or principal < 0:
        raise ValueError("principal must be a non-negative amount in whole cents")
    if annual_rate != annual_rate.quantize(Decimal("0.000001")) or annual_rate < 0:
        raise ValueError("annual_rate must be non-negative with at most 6 decimals")

    n = term_months
    if method == "bullet":
        interest = _ref_interest(principal, annual_rate, months=n)
        return [(1, _ref_add_months(disbursed_on, n), principal, interest)]

    if method == "equal_installment":
        payment = _ref_level_payment(principal, annual_rate, n)
    elif method == "equal_principal":
        with localcontext() as ctx:
            ctx.prec = 60
            part = (principal / n).quantize(_CENT, rounding=ROUND_FLOOR)

    rows: list[tuple[int, datetime.date, Decimal, Decimal]] = []
    balance = principal
    for k in range(1, n + 1):
        interest = _ref_interest(balance, annual_rate)
        if k == n:
            paid = balance
        elif method == "equal_installment":
            paid = min(max(payment - interest, Decimal(0)), balance)
        elif method == "equal_principal":
            paid = min(part, balance)
        else:
            paid = Decimal("0.00")
        rows.append((k, _ref_add_months(disbursed_on, k), paid, interest))
        balance -= paid
    return rows
