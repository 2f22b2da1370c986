"""Group H of SIGNALS.md, guarantors (担保): guarantee circles and chains (GUAR-CIRCLE, from
the networks mart of the date) and a guarantor in distress (GUAR-DISTRESS, the contagion
from a guarantor to the loans it stands behind).

A guarantor is whoever stands behind a loan on the book at ``as_of`` by a guarantee in force
then: a guarantee (保证), or a third party's mortgage or pledge (抵押 / 质押), whose pledgor in
trouble weakens the loan as much. A borrower pledging its own assets is not its guarantor."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, money
from loanwatch.policy.signals import SignalPolicy
from loanwatch.policy.vocabulary import Severity
from loanwatch.rules.evidence import money_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "guarantee_circle", "guarantor_distress"]

OWN_PREFIX = "GUAR-"  # the guarantor's own GUAR-* firings do not count: no feedback loops
DISTRESSING = ibis.schema({"f_customer_id": "string", "signals": "string"})


def _active(facts: Facts) -> ir.Table:
    s = facts.snapshot
    return s.filter(s.status == "active")


def _borrower_exposure(facts: Facts) -> ir.Table:
    s = _active(facts)
    return s.group_by(b_customer_id=s.customer_id).aggregate(
        exposure=money(s.outstanding_principal.sum()))


def _network_text(n: ir.Table, min_chain: int) -> ir.StringValue:
    size = n.circle_size.cast("string")
    circle = ibis.ifelse(n.in_circle, "guarantee circle " + n.circle_path + " (" + size
                         + " members)", ibis.null("string"))
    chain = ibis.ifelse(n.chain_length >= min_chain, "guarantee chain of "
                        + n.chain_length.cast("string") + ": " + n.chain_path, ibis.null("string"))
    both = ibis.ifelse(circle.notnull() & chain.notnull(), circle + "; " + chain,
                       circle.coalesce(chain))
    group = ("; group of " + n.group_size.cast("string") + " related customers, "
             + n.group_borrowers.cast("string") + " borrowers, exposure "
             + money_text(n.group_exposure))
    return both + "; own exposure " + money_text(n.exposure) + group


def guarantee_circle(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A borrower in a guarantee circle of any length, or on a guarantee chain of at least
    ``min_chain_length`` parties (a circle on it counting as one); one firing per borrower
    (``loan_id`` NULL: the circle binds the borrower, not one loan)."""
    if facts.networks is None:
        return no_firings()
    min_chain = int(policy.params.min_chain_length)
    n = facts.networks
    n = n.filter(n.in_circle | (n.chain_length >= min_chain))
    b = _borrower_exposure(facts)
    n = n.join(b, n.customer_id == b.b_customer_id)
    return firings(n.mutate(loan_id=ibis.null("string"), severity=ibis.literal(policy.severity.value),
                            evidence=_network_text(n, min_chain)))


def _guarantees(facts: Facts) -> ir.Table:
    """``guarantee_id, loan_id, borrower, guarantor`` on the loans on the book at D."""
    g = facts.guarantees
    g = g.filter(in_force(g, facts.as_of)) if "_valid_from" in g.columns else g
    s = _active(facts).select("loan_id", borrower="customer_id")
    g = g.join(s, "loan_id")
    g = g.filter(g.guarantor_customer_id != g.borrower)
    return g.select("guarantee_id", "loan_id", "borrower", guarantor=g.guarantor_customer_id)


def _overdue(facts: Facts) -> ir.Table:
    """Per customer overdue on a loan of its own: the worst DPD and those loans."""
    s = _active(facts)
    s = s.filter(s.dpd > 0)
    return s.group_by(o_customer_id=s.customer_id).aggregate(
        max_dpd=s.dpd.max().cast("int64"), overdue_loans=s.loan_id.collect(distinct=True).sort().join(", "))


def _severity_rank(severity: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*((severity == s.value, s.rank) for s in Severity), else_=-1)


def _distressing(facts: Facts, min_severity: Severity) -> ir.Table:
    """Per customer firing a signal of ``min_severity`` or worse (not GUAR-*): those signals."""
    if facts.firings is None:
        return ibis.memtable(DISTRESSING.to_pyarrow().empty_table())
    f = facts.firings
    f = f.filter(f.customer_id.notnull(), ~f.signal_id.startswith(OWN_PREFIX),
                 _severity_rank(f.severity) >= min_severity.rank)
    return f.group_by(f_customer_id=f.customer_id).aggregate(
        signals=f.signal_id.collect(distinct=True).sort().join(", "))


def _reason(t: ir.Table) -> ir.StringValue:
    overdue = ibis.ifelse(t.max_dpd.notnull(), " overdue " + t.max_dpd.cast("string")
                          + " days (" + t.overdue_loans + ")", ibis.null("string"))
    fires = ibis.ifelse(t.signals.notnull(), " fires " + t.signals, ibis.null("string"))
    what = ibis.ifelse(overdue.notnull() & fires.notnull(), overdue + ";" + fires,
                       overdue.coalesce(fires))
    return "guarantor " + t.guarantor + " (" + t.guarantee_id + "):" + what


def guarantor_distress(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A loan whose guarantor is overdue on a loan of its own (DPD > 0) or fires a signal of
    ``min_guarantor_severity`` or worse (``Facts.firings``, GUAR-* left out); one firing per
    guaranteed loan naming every guarantor in trouble."""
    if facts.guarantees is None:
        return no_firings()
    g = _guarantees(facts)
    o = _overdue(facts)
    g = g.left_join(o, g.guarantor == o.o_customer_id)
    d = _distressing(facts, Severity(policy.params.min_guarantor_severity))
    g = g.left_join(d, g.guarantor == d.f_customer_id)
    g = g.filter(g.max_dpd.notnull() | g.signals.notnull())
    g = g.mutate(reason=_reason(g))
    t = g.group_by("loan_id", customer_id=g.borrower).aggregate(
        evidence=g.reason.collect(distinct=True).sort().join("; "))
    return firings(t.mutate(severity=ibis.literal(policy.severity.value)))


SIGNALS: tuple[Signal, ...] = (
    Signal("GUAR-DISTRESS", "担保人风险传染", "Guarantor in distress (overdue or high-risk signal)",
           guarantor_distress, reads_firings=True),
    Signal("GUAR-CIRCLE", "担保圈或长担保链", "Borrower in a guarantee circle or a long guarantee chain",
           guarantee_circle),
)
