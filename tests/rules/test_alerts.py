"""An alert per signal and subject while its condition lasts: opened, updated, closed by
itself, never duplicated by re-running a date."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa

from loanwatch.rules.alerts import ALERT, alert_states

MAY, JUNE, JULY = dt.date(2026, 5, 31), dt.date(2026, 6, 30), dt.date(2026, 7, 31)


def fired(*rows: tuple[str, str | None, str, str, str]) -> ibis.Table:
    """rows: (signal_id, loan_id, customer_id, severity, evidence)."""
    text = lambda i: pa.array([r[i] for r in rows], pa.string())  # noqa: E731
    return ibis.memtable(pa.table({
        "signal_id": text(0), "group": pa.array(["repayment"] * len(rows), pa.string()),
        "customer_id": text(2), "loan_id": text(1), "severity": text(3), "evidence": text(4),
        "actions": pa.array([["remind"]] * len(rows), pa.list_(pa.string()))}))


def states(today: ibis.Table, previous: list[dict], as_of: dt.date) -> dict[str, dict]:
    prev = ibis.memtable(pa.Table.from_pylist(previous, schema=ALERT))
    rows = ibis.duckdb.connect().to_pyarrow(alert_states(today, prev, as_of)).to_pylist()
    return {r["subject"] + "/" + r["signal_id"]: r for r in rows}


def test_a_new_firing_opens_an_alert_and_the_next_run_keeps_it_with_todays_figures():
    may = states(fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 10")), [], MAY)
    alert = may["L1/REPAY-OVERDUE"]
    assert (alert["status"], alert["opened_on"], alert["closed_on"]) == ("open", MAY, None)
    june = states(fired(("REPAY-OVERDUE", "L1", "C1", "medium", "DPD 40")), list(may.values()),
                  JUNE)
    kept = june["L1/REPAY-OVERDUE"]
    assert kept["alert_id"] == alert["alert_id"] and kept["opened_on"] == MAY
    assert (kept["severity"], kept["evidence"], kept["last_seen_on"]) == ("medium", "DPD 40", JUNE)
    assert len(june) == 1


def test_an_alert_that_no_longer_fires_closes_itself_and_is_not_carried_further():
    may = states(fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 10"),
                       ("BUREAU-INQUIRY-SPIKE", None, "C2", "medium", "9 inquiries")), [], MAY)
    june = states(fired(("BUREAU-INQUIRY-SPIKE", None, "C2", "medium", "8 inquiries")),
                  list(may.values()), JUNE)
    closed = june["L1/REPAY-OVERDUE"]
    assert (closed["status"], closed["closed_on"], closed["last_seen_on"]) == ("closed", JUNE, MAY)
    assert closed["evidence"] == "DPD 10"  # what it last showed
    assert june["C2/BUREAU-INQUIRY-SPIKE"]["status"] == "open"
    july = states(fired(), list(june.values()), JULY)
    assert set(july) == {"C2/BUREAU-INQUIRY-SPIKE"}  # the closed one is gone, the other closes
    assert july["C2/BUREAU-INQUIRY-SPIKE"]["status"] == "closed"


def test_a_condition_that_returns_after_closing_is_a_new_alert():
    may = states(fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 3")), [], MAY)
    june = states(fired(), list(may.values()), JUNE)
    july = states(fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 5")), list(june.values()), JULY)
    again = july["L1/REPAY-OVERDUE"]
    assert again["opened_on"] == JULY and again["alert_id"] != may["L1/REPAY-OVERDUE"]["alert_id"]


def test_re_running_a_date_on_the_same_run_before_gives_the_same_alerts():
    may = list(states(fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 3")), [], MAY).values())
    today = fired(("REPAY-OVERDUE", "L1", "C1", "low", "DPD 33"),
                  ("REPAY-OVERDUE", "L2", "C1", "low", "DPD 1"))
    assert states(today, may, JUNE) == states(today, may, JUNE)
    assert len(states(today, may, JUNE)) == 2
