"""数据管理 The data page: imports, quarantine, data quality, the policy, synced dates."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from loanwatch.security.permissions import Permission
from loanwatch.services.datapage import data_page
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.pages import render

router = APIRouter()


@router.get("/data", response_class=HTMLResponse)
def data(request: Request, who: Annotated[Caller, Depends(require(Permission.VIEW_DATA))],
         con: Annotated[duckdb.DuckDBPyConnection, Depends(marts)],
         import_id: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
         table: str | None = None, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
         size: Annotated[int, Query(ge=1, le=500)] = 50) -> HTMLResponse:
    state = app_state(request)
    found = data_page(con, state.store, state.policy, import_id, table or None, page, size)
    q = found.quarantine

    def page_url(n: int) -> str:
        query = {"import_id": q.import_id, "table": q.table or "", "page": n, "size": size}
        return "/data?" + urlencode(query) + "#quarantine"

    return render(request, "data.html", who, found=found, page_url=page_url)
