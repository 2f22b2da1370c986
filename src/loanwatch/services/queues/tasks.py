"""Post-loan tasks (贷后任务): my tasks or my team's, the calendar of visits and
confirmations, one task with its trail, and the events a person asks for by name.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb

from loanwatch.security.permissions import Permission, Principal, Scope
from loanwatch.services.queues.slice import (
    Page,
    _load,
    _mine,
    _new_owner,
    _page,
    _statuses,
    _trail,
    _visible,
    slice_of,
)
from loanwatch.services.store import Store
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import InvalidEvent

#: what the calendar shows: visits and confirmations, not the paperwork
CALENDAR_KINDS = (wt.TaskKind.FIRST_INSPECTION, wt.TaskKind.PERIODIC_INSPECTION,
                  wt.TaskKind.TRIGGERED_INSPECTION, wt.TaskKind.DEBT_CONFIRMATION)


@dataclass(frozen=True)
class TaskFilter:
    mine: bool = True  # my tasks, or the whole slice (my team's)
    kind: wt.TaskKind | None = None
    status: str = "open"  # open, all, or one TaskStatus
    overdue: bool = False
    owner: str | None = None
    branch_id: str | None = None

    @classmethod
    def from_form(cls, who: Principal, tab: str = "", kind: str = "", status: str = "",
                  overdue: str = "", owner: str = "", branch: str = "") -> TaskFilter:
        """The filter a console form (or an export link) sends as text. ``tab`` is mine or
        team; empty, a customer manager starts on their own tasks and everyone else on the
        team's. An empty value is no filter."""
        return cls(mine=tab_of(tab, who) == "mine", kind=wt.TaskKind(kind) if kind else None,
                   status=status or "open", overdue=overdue == "yes",
                   owner=owner.strip() or None, branch_id=branch.strip() or None)


def tab_of(tab: str, who: Principal) -> str:
    """The tasks tab shown: the one asked for, else mine for a customer manager and the
    team's for everyone else."""
    if tab in ("mine", "team"):
        return tab
    return "mine" if who.scope is Scope.OWN else "team"


@dataclass(frozen=True)
class TaskRow:
    task: wt.Task
    overdue: bool


@dataclass(frozen=True)
class TaskQueue:
    items: list[TaskRow]
    page: Page
    overdue: int
    by_kind: dict[str, int]
    # open tasks past their due date in the tab (mine or the team's), by owner and by branch
    overdue_by_owner: list[tuple[str, int]]
    overdue_by_branch: list[tuple[str, int]]
    owners: list[str]
    branches: list[str]


_TASK_COLUMNS = ("task_id", "kind", "customer_id", "loan_id", "owner", "branch_id", "status",
                 "due_on")


def _row_overdue(row: Mapping[str, Any], now: dt.datetime) -> bool:
    """``workflow.tasks.is_overdue`` on a task's indexed columns."""
    return row["status"] in wt.OPEN_WORK and now.date() > row["due_on"]


def _task_rows(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, mine: bool,
               **where: Any) -> list[dict[str, Any]]:
    sl = slice_of(con, who)
    with store.session() as s:
        index = s.tasks.index(*_TASK_COLUMNS, **where)
    return [r for r in index if sl.sees_row(r) and (not mine or r["owner"] in _mine(who))]


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def task_queue(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, now: dt.datetime,
               f: TaskFilter = TaskFilter(), limit: int = 50, offset: int = 0) -> TaskQueue:
    """My tasks or my team's (the slice), filtered, earliest due first, one page of them."""
    status = _statuses(f.status, wt.TaskStatus, {"open": wt.OPEN_WORK, "all": None})
    rows = _task_rows(store, con, who, f.mine)
    late = [r for r in rows if _row_overdue(r, now)]
    wanted = {"kind": f.kind, "owner": f.owner, "branch_id": f.branch_id}
    chosen = sorted((r for r in rows if all(v is None or r[k] == v for k, v in wanted.items())
                     and (status is None or r["status"] in status)
                     and (not f.overdue or _row_overdue(r, now))),
                    key=lambda r: (r["due_on"], r["task_id"]))
    picked, page = _page(chosen, limit, offset)
    with store.session() as s:
        tasks = _load(s.tasks, [r["task_id"] for r in picked])
    return TaskQueue(
        items=[TaskRow(t, wt.is_overdue(t, now)) for t in tasks], page=page,
        overdue=sum(_row_overdue(r, now) for r in chosen),
        by_kind=dict(Counter(r["kind"] for r in chosen)),
        overdue_by_owner=_ranked(Counter(r["owner"] for r in late)),
        overdue_by_branch=_ranked(Counter(r["branch_id"] or "—" for r in late)),
        owners=sorted({r["owner"] for r in rows}),
        branches=sorted({r["branch_id"] for r in rows if r["branch_id"]}))


@dataclass(frozen=True)
class CalendarDay:
    day: dt.date
    tasks: tuple[wt.Task, ...]
    in_range: bool


@dataclass(frozen=True)
class Calendar:
    """Open inspections and debt confirmations due in [start, end), as weeks Monday to Sunday."""

    start: dt.date
    end: dt.date
    weeks: tuple[tuple[CalendarDay, ...], ...]
    total: int


def task_calendar(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, start: dt.date,
                  weeks: int = 8, mine: bool = False) -> Calendar:
    """The visits and confirmations due in the ``weeks`` from ``start`` (mine or my team's)."""
    if not 1 <= weeks <= 26:
        raise ValueError(f"a calendar shows 1 to 26 weeks, not {weeks}")
    end = start + min(dt.timedelta(weeks=weeks), dt.date.max - start)  # the calendar's end
    rows = [r for r in _task_rows(store, con, who, mine, status=tuple(wt.OPEN_WORK),
                                  kind=CALENDAR_KINDS) if start <= r["due_on"] < end]
    with store.session() as s:
        tasks = _load(s.tasks, [r["task_id"] for r in sorted(
            rows, key=lambda r: (r["due_on"], r["task_id"]))])
    by_day: dict[dt.date, list[wt.Task]] = {}
    for t in tasks:
        by_day.setdefault(t.due_on, []).append(t)
    first = start - dt.timedelta(days=start.weekday())  # 0001-01-01 was a Monday: no overflow
    days = (end - first).days
    days = min(days + (-days) % 7, (dt.date.max - first).days + 1)  # whole weeks, if any left
    grid = [CalendarDay(d, tuple(by_day.get(d, ())), start <= d < end)
            for d in (first + dt.timedelta(days=i) for i in range(days))]
    return Calendar(start, end, tuple(tuple(grid[i:i + 7]) for i in range(0, len(grid), 7)),
                    len(tasks))


@dataclass(frozen=True)
class TaskView:
    task: wt.Task
    overdue: bool
    trail: tuple[WriteAudit, ...] | None


def task_view(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, now: dt.datetime,
              task_id: str) -> TaskView:
    task: wt.Task = _visible(store, slice_of(con, who), "task", task_id)
    readable = who.can(Permission.VIEW_AUDIT) or task.owner in _mine(who)
    return TaskView(task, wt.is_overdue(task, now),
                    _trail(store, "task", task_id) if readable else None)


def task_event(name: str, *, by: str, at: dt.datetime, version: int, text: str = "",
               answers: Mapping[str, str] | None = None, to: str = "") -> Any:
    """The workflow event a person asks for by name. ``text`` is the finding of ``finding``,
    the findings (conclusion) of ``complete`` and the reason of ``cancel``."""
    common: dict[str, Any] = {"by": by, "at": at, "expected_version": version}
    makers: dict[str, Callable[[], Any]] = {
        "start": lambda: wt.Start(**common),
        "finding": lambda: wt.RecordFinding(**common, text=text),
        "complete": lambda: wt.Complete(**common, findings=text, checklist=dict(answers or {})),
        "cancel": lambda: wt.Cancel(**common, reason=text),
        "reassign": lambda: wt.Reassign(**common, to=_new_owner(to)),
    }
    if name not in makers:
        raise InvalidEvent(f"a task has no event {name!r}: {', '.join(makers)}")
    return makers[name]()
