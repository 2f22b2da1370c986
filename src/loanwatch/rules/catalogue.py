"""The shipped signal catalogue: every calculation by signal id, evaluated for the signals
the policy switches on, with the policy's severity, parameters and actions.

Every signal of SIGNALS.md has its calculation here; the workflow's (group J) fire once the
run is given the register of work done (``Facts.tasks``). The bank's own threshold signals of the policy
(rules/threshold.py) fire beside them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import ibis
import ibis.expr.types as ir

from loanwatch.policy import Action, Policy
from loanwatch.rules import (
    bureau,
    collateral,
    financial,
    flows,
    guarantees,
    invoices,
    rating,
    registry,
    repayment,
    settlement,
    workflow,
)
from loanwatch.rules.signal import Facts, Signal, no_firings
from loanwatch.rules.threshold import threshold_firings

CATALOGUE: dict[str, Signal] = {
    s.id: s for s in (*repayment.SIGNALS, *bureau.SIGNALS, *registry.SIGNALS,
                      *settlement.SIGNALS, *financial.SIGNALS, *flows.SIGNALS, *invoices.SIGNALS,
                      *collateral.SIGNALS, *guarantees.SIGNALS, *rating.SIGNALS,
                      *workflow.SIGNALS)
}


def evaluate(facts: Facts, policy: Policy) -> ir.Table:
    """Today's firings of every enabled signal: ``signal_id, group, customer_id, loan_id,
    severity, evidence, actions``."""
    enabled = [(CATALOGUE[i], e) for i, e in policy.signals.items()
               if i in CATALOGUE and e.enabled]
    parts = [_labelled(s.calculate(facts, e), s.id, s.group, e.actions)
             for s, e in enabled if not s.reads_firings]
    for own in policy.threshold_signals:
        if own.enabled and facts.indicators is not None:
            parts.append(_labelled(threshold_firings(facts.indicators, own), own.id, own.group,
                                   own.actions))
    first = _union(parts)
    later = [_labelled(s.calculate(replace(facts, firings=first), e), s.id, s.group, e.actions)
             for s, e in enabled if s.reads_firings]
    return _union([first, *later]) if later else first


def _union(parts: Sequence[ir.Table]) -> ir.Table:
    if not parts:
        e = no_firings()
        return e.mutate(signal_id=ibis.literal(""), group=ibis.literal(""),
                        actions=ibis.literal([], "array<string>")).limit(0)
    return ibis.union(*parts)


def _labelled(rows: ir.Table, signal_id: str, group: str, actions: Sequence[Action]) -> ir.Table:
    return rows.mutate(signal_id=ibis.literal(signal_id), group=ibis.literal(group),
                       actions=ibis.literal([a.value for a in actions], "array<string>"))


def signal_titles(policy: Policy) -> dict[str, tuple[str, str]]:
    """Signal id → (Chinese, English) title, for every signal that can fire (the policy's
    threshold signals included)."""
    titles = {s.id: (s.title_zh, s.title_en) for s in CATALOGUE.values()}
    return titles | {own.id: (own.title_zh, own.title_en) for own in policy.threshold_signals}
