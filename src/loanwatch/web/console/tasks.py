"""贷后任务 The task pages: my tasks and my team's with overdue counts, the calendar of the
coming visits and confirmations, and the task page (checklist, findings, attachments, and
the forms to start, record, complete, cancel or reassign it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse

from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.web.api.tasks import attachment_response
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.pages import render
from loanwatch.workflow.tasks import TaskKind

router = APIRouter()

Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_TASKS))]
Actor = Annotated[Caller, Depends(require(Permission.ACT_TASKS))]
ANSWER = "answer."  # form fields ``answer.<checklist key>`` carry a completion's answers


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, who: Viewer, con: Marts, tab: str = "", kind: str = "",
               status: str = "open", overdue: str = "", owner: str = "", branch: str = "",
               limit: Annotated[int, Query(ge=1, le=500)] = 50,
               offset: Annotated[int, Query(ge=0)] = 0) -> HTMLResponse:
    state = app_state(request)
    tab = queues.tab_of(tab, who.principal)
    f = queues.TaskFilter.from_form(who.principal, tab, kind, status, overdue, owner, branch)
    q = queues.task_queue(state.store, con, who.principal, state.now(), f, limit, offset)
    return render(request, "tasks.html", who, q=q, f=f, tab=tab, kinds=list(TaskKind))


@router.get("/tasks/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, who: Viewer, con: Marts, tab: str = "",
                  start: dt.date | None = None,
                  weeks: Annotated[int, Query(ge=1, le=26)] = 8) -> HTMLResponse:
    state = app_state(request)
    tab = queues.tab_of(tab, who.principal)
    today = state.now().date()
    cal = queues.task_calendar(state.store, con, who.principal, start or today, weeks,
                               mine=tab == "mine")
    return render(request, "tasks_calendar.html", who, cal=cal, tab=tab, today=today,
                  weeks=weeks, last=cal.end - dt.timedelta(days=1),
                  earlier=cal.start - min(dt.timedelta(weeks=weeks), cal.start - dt.date.min),
                  later=cal.end)


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_page(task_id: str, request: Request, who: Viewer, con: Marts,
              done: str = "") -> HTMLResponse:
    state = app_state(request)
    v = queues.task_view(state.store, con, who.principal, state.now(), task_id)
    limits = state.policy.workflow.attachments
    return render(request, "tasks_detail.html", who, v=v, done=done, limits=limits,
                  answers=dict(v.task.answers))


def _back(task_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"/tasks/{quote(task_id)}?done={done}", status_code=303)


async def form_fields(request: Request) -> dict[str, str]:
    """The text fields of a posted form, whatever their names (a checklist's answers)."""
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


@router.post("/tasks/{task_id}/events")
def event_form(task_id: str, request: Request, who: Actor, con: Marts,
               fields: Annotated[dict[str, str], Depends(form_fields)]) -> RedirectResponse:
    """One form for every event: ``event``, ``version``, and ``text``, ``to`` or the
    ``answer.<key>`` fields of a completion."""
    state = app_state(request)
    name = fields.get("event", "")
    queues.act_visible(state.store, con, who.principal, "task", task_id, lambda: (
        queues.task_event(name, by=who.user_id, at=state.now(),
                          version=_version(fields.get("version")), text=fields.get("text", ""),
                          to=fields.get("to", ""),
                          answers={k[len(ANSWER):]: v for k, v in fields.items()
                                   if k.startswith(ANSWER) and v.strip()})), state.policy)
    return _back(task_id, quote(name))


def _version(value: str | None) -> int:
    if not value or not value.isdigit():
        raise ValueError("version: the version of the task you saw is needed")
    return int(value)


@router.post("/tasks/{task_id}/attachments")
def upload_form(task_id: str, request: Request, who: Actor, con: Marts,
                file: Annotated[UploadFile, File()],
                version: Annotated[int, Form(ge=1)]) -> RedirectResponse:
    state = app_state(request)
    queues.attach_file(state.store, con, who.principal, state.policy, state.workspace.root,
                       task_id, version=version, name=file.filename or "", stream=file.file,
                       at=state.now())
    return _back(task_id, "attach")


@router.get("/tasks/{task_id}/attachments/{name}")
def download(task_id: str, name: str, request: Request, who: Viewer, con: Marts) -> Any:
    state = app_state(request)
    path, found = queues.attachment_path(state.store, con, who.principal, state.workspace.root,
                                         task_id, name)
    return attachment_response(path, found.name, found.content_type)
