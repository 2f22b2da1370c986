"""Loan snapshot (借据快照) as of one or several dates: balances, allocation of repayments,
days past due, bucket, next due, months on book, status and penalty interest.

Conventions (METRICS.md, DATA_CONTRACT.md): D is the end of day D; repayments with
``paid_on <= D`` count. Their sum P goes to the oldest installment not yet covered (in ``seq``
order), inside it fee, then interest, then principal; what exceeds every due amount is a
credit balance. Installment i (cumulative amount due before it ``cb``, stored at import)
is therefore covered by ``clamp(P - cb, 0, due)``: no window, no sort at run time.

An installment is overdue at D when ``due_on < D`` and its shortfall exceeds the materiality
threshold; DPD = D - due_on of the oldest overdue one. Penalty interest (罚息) accrues on the
principal still overdue at D for the days it has been overdue, at the contract rate times
the policy multiplier, simple, over the policy day count (a payment that covers principal
settles the penalty on that part).

Because repayments fill installments in order, at any date a schedule is: covered rows, at
most one partly covered row, untouched rows. With the cumulative fee and interest stored
per row, the covered rows need no work; only the boundary row, uncovered past-due rows and
the next row due are expanded per date (``_rows_that_matter``). Installments are taken in
``seq`` order and their due dates are expected not to decrease with ``seq``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.expr import MONEY, days_between, in_force, money, month_number, zero

STATUSES = ("not_started", "active", "settled", "written_off")
FACTOR_PLACES = 14  # the daily penalty factor multiplier/day-count, rounded up (see penalty)
RATE_FACTOR_PLACES = 8 + FACTOR_PLACES  # contract rate (8 places) x that factor


@dataclass(frozen=True)
class Bucket:
    name: str
    min_dpd: int
    max_dpd: int | None


@dataclass(frozen=True)
class SnapshotRules:
    """What the policy decides for the snapshot."""

    buckets: tuple[Bucket, ...]
    materiality: Decimal = Decimal("0.00")
    penalty_multiplier: Decimal = Decimal("1.5")
    day_count_days: int = 360

    @property
    def penalty_factor(self) -> Decimal:
        """multiplier / day count rounded *up* at 14 places, so that rounding the result half
        up to cents agrees with the exact value at every half-cent boundary."""
        q = Decimal(1).scaleb(-FACTOR_PLACES)
        return (self.penalty_multiplier / self.day_count_days).quantize(q, rounding=ROUND_CEILING)


COLUMNS = (
    "loan_id", "as_of", "customer_id", "product", "branch_id", "manager_id", "status",
    "dpd", "bucket", "outstanding_principal", "paid_principal", "paid_interest", "paid_fee",
    "overdue_principal", "overdue_interest", "overdue_fee", "credit_balance",
    "overdue_installments", "next_due_on", "next_due_amount", "mob", "penalty_interest",
    "principal", "disbursed_on", "maturity_on",
)


def loan_snapshots(loans: ir.Table, installments: ir.Table, repayments: ir.Table,
                   dates: Sequence[dt.date], rules: SnapshotRules) -> ir.Table:
    """One row per loan in force and per date of ``dates``, columns ``COLUMNS``."""
    dates = sorted(set(dates))
    paid = _paid_by(repayments, dates)
    if len(dates) == 1:
        # one date: every row of the schedule in one pass, totals included
        keys = ("loan_id",)
        sums = _row_sums(_all_rows(installments, paid, dates[0]), rules, keys, every_row=True)
        return _assemble(_dated(loans, dates[0]), _received(paid), sums, keys, rules)
    sums = _row_sums(_rows_that_matter(installments, paid, dates), rules, ("loan_id", "_k"),
                     every_row=False)
    return _assemble_history(loans, installments, paid, sums, dates, rules)


def _dates(dates: list[dt.date], *, months: bool = False) -> ir.Table:
    """The dates as a table: index ``_k``, ``as_of`` and, with ``months``, its month number."""
    cols = {"_k": pa.array(range(len(dates)), pa.int64()), "as_of": pa.array(dates, pa.date32())}
    if months:
        cols["_as_of_month"] = pa.array([d.year * 12 + d.month for d in dates], pa.int64())
    return ibis.memtable(pa.table(cols))


def _dated(t: ir.Table, d: dt.date) -> ir.Table:
    """Rows of ``t`` in force at ``d``, with the date (``as_of``) and its index ``_k``."""
    return t.filter(in_force(t, d)).mutate(_k=ibis.literal(0, "int64"), as_of=ibis.date(d))


def _paid_by(repayments: ir.Table, dates: list[dt.date]) -> ir.Table:
    """Per loan, the money received by the end of each date: ``paid_<k>``; with several
    dates, ``_mono`` tells whether it never decreases from one date to the next (it can, when
    a later import amends a repayment downwards)."""
    r = repayments
    sums = {f"paid_{k}": money(r.amount.sum(where=(r.paid_on <= d) & in_force(r, d)))
            for k, d in enumerate(dates)}
    paid = r.group_by("loan_id").aggregate(**sums)
    if len(dates) == 1:
        return paid
    p = [paid[f"paid_{k}"].coalesce(zero()) for k in range(len(dates))]
    return paid.mutate(_mono=ibis.and_(*(a <= b for a, b in zip(p, p[1:], strict=False))))


def _received(paid: ir.Table) -> ir.Table:
    """One date's money received per loan: (loan_id, paid)."""
    return paid.select("loan_id", paid=paid.paid_0.coalesce(zero()))


def _pick(t: ir.Table, name: str, n: int) -> ir.Value:
    """Column ``<name>_<k>`` of each row's date index ``_k``."""
    return ibis.cases(*((t._k == k, t[f"{name}_{k}"]) for k in range(n)))


def _all_rows(installments: ir.Table, paid: ir.Table, d: dt.date) -> ir.Table:
    i = _with_paid(installments.filter(in_force(installments, d)), paid)
    return i.mutate(paid=i.paid_0.coalesce(zero()), as_of=ibis.date(d))


def _with_paid(installments: ir.Table, paid: ir.Table) -> ir.Table:
    i = installments.select("loan_id", "due_on", "principal_due", "interest_due", "fee_due",
                            "cum_due_before", "cum_fee_before", "cum_interest_before",
                            "prev_due_on", "is_last", "_valid_from", "_valid_to")
    i = i.left_join(paid, i.loan_id == paid.loan_id).drop("loan_id_right")
    i = i.mutate(due=money(i.fee_due + i.interest_due + i.principal_due))
    return i.mutate(end=money(i.cum_due_before + i.due))


def _rows_that_matter(installments: ir.Table, paid: ir.Table, dates: list[dt.date]) -> ir.Table:
    """(installment, date) pairs whose figures are not implied by the cumulative columns: at
    each date a loan's installments are covered, then one partly covered (the boundary),
    then untouched. Covered ones are in the cumulative amounts of the boundary and untouched
    future ones ask for nothing yet, so only the boundary, the uncovered past-due ones and the
    first one due from D on are kept, and the last row once it is covered (a settled loan):
    every loan with a schedule has at least one row per date, most exactly one.

    The schedule is read once for all the dates. Money received only grows from one date
    to the next, so each row matters for a contiguous run of dates: from when it is next
    due, past due or the boundary until it is covered. That run is found by binary search
    over the dates and unnested, instead of pairing every row with every date. A loan whose
    money received ever decreases (an amended repayment) is tested against every date."""
    n = len(dates)
    i = _with_paid(installments, paid)
    # a loan without repayments has received nothing: once here, not in every comparison
    i = i.mutate(_mono=i._mono.coalesce(True),
                 **{f"paid_{k}": i[f"paid_{k}"].coalesce(zero()) for k in range(n)})
    p = [i[f"paid_{k}"] for k in range(n)]
    on = [ibis.date(d) for d in dates]
    monotone = i._mono
    # rows covered before the first date or not yet reached by the last matter at no date
    i = i.filter(i.is_last | ~monotone
                 | ((i.end > p[0]) & (i.prev_due_on.isnull() | (i.prev_due_on < on[-1])
                                      | (i.due_on < on[-1]) | (i.cum_due_before <= p[-1]))))
    p = [i[f"paid_{k}"] for k in range(n)]
    since = _count_while(n, lambda k: on[k] < i._valid_from)  # in force from this index
    until = _count_while(n, lambda k: on[k] < i._valid_to)  # … up to this one
    since = ibis.ifelse(i._valid_from.isnull(), 0, since)
    until = ibis.ifelse(i._valid_to.isnull(), n, until)
    next_from = ibis.ifelse(i.prev_due_on.isnull(), 0,  # after the previous due date …
                            _count_while(n, lambda k: on[k] <= i.prev_due_on))
    boundary_from = _count_while(n, lambda k: p[k] < i.cum_due_before)  # … or once reached
    covered_from = _count_while(n, lambda k: p[k] < i.end)
    past_due_from = _count_while(n, lambda k: on[k] <= i.due_on)
    start = ibis.least(next_from, boundary_from, past_due_from)
    lo = ibis.cases((~monotone, since), (i.is_last, ibis.greatest(since, ibis.least(start, covered_from))),
                    else_=ibis.greatest(since, start))
    hi = ibis.cases((~monotone | i.is_last, until), else_=ibis.least(until, covered_from))
    # an empty run unnests to no row: no filter, which the planner would evaluate apart
    x = i.mutate(_k=ibis.range(lo, hi).unnest())
    x = x.join(_dates(dates), "_k")
    x = x.mutate(paid=_pick(x, "paid", n))
    # for the others the run is exactly the dates at which the row matters
    return x.filter(x._mono | (in_force(x, x.as_of) & _matters(x, x.paid, x.as_of)))


def _matters(t: ir.Table, paid: ir.Value, on: ir.DateValue) -> ir.BooleanValue:
    """The row is the boundary, uncovered and past due, the next due, or the last row of a
    settled schedule."""
    uncovered = t.end > paid
    return ((uncovered & ((t.due_on < on) | (t.cum_due_before <= paid) | t.prev_due_on.isnull()
                          | (t.prev_due_on < on)))
            | (t.is_last & ~uncovered))


def _count_while(n: int, holds, lo: int = 0, hi: int | None = None) -> ir.IntegerValue:
    """How many of 0 … n-1 satisfy ``holds(k)``, for a condition true up to some index and
    false after it: a binary search, log2(n) comparisons per row."""
    hi = n if hi is None else hi
    if lo == hi:
        return ibis.literal(lo, "int64")
    mid = (lo + hi) // 2
    return ibis.ifelse(holds(mid), _count_while(n, holds, mid + 1, hi),
                       _count_while(n, holds, lo, mid))


def _row_sums(x: ir.Table, rules: SnapshotRules, keys: tuple[str, ...], *,
              every_row: bool) -> ir.Table:
    """Per loan and date: the schedule's totals, what was paid, what is overdue, what falls
    due next. With ``every_row`` the totals and payments are plain sums; otherwise what was
    paid comes from the cumulative amounts of the boundary row, and the totals are left to
    ``_schedule_totals``."""
    covered = money(ibis.greatest(ibis.least(money(x.paid - x.cum_due_before), x.due), zero()))
    x = x.mutate(covered=covered)
    fee = ibis.least(x.covered, x.fee_due)
    x = x.mutate(fee_c=fee, interest_c=ibis.least(money(x.covered - fee), x.interest_due))
    uncovered = x.end > x.paid
    # states as columns, computed once per row rather than once per aggregate
    x = x.mutate(
        _od=(x.due_on < x.as_of) & ((x.due - x.covered) > ibis.literal(rules.materiality, type=MONEY)),
        _up=(x.due_on >= x.as_of) & (x.due > 0) & uncovered,  # zero installments are never "due"
        _bd=(x.cum_due_before <= x.paid) & uncovered,
        _unpaid=x.principal_due - (x.covered - x.fee_c - x.interest_c))
    overdue, upcoming, boundary, unpaid_principal = x._od, x._up, x._bd, x._unpaid
    if every_row:
        amounts = dict(scheduled=money(x.principal_due.sum()), total_fee=money(x.fee_due.sum()),
                       total_interest=money(x.interest_due.sum()), total_due=money(x.due.sum()),
                       paid_fee=money(x.fee_c.sum()), paid_interest=money(x.interest_c.sum()))
    else:  # the totals come from the last row (_schedule_totals)
        amounts = dict(paid=x.paid.max(),
                       paid_fee=money((x.cum_fee_before + x.fee_c).max(where=boundary)),
                       paid_interest=money((x.cum_interest_before + x.interest_c).max(where=boundary)))
    # allocation is in seq order, so the first uncovered installment due from D on has the
    # smallest cumulative amounts of all of them
    if every_row:  # measured: CASE ... END aggregates are faster over the whole schedule
        def agg(value: ir.Value, how: str, where: ir.BooleanValue) -> ir.Value:
            return getattr(_when(where, value), how)()
        overdue_n = ibis.ifelse(overdue, 1, 0).sum()
    else:  # … and FILTER aggregates over the few rows kept per loan and date
        def agg(value: ir.Value, how: str, where: ir.BooleanValue) -> ir.Value:
            return getattr(value, how)(where=where)
        overdue_n = x.count(where=overdue)
    return x.group_by(*keys).aggregate(
        **amounts,
        overdue_fee=money(agg(x.fee_due - x.fee_c, "sum", overdue)),
        overdue_interest=money(agg(x.interest_due - x.interest_c, "sum", overdue)),
        overdue_principal=money(agg(unpaid_principal, "sum", overdue)),
        overdue_n=overdue_n,
        oldest_overdue=agg(x.due_on, "min", overdue),
        principal_days=agg(unpaid_principal * days_between(x.as_of, x.due_on), "sum", overdue),
        next_due_on=agg(x.due_on, "min", upcoming),
        next_start=agg(x.cum_due_before, "min", upcoming),
        next_end=agg(x.end, "min", upcoming),
    )


def _when(condition: ir.BooleanValue, value: ir.Value) -> ir.Value:
    return ibis.ifelse(condition, value, ibis.null(value.type()))


def _assemble(t: ir.Table, paid: ir.Table, sums: ir.Table, keys: tuple[str, ...],
              rules: SnapshotRules) -> ir.Table:
    """Loans in force at each date with that date's money received and sums (joined on
    ``keys``: the loan, and the date's index when there are several)."""
    right = [f"{k}_right" for k in keys]
    t = t.left_join(paid, [t[k] == paid[k] for k in keys]).drop(*right)
    t = t.left_join(sums, [t[k] == sums[k] for k in keys]).drop(*right)
    return _loan_figures(t, rules).select(*COLUMNS)


def _schedule_totals(installments: ir.Table) -> ir.Table:
    """Per schedule version, its totals: the cumulative amounts of its last row, with that
    row's validity as ``_sched_from``/``_sched_to``."""
    i = installments.filter(installments.is_last)
    due = money(i.fee_due + i.interest_due + i.principal_due)
    total_fee = money(i.cum_fee_before + i.fee_due)
    total_interest = money(i.cum_interest_before + i.interest_due)
    total_due = money(i.cum_due_before + due)
    return i.select("loan_id", _sched_from=i._valid_from, _sched_to=i._valid_to,
                    scheduled=money(total_due - total_fee - total_interest), total_fee=total_fee,
                    total_interest=total_interest, total_due=total_due)


def _assemble_history(loans: ir.Table, installments: ir.Table, paid: ir.Table, sums: ir.Table,
                      dates: list[dt.date], rules: SnapshotRules) -> ir.Table:
    """Each (loan, date) with a schedule in force has a group in ``sums``: it drives the
    join, and the loan, its money received and its schedule's totals (one row per loan and
    version, a small table) are looked up by loan and kept when in force at the date. The
    few loan-dates without a schedule in force are added from the loans."""
    n = len(dates)
    totals = _schedule_totals(installments)
    loans = loans.mutate(_rate_factor=_rate_factor(loans.annual_rate, rules.penalty_factor),
                         _disbursed_month=month_number(loans.disbursed_on))
    per_loan = loans.left_join(totals, "loan_id").drop("loan_id_right")
    dated = _dates(dates, months=True)
    t = sums.join(dated, "_k").join(per_loan, "loan_id")
    t = t.filter(in_force(t, t.as_of),
                 t._sched_from.isnull() | (t._sched_from <= t.as_of),
                 t._sched_to.isnull() | (t._sched_to > t.as_of))
    # loan-dates without a schedule in force: only loans without one unversioned schedule
    whole = totals.filter(totals._sched_from.isnull(), totals._sched_to.isnull())
    rest = loans.anti_join(whole, "loan_id").cross_join(dated)
    rest = rest.filter(in_force(rest, rest.as_of))
    rest = rest.anti_join(totals, [rest.loan_id == totals.loan_id,
                                   totals._sched_from.isnull() | (totals._sched_from <= rest.as_of),
                                   totals._sched_to.isnull() | (totals._sched_to > rest.as_of)])
    rest = rest.left_join(paid, "loan_id").drop("loan_id_right")
    rest = rest.mutate(paid=_pick(rest, "paid", n).coalesce(zero()))
    columns = [c for c in t.columns if c not in rest.columns]
    rest = rest.mutate(**{c: ibis.null(t[c].type()) for c in columns}).select(*t.columns)
    return _loan_figures(t.union(rest), rules).select(*COLUMNS)


def _loan_figures(t: ir.Table, rules: SnapshotRules) -> ir.Table:
    """The snapshot's columns from the loan, its money received and its sums; a history
    brings ``_rate_factor`` and the month numbers computed once per loan and date."""
    history = "_rate_factor" in t.columns
    rate_factor = t._rate_factor if history else _rate_factor(t.annual_rate, rules.penalty_factor)
    months = (t._as_of_month - t._disbursed_month if history
              else month_number(t.as_of) - month_number(t.disbursed_on))
    started = t.disbursed_on <= t.as_of
    p, total_due = t.paid.coalesce(zero()), t.total_due.coalesce(zero())
    # without a schedule in force (e.g. its file was refused) nothing can be allocated: the
    # loan stays active with its whole principal outstanding, payments as a credit balance
    has_schedule = t.total_due.notnull()
    settled = started & has_schedule & (p >= total_due)  # every installment covered
    status = (ibis.cases((~started, "not_started"),
                         (t.written_off_on.notnull() & (t.written_off_on <= t.as_of), "written_off"),
                         (settled, "settled"), else_="active"))
    t = t.mutate(dpd=ibis.ifelse(t.oldest_overdue.isnull(), 0,
                                 days_between(t.as_of, t.oldest_overdue)).cast("int32"))
    # no boundary installment: everything is covered
    paid_fee = t.paid_fee.coalesce(t.total_fee).coalesce(zero())
    paid_interest = t.paid_interest.coalesce(t.total_interest).coalesce(zero())
    # every amount allocated is fee, interest or principal
    paid_principal = money(ibis.least(p, total_due) - paid_fee - paid_interest)
    scheduled = ibis.ifelse(has_schedule, t.scheduled, t.principal)
    outstanding = ibis.ifelse(started, money(scheduled - paid_principal), zero())
    return t.mutate(
        status=status,
        bucket=bucket_of(t.dpd, rules.buckets),
        outstanding_principal=outstanding,
        paid_principal=paid_principal,
        paid_interest=paid_interest,
        paid_fee=paid_fee,
        overdue_principal=t.overdue_principal.coalesce(zero()),
        overdue_interest=t.overdue_interest.coalesce(zero()),
        overdue_fee=t.overdue_fee.coalesce(zero()),
        credit_balance=money(ibis.greatest(money(p - total_due), zero())),
        overdue_installments=t.overdue_n.coalesce(0).cast("int32"),
        next_due_on=t.next_due_on,
        next_due_amount=money(t.next_end - ibis.greatest(p, t.next_start)),
        mob=ibis.greatest(months, 0).cast("int32"),
        # most loans owe no penalty: skip the 128-bit arithmetic for them
        penalty_interest=ibis.ifelse(t.principal_days > 0, _penalty(t.principal_days, rate_factor),
                                     zero()),
    )


def _rate_factor(annual_rate: ir.DecimalValue, factor: Decimal) -> ir.DecimalValue:
    """The contract rate times the daily penalty factor, exactly (8 + 14 places; below 1)."""
    f = ibis.literal(factor, type=f"decimal(16,{FACTOR_PLACES})")
    return (annual_rate.cast("decimal(12,8)") * f).cast(f"decimal({RATE_FACTOR_PLACES},{RATE_FACTOR_PLACES})")


def _penalty(principal_days: ir.DecimalValue, rate_factor: ir.DecimalValue) -> ir.DecimalValue:
    """principal x days x (rate x factor), rounded half up to cents. The product is cast to a
    type that holds it exactly: one 128-bit product and one rounding per row (the operands'
    widths add up to 37, so Spark does not round the product either)."""
    exact = f"decimal(38,{2 + RATE_FACTOR_PLACES})"
    return money((principal_days.cast("decimal(15,2)") * rate_factor).cast(exact).round(2))


def bucket_of(dpd: ir.IntegerValue, buckets: Sequence[Bucket]) -> ir.StringValue:
    """The bucket (账龄) whose DPD range holds ``dpd``; buckets are contiguous from 0."""
    cases = [(dpd <= b.max_dpd, b.name) for b in buckets[:-1]]
    return ibis.cases(*cases, else_=buckets[-1].name) if cases else ibis.literal(buckets[-1].name)

