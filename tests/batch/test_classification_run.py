"""Classification, ratings, staging and ECL as ``loanwatch run`` stores them on the simulated
lender: every loan on the book classified, the figures of the portfolio metrics equal to
the loans', events equal to the classes that worsened, a person's class surviving re-runs."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from loanwatch.batch.overrides_store import propose_override, review_override
from loanwatch.workspace import Workspace
from tests.batch.conftest import D, rows, run, values

MONTHS = ["2024-07-31", "2024-08-31", "2024-09-30", "2024-10-31", "2024-11-30", "2024-12-31"]
RANK = {c: i for i, c in enumerate(("normal", "special_mention", "substandard", "doubtful", "loss"))}
CLASSIFIED = ("class_events", "class_migration", "portfolio_metrics", "loan_warnings")


@pytest.fixture(scope="module")
def classified(tmp_path_factory, _lender_template) -> Workspace:
    from tests.batch.conftest import copy_of
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("classified") / "ws")
    run(ws, *MONTHS, marts=CLASSIFIED)
    return ws


def test_every_loan_on_the_book_is_classified_with_its_reasons(classified):
    book = rows(classified, "SELECT s.loan_id, s.as_of, s.dpd, c.five_class, c.reasons, c.grade, "
                "c.stage, c.ecl FROM loan_snapshot s LEFT JOIN classification c USING (loan_id, as_of) "
                "WHERE s.status IN ('active', 'written_off')")
    assert book and all(r["five_class"] is not None for r in book)
    for r in book:
        assert r["grade"] and r["stage"] in (1, 2, 3) and r["ecl"] >= 0
        if r["dpd"] > 90:
            assert RANK[r["five_class"]] >= RANK["substandard"] and r["stage"] == 3
        if r["five_class"] != "normal":
            assert r["reasons"], r
    classes = {r["five_class"] for r in book}
    assert {"normal", "special_mention", "substandard"} <= classes


def test_the_npl_ratio_and_loss_allowance_add_up_from_the_loans(classified):
    for day in MONTHS:
        (whole,) = rows(classified, "SELECT * FROM portfolio_metrics WHERE dimension = 'all' "
                        f"AND as_of = DATE '{day}'")
        loans = rows(classified, "SELECT five_class, stage, ecl, outstanding_principal AS o FROM "
                     f"classification WHERE as_of = DATE '{day}' AND status = 'active' "
                     "AND outstanding_principal > 0")
        npl = sum((r["o"] for r in loans if RANK[r["five_class"]] >= 2), Decimal(0))
        allowance = sum((r["ecl"] for r in loans), Decimal(0))
        assert whole["npl_balance"] == npl and whole["loss_allowance"] == allowance
        assert whole["stage3_balance"] == sum((r["o"] for r in loans if r["stage"] == 3), Decimal(0))
        assert whole["npl_ratio"] == pytest.approx(float(npl) / float(whole["outstanding"]))
        if npl:
            assert whole["provision_coverage"] == pytest.approx(float(allowance) / float(npl))


def test_events_are_the_loans_whose_class_worsened_since_the_run_before(classified):
    for before, day in zip(MONTHS, MONTHS[1:], strict=False):
        was = {r["loan_id"]: r["five_class"] for r in rows(
            classified, f"SELECT loan_id, five_class FROM classification WHERE as_of = DATE '{before}'")}
        now = rows(classified, f"SELECT loan_id, five_class FROM classification WHERE as_of = DATE '{day}'")
        worse = {r["loan_id"] for r in now
                 if r["loan_id"] in was and RANK[r["five_class"]] > RANK[was[r["loan_id"]]]}
        events = rows(classified, f"SELECT * FROM class_events WHERE as_of = DATE '{day}'")
        assert {e["loan_id"] for e in events} == worse
        assert all(e["previous_as_of"] == D(before) for e in events)


def test_the_class_migration_matrix_holds_the_book_of_the_month_before(classified):
    for before, day in zip(MONTHS, MONTHS[1:], strict=False):
        (book,) = rows(classified, "SELECT count(*) AS n, sum(outstanding_principal) AS o FROM "
                       f"classification WHERE as_of = DATE '{before}' AND status = 'active' "
                       "AND outstanding_principal > 0")
        (moved,) = rows(classified, "SELECT sum(loans) AS n, sum(balance_before) AS o FROM "
                        f"class_migration WHERE as_of = DATE '{day}'")
        assert (moved["n"], moved["o"]) == (book["n"], book["o"])


def test_ratings_cover_every_borrower_on_the_book(classified):
    day = MONTHS[-1]
    borrowers = {r["customer_id"] for r in rows(
        classified, f"SELECT customer_id FROM classification WHERE as_of = DATE '{day}'")}
    rated = rows(classified, f"SELECT * FROM ratings WHERE as_of = DATE '{day}'")
    assert {r["customer_id"] for r in rated} >= borrowers
    assert all(1 <= r["grade"] <= 10 and r["rated_on"] == D(day) for r in rated)


def test_a_person_s_class_survives_re_runs_and_approval_lets_it_be_better(classified, tmp_path):
    from tests.batch.conftest import copy_of
    ws = copy_of(classified.root, tmp_path / "ws")
    day = MONTHS[-1]
    (loan,) = rows(ws, "SELECT loan_id, five_class FROM classification WHERE as_of = "
                   f"DATE '{day}' AND five_class = 'special_mention' ORDER BY loan_id LIMIT 1")
    at = dt.datetime(2024, 12, 20, 9)
    with ws.connect() as con:
        worse = propose_override(con, loan_id=loan["loan_id"], five_class="doubtful",
                                 reason="借款人失联", by="alice", effective_from=D("2024-12-01"), now=at)
    run(ws, day, marts=("classification",))
    run(ws, day, marts=("classification",))
    (row,) = rows(ws, "SELECT five_class, reasons, override_id, override_by, auto_class FROM "
                  f"classification WHERE as_of = DATE '{day}' AND loan_id = '{loan['loan_id']}'")
    assert row == dict(five_class="doubtful", reasons=["MANUAL"], override_id=worse.override_id,
                       override_by="alice", auto_class="special_mention")
    with ws.connect() as con:
        better = propose_override(con, loan_id=loan["loan_id"], five_class="normal", reason="已结清欠款",
                                  by="alice", effective_from=D("2024-12-01"), now=at)
    run(ws, day, marts=("classification",))
    assert rows(ws, f"SELECT five_class FROM classification WHERE as_of = DATE '{day}' AND "
                f"loan_id = '{loan['loan_id']}'") == [dict(five_class="special_mention")]
    with ws.connect() as con:
        review_override(con, better.override_id, action="approve", by="bob", now=at)
    run(ws, day, marts=("classification",))
    assert rows(ws, f"SELECT five_class FROM classification WHERE as_of = DATE '{day}' AND "
                f"loan_id = '{loan['loan_id']}'") == [dict(five_class="normal")]


def test_re_running_the_last_date_gives_the_same_classification(classified, tmp_path):
    from tests.batch.conftest import copy_of
    ws = copy_of(classified.root, tmp_path / "ws")
    day = MONTHS[-1]
    query = f"SELECT * EXCLUDE (run_id) FROM classification WHERE as_of = DATE '{day}' ORDER BY loan_id"
    first = rows(ws, query)
    run(ws, day, marts=("classification",))
    assert values(rows(ws, query)) == values(first)


def test_alerts_are_one_per_signal_and_subject_and_follow_the_overdue_loans(classified):
    for day in MONTHS:
        alerts = rows(classified, f"SELECT * FROM alerts WHERE as_of = DATE '{day}'")
        keys = [(a["signal_id"], a["subject"]) for a in alerts]
        assert len(keys) == len(set(keys))
        late = {r["loan_id"] for r in rows(
            classified, f"SELECT loan_id FROM loan_snapshot WHERE as_of = DATE '{day}' "
            "AND status = 'active' AND dpd >= 1")}
        overdue = {a["loan_id"] for a in alerts
                   if a["signal_id"] == "REPAY-OVERDUE" and a["status"] == "open"}
        assert overdue == late
    # an alert open at two month ends in a row is the same alert, opened the first time
    first, second = (
        {(a["signal_id"], a["subject"]): a for a in rows(
            classified, f"SELECT * FROM alerts WHERE as_of = DATE '{d}' AND status = 'open'")}
        for d in MONTHS[-2:])
    both = set(first) & set(second)
    assert both and all(second[k]["alert_id"] == first[k]["alert_id"]
                        and second[k]["opened_on"] == first[k]["opened_on"] for k in both)
    # the classification's downgrades of the last month are alerts too
    events = {r["loan_id"] for r in rows(
        classified, f"SELECT loan_id FROM class_events WHERE as_of = DATE '{MONTHS[-1]}'")}
    downgraded = {a["loan_id"] for a in rows(
        classified, f"SELECT loan_id FROM alerts WHERE as_of = DATE '{MONTHS[-1]}' "
        "AND signal_id = 'CLASS-DOWNGRADE' AND status = 'open'")}
    assert downgraded == events


def test_the_repayment_signals_follow_the_repayment_record(classified):
    day = MONTHS[-1]
    record = {r["loan_id"]: r for r in rows(
        classified, "SELECT r.* FROM repayment_record r JOIN loan_snapshot s ON s.loan_id = "
        f"r.loan_id AND s.as_of = r.as_of WHERE r.as_of = DATE '{day}' AND s.status = 'active'")}
    assert all(r["long_late_12m"] <= r["late_12m"] and r["partial_periods"] <= r["recent_periods"]
               and r["partial_periods"] == len(r["partials"] or []) for r in record.values())

    def alerted(signal_id: str) -> set[str]:
        return {a["loan_id"] for a in rows(
            classified, f"SELECT loan_id FROM alerts WHERE as_of = DATE '{day}' AND "
            f"signal_id = '{signal_id}' AND status = 'open'")}

    partial = {k for k, r in record.items() if r["partial_periods"] >= 2}
    repeat = {k for k, r in record.items() if r["late_12m"] >= 3 or r["long_late_12m"] >= 2}
    assert partial and alerted("REPAY-PARTIAL") == partial
    assert repeat and alerted("REPAY-REPEAT") == repeat
    soon = {r["loan_id"] for r in rows(
        classified, f"SELECT loan_id FROM loan_snapshot WHERE as_of = DATE '{day}' AND status = "
        f"'active' AND next_due_on > DATE '{day}' AND next_due_on <= DATE '{day}' + 5")}
    assert alerted("REPAY-DUE-SOON-RISK") and alerted("REPAY-DUE-SOON-RISK") < soon


def test_each_borrower_s_warning_level_is_at_least_its_worst_open_alert(classified):
    order = ("info", "low", "medium", "high", "critical")
    day = MONTHS[-1]
    worst: dict[str, int] = {}
    for a in rows(classified, f"SELECT customer_id, severity FROM alerts WHERE as_of = DATE '{day}' "
                  "AND status = 'open'"):
        worst[a["customer_id"]] = max(worst.get(a["customer_id"], 0), order.index(a["severity"]))
    levels = {r["customer_id"]: r for r in rows(
        classified, f"SELECT * FROM warning_levels WHERE as_of = DATE '{day}'")}
    assert worst and set(worst) <= set(levels)
    for customer, rank in worst.items():
        assert order.index(levels[customer]["level"]) >= rank
    loans = rows(classified, f"SELECT * FROM loan_warnings WHERE as_of = DATE '{day}'")
    assert loans and all(r["customer_id"] in levels for r in loans)
