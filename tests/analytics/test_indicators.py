"""Borrower indicators (客户指标): small facts in, one row per borrower on the book out, each
indicator computed from the data known by the as-of date only and NULL without data."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.indicators import IndicatorInputs, borrower_indicators
from loanwatch.analytics.indicators.individual import mean_column, mean_income, mean_incomes
from loanwatch.domain.indicators import INDICATORS, IndicatorKind

AS_OF = dt.date(2026, 6, 10)
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
SCHEMAS = {
    "snapshot": pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                           ("status", pa.string()), ("outstanding_principal", MONEY),
                           ("next_due_amount", MONEY)]),
    "repayment_record": pa.schema([("loan_id", pa.string()), ("late_12m", pa.int32())]),
    "installments": pa.schema([("loan_id", pa.string()), ("seq", pa.int32()),
                               ("due_on", pa.date32()), *VALID]),
    "loans": pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                        ("disbursed_on", pa.date32()), ("maturity_on", pa.date32()),
                        ("principal", MONEY), ("annual_rate", pa.decimal128(12, 8)),
                        ("repayment_method", pa.string()), *VALID]),
    "customers": pa.schema([("customer_id", pa.string()), ("customer_type", pa.string()),
                            ("annual_income", MONEY), *VALID]),
    "bureau_reports": pa.schema([
        ("customer_id", pa.string()), ("reported_on", pa.date32()), ("lenders_count", pa.int32()),
        ("loans_balance", MONEY), ("short_term_balance", MONEY), ("overdue_amount", MONEY),
        ("inquiries_3m", pa.int32()), *VALID]),
    "registry_events": pa.schema([("customer_id", pa.string()), ("occurred_on", pa.date32()),
                                  ("kind", pa.string()), *VALID]),
    "financials": pa.schema([
        ("customer_id", pa.string()), ("period_end", pa.date32()), ("revenue", MONEY),
        ("net_profit", MONEY), ("total_assets", MONEY), ("total_liabilities", MONEY),
        ("current_assets", MONEY), ("current_liabilities", MONEY),
        ("operating_cash_flow", MONEY), *VALID]),
    "incomes": pa.schema([("customer_id", pa.string()), ("month", pa.date32()),
                          ("amount", MONEY), *VALID]),
    "collaterals": pa.schema([
        ("collateral_id", pa.string()), ("loan_id", pa.string()), ("kind", pa.string()),
        ("appraised_value", MONEY), ("appraised_on", pa.date32()), ("status", pa.string()),
        *VALID]),
    "collateral_valuations": pa.schema([("collateral_id", pa.string()),
                                        ("valued_on", pa.date32()), ("value", MONEY), *VALID]),
    "transactions": pa.schema([
        ("txn_id", pa.string()), ("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
        ("direction", pa.string()), ("amount", MONEY), ("loan_id", pa.string()), *VALID]),
    "accounts": pa.schema([("account_id", pa.string()), ("customer_id", pa.string()),
                           ("is_own_bank", pa.bool_()), *VALID]),
    "covenants": pa.schema([("loan_id", pa.string()), ("kind", pa.string()),
                            ("threshold", pa.decimal128(18, 4)), *VALID]),
}
Rows = list[dict[str, Any]]


def table(name: str, rows: Rows) -> ibis.Table:
    return ibis.memtable(pa.Table.from_pylist(rows, SCHEMAS[name]))


# P: an individual, E: an enterprise, both with an active loan; S: only a settled loan
BOOK = {
    "snapshot": [
        {"loan_id": "LP", "customer_id": "P", "status": "active",
         "outstanding_principal": Decimal("300000"), "next_due_amount": Decimal("3000")},
        {"loan_id": "LE", "customer_id": "E", "status": "active",
         "outstanding_principal": Decimal("500000"), "next_due_amount": Decimal("20000")},
        {"loan_id": "LS", "customer_id": "S", "status": "settled",
         "outstanding_principal": Decimal("0"), "next_due_amount": Decimal("0")}],
    # contracts paying 3,000 and 20,000 a month (12 months, equal principal, no interest)
    "loans": [{"loan_id": "LP", "customer_id": "P", "disbursed_on": D("2025-01-05"),
               "maturity_on": D("2026-01-05"), "principal": Decimal("36000"),
               "annual_rate": Decimal(0), "repayment_method": "equal_principal"},
              {"loan_id": "LE", "customer_id": "E", "disbursed_on": D("2025-01-05"),
               "maturity_on": D("2026-01-05"), "principal": Decimal("240000"),
               "annual_rate": Decimal(0), "repayment_method": "equal_principal"},
              {"loan_id": "LS", "customer_id": "S", "disbursed_on": D("2024-01-05"),
               "maturity_on": D("2025-01-05"), "principal": Decimal("1000"),
               "annual_rate": Decimal(0), "repayment_method": "equal_principal"}],
    "customers": [{"customer_id": "P", "customer_type": "individual",
                   "annual_income": Decimal("120000")},
                  {"customer_id": "E", "customer_type": "enterprise", "annual_income": None},
                  {"customer_id": "S", "customer_type": "individual",
                   "annual_income": Decimal("1")}],
}
REQUIRED = ("snapshot", "repayment_record", "installments", "loans", "customers",
            "bureau_reports", "registry_events")


def inputs(**rows: Rows | None) -> IndicatorInputs:
    """The book above with ``rows`` of other tables; an optional table not given is None."""
    given = {**BOOK, **rows}
    tables = {name: table(name, given.get(name, [])) for name in REQUIRED}
    optional = {name: None if given.get(name) is None else table(name, given[name])
                for name in SCHEMAS if name not in REQUIRED}
    return IndicatorInputs(**tables, **optional)


def indicators(x: IndicatorInputs, as_of: dt.date = AS_OF) -> dict[str, dict[str, Any]]:
    rows = ibis.duckdb.connect().to_pyarrow(borrower_indicators(x, as_of)).to_pylist()
    return {r["customer_id"]: r for r in rows}


def monthly_incomes(amounts: dict[str, str], customer: str = "P") -> Rows:
    return [{"customer_id": customer, "month": D(f"{m}-01"), "amount": Decimal(a)}
            for m, a in amounts.items()]


def report(on: str, *, lenders: int = 1, balance: str = "0", short: str = "0",
           overdue: str = "0", inquiries: int = 0, customer: str = "P") -> dict:
    return {"customer_id": customer, "reported_on": D(on), "lenders_count": lenders,
            "loans_balance": Decimal(balance), "short_term_balance": Decimal(short),
            "overdue_amount": Decimal(overdue), "inquiries_3m": inquiries}


def statement(on: str, *, revenue: str = "1000", profit: str = "10", assets: str = "100",
              liabilities: str = "50", current: tuple[str, str] = ("200", "100"),
              cash: str | None = "10", valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"customer_id": "E", "period_end": D(on), "revenue": Decimal(revenue),
            "net_profit": Decimal(profit), "total_assets": Decimal(assets),
            "total_liabilities": Decimal(liabilities), "current_assets": Decimal(current[0]),
            "current_liabilities": Decimal(current[1]),
            "operating_cash_flow": None if cash is None else Decimal(cash),
            "_valid_from": valid[0] and D(valid[0]), "_valid_to": valid[1] and D(valid[1])}


def txn(at: str, amount: str, *, loan: str | None = None, account: str = "A1") -> dict:
    return {"txn_id": f"{account}-{at}", "account_id": account,
            "occurred_at": dt.datetime.fromisoformat(f"{at}T10:00:00"), "direction": "in",
            "amount": Decimal(amount), "loan_id": loan}


def dues(loan: str, *days: str) -> Rows:
    return [{"loan_id": loan, "seq": n, "due_on": D(d)} for n, d in enumerate(days, start=1)]


def key_person(kind: str, on: str) -> dict:
    return {"customer_id": "E", "occurred_on": D(on), "kind": kind}


def ratio(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.000001"))


MONTHS_10 = [f"2025-{m:02d}-10" for m in range(6, 13)] + [f"2026-{m:02d}-10" for m in range(1, 8)]
ACCOUNTS = [{"account_id": "A1", "customer_id": "E", "is_own_bank": True},
            {"account_id": "X1", "customer_id": "E", "is_own_bank": False}]
COVENANT = [{"loan_id": "LE", "kind": "min_monthly_settlement", "threshold": Decimal("50000")}]
SETTLEMENTS = ([txn(f"2025-{m:02d}-15", "60000") for m in (11, 12)]
               + [txn(f"2026-{m:02d}-15", "60000") for m in (1, 2, 3, 4)]
               + [txn("2026-05-15", "30000"), txn("2026-05-20", "900000", loan="LE"),
                  txn("2026-05-21", "70000", account="X1"), txn("2026-06-02", "99000")])

CASES = [
    # individuals: income change = mean of Mar-May / mean of Sep-Feb - 1; June is not complete
    pytest.param({"incomes": monthly_incomes({
        **{m: "1000" for m in ("2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02")},
        "2026-03": "700", "2026-04": "700", "2026-05": "700", "2026-06": "9000"})},
        "P", {"income_change": ratio("-0.3")}, id="income-change"),
    pytest.param({"incomes": monthly_incomes({"2026-04": "700", "2026-05": "700"})},
                 "P", {"income_change": None}, id="income-change-without-baseline-is-null"),
    pytest.param({}, "P", {"income_change": None}, id="no-incomes-table-is-null"),
    # debt burden = (300,000 here + 300,000 bureau) / declared 120,000; the report dated after
    # the as-of date is not known yet
    pytest.param({"bureau_reports": [report("2026-05-01", balance="300000"),
                                     report("2026-06-11", balance="900000")]},
                 "P", {"debt_burden_ratio": ratio("5"), "repayment_to_income": ratio("0.3")},
                 id="debt-burden-and-repayment-to-income-from-declared-income"),
    pytest.param({"incomes": monthly_incomes({f"2025-{m:02d}": "5000" for m in range(6, 13)}
                                             | {f"2026-{m:02d}": "5000" for m in range(1, 6)})},
                 "P", {"debt_burden_ratio": ratio("5"), "repayment_to_income": ratio("0.6")},
                 id="debt-burden-and-repayment-to-income-from-incomes"),
    pytest.param({}, "E", {"debt_burden_ratio": None, "repayment_to_income": None,
                           "income_change": None}, id="individual-ratios-null-for-enterprises"),
    # repayment here: installments due in (2025-06-10, 2026-06-10]: 12; three of them late
    pytest.param({"installments": dues("LP", *MONTHS_10), "repayment_record": [
                  {"loan_id": "LP", "late_12m": 3}]},
                 "P", {"due_installments_12m": 12, "late_installments_12m": 3,
                       "overdue_rate_12m": ratio("0.25")}, id="overdue-rate-12m"),
    pytest.param({"installments": dues("LP", "2026-07-10")}, "P",
                 {"due_installments_12m": None, "late_installments_12m": None,
                  "overdue_rate_12m": None}, id="nothing-due-yet-is-null"),
    # bureau: lenders against the latest report on or before 2026-03-10; short-term debt
    # against the oldest report after 2025-12-10; a report after the as-of date is ignored
    pytest.param({"bureau_reports": [
        report("2025-12-10", lenders=1, short="10"), report("2026-01-15", lenders=1, short="100000"),
        report("2026-03-10", lenders=2, short="120000"),
        report("2026-06-01", lenders=5, short="150000", overdue="800", inquiries=7),
        report("2026-06-20", lenders=9, short="900000", overdue="0", inquiries=0)]},
        "P", {"lenders_count": 5, "lenders_added_3m": 3, "inquiries_3m": 7,
              "bureau_overdue_amount": Decimal("800.00"),
              "short_term_debt_growth_6m": ratio("0.5")}, id="bureau"),
    pytest.param({"bureau_reports": [report("2026-06-01", lenders=5, short="150000")]},
                 "P", {"lenders_count": 5, "lenders_added_3m": None,
                       "short_term_debt_growth_6m": None}, id="one-report-has-no-growth"),
    pytest.param({}, "P", {"lenders_count": None, "inquiries_3m": None,
                           "bureau_overdue_amount": None}, id="no-report-is-null"),
    # settlement through this bank in May (disbursement, other bank and June left out),
    # against the covenant and the mean of Nov-Apr
    pytest.param({"transactions": SETTLEMENTS, "accounts": ACCOUNTS, "covenants": COVENANT},
                 "E", {"settlement_last_month": Decimal("30000.00"),
                       "settlement_covenant_min": Decimal("50000.00"),
                       "settlement_to_covenant": ratio("0.6"),
                       "settlement_avg_6m": Decimal("60000.00"),
                       "settlement_change_vs_avg": ratio("-0.5")}, id="settlement"),
    pytest.param({"transactions": SETTLEMENTS[2:], "accounts": ACCOUNTS, "covenants": []},
                 "E", {"settlement_last_month": Decimal("30000.00"),
                       "settlement_covenant_min": None, "settlement_to_covenant": None,
                       "settlement_avg_6m": None, "settlement_change_vs_avg": None},
                 id="settlement-without-covenant-or-six-months-of-history"),
    pytest.param({"transactions": [], "accounts": [], "covenants": COVENANT},
                 "E", {"settlement_last_month": Decimal("0.00"),
                       "settlement_to_covenant": ratio("0")}, id="covenant-without-account"),
    pytest.param({}, "E", {"settlement_last_month": None}, id="no-transactions-is-null"),
    # financial statements: the newest by the as-of date against a year before and the last
    # of last year; a statement dated after D, or a version not in force, is ignored
    pytest.param({"financials": [
        statement("2025-03-31", revenue="1000"),
        statement("2025-12-31", liabilities="70", cash="-5"),
        statement("2026-03-31", revenue="700", profit="-20", liabilities="93",
                  current=("80", "100"), cash="-1"),
        statement("2026-03-31", revenue="9999", valid=("2026-06-11", None)),
        statement("2026-06-30", revenue="1", liabilities="1")]},
        "E", {"revenue_change_yoy": ratio("-0.3"), "debt_ratio": ratio("0.93"),
              "debt_ratio_change_ytd": ratio("0.23"), "current_ratio": ratio("0.8"),
              "net_loss": True, "negative_cash_flow_periods": 2}, id="statements"),
    pytest.param({"financials": [statement("2026-03-31", cash=None)]},
                 "E", {"revenue_change_yoy": None, "debt_ratio": ratio("0.5"),
                       "debt_ratio_change_ytd": None, "net_loss": False,
                       "negative_cash_flow_periods": None}, id="one-statement"),
    pytest.param({}, "E", {"debt_ratio": None, "net_loss": None}, id="no-statements-is-null"),
    # collateral: 500,000 outstanding on a collateral revalued 1,000,000 -> 600,000 (the
    # valuation after the as-of date is not known yet)
    pytest.param({"collaterals": [{"collateral_id": "K1", "loan_id": "LE", "kind": "property",
                                   "appraised_value": Decimal("1000000"),
                                   "appraised_on": D("2025-01-01"), "status": "registered"}],
                  "collateral_valuations": [
                      {"collateral_id": "K1", "valued_on": D("2026-05-31"), "value": Decimal("600000")},
                      {"collateral_id": "K1", "valued_on": D("2026-06-30"), "value": Decimal("1")}]},
                 "E", {"max_ltv": ratio("0.833333"), "worst_collateral_value_change": ratio("-0.4")},
                 id="collateral"),
    pytest.param({}, "E", {"max_ltv": None, "worst_collateral_value_change": None},
                 id="no-collateral-is-null"),
    # registry: key-person changes in (2025-06-10, 2026-06-10]
    pytest.param({"registry_events": [
        key_person("legal_rep_change", "2025-06-10"), key_person("director_change", "2025-06-11"),
        key_person("shareholder_change", "2026-06-10"), key_person("address_change", "2026-01-01"),
        key_person("finance_head_change", "2026-06-11")]},
        "E", {"key_person_changes_12m": 2}, id="key-person-changes"),
    pytest.param({}, "E", {"key_person_changes_12m": 0}, id="no-registry-event-is-zero"),
]


@pytest.mark.parametrize("rows, customer, expected", CASES)
def test_indicator_values(rows, customer, expected):
    got = indicators(inputs(**rows))[customer]
    assert {k: got[k] for k in expected} == expected


def test_one_row_per_borrower_on_the_book_with_every_indicator_in_order():
    t = borrower_indicators(inputs(), AS_OF)
    assert t.columns == ("customer_id", "as_of", "customer_type", *(i.name for i in INDICATORS))
    got = indicators(inputs())
    assert sorted(got) == ["E", "P"]  # S has only a settled loan
    assert got["P"]["as_of"] == AS_OF and got["P"]["customer_type"] == "individual"


def test_indicator_types_follow_their_kind():
    schema = borrower_indicators(inputs(), AS_OF).schema()
    expected = {IndicatorKind.RATIO: "decimal(18, 6)", IndicatorKind.MONEY: "decimal(18, 2)",
                IndicatorKind.COUNT: "int64", IndicatorKind.FLAG: "boolean"}
    for i in INDICATORS:
        assert str(schema[i.name]) == expected[i.kind], i.name


def test_an_earlier_as_of_date_sees_only_what_was_known_then():
    x = inputs(bureau_reports=[report("2026-01-15", lenders=1), report("2026-06-01", lenders=5)])
    assert indicators(x)["P"]["lenders_count"] == 5
    assert indicators(x, D("2026-05-31"))["P"]["lenders_count"] == 1


def test_every_indicator_has_labels():
    assert len({i.name for i in INDICATORS}) == len(INDICATORS)
    for i in INDICATORS:
        assert i.label_zh and i.label_en and i.name.islower()


def test_no_table_at_all_gives_nulls_not_errors():
    x = replace(inputs(), financials=None, incomes=None, collaterals=None,
                collateral_valuations=None, transactions=None, accounts=None, covenants=None)
    row = indicators(x)["E"]
    assert all(row[i.name] is None for i in INDICATORS if i.name != "key_person_changes_12m")


def test_the_mart_reads_each_big_table_once():
    """The transactions (tens of millions of rows) and the incomes feed several indicators:
    each is read in one pass (the settlement history, the income means) they all share."""
    x = inputs(transactions=SETTLEMENTS, accounts=ACCOUNTS, covenants=COVENANT,
               incomes=monthly_incomes({"2026-04": "700", "2026-05": "700"}))
    sql = ibis.to_sql(borrower_indicators(x, AS_OF), dialect="duckdb")
    for t in (x.transactions, x.incomes):
        assert sql.count(f'FROM "{t.op().name}"') == 1


def test_income_means_of_every_window_come_from_one_table():
    t = table("incomes", monthly_incomes({"2025-09": "1000", "2026-05": "700"}))
    means = mean_incomes(t, AS_OF, [(2, 0)])  # the indicators' windows, and one more
    (row,) = ibis.duckdb.connect().to_pyarrow(means).to_pylist()
    assert {name: row[mean_column(*w)] for name, w in [
        ("3 months", (3, 0)), ("6 before those", (6, 3)), ("12 months", (12, 0)),
        ("2 months", (2, 0))]} == {"3 months": Decimal("700.00"),
                                   "6 before those": Decimal("1000.00"),
                                   "12 months": Decimal("850.00"), "2 months": Decimal("700.00")}
    assert ibis.duckdb.connect().to_pyarrow(mean_income(t, AS_OF, 1, 1)).num_rows == 0  # April
