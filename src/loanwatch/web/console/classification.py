"""分类审核 The classification review page: the loans whose automatic class changed, and the
forms of maker–checker manual classification (propose, approve, reject, withdraw)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from loanwatch.policy.vocabulary import FiveClass
from loanwatch.security.permissions import Permission
from loanwatch.services.classification_review import REASON_LABELS, review_view
from loanwatch.web.api import classification as api
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.pages import render

router = APIRouter()

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Maker = Annotated[Caller, Depends(require(Permission.REVIEW_CLASSIFICATION))]
Checker = Annotated[Caller, Depends(require(Permission.APPROVE_CLASSIFICATION))]
Text = Annotated[str, Form()]


def _back(as_of: str, notice: str) -> RedirectResponse:
    query = {k: v for k, v in (("as_of", as_of), ("notice", notice)) if v}
    return RedirectResponse(f"/classification?{urlencode(query)}#overrides", status_code=303)


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text.strip()) if text.strip() else None


@router.get("/classification", response_class=HTMLResponse)
def review_page(request: Request, who: Maker, con: Con, as_of: dt.date | None = None,
                notice: str = "") -> HTMLResponse:
    view = api.ClassificationReview(**review_view(con, who.principal, as_of))
    state = app_state(request)
    return render(request, "classification.html", who, v=view, notice=notice,
                  reason_labels=REASON_LABELS, classes=[c.value for c in FiveClass],
                  grades=[(g.grade, g.five_class.value) for g in state.policy.classification.ladder],
                  today=state.now().date(),
                  can_approve=who.principal.can(Permission.APPROVE_CLASSIFICATION))


@router.post("/classification/overrides")
def propose(request: Request, who: Maker, loan_id: Text, five_class: Text, reason: Text,
            grade: Text = "", effective_from: Text = "",
            as_of: Text = "") -> RedirectResponse:
    o = api.propose(request, who, api.Proposal(
        loan_id=loan_id, five_class=five_class, reason=reason, grade=grade.strip() or None,
        effective_from=_date(effective_from)))
    return _back(as_of, f"proposed:{o.override_id}")


@router.post("/classification/overrides/{override_id}/approve")
def approve(request: Request, who: Checker, override_id: int, comment: Text = "",
            as_of: Text = "") -> RedirectResponse:
    o = api.decide(request, who, override_id, "approve", comment.strip() or None)
    return _back(as_of, f"approved:{o.override_id}")


@router.post("/classification/overrides/{override_id}/reject")
def reject(request: Request, who: Checker, override_id: int, comment: Text = "",
           as_of: Text = "") -> RedirectResponse:
    o = api.decide(request, who, override_id, "reject", comment.strip() or None)
    return _back(as_of, f"rejected:{o.override_id}")


@router.post("/classification/overrides/{override_id}/withdraw")
def withdraw(request: Request, who: Maker, override_id: int,
             as_of: Text = "") -> RedirectResponse:
    o = api.decide(request, who, override_id, "withdraw", None)
    return _back(as_of, f"withdrawn:{o.override_id}")
