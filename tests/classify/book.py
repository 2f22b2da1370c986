"""A tiny book for classification tests: the analytics book (tests/analytics/book.py) plus
debtors, bureau reports, registry events, the previous run, overrides and technical marks;
``classify`` runs the snapshot and the classification of one date on an in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa

from loanwatch.analytics.loan_snapshot import loan_snapshots
from loanwatch.classify.classification import ClassInputs, class_rules, loan_classification
from loanwatch.policy import Policy, load_default_policy
from tests.analytics.book import RULES, D, Loan, money, tables

MONEY = pa.decimal128(18, 2)
NO_DATES = (("_valid_from", pa.date32()), ("_valid_to", pa.date32()))


@dataclass
class Book:
    loans: list[Loan]
    enterprises: set[str] = field(default_factory=set)  # customer ids; others are individuals
    restructured: dict[str, str] = field(default_factory=dict)  # loan_id -> restructured_on
    # customer_id -> (reported_on, loans_balance, overdue_90_amount)
    bureau: dict[str, tuple[str, object, object]] = field(default_factory=dict)
    events: list[tuple[str, str, str]] = field(default_factory=list)  # (customer, on, kind)
    # loan_id -> (as_of, five_class, npl_since, class_before_restructuring)
    previous: dict[str, tuple] = field(default_factory=dict)
    # (loan_id, five_class, status, effective_from, reviewed_on)
    overrides: list[tuple] = field(default_factory=list)
    marks: list[tuple[str, str]] = field(default_factory=list)  # (loan_id, marked_on)
    customer_of: dict[str, str] = field(default_factory=dict)  # loan_id -> customer id


def _table(rows: list[dict], **cols) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=pa.schema(list(cols.items())))


def _inputs(book: Book) -> dict[str, pa.Table]:
    t = tables(book.loans)
    loans = t["loans"].to_pylist()
    for row in loans:
        row["customer_id"] = book.customer_of.get(row["loan_id"], row["customer_id"])
        on = book.restructured.get(row["loan_id"])
        row["restructured_on"] = D(on) if on else None
    schema = t["loans"].schema.append(pa.field("restructured_on", pa.date32()))
    t["loans"] = pa.Table.from_pylist(loans, schema=schema)
    customers = sorted({r["customer_id"] for r in loans})
    t["customers"] = _table(
        [dict(customer_id=c, customer_type="enterprise" if c in book.enterprises else "individual",
              region="110000", industry="C", _valid_from=None, _valid_to=None) for c in customers],
        customer_id=pa.string(), customer_type=pa.string(), region=pa.string(),
        industry=pa.string(), **dict(NO_DATES))
    t["bureau_reports"] = _table(
        [dict(customer_id=c, reported_on=D(on), loans_balance=money(bal),
              overdue_90_amount=None if o90 is None else money(o90), _valid_from=None,
              _valid_to=None) for c, (on, bal, o90) in book.bureau.items()],
        customer_id=pa.string(), reported_on=pa.date32(), loans_balance=MONEY,
        overdue_90_amount=MONEY, **dict(NO_DATES))
    t["registry_events"] = _table(
        [dict(customer_id=c, occurred_on=D(on), kind=k, _valid_from=None, _valid_to=None)
         for c, on, k in book.events],
        customer_id=pa.string(), occurred_on=pa.date32(), kind=pa.string(), **dict(NO_DATES))
    t["previous"] = _table(
        [dict(loan_id=lid, as_of=D(on), five_class=c, npl_since=D(n) if n else None,
              class_before_restructuring=b) for lid, (on, c, n, b) in book.previous.items()],
        loan_id=pa.string(), as_of=pa.date32(), five_class=pa.string(), npl_since=pa.date32(),
        class_before_restructuring=pa.string())
    t["overrides"] = _table(
        [dict(override_id=n, loan_id=lid, five_class=c, grade=None, status=s,
              effective_from=D(f), proposed_by="maker", reviewed_at=(
                  dt.datetime.combine(D(r), dt.time(10)) if r else None))
         for n, (lid, c, s, f, r) in enumerate(book.overrides, start=1)],
        override_id=pa.int64(), loan_id=pa.string(), five_class=pa.string(), grade=pa.string(),
        status=pa.string(), effective_from=pa.date32(), proposed_by=pa.string(),
        reviewed_at=pa.timestamp("us"))
    t["marks"] = _table(
        [dict(loan_id=lid, marked_on=D(on), withdrawn_at=None) for lid, on in book.marks],
        loan_id=pa.string(), marked_on=pa.date32(), withdrawn_at=pa.timestamp("us"))
    t["ratings"] = _table([dict(customer_id=c, grade=5) for c in customers],
                          customer_id=pa.string(), grade=pa.int32())
    return t


def classify(book: Book, on: str, policy: Policy | None = None) -> dict[str, dict]:
    """The classification rows at ``on`` by loan id."""
    con = duckdb.connect()
    for name, table in _inputs(book).items():
        con.register(f"_{name}", table)
        con.execute(f"CREATE TABLE {name} AS SELECT * FROM _{name}")
    b = ibis.duckdb.from_connection(con)
    snap = loan_snapshots(b.table("loans"), b.table("installments"), b.table("repayments"),
                          [D(on)], RULES)
    x = ClassInputs(snap, *(b.table(n) for n in (
        "loans", "installments", "repayments", "customers", "bureau_reports", "registry_events",
        "previous", "overrides", "marks", "ratings")))
    rules = class_rules(policy or load_default_policy())
    rows = b.to_pyarrow(loan_classification(x, D(on), rules)).to_pylist()
    con.close()
    return {r["loan_id"]: r for r in rows}


def amount(x) -> Decimal:
    return money(x)
