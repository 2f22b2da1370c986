"""``loanwatch report borrower``: one borrower's inspection report with personal data masked
(never the clear value), its loans as the snapshot has them, its alerts with evidence, the
signature block; an unknown customer is a one-line error."""

from __future__ import annotations

from decimal import Decimal

import duckdb
import pytest
from pypdf import PdfReader

from tests.reports.conftest import AS_OF, by_first_cell, export, html_tables, lw


@pytest.fixture(scope="module")
def borrower(report_ws) -> str:
    """The individual with the most alerts at the date (a borrower worth inspecting)."""
    with duckdb.connect(str(report_ws.database), read_only=True) as con:
        return con.execute("""
            SELECT a.customer_id FROM alerts a JOIN customers c USING (customer_id)
            WHERE a.as_of = ? AND c.customer_type = 'individual' AND c._valid_to IS NULL
            GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1""", [AS_OF]).fetchone()[0]


def report(ws, customer: str, tmp_path, *args: str):
    out = tmp_path / "borrower.html"
    result = lw("report", "borrower", customer, "-w", ws.root, "--as-of", AS_OF, "--out", out,
                *args)
    return result, out


def test_personal_data_is_masked_never_clear(report_ws, borrower, tmp_path):
    result, out = report(report_ws, borrower, tmp_path)
    assert result.exit_code == 0, result.output
    html = out.read_text(encoding="utf-8")
    with duckdb.connect(str(report_ws.database), read_only=True) as con:
        name, id_number, phone, sealed = con.execute(
            "SELECT name, id_number, phone, pii_enc FROM customers WHERE customer_id = ? "
            "AND _valid_to IS NULL", [borrower]).fetchone()
    clear = report_ws.cipher().reveal(sealed)
    profile = by_first_cell(html_tables(html).tables["profile"])
    assert profile["名称（脱敏）"]["内容"] == name and "*" in name
    assert profile["证件号码（脱敏）"]["内容"] == id_number and "*" in id_number
    assert profile["电话（脱敏）"]["内容"] == phone
    for value in (clear["name"], clear["id_number"], clear["phone"]):
        assert value and value not in html


def test_loans_and_alerts_are_those_of_the_marts(report_ws, borrower, tmp_path):
    _, out = report(report_ws, borrower, tmp_path)
    tables = html_tables(out.read_text(encoding="utf-8")).tables
    snapshot = [r for r in export(report_ws, "loan_snapshot", AS_OF, tmp_path)
                if r["customer_id"] == borrower]
    loans = by_first_cell(tables["loans"])
    for r in snapshot:
        assert loans[r["loan_id"]]["贷款余额"] == f"{Decimal(r['outstanding_principal']):,.2f}"
        assert loans[r["loan_id"]]["逾期天数"] == f"{int(r['dpd']):,}"
    alerts = [r for r in export(report_ws, "alerts", AS_OF, tmp_path) if r["customer_id"] == borrower]
    signals = tables["signals"][1:]
    assert len(signals) == len(alerts)
    assert sorted(row[5] for row in signals) == sorted(a["evidence"] for a in alerts)


def test_the_signature_block_and_english(report_ws, borrower, tmp_path):
    _, out = report(report_ws, borrower, tmp_path)
    html = out.read_text(encoding="utf-8")
    assert all(f"{x}：" in html for x in ("检查人", "日期", "复核人"))
    result, out = report(report_ws, borrower, tmp_path, "--lang", "en")
    html = out.read_text(encoding="utf-8")
    assert result.exit_code == 0
    assert "Borrower inspection report" in html and "Inspected by" in html
    assert "Name (masked)" in html


def test_pdf_prints_with_page_numbers(report_ws, borrower, tmp_path):
    out = tmp_path / "b.pdf"
    result = lw("report", "borrower", borrower, "-w", report_ws.root, "--as-of", AS_OF,
                "--format", "pdf", "--out", out)
    assert result.exit_code == 0, result.output
    pages = [p.extract_text() for p in PdfReader(out).pages]
    assert "贷后检查报告" in pages[0] and "检查人" in pages[-1]
    assert f"第 1 页 / 共 {len(pages)} 页" in pages[0]


def test_an_unknown_customer_is_a_one_line_error(report_ws, tmp_path):
    result, out = report(report_ws, "NOBODY", tmp_path)
    assert result.exit_code != 0 and not out.exists()
    assert result.output.strip().splitlines() == ["错误 error: no borrower NOBODY as of 2024-12-31"]


def test_xlsx_is_not_a_borrower_format(report_ws, borrower, tmp_path):
    result, _ = report(report_ws, borrower, tmp_path, "--format", "xlsx")
    assert result.exit_code == 2 and "--format must be one of html, pdf" in result.output
