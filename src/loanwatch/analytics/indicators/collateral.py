"""Collateral (抵质押物) of the active loans: the collaterals appraised, and the valuations
made, by the as-of date in the versions in force then; each collateral's latest value and
each loan's loan-to-value."""

from __future__ import annotations

import datetime as dt

import ibis.expr.types as ir

from loanwatch.analytics.expr import known_by, latest_by, money
from loanwatch.analytics.indicators.ratio import change, ratio


def active_collaterals(collaterals: ir.Table, snapshot: ir.Table, as_of: dt.date) -> ir.Table:
    """Collaterals of the active loans, with the customer and the outstanding principal."""
    c = known_by(collaterals, "appraised_on", as_of)
    c = c.select("collateral_id", "loan_id", "kind", "appraised_value", "appraised_on", "status")
    s = snapshot.filter(snapshot.status == "active")
    return c.join(s.select("loan_id", "customer_id", "outstanding_principal"), "loan_id")


def _latest_valuations(valuations: ir.Table, as_of: dt.date) -> ir.Table:
    v = known_by(valuations, "valued_on", as_of)
    return latest_by(v, "collateral_id", "valued_on").select("collateral_id", "valued_on", "value")


def valued_collaterals(collaterals: ir.Table, valuations: ir.Table | None, snapshot: ir.Table,
                       as_of: dt.date) -> ir.Table:
    """Each collateral of an active loan with its latest value and date (``latest_value``,
    ``latest_on``: the latest valuation, else the appraisal; no ``valuations`` at all, the
    appraisal) and ``value_change`` = latest value / appraised value - 1."""
    c = active_collaterals(collaterals, snapshot, as_of)
    if valuations is None:
        c = c.mutate(latest_value=c.appraised_value, latest_on=c.appraised_on)
    else:
        c = c.left_join(_latest_valuations(valuations, as_of), "collateral_id")
        c = c.mutate(latest_value=c.value.coalesce(c.appraised_value),
                     latest_on=c.valued_on.coalesce(c.appraised_on))
    return c.mutate(value_change=change(c.latest_value, c.appraised_value))


def loan_to_value(valued: ir.Table) -> ir.Table:
    """Per active loan with registered collateral worth something (``valued_collaterals``
    rows): its outstanding principal over the latest value of that collateral (``collateral``)
    as ``ltv``."""
    c = valued.filter(valued.status == "registered")
    t = c.group_by("loan_id", "customer_id", "outstanding_principal").aggregate(
        collateral=money(c.latest_value.sum()))
    t = t.filter(t.collateral > 0)
    return t.mutate(ltv=ratio(t.outstanding_principal, t.collateral))
