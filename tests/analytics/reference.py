"""An obviously-correct, slow allocator in plain Python, to check the engine against.

It walks the repayments in date order and gives each yuan to the oldest installment not yet
covered, fee then interest then principal, exactly as DATA_CONTRACT.md says."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from tests.analytics.book import Loan

CENT = Decimal("0.01")


def reference_snapshot(loan: Loan, as_of: dt.date, *, multiplier=Decimal("1.5"), days=360,
                       threshold=Decimal("0")) -> dict:
    schedule = [s for s in sorted(loan.schedule, key=lambda s: s.seq)
                if (s.valid_from is None or s.valid_from <= as_of)
                and (s.valid_to is None or s.valid_to > as_of)]
    paid = {id(s): {"fee": Decimal(0), "interest": Decimal(0), "principal": Decimal(0)} for s in schedule}
    credit = Decimal(0)
    for _, amount in sorted(p for p in loan.payments if p[0] <= as_of):
        left = amount
        for s in schedule:
            for part, due in (("fee", s.fee), ("interest", s.interest), ("principal", s.principal)):
                take = min(left, due - paid[id(s)][part])
                paid[id(s)][part] += take
                left -= take
        credit += left
    overdue = [s for s in schedule if s.due_on < as_of
               and (s.fee + s.interest + s.principal) - sum(paid[id(s)].values()) > threshold]
    upcoming = [s for s in schedule if s.due_on >= as_of and s.fee + s.interest + s.principal > 0
                and sum(paid[id(s)].values()) < s.fee + s.interest + s.principal]
    started = loan.disbursed_on <= as_of
    dpd = (as_of - overdue[0].due_on).days if overdue else 0
    principal_days = sum(((s.principal - paid[id(s)]["principal"]) * (as_of - s.due_on).days
                          for s in overdue), Decimal(0))
    penalty = Fraction(principal_days) * Fraction(loan.annual_rate) * Fraction(multiplier) / days
    total = lambda part: sum((paid[id(s)][part] for s in schedule), Decimal(0))  # noqa: E731
    unpaid = lambda part: sum((getattr(s, part) - paid[id(s)][part] for s in overdue), Decimal(0))  # noqa: E731
    if not started:
        status = "not_started"
    elif loan.written_off_on and loan.written_off_on <= as_of:
        status = "written_off"
    elif schedule and all(sum(paid[id(s)].values()) == s.fee + s.interest + s.principal
                          for s in schedule):
        status = "settled"
    else:
        status = "active"
    return {
        "status": status, "dpd": dpd,
        "outstanding_principal": (sum((s.principal for s in schedule), Decimal(0)) if schedule
                                  else loan.principal) - total("principal")
        if started else Decimal("0.00"),
        "paid_principal": total("principal"), "paid_interest": total("interest"), "paid_fee": total("fee"),
        "overdue_principal": unpaid("principal"), "overdue_interest": unpaid("interest"),
        "overdue_fee": unpaid("fee"), "credit_balance": credit, "overdue_installments": len(overdue),
        "next_due_on": upcoming[0].due_on if upcoming else None,
        "next_due_amount": (upcoming[0].fee + upcoming[0].interest + upcoming[0].principal
                            - sum(paid[id(upcoming[0])].values())) if upcoming else None,
        "penalty_interest": _round(penalty),
    }


def _round(x: Fraction) -> Decimal:
    return (Decimal(x.numerator) / Decimal(x.denominator)).quantize(CENT, rounding=ROUND_HALF_UP) \
        if x.denominator != 1 else Decimal(x.numerator).quantize(CENT)
