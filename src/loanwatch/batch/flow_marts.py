"""Builder of the ``fund_flows`` mart: what the traced proceeds of each loan reached
(analytics/flows), one date at a time.

A loan's trace is complete once its window has passed, and nothing after it can change it:
so a run traces only the loans whose window was still open at the run before (all loans for
a first run) and carries the findings of the others from the run before. Each hop of the
trace is run and held in memory before the next one is planned (a trace of four hops as one
query makes a plan the engine takes long to optimise)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force
from loanwatch.analytics.flows.findings import FINDING, FlowRules, Words, flow_findings
from loanwatch.analytics.flows.proceeds import Trace, traced_hops
from loanwatch.batch.dated import Stored, date_before, rows_on
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy

FIRST_RUN_SINCE = dt.date(1900, 1, 1)


def flow_rules(policy: Policy) -> FlowRules:
    f = policy.fund_flows
    s = policy.signals

    def words(w) -> Words:
        return Words(tuple(w.names), tuple(w.memos), tuple(w.channels))

    return FlowRules(
        window_days=f.window_days, max_hops=f.max_hops,
        prohibited={kind: words(w) for kind, w in f.prohibited.items()},
        allowed={product: tuple(kinds) for product, kinds in f.allowed.items()},
        cash=words(f.cash), payroll=words(f.payroll), refund_memos=tuple(f.refunds.memos),
        refund_max_share=f.refunds.max_share, regular_days=f.regular_payee_days,
        min_share={"untraced": s["FLOW-UNTRACED"].params.min_share,
                   "concentrated": s["FLOW-CONCENTRATED"].params.min_share,
                   "cash_out": s["FLOW-CASH-OUT"].params.min_share})


def trace_of(engine: AnalyticsEngine, loans: ir.Table, since: dt.date, day: dt.date,
             rules: FlowRules) -> Trace:
    """The trace of ``loans`` disbursed after ``since`` over the workspace's flows, each hop
    run and held before the next (the mart and the console's drill-down alike)."""
    return traced_hops(loans, engine.table("transactions"), engine.table("accounts"),
                       engine.table("relations"), engine.table("guarantees"), since, day, rules,
                       materialise=lambda t: ibis.memtable(engine.to_arrow(t)))


def fund_flows(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
               stored: Stored) -> ir.Table:
    (day,) = dates
    rules = flow_rules(policy)
    before = date_before(stored, "fund_flows", day)
    since = before - dt.timedelta(days=rules.window_days) if before else FIRST_RUN_SINCE
    loans = engine.table("loans")
    trace = trace_of(engine, loans, since, day, rules)
    contracts = engine.table("contracts")
    contracts = contracts.filter(in_force(contracts, day))
    found = flow_findings(trace.hops, trace.regular, loans.filter(in_force(loans, day)), contracts, rules)
    if before is not None:
        kept = rows_on(engine, "fund_flows", before)
        kept = kept.filter(kept.disbursed_on <= since)
        kept = kept.select(*(kept[n].cast(t).name(n) for n, t in FINDING.items()))
        found = kept.union(found)
    return found.select(ibis.date(day).name("as_of"), *FINDING.names)
