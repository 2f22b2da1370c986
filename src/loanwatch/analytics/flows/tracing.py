"""Following each loan's proceeds hop by hop (资金流向追踪).

A *parcel* is traced money sitting on one account: the disbursement is the first; every move
that takes traced money out makes a new parcel on the payee's account, one hop further.
Apportioning rule, *proceeds first*: the moves out of an account after a parcel arrived, in
time order, take the parcel until it is used up — the first move takes
min(its amount, the parcel), the next min(its amount, what is left), and so on. Money the
account held before, or received later from elsewhere, is assumed to leave after the
proceeds: the rule a post-loan officer applies by hand, and the one that never misses
proceeds spent quickly. Only moves before the parcel's deadline (the disbursement plus the
policy's window) count, and a trace stops after ``max_hops`` accounts between the borrower
and where the money ends (borrower → A → borrower is one hop, two moves).

Tables in, tables out: the caller runs one hop at a time (``next_hop``) and may materialise
each hop's parcels, as the batch does."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, money

PARCEL = ibis.schema({
    "loan_id": "string", "customer_id": "string", "product": "string", "principal": "decimal(18,2)",
    "parcel_id": "string", "hop": "int32", "node": "string", "arrived_at": "timestamp",
    "deadline": "timestamp", "amount": "decimal(18,2)", "path": "string", "route": "string",
    "back": "boolean"})


def disbursed_parcels(loans: ir.Table, transactions: ir.Table, since: dt.date, as_of: dt.date,
                      window_days: int) -> ir.Table:
    """Hop 0: the disbursement (an ``in`` row carrying the loan's id) of each loan disbursed
    after ``since`` and by ``as_of``, as a parcel on the borrower's account."""
    end = ibis.timestamp(as_of + dt.timedelta(days=1))
    l_ = loans.filter(in_force(loans, as_of), loans.disbursed_on > since,
                      loans.disbursed_on <= as_of)
    t = transactions.filter(in_force(transactions, as_of), transactions.direction == "in",
                            transactions.loan_id.notnull(), transactions.occurred_at < end)
    j = t.join(l_.select("loan_id", "customer_id", "product", "principal"), "loan_id")
    return j.select(
        loan_id=j.loan_id, customer_id=j.customer_id, product=j.product,
        principal=j.principal, parcel_id=j.txn_id, hop=ibis.literal(0, "int32"),
        node=j.account_id, arrived_at=j.occurred_at,
        deadline=j.occurred_at + ibis.interval(days=window_days), amount=j.amount,
        path=ibis.literal(""), route=j.account_id, back=ibis.literal(False))


def regular_payees(parcels: ir.Table, transactions: ir.Table, as_of: dt.date,
                   days: int) -> ir.Table:
    """``loan_id, payee``: whom the borrower's account paid in the ``days`` before each
    disbursement (``parcels`` of hop 0) — its established trading partners."""
    p = parcels.select(p_loan="loan_id", p_node="node", p_at="arrived_at").view()
    t = transactions.filter(in_force(transactions, as_of), transactions.direction == "out")
    j = t.join(p, [t.account_id == p.p_node, t.occurred_at < p.p_at,
                   t.occurred_at >= p.p_at - ibis.interval(days=days)])
    return j.select(loan_id=j.p_loan, payee=j.counterparty_account.coalesce(
        j.counterparty_name)).filter(ibis._.payee.notnull()).distinct()


def related_parties(relations: ir.Table, guarantees: ir.Table, loans: ir.Table,
                    as_of: dt.date) -> ir.Table:
    """``customer_id, party``: each borrower's related parties (both directions of
    ``relations``) and the guarantors of its loans — where proceeds must not come back to."""
    r = relations.filter(in_force(relations, as_of))
    g = guarantees.filter(in_force(guarantees, as_of))
    l_ = loans.filter(in_force(loans, as_of)).select(l_loan="loan_id", l_customer="customer_id")
    g = g.join(l_, g.loan_id == l_.l_loan)
    return ibis.union(
        r.select(customer_id=r.customer_id, party=r.related_customer_id),
        r.select(customer_id=r.related_customer_id, party=r.customer_id),
        g.select(customer_id=g.l_customer, party=g.guarantor_customer_id),
    ).distinct()


def _hop_json(j: ir.Table, hop: int) -> ir.StringValue:
    """One hop of a path as a JSON object, for the console to draw and a manager to check."""
    def text(v: ir.Value) -> ir.StringValue:
        return v.cast("string").coalesce("").re_replace(r'["\\]', "")
    return ("{\"hop\":" + ibis.literal(str(hop)) + ",\"from\":\"" + text(j.src)
            + "\",\"to\":\"" + text(j.dst) + "\",\"name\":\"" + text(j.dst_name)
            + "\",\"at\":\"" + text(j.at) + "\",\"amount\":\"" + j.traced.cast("string")
            + "\",\"txn\":\"" + text(j.txn_id) + "\"}")


def next_hop(parcels: ir.Table, moves: ir.Table, related: ir.Table, hop: int) -> ir.Table:
    """The moves that take traced money out of ``parcels`` (hop ``hop - 1``), with the amount
    each takes (``traced``, proceeds first) and the path so far; ``back`` marks a move whose
    payee is the borrower's related party or guarantor, or the borrower itself after the
    money left it, on a path that had not come back before."""
    p = parcels.view()  # (parcels and moves may share a table: keep them apart)
    m = moves.select(txn_id="txn_id", src="src", dst="dst", at="at", move_amount="amount",
                     dst_customer="dst_customer", dst_type="dst_type", dst_name="dst_name",
                     dst_own="dst_own", memo="memo", channel="channel", move_loan="loan_id")
    j = p.join(m, [p.node == m.src, m.at >= p.arrived_at, m.at <= p.deadline])
    w = ibis.window(group_by=j.parcel_id, order_by=[j.at, j.txn_id], rows=(None, 0))
    before = money(j.move_amount.sum().over(w) - j.move_amount)
    left = money(ibis.greatest(j.amount - before, 0))
    j = j.mutate(traced=money(ibis.least(j.move_amount, left)))
    j = j.filter(j.traced > 0)
    r = related.select(r_customer="customer_id", r_party="party")
    j = j.left_join(r, [j.customer_id == r.r_customer, j.dst_customer == r.r_party])
    home = (j.dst_customer == j.customer_id).fill_null(False) & ibis.literal(hop >= 2)
    back = ~j.back & (j.r_party.notnull() | home)
    path = ibis.ifelse(j.path == "", "", j.path + ",") + _hop_json(j, hop)
    return j.select(
        "loan_id", "customer_id", "product", "principal", parcel_id=j.parcel_id + ">" + j.txn_id,
        parent_id=j.parcel_id, hop=ibis.literal(hop, "int32"), txn_id=j.txn_id, src=j.src,
        dst=j.dst, at=j.at, traced=j.traced, move_amount=j.move_amount,
        dst_customer=j.dst_customer, dst_type=j.dst_type, dst_name=j.dst_name,
        dst_own=j.dst_own, memo=j.memo, channel=j.channel, move_loan=j.move_loan,
        deadline=j.deadline, path=path, route=j.route + " → " + j.dst.coalesce("?"), back=back,
        was_back=j.back)


def parcels_of(hops: ir.Table) -> ir.Table:
    """The traced money now on each payee's account, to follow one hop further."""
    h = hops.filter(hops.dst.notnull())
    return h.select(loan_id=h.loan_id, customer_id=h.customer_id, product=h.product,
                    principal=h.principal, parcel_id=h.parcel_id, hop=h.hop, node=h.dst,
                    arrived_at=h.at, deadline=h.deadline, amount=h.traced, path=h.path,
                    route=h.route, back=h.back | h.was_back)
