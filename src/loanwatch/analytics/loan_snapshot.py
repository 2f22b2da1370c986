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
settles the penalty on that part). Several dates are computed in one pass over the
schedule (one aggregate column per date), which is how a history shares its work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, days_between, in_force, money, month_number, zero

STATUSES = ("not_started", "active", "settled", "written_off")
FACTOR_PLACES = 14  # the daily penalty factor multiplier/day-count, rounded up (see penalty)


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
    per_loan = _schedule_totals(installments, paid, dates, rules)
    return _assemble(loans, paid, per_loan, dates, rules)


def _paid_by(repayments: ir.Table, dates: list[dt.date]) -> ir.Table:
    """Per loan, the money received by the end of each date: ``paid_<k>``."""
    r = repayments
    sums = {f"paid_{k}": money(r.amount.sum(where=(r.paid_on <= d) & in_force(r, d)))
            for k, d in enumerate(dates)}
    return r.group_by("loan_id").aggregate(**sums)


def _schedule_totals(installments: ir.Table, paid: ir.Table, dates: list[dt.date],
                     rules: SnapshotRules) -> ir.Table:
    i = installments.select("loan_id", "due_on", "principal_due", "interest_due", "fee_due",
                            "cum_due_before", "_valid_from", "_valid_to")
    i = i.left_join(paid, i.loan_id == paid.loan_id).drop("loan_id_right")
    i = i.mutate(due=money(i.fee_due + i.interest_due + i.principal_due))
    # each step is its own projection so that the engine computes a value once, not once per use
    for step in (_covered, _allocated, _states):
        i = i.mutate(**{name: v for k, d in enumerate(dates) for name, v in step(i, k, d, rules).items()})
    aggs: dict[str, ir.Value] = {}
    for k, d in enumerate(dates):
        aggs.update(_installment_sums(i, k, d))
    return i.group_by("loan_id").aggregate(**aggs)


def _covered(i: ir.Table, k: int, d: dt.date, rules: SnapshotRules) -> dict:
    p = i[f"paid_{k}"].coalesce(zero())
    return {f"covered_{k}": money(ibis.greatest(ibis.least(money(p - i.cum_due_before), i.due), zero())),
            f"live_{k}": in_force(i, d)}


def _allocated(i: ir.Table, k: int, d: dt.date, rules: SnapshotRules) -> dict:
    fee = ibis.least(i[f"covered_{k}"], i.fee_due)
    return {f"fee_{k}": fee,
            f"interest_{k}": ibis.least(money(i[f"covered_{k}"] - fee), i.interest_due)}


def _states(i: ir.Table, k: int, d: dt.date, rules: SnapshotRules) -> dict:
    on, live, covered = ibis.date(d), i[f"live_{k}"], i[f"covered_{k}"]
    shortfall = i.due - covered
    return {
        f"overdue_{k}": live & (i.due_on < on) & (shortfall > ibis.literal(rules.materiality, type=MONEY)),
        # zero installments are never "due"
        f"upcoming_{k}": live & (i.due_on >= on) & (shortfall > 0) & (i.due > 0),
        f"unpaid_principal_{k}": i.principal_due - (covered - i[f"fee_{k}"] - i[f"interest_{k}"]),
    }


def _installment_sums(i: ir.Table, k: int, d: dt.date) -> dict:
    """Aggregates of the schedule in force at ``d`` for one loan, suffixed ``_k``."""
    live, overdue, upcoming = i[f"live_{k}"], i[f"overdue_{k}"], i[f"upcoming_{k}"]
    fee, interest, unpaid_principal = i[f"fee_{k}"], i[f"interest_{k}"], i[f"unpaid_principal_{k}"]
    # allocation is in seq order, so the first uncovered installment due from D on has the
    # smallest cumulative amounts of all of them
    return {
        f"scheduled_{k}": _live_sum(i.principal_due, live),
        f"total_due_{k}": _live_sum(i.due, live),
        f"paid_fee_{k}": _live_sum(fee, live),
        f"paid_interest_{k}": _live_sum(interest, live),
        f"overdue_fee_{k}": money(_when(overdue, i.fee_due - fee).sum()),
        f"overdue_interest_{k}": money(_when(overdue, i.interest_due - interest).sum()),
        f"overdue_principal_{k}": money(_when(overdue, unpaid_principal).sum()),
        f"overdue_n_{k}": ibis.ifelse(overdue, 1, 0).sum(),
        f"oldest_overdue_{k}": _when(overdue, i.due_on).min(),
        f"principal_days_{k}": _when(overdue, unpaid_principal * days_between(ibis.date(d), i.due_on)).sum(),
        f"next_due_on_{k}": _when(upcoming, i.due_on).min(),
        f"next_start_{k}": _when(upcoming, i.cum_due_before).min(),
        f"next_end_{k}": _when(upcoming, i.cum_due_before + i.due).min(),
    }


def _live_sum(value: ir.DecimalValue, live: ir.BooleanValue) -> ir.DecimalValue:
    """Sum over the row versions in force: all rows less the (rare) others. Cheaper than
    masking every row, which would cost a CASE per row and per date."""
    return money(value.sum() - value.sum(where=~live).coalesce(zero()))


def _when(condition: ir.BooleanValue, value: ir.Value) -> ir.Value:
    """``value`` where ``condition`` holds, else NULL: plain aggregates over these are much
    faster in DuckDB than many aggregates each with its own FILTER."""
    return ibis.ifelse(condition, value, ibis.null(value.type()))


def _assemble(loans: ir.Table, paid: ir.Table, per_loan: ir.Table, dates: list[dt.date],
              rules: SnapshotRules) -> ir.Table:
    """Loans in force at each date, joined to that date's sums (picked by the date's index)."""
    dated = ibis.union(*(loans.filter(in_force(loans, d)).mutate(_k=ibis.literal(k, "int64"),
                                                                  as_of=ibis.date(d))
                         for k, d in enumerate(dates)))
    t = (dated.left_join(paid, dated.loan_id == paid.loan_id).drop("loan_id_right")
         .left_join(per_loan, dated.loan_id == per_loan.loan_id).drop("loan_id_right"))

    def at(name: str, default: ir.Value | None = None) -> ir.Value:
        cols = [t[f"{name}_{k}"] for k in range(len(dates))]
        v = cols[0] if len(cols) == 1 else ibis.cases(*((t._k == k, c) for k, c in enumerate(cols)))
        return v if default is None else v.coalesce(default)

    return _loan_figures(t, at, rules).select(*COLUMNS)


def _loan_figures(t: ir.Table, at, rules: SnapshotRules) -> ir.Table:
    started = t.disbursed_on <= t.as_of
    p = at("paid", zero())
    settled = started & (p >= at("total_due", zero()))  # every installment covered
    status = (ibis.cases((~started, "not_started"),
                         (t.written_off_on.notnull() & (t.written_off_on <= t.as_of), "written_off"),
                         (settled, "settled"), else_="active"))
    oldest = at("oldest_overdue")
    dpd = ibis.ifelse(oldest.isnull(), 0, days_between(t.as_of, oldest)).cast("int32")
    total_due = at("total_due", zero())
    # every amount allocated is fee, interest or principal
    paid_principal = money(ibis.least(p, total_due) - at("paid_fee", zero()) - at("paid_interest", zero()))
    outstanding = ibis.ifelse(started, money(at("scheduled", zero()) - paid_principal), zero())
    penalty = _penalty(at("principal_days", zero()), t.annual_rate, rules.penalty_factor)
    start = at("next_start")
    return t.mutate(
        status=status,
        dpd=dpd,
        bucket=bucket_of(dpd, rules.buckets),
        outstanding_principal=outstanding,
        paid_principal=paid_principal,
        paid_interest=at("paid_interest", zero()),
        paid_fee=at("paid_fee", zero()),
        overdue_principal=at("overdue_principal", zero()),
        overdue_interest=at("overdue_interest", zero()),
        overdue_fee=at("overdue_fee", zero()),
        credit_balance=money(ibis.greatest(money(p - total_due), zero())),
        overdue_installments=at("overdue_n", 0).cast("int32"),
        next_due_on=at("next_due_on"),
        next_due_amount=money(at("next_end") - ibis.greatest(p, start)),
        mob=ibis.greatest(month_number(t.as_of) - month_number(t.disbursed_on), 0).cast("int32"),
        penalty_interest=money(penalty),
    )


def _penalty(principal_days: ir.DecimalValue, annual_rate: ir.DecimalValue,
             factor: Decimal) -> ir.DecimalValue:
    """principal x days x rate x factor, rounded half up to cents. Each product is cast to a
    type that holds it exactly (Ibis multiplies decimals of one scale only, and Spark would
    round a product wider than 38 digits)."""
    exact = f"decimal(38,{FACTOR_PLACES})"
    yuan_days_rate = (principal_days.cast("decimal(28,8)") * annual_rate.cast("decimal(12,8)")
                      ).cast(exact)
    f = ibis.literal(factor, type=f"decimal(16,{FACTOR_PLACES})")
    return money((yuan_days_rate * f).cast("decimal(38,28)").round(2))


def bucket_of(dpd: ir.IntegerValue, buckets: Sequence[Bucket]) -> ir.StringValue:
    """The bucket (账龄) whose DPD range holds ``dpd``; buckets are contiguous from 0."""
    cases = [(dpd <= b.max_dpd, b.name) for b in buckets[:-1]]
    return ibis.cases(*cases, else_=buckets[-1].name) if cases else ibis.literal(buckets[-1].name)
