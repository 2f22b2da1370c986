"""Borrower ratings on a hand-built set of borrowers: every score is added up in the comments.

Default scorecard: 100 minus MAX-DPD (DPD 1 → 25, 31 → 40, 61 → 55, 91 → 70), LATE-12M
(5 each, at most 20), INQUIRIES (≥ 6 → 10), LENDERS (≥ 5 → 10), BUREAU-OVERDUE (> 0 → 15),
NEW-LOANS (≥ 3 → 5), REGISTRY-ADVERSE (10 each, at most 30). Grades from 95, 90, 85, 80,
75, 65, 55, 45, 30; below 30 grade 10."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import ibis
import pyarrow as pa
import pytest

from loanwatch.classify.rating import Factor, RatingRules, borrower_ratings, rating_rules
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import load_default_policy

AS_OF = dt.date(2026, 3, 31)
M = Decimal
D = dt.date.fromisoformat
N = None

# customer, status, dpd, late_12m (one row per loan)
LOANS = [
    ("CLEAN", "active", 0, 0),
    ("LATE1", "active", 0, 1),
    ("LATE2", "active", 0, 2),
    ("DPD30", "active", 30, 0),
    ("DPD31", "active", 31, 0),
    ("DPD90", "active", 90, 0),
    ("DPD91", "active", 91, 0),
    ("MANY", "active", 0, 2),
    ("MANY", "active", 31, 3),
    ("MANY", "settled", 200, 9),           # settled: not counted
    ("WOFF", "written_off", 0, 0),
    ("SETTLED", "settled", 0, 0),
    ("NEW", "not_started", 0, 0),
    ("BUREAU", "active", 0, 0),
    ("OVERDUE", "active", 0, 0),
    ("BELOW", "active", 0, 0),
    ("REG", "active", 0, 0),
    ("REGCAP", "active", 0, 0),
    ("WORST", "active", 91, 4),
]

# customer, reported_on, lenders, overdue_amount, inquiries_3m, new_loans_3m, valid from, to
BUREAU = [
    ("BUREAU", "2025-12-31", 1, "100.00", 0, 0, N, N),            # older: not the latest
    ("BUREAU", "2026-02-28", 7, "0.00", 6, 0, N, "2026-03-15"),   # corrected on 03-15 ...
    ("BUREAU", "2026-02-28", 4, "0.00", 6, 0, "2026-03-15", N),   # ... to 4 lenders
    ("BUREAU", "2026-04-15", 9, "50.00", 9, 9, N, N),             # after the as-of date
    ("OVERDUE", "2026-03-31", 5, "0.01", 5, 3, N, N),             # on the as-of date: counts
    ("BELOW", "2026-03-01", 4, "0.00", 5, 2, N, N),               # every value below its band
    ("WORST", "2026-01-31", 2, "5000.00", 0, 0, N, N),
]

# customer, occurred_on, kind
EVENTS = [
    ("REG", "2025-03-31", "lawsuit"),          # exactly 12 months before: outside the window
    ("REG", "2025-04-01", "enforcement"),      # inside
    ("REG", "2026-01-10", "address_change"),   # not adverse
    ("REG", "2026-04-01", "admin_penalty"),    # after the as-of date
    *[("REGCAP", f"2026-0{m}-05", "lawsuit") for m in (1, 2, 3)],
    ("REGCAP", "2025-10-10", "equity_freeze"),
    *[("WORST", "2026-02-0" + str(d), "dishonest_debtor") for d in (1, 2, 3)],
]

# customer: score, grade, pd_12m, reasons
EXPECTED = {
    "CLEAN": (100, 1, "0.0005", []),
    "LATE1": (95, 1, "0.0005", ["LATE-12M"]),           # 100 - 5: exactly the grade 1 band
    "LATE2": (90, 2, "0.001", ["LATE-12M"]),            # 100 - 10
    "DPD30": (75, 5, "0.008", ["MAX-DPD"]),             # DPD 30: 25 points
    "DPD31": (60, 7, "0.03", ["MAX-DPD"]),              # DPD 31: 40
    "DPD90": (45, 8, "0.06", ["MAX-DPD"]),              # DPD 90: 55
    "DPD91": (30, 9, "0.12", ["MAX-DPD"]),              # DPD 91: 70
    # worst DPD 31 (40) + 2 + 3 = 5 late installments (25, capped at 20): 100 - 60
    "MANY": (40, 9, "0.12", ["MAX-DPD", "LATE-12M"]),
    "WOFF": (30, 9, "0.12", ["MAX-DPD"]),               # written off: the top band, 70
    # latest report in force: 02-28 as corrected, 6 inquiries (10), 4 lenders (none)
    "BUREAU": (90, 2, "0.001", ["INQUIRIES"]),
    # 5 lenders (10) + 0.01 overdue (15) + 3 new loans (5): 100 - 30
    "OVERDUE": (70, 6, "0.015", ["LENDERS", "BUREAU-OVERDUE", "NEW-LOANS"]),
    "BELOW": (100, 1, "0.0005", []),
    "REG": (90, 2, "0.001", ["REGISTRY-ADVERSE"]),      # one adverse event: 10
    "REGCAP": (70, 6, "0.015", ["REGISTRY-ADVERSE"]),   # four: 40, capped at 30
    # 70 + 20 (4 late) + 15 + 30 (3 events) = 135 points: the score stops at 0
    "WORST": (0, 10, "0.25", ["MAX-DPD", "LATE-12M", "BUREAU-OVERDUE", "REGISTRY-ADVERSE"]),
}


def _validity(rows: list[tuple], at: int) -> dict[str, pa.Array]:
    return {"_valid_from": pa.array([r[at] and D(r[at]) for r in rows], pa.date32()),
            "_valid_to": pa.array([r[at + 1] and D(r[at + 1]) for r in rows], pa.date32())}


def _tables() -> tuple[ibis.Table, ibis.Table, ibis.Table]:
    loans = pa.table({
        "customer_id": [r[0] for r in LOANS], "status": [r[1] for r in LOANS],
        "dpd": pa.array([r[2] for r in LOANS], pa.int32()),
        "outstanding_principal": pa.array([M("1000.00")] * len(LOANS), pa.decimal128(18, 2)),
        "late_12m": pa.array([r[3] for r in LOANS], pa.int32())})
    money = [M(r[3]) for r in BUREAU]
    bureau = pa.table({
        "customer_id": [r[0] for r in BUREAU],
        "reported_on": pa.array([D(r[1]) for r in BUREAU], pa.date32()),
        "lenders_count": pa.array([r[2] for r in BUREAU], pa.int32()),
        "loans_balance": pa.array(money, pa.decimal128(18, 2)),
        "short_term_balance": pa.array(money, pa.decimal128(18, 2)),
        "overdue_amount": pa.array(money, pa.decimal128(18, 2)),
        "inquiries_3m": pa.array([r[4] for r in BUREAU], pa.int32()),
        "new_loans_3m": pa.array([r[5] for r in BUREAU], pa.int32()),
        **_validity(BUREAU, 6)})
    events = pa.table({
        "customer_id": [e[0] for e in EVENTS],
        "occurred_on": pa.array([D(e[1]) for e in EVENTS], pa.date32()),
        "kind": [e[2] for e in EVENTS], "detail": ["-"] * len(EVENTS),
        "amount": pa.array([None] * len(EVENTS), pa.decimal128(18, 2)),
        **_validity([(N, N)] * len(EVENTS), 0)})
    return ibis.memtable(loans), ibis.memtable(bureau), ibis.memtable(events)


@pytest.fixture(scope="module")
def engine():
    engine = DuckDBEngine.open(con=duckdb.connect())
    yield engine
    engine.close()


def _rated(engine: DuckDBEngine, rules: RatingRules) -> dict[str, dict]:
    expr = borrower_ratings(*_tables(), AS_OF, rules)
    assert expr.schema() == ibis.schema({
        "as_of": "date", "customer_id": "string", "score": "int32", "grade": "int32",
        "pd_12m": "decimal(9, 6)", "rating_reasons": "array<string>"})
    return {r["customer_id"]: r for r in engine.to_arrow(expr).to_pylist()}


@pytest.fixture(scope="module")
def rated(engine) -> dict[str, dict]:
    return _rated(engine, rating_rules(load_default_policy()))


@pytest.mark.parametrize("customer", list(EXPECTED))
def test_score_grade_pd_and_reasons(rated: dict[str, dict], customer: str) -> None:
    score, grade, pd, reasons = EXPECTED[customer]
    r = rated[customer]
    assert (r["as_of"], r["score"], r["grade"], r["pd_12m"], r["rating_reasons"]) == (
        AS_OF, score, grade, M(pd), reasons)


def test_only_borrowers_with_an_active_or_written_off_loan_are_rated(rated) -> None:
    assert set(rated) == set(EXPECTED)  # not SETTLED, not NEW (not started)


def test_the_scorecard_comes_from_the_rules(engine) -> None:
    rules = RatingRules(
        factors=(Factor("LENDERS", "lenders_count", bands=((M(2), 20), (M(4), 50))),
                 Factor("DPD-DAYS", "max_dpd", points_each=1, cap=60)),
        adverse_kinds=(), grade_min_scores=(80, 40),
        grade_pds=(M("0.01"), M("0.1"), M("0.5")))
    rated = _rated(engine, rules)
    got = {c: (rated[c]["score"], rated[c]["grade"], rated[c]["pd_12m"], rated[c]["rating_reasons"])
           for c in ("CLEAN", "DPD30", "BUREAU", "WOFF", "MANY", "REG", "WORST")}
    assert got == {
        "CLEAN": (100, 1, M("0.01"), []),
        "DPD30": (70, 2, M("0.1"), ["DPD-DAYS"]),               # 1 point a day: 30
        "BUREAU": (50, 2, M("0.1"), ["LENDERS"]),               # 4 lenders: 50
        "WOFF": (40, 2, M("0.1"), ["DPD-DAYS"]),                # the worst DPD, capped at 60
        "MANY": (69, 2, M("0.1"), ["DPD-DAYS"]),                # worst DPD 31: 31 points
        "REG": (100, 1, M("0.01"), []),                         # no adverse kinds at all
        "WORST": (20, 3, M("0.5"), ["LENDERS", "DPD-DAYS"]),    # 2 lenders 20 + 60: below 40
    }


def test_rules_of_the_default_policy() -> None:
    rules = rating_rules(load_default_policy())
    assert rules.factors[0] == Factor("MAX-DPD", "max_dpd",
                                      ((M(1), 25), (M(31), 40), (M(61), 55), (M(91), 70)))
    assert rules.factors[1] == Factor("LATE-12M", "late_12m", (), 5, 20)
    assert (len(rules.grade_min_scores), len(rules.grade_pds)) == (9, 10)
