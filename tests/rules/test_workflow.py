"""Group J (TASK-*): post-loan work not recorded as done by its deadline; facts in, firings
out. No register of work at all fires nothing."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from loanwatch.policy import load_default_policy
from loanwatch.rules.catalogue import CATALOGUE
from loanwatch.rules.signal import Deadlines, Facts
from loanwatch.rules.workflow import SIGNALS, confirmation_late, first_inspection_late, rating_stale

D = dt.date.fromisoformat
AS_OF = D("2026-06-30")
POLICY = load_default_policy()
KEYS = ibis.memtable(pa.table({"customer_id": pa.array([], pa.string()),
                               "loan_id": pa.array([], pa.string())}))
TASKS = pa.schema([("customer_id", pa.string()), ("loan_id", pa.string()), ("kind", pa.string()),
                   ("done_on", pa.date32())])


def facts(loans: dict[str, tuple[str, str, str]], tasks: list[tuple] | None,
          deadlines: Deadlines | None = None) -> Facts:
    """loans: loan_id -> (customer_id, disbursed_on, status); tasks: (customer, loan, kind, on)."""
    snapshot = ibis.memtable(pa.table({
        "loan_id": list(loans), "customer_id": [v[0] for v in loans.values()],
        "status": [v[2] for v in loans.values()]}))
    terms = ibis.memtable(pa.table({
        "loan_id": list(loans), "customer_id": [v[0] for v in loans.values()],
        "disbursed_on": pa.array([D(v[1]) for v in loans.values()], pa.date32()),
        "_valid_from": pa.array([None] * len(loans), pa.date32()),
        "_valid_to": pa.array([None] * len(loans), pa.date32())}))
    done = None if tasks is None else ibis.memtable(pa.Table.from_pylist(
        [{"customer_id": c, "loan_id": ln, "kind": k, "done_on": D(on)} for c, ln, k, on in tasks],
        TASKS))
    return Facts(as_of=AS_OF, snapshot=snapshot, classification=KEYS, class_events=KEYS,
                 ratings=KEYS, previous_ratings=KEYS, loans=terms, customers=KEYS,
                 bureau_reports=KEYS, registry_events=KEYS, tasks=done,
                 deadlines=deadlines or Deadlines())


def run(calc, signal_id: str, f: Facts) -> dict[str, tuple[str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(calc(f, POLICY.signals[signal_id])).to_pylist()
    return {r["loan_id"] or r["customer_id"]: (r["severity"], r["evidence"]) for r in rows}


@pytest.mark.parametrize("disbursed, tasks, expected", [
    # 2026-05-31 + 30 days = 2026-06-30: due today, not late yet
    pytest.param("2026-05-31", [], None, id="due-today-not-late"),
    pytest.param("2026-05-30", [], "disbursed 2026-05-30, no first inspection by 2026-06-29 (30 days)",
                 id="a-day-late"),
    pytest.param("2026-01-05", [("C", "L", "first_inspection", "2026-02-20")], None,
                 id="done-late-is-done"),
    pytest.param("2026-01-05", [("C", "L", "first_inspection", "2026-07-01")],
                 "disbursed 2026-01-05, no first inspection by 2026-02-04 (30 days)",
                 id="recorded-after-the-date-unknown"),
    pytest.param("2026-01-05", [("C", "OTHER", "first_inspection", "2026-01-20"),
                                ("C", "L", "debt_confirmation", "2026-01-20")],
                 "disbursed 2026-01-05, no first inspection by 2026-02-04 (30 days)",
                 id="another-loan-or-kind-does-not-count"),
])
def test_first_inspection_late(disbursed, tasks, expected):
    got = run(first_inspection_late, "TASK-FIRST-INSPECTION-LATE",
              facts({"L": ("C", disbursed, "active")}, tasks))
    assert got.get("L") == (expected and ("medium", expected))


def test_settled_loans_and_no_register_fire_nothing():
    assert run(first_inspection_late, "TASK-FIRST-INSPECTION-LATE",
               facts({"L": ("C", "2025-01-05", "settled")}, [])) == {}
    for calc, sid in ((first_inspection_late, "TASK-FIRST-INSPECTION-LATE"),
                      (confirmation_late, "TASK-CONFIRMATION-LATE"),
                      (rating_stale, "TASK-RATING-STALE")):
        assert run(calc, sid, facts({"L": ("C", "2025-01-05", "active")}, None)) == {}


@pytest.mark.parametrize("loans, tasks, expected", [
    pytest.param({"L": ("C", "2026-03-30", "active")}, [], None, id="new-borrower-not-yet-due"),
    pytest.param({"L": ("C", "2026-03-29", "active"), "L2": ("C", "2026-06-01", "active")}, [],
                 "no debt confirmation since the first loan, disbursed 2026-03-29 (every 92 days)",
                 id="none-since-the-first-active-loan"),
    pytest.param({"L": ("C", "2025-01-05", "active")},
                 [("C", None, "debt_confirmation", "2026-03-30")], None, id="done-92-days-ago"),
    pytest.param({"L": ("C", "2025-01-05", "active")},
                 [("C", None, "debt_confirmation", "2026-03-29"),
                  ("C", None, "debt_confirmation", "2025-12-01")],
                 "last debt confirmation 2026-03-29 (every 92 days)", id="latest-too-old"),
])
def test_confirmation_late(loans, tasks, expected):
    got = run(confirmation_late, "TASK-CONFIRMATION-LATE", facts(loans, tasks))
    assert got.get("C") == (expected and ("low", expected))


def test_rating_refresh_uses_its_own_deadline():
    f = facts({"L": ("C", "2025-01-05", "active")}, [("C", None, "rating_refresh", "2026-05-01")],
              Deadlines(rating_refresh_every=30))
    assert run(rating_stale, "TASK-RATING-STALE", f) == {
        "C": ("low", "last rating refresh 2026-05-01 (every 30 days)")}


def test_signals_are_group_j_in_the_catalogue():
    assert [s.id for s in SIGNALS] == ["TASK-FIRST-INSPECTION-LATE", "TASK-CONFIRMATION-LATE",
                                       "TASK-RATING-STALE"]
    assert all(CATALOGUE[s.id] is s and s.group == "workflow" for s in SIGNALS)
