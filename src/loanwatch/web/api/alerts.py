"""预警处置 The alerts queue and one alert: list (scope-filtered, paged, most urgent first),
read, act (acknowledge, start, comment, close, escalate, reopen, assign), bulk-assign, and
launch an action from an alert.

A person's event names the alert ``version`` they saw: acting on an older one is 409 with
the conflict message, an event the alert's state does not allow is 409, a missing comment
or disposition 422. An alert outside the caller's slice is 404, as an unknown id. Each alert
carries its signal's titles in both languages (``title_zh``, ``title_en``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from loanwatch.policy.vocabulary import Action, Severity
from loanwatch.policy.workflow import ActionKind
from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.services.work import Done
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.workflow.actions import ActionStatus, PlanInstallment
from loanwatch.workflow.alerts import Alert, AlertStatus, Disposition
from loanwatch.workflow.audit import plain
from loanwatch.workflow.sla import due_at, sla_breached

router = APIRouter(tags=["alerts 预警"])

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_ALERTS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_ALERTS))]
Assigner = Annotated[Caller, Depends(require(Permission.ASSIGN_ALERTS))]
Proposer = Annotated[Caller, Depends(require(Permission.PROPOSE_ACTIONS))]
StatusChoice = Literal["live", "all", "open", "acknowledged", "in_progress", "closed"]

NOT_FOUND = {404: {"description": "no such alert in your slice of the book"}}
REFUSED = {**NOT_FOUND, 403: {"description": "your role may not do this"},
           409: {"description": "stale version (someone acted first) or not allowed in the "
                                "alert's state"},
           422: {"description": "incomplete: a comment, reason or disposition is missing"}}


#: an amount of money in a request: a number, or a decimal string (exact)
Money = Annotated[Decimal, WithJsonSchema({"anyOf": [
    {"type": "number"}, {"type": "string", "pattern": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)$"}]},
    mode="validation")]


#: at least one character that str.strip() keeps: JSON Schema's \s (ECMAScript) and Python's
#: whitespace differ (\x1c-\x1f and \x85 are space to Python only), so the class is spelled out
NOT_BLANK = (r"[^\s\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
             r"\u3000\ufeff]")


#: a time as the store keeps it: the bank's wall-clock time, ISO 8601 without an offset
LocalTime = Annotated[dt.datetime, WithJsonSchema({
    "type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?$",
    "description": "local time without an offset (YYYY-MM-DDTHH:MM:SS)"})]


class _Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class NoteOut(_Model):
    by: str
    at: LocalTime
    text: str


class AlertSummary(_Model):
    alert_id: str
    signal_id: str
    title_zh: str = Field("", description="the signal's Chinese title (the id if the "
                                          "catalogue no longer has it)")
    title_en: str = Field("", description="the signal's English title (the id if unknown)")
    severity: Severity
    status: AlertStatus
    customer_id: str
    loan_id: str | None
    owner: str
    branch_id: str | None
    opened_on: dt.date
    last_seen_on: dt.date
    live_since: LocalTime
    cleared_on: dt.date | None
    disposition: Disposition | None
    version: int
    sla_due: LocalTime | None = Field(None, description="when it must be closed (SLA)")
    sla_breached: bool = Field(False, description="past its SLA: live now, or closed late")


class AlertOut(AlertSummary):
    evidence: str
    actions: list[Action] = Field(description="what the signal recommends")
    closed_by: str | None
    closed_at: LocalTime | None
    close_comment: str | None
    notes: list[NoteOut]
    reopened_count: int


class AlertPage(BaseModel):
    items: list[AlertSummary]
    total: int = Field(description="alerts passing the filters")
    limit: int
    offset: int
    by_severity: dict[str, int] = Field(description="alerts passing the filters, by severity")
    breached: int = Field(description="alerts passing the filters that are past their SLA")


class AuditOut(_Model):
    actor: str
    action: str
    at: LocalTime
    before: dict[str, Any]
    after: dict[str, Any]


class LoanActionOut(_Model):
    action_id: str
    kind: ActionKind
    status: ActionStatus
    customer_id: str
    loan_id: str | None
    reason: str
    alert_id: str | None
    proposed_by: str
    proposed_at: LocalTime
    needs_approval: bool = Field(description="waits for a second person (双人复核)")
    version: int


class FlowNodeOut(_Model):
    node_id: str = Field(description="account id, or a stand-in for an unidentified payee")
    name: str | None = Field(description="holder's name; an individual's is masked")
    kind: str = Field(description="borrower, enterprise, individual or unknown")
    customer_id: str | None
    column: int = Field(description="the hop at which the money first reached it")


class FlowEdgeOut(_Model):
    source: str
    target: str
    amount: Decimal = Field(description="total of the moves, each transaction once")
    moves: int
    categories: list[str] = Field(description="use, backflow, prohibited, cash_out, …")
    first_at: LocalTime | None


class FlowPathOut(_Model):
    loan_id: str
    as_of: dt.date
    nodes: list[FlowNodeOut]
    edges: list[FlowEdgeOut]


class AlertDetail(BaseModel):
    alert: AlertOut
    trail: list[AuditOut] | None = Field(description="audit trail; null unless you may read it "
                                                      "(auditors, the alert's owner)")
    actions: list[LoanActionOut] = Field(description="actions launched from this alert")
    flow: FlowPathOut | None = Field(description="FLOW-* signals: the path of the proceeds")
    flow_problem: str | None = Field(description="why a FLOW-* alert has no path to show")


class AlertEvent(BaseModel):
    """One person's event on an alert, at the version they saw."""

    event: Literal["acknowledge", "start", "comment", "close", "escalate", "reopen", "assign"]
    version: int = Field(ge=1, description="the alert's version you acted on")
    comment: str = Field("", description="the note (comment), the closing comment (close, "
                                         "escalate) or the reason (reopen): required for those")
    disposition: Disposition | None = Field(None, description="close: required")
    to: str = Field("", max_length=64, description="assign: the new owner")


class EffectOut(BaseModel):
    kind: str = Field(description="NotifyOwner, RequestReview, NotifyChecker, …")
    detail: dict[str, Any]


class AlertDone(BaseModel):
    alert: AlertOut
    effects: list[EffectOut] = Field(description="notices and requests the change raised")


class AssignRequest(BaseModel):
    ids: list[str] = Field(min_length=1, max_length=500)
    to: str = Field(min_length=1, max_length=64, pattern=NOT_BLANK,
                    description="the new owner: a user id or a manager code")


class AssignedOut(_Model):
    alert_id: str
    ok: bool
    owner: str | None
    version: int | None
    error: str | None


class AssignResult(BaseModel):
    assigned: int
    failed: int
    results: list[AssignedOut]


class InstallmentIn(BaseModel):
    due_on: dt.date
    principal: Money
    interest: Money


class ActionProposal(BaseModel):
    kind: ActionKind
    reason: str = Field(description="why (required)")
    details: dict[str, str] = Field(default_factory=dict, description="e.g. amount, new end date")
    plan: list[InstallmentIn] = Field(default_factory=list,
                                      description="repayment_plan: the new schedule, in order")


class ActionDone(BaseModel):
    action: LoanActionOut
    effects: list[EffectOut]


def alert_out(alert: Alert, request: Request) -> AlertOut:
    state = app_state(request)
    hours = state.policy.workflow.sla_hours
    return AlertOut.model_validate(alert).model_copy(update={
        **state.signal_title_fields(alert.signal_id),
        "sla_due": due_at(alert.live_since, alert.severity, hours),
        "sla_breached": sla_breached(alert, state.now(), hours)})


def effects_out(done: Done) -> list[EffectOut]:
    return [EffectOut(kind=type(e).__name__, detail=plain(e)) for e in done.effects]


@router.get("/alerts", response_model=AlertPage)
def list_alerts(
    who: Viewer, con: Marts, request: Request,
    severity: Severity | None = None,
    signal: Annotated[str | None, Query(description="signal id, e.g. REPAY-OVERDUE")] = None,
    branch: str | None = None,
    owner: Annotated[str | None, Query(description="manager code or user id")] = None,
    status: Annotated[StatusChoice, Query(description="live: open, acknowledged or in "
                                                      "progress")] = "live",
    breached: Annotated[bool | None, Query(description="only past (true) or within (false) "
                                                       "their SLA")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> AlertPage:
    """Alerts of your slice, most urgent first (earliest SLA due time, most severe)."""
    state = app_state(request)
    q = queues.alert_queue(state.store, con, who.principal, state.policy, state.now(),
                           queues.AlertFilter(severity=severity, signal_id=signal,
                                              branch_id=branch, owner=owner, status=status,
                                              breached=breached), limit, offset)
    return AlertPage(items=[AlertSummary.model_validate(r.alert).model_copy(
        update={**state.signal_title_fields(r.alert.signal_id), "sla_due": r.sla_due,
                "sla_breached": r.breached}) for r in q.items],
        total=q.page.total, limit=limit, offset=offset, by_severity=q.by_severity,
        breached=q.breached)


@router.post("/alerts/assign", response_model=AssignResult,
             responses={403: {"description": "assign_alerts is needed"}})
def assign_alerts(body: AssignRequest, who: Assigner, con: Marts, request: Request) -> AssignResult:
    """Give many alerts to one person. Each alert is assigned at its current version on its
    own; the ones that fail (unknown or outside your slice, closed) say why."""
    state = app_state(request)
    results = queues.assign_alerts(state.store, con, who.principal, state.policy, body.ids,
                                   body.to, state.now())
    ok = sum(r.ok for r in results)
    return AssignResult(assigned=ok, failed=len(results) - ok,
                        results=[AssignedOut.model_validate(r) for r in results])


@router.get("/alerts/{alert_id}", response_model=AlertDetail, responses=NOT_FOUND)
def get_alert(alert_id: str, who: Viewer, con: Marts, request: Request) -> AlertDetail:
    """One alert with its SLA, the actions launched from it, its audit trail (if yours to
    read) and, for FLOW-* signals, the path the loan's proceeds took."""
    state = app_state(request)
    v = queues.alert_view(state.store, con, who.principal, state.policy, state.now(), alert_id)
    return AlertDetail(
        alert=alert_out(v.alert, request),
        trail=None if v.trail is None else [AuditOut.model_validate(r) for r in v.trail],
        actions=[LoanActionOut.model_validate(a) for a in v.actions],
        flow=None if v.flow is None else FlowPathOut.model_validate(v.flow),
        flow_problem=v.flow_problem)


@router.post("/alerts/{alert_id}/events", response_model=AlertDone, responses=REFUSED)
def alert_event(alert_id: str, body: AlertEvent, who: Actor, con: Marts,
                request: Request) -> AlertDone:
    """Act on an alert: ``{"event": "close", "version": 3, "disposition": "resolved",
    "comment": "…"}``. Events: acknowledge (open → acknowledged), start (acknowledged → in
    progress), comment, close and escalate (live → closed; a comment is required), reopen
    (closed → open; the comment is the reason), assign (``to``)."""
    state = app_state(request)
    done = queues.act_visible(state.store, con, who.principal, "alert", alert_id, lambda: (
        queues.alert_event(body.event, by=who.user_id, at=state.now(), version=body.version,
                           comment=body.comment, disposition=body.disposition, to=body.to)),
                              state.policy)
    return AlertDone(alert=alert_out(done.record, request), effects=effects_out(done))


@router.post("/alerts/{alert_id}/actions", response_model=ActionDone, status_code=201,
             responses=REFUSED)
def launch_action(alert_id: str, body: ActionProposal, who: Proposer, con: Marts,
                  request: Request) -> ActionDone:
    """Launch an action (贷后处置) on the alert's borrower and loan. Freezing a line, an early
    recall, a repayment plan, asset preservation and a write-off wait for a second person's
    approval (the policy's ``workflow.approvals``)."""
    state = app_state(request)
    plan = [PlanInstallment(seq=i, due_on=p.due_on, principal=p.principal, interest=p.interest)
            for i, p in enumerate(body.plan, start=1)]
    done = queues.propose_action(state.store, con, who.principal, state.policy, alert_id,
                                 body.kind, body.reason, state.now(),
                                 details=list(body.details.items()), plan=plan)
    return ActionDone(action=LoanActionOut.model_validate(done.record), effects=effects_out(done))
