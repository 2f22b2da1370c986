"""``loanwatch report``: the post-loan risk reports (贷后风险报告) from the stored marts — the
monthly or quarterly portfolio report and a borrower's inspection report, as HTML, PDF or
XLSX (docs/reports.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from loanwatch.batch.report_source import MartReader, Period, period_start
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
from loanwatch.policy import Policy
from loanwatch.reports.borrower import UnknownBorrower, build_borrower
from loanwatch.reports.document import Report
from loanwatch.reports.files import write_report
from loanwatch.reports.labels import LANGS
from loanwatch.reports.pdf import PdfUnavailable
from loanwatch.reports.portfolio import Quality, Workflow, build_portfolio
from loanwatch.services.report_workflow import (
    borrower_tasks,
    open_report_store,
    quality_rows,
    read_workflow_figures,
)
from loanwatch.workspace import Workspace

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
    try:
        write_report(report, fmt, out_file)
    except PdfUnavailable as e:
        raise fail(str(e)) from None


def store_figures(ws: Workspace, pol: Policy, day: dt.date, period: Period,
                  store_url: str | None = None) -> Workflow | None:
    """The operational store's figures of the period, or ``None`` without a synced store."""
    store = open_report_store(ws.root, store_url)
    if store is None:
        return None
    try:
        found = read_workflow_figures(store, period_start(day, period), day, pol)
    finally:
        store.close()
    return None if found is None else Workflow(**found)


def store_tasks(ws: Workspace, customer_id: str, day: dt.date,
                store_url: str | None = None) -> list[dict[str, Any]] | None:
    """The borrower's tasks and findings from the store, or ``None`` without a synced store."""
    store = open_report_store(ws.root, store_url)
    if store is None:
        return None
    try:
        return borrower_tasks(store, customer_id, day)
    finally:
        store.close()


def portfolio_report(ws: Workspace, pol: Policy, day: dt.date, *, period: Period, lang: str,
                     lender: str | None, store_url: str | None = None) -> Report:
    """The portfolio report of ``day``: the marts, the tables' quality, the store's work."""
    workflow = store_figures(ws, pol, day, period, store_url)
    with errors(), ws.connect(read_only=True) as con:
        return build_portfolio(MartReader(con), pol, day, period=period, lang=lang,
                               lender=lender or ws.root.resolve().name,
                               quality=Quality(**quality_rows(con)), workflow=workflow)


StoreUrl = Annotated[str | None, typer.Option(
    "--store-url", help="Operational store (default $LOANWATCH_STORE_URL, else the "
    "workspace's SQLite file).")]


@report_app.command("portfolio")
def portfolio(
    workspace: WorkspaceOpt,
    as_of: AsOf,
    out_file: Out,
    fmt: Annotated[str, typer.Option("--format", help="html, pdf or xlsx.")] = "html",
    lang: Lang = "zh",
    period: Annotated[Period, typer.Option("--period", help="month or quarter.")] = Period.MONTH,
    lender: Lender = None,
    store_url: StoreUrl = None,
) -> None:
    """The monthly or quarterly portfolio report (组合风险报告): key figures against the period
    before, delinquency, classification and NPL, roll rates, vintages, IFRS 9 and ECL, early
    warnings with their dispositions, fund flows and invoices, concentration, workflow health,
    collection results, data quality, model monitoring."""
    _check(fmt, ("html", "pdf", "xlsx"), lang)
    day = parse_date(as_of, "--as-of")
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    report = portfolio_report(ws, pol, day, period=period, lang=lang, lender=lender,
                              store_url=store_url)
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
    store_url: StoreUrl = None,
) -> None:
    """One borrower's inspection report (贷后检查报告), personal data masked, to print and
    sign."""
    _check(fmt, ("html", "pdf"), lang)
    day = parse_date(as_of, "--as-of")
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    tasks = store_tasks(ws, customer_id, day, store_url)
    with errors(), ws.connect(read_only=True) as con:
        try:
            report = build_borrower(MartReader(con), pol, customer_id, day, lang=lang,
                                    lender=lender or ws.root.resolve().name, tasks=tasks)
        except UnknownBorrower as e:
            raise fail(str(e)) from None
    _write(report, fmt, out_file)
    out.print(f"{report.title} {customer_id} as of {day} → {out_file}", highlight=False)
