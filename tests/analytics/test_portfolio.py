"""Overdue rates on a hand-built book: every figure is worked out in the comments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.portfolio import Provisioning, overdue_rates

D = dt.date(2026, 3, 31)
M = Decimal
FROM_DPD = {"m1": 1, "m2": 31, "m3": 61, "m4": 91}

# loan, customer, product, branch, status, dpd, outstanding, disbursed
BOOK = [
    ("A", "C1", "consumer", "B1", "active", 0, "1000.00", "2025-01-15"),
    ("B", "C1", "consumer", "B1", "active", 15, "3000.00", "2025-01-20"),
    ("C", "C2", "business", "B2", "active", 45, "4000.00", "2025-02-01"),
    ("D", "C3", "business", "B2", "active", 95, "2000.00", "2025-02-10"),
    ("E", "C3", "business", "B2", "settled", 0, "0.00", "2025-02-10"),      # not in the book
    ("F", "C4", "consumer", "B1", "written_off", 400, "500.00", "2024-06-01"),  # off balance
]
CUSTOMERS = [("C1", "341", "110101"), ("C2", "F51", "310101"), ("C3", "F51", "310101"),
             ("C4", "341", "110101")]


def _tables():
    snap = pa.table({
        "loan_id": [r[0] for r in BOOK], "customer_id": [r[1] for r in BOOK],
        "product": [r[2] for r in BOOK], "branch_id": [r[3] for r in BOOK],
        "manager_id": ["M1"] * len(BOOK), "status": [r[4] for r in BOOK],
        "dpd": pa.array([r[5] for r in BOOK], pa.int32()),
        "outstanding_principal": pa.array([M(r[6]) for r in BOOK], pa.decimal128(18, 2)),
        "disbursed_on": pa.array([dt.date.fromisoformat(r[7]) for r in BOOK], pa.date32()),
        "as_of": pa.array([D] * len(BOOK), pa.date32()),
    })
    cust = pa.table({"customer_id": [c[0] for c in CUSTOMERS], "industry": [c[1] for c in CUSTOMERS],
                     "region": [c[2] for c in CUSTOMERS],
                     "_valid_from": pa.array([None] * 4, pa.date32()),
                     "_valid_to": pa.array([None] * 4, pa.date32())})
    return ibis.memtable(snap), ibis.memtable(cust)


@pytest.fixture(scope="module")
def rates():
    snap, cust = _tables()
    rows = ibis.duckdb.connect().to_pyarrow(overdue_rates(snap, cust, FROM_DPD)).to_pylist()
    return {(r["dimension"], r["segment"]): r for r in rows}


def test_whole_book(rates):
    r = rates[("all", "*")]
    # active with outstanding: A B C D, 10,000 in all
    assert (r["loans"], r["outstanding"]) == (4, M("10000.00"))
    # M1+ = B C D: 3 of 4 loans, 9,000 of 10,000
    assert (r["m1_loans"], r["m1_balance"]) == (3, M("9000.00"))
    assert r["m1_rate_count"] == pytest.approx(0.75) and r["m1_rate_balance"] == pytest.approx(0.9)
    # M2+ (DPD >= 31) = C D: 6,000; M3+ (>= 61) = D: 2,000; M4+ (>= 91) = D
    assert (r["m2_loans"], r["m2_balance"]) == (2, M("6000.00"))
    assert (r["m3_loans"], r["m3_balance"]) == (1, M("2000.00"))
    assert (r["m4_loans"], r["m4_balance"]) == (1, M("2000.00"))
    assert r["m4_rate_balance"] == pytest.approx(0.2)


def test_segments(rates):
    # consumer: A B (4,000), M1+ = B 3,000
    consumer = rates[("product", "consumer")]
    assert (consumer["loans"], consumer["m1_balance"], consumer["m1_rate_balance"]) == (
        2, M("3000.00"), pytest.approx(0.75))
    # industry F51 (customers C2, C3): C D, 6,000, all M1+, M4+ = D 2,000 -> 1/3
    f51 = rates[("industry", "F51")]
    assert (f51["loans"], f51["outstanding"]) == (2, M("6000.00"))
    assert f51["m4_rate_balance"] == pytest.approx(1 / 3)
    # vintage 2025-01: A B
    assert rates[("vintage", "2025-01")]["loans"] == 2
    assert rates[("region", "310101")]["m2_loans"] == 2
    assert ("product", "settled") not in rates and ("branch_id", "B2") in rates
    assert rates[("branch_id", "B2")]["m1_rate_count"] == pytest.approx(1.0)


# loan, five_class, stage, ecl (F is written off: not on the book, its ECL not in the allowance)
CLASSES = [("A", "normal", 1, "4.50"), ("B", "special_mention", 2, "60.00"),
           ("C", "substandard", 3, "800.00"), ("D", "doubtful", 3, "1500.00"),
           ("E", "normal", 1, "0.00"), ("F", "loss", 3, "500.00")]


def test_npl_ratio_loss_allowance_and_provision_coverage():
    snap, cust = _tables()
    classes = ibis.memtable(pa.table({
        "loan_id": [c[0] for c in CLASSES], "as_of": pa.array([D] * len(CLASSES), pa.date32()),
        "five_class": [c[1] for c in CLASSES], "stage": pa.array([c[2] for c in CLASSES], pa.int8()),
        "ecl": pa.array([M(c[3]) for c in CLASSES], pa.decimal128(18, 2))}))
    rows = ibis.duckdb.connect().to_pyarrow(overdue_rates(
        snap, cust, FROM_DPD, classes, Provisioning(("substandard", "doubtful", "loss")))
    ).to_pylist()
    by = {(r["dimension"], r["segment"]): r for r in rows}
    r = by[("all", "*")]
    # NPL = C 4,000 + D 2,000 = 6,000 of 10,000; allowance 4.50 + 60 + 800 + 1,500 = 2,364.50
    assert (r["npl_balance"], r["loss_allowance"]) == (M("6000.00"), M("2364.50"))
    assert (r["stage2_balance"], r["stage3_balance"]) == (M("3000.00"), M("6000.00"))
    assert r["npl_ratio"] == pytest.approx(0.6)
    assert r["provision_coverage"] == pytest.approx(2364.50 / 6000)   # 39.4%
    assert r["provision_ratio"] == pytest.approx(2364.50 / 10000)     # 23.6%
    # required: max(150% x 6,000 = 9,000, 2.5% x 10,000 = 250) = 9,000; short 6,635.50
    assert (r["provision_required"], r["provision_shortfall"]) == (M("9000.00"), M("6635.50"))
    # consumer: A, B (1,000 + 3,000), none non-performing: coverage has no NPL to cover
    c = by[("product", "consumer")]
    assert (c["npl_balance"], c["npl_ratio"], c["provision_coverage"]) == (M("0.00"), 0.0, None)
    # required 2.5% x 4,000 = 100.00; allowance 64.50: short 35.50
    assert (c["provision_required"], c["provision_shortfall"]) == (M("100.00"), M("35.50"))
