"""Builder of the ``reconciliation`` mart: contracts, entrusted payments and VAT invoices matched
per loan (analytics/reconciliation.py) with the policy's group C parameters, one date at a time
on the workspace's DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.reconciliation import ReconciliationRules, loan_reconciliation
from loanwatch.batch.dated import Stored
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy


def reconciliation_rules(policy: Policy) -> ReconciliationRules:
    """The analytics' parameters from the policy's INV-MISSING, INV-MISMATCH and
    CONTRACT-IMPLAUSIBLE entries."""
    s = policy.signals
    implausible = s["CONTRACT-IMPLAUSIBLE"].params
    return ReconciliationRules(after_days=s["INV-MISSING"].params.after_days,
                               amount_tolerance=s["INV-MISMATCH"].params.amount_tolerance,
                               revenue_months=implausible.revenue_months,
                               revenue_divisor=implausible.revenue_divisor)


def reconciliation(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                   stored: Stored) -> ir.Table:
    (day,) = dates
    t = loan_reconciliation(engine.table("loans"), engine.table("contracts"), engine.table("invoices"),
                            engine.table("transactions"), day, reconciliation_rules(policy),
                            customers=engine.table("customers"), financials=engine.table("financials"))
    return t.mutate(as_of=ibis.date(day)).select("as_of", *t.columns)
