"""Mart commands: ``run`` computes and stores them, ``export`` writes them out."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from loanwatch.batch.export import export_mart, read_mart
from loanwatch.batch.marts import MARTS, with_needs
from loanwatch.batch.report_source import Period
from loanwatch.batch.runner import run_marts
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    cells,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    progress_steps,
    workspace_policy,
)
from loanwatch.cli.report import portfolio_report
from loanwatch.domain.calendar import Every, as_of_dates, month_end
from loanwatch.engines.base import ENGINES
from loanwatch.policy import Policy
from loanwatch.reports.files import file_name, write_report
from loanwatch.reports.labels import LANGS
from loanwatch.reports.pdf import PdfUnavailable
from loanwatch.services.nightly import OutOfOrder, sync_day
from loanwatch.services.store import open_store
from loanwatch.workspace import Workspace


@app.command()
def run(
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option("--as-of", help="One as-of date (YYYY-MM-DD).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date of a history.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date of a history.")] = None,
    every: Annotated[Every, typer.Option("--every", help="Dates of a history.")] = Every.MONTH_END,
    engine: Annotated[str, typer.Option("--engine", help=f"Analytics engine: {' or '.join(ENGINES)}.")
                      ] = "duckdb",
    mart: Annotated[list[str] | None, typer.Option(
        "--mart", help="Only this mart and the marts it reads (repeatable; default: all).")] = None,
    sync: Annotated[bool, typer.Option(
        "--sync/--no-sync", help="Bring each date's alerts, collection cases and tasks into the "
        "operational store after the run (when the alerts were computed).")] = True,
    store_url: Annotated[str | None, typer.Option(
        "--store-url", help="Operational store (SQLAlchemy URL; default $LOANWATCH_STORE_URL, "
        "else the workspace's SQLite file).")] = None,
    report_dir: Annotated[Path | None, typer.Option(
        "--report-dir", help="Write the portfolio report (PDF and XLSX) of each month-end run "
        "into this folder, and the quarter's at a quarter-end (docs/reports.md).")] = None,
    report_lang: Annotated[str, typer.Option("--report-lang", help="zh (default) or en.")] = "zh",
) -> None:
    """Compute and store the marts as of a date or for a history of dates (批量计算).

    A date already computed is replaced as a whole; re-running gives the same result. Then
    the workflow store is synced (同步预警、催收、任务), date by date, and with
    ``--report-dir`` the month's (and quarter's) portfolio report is written."""
    dates = _run_dates(as_of, start, end, every)
    if report_lang not in LANGS:
        raise fail(f"--report-lang must be one of {', '.join(LANGS)}")
    if engine not in ENGINES:
        raise fail(f"--engine must be one of {', '.join(ENGINES)}")
    try:
        with_needs(mart or [])
    except ValueError as e:
        raise fail(str(e)) from None
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), progress_steps("running") as step:
        result = run_marts(ws, dates, pol, engine=engine, progress=step, marts=mart or None)
    span = f"{dates[0]}" if len(dates) == 1 else f"{dates[0]} … {dates[-1]} ({len(dates)} dates)"
    out.print(f"run {result.run_id} as of {span}, engine {result.engine}, policy "
              f"{result.policy_version}", highlight=False)
    for mart, rows in result.rows.items():
        out.print(f"  {mart}: {rows:,} rows", highlight=False)
    if sync and "alerts" in result.rows and "classification" in result.rows:
        sync_dates(ws, dates, pol, store_url)
    if report_dir is not None:
        if "portfolio_metrics" not in result.rows:
            out.print("  reports: not written (the run did not compute portfolio_metrics)",
                      highlight=False)
            return
        write_period_reports(ws, pol, dates, report_dir, report_lang, store_url)


def write_period_reports(ws: Workspace, pol: Policy, dates: list[dt.date], folder: Path,
                         lang: str, store_url: str | None) -> None:
    """The portfolio report of each month-end of ``dates`` (PDF and XLSX), and of its
    quarter at a quarter-end; a PDF that cannot be made here is said, the XLSX written."""
    for day in (d for d in dates if month_end(d) == d):
        periods = [Period.MONTH] + ([Period.QUARTER] if day.month % 3 == 0 else [])
        for period in periods:
            report = portfolio_report(ws, pol, day, period=period, lang=lang, lender=None,
                                      store_url=store_url)
            for fmt in ("pdf", "xlsx"):
                target = folder / file_name("portfolio", day, fmt, period.value)
                try:
                    write_report(report, fmt, target)
                except PdfUnavailable as e:
                    out.print(f"  report {target.name}: not written ({e})", highlight=False)
                    continue
                out.print(f"  report → {target}", highlight=False)


def sync_dates(ws: Workspace, dates: list[dt.date], pol: Policy, url: str | None) -> None:
    """Sync the store date by date; a date older than what the store reflects is skipped."""
    store = open_store(ws.root, url)
    try:
        with ws.connect(read_only=True) as con, progress_steps("syncing") as step:
            for n, day in enumerate(dates):
                step(f"sync {day}", n, len(dates))
                try:
                    done = sync_day(store, con, day, pol, dt.datetime.now().replace(microsecond=0))
                except OutOfOrder as e:
                    out.print(f"  store: {e}; skipped", highlight=False)
                    continue
                c = done.counts
                out.print(f"  store {day}: alerts +{c['alerts_opened']:,} opened, "
                          f"{c['alerts_changed']:,} changed; collection cases "
                          f"+{c['cases_opened']:,}; tasks +{c['tasks_planned']:,}",
                          highlight=False)
            step("done", len(dates), len(dates))
    finally:
        store.close()


def _run_dates(as_of: str | None, start: str | None, end: str | None, every: Every) -> list[dt.date]:
    if as_of and (start or end):
        raise fail("give either --as-of or --from/--to, not both")
    if start or end:
        if not (start and end):
            raise fail("a history needs both --from and --to")
        try:
            dates = as_of_dates(parse_date(start, "--from"), parse_date(end, "--to"), every)
        except ValueError as e:
            raise fail(str(e)) from None
        if not dates:
            raise fail(f"no {every.value} date between {start} and {end}")
        return dates
    return [parse_date(as_of, "--as-of")]


@app.command()
def export(
    mart: Annotated[str, typer.Argument(help=f"Mart to export: {', '.join(sorted(MARTS))}.")],
    out_file: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.parquet.")],
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (default: the latest computed).")] = None,
) -> None:
    """Write a computed mart for one as-of date to CSV or Parquet (导出)."""
    day = parse_date(as_of, "--as-of") if as_of else None
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        rows = export_mart(con, mart, day, out_file)
    out.print(f"{mart}: {rows:,} rows → {out_file}", highlight=False)




@app.command()
def show(
    mart: Annotated[str, typer.Argument(help=f"Mart to show: {', '.join(sorted(MARTS))}.")],
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (default: the latest computed).")] = None,
    where: Annotated[list[str] | None, typer.Option(
        "--where", help="COLUMN=VALUE: only rows where the column reads VALUE (repeatable).")] = None,
    columns: Annotated[str | None, typer.Option(
        "--columns", help="Comma-separated columns to print (default: all).")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 50,
) -> None:
    """Print a computed mart's rows for one as-of date as a table (查看), in key order."""
    day = parse_date(as_of, "--as-of") if as_of else None
    tests = {}
    for item in where or []:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise fail(f"--where {item!r}: expected COLUMN=VALUE")
        tests[column.strip()] = value
    ws = open_workspace(workspace)
    with errors(), ws.connect(read_only=True) as con:
        day, names, rows = read_mart(con, mart, day, tests, limit)
    keep = [c.strip() for c in columns.split(",")] if columns else names
    missing = [c for c in keep if c not in names]
    if missing:
        raise fail(f"{mart} has no column {', '.join(missing)} (columns: {', '.join(names)})")
    out.print(f"{mart} as of {day}", highlight=False)
    table = RichTable()
    for c in keep:
        table.add_column(c, overflow="fold")
    at = [names.index(c) for c in keep]
    for row in rows:
        table.add_row(*cells(*(row[i] for i in at)))
    out.print(table)
    out.print(f"{len(rows):,} rows" + (f" (--limit {limit})" if len(rows) == limit else ""),
              highlight=False)
