"""Group E of SIGNALS.md, public information (公示信息): what the business registry and the
courts publish about a borrower. Every signal is borrower-level (``loan_id`` NULL) and reads
the registry events in force at ``as_of`` that occurred on or before it; a window of n
months is (as_of - n months, as_of], so an event exactly n months old is out."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import known_by, latest_by, money
from loanwatch.analytics.indicators.registry import KEY_PERSON_KINDS, registry_events
from loanwatch.policy.signals import SignalPolicy
from loanwatch.policy.vocabulary import Severity
from loanwatch.rules.evidence import money_text
from loanwatch.rules.signal import Facts, Signal, firings

__all__ = ["SIGNALS", "litigation"]

COURT_KINDS = ("enforcement", "dishonest_debtor")
PENALTY_KINDS = ("admin_penalty", "abnormal_operation", "equity_freeze")
MAJOR_CHANGE_KINDS = ("business_scope_change", "address_change", "capital_change")
# windows SIGNALS.md fixes for signals whose policy has no window parameter
LITIGATION_MONTHS = 12
PENALTY_MONTHS = 12
MAJOR_CHANGE_MONTHS = 3


def _events(facts: Facts, kinds: tuple[str, ...], months: int | None = None) -> ir.Table:
    return registry_events(facts.registry_events, facts.as_of, kinds, months)


def _event_text(e: ir.Table) -> ir.StringValue:
    return e.kind + " " + e.occurred_on.cast("string")


def _listed(e: ir.Table, text: ir.StringValue, **extra: ir.Scalar) -> ir.Table:
    """Per customer: ``events`` and the evidence ``text`` of each event in date order.

    Sorting an array of (date, kind, text) structs orders by date on every engine;
    ``group_concat(order_by=...)`` is not portable (PySpark refuses it)."""
    item = ibis.struct({"on": e.occurred_on, "kind": e.kind, "text": text})
    return e.group_by("customer_id").aggregate(
        events=e.count(), evidence=item.collect().sort().map(lambda i: i.text).join(", "), **extra)


def _borrower_rows(t: ir.Table, severity: ir.StringValue | str,
                   evidence: ir.StringValue | None = None) -> ir.Table:
    severity = ibis.literal(severity) if isinstance(severity, str) else severity
    return firings(t.mutate(loan_id=ibis.null("string"), severity=severity,
                            evidence=t.evidence if evidence is None else evidence))


def _overdue_customers(facts: Facts) -> ir.Table:
    s = facts.snapshot
    s = s.filter(s.status == "active", s.dpd > 0)
    return s.group_by(o_customer_id=s.customer_id).aggregate(max_dpd=s.dpd.max().cast("int64"))


def key_person_churn(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """More than ``changes_above`` key-person changes in ``window_months``.

    With ``early_recall_if_overdue`` a borrower also overdue with us (an active loan with
    dpd > 0 in the snapshot) fires ``critical``, the early-recall case of SIGNALS.md (churn
    combined with overdue), and the evidence says so; otherwise the policy severity."""
    p = policy.params
    e = _events(facts, KEY_PERSON_KINDS, p.window_months)
    t = _listed(e, _event_text(e))
    t = t.filter(t.events > p.changes_above)
    if not p.early_recall_if_overdue:
        return _borrower_rows(t, policy.severity.value)
    o = _overdue_customers(facts)
    t = t.left_join(o, t.customer_id == o.o_customer_id)
    overdue = t.max_dpd.notnull()
    severity = ibis.ifelse(overdue, Severity.CRITICAL.value, policy.severity.value)
    evidence = ibis.ifelse(overdue, t.evidence + "; overdue with us, " + t.max_dpd.cast("string")
                           + " days past due", t.evidence)
    return _borrower_rows(t, severity, evidence)


def _net_assets(facts: Facts, financials: ir.Table) -> ir.Table:
    """Each customer's net assets from its latest statement with period_end by as_of."""
    f = latest_by(known_by(financials, "period_end", facts.as_of), "customer_id", "period_end")
    return f.select(n_customer_id=f.customer_id, period_end=f.period_end,
                    net_assets=money(f.total_assets - f.total_liabilities))


def litigation(facts: Facts, policy: SignalPolicy[Any],
               financials: ir.Table | None = None) -> ir.Table:
    """Lawsuits with an amount in the last 12 months of at least ``min_net_asset_share`` of
    the borrower's net assets (total_assets - total_liabilities of its latest ``financials``
    row; ``facts.financials`` unless given). Without a statement (an individual, or no
    ``financials`` at all) the base is what the borrower owes this lender (outstanding
    principal of its active loans at the date); with neither known, every lawsuit fires.
    The registry does not say whether the borrower is the defendant."""
    financials = financials if financials is not None else facts.financials
    e = _events(facts, ("lawsuit",), LITIGATION_MONTHS)
    e = e.filter(e.amount > 0)
    if financials is None:
        e = e.mutate(period_end=ibis.null("date"), net_assets=ibis.null("decimal(18,2)"))
    else:
        n = _net_assets(facts, financials)
        e = e.left_join(n, e.customer_id == n.n_customer_id).drop("n_customer_id")
    s = facts.snapshot.filter(facts.snapshot.status == "active")
    owed = s.group_by(o_customer_id=s.customer_id).aggregate(
        owed=s.outstanding_principal.sum().cast("decimal(18,2)"))
    e = e.left_join(owed, e.customer_id == owed.o_customer_id).drop("o_customer_id")
    base = e.net_assets.coalesce(e.owed)
    share = ibis.literal(policy.params.min_net_asset_share, "decimal(18,6)")
    e = e.filter(base.isnull() | (e.amount >= base * share))
    t = _listed(e, _event_text(e) + " " + money_text(e.amount),
                net_assets=e.net_assets.max(), period_end=e.period_end.max(), owed=e.owed.max())
    known = " vs net assets " + money_text(t.net_assets) + " on " + t.period_end.cast("string")
    owed_text = " vs " + money_text(t.owed) + " owed here"
    evidence = t.evidence + ibis.cases((t.net_assets.notnull(), known),
                                       (t.owed.notnull(), owed_text),
                                       else_="; net assets unknown")
    return _borrower_rows(t, policy.severity.value, evidence)


def enforcement(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Listed as an enforcement or dishonest debtor (被执行人 / 失信), at any time."""
    e = _events(facts, COURT_KINDS)
    return _borrower_rows(_listed(e, _event_text(e)), policy.severity.value)


def penalty(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """An administrative penalty, abnormal-operation listing or equity freeze in the last 12
    months; ``equity_freeze_severity`` when an equity freeze is among them."""
    e = _events(facts, PENALTY_KINDS, PENALTY_MONTHS)
    t = _listed(e, _event_text(e), freezes=(e.kind == "equity_freeze").sum())
    severity = ibis.ifelse(t.freezes > 0, policy.params.equity_freeze_severity.value,
                           policy.severity.value)
    return _borrower_rows(t, severity)


def major_change(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A change of business scope, address or registered capital in the last 3 months."""
    e = _events(facts, MAJOR_CHANGE_KINDS, MAJOR_CHANGE_MONTHS)
    return _borrower_rows(_listed(e, _event_text(e)), policy.severity.value)


SIGNALS: tuple[Signal, ...] = (
    Signal("REG-KEY-PERSON-CHURN", "关键人员频繁变更", "Key people changing often", key_person_churn),
    Signal("REG-LITIGATION", "涉诉金额较大", "Material lawsuit", litigation),
    Signal("REG-ENFORCEMENT", "被执行人或失信被执行人", "Enforcement or dishonest debtor", enforcement),
    Signal("REG-PENALTY", "行政处罚、经营异常或股权冻结", "Penalty, abnormal operation or equity freeze",
           penalty),
    Signal("REG-MAJOR-CHANGE", "经营范围、地址或注册资本变更", "Change of business scope, address or capital",
           major_change),
)
