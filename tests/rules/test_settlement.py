"""Group F, settlement (SETTLE-*): accounts and transactions in, borrower firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.settlement import (
    SIGNALS,
    settlement_below_covenant,
    settlement_drop,
    settlement_vs_revenue,
)
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 10)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
ACCOUNT = pa.schema([("account_id", pa.string()), ("customer_id", pa.string()),
                     ("holder_name", pa.string()), ("holder_type", pa.string()),
                     ("bank_code", pa.string()), ("is_own_bank", pa.bool_()), *VALID])
TXN = pa.schema([
    ("txn_id", pa.string()), ("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
    ("direction", pa.string()), ("amount", MONEY), ("counterparty_account", pa.string()),
    ("counterparty_name", pa.string()), ("counterparty_type", pa.string()), ("channel", pa.string()),
    ("memo", pa.string()), ("loan_id", pa.string()), *VALID])
COVENANT = pa.schema([("loan_id", pa.string()), ("kind", pa.string()),
                      ("threshold", pa.decimal128(18, 4)), *VALID])
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string()),
                      ("outstanding_principal", MONEY), ("dpd", pa.int32())])
LOAN = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                  ("disbursed_on", pa.date32()), *VALID])
FINANCIAL = pa.schema([("customer_id", pa.string()), ("period_end", pa.date32()),
                       ("revenue", MONEY), *VALID])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
ACCOUNTS = [
    {"account_id": "A1", "customer_id": "K", "holder_name": "K Ltd", "holder_type": "company",
     "bank_code": "OWN", "is_own_bank": True},
    {"account_id": "X1", "customer_id": "K", "holder_name": "K Ltd", "holder_type": "company",
     "bank_code": "ICBC", "is_own_bank": False},
]


def txn(at: str, amount: str, *, account: str = "A1", direction: str = "in",
        loan: str | None = None) -> dict:
    return {"txn_id": f"{account}-{at}-{amount}", "account_id": account,
            "occurred_at": dt.datetime.fromisoformat(at), "direction": direction,
            "amount": Decimal(amount), "loan_id": loan}


def monthly(amounts: dict[str, str], **kw) -> list[dict]:
    """One transaction on the 15th of each month ``YYYY-MM``."""
    return [txn(f"{month}-15T10:00:00", amount, **kw) for month, amount in amounts.items()]


def table(rows, schema):
    return None if rows is None else ibis.memtable(pa.Table.from_pylist(list(rows), schema))


def facts(txns: list[dict] | None, *, threshold: str | None = "50000", status: str = "active",
          disbursed: str = "2025-01-05", revenue: tuple[str, str] | None = None,
          previous: tuple[str, str] | None = None, accounts: list[dict] | None = ACCOUNTS) -> Facts:
    snapshot = [{"loan_id": "L1", "customer_id": "K", "status": status,
                 "outstanding_principal": Decimal(1), "dpd": 0}]
    loans = [{"loan_id": "L1", "customer_id": "K", "disbursed_on": D(disbursed)}]
    covenants = [] if threshold is None else [
        {"loan_id": "L1", "kind": "min_monthly_settlement", "threshold": Decimal(threshold)},
        {"loan_id": "L1", "kind": "max_debt_ratio", "threshold": Decimal("0.7")}]
    financials = None if revenue is None else [
        {"customer_id": "K", "period_end": D(end), "revenue": Decimal(amount)}
        for end, amount in filter(None, (revenue, previous))]
    return Facts(as_of=AS_OF, snapshot=table(snapshot, SNAPSHOT), classification=KEYS,
                 class_events=KEYS, ratings=KEYS, previous_ratings=KEYS,
                 loans=table(loans, LOAN), customers=KEYS, bureau_reports=KEYS,
                 registry_events=KEYS, transactions=table(txns, TXN),
                 accounts=table(accounts, ACCOUNT), covenants=table(covenants, COVENANT),
                 financials=table(financials, FINANCIAL))


def run(calc, signal_id: str, f: Facts) -> dict[str, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    assert all(r["loan_id"] is None for r in rows)
    return {r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def evidence(calc, signal_id: str, f: Facts) -> str | None:
    got = run(calc, signal_id, f)
    return got["K"][1] if got else None


BELOW = "settlement through this bank {} below the covenant 50,000.00 a month"


@pytest.mark.parametrize("f, expected", [
    pytest.param(facts(monthly({"2026-04": "40000", "2026-05": "30000"})),
                 BELOW.format("40,000.00 (2026-04), 30,000.00 (2026-05)"), id="two-months-below"),
    pytest.param(facts(monthly({"2026-04": "40000", "2026-05": "50000"})), None,
                 id="one-month-below-does-not"),
    pytest.param(facts(monthly({"2026-04": "49999.99", "2026-05": "50000"})), None,
                 id="exactly-the-covenant-is-not-below"),
    pytest.param(facts(monthly({"2026-05": "10000"})),
                 BELOW.format("0.00 (2026-04), 10,000.00 (2026-05)"), id="a-month-without-any"),
    pytest.param(facts(monthly({"2026-04": "60000", "2026-05": "60000", "2026-06": "1"})), None,
                 id="current-month-ignored"),
    pytest.param(facts(monthly({"2026-04": "60000", "2026-05": "60000"}, account="X1")),
                 BELOW.format("0.00 (2026-04), 0.00 (2026-05)"), id="other-bank-does-not-count"),
    pytest.param(facts(monthly({"2026-04": "60000", "2026-05": "60000"}, loan="L1")),
                 BELOW.format("0.00 (2026-04), 0.00 (2026-05)"), id="disbursement-is-not-settlement"),
    pytest.param(facts(monthly({"2026-04": "60000", "2026-05": "60000"}, direction="out")),
                 BELOW.format("0.00 (2026-04), 0.00 (2026-05)"), id="money-out-is-not-settlement"),
    pytest.param(facts(monthly({"2026-04": "10", "2026-05": "10"}), status="settled"), None,
                 id="settled-loan"),
    pytest.param(facts(monthly({"2026-04": "10", "2026-05": "10"}), threshold=None), None,
                 id="no-covenant"),
    pytest.param(facts(monthly({"2026-04": "10", "2026-05": "10"}), disbursed="2026-04-03"), None,
                 id="loan-younger-than-the-months"),
    pytest.param(facts(None), None, id="no-transactions"),
    pytest.param(facts([], accounts=None), None, id="no-accounts"),
])
def test_settlement_below_covenant(f, expected):
    assert evidence(settlement_below_covenant, "SETTLE-BELOW-COVENANT", f) == expected


BASE = {"2025-11": "100000", "2025-12": "100000", "2026-01": "100000", "2026-02": "100000",
        "2026-03": "100000", "2026-04": "100000"}
DROP = "settlement through this bank {} in 2026-05 vs 6-month average 100,000.00 (2025-11..2026-04), {}"


@pytest.mark.parametrize("f, expected", [
    pytest.param(facts(monthly({**BASE, "2026-05": "20000"})), DROP.format("20,000.00", "-80.0%"),
                 id="down-80%"),
    pytest.param(facts(monthly({**BASE, "2026-05": "50000"})), DROP.format("50,000.00", "-50.0%"),
                 id="exactly-50%-fires"),
    pytest.param(facts(monthly({**BASE, "2026-05": "50000.01"})), None, id="49.99%-does-not"),
    pytest.param(facts(monthly(BASE)), DROP.format("0.00", "-100.0%"), id="nothing-last-month"),
    pytest.param(facts(monthly({**BASE, "2026-05": "20000", "2026-06": "100000"})),
                 DROP.format("20,000.00", "-80.0%"), id="current-month-ignored"),
    pytest.param(facts(monthly({**BASE, "2026-05": "100000", "2026-06": "1"})), None,
                 id="incomplete-current-month-is-no-drop"),
    pytest.param(facts(monthly({k: v for k, v in BASE.items() if k != "2025-11"}
                               | {"2026-05": "1000"})), None, id="baseline-not-full"),
    pytest.param(facts(monthly({"2025-10": "1", "2026-05": "0.5"})), None,
                 id="baseline-mean-not-positive"),
    pytest.param(facts(None), None, id="no-transactions"),
])
def test_settlement_drop(f, expected):
    assert evidence(settlement_drop, "SETTLE-DROP", f) == expected


def test_settlement_drop_with_a_zero_baseline_month():
    got = evidence(settlement_drop, "SETTLE-DROP",
                   facts(monthly({**BASE, "2026-01": "0", "2026-05": "10000"})))
    assert got == ("settlement through this bank 10,000.00 in 2026-05 vs 6-month average 83,333.33 "
                   "(2025-11..2026-04), -88.0%")


REVENUE = ("settlement at all banks {} from 2024-12-31 to 2025-12-31 = {} of the revenue of "
           "that period 1,000,000.00")
# a first flow seen before the statement's period: the borrower's flows are known all along
SEEN = [txn("2024-12-01T09:00:00", "5")]


@pytest.mark.parametrize("txns, expected", [
    pytest.param(SEEN + monthly({"2025-03": "100000", "2025-09": "100000"}, account="X1"),
                 REVENUE.format("200,000.00", "20.0%"), id="20%-of-revenue"),
    pytest.param(SEEN + monthly({"2025-03": "100000", "2025-09": "100000"}, account="X1")
                 + monthly({"2025-10": "100000"}), None, id="exactly-30%-does-not"),
    pytest.param(SEEN + monthly({"2025-03": "100000", "2025-09": "199999.99"}),
                 REVENUE.format("299,999.99", "30.0%"), id="a-cent-below-30%"),
    pytest.param(monthly({"2024-12": "900000", "2026-01": "900000", "2025-06": "1"}),
                 REVENUE.format("1.00", "0.0%"), id="only-the-12-months-to-period-end"),
    pytest.param(SEEN + [txn("2025-01-01T00:00:00", "500000"),
                         txn("2025-12-31T23:59:00", "500000")], None, id="window-edges-inside"),
    pytest.param(SEEN + monthly({"2025-03": "900000"}, loan="L1"), REVENUE.format("0.00", "0.0%"),
                 id="disbursement-is-not-settlement"),
    pytest.param(monthly({"2025-03": "100"}), None, id="flows-seen-only-from-inside-not-judged"),
    pytest.param([], None, id="accounts-without-any-flow-not-judged"),
])
def test_settlement_vs_revenue(txns, expected):
    f = facts(txns, revenue=("2025-12-31", "1000000"))
    assert evidence(settlement_vs_revenue, "SETTLE-VS-REVENUE", f) == expected


def test_settlement_vs_revenue_compares_the_period_since_the_statement_before():
    f = facts(monthly({"2025-06": "1000", "2025-08": "50000", "2025-11": "100000"}),
              revenue=("2025-12-31", "1000000"))
    quarter = facts(monthly({"2025-06": "1000", "2025-08": "50000", "2025-11": "100000"}),
                    revenue=("2025-12-31", "1000000"), previous=("2025-09-30", "900000"))
    assert evidence(settlement_vs_revenue, "SETTLE-VS-REVENUE", f) is None  # flows from June
    assert evidence(settlement_vs_revenue, "SETTLE-VS-REVENUE", quarter) == (
        "settlement at all banks 100,000.00 from 2025-09-30 to 2025-12-31 = 10.0% of the "
        "revenue of that period 1,000,000.00")


@pytest.mark.parametrize("f", [
    pytest.param(facts([], revenue=("2026-06-30", "1000000")), id="statement-after-as-of"),
    pytest.param(facts([], revenue=("2025-12-31", "0")), id="no-revenue"),
    pytest.param(facts([], revenue=("2025-12-31", "1000000"), accounts=[]), id="no-known-account"),
    pytest.param(facts([]), id="no-financials"),
    pytest.param(facts(None, revenue=("2025-12-31", "1000000")), id="no-transactions"),
])
def test_settlement_vs_revenue_does_not_fire(f):
    assert evidence(settlement_vs_revenue, "SETTLE-VS-REVENUE", f) is None


def test_signals_are_group_f_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["SETTLE-BELOW-COVENANT", "SETTLE-DROP", "SETTLE-VS-REVENUE"]
    for f in (facts([], revenue=("2025-12-31", "1")), facts(None, accounts=None)):
        for s in SIGNALS:
            assert s.title_zh and s.title_en and s.group == "settlement"
            assert s.calculate(f, POLICY.signals[s.id]).schema() == FIRING


def test_the_settlement_signals_share_their_pass_over_the_transactions():
    """The transactions are the biggest table: the covenant and drop signals read the same
    settlement history (one pass, summed per account), the revenue check a pass of its own
    joined as it is read."""
    f = facts(monthly(BASE), revenue=("2025-12-31", "1000000"))
    together = ibis.union(*(s.calculate(f, POLICY.signals[s.id]) for s in SIGNALS))
    sql = ibis.to_sql(together, dialect="duckdb")
    assert sql.count(f'FROM "{f.transactions.op().name}"') == 2
