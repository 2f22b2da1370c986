"""``loanwatch report portfolio --format xlsx``: one sheet per table of the report, header
bold and frozen, columns sized; yuan as numbers '#,##0.00' equal to the mart, ratios
'0.00%', dates as dates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from loanwatch.domain.labels import code_label
from loanwatch.reports.portfolio import SECTIONS
from tests.reports.conftest import AS_OF, export, lw


@pytest.fixture(scope="module")
def workbook(report_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("xlsx") / "report.xlsx"
    result = lw("report", "portfolio", "-w", report_ws.root, "--as-of", AS_OF, "--format", "xlsx",
                "--out", out)
    assert result.exit_code == 0, result.output
    return load_workbook(out)


def rows_of(sheet) -> dict[str, dict]:
    head = [c.value for c in sheet[1]]
    return {r[0].value: dict(zip(head, r, strict=True)) for r in sheet.iter_rows(min_row=2)}


def test_one_sheet_per_table_after_the_cover(workbook):
    names = workbook.sheetnames
    assert names[0] == "目录"
    for table in ("summary-figures", "delinquency-product", "delinquency-branch_id", "classes",
                  "class-migration-balance", "roll-rates", "vintage", "stages", "alerts",
                  "top-signals", "top-borrowers", "industries", "imports"):
        assert table in names
    assert len(names) == len(set(names))
    assert workbook["目录"]["A1"].value == "贷后风险报告（月度）"
    assert len(SECTIONS) == 13


def test_headers_are_bold_and_frozen_and_columns_sized(workbook):
    for sheet in workbook.worksheets[1:]:
        assert sheet.freeze_panes == "A2"
        assert all(c.font.b for c in sheet[1] if c.value)
        assert all(sheet.column_dimensions[c.column_letter].width >= 8 for c in sheet[1])


def test_money_and_ratio_cells_are_numbers_with_formats_equal_to_the_mart(workbook, report_ws,
                                                                          tmp_path):
    metrics = export(report_ws, "portfolio_metrics", AS_OF, tmp_path)
    # the report names each product as the console does (domain.labels), the mart by its code
    products = {code_label("product", r["segment"], "zh"): r for r in metrics
                if r["dimension"] == "product"}
    assert "个人消费贷款" in products
    sheet = rows_of(workbook["delinquency-product"])
    assert set(sheet) == set(products)
    for name, r in products.items():
        row = sheet[name]
        assert row["贷款余额"].number_format == "#,##0.00"
        assert Decimal(str(row["贷款余额"].value)).quantize(Decimal("0.01")) == Decimal(r["outstanding"])
        assert row["M1+ 逾期率（余额）"].number_format == "0.00%"
        assert row["M1+ 逾期率（余额）"].value == pytest.approx(float(r["m1_rate_balance"]))
        assert row["贷款笔数"].number_format == "#,##0" and row["贷款笔数"].value == int(r["loans"])


def test_key_figures_keep_each_figure_s_own_format(workbook):
    sheet = rows_of(workbook["summary-figures"])
    assert sheet["贷款余额"]["本期"].number_format == "#,##0.00"
    assert sheet["不良率"]["本期"].number_format == "0.00%"
    assert sheet["贷款笔数"]["本期"].number_format == "#,##0"


def test_dates_are_dates(workbook):
    sheet = workbook["imports"]
    cell = sheet.cell(row=2, column=2)
    assert isinstance(cell.value, dt.datetime | dt.date) and cell.number_format == "yyyy-mm-dd"
