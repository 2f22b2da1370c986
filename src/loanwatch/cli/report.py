"""``loanwatch report``: the post-loan risk reports (贷后风险报告) from the stored marts — the
monthly or quarterly portfolio report and a borrower's inspection report, as HTML, PDF or
XLSX (docs/reports.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from loanwatch.batch.report_source import MartReader, Period
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    workspace_policy,
)
from loanwatch.ingest.quality import quality_report
from loanwatch.reports.borrower import UnknownBorrower, build_borrower
from loanwatch.reports.document import Report
from loanwatch.reports.html import render_html
from loanwatch.reports.labels import LANGS
from loanwatch.reports.pdf import PdfUnavailable, write_pdf
from loanwatch.reports.portfolio import Quality, build_portfolio
from loanwatch.reports.xlsx import write_xlsx

report_app = typer.Typer(help="Post-loan risk reports (贷后风险报告): HTML, PDF, XLSX.",
                         no_args_is_help=True)
app.add_typer(report_app, name="report")

AsOf = Annotated[str, typer.Option("--as-of", help="The date of the stored marts (YYYY-MM-DD).")]
Out = Annotated[Path, typer.Option("--out", help="The file to write.")]
Lang = Annotated[str, typer.Option("--lang", help="zh (default) or en.")]
Lender = Annotated[str | None, typer.Option(
    "--lender", help="The lender's name on the cover (default: the workspace folder's name).")]


def _check(fmt: str, formats: tuple[str, ...], lang: str) -> None:
    if fmt not in formats:
        raise fail(f"--format must be one of {', '.join(formats)}")
    if lang not in LANGS:
        raise fail(f"--lang must be one of {', '.join(LANGS)}")


def _write(report: Report, fmt: str, out_file: Path) -> None:
    out_file.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        write_xlsx(report, out_file)
        return
    html = render_html(report)
    if fmt == "html":
        out_file.write_text(html, encoding="utf-8")
        return
    try:
        write_pdf(html, out_file)
    except PdfUnavailable as e:
        raise fail(str(e)) from None


def measured_quality(con) -> Quality:
    """``loanwatch quality``'s figures as the report shows them."""
    found = quality_report(con)
    tables = [{"table": t.table, "rows": t.rows, "latest": t.latest or "—",
               "null_rates": ", ".join(f"{c} {r:.1%}" for c, r in t.null_rates.items() if r)
               or "0"} for t in found.tables]
    gaps = [{"gap": text, "rows": n} for _, text, n in found.gaps]
    return Quality(tables, gaps)


@report_app.command("portfolio")
def portfolio(
    workspace: WorkspaceOpt,
    as_of: AsOf,
    out_file: Out,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or xlsx.")] = "html",
    lang: Lang = "zh",
    period: Annotated[Period, typer.Option("--period", help="month or quarter.")] = Period.MONTH,
    lender: Lender = None,
) -> None:
    """The monthly or quarterly portfolio report (组合风险报告): key figures against the period
    before, delinquency, classification and NPL, roll rates, vintages, IFRS 9 and ECL, early
    warnings, fund flows and invoices, concentration, data quality, model monitoring."""
    _check(fmt, ("html", "pdf", "xlsx"), lang)
    day = parse_date(as_of, "--as-of")
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), ws.connect(read_only=True) as con:
        report = build_portfolio(MartReader(con), pol, day, period=period, lang=lang,
                                 lender=lender or ws.root.resolve().name,
                                 quality=measured_quality(con))
    _write(report, fmt, out_file)
    missing = sum(1 for s in report.sections for b in s.blocks if getattr(b, "missing", False))
    out.print(f"{report.title} as of {day}: {len(report.sections)} sections"
              f"{f', {missing} not stored (see the notes)' if missing else ''} → {out_file}", highlight=False)


@report_app.command("borrower")
def borrower(
    customer_id: Annotated[str, typer.Argument(help="The customer id.")],
    workspace: WorkspaceOpt,
    as_of: AsOf,
    out_file: Out,
    fmt: Annotated[str, typer.Option("--format", help="html or pdf.")] = "html",
    lang: Lang = "zh",
    lender: Lender = None,
) -> None:
    """One borrower's inspection report (贷后检查报告), personal data masked, to print and
    sign."""
    _check(fmt, ("html", "pdf"), lang)
    day = parse_date(as_of, "--as-of")
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), ws.connect(read_only=True) as con:
        try:
            report = build_borrower(MartReader(con), pol, customer_id, day, lang=lang,
                                    lender=lender or ws.root.resolve().name)
        except UnknownBorrower as e:
            raise fail(str(e)) from None
    _write(report, fmt, out_file)
    out.print(f"{report.title} {customer_id} as of {day} → {out_file}", highlight=False)
