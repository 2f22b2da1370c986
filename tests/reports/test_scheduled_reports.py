"""``loanwatch run --report-dir``: after a month-end is computed the month's portfolio report
is written as PDF and XLSX, and the quarter's too at a quarter-end; a date inside a month
writes none."""

from __future__ import annotations

import shutil

import openpyxl

from tests.reports.conftest import AS_OF, lw


def test_a_quarter_end_run_writes_the_month_and_the_quarter(report_ws, tmp_path):
    root = tmp_path / "ws"
    shutil.copytree(report_ws.root, root)
    folder = tmp_path / "reports"
    result = lw("run", "-w", root, "--as-of", AS_OF, "--no-sync", "--report-dir", folder,
                "--report-lang", "en")
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in folder.iterdir())
    assert names == [f"loanwatch-portfolio-{period}-{AS_OF}.{fmt}"
                     for period in ("month", "quarter") for fmt in ("pdf", "xlsx")]
    assert (folder / f"loanwatch-portfolio-month-{AS_OF}.pdf").read_bytes().startswith(b"%PDF")
    book = openpyxl.load_workbook(folder / f"loanwatch-portfolio-quarter-{AS_OF}.xlsx")
    assert book["Contents"]["A1"].value == "Post-loan risk report (quarterly)"
    assert "report →" in result.output

    mid = lw("run", "-w", root, "--as-of", "2024-12-15", "--no-sync", "--report-dir",
             tmp_path / "none")
    assert mid.exit_code == 0, mid.output
    assert not (tmp_path / "none").exists()


def test_an_unknown_report_language_is_refused_before_running(report_ws, tmp_path):
    result = lw("run", "-w", report_ws.root, "--as-of", AS_OF, "--report-dir", tmp_path,
                "--report-lang", "fr")
    assert result.exit_code != 0 and "--report-lang" in result.output
