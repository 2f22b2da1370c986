"""What the console draws for one loan or one borrower, computed on demand from a
workspace's tables as of a date: the whole trace of a loan's proceeds, hop by hop, and the
network of related parties and guarantees around a borrower."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from loanwatch.analytics.expr import in_force
from loanwatch.analytics.flows.findings import categorised
from loanwatch.batch.dated import rows_on
from loanwatch.batch.flow_marts import flow_rules, trace_of
from loanwatch.batch.network_marts import network_inputs
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.graph.neighbourhood import Neighbourhood, neighbourhood
from loanwatch.policy import Policy

TRACE_COLUMNS = ("hop", "parcel_id", "parent_id", "txn_id", "src", "dst", "at", "traced",
                 "move_amount", "dst_customer", "dst_type", "dst_name", "memo", "channel",
                 "category", "detail", "route")


def loan_proceeds(engine: AnalyticsEngine, loan_id: str, as_of: dt.date,
                  policy: Policy) -> pa.Table:
    """Every move that carried the loan's traced proceeds by ``as_of``, with its category
    (docs/fund-flows.md), in hop and time order: the tree the console draws. Empty for a
    loan unknown or with no disbursement in the flows."""
    loans = engine.table("loans")
    loans = loans.filter(loans.loan_id == loan_id, in_force(loans, as_of))
    disbursed = engine.to_arrow(loans.select("disbursed_on"))
    if not disbursed.num_rows:
        return pa.table({c: pa.array([], pa.string()) for c in TRACE_COLUMNS})
    since = disbursed["disbursed_on"][0].as_py() - dt.timedelta(days=1)
    rules = flow_rules(policy)
    trace = trace_of(engine, loans, since, as_of, rules)
    t = categorised(trace.hops, rules)
    return engine.to_arrow(t.select(*TRACE_COLUMNS).order_by("hop", "at", "txn_id"))


def borrower_network(engine: AnalyticsEngine, customer_id: str, as_of: dt.date, *,
                     depth: int = 2) -> Neighbourhood:
    """The related parties and guarantees within ``depth`` links of a borrower at ``as_of``,
    with their exposure, worst class and open signals (from the marts stored for the date)."""
    edges, positions = network_inputs(engine, as_of)
    customers = engine.table("customers")
    who = customers.filter(in_force(customers, as_of))
    alerts = rows_on(engine, "alerts", as_of)
    alerts = alerts.filter(alerts.status == "open")
    return neighbourhood(customer_id, edges,
                         engine.to_arrow(who.select("customer_id", "customer_type", "name")),
                         positions, engine.to_arrow(alerts.select("customer_id", "signal_id")),
                         depth=depth)
