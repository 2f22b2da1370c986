"""CSV with or without a BOM, Parquet and XLSX load the same rows, Chinese text intact."""

from __future__ import annotations

import duckdb
import openpyxl
import pytest

from tests.ingest.conftest import count


def _to_xlsx(csv_path, xlsx_path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    rows = duckdb.sql(f"SELECT * FROM read_csv('{csv_path}', all_varchar=true)").fetchall()
    header = duckdb.sql(f"SELECT * FROM read_csv('{csv_path}', all_varchar=true)").columns
    sheet.append(header)
    for row in rows:
        sheet.append(list(row))
    sheet.append([None] * len(header))  # trailing blank rows, as Excel leaves them
    book.save(xlsx_path)
    csv_path.unlink()


def test_csv_with_bom_and_chinese_text(example_dir, run_import, con):
    path = example_dir / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    run_import(example_dir)
    assert con.execute("SELECT holder_name FROM accounts WHERE account_id = 'A002'"
                       ).fetchall()[0][0] == "深圳原料供应有限公司"


def test_xlsx_with_chinese_text_and_excel_dates(example_dir, run_import, con):
    _to_xlsx(example_dir / "contracts.csv", example_dir / "contracts.xlsx")
    book = openpyxl.load_workbook(example_dir / "contracts.xlsx")
    book.active["F2"] = __import__("datetime").datetime(2024, 1, 20)  # a real Excel date cell
    book.active["E2"] = 1000000  # a number cell
    book.save(example_dir / "contracts.xlsx")
    result = run_import(example_dir)
    assert {t.table: t.format for t in result.tables}["contracts"] == "xlsx"
    assert result.quarantined == 0
    assert con.execute("SELECT goods, signed_on::VARCHAR, amount::VARCHAR FROM contracts "
                       "WHERE contract_id = 'K001'").fetchall()[0] == ("钢材", "2024-01-20",
                                                                  "1000000.00")


def test_xlsx_bad_row_reports_the_sheet_row(example_dir, run_import, con):
    _to_xlsx(example_dir / "loans.csv", example_dir / "loans.xlsx")
    book = openpyxl.load_workbook(example_dir / "loans.xlsx")
    book.active["D3"] = "abc"  # principal of the second loan
    book.save(example_dir / "loans.xlsx")
    run_import(example_dir)
    assert con.execute("SELECT line, column_name FROM lw_quarantine WHERE table_name = 'loans'"
                       ).fetchall() == [(3, "principal")]


@pytest.mark.parametrize("table", ["installments", "repayments", "transactions"])
def test_parquet_gives_the_same_rows_as_csv(table, example_dir, run_import, con, tmp_path):
    csv_path = example_dir / f"{table}.csv"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{csv_path}')) TO "
               f"'{example_dir / (table + '.parquet')}' (FORMAT parquet)")
    expected = duckdb.sql(f"SELECT count(*) FROM read_csv('{csv_path}')").fetchall()[0][0]
    csv_path.unlink()
    result = run_import(example_dir)
    assert result.quarantined == 0
    assert count(con, table) == expected


def test_parquet_bad_row_reports_row_number(example_dir, run_import, con):
    csv_path = example_dir / "repayments.csv"
    duckdb.sql(f"COPY (SELECT repayment_id, loan_id, paid_on, CASE WHEN repayment_id = 'R003' "
               f"THEN -1.0 ELSE amount END AS amount FROM read_csv('{csv_path}')) TO "
               f"'{example_dir / 'repayments.parquet'}' (FORMAT parquet)")
    csv_path.unlink()
    run_import(example_dir)
    assert con.execute("SELECT line, column_name, reason FROM lw_quarantine").fetchall() == [
        (3, "amount", "must not be negative")]


def test_unknown_columns_are_kept(example_dir, run_import, con):
    path = example_dir / "repayments.csv"
    lines = path.read_text().splitlines()
    lines = [lines[0] + ",channel,_internal"] + [row + ",柜面,x" for row in lines[1:]]
    path.write_text("\n".join(lines) + "\n")
    result = run_import(example_dir)
    assert {t.table: t.extras for t in result.tables}["repayments"] == ["channel", "x_internal"]
    assert con.execute("SELECT DISTINCT channel FROM repayments").fetchall() == [("柜面",)]


def test_timestamps_with_an_offset_are_converted_to_the_bank_local_time(example_dir,
                                                                        run_import, con):
    path = example_dir / "transactions.csv"
    path.write_text(path.read_text().replace("2024-03-10T09:00:00+08:00",
                                             "2024-03-10T01:00:00Z"))
    run_import(example_dir)
    assert con.execute("SELECT occurred_at::VARCHAR FROM transactions WHERE txn_id = 'T003'"
                       ).fetchall()[0][0] == "2024-03-10 09:00:00"


def test_windows_line_endings_and_upper_case_headers(example_dir, run_import, con):
    for path in example_dir.glob("*.csv"):
        text = path.read_text(encoding="utf-8")
        header, rest = text.split("\n", 1)
        path.write_bytes((header.upper() + "\n" + rest).replace("\n", "\r\n").encode("utf-8"))
    result = run_import(example_dir)
    assert result.quarantined == 0
    assert con.execute("SELECT kind, threshold::VARCHAR FROM covenants ORDER BY kind").fetchall() \
        == [("max_debt_ratio", "0.70000000"), ("min_monthly_settlement", "200000.00000000")]
