"""Classification review API (分类审核): the loans whose automatic class changed at a date,
and manual classifications under maker–checker — propose (maker), approve or reject (a
second person, the checker), withdraw (the maker)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from loanwatch.security.permissions import Permission
from loanwatch.services import classification_review as svc
from loanwatch.web.context import Caller, DataBusy, app_state, marts, require

router = APIRouter(tags=["classification 分类审核"])

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Maker = Annotated[Caller, Depends(require(Permission.REVIEW_CLASSIFICATION))]
Checker = Annotated[Caller, Depends(require(Permission.APPROVE_CLASSIFICATION))]
REFUSALS = {404: {"description": "no such loan or override in your slice of the book"},
            409: {"description": "not open any more, or your own proposal (maker–checker)"},
            422: {"description": "an unknown class or grade, or no reason"},
            503: {"description": "the data is being refreshed"}}


class Override(BaseModel):
    override_id: int
    loan_id: str
    five_class: str
    grade: str | None
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    effective_from: dt.date
    status: str  # proposed, approved, rejected, withdrawn
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    review_comment: str | None


class ChangedLoan(BaseModel):
    loan_id: str
    customer_id: str
    branch_id: str | None
    manager_id: str | None
    product: str | None
    dpd: int | None
    outstanding_principal: Decimal | None
    previous_class: str | None
    auto_class: str
    five_class: str
    grade: str | None
    auto_reasons: list[str]
    reasons: list[str]
    stage: int | None
    override_id: int | None  # the override that set the class at the date
    override_by: str | None
    event: str | None  # CLASS-DOWNGRADE when the class events name it
    severity: str | None
    direction: str  # down or up
    override: Override | None  # the newest manual classification of the loan, any status


class ClassificationReview(BaseModel):
    as_of: dt.date | None
    dates: list[dt.date]
    changed: list[ChangedLoan]
    pending: list[Override]
    history: list[Override]


class Proposal(BaseModel):
    loan_id: str
    five_class: str = Field(description="normal, special_mention, substandard, doubtful, loss "
                                        "(or 正常 关注 次级 可疑 损失)")
    reason: str
    grade: str | None = Field(None, description="a grade of the policy ladder, e.g. 次级1")
    effective_from: dt.date | None = Field(None, description="default today")


class ReviewNote(BaseModel):
    comment: str | None = None


@contextmanager
def writable(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """The workspace database opened for one write and closed at once; 503 while a run (or
    another request) holds it."""
    try:
        con = app_state(request).workspace.connect()
    except (duckdb.IOException, duckdb.ConnectionException) as e:
        raise DataBusy(str(e).splitlines()[0]) from None
    try:
        yield con
    finally:
        con.close()


def propose(request: Request, who: Caller, p: Proposal) -> Override:
    state = app_state(request)
    with writable(request) as con:
        return Override(**svc.propose(
            con, who.principal, loan_id=p.loan_id.strip(), five_class=p.five_class,
            reason=p.reason, grade=p.grade or None,
            effective_from=p.effective_from or state.now().date(),
            ladder=state.policy.classification.ladder, now=state.now()))


def decide(request: Request, who: Caller, override_id: int, action: str,
           comment: str | None) -> Override:
    now = app_state(request).now()
    with writable(request) as con:
        if action == "withdraw":
            return Override(**svc.withdraw(con, who.principal, override_id, now=now))
        return Override(**svc.review(con, who.principal, override_id, action=action,
                                     comment=comment, now=now))


@router.get("/classification", response_model=ClassificationReview)
def review_list(who: Maker, con: Con, as_of: dt.date | None = None) -> Any:
    """Loans whose automatic class changed at the date (default the newest classified),
    with reasons and their newest manual classification; open and closed proposals."""
    return svc.review_view(con, who.principal, as_of)


@router.get("/classification/overrides", response_model=list[Override])
def overrides(who: Maker, con: Con,
              status: Literal["proposed", "approved", "rejected", "withdrawn"] | None = None,
              loan_id: str | None = None) -> Any:
    """Manual classifications in your slice, newest first."""
    return svc.read_overrides(con, who.principal, loan_id=loan_id, status=status)


@router.post("/classification/overrides", response_model=Override, status_code=201,
             responses=REFUSALS)
def propose_override(request: Request, who: Maker, proposal: Proposal) -> Override:
    """Propose a class for a loan (maker): a floor until a second person approves it."""
    return propose(request, who, proposal)


@router.post("/classification/overrides/{override_id}/approve", response_model=Override,
             responses=REFUSALS)
def approve(request: Request, who: Checker, override_id: int,
            note: ReviewNote | None = None) -> Override:
    """Approve someone else's proposal (checker): it then replaces the automatic class."""
    return decide(request, who, override_id, "approve", note.comment if note else None)


@router.post("/classification/overrides/{override_id}/reject", response_model=Override,
             responses=REFUSALS)
def reject(request: Request, who: Checker, override_id: int, note: ReviewNote) -> Override:
    """Reject someone else's proposal, saying why (checker)."""
    return decide(request, who, override_id, "reject", note.comment)


@router.post("/classification/overrides/{override_id}/withdraw", response_model=Override,
             responses=REFUSALS)
def withdraw(request: Request, who: Maker, override_id: int) -> Override:
    """Take back your own proposal before it is reviewed."""
    return decide(request, who, override_id, "withdraw", None)
