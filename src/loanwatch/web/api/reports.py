"""Reports API (贷后风险报告): the dates a report can be made for, the portfolio report of a
month or quarter and a borrower's inspection report as a file to download — HTML, PDF or
XLSX, Chinese or English (docs/reports.md). The portfolio report covers the whole book
(``view_reports``); a borrower report is of one borrower in the caller's slice
(``view_borrowers``; outside the slice: 404)."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel

from loanwatch.batch.report_source import MartReader, Period, period_start
from loanwatch.domain.calendar import month_end
from loanwatch.reports.borrower import build_borrower
from loanwatch.reports.document import Report
from loanwatch.reports.files import MEDIA_TYPES, file_name, report_bytes
from loanwatch.reports.pdf import PdfUnavailable
from loanwatch.reports.portfolio import Quality, Workflow, build_portfolio
from loanwatch.security.permissions import Permission
from loanwatch.services import borrower as svc
from loanwatch.services.report_workflow import (
    borrower_tasks,
    quality_rows,
    read_workflow_figures,
)
from loanwatch.web.context import Caller, app_state, marts, require

router = APIRouter(tags=["reports 报告"])

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Reader = Annotated[Caller, Depends(require(Permission.VIEW_REPORTS))]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_BORROWERS))]
#: the mart that says a run stored the date (the report's key figures)
KEY_MART = "portfolio_metrics"


class PortfolioFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"
    XLSX = "xlsx"


class BorrowerFormat(StrEnum):
    HTML = "html"
    PDF = "pdf"


class Lang(StrEnum):
    ZH = "zh"
    EN = "en"


class ReportDate(BaseModel):
    as_of: dt.date
    quarter_end: bool  # a quarterly report can be made too


class ReportDates(BaseModel):
    dates: list[ReportDate]  # newest first


FILE = {200: {"description": "the report file (Content-Disposition names it)",
              "content": {m.split(";")[0]: {} for m in MEDIA_TYPES.values()}},
        404: {"description": "nothing stored for the date, or no such borrower in your slice"}}


def report_dates(con: duckdb.DuckDBPyConnection) -> list[ReportDate]:
    """The month-ends a run stored, newest first (a report is of a month or a quarter)."""
    days = [d for d in MartReader(con).dates(KEY_MART) if month_end(d) == d]
    return [ReportDate(as_of=d, quarter_end=d.month % 3 == 0) for d in reversed(days)]


@router.get("/reports", response_model=ReportDates)
def dates(who: Reader, con: Con) -> ReportDates:
    """The stored month-ends and quarter-ends a portfolio report can be made for."""
    return ReportDates(dates=report_dates(con))


def _stored_day(reader: MartReader, as_of: dt.date | None) -> dt.date:
    stored = reader.dates(KEY_MART)
    if as_of is None:
        if not stored:
            raise LookupError("no report yet: no run stored the marts (loanwatch run)")
        return stored[-1]
    if as_of not in stored:
        raise LookupError(f"no report for {as_of}: no run stored the marts of that date "
                          f"(stored: {', '.join(map(str, stored[-6:])) or 'none'})")
    return as_of


def _file(report: Report, fmt: str, name: str) -> Response:
    try:
        body = report_bytes(report, fmt)
    except PdfUnavailable as e:
        raise HTTPException(503, str(e)) from None
    return Response(body, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _lang(who: Caller, lang: Lang | None) -> str:
    return lang.value if lang else who.lang


def portfolio_report(con: duckdb.DuckDBPyConnection, request: Request, day: dt.date,
                     period: Period, lang: str) -> Report:
    """The portfolio report of ``day``: the marts, the tables' quality, the store's work."""
    state = app_state(request)
    found = read_workflow_figures(state.store, period_start(day, period), day, state.policy)
    return build_portfolio(MartReader(con), state.policy, day, period=period, lang=lang,
                           lender=state.workspace.root.resolve().name,
                           quality=Quality(**quality_rows(con)),
                           workflow=None if found is None else Workflow(**found))


@router.get("/reports/portfolio", response_class=Response, responses=FILE)
def portfolio(request: Request, who: Reader, con: Con, as_of: dt.date | None = None,
              fmt: Annotated[PortfolioFormat, Query(alias="format")] = PortfolioFormat.HTML,
              period: Period = Period.MONTH, lang: Lang | None = None) -> Response:
    """The portfolio report of a stored date (default the newest) for its month or quarter."""
    day = _stored_day(MartReader(con), as_of)
    report = portfolio_report(con, request, day, period, _lang(who, lang))
    return _file(report, fmt.value, file_name("portfolio", day, fmt.value, period.value))


@router.get("/reports/borrower/{customer_id}", response_class=Response, responses=FILE)
def borrower(request: Request, who: Viewer, con: Con, customer_id: str,
             as_of: dt.date | None = None,
             fmt: Annotated[BorrowerFormat, Query(alias="format")] = BorrowerFormat.HTML,
             lang: Lang | None = None) -> Response:
    """One borrower's inspection report (贷后检查报告), personal data masked."""
    state = app_state(request)
    day = svc.as_of_or_latest(con, as_of, state.now().date())
    svc.read_profile(con, who.principal, customer_id, day)  # outside the slice: LookupError
    report = build_borrower(MartReader(con), state.policy, customer_id, day,
                            lang=_lang(who, lang), lender=state.workspace.root.resolve().name,
                            tasks=borrower_tasks(state.store, customer_id, day))
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", customer_id)
    return _file(report, fmt.value, file_name("borrower", day, fmt.value, safe))
