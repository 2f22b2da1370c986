"""风险总览 The dashboard page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from loanwatch.security.permissions import Permission
from loanwatch.services.dashboard import kpis
from loanwatch.web.context import Caller, marts, require
from loanwatch.web.pages import render

router = APIRouter()


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(request: Request, who: Annotated[Caller, Depends(require(Permission.VIEW_DASHBOARD))],
              con: Annotated[duckdb.DuckDBPyConnection, Depends(marts)],
              as_of: dt.date | None = None) -> HTMLResponse:
    return render(request, "dashboard.html", who, figures=kpis(con, who.principal, as_of))
