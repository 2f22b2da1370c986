"""催收 Collections: the prioritised queue (largest expected loss first), recovery figures,
one case, and its events (contact, promise to pay, close with an outcome, reopen, assign).

A person's event names the case ``version`` they saw: an older one is 409, an event the
case's state does not allow 409 (a promise before any contact), a missing comment or a
promise out of bounds 422. Collectors see every case; a customer manager the cases of their
borrowers, a branch head those of their branch; a case outside the slice is 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from loanwatch.policy.workflow import Channel
from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.web.api.alerts import AuditOut, EffectOut, LocalTime, Money, effects_out
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.workflow.collection_queue import RecoveryFigures
from loanwatch.workflow.collections import (
    CaseStatus,
    ContactResult,
    Outcome,
    PromiseStatus,
)

router = APIRouter(tags=["collections 催收"])

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_COLLECTIONS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_COLLECTIONS))]
StatusChoice = Literal["live", "all", "open", "in_progress", "promised", "closed"]

NOT_FOUND = {404: {"description": "no such case in your slice of the book"}}
REFUSED = {**NOT_FOUND, 403: {"description": "your role may not do this"},
           409: {"description": "stale version (someone acted first) or not allowed in the "
                                "case's state"},
           422: {"description": "incomplete: a comment, reason, outcome or contact detail is "
                                "missing, or a promise is out of bounds"}}


class _Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ContactOut(_Model):
    channel: Channel
    result: ContactResult
    note: str
    by: str
    at: LocalTime


class PromiseOut(_Model):
    amount: Decimal
    due_on: dt.date
    made_by: str
    made_at: LocalTime
    status: PromiseStatus
    received: Decimal = Field(description="money the runs counted toward it")
    settled_on: dt.date | None = Field(description="the run date that judged it kept or broken")


class CaseSummary(_Model):
    case_id: str
    loan_id: str
    customer_id: str
    owner: str
    status: CaseStatus
    bucket: str
    dpd: int
    overdue_amount: Decimal
    outstanding: Decimal
    expected_loss: Decimal = Field(description="balance × PD (else the bucket's weight)")
    strategy: list[Channel]
    opened_on: dt.date
    last_seen_on: dt.date
    version: int


class CaseOut(CaseSummary):
    contacts: list[ContactOut]
    promises: list[PromiseOut]
    recovered: Decimal = Field(description="money received since the case opened")
    outcome: Outcome | None
    closed_by: str | None
    closed_at: LocalTime | None
    close_comment: str | None
    reopen_reason: str | None
    alert_id: str | None


class FiguresOut(_Model):
    cases_opened: int
    closed_by_outcome: dict[Outcome, int]
    recovered: Decimal
    promises_made: int
    promises_kept: int
    promises_broken: int
    kept_rate: Decimal | None = Field(description="kept / (kept + broken); null before any "
                                                  "promise is judged")


class CasePage(BaseModel):
    items: list[CaseSummary]
    total: int = Field(description="cases passing the filters")
    limit: int
    offset: int
    expected_loss: Decimal = Field(description="of the cases passing the filters")
    by_bucket: dict[str, int]
    figures: FiguresOut = Field(description="recovery over every case of your slice")


class CaseDetail(BaseModel):
    case: CaseOut
    trail: list[AuditOut] | None = Field(description="null unless you may read it (auditors, "
                                                      "collectors)")


class CaseEvent(BaseModel):
    """One person's event on a case, at the version they saw."""

    event: Literal["contact", "promise", "close", "reopen", "assign"]
    version: int = Field(ge=1, description="the case's version you acted on")
    channel: Channel | None = Field(None, description="contact: required")
    result: ContactResult | None = Field(None, description="contact: required")
    note: str = Field("", description="contact: what was said")
    amount: Money | None = Field(None, description="promise: yuan, required")
    due_on: dt.date | None = Field(None, description="promise: required")
    outcome: Outcome | None = Field(None, description="close: required")
    comment: str = Field("", description="close: the comment; reopen: the reason (required)")
    to: str = Field("", max_length=64, description="assign: the collector or queue")


class CaseDone(BaseModel):
    case: CaseOut
    effects: list[EffectOut]


def _figures(f: RecoveryFigures) -> FiguresOut:
    return FiguresOut.model_validate(f)


@router.get("/collections", response_model=CasePage)
def list_cases(
    who: Viewer, con: Marts, request: Request,
    bucket: Annotated[str | None, Query(description="M1, M2, …")] = None,
    status: Annotated[StatusChoice, Query(description="live: open, in progress or "
                                                      "promised")] = "live",
    owner: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CasePage:
    """Cases of your slice in working order: largest expected loss first, then the longest
    overdue."""
    state = app_state(request)
    q = queues.case_queue(state.store, con, who.principal,
                          queues.CaseFilter(bucket=bucket, status=status, owner=owner),
                          limit, offset)
    return CasePage(items=[CaseSummary.model_validate(c) for c in q.items], total=q.page.total,
                    limit=limit, offset=offset, expected_loss=q.expected_loss,
                    by_bucket=q.by_bucket, figures=_figures(q.figures))


@router.get("/collections/figures", response_model=FiguresOut)
def recovery_figures(who: Viewer, con: Marts, request: Request) -> FiguresOut:
    """Recovery over every case of your slice: outcomes, money recovered, promises kept."""
    return _figures(queues.recovery(app_state(request).store, con, who.principal))


@router.get("/collections/{case_id}", response_model=CaseDetail, responses=NOT_FOUND)
def get_case(case_id: str, who: Viewer, con: Marts, request: Request) -> CaseDetail:
    """One case: figures, strategy, contacts, promises, and its audit trail if yours to read."""
    v = queues.case_view(app_state(request).store, con, who.principal, case_id)
    return CaseDetail(case=CaseOut.model_validate(v.case),
                      trail=None if v.trail is None else [AuditOut.model_validate(r)
                                                          for r in v.trail])


@router.post("/collections/{case_id}/events", response_model=CaseDone, responses=REFUSED)
def case_event(case_id: str, body: CaseEvent, who: Actor, con: Marts,
               request: Request) -> CaseDone:
    """Act on a case: contact (``channel``, ``result``, ``note``), promise (``amount``,
    ``due_on``: after today and within the policy's days; needs a contact first), close
    (``outcome``, ``comment``), reopen (``comment`` is the reason), assign (``to``)."""
    state = app_state(request)
    done = queues.act_visible(state.store, con, who.principal, "collection_case", case_id,
                              lambda: queues.case_event(
                                  body.event, by=who.user_id, at=state.now(),
                                  version=body.version, channel=body.channel,
                                  result=body.result, note=body.note, amount=body.amount,
                                  due_on=body.due_on, outcome=body.outcome,
                                  comment=body.comment, to=body.to), state.policy)
    return CaseDone(case=CaseOut.model_validate(done.record), effects=effects_out(done))
