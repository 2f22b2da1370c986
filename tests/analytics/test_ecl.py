"""Expected credit loss worked out by hand to the cent, and the security behind each LGD.

As of 2026-03-31. PDs, LGDs and discount factors are rounded half up to 6 decimals, the
ECL = PD × LGD × EAD × discount half up to the cent; remaining years = days to maturity / 365.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.ecl import EclRules, expected_credit_loss, loan_security
from loanwatch.engines.ibis_duckdb import DuckDBEngine

AS_OF = dt.date(2026, 3, 31)
M = Decimal
D = dt.date.fromisoformat
N = None

# loan: product, stage, pd_12m, outstanding principal, overdue interest, overdue fee,
# maturity, annual rate, security
LOANS = {
    "S1": ("consumer", 1, "0.008", "100000.00", "500.00", "20.00", "2028-03-30", "0.06", N),
    "S2": ("consumer", 2, "0.008", "100000.00", "500.00", "20.00", "2028-03-30", "0.06", N),
    "S3": ("consumer", 3, "0.008", "100000.00", "500.00", "20.00", "2028-03-30", "0.06", N),
    "S2-SHORT": ("business", 2, "0.03", "200000.00", "0.00", "0.00", "2026-09-30", "0.05",
                 "mortgage"),
    "S2-PAST": ("business", 2, "0.015", "50000.00", "1200.00", "0.00", "2026-01-31", "0.08",
                "guarantee"),
    "S2-3Y": ("business", 2, "0.06", "80000.00", N, N, "2029-03-30", "0.08", "pledge"),
    "S1-PLEDGE": ("business", 1, "0.0005", "300000.00", "0.00", "0.00", "2027-03-31", "0.045",
                  "pledge"),
    "HALF-CENT": ("consumer", 3, "0.25", "1000.00", "0.10", "0.00", "2026-06-30", "0.06", N),
    "NO-RATING": ("consumer", 1, N, "1000.00", "0.00", "0.00", "2027-03-31", "0.06", N),
    "LARGE": ("business", 3, "0.25", "99999999999.99", "0.00", "0.00", "2027-03-31", "0.06",
              "pledge"),
}

# loan: ead, lgd, pd over the horizon, discount, ecl
EXPECTED = {
    # stage 1: 12-month PD, default half a year out: 1 / 1.06^0.5 = 0.9712858… → 0.971286;
    # 0.008 × 0.45 × 100,520.00 × 0.971286 = 351.4812… → 351.48
    "S1": ("100520.00", "0.45", "0.008", "0.971286", "351.48"),
    # stage 2, 730 days = 2 years: lifetime PD 1 − 0.992² = 0.015936; 1 / 1.06^1 = 0.943396;
    # 0.015936 × 0.45 × 100,520.00 × 0.943396 = 680.0460… → 680.05
    "S2": ("100520.00", "0.45", "0.015936", "0.943396", "680.05"),
    # stage 3: PD 1, no discount: 0.45 × 100,520.00
    "S3": ("100520.00", "0.45", "1", "1", "45234.00"),
    # 183 days = 0.50137 years: the PD horizon is at least a year, so PD = 0.03;
    # t = 0.50137 / 2 = 0.250685, 1 / 1.05^0.250685 = 0.9878435… → 0.987844;
    # 0.03 × 0.25 (mortgage) × 200,000.00 × 0.987844 = 1,481.766 → 1,481.77
    "S2-SHORT": ("200000.00", "0.25", "0.03", "0.987844", "1481.77"),
    # past maturity: a one-year horizon, no discount (t = 0); 0.015 × 0.40 × 51,200.00
    "S2-PAST": ("51200.00", "0.40", "0.015", "1", "307.20"),
    # 1,095 days = 3 years: 1 − 0.94³ = 0.169416; 1 / 1.08^1.5 = 0.8909726… → 0.890973;
    # 0.169416 × 0.10 (pledge) × 80,000.00 × 0.890973 = 1,207.5606… → 1,207.56
    "S2-3Y": ("80000.00", "0.10", "0.169416", "0.890973", "1207.56"),
    # 1 / 1.045^0.5 = 0.9782319… → 0.978232; 0.0005 × 0.10 × 300,000 × 0.978232 = 14.6734…
    "S1-PLEDGE": ("300000.00", "0.10", "0.0005", "0.978232", "14.67"),
    # 0.45 × 1,000.10 = 450.045: half a cent rounds up (banker's rounding would give 450.04)
    "HALF-CENT": ("1000.10", "0.45", "1", "1", "450.05"),
    # no rating, no PD: no ECL rather than a made-up one
    "NO-RATING": ("1000.00", "0.45", N, "0.971286", N),
    # 0.10 × 99,999,999,999.99 = 9,999,999,999.999 → 10,000,000,000.00 without overflow
    "LARGE": ("99999999999.99", "0.10", "1", "1", "10000000000.00"),
}


def _money(values: list[str | None]) -> pa.Array:
    return pa.array([v and M(v) for v in values], pa.decimal128(18, 2))


def _loans() -> ibis.Table:
    rows = [(loan, *r) for loan, r in LOANS.items()]
    col = list(zip(*rows, strict=True))
    return ibis.memtable(pa.table({
        "loan_id": col[0], "as_of": pa.array([AS_OF] * len(rows), pa.date32()),
        "product": col[1], "stage": pa.array(col[2], pa.int8()),
        "pd_12m": pa.array([v and M(v) for v in col[3]], pa.decimal128(9, 6)),
        "outstanding_principal": _money(col[4]), "overdue_interest": _money(col[5]),
        "overdue_fee": _money(col[6]),
        "maturity_on": pa.array([D(v) for v in col[7]], pa.date32()),
        "annual_rate": pa.array([M(v) for v in col[8]], pa.decimal128(12, 8)),
        "security": pa.array(col[9], pa.string()),
        "branch_id": ["B1"] * len(rows)}))


@pytest.fixture(scope="module")
def engine():
    engine = DuckDBEngine.open(con=duckdb.connect())
    yield engine
    engine.close()


def _ecl(engine: DuckDBEngine, rules: EclRules) -> dict[str, dict]:
    rows = engine.to_arrow(expected_credit_loss(_loans(), rules)).to_pylist()
    return {r["loan_id"]: r for r in rows}


@pytest.fixture(scope="module")
def ecl(engine) -> dict[str, dict]:
    return _ecl(engine, EclRules())


@pytest.mark.parametrize("loan", list(EXPECTED))
def test_ecl_by_hand(ecl: dict[str, dict], loan: str) -> None:
    r = ecl[loan]
    got = tuple(r[k] for k in ("ead", "lgd", "pd_horizon", "discount", "ecl"))
    assert got == tuple(v and M(v) for v in EXPECTED[loan])


def test_types_and_kept_columns() -> None:
    schema = expected_credit_loss(_loans(), EclRules()).schema()
    assert [str(schema[c]) for c in ("ead", "lgd", "pd_horizon", "discount", "ecl")] == [
        "decimal(18, 2)", "decimal(9, 6)", "decimal(9, 6)", "decimal(9, 6)", "decimal(18, 2)"]
    assert "branch_id" in schema


def test_a_product_lgd_replaces_only_the_unsecured_one(engine) -> None:
    rules = EclRules(unsecured_lgd_by_product=(("consumer", M("0.60")), ("micro", M("0.70"))))
    ecl = _ecl(engine, rules)
    # consumer, unsecured: 0.008 × 0.60 × 100,520.00 × 0.971286 = 468.6416… → 468.64
    assert (ecl["S1"]["lgd"], ecl["S1"]["ecl"]) == (M("0.60"), M("468.64"))
    # business keeps 0.45 / the security's LGD
    assert (ecl["S2-PAST"]["lgd"], ecl["S2-PAST"]["ecl"]) == (M("0.40"), M("307.20"))


# --- the security of each loan ---------------------------------------------------------------

# guarantee: loan, kind, valid from, valid to
GUARANTEES = [
    ("G-ONLY", "guarantee", N, N),
    ("G-AND-PROPERTY", "guarantee", N, N),
    ("DEPOSIT-AND-MORTGAGE", "mortgage", N, N),
    ("ENDED-PLEDGE", "pledge", N, "2026-03-31"),    # ended on the as-of date: not in force
    ("ENDED-PLEDGE", "guarantee", N, N),
    ("FUTURE-PLEDGE", "pledge", "2026-04-01", N),   # not yet in force
]
# collateral: loan, kind, status
COLLATERALS = [
    ("G-AND-PROPERTY", "property", "registered"),
    ("DEPOSIT-AND-MORTGAGE", "deposit", "registered"),
    ("RELEASED-LAND", "land", "released"),
    ("EQUIPMENT", "equipment", "registered"),       # not a kind that counts
    ("SEIZED-PROPERTY", "property", "seized"),
    ("NO-STATUS-LAND", "land", N),
]


def _security_tables() -> tuple[ibis.Table, ibis.Table]:
    g = pa.table({
        "guarantee_id": [f"G{i}" for i in range(len(GUARANTEES))],
        "loan_id": [r[0] for r in GUARANTEES], "guarantor_customer_id": ["C9"] * len(GUARANTEES),
        "kind": [r[1] for r in GUARANTEES],
        "amount": _money(["10000.00"] * len(GUARANTEES)),
        "_valid_from": pa.array([r[2] and D(r[2]) for r in GUARANTEES], pa.date32()),
        "_valid_to": pa.array([r[3] and D(r[3]) for r in GUARANTEES], pa.date32())})
    n = len(COLLATERALS)
    c = pa.table({
        "collateral_id": [f"K{i}" for i in range(n)], "loan_id": [r[0] for r in COLLATERALS],
        "kind": [r[1] for r in COLLATERALS], "description": ["-"] * n,
        "appraised_value": _money(["50000.00"] * n),
        "appraised_on": pa.array([D("2025-01-01")] * n, pa.date32()),
        "status": pa.array([r[2] for r in COLLATERALS], pa.string()),
        "_valid_from": pa.array([None] * n, pa.date32()),
        "_valid_to": pa.array([None] * n, pa.date32())})
    return ibis.memtable(g), ibis.memtable(c)


def test_strongest_security_in_force(engine) -> None:
    rows = engine.to_arrow(loan_security(*_security_tables(), AS_OF)).to_pylist()
    assert {r["loan_id"]: r["security"] for r in rows} == {
        "G-ONLY": "guarantee",
        "G-AND-PROPERTY": "mortgage",            # property beats a guarantee
        "DEPOSIT-AND-MORTGAGE": "pledge",        # a deposit beats a mortgage
        "ENDED-PLEDGE": "guarantee",             # the pledge ended
        "SEIZED-PROPERTY": "mortgage",
        "NO-STATUS-LAND": "mortgage",
        # RELEASED-LAND, EQUIPMENT and FUTURE-PLEDGE: unsecured, no row
    }
