"""The ``fund_flows`` and ``reconciliation`` marts as ``loanwatch run`` stores them on the
simulated lender: the injected backflow is found and its look-alike is not; a trace carried
from run to run gives what one run over everything gives; the marts export."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.batch.drilldown import borrower_network, loan_proceeds
from loanwatch.cli import app
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import load_policy
from loanwatch.workspace import Workspace
from tests.batch.conftest import D, copy_of, rows

FIRST, LAST = "2024-06-30", "2024-12-31"
cli = CliRunner()


def lw(*args: str | Path):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def truth(lender: Path, scenario: str) -> dict[str, str]:
    with (lender / "ground_truth" / "scenarios.csv").open(newline="", encoding="utf-8") as f:
        return {r["loan_id"]: r["role"] for r in csv.DictReader(f) if r["scenario"] == scenario}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory, _lender_template: Path) -> Workspace:
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("flows") / "ws")
    for day in (FIRST, LAST):
        result = lw("run", "--workspace", ws.root, "--as-of", day, "--mart", "alerts")
        assert result.exit_code == 0, result.output
    return ws


@pytest.fixture(scope="module")
def one_run(tmp_path_factory: pytest.TempPathFactory, _lender_template: Path) -> Workspace:
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("flows-once") / "ws")
    result = lw("run", "--workspace", ws.root, "--as-of", LAST, "--mart", "fund_flows")
    assert result.exit_code == 0, result.output
    return ws


def findings(ws: Workspace, day: str) -> list[dict]:
    return rows(ws, f"SELECT * EXCLUDE (run_id, policy_version, as_of) FROM fund_flows "
                    f"WHERE as_of = DATE '{day}' ORDER BY loan_id, finding")


def test_the_injected_backflow_is_found_and_its_look_alike_is_not(two_runs, lender_dir):
    cases = truth(lender_dir, "backflow")
    found = {r["loan_id"] for r in findings(two_runs, LAST) if r["finding"] == "backflow"}
    assert {loan for loan, role in cases.items() if role == "real"} <= found
    assert not {loan for loan, role in cases.items() if role == "benign"} & found
    (real,) = [r for r in findings(two_runs, LAST) if r["loan_id"] in found]
    hops = json.loads(real["path"])
    assert hops[0]["hop"] == 1 and len(hops) == real["hops"] + 1


def test_carried_findings_equal_one_trace_of_everything(two_runs, one_run):
    assert findings(two_runs, LAST) == findings(one_run, LAST)
    assert findings(two_runs, FIRST)  # the first run found something to carry


def test_backflow_opens_an_alert_on_the_loan(two_runs):
    loans = {r["loan_id"] for r in findings(two_runs, LAST) if r["finding"] == "backflow"}
    alerts = rows(two_runs, f"SELECT loan_id, severity, evidence FROM alerts WHERE as_of = "
                            f"DATE '{LAST}' AND signal_id = 'FLOW-BACKFLOW' AND status = 'open'")
    active = {r["loan_id"] for r in rows(two_runs, f"SELECT loan_id FROM loan_snapshot WHERE as_of "
                                                   f"= DATE '{LAST}' AND status = 'active'")}
    assert {a["loan_id"] for a in alerts} == loans & active
    assert all(a["severity"] == "critical" and "came back to" in a["evidence"] for a in alerts)


@pytest.mark.parametrize("mart, first", [("fund_flows", "as_of,loan_id,customer_id,finding"),
                                         ("reconciliation", "as_of,loan_id,customer_id")])
def test_the_marts_export(two_runs, tmp_path, mart, first):
    out = tmp_path / f"{mart}.csv"
    result = lw("export", mart, "--workspace", two_runs.root, "--as-of", LAST, "--out", out)
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith(first)


def test_a_loans_whole_trace_and_a_borrowers_network_for_the_console(two_runs):
    (found,) = [r for r in findings(two_runs, LAST) if r["finding"] == "backflow"]
    with two_runs.connect(read_only=True) as con:
        eng = DuckDBEngine.open(con=con)
        trace = loan_proceeds(eng, found["loan_id"], D(LAST), load_policy(two_runs.policy_file))
        net = borrower_network(eng, found["customer_id"], D(LAST))
    moves = trace.to_pylist()
    assert "backflow" in {m["category"] for m in moves}
    assert [m["hop"] for m in moves] == sorted(m["hop"] for m in moves)
    assert sum(m["traced"] for m in moves if m["hop"] == 1) <= found["principal"]
    assert net.customer_id == found["customer_id"]
    assert found["customer_id"] in {n.customer_id for n in net.nodes}
