"""``export_mart`` and ``loanwatch export``: one stored date of a mart to CSV (money with two
decimals) or Parquet (decimal and date types kept), sorted by loan; clear one-line errors."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from loanwatch.batch.export import ExportError, export_mart
from loanwatch.cli import app
from loanwatch.workspace import Workspace
from tests.batch.conftest import (
    MONEY_COLUMNS,
    D,
    add_rows,
    copy_of,
    delivery,
    import_into,
    new_workspace,
    run,
    stored,
)

FIRST, LATEST = "2024-06-30", "2024-12-31"
REQUIRED = ("loan_id", "as_of", "dpd", "bucket", "outstanding_principal", "overdue_principal",
            "overdue_interest", "paid_principal", "paid_interest", "paid_fee", "overdue_fee",
            "credit_balance", "overdue_installments", "next_due_on", "next_due_amount", "mob", "status",
            "penalty_interest")
TWO_DECIMALS = re.compile(r"^-?\d+\.\d{2}$")

cli = CliRunner()


def lw(*args: str | Path):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def computed(tmp_path_factory: pytest.TempPathFactory, _lender_template: Path) -> Workspace:
    """The simulated lender with the loan snapshot computed for two dates (read only here)."""
    ws = copy_of(_lender_template, tmp_path_factory.mktemp("computed") / "ws")
    run(ws, FIRST, LATEST)
    return ws


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or ()), list(reader)


def export_csv(ws: Workspace, tmp_path: Path, *args: str) -> tuple[list[str], list[dict[str, str]]]:
    out = tmp_path / "snapshot.csv"
    result = lw("export", "loan_snapshot", "--workspace", ws.root, "--out", out, *args)
    assert result.exit_code == 0, result.output
    return read_csv(out)


# -- CSV --------------------------------------------------------------------------------------

def test_csv_has_the_snapshot_columns_and_one_row_per_stored_loan(computed, tmp_path):
    header, rows = export_csv(computed, tmp_path, "--as-of", FIRST)
    assert set(REQUIRED) <= set(header) and header[:2] == ["loan_id", "as_of"]
    assert "run_id" not in header
    db = stored(computed, FIRST)
    assert [r["loan_id"] for r in rows] == [r["loan_id"] for r in db]
    assert {r["as_of"] for r in rows} == {FIRST}
    for text, row in zip(rows, db, strict=True):
        assert (int(text["dpd"]), text["bucket"], text["status"]) == (
            row["dpd"], row["bucket"], row["status"])
        assert Decimal(text["outstanding_principal"]) == row["outstanding_principal"]


def test_csv_is_sorted_by_loan(computed, tmp_path):
    _, rows = export_csv(computed, tmp_path, "--as-of", FIRST)
    ids = [r["loan_id"] for r in rows]
    assert len(ids) > 100 and ids == sorted(ids) and len(set(ids)) == len(ids)


def test_csv_writes_every_amount_with_exactly_two_decimals(computed, tmp_path):
    header, rows = export_csv(computed, tmp_path, "--as-of", FIRST)
    money = [c for c in header if c in MONEY_COLUMNS]
    assert set(money) == set(MONEY_COLUMNS)
    for row in rows:
        for column in money:
            text = row[column]
            if column == "next_due_amount" and not row["next_due_on"]:
                assert text == "", row  # nothing left to pay: no next due
            else:
                assert TWO_DECIMALS.match(text), (row["loan_id"], column, text)
    amounts = [row[c] for row in rows for c in money if row[c]]
    # cents, whole yuan, zero and eight-digit amounts are all there to be checked
    assert any(not a.endswith(".00") for a in amounts) and any(a.endswith(".00") for a in amounts)
    assert "0.00" in amounts and any(len(a.split(".")[0]) >= 8 for a in amounts)


def test_csv_writes_amounts_below_one_yuan_with_the_leading_zero(example_ws, tmp_path):
    later = delivery(tmp_path / "later", "repayments")
    add_rows(later, "repayments", "R005,L001,2024-04-15,1005.05")  # five fen more than due
    import_into(example_ws, later, "2024-04-15")
    run(example_ws, "2024-04-30")
    _, rows = export_csv(example_ws, tmp_path, "--as-of", "2024-04-30")
    l001 = next(r for r in rows if r["loan_id"] == "L001")
    assert (l001["status"], l001["credit_balance"], l001["outstanding_principal"]) == (
        "settled", "0.05", "0.00")


def test_without_as_of_the_latest_computed_date_is_exported(computed, tmp_path):
    _, rows = export_csv(computed, tmp_path)
    assert {r["as_of"] for r in rows} == {LATEST}
    assert len(rows) == len(stored(computed, LATEST))


def test_export_mart_returns_the_rows_written(computed, tmp_path):
    out = tmp_path / "deep" / "folder" / "snapshot.CSV"
    with computed.connect(read_only=True) as con:
        written = export_mart(con, "loan_snapshot", D(LATEST), out)
    assert written == len(read_csv(out)[1]) == len(stored(computed, LATEST))


# -- Parquet ----------------------------------------------------------------------------------

def test_parquet_keeps_decimal_money_and_date_types(computed, tmp_path):
    out = tmp_path / "snapshot.parquet"
    result = lw("export", "loan_snapshot", "-w", computed.root, "--as-of", LATEST, "--out", out)
    assert result.exit_code == 0, result.output
    table = pq.read_table(out)
    schema = table.schema
    for column in MONEY_COLUMNS:
        assert schema.field(column).type == pa.decimal128(18, 2), column
    for column in ("as_of", "next_due_on", "disbursed_on", "maturity_on"):
        assert schema.field(column).type == pa.date32(), column
    assert pa.types.is_integer(schema.field("dpd").type) and "run_id" not in schema.names
    rows = table.to_pylist()
    db = stored(computed, LATEST)
    assert [r["loan_id"] for r in rows] == sorted(r["loan_id"] for r in db)
    assert rows == [{k: v for k, v in r.items() if k != "run_id"} for r in db]


# -- errors -----------------------------------------------------------------------------------

def one_error_line(result) -> str:
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output and "error" in lines[0]
    return lines[0]


@pytest.mark.parametrize(("args", "says"), [
    (["export", "loan_book", "--as-of", FIRST, "--out", "x.csv"],
     "unknown mart 'loan_book': choose one of "),
    (["export", "loan_snapshot", "--as-of", "2024-07-31", "--out", "x.csv"],
     "no loan_snapshot as of 2024-07-31: run `loanwatch run --as-of 2024-07-31` first"),
    (["export", "loan_snapshot", "--as-of", FIRST, "--out", "x.xlsx"],
     "the file name must end in .csv or .parquet"),
    (["export", "loan_snapshot", "--out", "x.json"], "the file name must end in .csv or .parquet"),
], ids=["unknown mart", "date not computed", "xlsx", "json"])
def test_export_errors_are_one_line(computed, tmp_path, monkeypatch, args, says):
    monkeypatch.chdir(tmp_path)
    result = lw(*args, "--workspace", computed.root)
    assert result.exit_code == 2
    assert says in one_error_line(result)
    assert list(tmp_path.iterdir()) == []  # no file written


def test_export_from_a_missing_workspace_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = lw("export", "loan_snapshot", "-w", "nowhere", "--out", "x.csv")
    assert result.exit_code == 2
    assert "nowhere: not a LoanWatch workspace (create one with: loanwatch init nowhere)" in (
        one_error_line(result))
    assert list(tmp_path.iterdir()) == []


def test_an_error_naming_a_long_path_stays_on_one_line(tmp_path):
    deep = tmp_path.joinpath(*["a-rather-long-folder-name"] * 8, "nowhere")
    result = lw("export", "loan_snapshot", "-w", deep, "--out", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert f"{deep}: not a LoanWatch workspace" in one_error_line(result)


def test_export_before_any_run_says_to_run_first(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    result = lw("export", "loan_snapshot", "-w", ws.root, "--out", tmp_path / "x.csv")
    assert result.exit_code == 2
    assert "loanwatch run --as-of" in one_error_line(result)


def test_a_bad_as_of_date_is_a_usage_error(computed, tmp_path):
    result = lw("export", "loan_snapshot", "-w", computed.root, "--as-of", "2024-02-30",
                "--out", tmp_path / "x.csv")
    assert result.exit_code == 2 and "not a date" in result.output and "Traceback" not in result.output


@pytest.mark.parametrize(("name", "as_of", "file", "says"), [
    ("loan_book", FIRST, "x.csv", "unknown mart"),
    ("loan_snapshot", "2024-07-31", "x.csv", "no loan_snapshot as of 2024-07-31"),
    ("loan_snapshot", FIRST, "x.txt", "must end in .csv or .parquet"),
])
def test_export_mart_refuses_with_an_export_error(computed, tmp_path, name, as_of, file, says):
    with computed.connect(read_only=True) as con, pytest.raises(ExportError, match=says):
        export_mart(con, name, D(as_of), tmp_path / file)


def test_a_date_run_on_an_empty_book_exports_a_header_only_file(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    assert lw("run", "-w", ws.root, "--as-of", "2025-01-31").exit_code == 0
    out = tmp_path / "empty.csv"
    result = lw("export", "loan_snapshot", "-w", ws.root, "--out", out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("loan_id,as_of,")
    assert len(out.read_text(encoding="utf-8").splitlines()) == 1


# -- show -------------------------------------------------------------------------------------

def test_show_prints_the_rows_asked_for_in_key_order(computed):
    _, rows = export_csv(computed, computed.root.parent, "--as-of", LATEST)
    late = sorted(r["loan_id"] for r in rows if r["status"] == "active" and int(r["dpd"]) > 0)
    result = lw("show", "loan_snapshot", "--workspace", computed.root, "--as-of", LATEST,
                "--where", "status=active", "--columns", "loan_id,dpd,bucket", "--limit", "500")
    assert result.exit_code == 0, result.output
    shown = [line.split("│")[1].strip() for line in result.output.splitlines()
             if line.startswith("│") and line.split("│")[1].strip().startswith(("L", "LN"))]
    actives = sorted(r["loan_id"] for r in rows if r["status"] == "active")
    assert shown == actives and set(late) <= set(shown)
    assert f"loan_snapshot as of {LATEST}" in result.output
    assert f"{len(actives):,} rows" in result.output


@pytest.mark.parametrize(("args", "says"), [
    (["--where", "colour=red"], "loan_snapshot has no column colour (columns: loan_id"),
    (["--where", "status"], "--where 'status': expected COLUMN=VALUE"),
    (["--columns", "loan_id,colour"], "loan_snapshot has no column colour"),
], ids=["unknown where column", "where without =", "unknown column"])
def test_show_errors_are_one_line(computed, args, says):
    result = lw("show", "loan_snapshot", "--workspace", computed.root, *args)
    assert result.exit_code == 2
    assert says in one_error_line(result)
