"""催收管理 The collection pages: the prioritised queue with recovery figures, and the case
page (figures, strategy, contact log, promises to pay, closing and reopening)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loanwatch.policy.workflow import Channel
from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.pages import render
from loanwatch.workflow.collections import ContactResult, Outcome

router = APIRouter()

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_COLLECTIONS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_COLLECTIONS))]


@router.get("/collections", response_class=HTMLResponse)
def collections_page(request: Request, who: Viewer, con: Marts, bucket: str = "",
                     status: str = "live", owner: str = "",
                     limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    f = queues.CaseFilter(bucket=bucket.strip() or None, status=status or "live",
                          owner=owner.strip() or None)
    q = queues.case_queue(app_state(request).store, con, who.principal, f, limit, offset)
    return render(request, "collections.html", who, q=q, f=f)


@router.get("/collections/{case_id}", response_class=HTMLResponse)
def case_page(case_id: str, request: Request, who: Viewer, con: Marts,
              done: str = "") -> HTMLResponse:
    state = app_state(request)
    v = queues.case_view(state.store, con, who.principal, case_id)
    rules = state.policy.workflow.collections
    today = state.now().date()
    return render(request, "collections_case.html", who, v=v, done=done,
                  channels=list(Channel), results=list(ContactResult), outcomes=list(Outcome),
                  promise_from=today + dt.timedelta(days=1),
                  promise_until=today + dt.timedelta(days=rules.promise_max_days))


def _amount(text: str) -> Decimal | None:
    if not text.strip():
        return None
    try:
        value = Decimal(text.replace(",", "").strip())
    except InvalidOperation:
        raise ValueError(f"amount: {text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"amount: {text!r} is not an amount")
    return value


@router.post("/collections/{case_id}/events")
def event_form(case_id: str, request: Request, who: Actor, con: Marts,
               event: Annotated[str, Form()], version: Annotated[int, Form()],
               channel: Annotated[str, Form()] = "", result: Annotated[str, Form()] = "",
               note: Annotated[str, Form()] = "", amount: Annotated[str, Form()] = "",
               due_on: Annotated[str, Form()] = "", outcome: Annotated[str, Form()] = "",
               comment: Annotated[str, Form()] = "",
               to: Annotated[str, Form()] = "") -> RedirectResponse:
    state = app_state(request)
    queues.act_visible(state.store, con, who.principal, "collection_case", case_id, lambda: (
        queues.case_event(event, by=who.user_id, at=state.now(), version=version,
                          channel=Channel(channel) if channel else None,
                          result=ContactResult(result) if result else None, note=note,
                          amount=_amount(amount),
                          due_on=dt.date.fromisoformat(due_on) if due_on else None,
                          outcome=Outcome(outcome) if outcome else None, comment=comment,
                          to=to)), state.policy)
    return RedirectResponse(f"/collections/{quote(case_id)}?done={event}", status_code=303)
