"""Bucket migration, roll and cure rates on a hand-built pair of month ends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.migration import bucket_migration, previous_month_ends, roll_rates

FEB, MAR = dt.date(2026, 2, 28), dt.date(2026, 3, 31)
M = Decimal
BUCKETS = ["M0", "M1", "M2", "M3"]

# loan: (status, bucket, outstanding) at the end of February, then of March
BOOK = {
    "A": (("active", "M0", "1000.00"), ("active", "M0", "900.00")),    # stays current
    "B": (("active", "M0", "2000.00"), ("active", "M1", "2000.00")),   # C -> M1
    "C": (("active", "M1", "3000.00"), ("active", "M2", "3000.00")),   # M1 -> M2
    "D": (("active", "M1", "1000.00"), ("active", "M0", "800.00")),    # cured
    "E": (("active", "M2", "4000.00"), ("written_off", "M3", "4000.00")),
    "F": (("active", "M0", "500.00"), ("settled", "M0", "0.00")),      # paid off
    "G": (("settled", "M0", "0.00"), ("settled", "M0", "0.00")),       # not in February's book
    "H": (None, ("active", "M0", "700.00")),                           # new in March
}


def _snapshot():
    rows = [(loan, day, *state) for loan, states in BOOK.items()
            for day, state in zip((FEB, MAR), states, strict=True) if state]
    return ibis.memtable(pa.table({
        "loan_id": [r[0] for r in rows], "as_of": pa.array([r[1] for r in rows], pa.date32()),
        "status": [r[2] for r in rows], "bucket": [r[3] for r in rows],
        "outstanding_principal": pa.array([M(r[4]) for r in rows], pa.decimal128(18, 2))}))


@pytest.fixture(scope="module")
def tables():
    con = ibis.duckdb.connect()
    migration = bucket_migration(_snapshot(), previous_month_ends([MAR]))
    moves = {(r["from_bucket"], r["to_state"]): r for r in con.to_pyarrow(migration).to_pylist()}
    rolls = {r["from_bucket"]: r for r in con.to_pyarrow(roll_rates(migration, BUCKETS)).to_pylist()}
    return moves, rolls


def test_migration_matrix(tables):
    moves, _ = tables
    assert {k: (r["loans"], r["balance_before"], r["balance_now"]) for k, r in moves.items()} == {
        ("M0", "M0"): (1, M("1000.00"), M("900.00")),
        ("M0", "M1"): (1, M("2000.00"), M("2000.00")),
        ("M0", "settled"): (1, M("500.00"), M("0.00")),
        ("M1", "M2"): (1, M("3000.00"), M("3000.00")),
        ("M1", "M0"): (1, M("1000.00"), M("800.00")),
        ("M2", "written_off"): (1, M("4000.00"), M("0.00")),
    }


def test_roll_and_cure_rates(tables):
    _, rolls = tables
    # C -> M1: 2,000 of February's current 3,500 (A 1,000 + B 2,000 + F 500)
    assert rolls["M0"]["balance_before"] == M("3500.00")
    assert rolls["M0"]["roll_rate"] == pytest.approx(2000 / 3500)
    # M1 -> M2: C 3,000 of 4,000; cured: D now 800 of 4,000
    assert (rolls["M1"]["rolled_forward"], rolls["M1"]["cured"]) == (M("3000.00"), M("800.00"))
    assert rolls["M1"]["roll_rate"] == pytest.approx(0.75) and rolls["M1"]["cure_rate"] == pytest.approx(0.2)
    # M2 written off: nothing rolled to M3
    assert rolls["M2"]["roll_rate"] == 0.0


def test_previous_month_end_of_any_day():
    assert previous_month_ends([dt.date(2024, 3, 1), dt.date(2024, 1, 31)]) == {
        dt.date(2024, 3, 1): dt.date(2024, 2, 29), dt.date(2024, 1, 31): dt.date(2023, 12, 31)}
