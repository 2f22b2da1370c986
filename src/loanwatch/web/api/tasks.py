"""贷后任务 Post-loan tasks: my tasks and my team's (paged, filtered), the calendar of visits
and confirmations, overdue counts, one task, its events (start, finding, complete, cancel,
reassign) and its attachments (upload, download).

A person's event names the task ``version`` they saw: an older one is 409, an event the
task's state does not allow 409, a missing finding, reason or checklist answer 422, an
attachment refused by the policy's limits 422 (and nothing stored). A task outside the
caller's slice is 404, as an unknown id."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import duckdb
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.web.api.alerts import AuditOut, EffectOut, LocalTime, effects_out
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.workflow.tasks import Task, TaskKind, TaskStatus, is_overdue

router = APIRouter(tags=["tasks 贷后任务"])

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_TASKS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_TASKS))]
StatusChoice = Literal["open", "all", "planned", "in_progress", "done", "cancelled"]
Tab = Literal["mine", "team"]

NOT_FOUND = {404: {"description": "no such task (or file) in your slice of the book"}}
REFUSED = {**NOT_FOUND, 403: {"description": "your role may not do this"},
           409: {"description": "stale version (someone acted first) or not allowed in the "
                                "task's state"},
           422: {"description": "incomplete (a finding, reason or required checklist answer "
                                "is missing) or a file the policy refuses"}}


class _Model(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class ChecklistItemOut(_Model):
    key: str
    question: str
    required: bool


class FindingOut(_Model):
    by: str
    at: LocalTime
    text: str


class AttachmentOut(_Model):
    name: str
    size: int
    content_type: str
    by: str
    at: LocalTime


class TaskSummary(_Model):
    task_id: str
    kind: TaskKind
    status: TaskStatus
    customer_id: str
    loan_id: str | None
    owner: str
    branch_id: str | None
    due_on: dt.date
    alert_id: str | None
    version: int
    overdue: bool = Field(False, description="open and past its due date")


class TaskOut(TaskSummary):
    checklist: list[ChecklistItemOut]
    started_at: LocalTime | None
    findings: list[FindingOut]
    attachments: list[AttachmentOut]
    conclusion: str | None
    answers: dict[str, str] = Field(description="checklist key → answer, given on completion")
    finished_by: str | None
    finished_at: LocalTime | None
    cancel_reason: str | None

    @field_validator("answers", mode="before")
    @classmethod
    def _pairs(cls, value: Any) -> Any:
        return dict(value) if isinstance(value, tuple | list) else value


class Ranked(BaseModel):
    key: str
    count: int


class TaskPage(BaseModel):
    items: list[TaskSummary]
    total: int = Field(description="tasks passing the filters")
    limit: int
    offset: int
    overdue: int = Field(description="tasks passing the filters that are overdue")
    by_kind: dict[str, int]
    overdue_by_owner: list[Ranked] = Field(description="overdue open tasks of the tab, by owner")
    overdue_by_branch: list[Ranked] = Field(description="overdue open tasks of the tab, by branch")


class OverdueCounts(BaseModel):
    total: int
    by_owner: list[Ranked]
    by_branch: list[Ranked]


class CalendarDayOut(BaseModel):
    day: dt.date
    in_range: bool
    tasks: list[TaskSummary]


class CalendarOut(BaseModel):
    start: dt.date
    end: dt.date = Field(description="the first day after the calendar")
    total: int
    weeks: list[list[CalendarDayOut]] = Field(description="Monday to Sunday")


class TaskDetail(BaseModel):
    task: TaskOut
    trail: list[AuditOut] | None = Field(description="null unless you may read it (auditors, "
                                                      "the task's owner)")


class TaskEvent(BaseModel):
    """One person's event on a task, at the version they saw."""

    event: Literal["start", "finding", "complete", "cancel", "reassign"]
    version: int = Field(ge=1, description="the task's version you acted on")
    text: str = Field("", description="the finding (finding), the conclusion (complete) or the "
                                      "reason (cancel): required for those")
    answers: dict[str, str] = Field(default_factory=dict,
                                    description="complete: checklist key → answer")
    to: str = Field("", max_length=64, description="reassign: the new owner")


class TaskDone(BaseModel):
    task: TaskOut
    effects: list[EffectOut]


def _summary(task: Task, overdue: bool) -> TaskSummary:
    return TaskSummary.model_validate(task).model_copy(update={"overdue": overdue})


def task_out(task: Task, now: dt.datetime) -> TaskOut:
    return TaskOut.model_validate(task).model_copy(update={"overdue": is_overdue(task, now)})


def _ranked(pairs: list[tuple[str, int]]) -> list[Ranked]:
    return [Ranked(key=k, count=n) for k, n in pairs]


@router.get("/tasks", response_model=TaskPage)
def list_tasks(
    who: Viewer, con: Marts, request: Request,
    tab: Annotated[Tab, Query(description="mine: owned by me or my manager code; team: my "
                                          "whole slice (branch, or the book)")] = "mine",
    kind: TaskKind | None = None,
    status: Annotated[StatusChoice, Query(description="open: planned or in progress")] = "open",
    overdue: Annotated[bool, Query(description="only open tasks past their due date")] = False,
    owner: str | None = None, branch: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> TaskPage:
    """Tasks earliest due first, with overdue counts by owner and branch."""
    state = app_state(request)
    q = queues.task_queue(state.store, con, who.principal, state.now(), queues.TaskFilter(
        mine=tab == "mine", kind=kind, status=status, overdue=overdue, owner=owner,
        branch_id=branch), limit, offset)
    return TaskPage(items=[_summary(r.task, r.overdue) for r in q.items], total=q.page.total,
                    limit=limit, offset=offset, overdue=q.overdue, by_kind=q.by_kind,
                    overdue_by_owner=_ranked(q.overdue_by_owner),
                    overdue_by_branch=_ranked(q.overdue_by_branch))


@router.get("/tasks/overdue", response_model=OverdueCounts)
def overdue_tasks(who: Viewer, con: Marts, request: Request, tab: Tab = "team") -> OverdueCounts:
    """Open tasks past their due date, by owner and by branch."""
    state = app_state(request)
    q = queues.task_queue(state.store, con, who.principal, state.now(),
                          queues.TaskFilter(mine=tab == "mine", overdue=True), limit=1)
    return OverdueCounts(total=q.page.total, by_owner=_ranked(q.overdue_by_owner),
                         by_branch=_ranked(q.overdue_by_branch))


@router.get("/tasks/calendar", response_model=CalendarOut)
def task_calendar(who: Viewer, con: Marts, request: Request,
                  start: Annotated[dt.date | None, Query(description="default: today")] = None,
                  weeks: Annotated[int, Query(ge=1, le=26)] = 8,
                  tab: Tab = "team") -> CalendarOut:
    """Open inspections and debt confirmations due in the coming weeks, day by day."""
    state = app_state(request)
    now = state.now()
    cal = queues.task_calendar(state.store, con, who.principal, start or now.date(), weeks,
                               mine=tab == "mine")
    return CalendarOut(start=cal.start, end=cal.end, total=cal.total, weeks=[
        [CalendarDayOut(day=d.day, in_range=d.in_range,
                        tasks=[_summary(t, is_overdue(t, now)) for t in d.tasks]) for d in w]
        for w in cal.weeks])


@router.get("/tasks/{task_id}", response_model=TaskDetail, responses=NOT_FOUND)
def get_task(task_id: str, who: Viewer, con: Marts, request: Request) -> TaskDetail:
    """One task: checklist, findings, attachments, and its audit trail if yours to read."""
    state = app_state(request)
    v = queues.task_view(state.store, con, who.principal, state.now(), task_id)
    return TaskDetail(task=task_out(v.task, state.now()),
                      trail=None if v.trail is None else [AuditOut.model_validate(r)
                                                          for r in v.trail])


@router.post("/tasks/{task_id}/events", response_model=TaskDone, responses=REFUSED)
def task_event(task_id: str, body: TaskEvent, who: Actor, con: Marts,
               request: Request) -> TaskDone:
    """Act on a task: start (planned → in progress), finding (in progress), complete (in
    progress → done: ``text`` is the conclusion, ``answers`` the checklist), cancel (open →
    cancelled: ``text`` is the reason), reassign (``to``)."""
    state = app_state(request)
    now = state.now()
    done = queues.act_visible(state.store, con, who.principal, "task", task_id, lambda: (
        queues.task_event(body.event, by=who.user_id, at=now, version=body.version,
                          text=body.text, answers=body.answers, to=body.to)), state.policy)
    return TaskDone(task=task_out(done.record, now), effects=effects_out(done))


@router.post("/tasks/{task_id}/attachments", response_model=TaskDone, status_code=201,
             responses=REFUSED)
def upload(task_id: str, who: Actor, con: Marts, request: Request,
           file: Annotated[UploadFile, File(description="PDF, JPEG or PNG by default")],
           version: Annotated[int, Form(ge=1)]) -> TaskDone:
    """Attach a file (``multipart/form-data``: ``file`` and ``version``) to an open task. Its
    type goes by its name and must match its content; the policy's ``workflow.attachments``
    sets the types and the size allowed."""
    state = app_state(request)
    done = queues.attach_file(state.store, con, who.principal, state.policy,
                              state.workspace.root, task_id, version=version,
                              name=file.filename or "", stream=file.file, at=state.now())
    return TaskDone(task=task_out(done.record, state.now()), effects=effects_out(done))


@router.get("/tasks/{task_id}/attachments/{name}", response_class=FileResponse,
            responses={**NOT_FOUND, 200: {"content": {"application/octet-stream": {}},
                                          "description": "the file, with its content type"}})
def download(task_id: str, name: str, who: Viewer, con: Marts, request: Request) -> Any:
    """A task's attached file."""
    state = app_state(request)
    path, found = queues.attachment_path(state.store, con, who.principal, state.workspace.root,
                                         task_id, name)
    return attachment_response(path, found.name, found.content_type)


def attachment_response(path: Any, name: str, content_type: str) -> FileResponse:
    """The file as its type; shown in the browser (images, PDF), never sniffed as another."""
    return FileResponse(path, media_type=content_type, filename=name,
                        content_disposition_type="inline",
                        headers={"X-Content-Type-Options": "nosniff",
                                 "Content-Security-Policy": "sandbox"})
