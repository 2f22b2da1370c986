"""贷后任务 Tasks on the operational store: inspections, debt confirmations, paperwork."""

from __future__ import annotations

import datetime as dt
import mimetypes
import shutil
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from loanwatch.cli.common import WorkspaceOpt, app, fail, out, parse_date
from loanwatch.cli.workflow_common import (
    Id,
    LimitOpt,
    StoreOpt,
    UserOpt,
    VersionOpt,
    _blank,
    _Ctx,
    _enum,
    _load,
    _now,
    _pairs,
    _person,
    _show,
    _table,
    _work,
)
from loanwatch.ingest.errors import first_line
from loanwatch.services.work import Done
from loanwatch.workflow import tasks as wt

tasks_app = typer.Typer(help="贷后任务 Tasks: inspections, debt confirmations, paperwork.",
                        no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")


@tasks_app.command("list")
def tasks_list(
    workspace: WorkspaceOpt,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    branch: Annotated[str | None, typer.Option("--branch")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=", ".join(wt.TaskKind))] = None,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(wt.TaskStatus))] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only open tasks past their due "
                                          "date (逾期).")] = False,
    limit: LimitOpt = 50,
    store_url: StoreOpt = None,
) -> None:
    """任务列表 Tasks, earliest due first."""
    where: dict[str, Any] = {k: v for k, v in (
        ("owner", owner), ("branch_id", branch), ("kind", _enum(wt.TaskKind, kind, "--kind")),
        ("status", _enum(wt.TaskStatus, status, "--status"))) if v is not None}
    if overdue:
        where.setdefault("status", tuple(wt.OPEN_WORK))
    now = _now()
    with _work(workspace, store_url) as c, c.store.session() as s:
        found = s.tasks.list(limit=None if overdue else limit, order_by=("due_on",), **where)
    if overdue:
        found = [t for t in found if wt.is_overdue(t, now)][:limit]
    rows = [[t.task_id, t.kind, t.customer_id, t.loan_id, t.owner, t.branch_id, t.due_on, t.status,
             "逾期 overdue" if wt.is_overdue(t, now) else ""] for t in found]
    out.print(_table("tasks 任务", ("task", "kind", "customer", "loan", "owner", "branch", "due",
                                    "status", ""), rows))
    out.print(f"{len(rows):,} tasks" + (f" (--limit {limit})" if len(rows) == limit else ""),
              highlight=False)


@tasks_app.command("overdue")
def tasks_overdue(
    workspace: WorkspaceOpt,
    by: Annotated[str, typer.Option("--by", help="owner or branch.")] = "owner",
    on: Annotated[str | None, typer.Option("--on", help="As of this day (default: today).")
                  ] = None,
    store_url: StoreOpt = None,
) -> None:
    """逾期任务 How many open tasks are overdue, per owner or per branch."""
    if by not in ("owner", "branch"):
        raise fail(f"--by {by!r} is not one of: owner, branch")
    now = dt.datetime.combine(parse_date(on, "--on"), dt.time(12))
    with _work(workspace, store_url) as c, c.store.session() as s:
        found = s.tasks.list(limit=None, status=tuple(wt.OPEN_WORK))
    counts = Counter((t.owner if by == "owner" else t.branch_id) for t in found
                     if wt.is_overdue(t, now))
    out.print(_table(f"overdue tasks 逾期任务 on {now.date()}", (by, "overdue"),
                     [[k, n] for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))]))
    out.print(f"{sum(counts.values()):,} overdue tasks", highlight=False)


@tasks_app.command("show")
def tasks_show(task_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """任务详情 A task's fields, checklist, findings, attachments and audit trail."""
    with _work(workspace, store_url) as c:
        task, trail = _load(c, "task", task_id, with_trail=True)
    _show(f"task 任务 {task_id}", task, trail, (("overdue", wt.is_overdue(task, _now())),))


@tasks_app.command("start")
def tasks_start(task_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """开始 Start a planned task."""
    _person(workspace, store_url, "task", task_id, version, wt.Start, user)


@tasks_app.command("finding")
def tasks_finding(task_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                  text: Annotated[str, typer.Option("--text", help="What you found.")] = "",
                  version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """检查发现 Record a finding on a task in progress."""
    _person(workspace, store_url, "task", task_id, version, wt.RecordFinding, user, text=text)


@tasks_app.command("attach")
def tasks_attach(task_id: Id,
                 file: Annotated[Path, typer.Argument(help="The file (photo, PDF, …).")],
                 workspace: WorkspaceOpt, user: UserOpt,
                 version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """附件 Attach a file to an open task; it is copied to WS/attachments/<task>/ once accepted."""
    if not file.is_file():
        raise fail(f"{file}: no such file")
    content_type = mimetypes.guess_type(file.name)[0] or "application/octet-stream"

    def copy(c: _Ctx, done: Done) -> None:
        folder = c.ws.root / "attachments" / task_id
        try:
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, folder / file.name)
        except OSError as e:
            raise fail(f"{file.name} is recorded on task {task_id} but could not be copied: "
                       f"{first_line(e)}", code=1) from None
        out.print(f"{file.name} → {folder / file.name}", highlight=False)

    _person(workspace, store_url, "task", task_id, version, wt.AttachFile, user, then=copy,
            name=file.name, size=file.stat().st_size, content_type=content_type)


@tasks_app.command("complete")
def tasks_complete(
    task_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    findings: Annotated[str, typer.Option("--findings", help="Conclusion (required).")] = "",
    answer: Annotated[list[str] | None, typer.Option(
        "--answer", help="KEY=VALUE: a checklist answer (repeatable).")] = None,
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """完成 Complete a task in progress with findings and the checklist's answers."""
    pairs = _pairs(answer, "--answer")
    twice = sorted({k for k, _ in pairs if [p for p, _ in pairs].count(k) > 1})
    if twice:
        raise fail(f"--answer given twice for: {', '.join(twice)}")
    _person(workspace, store_url, "task", task_id, version, wt.Complete, user,
            findings=findings, checklist=dict(pairs))


@tasks_app.command("cancel")
def tasks_cancel(task_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                 reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                 version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """取消 Cancel an open task."""
    _person(workspace, store_url, "task", task_id, version, wt.Cancel, user, reason=reason)


@tasks_app.command("reassign")
def tasks_reassign(task_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   to: Annotated[str, typer.Option("--to", help="The new owner.")],
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """转派 Give an open task to someone else."""
    _person(workspace, store_url, "task", task_id, version, wt.Reassign, user,
            to=_blank(to, "--to"))
