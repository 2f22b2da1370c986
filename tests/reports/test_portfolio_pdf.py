"""``loanwatch report portfolio --format pdf``: A4 pages, a cover and each section on its own
page, "第 N 页 / 共 M 页" on every page, the Noto Sans CJK font embedded (pdffonts), the
figures of the marts in the text (pypdf; pdftotext when poppler is installed)."""

from __future__ import annotations

import shutil
import subprocess
from decimal import Decimal

import pytest
from pypdf import PdfReader

from loanwatch.reports.portfolio import SECTIONS
from tests.reports.conftest import AS_OF, export, lw

A4 = (595.28, 841.89)  # points


@pytest.fixture(scope="module")
def pdf(report_ws, tmp_path_factory):
    out = tmp_path_factory.mktemp("pdf") / "report.pdf"
    result = lw("report", "portfolio", "-w", report_ws.root, "--as-of", AS_OF, "--format", "pdf",
                "--out", out)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def pages(pdf) -> list[str]:
    return [p.extract_text() for p in PdfReader(pdf).pages]


def test_a4_pages_with_a_cover_and_each_section_on_its_own_pages(pdf, pages):
    reader = PdfReader(pdf)
    assert all((round(float(p.mediabox.width), 1), round(float(p.mediabox.height), 1))
               == (round(A4[0], 1), round(A4[1], 1)) for p in reader.pages)
    assert len(pages) >= 1 + len(SECTIONS)
    starts = [next(i for i, text in enumerate(pages)
                   if f"{n}. {s.title[0]}" in text and i > 0) for n, s in enumerate(SECTIONS, 1)]
    assert starts == sorted(starts) and len(set(starts)) == len(SECTIONS)
    assert "贷后风险报告（月度）" in pages[0] and "目录" in pages[0]


def test_every_page_is_numbered_of_the_total(pages):
    for n, text in enumerate(pages, 1):
        assert f"第 {n} 页 / 共 {len(pages)} 页" in text


def test_the_text_holds_the_book_figures_of_the_mart(report_ws, pages, tmp_path):
    (book,) = [r for r in export(report_ws, "portfolio_metrics", AS_OF, tmp_path)
               if r["dimension"] == "all"]
    text = "\n".join(pages)
    for key in ("outstanding", "npl_balance", "loss_allowance"):
        assert f"{Decimal(book[key]):,.2f}" in text
    assert f"{float(book['npl_ratio']) * 100:.2f}%" in text


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_the_cjk_font_is_embedded(pdf):
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                           check=True).stdout.splitlines()[2:]
    cjk = [line for line in lines if "Noto-Sans-CJK" in line or "NotoSansCJK" in line]
    assert cjk and all(line.split()[-5] == "yes" for line in cjk)  # the "emb" column
    assert all(line.split()[-5] == "yes" for line in lines)  # no font left to the reader


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdftotext_reads_the_chinese_titles(pdf):
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    for title in ("逾期情况", "五级分类迁徙矩阵", "滚动率与治愈率", "账龄分析", "早期预警", "集中度"):
        assert title in text
