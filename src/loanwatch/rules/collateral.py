"""Group H of SIGNALS.md, collateral (债权核对): what the collateral of an open loan is worth
and whether it is still held. Both signals are loan-level and read the collaterals appraised,
and the valuations made, on or before ``as_of`` in the versions in force then."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money
from loanwatch.analytics.indicators.collateral import (
    active_collaterals,
    loan_to_value,
    valued_collaterals,
)
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "collateral_status", "collateral_value_drop"]

_LOST = ("seized", "missing", "released")


def _per_loan(reasons: ir.Table, policy: SignalPolicy[Any]) -> ir.Table:
    """One firing per loan, its reasons joined in ``rank`` order."""
    t = reasons.group_by("loan_id", "customer_id").aggregate(
        evidence=reasons.reason.group_concat("; ", order_by=[reasons.rank, reasons.reason]))
    return firings(t.mutate(severity=ibis.literal(policy.severity.value)))


def _drops(valued: ir.Table, min_drop: Any) -> ir.Table:
    """Collaterals valued down by at least ``min_drop`` of the appraisal (exact in decimals,
    so a drop of exactly the threshold fires)."""
    c = valued
    fall = money(c.appraised_value - c.latest_value)
    c = c.filter(c.appraised_value > 0, fall >= c.appraised_value * ibis.literal(min_drop, "decimal(18,6)"))
    ratio = fall.cast("float64") / c.appraised_value.cast("float64")
    reason = (c.kind + " " + c.collateral_id + " appraised " + money_text(c.appraised_value)
              + " (" + c.appraised_on.cast("string") + "), valued " + money_text(c.latest_value)
              + " (" + c.latest_on.cast("string") + "), -" + percent_text(ratio))
    return c.select("loan_id", "customer_id", reason=reason, rank=ibis.literal(1))


def _high_ltv(valued: ir.Table, ltv_above: Any) -> ir.Table:
    """Loans whose outstanding principal is above ``ltv_above`` of the latest value of their
    registered collaterals (at exactly the limit they do not fire)."""
    t = loan_to_value(valued)
    t = t.filter(t.outstanding_principal > t.collateral * ibis.literal(ltv_above, "decimal(18,6)"))
    ltv = t.outstanding_principal.cast("float64") / t.collateral.cast("float64")
    reason = ("LTV " + percent_text(ltv) + " (outstanding " + money_text(t.outstanding_principal)
              + " / collateral " + money_text(t.collateral) + ")")
    return t.select("loan_id", "customer_id", reason=reason, rank=ibis.literal(0))


def collateral_value_drop(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """An active loan whose collateral is revalued down by ``min_value_drop`` or more of its
    appraisal, or whose loan-to-value is above ``ltv_above``; one firing per loan."""
    if facts.collaterals is None or facts.collateral_valuations is None:
        return no_firings()
    p = policy.params
    valued = valued_collaterals(facts.collaterals, facts.collateral_valuations, facts.snapshot,
                                facts.as_of)
    return _per_loan(_high_ltv(valued, p.ltv_above).union(_drops(valued, p.min_value_drop)), policy)


def collateral_status(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A collateral of an active loan seized, missing or released; one firing per loan."""
    if facts.collaterals is None:
        return no_firings()
    c = active_collaterals(facts.collaterals, facts.snapshot, facts.as_of)
    c = c.filter(c.status.isin(_LOST))
    reason = "collateral " + c.collateral_id + " (" + c.kind + ") " + c.status
    return _per_loan(c.select("loan_id", "customer_id", reason=reason, rank=ibis.literal(0)), policy)


SIGNALS: tuple[Signal, ...] = (
    Signal("COLL-VALUE-DROP", "抵押物价值下降或抵押率超限", "Collateral value down or loan-to-value too high",
           collateral_value_drop),
    Signal("COLL-STATUS", "抵押物被查封、灭失或解押", "Collateral seized, missing or released",
           collateral_status),
)
