"""报告 The reports page: the stored month-ends and quarter-ends, each with links that
download the portfolio report of its month (and of its quarter at a quarter-end) as PDF,
HTML or XLSX in the page's language. A borrower's inspection report is linked from the
borrower page."""

from __future__ import annotations

from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from loanwatch.security.permissions import Permission
from loanwatch.web.api.reports import PortfolioFormat, report_dates
from loanwatch.web.context import Caller, marts, require
from loanwatch.web.pages import render

router = APIRouter()


@router.get("/reports", response_class=HTMLResponse)
def reports_page(request: Request,
                 who: Annotated[Caller, Depends(require(Permission.VIEW_REPORTS))],
                 con: Annotated[duckdb.DuckDBPyConnection, Depends(marts)]) -> HTMLResponse:
    return render(request, "reports.html", who, dates=report_dates(con),
                  formats=[f.value for f in PortfolioFormat])
