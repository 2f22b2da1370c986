"""风险总览 The dashboard page and the loans behind its numbers (``/loans``): every figure and
every bar links to the list of its loans. Charts are ECharts options embedded in the page."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from loanwatch.batch.marts import NON_PERFORMING, overdue_from_dpd
from loanwatch.policy import Policy
from loanwatch.security.permissions import Permission
from loanwatch.services.dashboard import (
    NONE,
    Dashboard,
    LoanFilter,
    Segment,
    dashboard,
    loans_page,
)
from loanwatch.web.api.dashboard import Page, Size, loan_filter
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.i18n import pick
from loanwatch.web.pages import render

router = APIRouter()

Viewer = Annotated[Caller, Depends(require(Permission.VIEW_DASHBOARD))]
Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]

FIVE_CLASS_TITLES = {"normal": ("正常", "Normal"), "special_mention": ("关注", "Special mention"),
                     "substandard": ("次级", "Substandard"), "doubtful": ("可疑", "Doubtful"),
                     "loss": ("损失", "Loss")}
BREAKDOWN_TITLES = {"product": ("按产品", "By product"), "branch_id": ("按机构", "By branch"),
                    "industry": ("按行业", "By industry")}
SEVERITY_TITLES = {"critical": ("严重", "Critical"), "high": ("高", "High"), "medium": ("中", "Medium"),
                   "low": ("低", "Low"), "info": ("提示", "Info")}
VINTAGE_COHORTS = 12  # the newest cohorts drawn; the API gives them all


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(request: Request, who: Viewer, con: Marts,
                   as_of: dt.date | None = None) -> HTMLResponse:
    state = app_state(request)
    board = dashboard(con, state.store, who.principal, state.policy, as_of)
    links = _links(board, state.policy)
    return render(request, "dashboard.html", who, board=board, links=links,
                  charts=_charts(board, links, state.policy, who.lang), breakdown_titles=BREAKDOWN_TITLES,
                  severity_titles=SEVERITY_TITLES)


@router.get("/loans", response_class=HTMLResponse)
def loans_list(request: Request, who: Viewer, con: Marts,
               filters: Annotated[LoanFilter, Depends(loan_filter)],
               page: Page = 1, size: Size = 50) -> HTMLResponse:
    state = app_state(request)
    found = loans_page(con, who.principal, filters, page, size)
    query = _query(found.filters)
    return render(request, "loans.html", who, found=found, policy=state.policy,
                  class_titles=FIVE_CLASS_TITLES, npl_classes=NON_PERFORMING,
                  page_url=lambda n: "/loans?" + urlencode([*query, ("page", n), ("size", size)]))


# --- links to the loans behind a number --------------------------------------------------------

def _query(filters: LoanFilter) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    for name, value in vars(filters).items():
        values = value if isinstance(value, tuple) else (value,)
        pairs += [(name, str(v)) for v in values if v is not None and v != ""]
    return pairs


def loans_url(filters: LoanFilter) -> str:
    return "/loans?" + urlencode(_query(filters))


def _links(board: Dashboard, policy: Policy) -> dict[str, Any]:
    """The loans list of each KPI and of each bar of the breakdowns."""
    if board.as_of is None:
        return {}
    day = board.as_of
    npl = loans_url(LoanFilter(as_of=day, five_class=NON_PERFORMING))
    late = overdue_from_dpd(policy)  # the thresholds the mart counted M1+ and M3+ with
    return {"book": loans_url(LoanFilter(as_of=day)),
            "m1": loans_url(LoanFilter(as_of=day, min_dpd=late["m1"])),
            "m3": loans_url(LoanFilter(as_of=day, min_dpd=late["m3"])),
            "npl": npl,
            "segments": {dim: {_label(s): _segment_url(day, dim, s) for s in found}
                         for dim, found in board.breakdowns.items()}}


def _label(segment: Segment) -> str:
    return segment.segment if segment.segment is not None else NONE


def _segment_url(day: dt.date, dimension: str, segment: Segment) -> str:
    return loans_url(LoanFilter(as_of=day, **{dimension: _label(segment)}))


# --- charts -------------------------------------------------------------------------------------

def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 3)


def _axis_percent() -> dict[str, Any]:
    return {"type": "value", "axisLabel": {"formatter": "{value}%"}}


def _base() -> dict[str, Any]:
    return {"tooltip": {"trigger": "axis"}, "legend": {"top": 0},
            "grid": {"left": 56, "right": 56, "top": 36, "bottom": 40},
            "aria": {"enabled": True}}


def _trend_chart(board: Dashboard, lang: str) -> dict[str, Any]:
    days = [p["as_of"].isoformat() for p in board.trend]
    series = [("M1+", "m1_rate_balance"), ("M3+", "m3_rate_balance"),
              (pick(lang, "不良率", "NPL ratio"), "npl_ratio")]
    return {**_base(), "xAxis": {"type": "category", "data": days}, "yAxis": _axis_percent(),
            "series": [{"name": name, "type": "line", "data": [_pct(p[key]) for p in board.trend]}
                       for name, key in series],
            "lwLinks": {d: f"/dashboard?as_of={d}" for d in days}}


def _roll_chart(board: Dashboard, buckets: list[str]) -> dict[str, Any]:
    """Roll rates Mi → Mi+1 month on month, one line per bucket (C → M1 first)."""
    days = sorted({r["as_of"] for r in board.roll_rates})
    by_bucket: dict[str, dict[dt.date, float | None]] = {}
    for r in board.roll_rates:
        by_bucket.setdefault(r["from_bucket"], {})[r["as_of"]] = r["roll_rate"]
    following = dict(zip(buckets, buckets[1:], strict=False))
    order = sorted(by_bucket, key=lambda b: buckets.index(b) if b in buckets else len(buckets))
    return {**_base(), "xAxis": {"type": "category", "data": [d.isoformat() for d in days]},
            "yAxis": _axis_percent(),
            "series": [{"name": f"{'C' if b == buckets[0] else b}→{following.get(b, '')}",
                        "type": "line", "data": [_pct(by_bucket[b].get(d)) for d in days]}
                       for b in order if b in following]}


def _vintage_chart(board: Dashboard) -> dict[str, Any]:
    cohorts: dict[str, list[list[float | None]]] = {}
    for r in board.vintage:
        cohorts.setdefault(r["cohort"], []).append([r["mob"], _pct(r["m1_rate_balance"])])
    newest = sorted(cohorts)[-VINTAGE_COHORTS:]
    return {**_base(), "tooltip": {"trigger": "item"},
            "legend": {"top": 0, "type": "scroll"},
            "xAxis": {"type": "value", "name": "MOB", "minInterval": 1}, "yAxis": _axis_percent(),
            "series": [{"name": c, "type": "line", "data": cohorts[c]} for c in newest]}


def _breakdown_chart(found: list[Segment], urls: dict[str, str], lang: str) -> dict[str, Any]:
    names = [_label(s) for s in found]
    return {**_base(), "grid": {"left": 64, "right": 56, "top": 48, "bottom": 72},
            "xAxis": {"type": "category", "data": names, "axisLabel": {"interval": 0, "rotate": 30}},
            "yAxis": [{"type": "value", "name": pick(lang, "余额(万元)", "Balance (10k)")},
                      _axis_percent()],
            "series": [{"name": pick(lang, "贷款余额", "Outstanding"), "type": "bar",
                        "data": [round(float(s.outstanding) / 10_000, 2) for s in found]},
                       {"name": "M1+", "type": "line", "yAxisIndex": 1,
                        "data": [_pct(s.m1_rate_balance) for s in found]}],
            "lwLinks": urls}


def _charts(board: Dashboard, links: dict[str, Any], policy: Policy,
            lang: str) -> dict[str, Any]:
    if board.as_of is None:
        return {}
    charts = {"trend": _trend_chart(board, lang),
              **{f"by_{dim}": _breakdown_chart(found, links["segments"][dim], lang)
                 for dim, found in board.breakdowns.items()}}
    if board.whole_book:
        charts.update(roll=_roll_chart(board, [b.name for b in policy.buckets]),
                      vintage=_vintage_chart(board))
    return charts
