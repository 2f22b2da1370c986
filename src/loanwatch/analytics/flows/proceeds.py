"""The whole trace of the proceeds of the loans disbursed in a period, as of a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.flows.findings import FlowRules
from loanwatch.analytics.flows.moves import visible_moves
from loanwatch.analytics.flows.tracing import (
    disbursed_parcels,
    next_hop,
    parcels_of,
    regular_payees,
    related_parties,
)

Materialise = Callable[[ir.Table], ir.Table]


@dataclass(frozen=True)
class Trace:
    hops: ir.Table  # every move that carried traced proceeds (tracing.next_hop)
    regular: ir.Table  # loan_id, payee: the borrowers' trading partners before the loan


def traced_hops(loans: ir.Table, transactions: ir.Table, accounts: ir.Table,
                relations: ir.Table, guarantees: ir.Table, since: dt.date, as_of: dt.date,
                rules: FlowRules, materialise: Materialise = lambda t: t) -> Trace:
    """Every move that carried traced proceeds of the loans disbursed after ``since`` (up to
    ``as_of``), hop 1 (leaving the borrower) to ``max_hops + 1`` (the money's end after
    ``max_hops`` accounts). ``materialise`` runs each hop's result (the batch keeps them in
    memory, so that each hop's plan stays small); by default the trace is one expression."""
    start = dt.datetime.combine(since + dt.timedelta(days=1), dt.time())
    end = dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())
    moves = visible_moves(transactions, accounts, start, end, as_of)
    related = materialise(related_parties(relations, guarantees, loans, as_of))
    parcels = materialise(disbursed_parcels(loans, transactions, since, as_of, rules.window_days))
    regular = materialise(regular_payees(parcels, transactions, as_of, rules.regular_days))
    hops = []
    for hop in range(1, rules.max_hops + 2):
        moved = materialise(next_hop(parcels, moves, related, hop))
        hops.append(moved)
        parcels = parcels_of(moved)
    return Trace(ibis.union(*hops), regular)


