"""A borrower's warning level (预警等级) from its open alerts, as SIGNALS.md combines them.

The level is the worst severity of the alerts open on the borrower or any of its loans,
raised by the policy's escalations (default: two medium-or-worse signals from different
groups make it high). A guarantor also sees the worst level among the borrowers whose loans
it guarantees (``guaranteed_level``), so a critical borrower shows on its guarantor's page;
and every loan of a critical borrower is critical (``loan_warnings``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import day, in_force

SEVERITIES = ("info", "low", "medium", "high", "critical")


@dataclass(frozen=True)
class Escalation:
    min_signals: int
    min_severity: str
    distinct_groups: bool
    raise_to: str


def _rank(severity: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*((severity == s, i) for i, s in enumerate(SEVERITIES)), else_=0)


def _name(rank: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(*((rank == i, s) for i, s in enumerate(SEVERITIES)),
                      else_=ibis.null("string"))


def warning_levels(alerts: ir.Table, guarantees: ir.Table, loans: ir.Table,
                   escalations: Sequence[Escalation], as_of: dt.date) -> ir.Table:
    """Per borrower with an open alert, or guaranteeing one that has: ``level``, the open
    ``signals``, whether an escalation ``raised`` it, and ``guaranteed_level``."""
    t = combined_levels(alerts.filter(alerts.status == "open"), escalations, ("customer_id",))
    g = _guaranteed(t, guarantees, loans, as_of)
    t = t.outer_join(g, t.customer_id == g.g_customer_id)
    return t.select(
        as_of=day(as_of), customer_id=t.customer_id.coalesce(t.g_customer_id),
        level=_name(t.level_rank), raised=t.raised.coalesce(False),
        signals=t.signals.coalesce(ibis.literal([], "array<string>")),
        alert_count=t.alert_count.coalesce(0), guaranteed_level=_name(t.g_rank))


def combined_levels(alerts: ir.Table, escalations: Sequence[Escalation],
                    by: Sequence[str]) -> ir.Table:
    """Per ``by`` group of ``alerts`` (those that count, e.g. the open ones): the ``worst``
    severity rank, the ``signals``, ``alert_count``, and ``level_rank`` after escalations
    (``raised`` when an escalation made it worse than the worst alert)."""
    a = alerts.mutate(r=_rank(alerts.severity))
    sums = {"worst": a.r.max(), "signals": a.signal_id.collect(distinct=True).sort(),
            "alert_count": a.count()}
    for n, e in enumerate(escalations):
        strong = a.r >= SEVERITIES.index(e.min_severity)
        what = a.group if e.distinct_groups else a.signal_id
        sums[f"_e{n}"] = what.nunique(where=strong)
    t = a.group_by(*by).aggregate(**sums)
    raised = [ibis.ifelse(t[f"_e{n}"] >= e.min_signals, SEVERITIES.index(e.raise_to), 0)
              for n, e in enumerate(escalations)]
    level = ibis.greatest(t.worst, *raised) if raised else t.worst
    return t.mutate(level_rank=level, raised=level > t.worst).drop(
        *[f"_e{n}" for n in range(len(escalations))])


def _guaranteed(levels: ir.Table, guarantees: ir.Table, loans: ir.Table,
                as_of: dt.date) -> ir.Table:
    """Per guarantor: the worst level among the borrowers of the loans it guarantees."""
    d = day(as_of)
    g = guarantees.filter(in_force(guarantees, d)).select("loan_id", "guarantor_customer_id")
    ln = loans.filter(in_force(loans, d)).select(l_loan_id="loan_id", borrower="customer_id")
    g = g.join(ln, g.loan_id == ln.l_loan_id)
    g = g.join(levels, g.borrower == levels.customer_id)
    return g.group_by(g_customer_id=g.guarantor_customer_id).aggregate(g_rank=g.level_rank.max())


def loan_warnings(levels: ir.Table, alerts: ir.Table, loans: ir.Table,
                  as_of: dt.date) -> ir.Table:
    """Per loan of a borrower with a level: the worst of its own open alerts, or critical
    when its borrower is (a critical borrower makes all its loans critical)."""
    a = alerts.filter(alerts.status == "open", alerts.loan_id.notnull())
    own = a.group_by(o_loan_id=a.loan_id).aggregate(own=_rank(a.severity).max())
    ln = loans.filter(in_force(loans, day(as_of))).select("loan_id", "customer_id")
    lv = levels.filter(levels.level.notnull()).select(v_customer_id="customer_id", level="level")
    t = ln.join(lv, ln.customer_id == lv.v_customer_id)
    t = t.left_join(own, t.loan_id == own.o_loan_id)
    critical = SEVERITIES.index("critical")
    rank = ibis.ifelse(_rank(t.level) == critical, critical, t.own.coalesce(-1))
    t = t.filter(rank >= 0)  # loans with nothing of their own under a non-critical borrower
    return t.select(as_of=day(as_of), loan_id=t.loan_id, customer_id=t.customer_id,
                    level=_name(rank))
