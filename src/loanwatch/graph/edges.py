"""The graph's inputs, prepared by the analytics engine (Ibis, tables in, table out): the
customer-to-customer edges of D and what each customer owes and guarantees at D.

An edge is ``src, dst, kind, share, source``:

* ``source = 'relations'``: every relation in force at D, as recorded (``customer_id`` →
  ``related_customer_id``; ``share`` for ownership);
* ``source = 'guarantees'``: guarantor → borrower of a loan on the book at D, ``kind`` the
  guarantee's (``guarantee``, ``mortgage``, ``pledge``: a third party pledging its assets
  stands behind the loan as a guarantor does). A borrower pledging its own assets is no
  edge;
* ``source = 'customers'``: customers sharing a phone (``same_phone``) or an identity number
  (``same_party``: one person or company recorded twice, not a relation between two, joined
  so that its exposure counts in one group). Matched on the keyed hashes only, never on clear
  values; each customer is linked to the smallest customer id sharing the hash (a star, not
  every pair: a number shared by a thousand customers makes 999 edges, not half a million).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import MONEY, day, in_force, money

__all__ = ["EDGE", "POSITION", "customer_positions", "loans_on_book", "relationship_edges"]

EDGE = ibis.schema({"src": "string", "dst": "string", "kind": "string",
                    "share": "decimal(12,8)", "source": "string"})
POSITION = ibis.schema({"customer_id": "string", "borrower": "boolean", "exposure": MONEY,
                        "worst_class": "string", "guarantees_given": "int64",
                        "guaranteed_exposure": MONEY})
# shared hashed identifiers and the edge kind they make
SHARED_IDENTIFIERS = {"phone_hash": "same_phone", "id_number_hash": "same_party"}
CLASSES = ("normal", "special_mention", "substandard", "doubtful", "loss")


def _current(t: ir.Table, d: ir.DateValue) -> ir.Table:
    return t.filter(in_force(t, d)) if "_valid_from" in t.columns else t


def loans_on_book(loans: ir.Table, as_of: dt.date) -> ir.Table:
    """``loan_id, customer_id`` of the loans on the book at D. ``loans`` is the loan snapshot
    of D (its ``active`` rows count) or the stored loans table (versions in force, disbursed
    by D and not written off by then)."""
    d = day(as_of)
    t = _current(loans, d)
    if "status" in t.columns:
        t = t.filter(t.status == "active")
    if "disbursed_on" in t.columns:
        t = t.filter(t.disbursed_on <= d)
    if "written_off_on" in t.columns:
        t = t.filter(t.written_off_on.isnull() | (t.written_off_on > d))
    return t.select("loan_id", "customer_id")


def _edges(t: ir.Table, src: ir.Value, dst: ir.Value, kind: ir.Value, share: ir.Value,
           source: str) -> ir.Table:
    return t.select(src=src.cast("string"), dst=dst.cast("string"), kind=kind.cast("string"),
                    share=share.cast("decimal(12,8)"), source=ibis.literal(source))


def guarantee_links(guarantees: ir.Table, loans: ir.Table, as_of: dt.date) -> ir.Table:
    """``guarantee_id, loan_id, guarantor, borrower, kind`` of the guarantees in force at D on
    loans on the book, a borrower's own pledges left out."""
    g = _current(guarantees, day(as_of))
    ln = loans_on_book(loans, as_of).rename(borrower="customer_id")
    g = g.join(ln, "loan_id")
    g = g.filter(g.guarantor_customer_id != g.borrower)
    return g.select("guarantee_id", "loan_id", guarantor=g.guarantor_customer_id,
                    borrower=g.borrower, kind=g.kind)


def _shared(customers: ir.Table, column: str, kind: str) -> ir.Table:
    c = customers.filter(customers[column].notnull() & (customers[column] != ""))
    c = c.select("customer_id", key=c[column])
    w = ibis.window(group_by=c.key)
    c = c.mutate(first=c.customer_id.min().over(w))
    c = c.filter(c.customer_id != c.first)
    return _edges(c, c.customer_id, c.first, ibis.literal(kind), ibis.null(), "customers")


def relationship_edges(customers: ir.Table, relations: ir.Table, guarantees: ir.Table,
                       loans: ir.Table, as_of: dt.date) -> ir.Table:
    """Customer-to-customer edges at D (module docstring): ``src, dst, kind, share, source``,
    one per distinct (src, dst, kind, source)."""
    d = day(as_of)
    r = _current(relations, d)
    r = r.filter(r.customer_id != r.related_customer_id)
    parts = [_edges(r, r.customer_id, r.related_customer_id, r.kind, r.share, "relations")]
    g = guarantee_links(guarantees, loans, as_of)
    g = g.select("guarantor", "borrower", "kind").distinct()
    parts.append(_edges(g, g.guarantor, g.borrower, g.kind, ibis.null(), "guarantees"))
    c = _current(customers, d)
    parts += [_shared(c, col, kind) for col, kind in SHARED_IDENTIFIERS.items() if col in c.columns]
    return ibis.union(*parts, distinct=True)


def _class_rank(name: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*((name == c, i) for i, c in enumerate(CLASSES)), else_=ibis.null("int8"))


def _class_name(rank: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(*((rank == i, c) for i, c in enumerate(CLASSES)), else_=ibis.null("string"))


def customer_positions(snapshot: ir.Table, classification: ir.Table, guarantees: ir.Table,
                       as_of: dt.date) -> ir.Table:
    """Per customer with a loan on the book or guaranteeing one (``POSITION``): ``borrower``,
    its ``exposure`` (outstanding principal of its loans on the book), the ``worst_class`` of
    its loans (classification of D), how many loans on the book it guarantees
    (``guarantees_given``) and their outstanding principal (``guaranteed_exposure``)."""
    s = snapshot.filter(snapshot.status == "active")
    own = s.group_by("customer_id").aggregate(exposure=money(s.outstanding_principal.sum()))
    k = classification.select("customer_id", rank=_class_rank(classification.five_class))
    worst = k.group_by(w_customer_id=k.customer_id).aggregate(worst=k["rank"].max())
    g = guarantee_links(guarantees, snapshot, as_of).select("loan_id", "guarantor").distinct()
    g = g.join(s.select("loan_id", "outstanding_principal"), "loan_id")
    given = g.group_by(g_customer_id=g.guarantor).aggregate(
        guarantees_given=g.count(), guaranteed_exposure=money(g.outstanding_principal.sum()))
    own = own.left_join(worst, own.customer_id == worst.w_customer_id)
    own = own.select("customer_id", "exposure", worst_class=_class_name(own.worst))
    t = own.outer_join(given, own.customer_id == given.g_customer_id)
    return t.select(customer_id=t.customer_id.coalesce(t.g_customer_id),
                    borrower=t.customer_id.notnull(), exposure=t.exposure.coalesce(0).cast(MONEY),
                    worst_class=t.worst_class,
                    guarantees_given=t.guarantees_given.coalesce(0).cast("int64"),
                    guaranteed_exposure=t.guaranteed_exposure.coalesce(0).cast(MONEY))
