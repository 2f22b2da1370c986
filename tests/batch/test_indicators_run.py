"""The ``indicators`` mart as ``loanwatch run`` stores it on the simulated lender and
``loanwatch export indicators`` writes it; a threshold signal of the workspace's policy
opens alerts on the borrowers whose stored indicator passes it."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.domain.indicators import INDICATORS
from loanwatch.workspace import Workspace
from tests.batch.conftest import copy_of, rows

DAY = "2024-12-31"
cli = CliRunner()
OWN_SIGNAL = """threshold_signals:
  - id: CUSTOM-DEBT-BURDEN-3
    title_zh: 债务负担比超过3
    title_en: Debt burden ratio above 3
    group: custom
    indicator: debt_burden_ratio
    op: ">"
    value: 3
    severity: medium
    actions: [rerate]
    enabled: true
"""


def lw(*args: str | Path):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory, _lender_template: Path) -> Workspace:
    """The simulated lender with a threshold signal in its policy, the alerts (and so the
    indicators) computed for one date through the command line."""
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("indicators") / "ws")
    text = ws.policy_file.read_text(encoding="utf-8")
    ws.policy_file.write_text(text.replace("threshold_signals: []\n", OWN_SIGNAL), encoding="utf-8")
    result = lw("run", "--workspace", ws.root, "--as-of", DAY, "--mart", "alerts")
    assert result.exit_code == 0, result.output
    assert "indicators: " in result.output
    return ws


def test_one_row_per_borrower_with_an_active_loan(computed):
    got = rows(computed, f"SELECT customer_id FROM indicators WHERE as_of = DATE '{DAY}' "
                         "ORDER BY customer_id")
    active = rows(computed, f"SELECT DISTINCT customer_id FROM loan_snapshot WHERE as_of = "
                            f"DATE '{DAY}' AND status = 'active' ORDER BY customer_id")
    assert got == active and got


def test_the_overdue_counts_add_up_from_the_repayment_record(computed):
    (late,) = rows(computed, f"""
        SELECT sum(late_installments_12m) AS total FROM indicators WHERE as_of = DATE '{DAY}'""")
    (record,) = rows(computed, f"""
        SELECT sum(r.late_12m) AS total FROM repayment_record r
        JOIN loan_snapshot s ON s.loan_id = r.loan_id AND s.as_of = r.as_of
        WHERE r.as_of = DATE '{DAY}' AND s.customer_id IN (
            SELECT customer_id FROM indicators WHERE as_of = DATE '{DAY}')""")
    assert late["total"] == record["total"]


def test_export_writes_every_indicator_of_the_date(computed, tmp_path):
    out = tmp_path / "indicators.csv"
    result = lw("export", "indicators", "--workspace", computed.root, "--as-of", DAY, "--out", out)
    assert result.exit_code == 0, result.output
    with out.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header, exported = list(reader.fieldnames or ()), list(reader)
    assert header[:3] == ["customer_id", "as_of", "customer_type"]
    assert [i.name for i in INDICATORS] == header[3:3 + len(INDICATORS)]
    db = rows(computed, f"SELECT customer_id, debt_ratio FROM indicators WHERE as_of = DATE '{DAY}' "
                        "ORDER BY customer_id")
    assert [r["customer_id"] for r in exported] == [r["customer_id"] for r in db]
    for text, row in zip(exported, db, strict=True):
        assert (Decimal(text["debt_ratio"]) if text["debt_ratio"] else None) == row["debt_ratio"]


def test_the_policy_s_threshold_signal_opens_alerts_on_the_borrowers_above_it(computed):
    above = rows(computed, f"SELECT customer_id FROM indicators WHERE as_of = DATE '{DAY}' "
                           "AND debt_burden_ratio > 3 ORDER BY customer_id")
    alerts = rows(computed, f"SELECT * FROM alerts WHERE as_of = DATE '{DAY}' "
                            "AND signal_id = 'CUSTOM-DEBT-BURDEN-3' ORDER BY customer_id")
    assert above, "the simulated lender has borrowers with a debt burden ratio above 3"
    assert [a["customer_id"] for a in alerts] == [r["customer_id"] for r in above]
    a = alerts[0]
    assert (a["group"], a["status"], a["severity"], a["loan_id"], list(a["actions"])) == (
        "custom", "open", "medium", None, ["rerate"])
    assert a["evidence"].startswith("债务负担比 ") and " > 3" in a["evidence"]


@pytest.mark.parametrize("signal_id, condition", [
    ("IND-DEBT-BURDEN", "debt_burden_ratio > 5"),
    ("IND-REPAY-TO-INCOME", "repayment_to_income > 0.5"),
    ("IND-INCOME-DROP", "income_change <= -0.3"),
    ("FIN-REVENUE-DROP", "revenue_change_yoy <= -0.3"),
    ("BUREAU-OVERDUE-ELSEWHERE", "bureau_overdue_amount > 0"),
])
def test_a_catalogue_signal_fires_on_the_figures_the_indicators_show(computed, signal_id, condition):
    """The signal and the indicator are one calculation: the borrowers on the book a signal
    fires for are those whose indicator passes its default threshold."""
    on_book = f"SELECT customer_id FROM indicators WHERE as_of = DATE '{DAY}'"
    fired = rows(computed, f"SELECT customer_id FROM alerts WHERE as_of = DATE '{DAY}' AND "
                           f"signal_id = '{signal_id}' AND customer_id IN ({on_book}) ORDER BY 1")
    passing = rows(computed, f"{on_book} AND {condition} ORDER BY 1")
    assert fired == passing and passing
