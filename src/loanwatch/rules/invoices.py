"""Group C of SIGNALS.md, contracts and invoices (票款一致性): read from the ``reconciliation``
mart of the date (analytics/reconciliation.py), which holds the raw figures per loan; the
policy's thresholds are applied here, so changing the policy changes the firing.

INV-MISSING, INV-MISMATCH and INV-VOID fire per loan, for loans active in the snapshot.
CONTRACT-IMPLAUSIBLE fires per borrower (``loan_id`` NULL): the contracted volume is the
borrower's, over all its loans, and so is the revenue it is held against; a borrower fires
while it has an active loan. The mart reckons the volume and revenue over the policy's
``revenue_months``; the ``revenue_divisor`` is applied here."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.policy.signals import SignalPolicy
from loanwatch.rules.evidence import money_text, percent_text
from loanwatch.rules.signal import Facts, Signal, firings, no_firings

__all__ = ["SIGNALS", "contract_implausible", "invoice_missing", "invoice_mismatch", "invoice_void"]


def _active(facts: Facts) -> ir.Table | None:
    """The mart's rows of loans active in the snapshot (None without a mart)."""
    if facts.reconciliation is None:
        return None
    s = facts.snapshot
    return facts.reconciliation.semi_join(s.filter(s.status == "active"), "loan_id")


def _loan_rows(t: ir.Table, policy: SignalPolicy[Any], evidence: ir.StringValue) -> ir.Table:
    return firings(t.mutate(severity=ibis.literal(policy.severity.value), evidence=evidence))


def _more(count: ir.IntegerValue, noun: str) -> ir.StringValue:
    return ibis.ifelse(count > 1, " (" + count.cast("string") + f" {noun})", "")


def invoice_missing(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """An entrusted payment the loan's valid invoices do not reach at all, made at least
    ``after_days`` ago (the oldest such payment counts)."""
    t = _active(facts)
    if t is None:
        return no_firings()
    t = t.filter(t.days_without_invoice >= policy.params.after_days)
    evidence = ("no valid invoice " + t.days_without_invoice.cast("string") + " days after payment "
                + t.uncovered_since.cast("string") + "; paid " + money_text(t.paid_amount)
                + ", valid invoices " + money_text(t.invoiced_amount) + " (contracts "
                + t.contract_ids + " with " + t.counterparties + ")")
    return _loan_rows(t, policy, evidence)


def invoice_mismatch(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A valid invoice sold by someone other than the contract's counterparty, or valid
    invoices below the payments they cover (past the grace) by more than ``amount_tolerance``."""
    t = _active(facts)
    if t is None:
        return no_firings()
    tolerance = policy.params.amount_tolerance
    share = ibis.literal(Decimal(1) - tolerance, "decimal(18,6)")
    short = (t.invoiced_amount > 0) & (t.invoiced_amount < t.paid_due * share)
    t = t.filter((t.seller_mismatches > 0) | short)
    below = (t.paid_due - t.invoiced_amount).cast("float64") / t.paid_due.cast("float64")
    parts = [
        t.mismatch_text + _more(t.seller_mismatches, "invoices"),
        ibis.ifelse(short, "valid invoices " + money_text(t.invoiced_amount) + " for "
                    + money_text(t.paid_due) + " paid, " + percent_text(below)
                    + f" short (tolerance {tolerance:.0%})", None),
    ]
    evidence = ibis.literal("; ").join(parts) + " (contracts " + t.contract_ids + ")"
    return _loan_rows(t, policy, evidence)


def invoice_void(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """An invoice of the loan's contracts voided or reversed (red) and not reissued."""
    t = _active(facts)
    if t is None:
        return no_firings()
    t = t.filter(t.void_invoices > 0)
    evidence = (t.void_text + _more(t.void_invoices, "invoices") + "; paid " + money_text(t.paid_amount)
                + ", valid invoices " + money_text(t.invoiced_amount) + " (contracts "
                + t.contract_ids + ")")
    return _loan_rows(t, policy, evidence)


def contract_implausible(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """A borrower whose contracts of the last ``revenue_months`` exceed the revenue of that
    span divided by ``revenue_divisor``."""
    t = _active(facts)
    if t is None:
        return no_firings()
    p = policy.params
    t = t.filter(t.contract_volume * p.revenue_divisor > t.revenue_reference)
    t = t.select("customer_id", "contract_volume", "volume_contracts", "revenue_reference").distinct()
    # exact: whole cents divided, rounded down
    cents = (t.revenue_reference * 100).cast("int64") // p.revenue_divisor
    limit = cents.cast("decimal(18,2)") * ibis.literal(Decimal("0.01"), "decimal(3,2)")
    evidence = ("contracts " + money_text(t.contract_volume) + " (" + t.volume_contracts.cast("string")
                + f") in {p.revenue_months} months above revenue " + money_text(t.revenue_reference)
                + f" / {p.revenue_divisor} = " + money_text(limit))
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(policy.severity.value),
                            evidence=evidence))


SIGNALS: tuple[Signal, ...] = (
    Signal("INV-MISSING", "受托支付后未取得有效增值税发票", "No valid VAT invoice after an entrusted payment",
           invoice_missing),
    Signal("INV-MISMATCH", "发票与合同或付款不符", "Invoice seller or total inconsistent with the contract",
           invoice_mismatch),
    Signal("INV-VOID", "发票作废或红冲", "Invoice voided or reversed", invoice_void),
    Signal("CONTRACT-IMPLAUSIBLE", "合同金额与经营规模不符", "Contract volume implausible for the business",
           contract_implausible),
)
