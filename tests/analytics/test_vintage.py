"""Vintage points on a hand-built book of two cohorts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.vintage import vintage

D = dt.date(2026, 3, 31)
M = Decimal
# loan: disbursed, mob at D, status, dpd, principal, outstanding
BOOK = [
    ("A", "2025-12-05", 3, "active", 0, "1000.00", "800.00"),
    ("B", "2025-12-20", 3, "active", 40, "3000.00", "2500.00"),
    ("C", "2025-12-28", 3, "active", 75, "1000.00", "900.00"),
    ("D", "2025-12-31", 3, "written_off", 200, "5000.00", "4000.00"),
    ("E", "2026-02-01", 1, "settled", 0, "2000.00", "0.00"),
    ("F", "2026-04-10", 0, "not_started", 0, "9000.00", "0.00"),
]


@pytest.fixture(scope="module")
def points():
    t = ibis.memtable(pa.table({
        "as_of": pa.array([D] * len(BOOK), pa.date32()),
        "disbursed_on": pa.array([dt.date.fromisoformat(r[1]) for r in BOOK], pa.date32()),
        "mob": pa.array([r[2] for r in BOOK], pa.int32()), "status": [r[3] for r in BOOK],
        "dpd": pa.array([r[4] for r in BOOK], pa.int32()),
        "principal": pa.array([M(r[5]) for r in BOOK], pa.decimal128(18, 2)),
        "outstanding_principal": pa.array([M(r[6]) for r in BOOK], pa.decimal128(18, 2))}))
    rows = ibis.duckdb.connect().to_pyarrow(vintage(t, 1, 61)).to_pylist()
    return {r["cohort"]: r for r in rows}


def test_december_cohort_at_three_months_on_book(points):
    dec = points["2025-12"]
    # A B C D disbursed 10,000; active outstanding A B C = 4,200
    assert (dec["mob"], dec["loans"]) == (3, 4)
    assert (dec["disbursed"], dec["outstanding"]) == (M("10000.00"), M("4200.00"))
    # M1+ = B C (3,400), M3+ (DPD >= 61) = C (900); D written off with 4,000 outstanding
    assert (dec["m1_balance"], dec["m3_balance"], dec["written_off_balance"]) == (
        M("3400.00"), M("900.00"), M("4000.00"))
    assert dec["m1_rate_balance"] == pytest.approx(0.34) and dec["m3_rate_balance"] == pytest.approx(0.09)
    assert dec["m1_rate_count"] == pytest.approx(0.5) and dec["write_off_rate"] == pytest.approx(0.4)


def test_settled_loans_stay_in_their_cohort_and_undisbursed_ones_are_not_counted(points):
    feb = points["2026-02"]
    assert (feb["loans"], feb["disbursed"]) == (1, M("2000.00"))
    assert (feb["outstanding"], feb["m1_loans"]) == (M("0.00"), 0)
    assert "2026-04" not in points
