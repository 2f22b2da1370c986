"""Model features and outcomes (analytics/features.py) on hand-made mart rows: only data of
the date, and an outcome only once its 12 months are known."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa

from loanwatch.analytics.features import FEATURES, borrower_features, outcomes
from loanwatch.domain.indicators import INDICATORS, IndicatorKind

D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
SNAPSHOT = pa.schema([("as_of", pa.date32()), ("loan_id", pa.string()), ("customer_id", pa.string()),
                      ("status", pa.string()), ("dpd", pa.int32()),
                      ("outstanding_principal", MONEY), ("overdue_principal", MONEY),
                      ("mob", pa.int32()), ("overdue_installments", pa.int32())])
MONTHS = [D("2024-01-31"), D("2024-02-29"), D("2024-03-31"), D("2024-04-30")]


def snapshots(rows: list[tuple]) -> ibis.Table:
    """(as_of, loan, customer, status, dpd, outstanding, overdue)"""
    return ibis.memtable(pa.Table.from_pylist([
        {"as_of": a, "loan_id": loan, "customer_id": c, "status": s, "dpd": dpd,
         "outstanding_principal": Decimal(o), "overdue_principal": Decimal(od), "mob": 3,
         "overdue_installments": 1 if dpd else 0} for a, loan, c, s, dpd, o, od in rows], SNAPSHOT))


def run(expr) -> list[dict]:
    return ibis.duckdb.connect().to_pyarrow(expr).to_pylist()


def test_bad_when_90_plus_within_the_horizon_and_only_once_it_is_known():
    s = snapshots([(m, "L1", "A", "active", dpd, "100", "0") for m, dpd in
                   zip(MONTHS, (0, 30, 61, 95), strict=True)]
                  + [(m, "L2", "B", "active", 0, "100", "0") for m in MONTHS])
    got = run(outcomes(s, MONTHS[:2], MONTHS, horizon_months=2).order_by("as_of", "customer_id"))
    assert [(r["as_of"], r["customer_id"], r["bad"]) for r in got] == [
        (MONTHS[0], "A", 0), (MONTHS[0], "B", 0),  # A's 95 days is 3 months later
        (MONTHS[1], "A", 1), (MONTHS[1], "B", 0)]
    # the window of 2024-03-31 ends after the last stored month: not observed yet
    assert not run(outcomes(s, MONTHS[2:3], MONTHS, horizon_months=2))


def test_features_of_the_date_and_not_for_a_borrower_in_default():
    indicator_cols = {i.name: (pa.bool_() if i.kind is IndicatorKind.FLAG else pa.float64())
                      for i in INDICATORS}
    ind = ibis.memtable(pa.Table.from_pylist(
        [{"as_of": MONTHS[0], "customer_id": c, "customer_type": "individual"} for c in "AB"],
        pa.schema([("as_of", pa.date32()), ("customer_id", pa.string()),
                   ("customer_type", pa.string()), *indicator_cols.items()])))
    s = snapshots([(MONTHS[0], "L1", "A", "active", 10, "200", "50"),
                   (MONTHS[0], "L2", "B", "active", 120, "100", "100"),
                   (MONTHS[1], "L3", "A", "active", 0, "999", "0")])
    empty_flows = ibis.memtable(pa.table({"as_of": pa.array([], pa.date32()),
                                          "customer_id": pa.array([], pa.string()),
                                          "finding": pa.array([], pa.string()),
                                          "share": pa.array([], pa.decimal128(9, 4))}))
    empty_rec = ibis.memtable(pa.table({"as_of": pa.array([], pa.date32()),
                                        "customer_id": pa.array([], pa.string()),
                                        "status": pa.array([], pa.string())}))
    (a,) = run(borrower_features(ind, s, empty_flows, empty_rec))
    assert a["customer_id"] == "A" and set(FEATURES) <= set(a)
    assert (a["outstanding"], a["max_dpd"], a["overdue_share"]) == (200.0, 10.0, 0.25)
    assert a["flow_findings"] == 0.0
