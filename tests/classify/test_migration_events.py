"""Class migration matrix and CLASS-DOWNGRADE events between two classifications."""

from __future__ import annotations

from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.classify.events import class_downgrades
from loanwatch.classify.migration import class_migration
from tests.analytics.book import D

BEFORE, NOW = D("2026-05-31"), D("2026-06-30")


def classes(as_of, rows: list[tuple[str, str, str, str]]) -> ibis.Table:
    """rows: (loan_id, status, five_class, outstanding)."""
    return ibis.memtable(pa.table({
        "loan_id": [r[0] for r in rows], "as_of": pa.array([as_of] * len(rows), pa.date32()),
        "customer_id": ["C"] * len(rows), "branch_id": ["B"] * len(rows),
        "manager_id": ["M"] * len(rows), "status": [r[1] for r in rows],
        "five_class": [r[2] for r in rows],
        "outstanding_principal": pa.array([Decimal(r[3]) for r in rows], pa.decimal128(18, 2)),
        "reasons": pa.array([["DPD-90"] if r[2] == "substandard" else [] for r in rows],
                            pa.list_(pa.string()))}))


def run(expr: ibis.Table) -> list[dict]:
    return ibis.duckdb.connect().to_pyarrow(expr).to_pylist()


def test_the_migration_matrix_counts_loans_and_balances_by_class_then_and_state_now():
    before = classes(BEFORE, [("A", "active", "normal", "100.00"),
                              ("B", "active", "normal", "200.00"),
                              ("C", "active", "special_mention", "300.00"),
                              ("D", "active", "special_mention", "400.00")])
    # A stays normal, B to 关注, C to 次级, D left the book (repaid)
    now = classes(NOW, [("A", "active", "normal", "90.00"),
                        ("B", "active", "special_mention", "190.00"),
                        ("C", "active", "substandard", "300.00")])
    rows = {(r["from_class"], r["to_state"]): (r["loans"], r["balance_before"], r["balance_now"])
            for r in run(class_migration(before, now, NOW))}
    assert rows == {
        ("normal", "normal"): (1, Decimal("100.00"), Decimal("90.00")),
        ("normal", "special_mention"): (1, Decimal("200.00"), Decimal("190.00")),
        ("special_mention", "substandard"): (1, Decimal("300.00"), Decimal("300.00")),
        ("special_mention", "settled"): (1, Decimal("400.00"), Decimal("0.00")),
    }


@pytest.mark.parametrize("was, now, severity", [
    ("special_mention", "substandard", "critical"),  # 关注 -> 次级
    ("normal", "substandard", "high"),
    ("normal", "special_mention", "medium"),
    ("substandard", "doubtful", "medium"),
    ("doubtful", "substandard", None),               # better: no event
    ("normal", "normal", None),
])
def test_a_worse_class_is_a_class_downgrade_event(was, now, severity):
    rows = run(class_downgrades(classes(BEFORE, [("A", "active", was, "100.00")]),
                                classes(NOW, [("A", "active", now, "100.00")])))
    if severity is None:
        assert rows == []
    else:
        (row,) = rows
        assert (row["event"], row["from_class"], row["to_class"], row["severity"],
                row["previous_as_of"]) == ("CLASS-DOWNGRADE", was, now, severity, BEFORE)
