"""Group A (REPAY-OVERDUE, REPAY-PARTIAL, REPAY-REPEAT, REPAY-DUE-SOON-RISK) and group I
(CLASS-DOWNGRADE, RATING-DOWNGRADE, SCORE-DETERIORATION): facts in, firings out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.rating import class_downgrade, rating_downgrade, score_deterioration
from loanwatch.rules.repayment import (
    repay_due_soon_risk,
    repay_overdue,
    repay_partial,
    repay_repeat,
)
from loanwatch.rules.signal import Facts

ON, BEFORE = dt.date(2026, 6, 30), dt.date(2026, 5, 31)
POLICY = load_default_policy()
EMPTY = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string())}))


def facts(**tables: ibis.Table) -> Facts:
    names = ("snapshot", "classification", "class_events", "ratings", "previous_ratings",
             "loans", "customers", "bureau_reports", "registry_events")
    return Facts(as_of=ON, **{n: tables.get(n, EMPTY) for n in names})


def run(calc, signal_id: str, f: Facts) -> dict[str, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    return {r["loan_id"] or r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


def snapshot(*loans: tuple[str, str, int]) -> ibis.Table:
    """loans: (loan_id, status, dpd)."""
    money = pa.array([Decimal("100.00")] * len(loans), pa.decimal128(18, 2))
    return ibis.memtable(pa.table({
        "loan_id": [x[0] for x in loans], "customer_id": ["C"] * len(loans),
        "status": [x[1] for x in loans], "dpd": pa.array([x[2] for x in loans], pa.int32()),
        "overdue_principal": money, "overdue_interest": money,
        "overdue_installments": pa.array([1] * len(loans), pa.int32())}))


@pytest.mark.parametrize("dpd, severity", [
    (0, None), (1, "low"), (30, "low"), (31, "medium"), (60, "medium"), (61, "high"),
    (90, "high"), (91, "critical")])
def test_repay_overdue_steps_up_with_days_past_due(dpd, severity):
    got = run(repay_overdue, "REPAY-OVERDUE", facts(snapshot=snapshot(("L", "active", dpd))))
    assert got.get("L", (None,))[0] == severity
    if severity:
        assert got["L"][1].startswith(f"DPD {dpd}, overdue principal 100.00")


def test_a_written_off_loan_is_not_an_overdue_alert():
    got = run(repay_overdue, "REPAY-OVERDUE", facts(snapshot=snapshot(("L", "written_off", 400))))
    assert got == {}


@pytest.mark.parametrize("was, now, reasons, severity", [
    ("special_mention", "substandard", ["DPD-90"], "critical"),
    ("normal", "special_mention", ["DPD-90"], "high"),
    ("substandard", "doubtful", ["DPD-90"], "high"),
    # an overdue installment alone: REPAY-OVERDUE grades the overdue, the move is milder
    ("normal", "special_mention", ["OVERDUE"], "medium"),
    ("normal", "special_mention", ["OVERDUE", "DEBTOR"], "high"),
    ("normal", "substandard", ["OVERDUE"], "high"),
])
def test_class_downgrade_is_critical_from_special_mention_to_substandard(was, now, reasons,
                                                                          severity):
    events = ibis.memtable(pa.table({
        "loan_id": ["L"], "customer_id": ["C"], "previous_as_of": pa.array([BEFORE], pa.date32()),
        "from_class": [was], "to_class": [now],
        "reasons": pa.array([reasons], pa.list_(pa.string()))}))
    got = run(class_downgrade, "CLASS-DOWNGRADE", facts(class_events=events))
    assert got == {"L": (severity, f"class {was} on {BEFORE} → {now} ({', '.join(reasons)})")}


def ratings(as_of: dt.date, grades: dict[str, int]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "as_of": pa.array([as_of] * len(grades), pa.date32()), "customer_id": list(grades),
        "grade": pa.array(list(grades.values()), pa.int32()),
        "rating_reasons": pa.array([["MAX-DPD"]] * len(grades), pa.list_(pa.string()))}))


def test_rating_downgrade_fires_at_two_notches_down_since_the_run_before():
    f = facts(ratings=ratings(ON, {"A": 3, "B": 4, "C": 1, "D": 7}),
              previous_ratings=ratings(BEFORE, {"A": 1, "B": 3, "C": 4}))
    # A 1 -> 3 fires; B one notch, C better, D first rated today: no
    assert run(rating_downgrade, "RATING-DOWNGRADE", f) == {
        "A": ("medium", f"rating grade 1 on {BEFORE} → 3 (MAX-DPD)")}


# partly paid installments of the repayment record: (seq, due_on, received, due)
PARTIAL = pa.struct([("seq", pa.int32()), ("due_on", pa.date32()), ("received", pa.decimal128(18, 2)),
                     ("due", pa.decimal128(18, 2))])


def record(*rows: tuple) -> ibis.Table:
    """The repayment record: (loan_id, late_12m, long_late_12m, recent_periods,
    partial_periods, partials)."""
    cols = list(zip(*rows, strict=True))
    return ibis.memtable(pa.table({
        "loan_id": pa.array(cols[0], pa.string()),
        **{name: pa.array(cols[n], pa.int32()) for n, name in enumerate(
            ("late_12m", "long_late_12m", "recent_periods", "partial_periods"), start=1)},
        "partials": pa.array(cols[5], pa.list_(PARTIAL))}))


def with_record(f: Facts, r: ibis.Table) -> Facts:
    return Facts(**{**f.__dict__, "repayment_record": r})


def part(seq: int, due_on: str, received: str, due: str) -> dict:
    return {"seq": seq, "due_on": dt.date.fromisoformat(due_on), "received": Decimal(received),
            "due": Decimal(due)}


@pytest.mark.parametrize("late, long_late, evidence", [
    (2, 1, None),
    (3, 0, "3 installments late in the last 12 months"),
    (2, 2, "2 installments more than 5 working days late in the last 12 months"),
    (4, 2, "4 installments late in the last 12 months; 2 more than 5 working days late"),
    (1, 1, None),
])
def test_repay_repeat_fires_at_three_late_or_two_long_late_in_twelve_months(late, long_late,
                                                                             evidence):
    f = with_record(facts(snapshot=snapshot(("L", "active", 0))),
                    record(("L", late, long_late, 3, 0, None)))
    got = run(repay_repeat, "REPAY-REPEAT", f)
    assert got == ({"L": ("high", evidence)} if evidence else {})


def test_repay_repeat_and_partial_are_for_active_loans_only():
    f = with_record(facts(snapshot=snapshot(("S", "settled", 0), ("W", "written_off", 200))),
                    record(("S", 5, 5, 3, 3, None), ("W", 5, 5, 3, 3, None)))
    assert run(repay_repeat, "REPAY-REPEAT", f) == {}
    assert run(repay_partial, "REPAY-PARTIAL", f) == {}


def test_without_a_repayment_record_the_record_signals_do_not_fire():
    f = facts(snapshot=snapshot(("L", "active", 0)))
    assert run(repay_repeat, "REPAY-REPEAT", f) == {}
    assert run(repay_partial, "REPAY-PARTIAL", f) == {}


@pytest.mark.parametrize("periods, partials, fires", [
    (3, [part(5, "2026-04-30", "50.00", "105.00"), part(6, "2026-05-31", "20.00", "105.00")], True),
    (3, [part(6, "2026-05-31", "20.00", "105.00")], False),  # 1 of 3
    (2, [part(1, "2026-05-31", "0.01", "105.00"), part(2, "2026-06-30", "104.99", "105.00")], True),
    (3, None, False),
])
def test_repay_partial_fires_at_two_partly_paid_of_the_last_three_installments(periods, partials,
                                                                                fires):
    n = len(partials or [])
    f = with_record(facts(snapshot=snapshot(("L", "active", 0))),
                    record(("L", 0, 0, periods, n, partials)))
    got = run(repay_partial, "REPAY-PARTIAL", f)
    if not fires:
        assert got == {}
        return
    each = "; ".join(f"#{p['seq']} due {p['due_on']}, received {p['received']} of {p['due']}"
                     for p in partials)
    assert got == {"L": ("medium", f"partial payments in {n} of the last {periods} installments: "
                                   f"{each}")}


def due_soon(*loans: tuple[str, str, str, str | None]) -> ibis.Table:
    """loans: (loan_id, customer_id, status, next_due_on)."""
    return ibis.memtable(pa.table({
        "loan_id": [x[0] for x in loans], "customer_id": [x[1] for x in loans],
        "status": [x[2] for x in loans],
        "next_due_on": pa.array([x[3] and dt.date.fromisoformat(x[3]) for x in loans], pa.date32()),
        "next_due_amount": pa.array([Decimal("1050.00")] * len(loans), pa.decimal128(18, 2))}))


# 20 borrowers with an active loan: the worst 10% are the 2 with the highest PD
PORTFOLIO = {f"C{n:02}": "0.010000" for n in range(18)} | {"BAD": "0.250000", "WORSE": "0.300000"}


@pytest.mark.parametrize("customer, status, next_due, fires", [
    ("BAD", "active", "2026-07-05", True),       # due in 5 days, PD in the worst decile
    ("WORSE", "active", "2026-07-01", True),     # due tomorrow
    ("BAD", "active", "2026-07-06", False),      # due in 6 days
    ("BAD", "active", "2026-06-30", False),      # due today: at its end it is missed, not soon
    ("C00", "active", "2026-07-03", False),      # PD not in the worst decile
    ("BAD", "settled", None, False),
])
def test_repay_due_soon_risk_fires_for_the_worst_decile_due_within_five_days(customer, status,
                                                                             next_due, fires):
    others = [(f"L-{c}", c, "active", "2026-08-31") for c in PORTFOLIO if c != customer]
    f = facts(snapshot=due_soon(("L", customer, status, next_due), *others),
              ratings=pds(ON, PORTFOLIO))
    got = run(repay_due_soon_risk, "REPAY-DUE-SOON-RISK", f)
    if not fires:
        assert got == {}
        return
    pd = PORTFOLIO[customer]
    assert got == {"L": ("low", f"installment due {next_due}, 1050.00 to pay; PD {pd} in the "
                                "worst 10% (cut-off 0.250000)")}


def test_the_worst_decile_keeps_every_borrower_at_the_cut_off_pd():
    # 20 borrowers, 2 in the worst 10%: the second-worst PD is shared by three, all in; a
    # borrower rated but without an active loan is not in the portfolio
    ratings = {f"C{n:02}": "0.010000" for n in range(16)} | {
        "A": "0.300000", "B": "0.120000", "C": "0.120000", "D": "0.120000", "GONE": "0.900000"}
    loans = [(f"L-{c}", c, "active", "2026-07-02") for c in ratings if c != "GONE"]
    f = facts(snapshot=due_soon(*loans), ratings=pds(ON, ratings))
    got = run(repay_due_soon_risk, "REPAY-DUE-SOON-RISK", f)
    assert sorted(got) == ["L-A", "L-B", "L-C", "L-D"]
    assert got["L-B"][1].endswith("PD 0.120000 in the worst 10% (cut-off 0.120000)")


def pds(as_of: dt.date, values: dict[str, str]) -> ibis.Table:
    return ibis.memtable(pa.table({
        "as_of": pa.array([as_of] * len(values), pa.date32()), "customer_id": list(values),
        "pd_12m": pa.array([Decimal(v) for v in values.values()], pa.decimal128(9, 6))}))


def test_score_deterioration_needs_the_pd_doubled_and_above_five_percent():
    f = facts(ratings=pds(ON, {"A": "0.120000", "B": "0.060000", "C": "0.040000",
                               "D": "0.119999"}),
              previous_ratings=pds(BEFORE, {"A": "0.060000", "B": "0.030000", "C": "0.010000",
                                            "D": "0.060000"}))
    # A 0.06 -> 0.12 (x2, > 5%) and B 0.03 -> 0.06 fire; C stays below 5%; D not doubled
    assert run(score_deterioration, "SCORE-DETERIORATION", f) == {
        "A": ("medium", f"PD 0.060000 on {BEFORE} → 0.120000"),
        "B": ("medium", f"PD 0.030000 on {BEFORE} → 0.060000")}
