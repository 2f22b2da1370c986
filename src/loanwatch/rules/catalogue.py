"""The shipped signal catalogue: every calculation by signal id, evaluated for the signals
the policy switches on, with the policy's severity, parameters and actions.

Signals of SIGNALS.md not yet in ``CATALOGUE`` (REPAY-PARTIAL, REPAY-DUE-SOON-RISK, fund
flows, invoices, guarantees, workflow) have no calculation yet and do not fire."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loanwatch.policy import Policy
from loanwatch.rules import (
    bureau,
    collateral,
    financial,
    rating,
    registry,
    repayment,
    settlement,
)
from loanwatch.rules.signal import Facts, Signal, no_firings

CATALOGUE: dict[str, Signal] = {
    s.id: s for s in (*repayment.SIGNALS, *bureau.SIGNALS, *registry.SIGNALS,
                      *settlement.SIGNALS, *financial.SIGNALS, *collateral.SIGNALS,
                      *rating.SIGNALS)
}


def evaluate(facts: Facts, policy: Policy) -> ir.Table:
    """Today's firings of every enabled signal: ``signal_id, group, customer_id, loan_id,
    severity, evidence, actions``."""
    parts = []
    for signal_id, entry in policy.signals.items():
        signal = CATALOGUE.get(signal_id)
        if signal is None or not entry.enabled:
            continue
        rows = signal.calculate(facts, entry)
        actions = ibis.literal([a.value for a in entry.actions], "array<string>")
        parts.append(rows.mutate(signal_id=ibis.literal(signal_id),
                                 group=ibis.literal(signal.group), actions=actions))
    if not parts:
        e = no_firings()
        return e.mutate(signal_id=ibis.literal(""), group=ibis.literal(""),
                        actions=ibis.literal([], "array<string>")).limit(0)
    return ibis.union(*parts)
