"""Group G, financial condition (FIN-*, IND-*): statements, incomes and debts in, borrower
firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.financial import (
    SIGNALS,
    debt_burden,
    income_drop,
    leverage,
    liquidity,
    loss,
    repay_to_income,
    revenue_drop,
)
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 10)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
STATEMENT = pa.schema([
    ("customer_id", pa.string()), ("period_end", pa.date32()), ("revenue", MONEY),
    ("net_profit", MONEY), ("total_assets", MONEY), ("total_liabilities", MONEY),
    ("current_assets", MONEY), ("current_liabilities", MONEY), ("operating_cash_flow", MONEY),
    ("interest_expense", MONEY), *VALID])
INCOME = pa.schema([("customer_id", pa.string()), ("month", pa.date32()), ("amount", MONEY),
                    *VALID])
CUSTOMER = pa.schema([("customer_id", pa.string()), ("customer_type", pa.string()),
                      ("annual_income", MONEY), *VALID])
LOAN = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string()),
                  ("outstanding_principal", MONEY), ("next_due_amount", MONEY),
                  ("dpd", pa.int32())])
TERMS = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("principal", MONEY),
                   ("annual_rate", pa.decimal128(12, 8)), ("repayment_method", pa.string()),
                   ("disbursed_on", pa.date32()), ("maturity_on", pa.date32()), *VALID])
REPORT = pa.schema([("customer_id", pa.string()), ("reported_on", pa.date32()),
                    ("loans_balance", MONEY), *VALID])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
REGISTRY = ibis.memtable(pa.schema([("customer_id", pa.string()), *VALID]).empty_table())


def statement(on: str, *, revenue: str = "1000", profit: str = "10", assets: str = "100",
              liabilities: str = "50", current: tuple[str, str] = ("200", "100"),
              cash: str = "10", customer: str = "C",
              valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"customer_id": customer, "period_end": D(on), "revenue": Decimal(revenue),
            "net_profit": Decimal(profit), "total_assets": Decimal(assets),
            "total_liabilities": Decimal(liabilities), "current_assets": Decimal(current[0]),
            "current_liabilities": Decimal(current[1]), "operating_cash_flow": Decimal(cash),
            "interest_expense": None, "_valid_from": valid[0] and D(valid[0]),
            "_valid_to": valid[1] and D(valid[1])}


def incomes(amounts: dict[str, str], customer: str = "C") -> list[dict]:
    """``{"2026-05": "4200"}`` -> income rows of the first day of each month."""
    return [{"customer_id": customer, "month": D(f"{m}-01"), "amount": Decimal(a),
             "_valid_from": None, "_valid_to": None} for m, a in amounts.items()]


def customer(cid: str = "C", kind: str = "individual", annual: str | None = None) -> dict:
    return {"customer_id": cid, "customer_type": kind,
            "annual_income": None if annual is None else Decimal(annual),
            "_valid_from": None, "_valid_to": None}


def loan(lid: str = "L1", *, principal: str = "0", due: str = "0", status: str = "active",
         cid: str = "C", next_due: str | None = None, terms: dict | None = None) -> dict:
    """A loan on the book; by default its contract pays ``due`` a month (12 months, equal
    principal, no interest); ``terms`` overrides the contract."""
    contract = {"principal": Decimal(due) * 12, "annual_rate": Decimal(0),
                "repayment_method": "equal_principal", "disbursed_on": D("2026-01-10"),
                "maturity_on": D("2027-01-10"), **(terms or {})}
    return {"loan_id": lid, "customer_id": cid, "status": status,
            "outstanding_principal": Decimal(principal),
            "next_due_amount": Decimal(next_due or due), "dpd": 0, "terms": contract}


def report(on: str, balance: str, cid: str = "C") -> dict:
    return {"customer_id": cid, "reported_on": D(on), "loans_balance": Decimal(balance),
            "_valid_from": None, "_valid_to": None}


def table(rows: list[dict] | None, schema: pa.Schema):
    return None if rows is None else ibis.memtable(pa.Table.from_pylist(rows, schema))


def facts(*, statements: list[dict] | None = None, income: list[dict] | None = None,
          customers: list[dict] = (), loans: list[dict] = (), reports: list[dict] = ()) -> Facts:
    terms = [{"loan_id": x["loan_id"], "customer_id": x["customer_id"], **x["terms"],
              "_valid_from": None, "_valid_to": None} for x in loans]
    return Facts(as_of=AS_OF, snapshot=table([{k: v for k, v in x.items() if k != "terms"}
                                              for x in loans], LOAN),
                 classification=KEYS, class_events=KEYS, ratings=KEYS, previous_ratings=KEYS,
                 loans=table(terms, TERMS),
                 customers=table(list(customers), CUSTOMER),
                 bureau_reports=table(list(reports), REPORT), registry_events=REGISTRY,
                 financials=table(statements, STATEMENT), incomes=table(income, INCOME))


def run(calc, signal_id: str, f: Facts, **params) -> dict[str, tuple[str, str]]:
    entry = POLICY.signals[signal_id]
    if params:
        entry = entry.model_copy(update={"params": entry.params.model_copy(update=params)})
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, entry)).to_pylist()
    assert all(r["loan_id"] is None for r in rows)
    return {r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def evidence(calc, signal_id: str, f: Facts) -> str | None:
    got = run(calc, signal_id, f)
    return got["C"][1] if got else None


@pytest.mark.parametrize("rows, expected", [
    pytest.param([statement("2025-03-31", revenue="12000000"), statement("2026-03-31", revenue="7800000")],
                 "revenue 12,000,000.00 (2025-03-31) → 7,800,000.00 (2026-03-31), -35.0%",
                 id="down-35%"),
    pytest.param([statement("2025-03-31", revenue="10000"), statement("2026-03-31", revenue="7000")],
                 "revenue 10,000.00 (2025-03-31) → 7,000.00 (2026-03-31), -30.0%",
                 id="exactly-30%-fires"),
    pytest.param([statement("2025-03-31", revenue="10000"), statement("2026-03-31", revenue="7001")],
                 None, id="29.99%-does-not"),
    pytest.param([statement("2025-03-30", revenue="10000"), statement("2026-03-31", revenue="5000")],
                 None, id="no-statement-exactly-a-year-before"),
    pytest.param([statement("2025-03-31", revenue="10000"), statement("2026-03-31", revenue="5000"),
                  statement("2026-06-30", revenue="9000")],
                 "revenue 10,000.00 (2025-03-31) → 5,000.00 (2026-03-31), -50.0%",
                 id="statement-after-as-of-ignored"),
    pytest.param([statement("2025-03-31", revenue="10000"), statement("2026-03-31", revenue="5000",
                                                                      valid=("2026-06-11", None))],
                 None, id="statement-not-yet-in-force"),
    pytest.param([statement("2025-03-31", revenue="0"), statement("2026-03-31", revenue="0")],
                 None, id="no-revenue-before"),
])
def test_revenue_drop(rows, expected):
    assert evidence(revenue_drop, "FIN-REVENUE-DROP", facts(statements=rows)) == expected


@pytest.mark.parametrize("rows, expected", [
    pytest.param([statement("2026-03-31", liabilities="86")], "debt ratio 86.0% on 2026-03-31",
                 id="86%"),
    pytest.param([statement("2026-03-31", liabilities="80")], None, id="exactly-80%-does-not"),
    pytest.param([statement("2026-03-31", assets="10000", liabilities="8001")],
                 "debt ratio 80.0% on 2026-03-31", id="80.01%-fires"),
    pytest.param([statement("2025-12-31", liabilities="50"), statement("2026-03-31", liabilities="70")],
                 "debt ratio 70.0% on 2026-03-31 (50.0% on 2025-12-31, +20.00 pp)",
                 id="up-exactly-20-points-fires"),
    pytest.param([statement("2025-12-31", liabilities="50"), statement("2026-03-31", liabilities="69.99")],
                 None, id="up-19.99-points-does-not"),
    pytest.param([statement("2025-09-30", liabilities="40"), statement("2025-12-31", liabilities="55"),
                  statement("2026-03-31", liabilities="70")], None,
                 id="base-is-the-latest-statement-of-last-year"),
    pytest.param([statement("2026-01-31", liabilities="10"), statement("2026-03-31", liabilities="70")],
                 None, id="no-statement-last-year"),
    pytest.param([statement("2026-03-31", liabilities="50"), statement("2026-06-30", liabilities="90")],
                 None, id="statement-after-as-of-ignored"),
])
def test_leverage(rows, expected):
    assert evidence(leverage, "FIN-LEVERAGE", facts(statements=rows)) == expected


@pytest.mark.parametrize("rows, expected", [
    pytest.param([statement("2026-03-31", current=("85", "100"))],
                 "current ratio 0.85 on 2026-03-31 (current assets 85.00 / current liabilities "
                 "100.00)", id="0.85"),
    pytest.param([statement("2026-03-31", current=("100", "100"))], None, id="exactly-1-does-not"),
    pytest.param([statement("2026-03-31", current=("50", "0"))], None, id="no-current-liabilities"),
    pytest.param([statement("2025-12-31", current=("50", "100")), statement("2026-03-31")],
                 None, id="only-the-latest-counts"),
])
def test_liquidity(rows, expected):
    assert evidence(liquidity, "FIN-LIQUIDITY", facts(statements=rows)) == expected


@pytest.mark.parametrize("rows, expected", [
    pytest.param([statement("2026-03-31", profit="-1234.5")], "net loss -1,234.50 on 2026-03-31",
                 id="net-loss"),
    pytest.param([statement("2026-03-31", profit="0")], None, id="break-even"),
    pytest.param([statement("2025-12-31", cash="-5"), statement("2026-03-31", cash="-7")],
                 "operating cash flow negative 2 periods running, -7.00 on 2026-03-31",
                 id="cash-burn-two-periods"),
    pytest.param([statement("2025-09-30", cash="-5"), statement("2025-12-31", cash="5"),
                  statement("2026-03-31", cash="-7")], None, id="cash-burn-interrupted"),
    pytest.param([statement("2026-03-31", cash="-7")], None, id="one-period-only"),
    pytest.param([statement("2025-12-31", cash="-5"), statement("2026-03-31", profit="-1", cash="-7")],
                 "net loss -1.00 on 2026-03-31; operating cash flow negative 2 periods running, "
                 "-7.00 on 2026-03-31", id="both"),
    pytest.param([statement("2026-03-31"), statement("2026-06-30", profit="-9")], None,
                 id="statement-after-as-of-ignored"),
])
def test_loss(rows, expected):
    assert evidence(loss, "FIN-LOSS", facts(statements=rows)) == expected


BASE = {f"2025-{m:02d}": "8000" for m in range(11, 13)} | {f"2026-{m:02d}": "8000" for m in (1, 2)}
SIX = {"2025-08": "8000", "2025-09": "8000", "2025-10": "8000"} | BASE


@pytest.mark.parametrize("amounts, kind, expected", [
    pytest.param(SIX | {"2026-03": "4200", "2026-04": "4200", "2026-05": "4200"}, "individual",
                 "income 3-month mean 4,200.00 vs 6-month mean 8,000.00 (-47.5%)", id="down-47.5%"),
    pytest.param(SIX | {"2026-03": "5600", "2026-04": "5600", "2026-05": "5600"}, "individual",
                 "income 3-month mean 5,600.00 vs 6-month mean 8,000.00 (-30.0%)",
                 id="exactly-30%-fires"),
    pytest.param(SIX | {"2026-03": "5601", "2026-04": "5601", "2026-05": "5601"}, "individual",
                 None, id="29.99%-does-not"),
    pytest.param(SIX | {"2026-03": "4200", "2026-06": "100"}, "individual",
                 "income 3-month mean 4,200.00 vs 6-month mean 8,000.00 (-47.5%)",
                 id="as-of-month-not-full-ignored"),
    pytest.param({"2025-07": "8000", "2026-04": "1000"}, "individual", None,
                 id="no-month-in-the-baseline"),
    pytest.param(SIX | {"2026-03": "4200"}, "enterprise", None, id="enterprise-ignored"),
])
def test_income_drop(amounts, kind, expected):
    f = facts(income=incomes(amounts), customers=[customer(kind=kind)])
    assert evidence(income_drop, "IND-INCOME-DROP", f) == expected


@pytest.mark.parametrize("kwargs, expected", [
    pytest.param(dict(income=incomes({"2026-05": "10000"}), loans=[loan(principal="400000")],
                      reports=[report("2026-05-31", "200001")]),
                 "total debt 600,001.00 (here 400,000.00 + bureau 200,001.00 on 2026-05-31) / "
                 "annual income 120,000.00 (12 x 12-month mean) = 5.00", id="above-5"),
    pytest.param(dict(income=incomes({"2026-05": "10000"}), loans=[loan(principal="600000")]),
                 None, id="exactly-5-does-not"),
    pytest.param(dict(customers=[customer(annual="100000")], loans=[loan(principal="300000")],
                      reports=[report("2026-05-31", "300000"), report("2026-06-30", "0")]),
                 "total debt 600,000.00 (here 300,000.00 + bureau 300,000.00 on 2026-05-31) / "
                 "annual income 100,000.00 (declared) = 6.00", id="declared-income-later-report-ignored"),
    pytest.param(dict(loans=[loan(principal="900000")]), None, id="income-unknown"),
    pytest.param(dict(customers=[customer(kind="enterprise", annual="1")],
                      loans=[loan(principal="900000")]), None, id="enterprise-ignored"),
    pytest.param(dict(customers=[customer(annual="100000")],
                      loans=[loan(principal="900000", status="settled")]), None,
                 id="settled-loan-not-debt"),
])
def test_debt_burden(kwargs, expected):
    kwargs.setdefault("customers", [customer()])
    assert evidence(debt_burden, "IND-DEBT-BURDEN", facts(**kwargs)) == expected


@pytest.mark.parametrize("kwargs, expected", [
    pytest.param(dict(income=incomes({"2026-03": "4000", "2026-04": "4000", "2026-05": "4000"}),
                      loans=[loan(due="1500"), loan("L2", due="600")]),
                 ("medium", "monthly payments 2,100.00 / monthly income 4,000.00 "
                  "(3-month mean) = 52.5%"), id="medium"),
    pytest.param(dict(income=incomes({"2026-05": "4000"}), loans=[loan(due="2000")]),
                 None, id="exactly-50%-does-not"),
    pytest.param(dict(income=incomes({"2026-05": "4000"}), loans=[loan(due="2800")]),
                 ("medium", "monthly payments 2,800.00 / monthly income 4,000.00 "
                  "(3-month mean) = 70.0%"), id="exactly-70%-medium"),
    pytest.param(dict(customers=[customer(annual="48000")], loans=[loan(due="2801")]),
                 ("high", "monthly payments 2,801.00 / monthly income 4,000.00 "
                  "(declared annual income / 12) = 70.0%"), id="above-70%-high"),
    pytest.param(dict(income=incomes({"2026-01": "4000"}), loans=[loan(due="2801")]),
                 None, id="income-older-than-3-months-unknown"),
    pytest.param(dict(customers=[customer(kind="enterprise", annual="1")], loans=[loan(due="9")]),
                 None, id="enterprise-ignored"),
    # the contract's monthly payment, not the next amount due (a prepayment, a balloon)
    pytest.param(dict(income=incomes({"2026-05": "4000"}), loans=[loan(due="1000", next_due="90000")]),
                 None, id="a-prepayment-due-is-not-the-monthly-payment"),
    pytest.param(dict(income=incomes({"2026-05": "4000"}), loans=[loan(principal="80000", terms={
        "principal": Decimal("100000"), "annual_rate": Decimal("0.12"),
        "repayment_method": "equal_installment"})]),
        ("high", "monthly payments 8,884.88 / monthly income 4,000.00 (3-month mean) = 222.1%"),
        id="annuity-of-the-principal"),
    pytest.param(dict(income=incomes({"2026-05": "4000"}), loans=[loan(principal="250000", terms={
        "principal": Decimal("300000"), "annual_rate": Decimal("0.12"),
        "repayment_method": "interest_first"})]),
        ("medium", "monthly payments 2,500.00 / monthly income 4,000.00 (3-month mean) = 62.5%"),
        id="interest-first-pays-the-interest-on-what-is-owed"),
])
def test_repay_to_income(kwargs, expected):
    kwargs.setdefault("customers", [customer()])
    got = run(repay_to_income, "IND-REPAY-TO-INCOME", facts(**kwargs))
    assert got.get("C") == expected


@pytest.mark.parametrize("signal", SIGNALS[:5], ids=lambda s: s.id)
def test_signals_without_their_tables_do_not_fire(signal):
    """``financials`` / ``incomes`` None; the IND-DEBT and IND-REPAY signals fall back on the
    declared annual income (see their "income-unknown" cases)."""
    f = facts(customers=[customer(annual="1")], loans=[loan(principal="9", due="9")])
    assert run(signal.calculate, signal.id, f) == {}


def test_signals_are_group_g_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["FIN-REVENUE-DROP", "FIN-LEVERAGE", "FIN-LIQUIDITY",
                                       "FIN-LOSS", "IND-INCOME-DROP", "IND-DEBT-BURDEN",
                                       "IND-REPAY-TO-INCOME"]
    f = facts(statements=[statement("2026-03-31")], income=incomes({"2026-05": "1"}),
              customers=[customer()])
    groups = {s.group for s in SIGNALS}
    assert len(groups) == 1
    for s in SIGNALS:
        assert s.title_zh and s.title_en
        assert s.calculate(f, POLICY.signals[s.id]).schema() == FIRING
