"""``run_marts``: one stored loan snapshot per loan in force and per date, stamped with its run
and policy; re-runs replace; a history equals its dates run alone; a failed run loses
nothing; a later import does not rewrite the past."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter

import duckdb
import pytest

from loanwatch.batch import runner
from loanwatch.batch.marts import MARTS
from loanwatch.batch.runner import DATES_PER_PASS
from loanwatch.domain.calendar import Every, as_of_dates
from loanwatch.engines.duckdb import in_force_sql
from loanwatch.workspace import Workspace
from tests.batch.conftest import (
    LENDER,
    D,
    add_rows,
    change_row,
    delivery,
    import_into,
    loan,
    policy_of,
    run,
    runs,
    stored,
    values,
)


def loans_in_force(ws: Workspace, day: dt.date) -> list[str]:
    with ws.connect(read_only=True) as con:
        rows = con.execute(f"SELECT loan_id FROM {in_force_sql('loans', day)}").fetchall()
    return sorted(r[0] for r in rows)


def loan_ids(rows, day: dt.date) -> list[str]:
    return sorted(r["loan_id"] for r in rows if r["as_of"] == day)


# -- what a run stores ------------------------------------------------------------------------

def test_a_run_stores_one_row_per_loan_in_force_and_date(lender_ws):
    days = [D("2023-01-31"), D("2023-06-30"), D("2024-02-29"), D("2024-12-31")]
    result = run(lender_ws, *days)
    rows = stored(lender_ws)
    assert {r["as_of"] for r in rows} == set(days)
    for day in days:
        assert loan_ids(rows, day) == loans_in_force(lender_ws, day), day
    assert result.rows["loan_snapshot"] == len(rows) and result.dates == days
    # the lender's book is not trivial: the dates see it grow, default and pay off
    statuses = Counter(r["status"] for r in rows)
    assert {"not_started", "active", "settled", "written_off"} <= set(statuses)
    assert any(r["dpd"] > 90 for r in rows)


def _restructure_l003(data) -> None:
    """L003's bullet of 500,000 is split over June and September."""
    change_row(data, "loans", "2024-03-10,2024-06-10", "2024-03-10,2024-09-10")
    change_row(data, "installments", "L003,1,2024-06-10,500000.00,6250.00,0",
               "L003,1,2024-06-10,250000.00,6250.00,0\nL003,2,2024-09-10,250000.00,3125.00,0")


def test_a_loan_with_two_versions_has_one_row_per_date_from_the_version_in_force(example_ws, tmp_path):
    later = delivery(tmp_path / "later", "loans", "installments")
    _restructure_l003(later)
    import_into(example_ws, later, "2024-08-15")
    run(example_ws, "2024-07-31", "2024-08-31")
    rows = stored(example_ws)
    assert Counter((r["as_of"], r["loan_id"]) for r in rows) == {
        (D(day), lid): 1 for day in ("2024-07-31", "2024-08-31") for lid in ("L001", "L002", "L003")}
    before, after = loan(rows, "L003", "2024-07-31"), loan(rows, "L003", "2024-08-31")
    assert (before["maturity_on"], before["dpd"], before["overdue_principal"]) == (
        D("2024-06-10"), 51, 500000)
    assert (after["maturity_on"], after["dpd"], after["overdue_principal"]) == (
        D("2024-09-10"), 82, 250000)


def test_rows_and_lw_runs_record_the_run_and_the_policy_version(example_ws):
    version = policy_of(example_ws).version_id
    first = run(example_ws, "2024-03-31", "2024-06-30")
    rows = stored(example_ws)
    assert {(r["run_id"], r["policy_version"]) for r in rows} == {(first.run_id, version)}
    assert (first.engine, first.policy_version) == ("duckdb", version)
    assert runs(example_ws) == [(first.run_id, "loan_snapshot", D("2024-03-31"), "duckdb", version, 3),
                                (first.run_id, "loan_snapshot", D("2024-06-30"), "duckdb", version, 3)]


def test_a_changed_policy_is_recorded_by_the_next_run(example_ws):
    old = run(example_ws, "2024-06-30")
    policy = example_ws.policy_file
    policy.write_text(policy.read_text(encoding="utf-8").replace('version: "2026.1"', 'version: "2026.2"'),
                      encoding="utf-8")
    new = run(example_ws, "2024-06-30")
    assert new.run_id > old.run_id
    assert new.policy_version.startswith("2026.2+") and new.policy_version != old.policy_version
    assert {r["policy_version"] for r in stored(example_ws)} == {new.policy_version}
    assert [(r[0], r[4]) for r in runs(example_ws)] == [(old.run_id, old.policy_version),
                                                        (new.run_id, new.policy_version)]


# -- re-runs and histories --------------------------------------------------------------------

def test_re_running_a_date_replaces_its_rows_with_the_same_values(lender_ws):
    first = run(lender_ws, "2024-06-30")
    before = stored(lender_ws)
    second = run(lender_ws, "2024-06-30")
    after = stored(lender_ws)
    assert len(after) == len(before) == len(loans_in_force(lender_ws, D("2024-06-30")))
    assert values(after) == values(before)
    assert {r["run_id"] for r in before} == {first.run_id}
    assert {r["run_id"] for r in after} == {second.run_id} != {first.run_id}
    assert [(r[0], r[2], r[5]) for r in runs(lender_ws)] == [(first.run_id, D("2024-06-30"), len(before)),
                                                             (second.run_id, D("2024-06-30"), len(after))]


def test_an_overlapping_run_replaces_only_its_own_dates(example_ws):
    first = run(example_ws, "2024-04-30", "2024-05-31")
    second = run(example_ws, "2024-05-31", "2024-06-30")
    rows = stored(example_ws)
    assert Counter((r["as_of"], r["run_id"]) for r in rows) == {
        (D("2024-04-30"), first.run_id): 3, (D("2024-05-31"), second.run_id): 3,
        (D("2024-06-30"), second.run_id): 3}


def test_a_history_gives_each_date_the_rows_it_gets_alone(lender_ws):
    days = as_of_dates(D("2024-01-01"), LENDER.end, Every.MONTH_END)
    assert len(days) == 12
    alone = []
    for day in days:
        run(lender_ws, day)
        alone += values(stored(lender_ws, day))
    for width in (DATES_PER_PASS, 5):  # 5: groups of unequal size
        result = run(lender_ws, *reversed(days), dates_per_pass=width)  # any order
        history = stored(lender_ws)
        assert {r["run_id"] for r in history} == {result.run_id}
        assert values(history) == alone, f"dates_per_pass={width}"


def test_a_day_by_day_history_does_not_depend_on_how_its_days_are_grouped(lender_ws):
    days = as_of_dates(D("2024-06-26"), D("2024-07-03"), Every.DAY)  # due dates, a month end
    by_width = {}
    for width in (1, 3, len(days)):
        run(lender_ws, *days, dates_per_pass=width)
        by_width[width] = values(stored(lender_ws))
    assert by_width[3] == by_width[1] and by_width[len(days)] == by_width[1]
    assert len({(r["as_of"], r["next_due_on"]) for r in by_width[1]}) > 50  # many due dates passed


# -- a run that fails -------------------------------------------------------------------------

BOOKED = ["2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30", "2024-07-31"]
RERUN = BOOKED[:4]  # in two groups: March-April, May-June
FAILING = "2024-05-31"


def _insert_fails_inside_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """The INSERT of the group holding FAILING stops in DuckDB on that date's rows, after the
    DELETE of the group's dates ran in the same transaction. (The runner holds its own
    reference to ``store.save_mart``, so that is the one replaced.)"""
    save_mart = runner.save_mart

    def failing(con, mart, rows_sql, dates, **stamp):
        if D(FAILING) in dates:
            rows_sql = (f"SELECT * REPLACE (CASE WHEN as_of = DATE '{FAILING}' THEN "
                        f"error('injected: disk full')::INTEGER ELSE dpd END AS dpd) FROM ({rows_sql})")
        return save_mart(con, mart, rows_sql, dates, **stamp)

    monkeypatch.setattr(runner, "save_mart", failing)


def _build_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """Computing the group holding FAILING raises before anything of it is written."""
    mart = MARTS["loan_snapshot"]

    def failing(engine, dates, policy, **context):
        if D(FAILING) in dates:
            raise RuntimeError("injected: engine lost")
        return mart.build(engine, dates, policy, **context)

    monkeypatch.setitem(MARTS, "loan_snapshot", dataclasses.replace(mart, build=failing))


@pytest.mark.parametrize("fault", [_insert_fails_inside_the_database, _build_fails])
def test_a_failed_run_leaves_the_dates_it_did_not_finish_as_they_were(example_ws, tmp_path,
                                                                      monkeypatch, fault):
    earlier = run(example_ws, *BOOKED)
    booked = stored(example_ws)
    # a correction arrives: L001's first payment was 15.00, not 1,015.00
    later = delivery(tmp_path / "later", "repayments")
    change_row(later, "repayments", "R001,L001,2024-02-15,1015.00", "R001,L001,2024-02-15,15.00")
    import_into(example_ws, later, "2024-02-20")
    fault(monkeypatch)
    with pytest.raises((duckdb.Error, RuntimeError), match="injected"):
        run(example_ws, *RERUN, dates_per_pass=2)

    after = stored(example_ws)
    done, failed = RERUN[:2], [*RERUN[2:], BOOKED[4]]
    # the group stored before the failure holds the new run, with the correction
    assert {r["run_id"] for r in after if str(r["as_of"]) in done} == {earlier.run_id + 1}
    assert loan(after, "L001", "2024-03-31")["dpd"] == 16 != loan(booked, "L001", "2024-03-31")["dpd"]
    # the failing group and the date not re-run are the earlier run's rows, untouched
    assert [r for r in after if str(r["as_of"]) in failed] == [r for r in booked if str(r["as_of"]) in failed]
    assert {(r[0], str(r[2])) for r in runs(example_ws)} == {
        *((earlier.run_id, d) for d in BOOKED), *((earlier.run_id + 1, d) for d in done)}


# -- point in time ----------------------------------------------------------------------------

@pytest.mark.parametrize("imported_as_of", ["2024-06-15", "2024-09-30"])
def test_repayments_dated_after_the_as_of_do_not_change_its_snapshot(example_ws, tmp_path,
                                                                     imported_as_of):
    run(example_ws, "2024-06-30")
    before = stored(example_ws)
    later = delivery(tmp_path / "later", "repayments")
    add_rows(later, "repayments", "R005,L003,2024-07-01,506250.00")
    import_into(example_ws, later, imported_as_of)
    run(example_ws, "2024-06-30", "2024-07-31")
    assert values(stored(example_ws, "2024-06-30")) == values(before)
    later = loan(stored(example_ws, "2024-07-31"), "L003", "2024-07-31")
    assert (later["status"], later["outstanding_principal"], later["dpd"]) == ("settled", 0, 0)


def test_a_repayment_made_on_the_as_of_date_counts_at_it(example_ws, tmp_path):
    run(example_ws, "2024-06-30")
    assert loan(stored(example_ws), "L003", "2024-06-30")["dpd"] == 20
    later = delivery(tmp_path / "later", "repayments")
    add_rows(later, "repayments", "R005,L003,2024-06-30,506250.00")
    import_into(example_ws, later, "2024-06-30")
    run(example_ws, "2024-06-30")
    now = loan(stored(example_ws), "L003", "2024-06-30")
    assert (now["status"], now["dpd"], now["outstanding_principal"], now["penalty_interest"]) == (
        "settled", 0, 0, 0)


def test_a_correction_imported_later_leaves_earlier_dates_as_they_were(example_ws, tmp_path):
    run(example_ws, "2024-06-30", "2024-07-31")
    before = stored(example_ws)
    later = delivery(tmp_path / "later", "repayments")
    change_row(later, "repayments", "R003,L002,2024-05-01,10875.00", "R003,L002,2024-05-01,875.00")
    import_into(example_ws, later, "2024-07-15")
    run(example_ws, "2024-06-30", "2024-07-31")
    after = stored(example_ws)
    assert values(r for r in after if r["as_of"] == D("2024-06-30")) == values(
        r for r in before if r["as_of"] == D("2024-06-30"))
    corrected = loan(after, "L002", "2024-07-31")
    assert (corrected["dpd"], corrected["overdue_interest"], corrected["paid_interest"]) == (91, 10000, 875)
    assert loan(before, "L002", "2024-07-31")["dpd"] == 0


def _migration_totals(ws, day: str) -> tuple:
    with ws.connect(read_only=True) as con:
        return tuple(con.execute("SELECT sum(loans), sum(balance_before) FROM migration "
                                 f"WHERE as_of = DATE '{day}'").fetchall()[0])


def test_migration_compares_with_the_month_end_before_stored_or_not(lender_ws):
    # May 31 is not stored: computed for the occasion, not stored
    run(lender_ws, "2024-06-30", marts=("migration",))
    assert {r["as_of"] for r in stored(lender_ws)} == {D("2024-06-30")}
    alone = _migration_totals(lender_ws, "2024-06-30")
    run(lender_ws, "2024-05-31", "2024-06-30", marts=("migration",))
    with lender_ws.connect(read_only=True) as con:
        book = con.execute(
            "SELECT count(*), sum(outstanding_principal) FROM loan_snapshot WHERE as_of = DATE '2024-05-31' "
            "AND status = 'active' AND outstanding_principal > 0").fetchall()[0]
    # every loan of May's book is somewhere in June, whichever way May was found
    assert alone == _migration_totals(lender_ws, "2024-06-30") == book and book[0] > 0


def test_a_mart_that_gained_a_column_since_its_table_was_made_gets_it(example_ws):
    run(example_ws, "2024-05-31")
    with example_ws.connect() as con:  # as an older LoanWatch made it
        con.execute("ALTER TABLE loan_snapshot DROP COLUMN penalty_interest")
    run(example_ws, "2024-06-30")
    rows = stored(example_ws)
    assert {r["as_of"] for r in rows if r["penalty_interest"] is None} == {D("2024-05-31")}
    assert all(r["penalty_interest"] is not None for r in rows if r["as_of"] == D("2024-06-30"))
