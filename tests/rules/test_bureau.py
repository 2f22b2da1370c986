"""Group D, borrowing elsewhere (BUREAU-*): bureau reports in, borrower firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.bureau import (
    SIGNALS,
    inquiry_spike,
    money_text,
    new_lenders,
    overdue_elsewhere,
    short_debt_growth,
)
from loanwatch.rules.signal import FIRING, Facts

AS_OF = dt.date(2026, 6, 10)
POLICY = load_default_policy()
D = dt.date.fromisoformat
MONEY = pa.decimal128(18, 2)
REPORT = pa.schema([
    ("customer_id", pa.string()), ("reported_on", pa.date32()), ("lenders_count", pa.int32()),
    ("loans_balance", MONEY), ("short_term_balance", MONEY), ("overdue_amount", MONEY),
    ("inquiries_3m", pa.int32()), ("new_loans_3m", pa.int32()), ("overdue_90_amount", MONEY),
    ("_valid_from", pa.date32()), ("_valid_to", pa.date32())])
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
SNAPSHOT = ibis.memtable(pa.schema([("loan_id", pa.string()), ("customer_id", pa.string()),
                                    ("dpd", pa.int32()), ("status", pa.string())]).empty_table())
REGISTRY = ibis.memtable(pa.schema([
    ("customer_id", pa.string()), ("occurred_on", pa.date32()), ("kind", pa.string()),
    ("detail", pa.string()), ("amount", MONEY), ("_valid_from", pa.date32()),
    ("_valid_to", pa.date32())]).empty_table())


def report(on: str, *, short: str = "0", lenders: int = 1, inquiries: int = 0, overdue: str = "0",
           customer: str = "C", valid: tuple[str | None, str | None] = (None, None)) -> dict:
    return {"customer_id": customer, "reported_on": D(on), "lenders_count": lenders,
            "loans_balance": Decimal(short) * 2, "short_term_balance": Decimal(short),
            "overdue_amount": Decimal(overdue), "inquiries_3m": inquiries, "new_loans_3m": 0,
            "overdue_90_amount": Decimal(0), "_valid_from": valid[0] and D(valid[0]),
            "_valid_to": valid[1] and D(valid[1])}


def facts(reports: list[dict]) -> Facts:
    bureau = ibis.memtable(pa.Table.from_pylist(reports, REPORT))
    return Facts(as_of=AS_OF, snapshot=SNAPSHOT, classification=KEYS, class_events=KEYS,
                 ratings=KEYS, previous_ratings=KEYS, loans=KEYS, customers=KEYS,
                 bureau_reports=bureau, registry_events=REGISTRY)


def run(calc, signal_id: str, reports: list[dict], **params) -> dict[str, tuple[str, str]]:
    entry = POLICY.signals[signal_id]
    if params:
        entry = entry.model_copy(update={"params": entry.params.model_copy(update=params)})
    rows = ibis.duckdb.connect().to_pyarrow(calc(facts(reports), entry)).to_pylist()
    assert all(r["loan_id"] is None for r in rows)
    return {r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def evidence(calc, signal_id: str, reports: list[dict], **params) -> str | None:
    got = run(calc, signal_id, reports, **params)
    return got["C"][1] if got else None


@pytest.mark.parametrize("reports, expected", [
    pytest.param([report("2026-01-10", short="120000"), report("2026-06-10", short="200000")],
                 "short-term debt elsewhere 120,000.00 on 2026-01-10 → 200,000.00 on 2026-06-10 "
                 "(+66.7%)", id="grows-two-thirds"),
    pytest.param([report("2026-01-10", short="100000"), report("2026-06-10", short="150000")],
                 "short-term debt elsewhere 100,000.00 on 2026-01-10 → 150,000.00 on 2026-06-10 "
                 "(+50.0%)", id="exactly-50%-fires"),
    pytest.param([report("2026-01-10", short="100000"), report("2026-06-10", short="149990")],
                 None, id="49.99%-does-not"),
    pytest.param([report("2026-01-10", short="0"), report("2026-06-10", short="150000")],
                 None, id="nothing-before"),
    pytest.param([report("2026-06-10", short="150000")], None, id="one-report"),
    pytest.param([report("2025-12-10", short="10000"), report("2026-02-10", short="100000"),
                  report("2026-06-10", short="120000")], None, id="report-exactly-6-months-ago-out"),
    pytest.param([report("2025-12-11", short="10000"), report("2026-06-10", short="120000")],
                 "short-term debt elsewhere 10,000.00 on 2025-12-11 → 120,000.00 on 2026-06-10 "
                 "(+1100.0%)", id="report-a-day-inside-the-window"),
    pytest.param([report("2026-01-10", short="100000"), report("2026-06-10", short="100000"),
                  report("2026-06-11", short="500000")], None, id="report-after-as-of-ignored"),
    pytest.param([report("2026-01-10", short="100000", valid=(None, "2026-06-01")),
                  report("2026-01-10", short="150000", valid=("2026-06-01", None)),
                  report("2026-06-10", short="200000")], None, id="corrected-version-in-force"),
    pytest.param([report("2026-01-10", short="100000"),
                  report("2026-06-10", short="100000", valid=(None, "2026-06-11")),
                  report("2026-06-10", short="300000", valid=("2026-06-11", None))],
                 None, id="future-correction-not-in-force"),
])
def test_short_debt_growth(reports, expected):
    assert evidence(short_debt_growth, "BUREAU-SHORT-DEBT-GROWTH", reports) == expected


def test_short_debt_growth_fires_with_the_policy_severity_per_borrower():
    reports = [report("2026-01-10", short="100", customer="A"),
               report("2026-06-10", short="200", customer="A"),
               report("2026-01-10", short="100", customer="B"),
               report("2026-06-10", short="101", customer="B")]
    got = run(short_debt_growth, "BUREAU-SHORT-DEBT-GROWTH", reports)
    assert {k: v[0] for k, v in got.items()} == {"A": "high"}


@pytest.mark.parametrize("reports, expected", [
    pytest.param([report("2026-03-10", lenders=3), report("2026-06-10", lenders=5)],
                 "lenders 3 on 2026-03-10 → 5 on 2026-06-10 (+2)", id="two-new"),
    pytest.param([report("2026-03-10", lenders=3), report("2026-06-10", lenders=4)],
                 None, id="one-new"),
    pytest.param([report("2026-02-10", lenders=2), report("2026-03-10", lenders=4),
                  report("2026-06-10", lenders=5)], None, id="baseline-is-latest-on-or-before"),
    pytest.param([report("2026-02-10", lenders=2), report("2026-03-11", lenders=2),
                  report("2026-06-10", lenders=4)],
                 "lenders 2 on 2026-02-10 → 4 on 2026-06-10 (+2)", id="report-inside-window-not-base"),
    pytest.param([report("2026-04-10", lenders=1), report("2026-06-10", lenders=6)],
                 None, id="no-baseline"),
    pytest.param([report("2026-03-10", lenders=3), report("2026-06-10", lenders=3),
                  report("2026-06-20", lenders=9)], None, id="report-after-as-of-ignored"),
    pytest.param([report("2026-03-10", lenders=3, valid=("2026-06-11", None)),
                  report("2026-06-10", lenders=5)], None, id="baseline-not-yet-in-force"),
])
def test_new_lenders(reports, expected):
    assert evidence(new_lenders, "BUREAU-NEW-LENDERS", reports) == expected


@pytest.mark.parametrize("reports, expected", [
    pytest.param([report("2026-06-10", inquiries=6)], None, id="6-not"),
    pytest.param([report("2026-06-10", inquiries=7)],
                 "7 hard inquiries by other lenders in the 3 months to 2026-06-10", id="7-fires"),
    pytest.param([report("2026-05-10", inquiries=12), report("2026-06-10", inquiries=2)],
                 None, id="only-the-latest-report-counts"),
    pytest.param([report("2026-06-10", inquiries=2), report("2026-06-11", inquiries=12)],
                 None, id="report-after-as-of-ignored"),
    pytest.param([report("2026-06-10", inquiries=9, valid=(None, "2026-06-05"))],
                 None, id="version-not-in-force"),
])
def test_inquiry_spike(reports, expected):
    assert evidence(inquiry_spike, "BUREAU-INQUIRY-SPIKE", reports) == expected


@pytest.mark.parametrize("reports, expected", [
    pytest.param([report("2026-06-10", overdue="0")], None, id="none"),
    pytest.param([report("2026-06-10", overdue="0.01")], "overdue elsewhere 0.01 on 2026-06-10",
                 id="a-cent"),
    pytest.param([report("2026-06-10", overdue="1234567.8")],
                 "overdue elsewhere 1,234,567.80 on 2026-06-10", id="millions"),
    pytest.param([report("2026-05-10", overdue="500"), report("2026-06-10", overdue="0")],
                 None, id="cleared-in-the-latest-report"),
    pytest.param([report("2026-06-10"), report("2026-07-10", overdue="500")],
                 None, id="report-after-as-of-ignored"),
])
def test_overdue_elsewhere(reports, expected):
    assert evidence(overdue_elsewhere, "BUREAU-OVERDUE-ELSEWHERE", reports) == expected


@pytest.mark.parametrize("overdue, fires", [("10000.00", False), ("10000.01", True)])
def test_overdue_elsewhere_threshold_is_policy(overdue, fires):
    got = run(overdue_elsewhere, "BUREAU-OVERDUE-ELSEWHERE", [report("2026-06-10", overdue=overdue)],
              amount_above=Decimal("10000.00"))
    assert (got.get("C", (None,))[0] == "high") is fires


def test_signals_are_group_d_with_titles_and_firing_columns():
    assert [s.id for s in SIGNALS] == ["BUREAU-SHORT-DEBT-GROWTH", "BUREAU-NEW-LENDERS",
                                       "BUREAU-INQUIRY-SPIKE", "BUREAU-OVERDUE-ELSEWHERE"]
    f = facts([report("2026-01-10")])
    for s in SIGNALS:
        assert s.title_zh and s.title_en and s.group == "multi_lending"
        assert s.calculate(f, POLICY.signals[s.id]).schema() == FIRING


@pytest.mark.parametrize("amount, text", [
    ("0", "0.00"), ("0.01", "0.01"), ("-0.01", "-0.01"), ("0.5", "0.50"), ("999.99", "999.99"),
    ("1000", "1,000.00"), ("100000", "100,000.00"), ("-1234567.89", "-1,234,567.89"),
    ("9999999999999999.99", "9,999,999,999,999,999.99"), (None, None)])
def test_money_text_groups_thousands_exactly(amount, text):
    m = None if amount is None else Decimal(amount)
    t = ibis.memtable(pa.table({"m": pa.array([m], MONEY)}))
    assert ibis.duckdb.connect().to_pyarrow(t.select(s=money_text(t.m)))["s"][0].as_py() == text


def test_money_text_names_its_amount_a_few_times_in_the_sql():
    """Every evidence amount is written out in the alerts' SQL, which the engine plans: with
    ``lpad`` and ``substr`` each amount appeared some forty times."""
    t = ibis.table({"the_amount": "decimal(18,2)"}, name="t")
    sql = ibis.to_sql(t.select(s=money_text(t.the_amount)), dialect="duckdb")
    assert sql.count("the_amount") <= 10
