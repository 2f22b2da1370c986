"""``loanwatch backtest`` on the simulated lender: the monitoring runs month by month, the
report is written, and the figures equal the same measures counted by hand from the stored
marts and the truth."""

from __future__ import annotations

import datetime as dt
import statistics
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from loanwatch.batch.backtest import TruthError, backtest, read_truth
from loanwatch.cli import app
from loanwatch.domain.calendar import Every, as_of_dates
from loanwatch.rules.backtest import HIGH_EARLY, NAIVE, Window
from tests.batch.conftest import copy_of, policy_of

MONTHS = as_of_dates(dt.date(2024, 1, 1), dt.date(2024, 12, 31), Every.MONTH_END)


@pytest.fixture(scope="module")
def backtested(tmp_path_factory, _lender_template, lender_dir):
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("backtest") / "ws")
    out = ws.root / "backtest.html"
    result = CliRunner().invoke(app, [
        "backtest", "-w", str(ws.root), "--from", "2024-01-01", "--to", "2024-12-31",
        "--truth", str(lender_dir / "ground_truth"), "--out", str(out), "--outcome-until",
        "2024-12-31"])
    assert result.exit_code == 0, result.output
    return ws, out, result.output


def test_the_report_shows_every_rule_and_the_charts(backtested):
    ws, out, printed = backtested
    html = out.read_text(encoding="utf-8")
    for text in ("预警回测报告", "召回率", "提升度", HIGH_EARLY, NAIVE, "<svg"):
        assert text in html
    assert "24 month-ends" not in printed and "12 month-ends" in printed


def test_the_naive_rule_equals_a_count_by_hand(backtested, lender_dir):
    ws, _, _ = backtested
    truth = read_truth(lender_dir / "ground_truth").to_pylist()
    rows = backtest(ws, policy_of(ws), MONTHS, read_truth(lender_dir / "ground_truth"),
                    rerun=False).rows
    naive = next(r for r in rows if r["rule"] == NAIVE)
    with ws.connect(read_only=True) as con:
        snaps = con.execute(
            "SELECT as_of, loan_id, customer_id, status, dpd FROM loan_snapshot "
            "WHERE as_of BETWEEN '2024-01-31' AND '2024-12-31'").fetchall()
    owner = {loan: cust for _, loan, cust, _, _ in snaps}
    late = {(d, c) for d, _, c, s, dpd in snaps if s == "active" and dpd >= 1}
    eligible, leads = 0, []
    for t in truth:
        if t["first_90dpd_on"] is None or t["loan_id"] not in owner:
            continue
        miss = t["first_90dpd_on"] - dt.timedelta(days=91)
        if t["first_90dpd_on"] > MONTHS[-1] or miss - dt.timedelta(days=30) < MONTHS[0]:
            continue
        eligible += 1
        warned = [d for d in MONTHS if (d, owner[t["loan_id"]]) in late
                  and miss - dt.timedelta(days=365) <= d <= miss - dt.timedelta(days=30)]
        if warned:
            leads.append((miss - min(warned)).days)
    assert eligible > 0
    assert (naive["defaults"], naive["warned"]) == (eligible, len(leads))
    if leads:
        assert naive["median_lead_days"] == statistics.median(leads)


def test_re_measuring_the_stored_history_gives_the_same_figures(backtested, lender_dir):
    ws, _, _ = backtested
    truth = read_truth(lender_dir / "ground_truth")
    a = backtest(ws, policy_of(ws), MONTHS, truth, rerun=False).rows
    b = backtest(ws, policy_of(ws), MONTHS, truth, rerun=False, window=Window()).rows
    assert a == b and {r["rule"] for r in a} >= {HIGH_EARLY, NAIVE}


def test_truth_in_csv_with_empty_dates(tmp_path: Path):
    (tmp_path / "loans.csv").write_text(
        "loan_id,customer_id,first_90dpd_on\nL1,C1,2024-05-01\nL2,C2,\n", encoding="utf-8")
    t = read_truth(tmp_path)
    assert t.to_pylist() == [{"loan_id": "L1", "first_90dpd_on": dt.date(2024, 5, 1)},
                             {"loan_id": "L2", "first_90dpd_on": None}]


@pytest.mark.parametrize("content, message", [
    (None, "no loans.parquet or loans.csv"),
    ("loan_id,default_on\nL1,2024-01-01\n", "missing column first_90dpd_on"),
    ("loan_id,first_90dpd_on\nL1,soon\n", "loans.csv"),
])
def test_a_bad_truth_is_a_clear_error(tmp_path: Path, content, message):
    if content is not None:
        (tmp_path / "loans.csv").write_text(content, encoding="utf-8")
    with pytest.raises(TruthError, match=message):
        read_truth(tmp_path)


def test_the_cli_refuses_a_bad_truth_folder(tmp_path: Path, example_ws):
    result = CliRunner().invoke(app, ["backtest", "-w", str(example_ws.root), "--from",
                                      "2024-01-01", "--to", "2024-05-31", "--truth",
                                      str(tmp_path)])
    assert result.exit_code == 2 and "no loans.parquet" in result.output


def test_parquet_truth_is_read_typed_and_other_columns_left_out(tmp_path: Path):
    pq.write_table(pa.table({"loan_id": ["L1"], "product": ["x"],
                             "first_90dpd_on": pa.array([dt.date(2024, 2, 3)], pa.date32())}),
                   tmp_path / "loans.parquet")
    t = read_truth(tmp_path)
    assert t.column_names == ["loan_id", "first_90dpd_on"]
    assert t["first_90dpd_on"].type == pa.date32()
