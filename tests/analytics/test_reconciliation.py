"""Contract ↔ entrusted payment ↔ invoice reconciliation per loan (票款一致性): hand-drawn loans
with known answers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.reconciliation import ReconciliationRules, loan_reconciliation

D = dt.date.fromisoformat
AS_OF = D("2025-06-30")
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
LOAN = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                  ("disbursed_on", pa.date32()), *VALID])
CONTRACT = pa.schema([("contract_id", pa.string()), ("loan_id", pa.string()),
                      ("counterparty_name", pa.string()), ("counterparty_tax_id", pa.string()),
                      ("amount", MONEY), ("signed_on", pa.date32()), ("goods", pa.string()), *VALID])
INVOICE = pa.schema([("invoice_no", pa.string()), ("seller_tax_id", pa.string()),
                     ("seller_name", pa.string()), ("buyer_tax_id", pa.string()),
                     ("buyer_name", pa.string()), ("issued_on", pa.date32()), ("amount", MONEY),
                     ("tax_amount", MONEY), ("status", pa.string()), ("contract_id", pa.string()),
                     *VALID])
TXN = pa.schema([
    ("txn_id", pa.string()), ("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
    ("direction", pa.string()), ("amount", MONEY), ("counterparty_account", pa.string()),
    ("counterparty_name", pa.string()), ("counterparty_type", pa.string()), ("channel", pa.string()),
    ("memo", pa.string()), ("loan_id", pa.string()), *VALID])
CUSTOMER = pa.schema([("customer_id", pa.string()), ("customer_type", pa.string()),
                      ("name", pa.string()), ("id_number", pa.string()), *VALID])
FINANCIAL = pa.schema([("customer_id", pa.string()), ("period_end", pa.date32()),
                       ("revenue", MONEY), *VALID])
QUARTERS = ("2023-09-30", "2023-12-31", "2024-03-31", "2024-06-30", "2024-09-30", "2024-12-31",
            "2025-03-31")


def invoice(no: str, issued: str, amount: str, *, tax: str = "0", status: str | None = "normal",
            seller: str | None = "91S", seller_name: str = "S Ltd", contract: str | None = "K1",
            buyer: str = "91K") -> dict:
    return {"invoice_no": no, "seller_tax_id": seller, "seller_name": seller_name,
            "buyer_tax_id": buyer, "buyer_name": "K Ltd", "issued_on": D(issued),
            "amount": Decimal(amount), "tax_amount": Decimal(tax), "status": status,
            "contract_id": contract}


def payment(on: str, amount: str, *, loan: str = "L1", direction: str = "out") -> dict:
    return {"txn_id": f"{loan}-{on}-{amount}-{direction}", "account_id": "A1",
            "occurred_at": dt.datetime.fromisoformat(f"{on}T10:00:00"), "direction": direction,
            "amount": Decimal(amount), "counterparty_name": "S Ltd", "loan_id": loan}


def contract(cid: str = "K1", amount: str = "100000", *, signed: str | None = "2025-02-15",
             loan: str = "L1", name: str = "S Ltd", tax_id: str | None = "91S") -> dict:
    return {"contract_id": cid, "loan_id": loan, "counterparty_name": name,
            "counterparty_tax_id": tax_id, "amount": Decimal(amount),
            "signed_on": None if signed is None else D(signed)}


def quarterly(revenue: str, quarters: tuple[str, ...] = QUARTERS) -> list[dict]:
    return [{"customer_id": "K", "period_end": D(q), "revenue": Decimal(revenue)} for q in quarters]


@dataclass
class Book:
    """One borrower K (tax id 91K) with loan L1 disbursed 2025-02-20 (100,000 in), contract K1
    with supplier S Ltd (91S)."""

    contracts: list[dict] = field(default_factory=lambda: [contract()])
    payments: list[dict] = field(default_factory=lambda: [payment("2025-03-01", "100000")])
    invoices: list[dict] = field(default_factory=list)
    financials: list[dict] = field(default_factory=lambda: quarterly("1000000"))
    loans: list[dict] = field(default_factory=lambda: [
        {"loan_id": "L1", "customer_id": "K", "disbursed_on": D("2025-02-20")}])

    def tables(self) -> dict[str, ibis.Table]:
        disbursement = payment("2025-02-20", "100000", direction="in")
        customers = [{"customer_id": "K", "customer_type": "enterprise", "name": "K Ltd",
                      "id_number": "91K"}]
        rows = {"loans": (self.loans, LOAN), "contracts": (self.contracts, CONTRACT),
                "invoices": (self.invoices, INVOICE),
                "transactions": ([disbursement, *self.payments], TXN),
                "customers": (customers, CUSTOMER), "financials": (self.financials, FINANCIAL)}
        return {name: ibis.memtable(pa.Table.from_pylist(r, schema)) for name, (r, schema) in rows.items()}


DEFAULT_RULES = ReconciliationRules()


def reconciled(book: Book, as_of: dt.date = AS_OF, rules: ReconciliationRules = DEFAULT_RULES) -> pa.Table:
    t = book.tables()
    expr = loan_reconciliation(t["loans"], t["contracts"], t["invoices"], t["transactions"], as_of,
                               rules, customers=t["customers"], financials=t["financials"])
    return ibis.duckdb.connect().to_pyarrow(expr)


def reconcile(book: Book, as_of: dt.date = AS_OF, rules: ReconciliationRules = DEFAULT_RULES
              ) -> dict[str, dict]:
    return {r["loan_id"]: r for r in reconciled(book, as_of, rules).to_pylist()}


def row(book: Book, as_of: dt.date = AS_OF, **kw) -> dict:
    (got,) = reconcile(book, as_of, **kw).values()
    return got


def test_paid_and_fully_invoiced_is_matched():
    r = row(Book(invoices=[invoice("I1", "2025-03-10", "88495.58", tax="11504.42")]))
    assert r["status"] == "matched"
    assert r["reasons"] is None
    assert (r["paid_amount"], r["invoiced_amount"], r["invoice_shortfall"]) == (
        Decimal("100000.00"), Decimal("100000.00"), Decimal("0.00"))
    assert (r["contracts"], r["payments"], r["invoices"], r["void_invoices"], r["seller_mismatches"]) == (
        1, 1, 1, 0, 0)
    assert r["days_without_invoice"] is None
    assert r["counterparties"] == "S Ltd"
    assert r["first_paid_on"] == r["last_paid_on"] == D("2025-03-01")


def test_two_payments_two_invoices_is_matched():
    r = row(Book(payments=[payment("2025-03-01", "60000"), payment("2025-04-01", "40000")],
                 invoices=[invoice("I1", "2025-03-10", "60000"), invoice("I2", "2025-04-12", "40000")]))
    assert (r["status"], r["payments"], r["invoices"], r["reasons"]) == ("matched", 2, 2, None)
    assert r["last_paid_on"] == D("2025-04-01")


def test_no_invoice_75_days_after_payment():
    r = row(Book(payments=[payment("2025-04-16", "100000")]))
    assert (r["status"], r["days_without_invoice"]) == ("unmatched", 75)
    assert r["reasons"] == "no valid invoice 75 days after payment 2025-04-16"


def test_no_invoice_30_days_after_payment_is_waiting():
    r = row(Book(payments=[payment("2025-05-31", "100000")]))
    assert r["days_without_invoice"] == 30
    assert r["reasons"] == "waiting for an invoice: payment 2025-05-31, 30 days ago (grace 60 days)"


def test_second_payment_without_invoice_counts_from_that_payment():
    r = row(Book(payments=[payment("2025-03-01", "60000"), payment("2025-04-01", "40000")],
                 invoices=[invoice("I1", "2025-03-10", "60000")]))
    assert (r["status"], r["days_without_invoice"], r["invoice_shortfall"]) == (
        "partial", 90, Decimal("40000.00"))
    assert r["paid_due"] == Decimal("60000.00")  # the uninvoiced payment is missing, not short


def test_wrong_seller():
    r = row(Book(invoices=[invoice("I1", "2025-03-10", "100000", seller="91X", seller_name="X Ltd")]))
    assert (r["status"], r["seller_mismatches"]) == ("partial", 1)
    assert r["reasons"] == "seller 91X is not the contract counterparty 91S"


def test_wrong_seller_by_name_when_the_counterparty_has_no_tax_id():
    r = row(Book(contracts=[contract(tax_id=None, name="Zhang San")],
                 invoices=[invoice("I1", "2025-03-10", "100000", seller_name="X Ltd")]))
    assert r["reasons"] == "seller 91S is not the contract counterparty Zhang San"


@pytest.mark.parametrize("amount, status, short", [
    ("80000", "partial", True), ("97000", "matched", False), ("95000", "matched", False)])
def test_invoice_total_below_paid(amount, status, short):
    r = row(Book(invoices=[invoice("I1", "2025-03-10", amount)]))
    assert r["status"] == status
    assert r["invoice_shortfall"] == Decimal(100000) - Decimal(amount)
    assert (r["reasons"] == f"valid invoices {amount}.00 below 100000.00 paid") is short
    assert r["days_without_invoice"] is None


def test_void_not_reissued():
    r = row(Book(invoices=[invoice("I1", "2025-03-10", "100000", status="void")]))
    assert (r["status"], r["void_invoices"], r["invoices"]) == ("unmatched", 1, 0)
    assert r["reasons"] == ("no valid invoice 121 days after payment 2025-03-01; "
                            "invoice I1 void and not reissued")


def test_void_and_reissued_is_matched():
    r = row(Book(invoices=[invoice("I1", "2025-03-10", "100000", status="void"),
                           invoice("I2", "2025-03-11", "100000")]))
    assert (r["status"], r["void_invoices"], r["reasons"]) == ("matched", 0, None)


def test_red_invoice_reverses_its_original():
    r = row(Book(invoices=[invoice("I1", "2025-03-10", "60000"), invoice("I2", "2025-03-10", "40000"),
                           invoice("R1", "2025-03-20", "-40000", status="red")]))
    assert (r["invoiced_amount"], r["invoices"], r["void_invoices"]) == (Decimal("60000.00"), 2, 1)
    assert r["reasons"] == ("valid invoices 60000.00 below 100000.00 paid; "
                            "invoice R1 reversed (red) and not reissued")


def test_invoice_without_contract_id_matches_by_seller_and_buyer():
    b = Book(invoices=[invoice("I1", "2025-03-10", "100000", contract=None)])
    assert row(b)["status"] == "matched"
    other_buyer = Book(invoices=[invoice("I1", "2025-03-10", "100000", contract=None, buyer="91Z")])
    assert row(other_buyer)["status"] == "unmatched"


def test_invoice_after_the_date_is_not_seen():
    b = Book(invoices=[invoice("I1", "2025-07-10", "100000")])
    assert row(b)["status"] == "unmatched"
    assert row(b, D("2025-07-10"))["status"] == "matched"


def test_payment_and_contract_after_the_date_are_not_seen():
    b = Book(contracts=[contract(), contract("K2", signed="2025-07-01")],
             payments=[payment("2025-03-01", "100000"), payment("2025-07-01", "50000")],
             invoices=[invoice("I1", "2025-03-10", "100000")])
    r = row(b)
    assert (r["contracts"], r["paid_amount"], r["status"]) == (1, Decimal("100000.00"), "matched")


def test_no_contract_no_row():
    assert reconcile(Book(contracts=[])) == {}


def test_contract_volume_against_revenue():
    # 7 quarters of 1,000,000 known, scaled to 24 months: 8,000,000 / 2 = 4,000,000
    big = row(Book(contracts=[contract(amount="4000000.01")]))
    assert (big["contract_volume"], big["revenue_reference"]) == (
        Decimal("4000000.01"), Decimal("8000000.00"))
    assert big["reasons"].endswith("contracts 4000000.01 in 24 months above revenue 8000000.00 / 2")
    normal = row(Book(contracts=[contract(amount="4000000")]))
    assert normal["reasons"] == "no valid invoice 121 days after payment 2025-03-01"


def test_contract_volume_without_statements_is_unknown():
    r = row(Book(financials=[]))
    assert r["revenue_reference"] is None
    assert r["contract_volume"] == Decimal("100000.00")


def test_policy_tolerance_changes_the_status():
    b = Book(invoices=[invoice("I1", "2025-03-10", "97000")])
    assert row(b)["status"] == "matched"
    assert row(b, rules=ReconciliationRules(amount_tolerance=Decimal("0.01")))["status"] == "partial"
