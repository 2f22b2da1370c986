"""Tracing the proceeds (analytics/flows): small hand-drawn books with known answers, and
look-alikes that must not be taken for misuse."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.flows.findings import FlowRules, Words, flow_findings
from loanwatch.analytics.flows.proceeds import traced_hops

D = dt.date.fromisoformat
AS_OF = D("2026-04-30")
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
SCHEMAS = {
    "loans": pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                        ("product", pa.string()), ("principal", MONEY),
                        ("disbursed_on", pa.date32()), *VALID]),
    "accounts": pa.schema([("account_id", pa.string()), ("customer_id", pa.string()),
                           ("holder_name", pa.string()), ("holder_type", pa.string()),
                           ("bank_code", pa.string()), ("is_own_bank", pa.bool_()), *VALID]),
    "transactions": pa.schema([
        ("txn_id", pa.string()), ("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
        ("direction", pa.string()), ("amount", MONEY), ("counterparty_account", pa.string()),
        ("counterparty_name", pa.string()), ("counterparty_type", pa.string()),
        ("channel", pa.string()), ("memo", pa.string()), ("loan_id", pa.string()), *VALID]),
    "relations": pa.schema([("customer_id", pa.string()), ("related_customer_id", pa.string()),
                            ("kind", pa.string()), *VALID]),
    "guarantees": pa.schema([("guarantee_id", pa.string()), ("loan_id", pa.string()),
                             ("guarantor_customer_id", pa.string()), ("kind", pa.string()), *VALID]),
    "contracts": pa.schema([("contract_id", pa.string()), ("loan_id", pa.string()),
                            ("counterparty_name", pa.string()),
                            ("counterparty_tax_id", pa.string()), ("amount", MONEY), *VALID]),
}
RULES = FlowRules(
    prohibited={"securities": Words(("证券",), ("银证转账",)),
                "real_estate": Words(("房地产",), ("购房",))},
    allowed={"mortgage": ("real_estate",)},
    cash=Words(memos=("取现",), channels=("atm",)),
    payroll=Words(memos=("工资",), channels=("salary",)),
    refund_memos=("退款",))
# accounts: the borrower K (an SME), its legal representative R, a guarantor G, shells X1 X2
# at this bank; a supplier S, a broker B and someone unknown U elsewhere; an employee E
ACCOUNTS = [
    ("AK", "K", "K 制造有限公司", "enterprise", True), ("AR", "R", "李四", "individual", True),
    ("AG", "G", "G 投资有限公司", "enterprise", True), ("X1", None, "甲商贸有限公司", "enterprise", True),
    ("X2", None, "王五", "individual", True), ("S", None, "S 供应链有限公司", "enterprise", False),
    ("B", None, "华泰证券股份有限公司", "enterprise", False), ("U", None, None, "unknown", False),
    ("E", None, "赵六", "individual", True), ("P", None, "钱七", "individual", False),
    ("DEV", None, "万家房地产开发有限公司", "enterprise", False),
]
HOLDER = {a[0]: a for a in ACCOUNTS}


def table(name: str, rows: list[dict]) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, SCHEMAS[name]))


class Book:
    """One borrower K with loan L1 of 1,000,000 paid out on 2026-03-01 into AK."""

    def __init__(self, principal: str = "1000000", product: str = "working_capital") -> None:
        self.loans = [{"loan_id": "L1", "customer_id": "K", "product": product,
                       "principal": Decimal(principal), "disbursed_on": D("2026-03-01")}]
        self.txns: list[dict] = []
        self.contracts: list[dict] = []
        self.relations = [{"customer_id": "K", "related_customer_id": "R", "kind": "legal_rep"}]
        self.guarantees = [{"guarantee_id": "G1", "loan_id": "L1", "guarantor_customer_id": "G",
                            "kind": "guarantee"}]
        self._row("AK", "2026-03-01T10:00", "in", principal, None, loan="L1", memo="放款")

    def _row(self, account, at, direction, amount, cp, *, loan=None, memo="转账", channel="transfer"):
        cp_name = HOLDER[cp][2] if cp in HOLDER else None
        cp_type = HOLDER[cp][3] if cp in HOLDER else "unknown"
        self.txns.append({
            "txn_id": f"T{len(self.txns) + 1}", "account_id": account,
            "occurred_at": dt.datetime.fromisoformat(at), "direction": direction,
            "amount": Decimal(amount), "counterparty_account": cp, "counterparty_name": cp_name,
            "counterparty_type": cp_type, "channel": channel, "memo": memo, "loan_id": loan})

    def pay(self, src: str, dst: str | None, at: str, amount: str, **kw) -> Book:
        """A move as the bank records it: an out row if the payer is ours, an in row if the
        payee is."""
        if HOLDER.get(src, (None,) * 5)[4]:
            self._row(src, at, "out", amount, dst, **kw)
        if dst in HOLDER and HOLDER[dst][4]:
            self._row(dst, at, "in", amount, src, **{k: v for k, v in kw.items() if k != "loan"})
        return self

    def contract(self, name: str, tax_id: str, amount: str = "1000000") -> Book:
        self.contracts.append({"contract_id": f"C{len(self.contracts) + 1}", "loan_id": "L1",
                               "counterparty_name": name, "counterparty_tax_id": tax_id,
                               "amount": Decimal(amount)})
        return self

    def findings(self, as_of: dt.date = AS_OF, rules: FlowRules = RULES) -> dict[str, dict]:
        accounts = [dict(zip(("account_id", "customer_id", "holder_name", "holder_type",
                              "is_own_bank"), a, strict=True)) for a in ACCOUNTS]
        trace = traced_hops(table("loans", self.loans), table("transactions", self.txns),
                           table("accounts", accounts), table("relations", self.relations),
                           table("guarantees", self.guarantees), D("2026-02-01"), as_of, rules)
        out = flow_findings(trace.hops, trace.regular, table("loans", self.loans),
                            table("contracts", self.contracts), rules)
        rows = ibis.duckdb.connect().to_pyarrow(out).to_pylist()
        return {r["finding"]: r for r in rows}


def test_two_hop_backflow_to_the_legal_representative():
    f = (Book().pay("AK", "X1", "2026-03-03T10:00", "600000")
         .pay("X1", "X2", "2026-03-05T10:00", "600000")
         .pay("X2", "AR", "2026-03-08T10:00", "590000").findings())
    b = f["backflow"]
    assert (b["amount"], b["share"], b["hops"]) == (Decimal("590000.00"), Decimal("0.5900"), 2)
    assert b["route"] == "AK → X1 → X2 → AR"
    path = json.loads(b["path"])
    assert [(h["from"], h["to"], h["amount"]) for h in path] == [
        ("AK", "X1", "600000.00"), ("X1", "X2", "600000.00"), ("X2", "AR", "590000.00")]


def test_backflow_through_a_supplier_at_another_bank_to_the_borrower():
    # the bank sees only the supplier's payment into its shell X1
    f = (Book().contract("S 供应链有限公司", "91310000S").pay("AK", "S", "2026-03-01T11:00", "1000000",
                                                          loan="L1", memo="受托支付")
         .pay("S", "X1", "2026-03-04T10:00", "700000").pay("X1", "AK", "2026-03-06T10:00", "700000")
         .findings())
    assert f["backflow"]["amount"] == Decimal("700000.00")
    assert f["backflow"]["hops"] == 2
    assert "contract_mismatch" not in f


def test_back_to_a_guarantor_is_backflow_and_beyond_the_window_is_not_seen():
    f = (Book().pay("AK", "X1", "2026-03-02T10:00", "300000")
         .pay("X1", "AG", "2026-03-20T10:00", "300000")
         .pay("AK", "X2", "2026-03-02T11:00", "200000")
         .pay("X2", "AR", "2026-04-05T10:00", "200000").findings())  # day 35: past 30 days
    assert f["backflow"]["amount"] == Decimal("300000.00")


def test_not_yet_known_before_it_happens():
    book = (Book().pay("AK", "X1", "2026-03-03T10:00", "600000")
            .pay("X1", "AR", "2026-03-10T10:00", "600000"))
    assert "backflow" in book.findings(D("2026-03-10"))
    assert "backflow" not in book.findings(D("2026-03-09"))


def test_refund_from_the_supplier_is_not_backflow_unless_large():
    def refunded(amount: str) -> dict:
        return (Book().contract("S 供应链有限公司", "91310000S")
                .pay("AK", "S", "2026-03-01T11:00", "1000000", loan="L1", memo="受托支付")
                .pay("S", "AK", "2026-03-15T10:00", amount, memo="退款").findings())
    assert "backflow" not in refunded("120000")
    assert refunded("500000")["backflow"]["amount"] == Decimal("500000.00")


def test_salary_to_an_employee_and_a_supplier_paid_in_two_parts_are_ordinary():
    f = (Book().contract("S 供应链有限公司", "91310000S")
         .pay("AK", "S", "2026-03-02T10:00", "450000", loan="L1", memo="受托支付")
         .pay("AK", "S", "2026-03-09T10:00", "450000", loan="L1", memo="受托支付")
         .pay("AK", "E", "2026-03-10T10:00", "100000", memo="工资", channel="salary")
         .findings())
    assert not f


def test_entrusted_payment_to_an_individual_against_a_company_contract():
    f = (Book().contract("S 供应链有限公司", "91310000S")
         .pay("AK", "P", "2026-03-01T11:00", "1000000", loan="L1", memo="受托支付").findings())
    assert f["contract_mismatch"]["amount"] == Decimal("1000000.00")
    assert f["individual_payee"]["counterparty"] == "钱七"


def test_sole_proprietor_contract_paid_to_that_person_is_not_a_mismatch():
    f = (Book().contract("钱七", "92310000P")
         .pay("AK", "P", "2026-03-01T11:00", "1000000", loan="L1", memo="受托支付").findings())
    assert "contract_mismatch" not in f and "individual_payee" not in f


def test_prohibited_use_untraced_and_cash():
    f = (Book().pay("AK", "B", "2026-03-05T10:00", "300000", memo="银证转账")
         .pay("AK", "U", "2026-03-06T10:00", "400000")
         .pay("AK", None, "2026-03-07T10:00", "100000", memo="取现", channel="atm").findings())
    assert (f["prohibited"]["detail"], f["prohibited"]["amount"]) == ("securities", Decimal("300000.00"))
    assert f["untraced"]["share"] == Decimal("0.4000")
    assert f["cash_out"]["amount"] == Decimal("100000.00")


def test_a_mortgage_paying_a_developer_is_its_purpose():
    f = Book(product="mortgage").pay("AK", "DEV", "2026-03-01T11:00", "1000000", memo="购房款").findings()
    assert "prohibited" not in f and "concentrated" not in f
    g = Book().pay("AK", "DEV", "2026-03-01T11:00", "1000000", memo="购房款").findings()
    assert g["prohibited"]["detail"] == "real_estate"


def test_proceeds_first_never_traces_more_than_the_loan():
    f = (Book(principal="100000").pay("AK", "X1", "2026-03-02T10:00", "80000")
         .pay("AK", "U", "2026-03-03T10:00", "90000")  # only 20,000 of it is the loan's
         .findings())
    assert f["untraced"]["amount"] == Decimal("20000.00")
    assert f["concentrated"]["amount"] == Decimal("80000.00")


def test_paying_a_trading_partner_of_before_the_loan_is_no_concentration():
    new = Book().pay("AK", "X1", "2026-03-02T10:00", "900000")
    assert new.findings()["concentrated"]["share"] == Decimal("0.9000")
    known = Book().pay("AK", "X1", "2026-01-15T10:00", "50000").pay("AK", "X1", "2026-03-02T10:00", "900000")
    assert "concentrated" not in known.findings()


@pytest.mark.parametrize("hops, found", [(1, False), (2, True)])
def test_max_hops_bounds_the_trace(hops, found):
    book = (Book().pay("AK", "X1", "2026-03-03T10:00", "600000")
            .pay("X1", "X2", "2026-03-05T10:00", "600000")
            .pay("X2", "AR", "2026-03-08T10:00", "600000"))
    rules = FlowRules(**{**RULES.__dict__, "max_hops": hops})
    assert ("backflow" in book.findings(rules=rules)) is found
