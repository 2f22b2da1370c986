"""A borrower's warning level combines its open alerts (SIGNALS.md): the worst severity,
two medium signals from different groups raise it to high, a critical borrower shows on its
guarantor and makes all its loans critical."""

from __future__ import annotations

import datetime as dt

import ibis
import pyarrow as pa
import pytest

from loanwatch.rules.warning_level import Escalation, loan_warnings, warning_levels

ON = dt.date(2026, 6, 30)
TWO_MEDIUM = (Escalation(2, "medium", True, "high"),)
NO_DATES = {"_valid_from": pa.array([None], pa.date32()), "_valid_to": pa.array([None], pa.date32())}


def alerts(*rows: tuple[str, str | None, str, str, str]) -> ibis.Table:
    """rows: (customer_id, loan_id, signal_id, group, severity), all open."""
    col = lambda i: pa.array([r[i] for r in rows], pa.string())  # noqa: E731
    return ibis.memtable(pa.table({
        "as_of": pa.array([ON] * len(rows), pa.date32()), "customer_id": col(0), "loan_id": col(1),
        "signal_id": col(2), "group": col(3), "severity": col(4),
        "status": pa.array(["open"] * len(rows), pa.string())}))


def table(**cols) -> ibis.Table:
    n = len(next(iter(cols.values())))
    return ibis.memtable(pa.table({**{k: pa.array(v, pa.string()) for k, v in cols.items()},
                                   "_valid_from": pa.array([None] * n, pa.date32()),
                                   "_valid_to": pa.array([None] * n, pa.date32())}))


LOANS = table(loan_id=["L1", "L2", "L3"], customer_id=["C1", "C1", "C2"])
GUARANTEES = table(loan_id=["L1"], guarantor_customer_id=["G"])


def levels(a: ibis.Table, escalations=TWO_MEDIUM) -> dict[str, dict]:
    rows = ibis.duckdb.connect().to_pyarrow(
        warning_levels(a, GUARANTEES, LOANS, escalations, ON)).to_pylist()
    return {r["customer_id"]: r for r in rows}


@pytest.mark.parametrize("rows, level, raised", [
    ([("C1", "L1", "REPAY-OVERDUE", "repayment", "low")], "low", False),
    # two medium signals from different groups: high
    ([("C1", "L1", "REPAY-OVERDUE", "repayment", "medium"),
      ("C1", None, "REG-PENALTY", "registry", "medium")], "high", True),
    # two medium of the same group: still medium
    ([("C1", None, "BUREAU-NEW-LENDERS", "multi_lending", "medium"),
      ("C1", None, "BUREAU-INQUIRY-SPIKE", "multi_lending", "medium")], "medium", False),
    # a medium and a low: medium
    ([("C1", "L1", "REPAY-OVERDUE", "repayment", "low"),
      ("C1", None, "REG-PENALTY", "registry", "medium")], "medium", False),
    ([("C1", None, "REG-ENFORCEMENT", "registry", "critical"),
      ("C1", "L1", "REPAY-OVERDUE", "repayment", "medium")], "critical", False),
])
def test_the_level_is_the_worst_alert_raised_by_the_escalations(rows, level, raised):
    got = levels(alerts(*rows))["C1"]
    assert (got["level"], got["raised"]) == (level, raised)
    assert got["signals"] == sorted({r[2] for r in rows})


def test_a_closed_alert_does_not_count():
    a = alerts(("C1", "L1", "REPAY-OVERDUE", "repayment", "high"))
    a = a.mutate(status=ibis.literal("closed"))
    assert levels(a) == {}


def test_a_critical_borrower_shows_on_its_guarantor_and_makes_all_its_loans_critical():
    a = alerts(("C1", None, "REG-ENFORCEMENT", "registry", "critical"),
               ("C2", "L3", "REPAY-OVERDUE", "repayment", "low"))
    got = levels(a)
    assert got["G"]["guaranteed_level"] == "critical" and got["G"]["level"] is None
    lv = ibis.memtable(pa.Table.from_pylist(list(got.values())))
    loans = ibis.duckdb.connect().to_pyarrow(loan_warnings(lv, a, LOANS, ON)).to_pylist()
    assert {r["loan_id"]: r["level"] for r in loans} == {"L1": "critical", "L2": "critical",
                                                          "L3": "low"}
