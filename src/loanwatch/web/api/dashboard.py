"""The dashboard's figures and the loans behind them, for the caller's slice of the book."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict

from loanwatch.policy.vocabulary import FiveClass
from loanwatch.security.permissions import Permission
from loanwatch.services.dashboard import LoanFilter, dashboard, loans_page
from loanwatch.web.context import Caller, app_state, marts, require

router = APIRouter(tags=["dashboard 风险总览"])

Viewer = Annotated[Caller, Depends(require(Permission.VIEW_DASHBOARD))]
Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class KpisPublic(_Out):
    """Money is exact (a decimal string), rates are shares (0.0123 = 1.23%)."""

    loans: int
    outstanding: Decimal
    m1_loans: int
    m1_balance: Decimal
    m1_rate_balance: float | None
    m3_loans: int
    m3_balance: Decimal
    m3_rate_balance: float | None
    npl_balance: Decimal
    npl_ratio: float | None
    loss_allowance: Decimal
    provision_coverage: float | None


class SegmentPublic(_Out):
    segment: str | None
    loans: int
    outstanding: Decimal
    m1_loans: int
    m1_rate_balance: float | None
    m3_rate_balance: float | None
    npl_balance: Decimal
    npl_ratio: float | None


class TrendPoint(_Out):
    as_of: dt.date
    loans: int
    outstanding: Decimal
    m1_rate_balance: float | None
    m3_rate_balance: float | None
    npl_ratio: float | None


class RollRate(_Out):
    as_of: dt.date
    from_bucket: str
    loans_before: int
    balance_before: Decimal
    roll_rate: float | None
    cure_rate: float | None


class VintagePoint(_Out):
    cohort: str
    mob: int
    as_of: dt.date
    loans: int
    disbursed: Decimal
    m1_rate_balance: float | None
    m3_rate_balance: float | None
    write_off_rate: float | None


class DashboardPublic(_Out):
    as_of: dt.date | None
    dates: list[dt.date]
    previous: dt.date | None
    dimension: str
    segment: str
    now: KpisPublic | None
    before: KpisPublic | None
    change: KpisPublic | None
    new_alerts: dict[str, int]
    open_alerts: dict[str, int]
    overdue_tasks: int
    trend: list[TrendPoint]
    roll_rates: list[RollRate]
    vintage: list[VintagePoint]
    breakdowns: dict[str, list[SegmentPublic]]
    whole_book: bool


class LoanPublic(_Out):
    loan_id: str
    customer_id: str
    product: str | None
    branch_id: str | None
    manager_id: str | None
    region: str | None
    industry: str | None
    vintage: str | None
    dpd: int
    bucket: str | None
    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    five_class: str | None
    stage: int | None
    ecl: Decimal | None


class LoanFilterPublic(_Out):
    as_of: dt.date | None
    min_dpd: int | None
    five_class: list[str]
    product: str | None
    branch_id: str | None
    manager_id: str | None
    region: str | None
    industry: str | None
    vintage: str | None


class LoanPagePublic(_Out):
    as_of: dt.date | None
    dates: list[dt.date]
    filters: LoanFilterPublic
    total: int
    outstanding: Decimal
    page: int
    size: int
    pages: int
    loans: list[LoanPublic]


def loan_filter(
    as_of: dt.date | None = None,
    min_dpd: Annotated[str | None, Query(pattern=r"^[0-9]{0,5}$", description=(
        "at least this many days past due: M1+ is 1, M3+ 61 under the default policy "
        "(digits; empty is no filter, as a console form sends it)"))] = None,
    five_class: Annotated[list[FiveClass] | None, Query(
        description="any of these classes (repeat the parameter)")] = None,
    product: str | None = None, branch_id: str | None = None, manager_id: str | None = None,
    region: str | None = None, industry: str | None = None,
    vintage: Annotated[str | None, Query(description="disbursement month YYYY-MM")] = None,
) -> LoanFilter:
    """The filters of a loans list; an empty value is no filter, ``-`` an empty column."""
    return LoanFilter(as_of=as_of, min_dpd=int(min_dpd) if min_dpd else None,
                      five_class=tuple(v.value for v in five_class or ()),
                      product=product or None, branch_id=branch_id or None,
                      manager_id=manager_id or None, region=region or None,
                      industry=industry or None, vintage=vintage or None)


Page = Annotated[int, Query(ge=1, le=1_000_000)]
Size = Annotated[int, Query(ge=1, le=500)]


@router.get("/dashboard", response_model=DashboardPublic,
            responses={404: {"description": "no results stored for the date"}})
def get_dashboard(who: Viewer, con: Marts, request: Request,
                  as_of: dt.date | None = None) -> DashboardPublic:
    """KPIs of the caller's slice at ``as_of`` (default the newest stored month-end) with the
    change since the stored date before, alerts and overdue tasks, trends and breakdowns."""
    state = app_state(request)
    board = dashboard(con, state.store, who.principal, state.policy, as_of)
    return DashboardPublic.model_validate(board)


@router.get("/loans", response_model=LoanPagePublic,
            responses={404: {"description": "no results stored for the date"}})
def get_loans(who: Viewer, con: Marts, request: Request,
              filters: Annotated[LoanFilter, Depends(loan_filter)],
              page: Page = 1, size: Size = 50) -> LoanPagePublic:
    """The loans of the caller's slice behind a dashboard figure: the loans the portfolio
    metrics count (active, with outstanding principal) at ``as_of``, filtered."""
    found = loans_page(con, who.principal, filters, page, size)
    return LoanPagePublic.model_validate(found)
