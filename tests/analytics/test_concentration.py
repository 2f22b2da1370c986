"""Top borrowers' share of the book, by hand."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.analytics.concentration import top_borrowers

D = dt.date(2026, 3, 31)
M = Decimal
# loan, customer, status, outstanding: C1 600 + 400 = 1,000; C2 1,000; C3 500; book 2,500
BOOK = [("A", "C1", "active", "600.00"), ("B", "C1", "active", "400.00"),
        ("C", "C2", "active", "1000.00"), ("D", "C3", "active", "500.00"),
        ("E", "C4", "written_off", "9000.00"), ("F", "C5", "settled", "0.00")]


def test_top_borrowers_with_shares_and_ties_by_customer_id():
    t = ibis.memtable(pa.table({
        "as_of": pa.array([D] * len(BOOK), pa.date32()), "loan_id": [r[0] for r in BOOK],
        "customer_id": [r[1] for r in BOOK], "status": [r[2] for r in BOOK],
        "outstanding_principal": pa.array([M(r[3]) for r in BOOK], pa.decimal128(18, 2))}))
    rows = ibis.duckdb.connect().to_pyarrow(top_borrowers(t, top=2).order_by("rank")).to_pylist()
    assert [(r["rank"], r["customer_id"], r["loans"], r["exposure"]) for r in rows] == [
        (1, "C1", 2, M("1000.00")), (2, "C2", 1, M("1000.00"))]
    assert [r["share"] for r in rows] == [pytest.approx(0.4), pytest.approx(0.4)]
    assert rows[1]["cumulative_share"] == pytest.approx(0.8)
