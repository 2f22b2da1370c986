"""``loanwatch run``: one as-of date or a history of dates, the rows written in the output;
contradictory options are usage errors (exit code 2) that store nothing."""

from __future__ import annotations

from collections import Counter

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.workspace import Workspace
from tests.batch.conftest import runs, stored

cli = CliRunner()


def lw(*args):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def run_cli(ws: Workspace, *args: str):
    return lw("run", "--workspace", ws.root, *args)


def dates_stored(ws: Workspace) -> Counter:
    return Counter(str(r["as_of"]) for r in stored(ws))


def test_run_as_of_one_date_stores_it_and_says_how_many_rows(example_ws):
    result = run_cli(example_ws, "--as-of", "2024-06-30")
    assert result.exit_code == 0, result.output
    assert dates_stored(example_ws) == {"2024-06-30": 3}
    (run_id, *_), = runs(example_ws)
    assert f"run {run_id} as of 2024-06-30, engine duckdb" in result.output
    assert "loan_snapshot: 3 rows" in result.output


def test_run_a_history_of_month_ends(example_ws):
    result = run_cli(example_ws, "--from", "2024-01-15", "--to", "2024-06-30", "--every", "month-end")
    assert result.exit_code == 0, result.output
    months = ["2024-01-31", "2024-02-29", "2024-03-31", "2024-04-30", "2024-05-31", "2024-06-30"]
    assert dates_stored(example_ws) == dict.fromkeys(months, 3)
    assert "2024-01-31 … 2024-06-30 (6 dates)" in result.output
    assert "loan_snapshot: 18 rows" in result.output


def test_a_history_is_of_month_ends_by_default(example_ws):
    result = run_cli(example_ws, "--from", "2024-05-01", "--to", "2024-06-30", "--mart",
                     "loan_snapshot")
    assert result.exit_code == 0, result.output
    assert dates_stored(example_ws) == {"2024-05-31": 3, "2024-06-30": 3}


def test_run_a_history_of_days(example_ws):
    result = run_cli(example_ws, "--from", "2024-06-08", "--to", "2024-06-12", "--every", "day",
                     "--mart", "loan_snapshot")
    assert result.exit_code == 0, result.output
    assert dates_stored(example_ws) == {f"2024-06-{d:02}": 3 for d in range(8, 13)}
    assert "loan_snapshot: 15 rows" in result.output
    l003 = [r for r in stored(example_ws) if r["loan_id"] == "L003"]
    # due on 06-10 and unpaid: not overdue on its due date, one day past due the day after
    assert [(str(r["as_of"]), r["dpd"]) for r in l003] == [
        ("2024-06-08", 0), ("2024-06-09", 0), ("2024-06-10", 0), ("2024-06-11", 1), ("2024-06-12", 2)]


def test_a_run_of_one_mart_computes_it_and_the_marts_it_reads_only(example_ws):
    result = run_cli(example_ws, "--as-of", "2024-06-30", "--mart", "classification")
    assert result.exit_code == 0, result.output
    marts = [line.split(":")[0].strip() for line in result.output.splitlines()
             if line.startswith("  ")]
    # the rating takes the behavioural model's grade when one is promoted: its scores first
    assert marts == ["loan_snapshot", "repayment_record", "indicators", "fund_flows",
                     "reconciliation", "scores", "ratings", "classification"]


def test_a_run_with_the_same_date_again_replaces_it(example_ws):
    assert run_cli(example_ws, "--as-of", "2024-06-30").exit_code == 0
    again = run_cli(example_ws, "--as-of", "2024-06-30")
    assert again.exit_code == 0 and "loan_snapshot: 3 rows" in again.output
    assert dates_stored(example_ws) == {"2024-06-30": 3}
    assert {r["run_id"] for r in stored(example_ws)} == {2}


@pytest.mark.parametrize(("args", "says"), [
    (["--as-of", "2024-06-30", "--from", "2024-01-01", "--to", "2024-06-30"],
     "give either --as-of or --from/--to, not both"),
    (["--as-of", "2024-06-30", "--to", "2024-07-31"], "give either --as-of or --from/--to, not both"),
    (["--from", "2024-01-01"], "a history needs both --from and --to"),
    (["--to", "2024-06-30"], "a history needs both --from and --to"),
    (["--from", "2024-06-30", "--to", "2024-01-31"],
     "the end date 2024-01-31 is before the start date 2024-06-30"),
    (["--as-of", "2024-06-30", "--engine", "nope"], "--engine must be one of duckdb, spark"),
    (["--as-of", "2024-02-30"], "'2024-02-30' is not a date"),
    (["--from", "2024-01-01", "--to", "2024-06-30", "--every", "week"], "'week' is not one of"),
    (["--as-of", "2024-06-30", "--mart", "classifcation"], "no mart classifcation (marts: loan_snapshot"),
], ids=["as-of and history", "as-of and to", "from without to", "to without from", "to before from",
        "unknown engine", "not a date", "unknown every", "unknown mart"])
def test_bad_option_combinations_are_usage_errors_that_store_nothing(example_ws, args, says):
    result = run_cli(example_ws, *args)
    assert result.exit_code == 2
    assert says in " ".join(result.output.split()) and "Traceback" not in result.output
    with example_ws.connect(read_only=True) as con:
        assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name IN "
                           "('loan_snapshot', 'lw_runs')").fetchall() == [(0,)]


def test_run_in_a_missing_workspace_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = lw("run", "-w", "nowhere", "--as-of", "2024-06-30")
    assert result.exit_code == 2
    assert "nowhere: not a LoanWatch workspace (create one with: loanwatch init nowhere)" in result.output
    assert "Traceback" not in result.output


def test_a_history_without_any_month_end_is_a_clear_error(example_ws):
    result = run_cli(example_ws, "--from", "2024-06-01", "--to", "2024-06-15")
    assert result.exit_code == 2
    assert "2024-06-01" in result.output and "Traceback" not in result.output
