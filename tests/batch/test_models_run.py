"""Behavioural models on the simulated lender's month-end history, through the command line:
train (no look-ahead, out-of-time split), register, promote, score in the nightly run, feed
the rating, validate and monitor."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate
from loanwatch.workspace import Workspace
from tests.batch.conftest import D, copy_of, import_into, new_workspace, rows

# a lender big enough to have defaults to learn from: ~60 borrowers turn bad in its first year
BOOK = SimConfig(loans=1500, start=D("2023-01-01"), months=24, seed=5)
LAST = "2024-12-31"
cli = CliRunner()


def lw(*args: str | Path):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    data = tmp_path_factory.mktemp("models-data")
    simulate(BOOK, data, "parquet", None)
    ws = new_workspace(tmp_path_factory.mktemp("models") / "ws")
    import_into(ws, data, BOOK.end.isoformat())
    result = lw("run", "-w", ws.root, "--from", "2023-01-01", "--to", LAST, "--every",
                "month-end", "--mart", "indicators", "--mart", "fund_flows",
                "--mart", "reconciliation")
    assert result.exit_code == 0, result.output
    return ws


@pytest.fixture(scope="module")
def trained(history: Workspace, tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, str]:
    report = tmp_path_factory.mktemp("report") / "validation.html"
    result = lw("model", "train", "-w", history.root, "--family", "scorecard", "--oot-months",
                "2", "--promote", "--out", report, "--lang", "en")
    assert result.exit_code == 0, result.output
    assert "out_of_time" in result.output and report.exists()
    assert "AUC" in report.read_text(encoding="utf-8")
    (model_id,) = [r["model_id"] for r in rows(history, "SELECT model_id FROM lw_models "
                                                       "WHERE role = 'champion'")]
    return history, model_id


def test_the_development_window_ends_a_year_before_the_history(trained):
    ws, model_id = trained
    result = lw("model", "list", "-w", ws.root)
    assert result.exit_code == 0 and model_id in result.output and "champion" in result.output
    # outcomes need 12 months: the last observation date is 2023-12-31, its last 2 are OOT
    assert "2023-01-31…2023-10-31" in result.output


def test_the_nightly_run_scores_borrowers_and_the_rating_uses_the_model(trained):
    ws, model_id = trained
    result = lw("run", "-w", ws.root, "--as-of", LAST, "--mart", "classification",
                "--mart", "model_monitoring")
    assert result.exit_code == 0, result.output
    scored = rows(ws, f"SELECT customer_id, pd_12m, grade, factors_en FROM scores "
                      f"WHERE as_of = DATE '{LAST}'")
    active = rows(ws, f"SELECT DISTINCT customer_id FROM loan_snapshot WHERE as_of = "
                      f"DATE '{LAST}' AND status = 'active' AND customer_id NOT IN (SELECT "
                      f"customer_id FROM loan_snapshot WHERE as_of = DATE '{LAST}' AND "
                      f"dpd > 90)")
    assert {r["customer_id"] for r in scored} == {r["customer_id"] for r in active}
    assert all(0 < r["pd_12m"] < 1 and 1 <= r["grade"] <= 10 for r in scored)
    ratings = rows(ws, f"SELECT r.grade, r.pd_source, s.grade AS model_grade FROM ratings r "
                       f"JOIN scores s USING (customer_id, as_of) WHERE r.as_of = DATE '{LAST}'")
    assert ratings and all(r["pd_source"] == f"model:{model_id}" and r["grade"] == r["model_grade"]
                           for r in ratings)
    psi = rows(ws, f"SELECT value FROM model_monitoring WHERE as_of = DATE '{LAST}' "
                   f"AND measure = 'psi:score'")
    assert len(psi) == 1 and psi[0]["value"] >= 0


def test_validate_and_monitor(trained, tmp_path):
    ws, model_id = trained
    out = tmp_path / "v.html"
    assert lw("model", "validate", "-w", ws.root, model_id, "--out", out).exit_code == 0
    assert "模型验证报告" in out.read_text(encoding="utf-8")
    result = lw("model", "monitor", "-w", ws.root)
    assert result.exit_code == 0, result.output
    assert "2024-12-31" in result.output  # months after development are monitored


def test_unknown_model_and_family_are_clear_errors(trained):
    ws, _ = trained
    bad = lw("model", "promote", "-w", ws.root, "nope-9")
    assert bad.exit_code == 2 and "no model 'nope-9'" in bad.output
    assert lw("model", "train", "-w", ws.root, "--family", "forest").exit_code == 2


def test_a_model_moves_to_another_workspace(trained, tmp_path, _lender_template):
    ws, model_id = trained
    package = tmp_path / "model.zip"
    assert lw("model", "export", "-w", ws.root, model_id, "--out", package).exit_code == 0
    other = copy_of(_lender_template, tmp_path / "other")
    result = lw("model", "import", "-w", other.root, package)
    assert result.exit_code == 0, result.output
    (row,) = rows(other, "SELECT model_id, role, meta FROM lw_models")
    assert row["role"] == "candidate" and f'"imported_from": "{model_id}"' in row["meta"]
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    bad = lw("model", "import", "-w", other.root, junk)
    assert bad.exit_code == 2 and "not a LoanWatch model package" in bad.output
