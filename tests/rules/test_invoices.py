"""Group C, contracts and invoices (INV-*, CONTRACT-IMPLAUSIBLE): hand-drawn loans reconciled
(analytics/reconciliation.py) into the mart the signals read."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.batch.reconciliation_marts import reconciliation_rules
from loanwatch.policy import load_default_policy
from loanwatch.rules.invoices import (
    SIGNALS,
    contract_implausible,
    invoice_mismatch,
    invoice_missing,
    invoice_void,
)
from loanwatch.rules.signal import FIRING, Facts
from tests.analytics.test_reconciliation import AS_OF, Book, contract, invoice, payment, reconciled

POLICY = load_default_policy()
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string())])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
CALCULATIONS = {"INV-MISSING": invoice_missing, "INV-MISMATCH": invoice_mismatch,
                "INV-VOID": invoice_void, "CONTRACT-IMPLAUSIBLE": contract_implausible}


def with_params(signal_id: str, **params):
    entry = POLICY.signals[signal_id]
    return entry.model_copy(update={"params": entry.params.model_copy(update=params)})


def facts(book: Book, *, status: str = "active", as_of: dt.date = AS_OF, policy=POLICY) -> Facts:
    mart = ibis.memtable(reconciled(book, as_of, rules=reconciliation_rules(policy)))
    snapshot = ibis.memtable(pa.Table.from_pylist(
        [{"loan_id": "L1", "customer_id": "K", "status": status}], SNAPSHOT))
    return Facts(as_of=as_of, snapshot=snapshot, classification=KEYS, class_events=KEYS, ratings=KEYS,
                 previous_ratings=KEYS, loans=KEYS, customers=KEYS, bureau_reports=KEYS,
                 registry_events=KEYS, reconciliation=mart)


def fired(f: Facts, signal_id: str, entry=None) -> dict[str | None, tuple[str, str]]:
    expr = CALCULATIONS[signal_id](f, entry or POLICY.signals[signal_id])
    assert expr.schema() == FIRING
    rows = ibis.duckdb.connect().to_pyarrow(expr).to_pylist()
    return {r["loan_id"]: (r["severity"], r["evidence"]) for r in rows}


def all_fired(f: Facts) -> set[str]:
    return {signal_id for signal_id in CALCULATIONS if fired(f, signal_id)}


MATCHED = Book(invoices=[invoice("I1", "2025-03-10", "88495.58", tax="11504.42")])
TWO_PARTS = Book(payments=[payment("2025-03-01", "60000"), payment("2025-04-01", "40000")],
                 invoices=[invoice("I1", "2025-03-10", "60000"), invoice("I2", "2025-04-12", "40000")])


@pytest.mark.parametrize("book", [pytest.param(MATCHED, id="fully-invoiced"),
                                  pytest.param(TWO_PARTS, id="two-payments-two-invoices")])
def test_matched_loans_fire_nothing(book):
    assert all_fired(facts(book)) == set()


def test_no_invoice_75_days_after_payment():
    got = fired(facts(Book(payments=[payment("2025-04-16", "100000")])), "INV-MISSING")
    assert got == {"L1": ("medium", "no valid invoice 75 days after payment 2025-04-16; paid 100,000.00, "
                                    "valid invoices 0.00 (contracts K1 with S Ltd)")}


def test_no_invoice_30_days_after_payment_does_not_fire():
    assert all_fired(facts(Book(payments=[payment("2025-05-31", "100000")]))) == set()


def test_settled_loan_does_not_fire():
    assert fired(facts(Book(payments=[payment("2025-04-16", "100000")]), status="settled"),
                 "INV-MISSING") == {}


def test_seller_is_not_the_counterparty():
    b = Book(invoices=[invoice("I1", "2025-03-10", "100000", seller="91X", seller_name="X Ltd")])
    assert fired(facts(b), "INV-MISMATCH") == {
        "L1": ("high", "seller 91X is not the contract counterparty 91S (contracts K1)")}


@pytest.mark.parametrize("amount, evidence", [
    ("80000", "valid invoices 80,000.00 for 100,000.00 paid, 20.0% short (tolerance 5%) (contracts K1)"),
    ("97000", None)])
def test_invoice_total_below_paid(amount, evidence):
    got = fired(facts(Book(invoices=[invoice("I1", "2025-03-10", amount)])), "INV-MISMATCH")
    assert got == ({} if evidence is None else {"L1": ("high", evidence)})


def test_short_invoice_within_the_grace_is_waiting():
    b = Book(payments=[payment("2025-06-01", "100000")], invoices=[invoice("I1", "2025-06-10", "80000")])
    assert all_fired(facts(b)) == set()


def test_void_not_reissued():
    f = facts(Book(invoices=[invoice("I1", "2025-03-10", "100000", status="void")]))
    assert fired(f, "INV-VOID") == {
        "L1": ("high", "invoice I1 void and not reissued; paid 100,000.00, valid invoices 0.00 "
                       "(contracts K1)")}
    assert all_fired(f) == {"INV-VOID", "INV-MISSING"}


def test_void_and_reissued_does_not_fire():
    b = Book(invoices=[invoice("I1", "2025-03-10", "100000", status="void"),
                       invoice("I2", "2025-03-11", "100000")])
    assert all_fired(facts(b)) == set()


def test_contracts_far_above_revenue():
    b = Book(contracts=[contract(amount="9000000")], invoices=[invoice("I1", "2025-03-10", "100000")])
    assert fired(facts(b), "CONTRACT-IMPLAUSIBLE") == {
        None: ("medium", "contracts 9,000,000.00 (1) in 24 months above revenue 8,000,000.00 / 2 "
                         "= 4,000,000.00")}


def test_contracts_within_revenue_do_not_fire():
    b = Book(contracts=[contract(amount="4000000")], invoices=[invoice("I1", "2025-03-10", "100000")])
    assert fired(facts(b), "CONTRACT-IMPLAUSIBLE") == {}


def test_invoice_issued_after_the_date_is_not_seen():
    b = Book(invoices=[invoice("I1", "2025-07-10", "100000")])
    assert all_fired(facts(b)) == {"INV-MISSING"}
    assert all_fired(facts(b, as_of=dt.date(2025, 7, 10))) == set()


def test_policy_thresholds_change_the_firing():
    short = facts(Book(invoices=[invoice("I1", "2025-03-10", "97000")]))
    assert fired(short, "INV-MISMATCH", with_params("INV-MISMATCH", amount_tolerance=Decimal("0.01")))
    late = facts(Book(payments=[payment("2025-05-31", "100000")]))
    assert fired(late, "INV-MISSING", with_params("INV-MISSING", after_days=30))
    big = facts(Book(contracts=[contract(amount="3000000")],
                     invoices=[invoice("I1", "2025-03-10", "100000")]))
    assert not fired(big, "CONTRACT-IMPLAUSIBLE")
    assert fired(big, "CONTRACT-IMPLAUSIBLE", with_params("CONTRACT-IMPLAUSIBLE", revenue_divisor=3))


def test_the_grace_of_the_policy_reaches_the_mart():
    b = Book(payments=[payment("2025-05-15", "100000")], invoices=[invoice("I1", "2025-05-20", "80000")])
    assert not fired(facts(b), "INV-MISMATCH")
    signals = POLICY.signals.model_copy(update={"inv_missing": with_params("INV-MISSING", after_days=30)})
    policy = POLICY.model_copy(update={"signals": signals})
    assert fired(facts(b, policy=policy), "INV-MISMATCH")


def test_no_mart_no_firings():
    f = dataclasses.replace(facts(MATCHED), reconciliation=None)
    assert all_fired(f) == set()


def test_signals_are_group_c():
    assert [s.id for s in SIGNALS] == list(CALCULATIONS)
    assert {s.group for s in SIGNALS} == {"reconciliation"}
