"""A tiny loan book for analytics tests: factories that build the stored tables (with the
columns the importer derives) and run the snapshot on an in-memory DuckDB."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa

from loanwatch.analytics.loan_snapshot import Bucket, SnapshotRules, loan_snapshots

D = dt.date.fromisoformat
BUCKETS = (Bucket("M0", 0, 0), Bucket("M1", 1, 30), Bucket("M2", 31, 60), Bucket("M3", 61, 90),
           Bucket("M4", 91, 120), Bucket("M5", 121, 150), Bucket("M6", 151, 180),
           Bucket("M7+", 181, None))
RULES = SnapshotRules(BUCKETS)
MONEY = pa.decimal128(18, 2)


def money(x) -> Decimal:
    return Decimal(str(x)).quantize(Decimal("0.01"))


@dataclass
class Installment:
    seq: int
    due_on: dt.date
    principal: Decimal
    interest: Decimal
    fee: Decimal = Decimal("0")
    valid_from: dt.date | None = None
    valid_to: dt.date | None = None


@dataclass
class Loan:
    loan_id: str
    disbursed_on: dt.date
    principal: Decimal
    annual_rate: Decimal = Decimal("0.12")
    written_off_on: dt.date | None = None
    schedule: list[Installment] = field(default_factory=list)
    payments: list[tuple[dt.date, Decimal]] = field(default_factory=list)
    # a repayment a later import amended: (paid_on, amount before, amount after, amended on)
    amended: list[tuple[dt.date, Decimal, Decimal, dt.date]] = field(default_factory=list)
    valid_from: dt.date | None = None  # this version of the loan row
    valid_to: dt.date | None = None

    def pay(self, on: str, amount) -> Loan:
        self.payments.append((D(on), money(amount)))
        return self

    def amend(self, on: str, amount, corrected, from_: str) -> Loan:
        """A repayment of ``amount`` on ``on``, read as ``corrected`` from ``from_`` on."""
        self.amended.append((D(on), money(amount), money(corrected), D(from_)))
        return self


def monthly(loan_id: str, disbursed: str, dues: list[tuple[str, object, object]], fee=0,
            **kw) -> Loan:
    """A loan with installments (due_on, principal, interest) and the same fee on each."""
    sched = [Installment(n, D(d), money(p), money(i), money(fee))
             for n, (d, p, i) in enumerate(dues, start=1)]
    total = sum((s.principal for s in sched), Decimal(0))
    return Loan(loan_id, D(disbursed), total, schedule=sched, **kw)


def tables(loans: list[Loan]) -> dict[str, pa.Table]:
    l_rows, i_rows, r_rows = [], [], []
    for loan in loans:
        l_rows.append(dict(loan_id=loan.loan_id, customer_id="C-" + loan.loan_id, product="consumer",
                           branch_id="B1", manager_id="M1", principal=loan.principal,
                           disbursed_on=loan.disbursed_on,
                           maturity_on=max((s.due_on for s in loan.schedule), default=loan.disbursed_on),
                           annual_rate=loan.annual_rate, written_off_on=loan.written_off_on,
                           _valid_from=loan.valid_from, _valid_to=loan.valid_to))
        for version in _versions(loan.schedule):
            before, fee_before, interest_before, prev_due = Decimal(0), Decimal(0), Decimal(0), None
            ordered = sorted(version, key=lambda s: s.seq)
            for s in ordered:
                i_rows.append(dict(loan_id=loan.loan_id, seq=s.seq, due_on=s.due_on,
                                   principal_due=s.principal, interest_due=s.interest, fee_due=s.fee,
                                   cum_due_before=before, cum_fee_before=fee_before,
                                   cum_interest_before=interest_before, prev_due_on=prev_due,
                                   is_last=s is ordered[-1],
                                   _valid_from=s.valid_from, _valid_to=s.valid_to))
                before += s.principal + s.interest + s.fee
                fee_before += s.fee
                interest_before += s.interest
                if s.principal + s.interest + s.fee > 0:  # as the importer: the latest so far
                    prev_due = s.due_on if prev_due is None else max(prev_due, s.due_on)
        for n, (on, amount) in enumerate(loan.payments):
            r_rows.append(dict(repayment_id=f"{loan.loan_id}-R{n}", loan_id=loan.loan_id, paid_on=on,
                               amount=amount, _valid_from=None, _valid_to=None))
        for n, (on, before, after, switch) in enumerate(loan.amended):
            for amount, valid_from, valid_to in ((before, None, switch), (after, switch, None)):
                r_rows.append(dict(repayment_id=f"{loan.loan_id}-A{n}", loan_id=loan.loan_id,
                                   paid_on=on, amount=amount, _valid_from=valid_from,
                                   _valid_to=valid_to))
    return {
        "loans": pa.Table.from_pylist(l_rows, schema=_schema(
            loan_id=pa.string(), customer_id=pa.string(), product=pa.string(), branch_id=pa.string(),
            manager_id=pa.string(), principal=MONEY, disbursed_on=pa.date32(), maturity_on=pa.date32(),
            annual_rate=pa.decimal128(12, 8), written_off_on=pa.date32())),
        "installments": pa.Table.from_pylist(i_rows, schema=_schema(
            loan_id=pa.string(), seq=pa.int32(), due_on=pa.date32(), principal_due=MONEY,
            interest_due=MONEY, fee_due=MONEY, cum_due_before=MONEY, cum_fee_before=MONEY,
            cum_interest_before=MONEY, prev_due_on=pa.date32(), is_last=pa.bool_())),
        "repayments": pa.Table.from_pylist(r_rows, schema=_schema(
            repayment_id=pa.string(), loan_id=pa.string(), paid_on=pa.date32(), amount=MONEY)),
    }


def _versions(schedule: list[Installment]) -> list[list[Installment]]:
    """Rows grouped by validity: each version gets its own cumulative amounts."""
    out: dict[tuple, list[Installment]] = {}
    for s in schedule:
        out.setdefault((s.valid_from, s.valid_to), []).append(s)
    return list(out.values())


def _schema(**cols) -> pa.Schema:
    return pa.schema([*cols.items(), ("_valid_from", pa.date32()), ("_valid_to", pa.date32())])


def load(con: duckdb.DuckDBPyConnection, loans: list[Loan]) -> None:
    for name, table in tables(loans).items():
        con.register(f"_{name}", table)
        con.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM _{name}")
        con.unregister(f"_{name}")


def snapshot(loans: list[Loan], *dates: str, rules: SnapshotRules = RULES) -> dict[tuple[str, dt.date], dict]:
    """Rows of the snapshot by (loan_id, as_of)."""
    con = duckdb.connect()
    load(con, loans)
    backend = ibis.duckdb.from_connection(con)
    expr = loan_snapshots(backend.table("loans"), backend.table("installments"),
                          backend.table("repayments"), [D(d) for d in dates], rules)
    rows = backend.to_pyarrow(expr).to_pylist()
    con.close()
    return {(r["loan_id"], r["as_of"]): r for r in rows}


def one(loan: Loan, on: str, **kw) -> dict:
    return snapshot([loan], on, **kw)[(loan.loan_id, D(on))]
