"""The parts of the reports without a workspace: sections on a database with no mart say
so; values are written the marts' way; line charts; sheet names; nothing fetched."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import duckdb
import pytest

from loanwatch.batch.report_source import MartReader, Period, period_start
from loanwatch.policy import load_default_policy
from loanwatch.reports.borrower import UnknownBorrower, build_borrower
from loanwatch.reports.document import Column, Kind, Report, SectionView, Table
from loanwatch.reports.formats import show, show_change
from loanwatch.reports.html import render_html
from loanwatch.reports.pdf import _no_fetch
from loanwatch.reports.portfolio import SECTIONS, build_portfolio
from loanwatch.reports.svg import line_chart
from loanwatch.reports.xlsx import write_xlsx

D = dt.date.fromisoformat


@pytest.fixture
def policy():
    return load_default_policy()


@pytest.mark.parametrize(("as_of", "period", "start"), [
    ("2024-12-31", Period.MONTH, "2024-11-30"), ("2024-03-15", Period.MONTH, "2024-02-29"),
    ("2024-12-31", Period.QUARTER, "2024-09-30"), ("2024-02-29", Period.QUARTER, "2023-12-31"),
    ("2024-04-01", Period.QUARTER, "2024-03-31"),
])
def test_the_period_starts_after_the_period_end_before(as_of, period, start):
    assert period_start(D(as_of), period) == D(start)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_on_a_database_with_no_mart_every_section_says_what_is_missing(policy, lang):
    with duckdb.connect() as con:
        report = build_portfolio(MartReader(con), policy, D("2024-12-31"), lang=lang)
    assert [s.id for s in report.sections] == [s.id for s in SECTIONS]
    html = render_html(report)
    for mart in ("portfolio_metrics", "classification", "roll_rates", "vintage", "alerts",
                 "fund_flows", "reconciliation", "concentration", "networks"):
        assert f"{mart}" in html
    assert html.count('class="note missing"') >= 9


def test_section_ids_are_unique_and_titled_in_both_languages():
    assert len({s.id for s in SECTIONS}) == len(SECTIONS)
    assert all(zh and en and zh != en for zh, en in (s.title for s in SECTIONS))


def test_an_unknown_borrower_is_refused(policy):
    with duckdb.connect() as con:
        con.execute("CREATE TABLE customers (customer_id VARCHAR, customer_type VARCHAR, "
                    "name VARCHAR, id_number VARCHAR, phone VARCHAR, industry VARCHAR, "
                    "region VARCHAR, branch_id VARCHAR, manager_id VARCHAR, onboarded_on DATE, "
                    "annual_income DECIMAL(18,2), registered_capital DECIMAL(18,2), "
                    "_valid_from DATE, _valid_to DATE, _import_id INTEGER)")
        with pytest.raises(UnknownBorrower, match="no borrower C9"):
            build_borrower(MartReader(con), policy, "C9", D("2024-12-31"))


@pytest.mark.parametrize(("value", "kind", "text"), [
    (Decimal("1234567.5"), Kind.MONEY, "1,234,567.50"), (Decimal("-0.05"), Kind.MONEY, "-0.05"),
    (0.123456, Kind.RATIO, "12.35%"), (None, Kind.RATIO, "—"), (float("nan"), Kind.MONEY, "—"),
    (12345, Kind.COUNT, "12,345"), (D("2024-12-31"), Kind.DATE, "2024-12-31"),
])
def test_values_are_written_as_the_marts_hold_them(value, kind, text):
    assert show(value, kind) == text


def test_changes_carry_their_sign_and_ratios_change_in_points():
    assert show_change(Decimal("12.5"), Kind.MONEY) == "+12.50"
    assert show_change(Decimal("-3"), Kind.COUNT) == "-3"
    assert show_change(0.0125, Kind.RATIO) == "+1.25 pp"


def test_a_line_chart_leaves_a_gap_for_a_missing_point_and_escapes_names():
    svg = line_chart(["1", "2", "3", "4"], [("<a>", [0.1, None, 0.2, 0.3]), ("b", [0.0] * 4)],
                     title="标题 & more")
    assert svg.startswith("<svg") and "<script" not in svg
    assert "&lt;a&gt;" in svg and "标题 &amp; more" in svg
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 1  # (1) alone, (3, 4), b


def test_sheet_names_are_unique_and_legal(tmp_path):
    from openpyxl import load_workbook
    table = Table("a/b:c", "t", [Column("x", "X", Kind.MONEY)], [{"x": Decimal("1.5")}])
    report = Report("zh", "R", [("机构", "x")], [SectionView("s", "S", [table, table])])
    write_xlsx(report, tmp_path / "r.xlsx")
    names = load_workbook(tmp_path / "r.xlsx").sheetnames
    assert names == ["目录", "a_b_c", "a_b_c-2"]


def test_rendering_fetches_nothing():
    with pytest.raises(ValueError, match="fetch nothing"):
        _no_fetch("http://example.com/font.woff")


def test_a_table_wider_than_the_page_is_printed_in_parts_that_repeat_the_label():
    from loanwatch.reports.html import PAGE_CHARACTERS, column_parts, render_html
    cols = [Column("from", "从"), *(Column(f"c{i}", f"M{i}", Kind.MONEY) for i in range(10))]
    table = Table("wide", "t", cols, [{"from": "M0", **{f"c{i}": Decimal("1234567890.12")
                                                        for i in range(10)}}])
    parts = column_parts(table)
    assert len(parts) > 1 and all(p[0].key == "from" for p in parts)
    assert [c.key for p in parts for c in p[1:]] == [f"c{i}" for i in range(10)]
    assert all(sum(len("1,234,567,890.12") + 2 for _ in p[1:]) < PAGE_CHARACTERS for p in parts)
    html = render_html(Report("zh", "R", [], [SectionView("s", "S", [table])]))
    assert 'id="wide"' in html and 'id="wide-2"' in html
    narrow = Table("narrow", "t", cols[:4], table.rows)
    assert len(column_parts(narrow)) == 1


@pytest.mark.parametrize("command", [["report"], ["report", "portfolio"], ["report", "borrower"]])
def test_the_report_commands_have_help(command):
    from typer.testing import CliRunner

    from loanwatch.cli import app
    result = CliRunner().invoke(app, [*command, "--help"])
    assert result.exit_code == 0 and "Usage" in result.output
