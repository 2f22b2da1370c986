"""Group H, collateral (COLL-*): collaterals and valuations in, loan firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.collateral import SIGNALS, collateral_status, collateral_value_drop
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 10)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
VALID = [("_valid_from", pa.date32()), ("_valid_to", pa.date32())]
COLLATERAL = pa.schema([
    ("collateral_id", pa.string()), ("loan_id", pa.string()), ("kind", pa.string()),
    ("description", pa.string()), ("appraised_value", MONEY), ("appraised_on", pa.date32()),
    ("status", pa.string()), *VALID])
VALUATION = pa.schema([("collateral_id", pa.string()), ("valued_on", pa.date32()),
                       ("value", MONEY), *VALID])
SNAPSHOT = pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()), ("status", pa.string()),
                      ("outstanding_principal", MONEY), ("dpd", pa.int32())])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))


def collateral(cid: str = "C1", *, value: str = "1000000", on: str = "2024-03-01", loan: str = "L1",
               status: str = "registered", kind: str = "property",
               valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"collateral_id": cid, "loan_id": loan, "kind": kind, "description": "住宅",
            "appraised_value": Decimal(value), "appraised_on": D(on), "status": status,
            "_valid_from": valid[0] and D(valid[0]), "_valid_to": valid[1] and D(valid[1])}


def valuation(on: str, value: str, cid: str = "C1",
              valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"collateral_id": cid, "valued_on": D(on), "value": Decimal(value),
            "_valid_from": valid[0] and D(valid[0]), "_valid_to": valid[1] and D(valid[1])}


def loan(loan_id: str = "L1", *, outstanding: str = "500000", status: str = "active") -> dict:
    return {"loan_id": loan_id, "customer_id": "K", "status": status,
            "outstanding_principal": Decimal(outstanding), "dpd": 0}


def table(rows, schema):
    return None if rows is None else ibis.memtable(pa.Table.from_pylist(list(rows), schema))


def facts(collaterals: list[dict] | None, valuations: list[dict] | None = (),
          loans: list[dict] | None = None) -> Facts:
    return Facts(as_of=AS_OF, snapshot=table(loans or [loan()], SNAPSHOT), classification=KEYS,
                 class_events=KEYS, ratings=KEYS, previous_ratings=KEYS, loans=KEYS, customers=KEYS,
                 bureau_reports=KEYS, registry_events=KEYS,
                 collaterals=table(collaterals, COLLATERAL),
                 collateral_valuations=table(valuations, VALUATION))


def run(calc, signal_id: str, f: Facts) -> dict[str, tuple[str, str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    return {r["loan_id"]: (r["customer_id"], r["severity"], r["evidence"]) for r in rows}


def evidence(calc, signal_id: str, f: Facts) -> str | None:
    got = run(calc, signal_id, f)
    return got["L1"][2] if got else None


@pytest.mark.parametrize("f, expected", [
    pytest.param(facts([collateral()], [valuation("2026-05-31", "760000")]),
                 "property C1 appraised 1,000,000.00 (2024-03-01), valued 760,000.00 (2026-05-31), "
                 "-24.0%", id="revalued-down-24%"),
    pytest.param(facts([collateral()], [valuation("2026-05-31", "800000")]),
                 "property C1 appraised 1,000,000.00 (2024-03-01), valued 800,000.00 (2026-05-31), "
                 "-20.0%", id="exactly-20%-fires"),
    pytest.param(facts([collateral()], [valuation("2026-05-31", "800100")]), None,
                 id="19.99%-does-not"),
    pytest.param(facts([collateral()], [valuation("2025-05-31", "700000"),
                                        valuation("2026-05-31", "950000")]), None,
                 id="latest-valuation-counts"),
    pytest.param(facts([collateral()], [valuation("2026-05-31", "950000"),
                                        valuation("2026-06-11", "100000")]), None,
                 id="valuation-after-as-of-ignored"),
    pytest.param(facts([collateral()], [valuation("2026-05-31", "950000", valid=(None, "2026-06-01")),
                                        valuation("2026-05-31", "700000", valid=("2026-06-01", None))]),
                 "property C1 appraised 1,000,000.00 (2024-03-01), valued 700,000.00 (2026-05-31), "
                 "-30.0%", id="corrected-valuation-in-force"),
    pytest.param(facts([collateral()], [valuation("2026-05-31", "500000")],
                       loans=[loan(status="settled")]), None, id="settled-loan-does-not"),
    pytest.param(facts([collateral()], loans=[loan(outstanding="860000")]),
                 "LTV 86.0% (outstanding 860,000.00 / collateral 1,000,000.00)", id="ltv-86%"),
    pytest.param(facts([collateral()], loans=[loan(outstanding="800000")]), None,
                 id="ltv-exactly-80%-does-not"),
    pytest.param(facts([collateral()], loans=[loan(outstanding="800000.01")]),
                 "LTV 80.0% (outstanding 800,000.01 / collateral 1,000,000.00)", id="ltv-a-cent-over"),
    pytest.param(facts([collateral(), collateral("C2", value="500000", status="released")],
                       loans=[loan(outstanding="1000000")]),
                 "LTV 100.0% (outstanding 1,000,000.00 / collateral 1,000,000.00)",
                 id="ltv-counts-registered-collateral-only"),
    pytest.param(facts([collateral(), collateral("C2", value="500000", kind="deposit")],
                       [valuation("2026-05-31", "700000")], loans=[loan(outstanding="1000000")]),
                 "LTV 83.3% (outstanding 1,000,000.00 / collateral 1,200,000.00); "
                 "property C1 appraised 1,000,000.00 (2024-03-01), valued 700,000.00 (2026-05-31), "
                 "-30.0%", id="both-reasons-one-firing"),
    pytest.param(facts([collateral(on="2026-06-11")], loans=[loan(outstanding="900000")]), None,
                 id="appraised-after-as-of-ignored"),
    pytest.param(facts(None, loans=[loan(outstanding="900000")]), None, id="no-collaterals"),
    pytest.param(facts([collateral()], None, loans=[loan(outstanding="900000")]), None,
                 id="no-valuations"),
])
def test_collateral_value_drop(f, expected):
    assert evidence(collateral_value_drop, "COLL-VALUE-DROP", f) == expected


def test_value_drop_fires_per_loan_with_the_policy_severity():
    f = facts([collateral(), collateral("C2", loan="L2")], [valuation("2026-05-31", "500000", "C2")],
              loans=[loan(), loan("L2")])
    assert {k: v[:2] for k, v in run(collateral_value_drop, "COLL-VALUE-DROP", f).items()} == {
        "L2": ("K", "high")}


@pytest.mark.parametrize("f, expected", [
    pytest.param(facts([collateral(status="released")]), "collateral C1 (property) released",
                 id="released"),
    pytest.param(facts([collateral(status="seized"), collateral("C2", status="missing", kind="car")]),
                 "collateral C1 (property) seized; collateral C2 (car) missing", id="two-one-firing"),
    pytest.param(facts([collateral()]), None, id="registered"),
    pytest.param(facts([collateral(status="released")], loans=[loan(status="settled")]), None,
                 id="released-of-a-settled-loan-does-not"),
    pytest.param(facts([collateral(valid=(None, "2026-06-01")),
                        collateral(status="seized", valid=("2026-06-01", None))]),
                 "collateral C1 (property) seized", id="status-version-in-force"),
    pytest.param(facts([collateral(valid=(None, "2026-06-11")),
                        collateral(status="seized", valid=("2026-06-11", None))]),
                 None, id="future-version-not-in-force"),
    pytest.param(facts(None), None, id="no-collaterals"),
])
def test_collateral_status(f, expected):
    assert evidence(collateral_status, "COLL-STATUS", f) == expected


def test_collateral_status_is_critical():
    got = run(collateral_status, "COLL-STATUS", facts([collateral(status="missing")]))
    assert got["L1"][:2] == ("K", "critical")


def test_signals_are_group_h_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["COLL-VALUE-DROP", "COLL-STATUS"]
    f = facts([collateral()])
    for s in SIGNALS:
        assert s.title_zh and s.title_en and s.group == "guarantee"
        assert s.calculate(f, POLICY.signals[s.id]).schema() == FIRING
        assert s.calculate(facts(None, None), POLICY.signals[s.id]).schema() == FIRING
