"""What the traced proceeds reached, per loan (资金流向发现): back to the borrower's circle,
prohibited uses, cash, unidentified holders, one counterparty, or an entrusted payment that
is not the contract's.

Each traced move gets one category, the first that applies: ``prohibited`` (a kind of
``FlowRules.prohibited`` by payee name or memo, unless the loan's product is allowed that
kind — a mortgage buys a home, and its payment to a developer is ``purpose``), ``cash_out``,
``refund`` (straight back from the payee of the first hop with a refund memo, while refunds
stay within ``refund_max_share`` of the loan; above it they count as backflow), ``backflow``,
``payroll``, ``untraced`` (the payee's holder is unknown) or ``use``. A finding sums its
moves per loan (capped at the principal), counts its ``hops`` as the accounts the money
passed between the borrower and the payee, and keeps the path of its largest move."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money

FINDINGS = ("backflow", "prohibited", "cash_out", "untraced", "concentrated",
            "contract_mismatch", "individual_payee")
FINDING = ibis.schema({
    "loan_id": "string", "customer_id": "string", "finding": "string", "detail": "string",
    "amount": "decimal(18,2)", "share": "decimal(9,4)", "principal": "decimal(18,2)",
    "hops": "int32", "disbursed_on": "date", "first_at": "timestamp", "last_at": "timestamp",
    "counterparty": "string", "route": "string", "path": "string"})


@dataclass(frozen=True)
class Words:
    names: tuple[str, ...] = ()
    memos: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlowRules:
    """The policy's ``fund_flows`` section, as the analytics read it."""

    window_days: int = 30
    max_hops: int = 3
    prohibited: Mapping[str, Words] = field(default_factory=dict)
    allowed: Mapping[str, Sequence[str]] = field(default_factory=dict)  # product -> kinds
    cash: Words = Words()
    payroll: Words = Words()
    refund_memos: tuple[str, ...] = ()
    refund_max_share: Decimal = Decimal("0.30")
    # a payee the borrower paid in these days before the loan is a trading partner: paying
    # it is no concentration
    regular_days: int = 90
    # the least share worth keeping as a finding (the FLOW-* signals' thresholds: a lower
    # share never fires, and one row per loan would be kept for nothing)
    min_share: Mapping[str, Decimal] = field(default_factory=dict)


def _contains(col: ir.StringValue, words: Sequence[str]) -> ir.BooleanValue:
    low = col.lower().fill_null("")
    return ibis.or_(ibis.literal(False), *(low.contains(w.lower()) for w in words))


def _matches(t: ir.Table, w: Words) -> ir.BooleanValue:
    return (_contains(t.dst_name, w.names) | _contains(t.memo, w.memos)
            | t.channel.lower().isin([c.lower() for c in w.channels]).fill_null(False))


def _kind(t: ir.Table, rules: FlowRules) -> ir.StringValue:
    """The first prohibited kind the move matches, or NULL."""
    cases = [(_matches(t, w), kind) for kind, w in rules.prohibited.items()]
    return ibis.cases(*cases, else_=ibis.null("string")) if cases else ibis.null("string")


def categorised(hops: ir.Table, rules: FlowRules) -> ir.Table:
    """``hops`` with ``category`` and ``detail`` (the prohibited kind) of each move."""
    t = hops.mutate(kind=_kind(hops, rules))
    allowed = ibis.or_(ibis.literal(False), *(
        (t["product"] == product) & t.kind.isin(list(kinds))
        for product, kinds in rules.allowed.items()))
    refund = ((t.hop == 2) & (t.dst_customer == t.customer_id).fill_null(False)
              & _contains(t.memo, rules.refund_memos))
    unknown = (t.dst_type == "unknown") | (t.dst.isnull() & t.dst_name.isnull())
    category = ibis.cases(
        (t.kind.notnull() & allowed, "purpose"),
        (t.kind.notnull(), "prohibited"),
        (_matches(t, rules.cash), "cash_out"),
        (t.back & refund, "refund"),
        (t.back, "backflow"),
        (_matches(t, rules.payroll), "payroll"),
        (unknown, "untraced"),
        else_="use")
    t = t.mutate(category=category)
    refunds = t.traced.sum(where=t.category == "refund").over(group_by=t.loan_id)
    cap = money(t.principal * ibis.literal(rules.refund_max_share, "decimal(18,2)"))
    over = (t.category == "refund") & (money(refunds).coalesce(0) > cap)
    return t.mutate(category=ibis.ifelse(over, "backflow", t.category),
                    detail=ibis.ifelse(t.category == "prohibited", t.kind, ibis.null("string")))


def _share(amount: ir.DecimalValue, principal: ir.DecimalValue) -> ir.DecimalValue:
    return (amount.cast("decimal(38,6)") / principal.cast("decimal(38,6)")).round(4).cast(
        "decimal(9,4)")


def _summed(t: ir.Table, finding: str, by: Sequence[str] = ()) -> ir.Table:
    g = t.group_by("loan_id", "customer_id", "principal", *by).aggregate(
        total=t.traced.sum(), hops=t.hop.max(), first_at=t.at.min(), last_at=t.at.max(),
        counterparty=t.dst_name.argmax(t.traced), detail=t.detail.argmax(t.traced),
        route=t.route.argmax(t.traced), path=t.path.argmax(t.traced))
    amount = money(ibis.least(g.total, g.principal))
    return g.select(*by, loan_id=g.loan_id, customer_id=g.customer_id,
                    finding=ibis.literal(finding), detail=g.detail, amount=amount,
                    share=_share(amount, g.principal), principal=g.principal,
                    hops=(g.hops - 1).cast("int32"), first_at=g.first_at, last_at=g.last_at,
                    counterparty=g.counterparty, route=g.route, path="[" + g.path + "]")


def _concentrated(c: ir.Table, named: ir.Table, regular: ir.Table) -> ir.Table:
    """The one counterparty that took most of the proceeds leaving the borrower, unless a
    contract of the loan names it or the borrower paid it before the loan (``regular``).
    A single payment larger than the loan is the borrower's trade paid mostly with its own
    money, whatever share of it the proceeds-first rule gives the loan: it does not count."""
    t = c.filter(c.hop == 1, ~c.category.isin(["payroll", "cash_out", "purpose"]),
                 c.dst_name.notnull() | c.dst.notnull(), c.move_amount <= c.principal)
    t = t.anti_join(named, [t.loan_id == named.n_loan, t.dst_name == named.n_name])
    t = t.mutate(payee=t.dst.coalesce(t.dst_name), detail=ibis.null("string"))
    r = regular.select(r_loan="loan_id", r_payee="payee")
    t = t.anti_join(r, [t.loan_id == r.r_loan, t.payee == r.r_payee])
    per = _summed(t, "concentrated", by=("payee",))
    w = ibis.window(group_by=per.loan_id, order_by=[ibis.desc(per.amount), per.payee])
    return per.filter(ibis.row_number().over(w) == 0).drop("payee")


def _entrusted(c: ir.Table, contracts: ir.Table) -> ir.Table:
    """Entrusted payments (受托支付: the first hop carrying the loan's id) of loans with
    contracts, against the contracts' counterparties: paid to someone not named
    (``contract_mismatch``), or to an individual when a contract is with an enterprise —
    a unified social credit code not of a sole proprietor (个体工商户, ``92``)
    (``individual_payee``)."""
    k = contracts.group_by(k_loan=contracts.loan_id).aggregate(
        k_names=contracts.counterparty_name.collect(),
        k_enterprise=(contracts.counterparty_tax_id.notnull()
                      & ~contracts.counterparty_tax_id.startswith("92")).any(),
        k_listed=contracts.counterparty_name.group_concat(" / "))
    t = c.filter(c.hop == 1, c.move_loan == c.loan_id)
    t = t.join(k, t.loan_id == k.k_loan)
    named = t.k_names.contains(t.dst_name.coalesce(""))
    t = t.mutate(detail="contract: " + t.k_listed)
    mismatch = _summed(t.filter(~named), "contract_mismatch")
    person = _summed(t.filter(t.dst_type == "individual", t.k_enterprise), "individual_payee")
    return mismatch.union(person)


def flow_findings(hops: ir.Table, regular: ir.Table, loans: ir.Table, contracts: ir.Table,
                  rules: FlowRules) -> ir.Table:
    """Per loan and finding (``FINDINGS``): the traced amount, its share of the principal,
    the hops, dates, main counterparty and the route and path (JSON list of hops) of its
    largest move; a share below ``rules.min_share`` of its finding is not kept. ``hops``:
    the moves of every hop (``tracing.next_hop``); ``regular``: the borrowers' payees before
    each loan (``tracing.regular_payees``); ``loans`` and ``contracts`` as known at the date."""
    c = categorised(hops, rules)
    flows = [_summed(c.filter(c.category == f), f) for f in
             ("backflow", "prohibited", "cash_out", "untraced")]
    named = contracts.select(n_loan="loan_id", n_name="counterparty_name")
    out = ibis.union(*flows, _concentrated(c, named, regular), _entrusted(c, contracts))
    floor = ibis.cases(*((out.finding == f, ibis.literal(v, "decimal(9,4)"))
                         for f, v in rules.min_share.items()), else_=ibis.literal(0, "decimal(9,4)")) \
        if rules.min_share else ibis.literal(0, "decimal(9,4)")
    out = out.filter(out.amount > 0, out.share >= floor)
    d = loans.select(d_loan="loan_id", disbursed_on="disbursed_on").distinct()
    out = out.left_join(d, out.loan_id == d.d_loan)
    return out.select(*(out[n].cast(t).name(n) for n, t in FINDING.items()))
