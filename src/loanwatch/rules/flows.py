"""Group B of SIGNALS.md, use and flow of loan proceeds (资金流向): each signal reads the
``fund_flows`` mart of the date (analytics/flows: what the traced proceeds of each loan
reached) and fires on the loan while it is on the book. A finding counts when it began
within the signal's ``window_days`` of the disbursement and passed at most its
``max_hops`` accounts; the trace itself goes as far as the policy's ``fund_flows``."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import days_between
from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS"]

_DECIMAL = "decimal(9,4)"


def _found(facts: Facts, *kinds: str) -> ir.Table | None:
    """Today's findings of ``kinds`` for loans on the book."""
    if facts.fund_flows is None:
        return None
    f = facts.fund_flows.filter(facts.fund_flows.finding.isin(list(kinds)))
    s = facts.snapshot.filter(facts.snapshot.status.isin(["active", "not_started"]))
    return f.semi_join(s, f.loan_id == s.loan_id)


def _within(f: ir.Table, window_days: int) -> ir.BooleanValue:
    return days_between(f.first_at.date(), f.disbursed_on) <= window_days


def _figures(f: ir.Table) -> ir.StringValue:
    return (money_text(f.amount) + " (" + percent_text(f.share) + " of the loan "
            + money_text(f.principal) + ")")


def _dates(f: ir.Table) -> ir.StringValue:
    first, last = f.first_at.date().cast("string"), f.last_at.date().cast("string")
    return ibis.ifelse(first == last, "on " + first, first + ".." + last)


def _fire(f: ir.Table, policy: SignalPolicy[Any], evidence: ir.StringValue) -> ir.Table:
    return firings(f.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def flow_backflow(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Proceeds back with the borrower, its related parties or guarantors: at least
    ``min_share`` of the loan, through at most ``max_hops`` accounts."""
    f = _found(facts, "backflow")
    if f is None:
        return no_firings()
    p = policy.params
    f = f.filter(f.share >= ibis.literal(p.min_share, _DECIMAL), f.hops <= p.max_hops,
                 _within(f, p.window_days))
    evidence = (_figures(f) + " came back to " + f.counterparty.coalesce("the borrower")
                + " through " + f.hops.cast("string") + " account(s) " + _dates(f)
                + "; route " + f.route)
    return _fire(f, policy, evidence)


def flow_contract_mismatch(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """An entrusted payment to someone the loan's contracts do not name, or to an individual
    when a contract is with an enterprise."""
    f = _found(facts, "contract_mismatch", "individual_payee")
    if f is None:
        return no_firings()
    why = ibis.ifelse(f.finding == "individual_payee", "entrusted payment to an individual ",
                      "entrusted payment to ")
    reason = (why + f.counterparty.coalesce("?") + " " + money_text(f.amount) + " "
              + _dates(f) + ", " + f.detail.coalesce("no contract"))
    t = f.mutate(reason=reason).group_by("loan_id", "customer_id").aggregate(
        evidence=ibis._.reason.group_concat("; ", order_by=[ibis._.finding]))
    return _fire(t, policy, t.evidence)


def _share_signal(finding: str, what: str):
    def calculate(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
        f = _found(facts, finding)
        if f is None:
            return no_firings()
        p = policy.params
        f = f.filter(f.share >= ibis.literal(p.min_share, _DECIMAL))
        if hasattr(p, "window_days"):
            f = f.filter(_within(f, p.window_days))
        evidence = _figures(f) + " " + what + " " + _dates(f) + "; largest to " \
            + f.counterparty.coalesce("an unknown holder") + ", route " + f.route
        return _fire(f, policy, evidence)
    calculate.__doc__ = f"At least ``min_share`` of the proceeds {what}."
    return calculate


def flow_prohibited(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """Any traced proceeds reaching a prohibited use (securities, futures, real estate,
    lending: the policy's ``fund_flows.prohibited`` words)."""
    f = _found(facts, "prohibited")
    if f is None:
        return no_firings()
    evidence = (_figures(f) + " to " + f.detail.coalesce("?") + ": " + f.counterparty.coalesce("?")
                + " " + _dates(f) + "; route " + f.route)
    return _fire(f, policy, evidence)


SIGNALS: tuple[Signal, ...] = (
    Signal("FLOW-BACKFLOW", "贷款资金回流", "Loan proceeds flowing back", flow_backflow),
    Signal("FLOW-CONTRACT-MISMATCH", "受托支付对象与合同不符",
           "Entrusted payment not to the contract's counterparty", flow_contract_mismatch),
    Signal("FLOW-UNTRACED", "贷款资金去向不明", "Proceeds to unidentified accounts",
           _share_signal("untraced", "went to accounts of unknown holders")),
    Signal("FLOW-PROHIBITED", "贷款资金流入禁止领域", "Proceeds to a prohibited use",
           flow_prohibited),
    Signal("FLOW-CONCENTRATED", "贷款资金集中流向单一对象",
           "Proceeds concentrated on one counterparty",
           _share_signal("concentrated", "went to one counterparty not named in a contract")),
    Signal("FLOW-CASH-OUT", "贷款资金大额取现", "Large cash withdrawals from the proceeds",
           _share_signal("cash_out", "withdrawn in cash")),
)
