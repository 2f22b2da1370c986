"""Contract ↔ entrusted payment ↔ VAT invoice reconciliation (票款一致性), one row per loan
with a purchase contract known at the as-of date D.

The rules (docs/reconciliation.md says them for a risk officer):

- A loan's *entrusted payments* (受托支付) are its ``transactions`` rows with its ``loan_id``,
  direction ``out``, occurred by the end of D; the disbursement (the ``in`` row) is not one.
- An invoice belongs to a contract by ``invoices.contract_id``. An invoice without one belongs
  to a contract of the loan's borrower when its buyer is the borrower (``buyer_tax_id`` =
  the borrower's ``customers.id_number``) and its seller the contract's counterparty
  (``seller_tax_id`` = ``counterparty_tax_id``); among several such contracts, the one dated
  last on or before the invoice date (else the first dated; a contract is dated by its
  signing, else by its loan's disbursement), ties by ``contract_id``.
- *Valid*: status ``normal`` or empty. ``void`` and ``red`` are voids. The invoiced amount is
  the valid invoices' total 价税合计 (amount + tax) plus the negative totals of red invoices,
  whether the red invoice is the negative one (红字发票, its blue original still ``normal``)
  or marks the reversed original (positive, then simply not valid).
- A void is *replaced* when a valid invoice of the same contract was issued on or after it
  for at least its total less the tolerance; only voids not replaced count.
- *Seller mismatch*: a valid invoice whose seller tax id differs from the contract's
  counterparty tax id, or, when either is missing, whose seller name differs from the
  counterparty name.
- *Coverage*: the invoiced amount covers the payments oldest first. A payment the invoices
  do not reach at all has no invoice; ``days_without_invoice`` counts from the oldest such.
  Payments past the ``after_days`` grace that the invoices reach are ``paid_due``; invoices
  below ``paid_due`` x (1 - tolerance) are short. Within the grace a payment is waiting.
- *Contract volume* (per borrower, beside each of its loans): the borrower's contracts dated
  in the ``revenue_months`` up to D (signing date, else the loan's disbursement) against
  ``revenue_reference``, the revenue of its statements in the ``revenue_months`` up to its
  latest one (scaled up to the full window when the statements cover less); implausible when
  the volume exceeds ``revenue_reference / revenue_divisor``.

Tables in, table out: no connection, no clock, no policy (``ReconciliationRules`` carries the
parameters)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.contract_volume import contract_volumes
from loanwatch.analytics.expr import days_between, in_force, known_by, money, zero

__all__ = ["ReconciliationRules", "contract_invoices", "entrusted_payments", "known_contracts",
           "loan_reconciliation", "payment_coverage", "unreplaced_voids"]

STATUSES = ("matched", "partial", "unmatched")


@dataclass(frozen=True)
class ReconciliationRules:
    """The policy's parameters (INV-MISSING, INV-MISMATCH, CONTRACT-IMPLAUSIBLE)."""

    after_days: int = 60
    amount_tolerance: Decimal = Decimal("0.05")
    revenue_months: int = 24
    revenue_divisor: int = 2


def _share(rules: ReconciliationRules) -> ir.DecimalScalar:
    """1 - tolerance, exact."""
    return ibis.literal(Decimal(1) - rules.amount_tolerance, "decimal(18,6)")


def entrusted_payments(transactions: ir.Table, as_of: dt.date) -> ir.Table:
    """``loan_id, txn_id, occurred_at, paid_on, amount`` of the entrusted payments by D."""
    t = transactions
    end = ibis.timestamp(dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time()))
    t = t.filter(in_force(t, as_of), t.loan_id.notnull(), t.direction == "out", t.occurred_at < end)
    return t.select("loan_id", "txn_id", "occurred_at", paid_on=t.occurred_at.date(),
                    amount=money(t.amount))


def known_contracts(loans: ir.Table, contracts: ir.Table, as_of: dt.date) -> ir.Table:
    """The contracts known at D of loans disbursed by D, with the borrower and ``dated_on``
    (the signing date, else the disbursement)."""
    d = ibis.date(as_of)
    lo = loans.filter(in_force(loans, as_of), loans.disbursed_on <= d)
    c = contracts.filter(in_force(contracts, as_of),
                         contracts.signed_on.isnull() | (contracts.signed_on <= d))
    c = c.join(lo.select("loan_id", "customer_id", "disbursed_on"), "loan_id")
    return c.select("contract_id", "loan_id", "customer_id", "counterparty_name", "counterparty_tax_id",
                    "signed_on", contract_amount=money(c.amount),
                    dated_on=c.signed_on.coalesce(c.disbursed_on))


_INVOICE = ("invoice_no", "issued_on", "status", "total", "seller_tax_id", "seller_name")
_CONTRACT = ("contract_id", "loan_id", "customer_id", "counterparty_name", "counterparty_tax_id")


def _unlinked(invoices: ir.Table, contracts: ir.Table, customers: ir.Table, as_of: dt.date) -> ir.Table:
    """Invoices without ``contract_id`` on the borrower's contract with their seller."""
    u = invoices.filter(invoices.contract_id.isnull()).drop("contract_id")
    cu = customers.filter(in_force(customers, as_of), customers.id_number.notnull())
    k = contracts.join(cu.select("customer_id", buyer_id=cu.id_number), "customer_id")
    m = u.join(k, (u.seller_tax_id == k.counterparty_tax_id) & (u.buyer_tax_id == k.buyer_id))
    later = m.dated_on > m.issued_on
    w = ibis.window(group_by=m.invoice_no,
                    order_by=[later, ibis.desc(later.ifelse(None, m.dated_on)), m.dated_on, m.contract_id])
    m = m.filter(ibis.row_number().over(w) == 0)
    return m.select(*_INVOICE, *_CONTRACT)


def contract_invoices(contracts: ir.Table, invoices: ir.Table, as_of: dt.date,
                      customers: ir.Table | None = None) -> ir.Table:
    """The invoices issued by D on the ``known_contracts``, each with its contract, ``total``
    (amount + tax), ``is_valid``, ``is_void`` and ``seller_mismatch``."""
    i = known_by(invoices, "issued_on", as_of)
    i = i.mutate(total=money(i.amount + i.tax_amount.coalesce(zero())))
    linked = i.join(contracts, "contract_id").select(*_INVOICE, *_CONTRACT)
    t = linked if customers is None else linked.union(_unlinked(i, contracts, customers, as_of))
    both_ids = t.seller_tax_id.notnull() & t.counterparty_tax_id.notnull()
    names = t.seller_name.notnull() & t.counterparty_name.notnull()
    mismatch = both_ids.ifelse(t.seller_tax_id.strip() != t.counterparty_tax_id.strip(),
                               names & (t.seller_name.strip() != t.counterparty_name.strip()))
    valid = t.status.isnull() | (t.status == "normal")
    return t.mutate(is_valid=valid, is_void=t.status.isin(("void", "red")).fill_null(False),
                    seller_mismatch=valid & mismatch.fill_null(False))


def unreplaced_voids(invoices: ir.Table, rules: ReconciliationRules) -> ir.Table:
    """The void or red ``contract_invoices`` without a valid invoice of their contract issued
    on or after them for at least their total less the tolerance."""
    v = invoices.filter(invoices.is_void)
    ok = invoices.filter(invoices.is_valid)
    ok = ok.select(r_contract_id=ok.contract_id, r_issued_on=ok.issued_on, r_total=ok.total)
    return v.anti_join(ok, (v.contract_id == ok.r_contract_id) & (ok.r_issued_on >= v.issued_on)
                       & (ok.r_total >= v.total.abs() * _share(rules)))


def payment_coverage(payments: ir.Table, invoiced: ir.Table, as_of: dt.date,
                     rules: ReconciliationRules) -> ir.Table:
    """Per loan with payments: ``paid_amount, payments, first_paid_on, last_paid_on``,
    ``uncovered_since`` (the oldest payment the ``invoiced_amount`` does not reach, oldest
    payments covered first) and ``paid_due`` (the payments past the grace it reaches)."""
    inv = invoiced.select(i_loan_id="loan_id", i_amount="invoiced_amount")
    p = payments.left_join(inv, payments.loan_id == inv.i_loan_id)
    w = ibis.cumulative_window(group_by=p.loan_id, order_by=[p.occurred_at, p.txn_id])
    before = money(p.amount.sum().over(w) - p.amount)
    p = p.mutate(reached=p.i_amount.coalesce(zero()) > before)
    due = p.reached & (p.paid_on <= ibis.date(as_of - dt.timedelta(days=rules.after_days)))
    return p.group_by("loan_id").aggregate(
        paid_amount=money(p.amount.sum()), payments=p.count(), first_paid_on=p.paid_on.min(),
        last_paid_on=p.paid_on.max(), uncovered_since=p.paid_on.min(where=~p.reached),
        paid_due=money(p.amount.sum(where=due).coalesce(zero())))


def _contract_totals(contracts: ir.Table) -> ir.Table:
    names = contracts.select("loan_id", "counterparty_name").distinct()
    listed = names.group_by("loan_id").aggregate(
        counterparties=names.counterparty_name.collect().sort().join(", "))
    ids = contracts.group_by(i_loan_id="loan_id").aggregate(
        contract_ids=contracts.contract_id.collect().sort().join(", "))
    listed = listed.join(ids, listed.loan_id == ids.i_loan_id).drop("i_loan_id")
    totals = contracts.group_by("loan_id", "customer_id").aggregate(
        contracts=contracts.count(), contract_amount=money(contracts.contract_amount.sum()))
    return totals.join(listed, "loan_id")


def _invoice_totals(inv: ir.Table, voids: ir.Table) -> ir.Table:
    counted = inv.is_valid | ((inv.status == "red") & (inv.total < 0))
    seller = inv.seller_tax_id.coalesce(inv.seller_name)
    party = ibis.ifelse(inv.seller_tax_id.notnull() & inv.counterparty_tax_id.notnull(),
                        inv.counterparty_tax_id, inv.counterparty_name)
    said = "seller " + seller + " is not the contract counterparty " + party
    totals = inv.group_by("loan_id").aggregate(
        invoiced_amount=money(inv.total.sum(where=counted).coalesce(zero())),
        invoices=inv.count(where=inv.is_valid), seller_mismatches=inv.count(where=inv.seller_mismatch),
        mismatch_text=said.min(where=inv.seller_mismatch))
    kind = ibis.ifelse(voids.status == "red", " reversed (red)", " void")
    gone = voids.group_by(v_loan_id="loan_id").aggregate(
        void_invoices=voids.count(),
        void_text=("invoice " + voids.invoice_no + kind + " and not reissued").min())
    t = totals.left_join(gone, totals.loan_id == gone.v_loan_id)
    return t.mutate(void_invoices=t.void_invoices.coalesce(0))


def _more(count: ir.IntegerValue, noun: str) -> ir.StringValue:
    return ibis.ifelse(count > 1, " (" + count.cast("string") + f" {noun})", "")


def _reasons(t: ir.Table, as_of: dt.date, rules: ReconciliationRules) -> ir.StringValue:
    after = rules.after_days
    missing = ibis.ifelse(
        t.days_without_invoice >= after,
        "no valid invoice " + t.days_without_invoice.cast("string") + " days after payment "
        + t.uncovered_since.cast("string"),
        "waiting for an invoice: payment " + t.uncovered_since.cast("string") + ", "
        + t.days_without_invoice.cast("string") + f" days ago (grace {after} days)")
    short = t.invoiced_amount < t.paid_due * _share(rules)
    parts = [
        ibis.ifelse(t.payments == 0, "no entrusted payment", None),
        ibis.ifelse(t.uncovered_since.notnull(), missing, None),
        ibis.ifelse(short, "valid invoices " + t.invoiced_amount.cast("string") + " below "
                    + t.paid_due.cast("string") + " paid", None),
        t.mismatch_text + _more(t.seller_mismatches, "invoices"),
        t.void_text + _more(t.void_invoices, "invoices"),
        ibis.ifelse(t.implausible, "contracts " + t.contract_volume.cast("string")
                    + f" in {rules.revenue_months} months above revenue "
                    + t.revenue_reference.cast("string") + f" / {rules.revenue_divisor}", None),
    ]
    return ibis.literal("; ").join(parts).nullif("")


def _status(t: ir.Table, rules: ReconciliationRules) -> ir.StringValue:
    covered = t.invoiced_amount >= t.paid_amount * _share(rules)
    clean = (t.seller_mismatches == 0) & (t.void_invoices == 0)
    return ibis.cases(((t.payments == 0) | (t.invoiced_amount <= 0), "unmatched"),
                      (covered & clean, "matched"), else_="partial")


def loan_reconciliation(loans: ir.Table, contracts: ir.Table, invoices: ir.Table,
                        transactions: ir.Table, as_of: dt.date, rules: ReconciliationRules,
                        *, customers: ir.Table | None = None,
                        financials: ir.Table | None = None) -> ir.Table:
    """One row per loan with a contract known at D: its contracts, entrusted payments, valid
    and void invoices, their coverage, ``status`` (matched | partial | unmatched) and
    ``reasons``; beside them the borrower's ``contract_volume`` and ``revenue_reference``
    (NULL without ``financials``). Without ``customers`` invoices count by contract_id only."""
    k = known_contracts(loans, contracts, as_of)
    inv = contract_invoices(k, invoices, as_of, customers)
    t = _contract_totals(k)
    it = _invoice_totals(inv, unreplaced_voids(inv, rules))
    t = t.left_join(it, t.loan_id == it.loan_id).drop("loan_id_right", "v_loan_id")
    cov = payment_coverage(entrusted_payments(transactions, as_of), it, as_of, rules)
    t = t.left_join(cov, t.loan_id == cov.loan_id).drop("loan_id_right")
    vol = contract_volumes(k, financials, as_of, rules.revenue_months)
    t = t.left_join(vol, t.customer_id == vol.customer_id).drop("customer_id_right")
    t = t.mutate(invoiced_amount=t.invoiced_amount.coalesce(zero()),
                 invoices=t.invoices.coalesce(0), void_invoices=t.void_invoices.coalesce(0),
                 seller_mismatches=t.seller_mismatches.coalesce(0),
                 paid_amount=t.paid_amount.coalesce(zero()), payments=t.payments.coalesce(0),
                 paid_due=t.paid_due.coalesce(zero()),
                 days_without_invoice=days_between(ibis.date(as_of), t.uncovered_since))
    t = t.mutate(invoice_shortfall=money(ibis.greatest(t.paid_amount - t.invoiced_amount, zero())),
                 implausible=(t.contract_volume * rules.revenue_divisor > t.revenue_reference)
                 .fill_null(False))
    t = t.mutate(status=_status(t, rules), reasons=_reasons(t, as_of, rules))
    return t.select(
        "loan_id", "customer_id", t.contracts.cast("int64"), "contract_ids", "contract_amount",
        "counterparties",
        "paid_amount", t.payments.cast("int64"), "first_paid_on", "last_paid_on", "invoiced_amount",
        t.invoices.cast("int64"), t.void_invoices.cast("int64"), t.seller_mismatches.cast("int64"),
        t.days_without_invoice.cast("int64"), "uncovered_since", "paid_due", "invoice_shortfall",
        "void_text", "mismatch_text", "contract_volume", t.volume_contracts.cast("int64"),
        "revenue_reference", "status", "reasons")
