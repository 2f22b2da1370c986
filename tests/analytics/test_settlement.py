"""Settlement (结算渠道) history: the money in of a borrower's accounts at this bank, summed per
account and then per customer, month by month; what the settlement indicators and signals read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.indicators.settlement import (
    HISTORY_MONTHS,
    complete_months,
    monthly_volumes,
    settlement_accounts,
    settlement_history,
    settlement_vs_average,
    settlements,
    volume_column,
)

AS_OF = dt.date(2026, 6, 10)
D = dt.date.fromisoformat
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
ACCOUNT = pa.schema([("account_id", pa.string()), ("customer_id", pa.string()),
                     ("is_own_bank", pa.bool_()), *VALID])
TXN = pa.schema([("account_id", pa.string()), ("occurred_at", pa.timestamp("s")),
                 ("direction", pa.string()), ("amount", pa.decimal128(18, 2)),
                 ("loan_id", pa.string()), *VALID])
# K has two accounts here and one elsewhere; Z's only account here was closed before the date
ACCOUNTS = [
    {"account_id": "A1", "customer_id": "K", "is_own_bank": True},
    {"account_id": "A2", "customer_id": "K", "is_own_bank": True},
    {"account_id": "X1", "customer_id": "K", "is_own_bank": False},
    {"account_id": "Z1", "customer_id": "Z", "is_own_bank": True, "_valid_to": D("2026-06-01")},
]


def txn(account: str, on: str, amount: str, *, direction: str = "in",
        loan: str | None = None) -> dict:
    return {"account_id": account, "occurred_at": dt.datetime.fromisoformat(f"{on}T09:30:00"),
            "direction": direction, "amount": Decimal(amount), "loan_id": loan}


TXNS = [
    txn("A1", "2025-11-03", "100"),  # K's first settlement here
    txn("A1", "2026-04-30", "10"), txn("A2", "2026-04-01", "5.50"),
    txn("A1", "2026-05-31", "20"), txn("A2", "2026-05-15", "1"),
    txn("X1", "2026-05-15", "1000"),  # at another bank
    txn("A1", "2026-05-16", "9000", loan="L1"),  # a disbursement
    txn("A1", "2026-05-17", "800", direction="out"),
    txn("A1", "2026-06-01", "70000"),  # the as-of date's month is not complete
    txn("Z1", "2026-05-15", "3"),
]


def tables(accounts=ACCOUNTS, txns=TXNS) -> tuple[ibis.Table, ibis.Table]:
    return (ibis.memtable(pa.Table.from_pylist(txns, TXN)),
            ibis.memtable(pa.Table.from_pylist(accounts, ACCOUNT)))


def rows(t: ibis.Table) -> dict[str, dict]:
    return {r["customer_id"]: r for r in ibis.duckdb.connect().to_pyarrow(t).to_pylist()}


def test_history_adds_up_each_month_over_the_customer_s_accounts_here():
    history = rows(settlement_history(*tables(), AS_OF))
    assert set(history) == {"K"}  # Z's account is not in force
    k = history["K"]
    assert k["first"] == D("2025-11-03")
    assert k[volume_column(D("2026-05-01"))] == Decimal("21.00")
    assert k[volume_column(D("2026-04-01"))] == Decimal("15.50")
    assert k[volume_column(D("2025-11-01"))] == Decimal("100.00")
    assert k[volume_column(D("2026-03-01"))] is None  # nothing that month


@pytest.mark.parametrize("months, kept", [(3, HISTORY_MONTHS), (HISTORY_MONTHS + 2, HISTORY_MONTHS + 2)])
def test_history_keeps_the_same_months_unless_asked_for_more(months, kept):
    """Every figure of a date reads the same table, which an engine computes once."""
    history = settlement_history(*tables(), AS_OF, months)
    assert [c for c in history.columns if c.startswith("volume_")] == [
        volume_column(m) for m in complete_months(AS_OF, kept)]


def test_monthly_volumes_are_zero_for_a_month_or_a_customer_without_any():
    months = complete_months(AS_OF, 3)
    who = ibis.memtable(pa.table({"customer_id": pa.array(["K", "K", "N"], pa.string())}))
    got = rows(monthly_volumes(settlement_history(*tables(), AS_OF), who, months))
    assert {c: [got[c][volume_column(m)] for m in months] for c in got} == {
        "K": [Decimal("0.00"), Decimal("15.50"), Decimal("21.00")],
        "N": [Decimal("0.00")] * 3}


@pytest.mark.parametrize("first, expected", [
    ("2025-11-03", {"K": (Decimal("21.00"), Decimal("115.50"))}),
    ("2025-12-01", {}),  # settling here since after the baseline's first month
])
def test_settlement_vs_average_needs_the_whole_baseline(first, expected):
    txns = [txn("A1", first, "100") if t["amount"] == Decimal("100") else t for t in TXNS]
    months = complete_months(AS_OF, 7)  # Nov..Apr, and May
    history = settlement_history(*tables(txns=txns), AS_OF, len(months))
    got = rows(settlement_vs_average(history, months))
    assert {c: (r["last"], r["base"]) for c, r in got.items()} == expected


def test_settlements_carry_the_columns_of_the_accounts_given():
    transactions, accounts = tables()
    every_bank = settlement_accounts(accounts, AS_OF, own_bank_only=False)
    s = settlements(transactions, every_bank.mutate(tag=every_bank.account_id.upper()), AS_OF)
    got = ibis.duckdb.connect().to_pyarrow(s).to_pylist()
    assert {(r["customer_id"], r["tag"], r["day"], r["amount"]) for r in got} == {
        ("K", "A1", D("2025-11-03"), Decimal("100.00")), ("K", "A1", D("2026-04-30"), Decimal("10.00")),
        ("K", "A2", D("2026-04-01"), Decimal("5.50")), ("K", "A1", D("2026-05-31"), Decimal("20.00")),
        ("K", "A2", D("2026-05-15"), Decimal("1.00")), ("K", "X1", D("2026-05-15"), Decimal("1000.00"))}
