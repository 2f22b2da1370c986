"""Group H of SIGNALS.md, collateral (债权核对): what the collateral of an open loan is worth
and whether it is still held. Both signals are loan-level and read the collaterals appraised,
and the valuations made, on or before ``as_of`` in the versions in force then."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, known_by, latest_by, money
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "collateral_status", "collateral_value_drop"]

_LOST = ("seized", "missing", "released")


def _active_loans(facts: Facts) -> ir.Table:
    s = facts.snapshot
    return s.filter(s.status == "active").select("loan_id", "customer_id", "outstanding_principal")


def _collaterals(facts: Facts) -> ir.Table:
    """Collaterals of the active loans, with the customer and the outstanding principal."""
    c = facts.collaterals
    c = c.filter(in_force(c, facts.as_of), c.appraised_on <= ibis.date(facts.as_of))
    c = c.select("collateral_id", "loan_id", "kind", "appraised_value", "appraised_on", "status")
    return c.join(_active_loans(facts), "loan_id")


def _latest_valuations(facts: Facts) -> ir.Table:
    v = known_by(facts.collateral_valuations, "valued_on", facts.as_of)
    return latest_by(v, "collateral_id", "valued_on").select("collateral_id", "valued_on", "value")


def _valued(facts: Facts) -> ir.Table:
    """Each collateral with its latest value and date: the latest valuation, else the appraisal."""
    c = _collaterals(facts).left_join(_latest_valuations(facts), "collateral_id")
    return c.mutate(latest_value=c.value.coalesce(c.appraised_value),
                    latest_on=c.valued_on.coalesce(c.appraised_on))


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
    c = valued.filter(valued.status == "registered")
    t = c.group_by("loan_id", "customer_id", "outstanding_principal").aggregate(
        collateral=money(c.latest_value.sum()))
    t = t.filter(t.collateral > 0,
                 t.outstanding_principal > t.collateral * ibis.literal(ltv_above, "decimal(18,6)"))
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
    valued = _valued(facts)
    return _per_loan(_high_ltv(valued, p.ltv_above).union(_drops(valued, p.min_value_drop)), policy)


def collateral_status(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A collateral of an active loan seized, missing or released; one firing per loan."""
    if facts.collaterals is None:
        return no_firings()
    c = _collaterals(facts)
    c = c.filter(c.status.isin(_LOST))
    reason = "collateral " + c.collateral_id + " (" + c.kind + ") " + c.status
    return _per_loan(c.select("loan_id", "customer_id", reason=reason, rank=ibis.literal(0)), policy)


SIGNALS: tuple[Signal, ...] = (
    Signal("COLL-VALUE-DROP", "抵押物价值下降或抵押率超限", "Collateral value down or loan-to-value too high",
           collateral_value_drop),
    Signal("COLL-STATUS", "抵押物被查封、灭失或解押", "Collateral seized, missing or released",
           collateral_status),
)
