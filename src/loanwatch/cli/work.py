"""Post-loan work (贷后工作) on the operational store: ``sync`` brings a run's alerts, collection
cases and scheduled tasks in; ``alerts``, ``tasks``, ``collections``, ``actions`` and ``inquiry``
are what people do; ``retention`` purges old bureau inquiries; ``store upgrade`` migrates.

A person's event applies to the version of the record they looked at: ``--version N`` makes a
concurrent edit a conflict; without it the current version is read first."""

from __future__ import annotations

import dataclasses
import datetime as dt
import getpass
import json
import mimetypes
import os
import shutil
import sqlite3
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import psycopg
import sqlalchemy as sa
import typer
from alembic.runtime.migration import MigrationContext
from alembic.util import CommandError
from rich.table import Table as RichTable

from loanwatch.batch.store import stored_dates
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    cells,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    workspace_policy,
)
from loanwatch.ingest.errors import first_line
from loanwatch.policy import Policy
from loanwatch.policy.workflow import ActionKind, Channel
from loanwatch.services.nightly import OutOfOrder, sync_day
from loanwatch.services.store import STORE_URL_VARIABLE, SqlStore, open_store
from loanwatch.services.work import Done, act, ask_bureau, create, purge_inquiries
from loanwatch.storage.connect import open_engine
from loanwatch.workflow import actions as wa
from loanwatch.workflow import alerts as wl
from loanwatch.workflow import collections as wc
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.audit import WriteAudit, plain
from loanwatch.workflow.errors import WorkflowError
from loanwatch.workflow.inquiries import QueryBureau
from loanwatch.workflow.sla import due_at, sla_breached
from loanwatch.workspace import Workspace

USER_VARIABLE = "LOANWATCH_USER"
#: the marts a sync reads: without them at a date every alert would clear and every case cure
SYNC_NEEDS = ("alerts", "classification", "loan_snapshot")

store_app = typer.Typer(help="The operational store (业务库).", no_args_is_help=True)
alerts_app = typer.Typer(help="预警处置 Alerts: list, show, acknowledge, work, close.",
                         no_args_is_help=True)
tasks_app = typer.Typer(help="贷后任务 Tasks: inspections, debt confirmations, paperwork.",
                        no_args_is_help=True)
collections_app = typer.Typer(help="催收 Collection cases: queue, contacts, promises to pay.",
                              no_args_is_help=True)
actions_app = typer.Typer(help="贷后处置 Actions with maker-checker approval (双人复核).",
                          no_args_is_help=True)
inquiry_app = typer.Typer(help="征信查询 Credit-bureau inquiries (贷后管理).", no_args_is_help=True)
for _sub, _name in ((store_app, "store"), (alerts_app, "alerts"), (tasks_app, "tasks"),
                    (collections_app, "collections"), (actions_app, "actions"),
                    (inquiry_app, "inquiry")):
    app.add_typer(_sub, name=_name)


def _default_user() -> str:
    try:
        return os.environ.get(USER_VARIABLE) or getpass.getuser()
    except OSError:
        return "unknown"


StoreOpt = Annotated[str | None, typer.Option(
    "--store-url", show_default=False,
    help=f"业务库 Store, a SQLAlchemy URL (default: ${STORE_URL_VARIABLE}, else the workspace's "
         "SQLite file).")]
UserOpt = Annotated[str, typer.Option(
    "--as", default_factory=_default_user, show_default=False,
    help=f"操作人 Who acts (default: ${USER_VARIABLE}, else your login).")]
VersionOpt = Annotated[int | None, typer.Option(
    "--version", min=1, help="版本 The version you looked at: pass it to be protected from "
                             "concurrent edits (default: the current one, read first).")]
LimitOpt = Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")]
Id = Annotated[str, typer.Argument(help="Record id.")]

E = TypeVar("E", bound=Enum)


# --- plumbing -----------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Ctx:
    ws: Workspace
    policy: Policy
    store: SqlStore


def _masked(url: str) -> str:
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unreadable URL>"


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except WorkflowError as e:  # IllegalTransition, Conflict, SelfApproval, InvalidEvent, OutOfOrder
        raise fail(str(e)) from None
    except LookupError as e:  # no such record
        if isinstance(e, KeyError):
            raise
        raise fail(str(e)) from None
    except (sa.exc.SQLAlchemyError, CommandError, psycopg.Error, sqlite3.Error) as e:
        # the drivers' own errors too: bulk writes may go round SQLAlchemy (PostgreSQL COPY)
        raise fail(f"store: {first_line(getattr(e, 'orig', None) or e)}", code=1) from None


@contextmanager
def _work(workspace: Path, url: str | None) -> Iterator[_Ctx]:
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), _errors():
        store = open_store(ws.root, url)
        try:
            yield _Ctx(ws, pol, store)
        finally:
            store.close()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _enum(cls: type[E], value: str | None, option: str) -> E | None:
    if value is None:
        return None
    try:
        return cls(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not one of: {', '.join(m.value for m in cls)}") from None


def _pairs(items: list[str] | None, option: str) -> list[tuple[str, str]]:
    found = []
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise fail(f"{option} {item!r}: expected KEY=VALUE")
        found.append((key.strip(), value.strip()))
    return found


def _amount(text: str, what: str) -> Decimal:
    try:
        value = Decimal(text.replace(",", ""))
    except InvalidOperation:
        raise fail(f"{what} {text!r} is not an amount") from None
    if not value.is_finite():
        raise fail(f"{what} {text!r} is not an amount")
    return value


def _fmt(v: Any) -> str:
    if v is None or v == ():
        return "—"
    if isinstance(v, Enum):
        return str(v.value)
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, Decimal):
        return f"{v:,.2f}"
    if isinstance(v, dt.datetime):
        return v.isoformat(" ", "seconds")
    if isinstance(v, tuple | list):
        return "; ".join("=".join(map(_fmt, x)) if isinstance(x, tuple) else _fmt(x) for x in v)
    return str(v)


def _short(v: Any, width: int = 60) -> str:
    text = v if isinstance(v, str) else json.dumps(v, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[:width - 1] + "…"


def _table(title: str | None, columns: tuple[str, ...], rows: list[list[Any]]) -> RichTable:
    t = RichTable(title=title)
    for c in columns:
        t.add_column(c, overflow="fold")
    for row in rows:
        t.add_row(*cells(*(_fmt(v) for v in row)))
    return t


def _trail(rows: list[WriteAudit]) -> RichTable:
    def changes(r: WriteAudit) -> str:
        if not r.before:
            return "created"
        keys = [k for k in {**r.before, **r.after} if k != "version"]
        return ", ".join(f"{k}: {_short(r.before.get(k))} → {_short(r.after.get(k))}" for k in keys)
    return _table("audit trail 审计记录", ("at", "actor", "action", "changes"),
                  [[r.at, r.actor, r.action, changes(r)] for r in rows])


def _show(title: str, record: Any, trail: list[WriteAudit],
          extra: tuple[tuple[str, Any], ...] = ()) -> None:
    """Every field of a record, its lists of notes/contacts/… as tables, then its audit trail."""
    main = RichTable(title=title, show_header=False)
    main.add_column(style="bold")
    main.add_column(overflow="fold")
    lists = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            lists.append((f.name, value))
        else:
            main.add_row(*cells(f.name, _fmt(value)))
    for name, value in extra:
        main.add_row(*cells(name, _fmt(value)))
    out.print(main)
    for name, items in lists:
        names = tuple(f.name for f in dataclasses.fields(items[0]))
        out.print(_table(name, names, [[getattr(i, n) for n in names] for i in items]))
    out.print(_trail(trail))


_REPO = {"alert": "alerts", "task": "tasks", "collection_case": "cases", "loan_action": "actions",
         "bureau_inquiry": "inquiries"}
_LABEL = {"alert": "预警 alert", "task": "任务 task", "collection_case": "催收 case",
          "loan_action": "处置 action", "bureau_inquiry": "征信 inquiry"}


def _load(c: _Ctx, entity: str, record_id: str, with_trail: bool = False) -> Any:
    with c.store.session() as s:
        record = getattr(s, _REPO[entity]).get(record_id)
        trail = s.audit.for_entity(entity, record_id) if with_trail else []
    if record is None:
        raise LookupError(f"there is no {entity.replace('_', ' ')} {record_id}")
    return (record, trail) if with_trail else record


def _describe(effect: Any) -> str:
    kind = "指令 instruction" if isinstance(effect, wa.Execution | QueryBureau) else "通知 notice"
    fields = ", ".join(f"{k}={_short(v)}" for k, v in plain(effect).items() if v not in (None, [], ""))
    return f"{kind}: {type(effect).__name__} {fields}"


def _report(entity: str, record_id: str, done: Done) -> None:
    r = done.record
    out.print(f"{_LABEL[entity]} {record_id}: {r.status.value} (version {r.version})",
              highlight=False)
    for effect in done.effects:
        out.print(f"  {_describe(effect)}", highlight=False)


def _outbox(ws: Workspace, effects: tuple[Any, ...], **source: str) -> None:
    """Append the instructions for other systems to ``WS/outbox/instructions.jsonl``."""
    lines = [json.dumps({"instruction": type(e).__name__, **source, **plain(e)}, ensure_ascii=False)
             for e in effects if isinstance(e, wa.Execution | QueryBureau)]
    if not lines:
        return
    path = ws.root / "outbox" / "instructions.jsonl"
    path.parent.mkdir(exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
    out.print(f"{len(lines)} instruction(s) → {path}", highlight=False)


def _apply(c: _Ctx, entity: str, record_id: str, version: int | None, event: Callable[..., Any],
           user: str, **fields: Any) -> Done:
    """Load → version → act: the person's event on the record, at ``version`` if given."""
    expected = version if version is not None else _load(c, entity, record_id).version
    return act(c.store, entity, record_id, event(by=user, at=_now(), expected_version=expected,
                                                 **fields), c.policy)


def _person(workspace: Path, url: str | None, entity: str, record_id: str, version: int | None,
            event: Callable[..., Any], user: str,
            then: Callable[[_Ctx, Done], None] | None = None, **fields: Any) -> None:
    with _work(workspace, url) as c:
        done = _apply(c, entity, record_id, version, event, user, **fields)
        _report(entity, record_id, done)
        if then is not None:
            then(c, done)


def _blank(value: str, option: str) -> str:
    if not value.strip():
        raise fail(f"{option} cannot be blank")
    return value.strip()


# --- sync, store, retention ---------------------------------------------------------------

@app.command()
def sync(
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (default: the latest date the alerts were computed for).")
    ] = None,
    store_url: StoreOpt = None,
) -> None:
    """同步 Bring a run's alerts, collection cases and scheduled tasks into the store.

    Dates go forward only; syncing the same date again changes nothing."""
    with _work(workspace, store_url) as c, c.ws.connect(read_only=True) as con:
        computed = {m: set(stored_dates(con, m)) for m in SYNC_NEEDS}
        if as_of is None and not computed["alerts"]:
            raise fail("no run has computed the alerts yet: run `loanwatch run` first")
        day = parse_date(as_of, "--as-of") if as_of else max(computed["alerts"])
        missing = [m for m in SYNC_NEEDS if day not in computed[m]]
        if missing:
            raise fail(f"the marts {', '.join(missing)} are not computed as of {day}: run "
                       f"`loanwatch run --as-of {day}` first")
        try:
            result = sync_day(c.store, con, day, c.policy, _now())
        except OutOfOrder as e:
            raise fail(str(e)) from None
    out.print(_table(f"sync 同步 {day}", ("count", "n"), [[k, v] for k, v in result.counts.items()]))
    out.print(f"{result.notices:,} notices to people; store {_masked(c.store.url)}", highlight=False)


@store_app.command("upgrade")
def store_upgrade(workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """升级 Migrate the store to the newest schema and print where it is and its revision."""
    with _work(workspace, store_url) as c:
        engine = open_engine(c.store.url)
        try:
            with engine.connect() as conn:
                revision = MigrationContext.configure(conn).get_current_revision()
        finally:
            engine.dispose()
    out.print(f"store {_masked(c.store.url)} at revision {revision}", highlight=False)


@app.command()
def retention(
    workspace: WorkspaceOpt,
    today: Annotated[str | None, typer.Option("--today", help="The day to judge by (default: "
                                              "today).")] = None,
    store_url: StoreOpt = None,
) -> None:
    """保留期 Purge the bureau inquiries kept past the policy's retention, auditing each."""
    day = parse_date(today, "--today")
    with _work(workspace, store_url) as c:
        gone = purge_inquiries(c.store, day, _now(), c.policy)
        keep = c.policy.workflow.inquiries.retention_days
    out.print(f"purged {len(gone)} inquiries kept more than {keep} days as of {day}"
              + (f": {', '.join(gone)}" if gone else ""), highlight=False)


# --- alerts -------------------------------------------------------------------------------

@alerts_app.command("list")
def alerts_list(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help="open, acknowledged, "
                                               "in_progress or closed.")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    signal: Annotated[str | None, typer.Option("--signal", help="Signal id.")] = None,
    branch: Annotated[str | None, typer.Option("--branch")] = None,
    overdue_sla: Annotated[bool, typer.Option("--overdue-sla", help="Only live alerts past "
                                              "their SLA (超时).")] = False,
    limit: LimitOpt = 50,
    store_url: StoreOpt = None,
) -> None:
    """预警列表 Alerts, most recently (re)opened first, with their SLA."""
    where: dict[str, Any] = {k: v for k, v in (("signal_id", signal), ("branch_id", branch))
                             if v is not None}
    wanted = _enum(wl.AlertStatus, status, "--status")
    if wanted is None and overdue_sla:
        wanted = tuple(wl.LIVE)
    now = _now()
    with _work(workspace, store_url) as c:
        hours = c.policy.workflow.sla_hours
        with c.store.session() as s:
            found = s.alerts.list(status=wanted, owner=owner,
                                  limit=None if overdue_sla else limit, **where)
    if overdue_sla:
        found = [a for a in found if sla_breached(a, now, hours)][:limit]
    rows = [[a.alert_id, a.signal_id, a.customer_id, a.loan_id, a.severity, a.status, a.owner,
             a.opened_on, due_at(a.live_since, a.severity, hours),
             "超时 breached" if sla_breached(a, now, hours) else ""] for a in found]
    out.print(_table("alerts 预警", ("alert", "signal", "customer", "loan", "severity", "status",
                                     "owner", "opened", "SLA due", "SLA"), rows))
    out.print(f"{len(rows):,} alerts" + (f" (--limit {limit})" if len(rows) == limit else ""),
              highlight=False)


@alerts_app.command("show")
def alerts_show(alert_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """预警详情 An alert's fields, notes and audit trail."""
    with _work(workspace, store_url) as c:
        alert, trail = _load(c, "alert", alert_id, with_trail=True)
        hours = c.policy.workflow.sla_hours
    _show(f"alert 预警 {alert_id}", alert, trail,
          (("SLA due", due_at(alert.live_since, alert.severity, hours)),
           ("SLA breached", sla_breached(alert, _now(), hours))))


@alerts_app.command("ack")
def alerts_ack(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
               version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """确认 Acknowledge an open alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Acknowledge, user)


@alerts_app.command("start")
def alerts_start(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                 version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """开始处置 Start working an acknowledged alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.StartWork, user)


@alerts_app.command("assign")
def alerts_assign(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                  to: Annotated[str, typer.Option("--to", help="The new owner.")],
                  version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """分派 Give a live alert to someone else."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Assign, user,
            to=_blank(to, "--to"))


@alerts_app.command("assign-bulk")
def alerts_assign_bulk(
    alert_ids: Annotated[list[str], typer.Argument(help="Alert ids.")],
    workspace: WorkspaceOpt, user: UserOpt,
    to: Annotated[str, typer.Option("--to", help="The new owner.")],
    store_url: StoreOpt = None,
) -> None:
    """批量分派 Give many alerts to someone; each failure is reported (exit 2 if any)."""
    to = _blank(to, "--to")
    failed = 0
    with _work(workspace, store_url) as c:
        for alert_id in alert_ids:
            try:
                with _errors():
                    done = _apply(c, "alert", alert_id, None, wl.Assign, user, to=to)
            except typer.Exit:
                failed += 1
                continue
            out.print(f"{alert_id}: owner {done.record.owner} (version {done.record.version})",
                      highlight=False)
    out.print(f"assigned {len(alert_ids) - failed} of {len(alert_ids)} alerts to {to}",
              highlight=False)
    if failed:
        raise typer.Exit(2)


@alerts_app.command("comment")
def alerts_comment(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   text: Annotated[str, typer.Option("--text", help="The note.")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """备注 Add a note to an alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Comment, user, text=text)


@alerts_app.command("close")
def alerts_close(
    alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    disposition: Annotated[str, typer.Option("--disposition", help="resolved, false_positive "
                                             "or escalated.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """关闭 Close a live alert with a disposition and a comment."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Close, user,
            disposition=_enum(wl.Disposition, disposition, "--disposition"), comment=comment)


@alerts_app.command("escalate")
def alerts_escalate(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """上报 Close an alert as escalated and ask for a review one level up."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Escalate, user, comment=comment)


@alerts_app.command("reopen")
def alerts_reopen(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                  reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                  version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """重新打开 Reopen a closed alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Reopen, user, reason=reason)


# --- tasks --------------------------------------------------------------------------------

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


# --- collections --------------------------------------------------------------------------

@collections_app.command("queue")
def collections_queue(workspace: WorkspaceOpt,
                      owner: Annotated[str | None, typer.Option("--owner")] = None,
                      limit: LimitOpt = 50, store_url: StoreOpt = None) -> None:
    """催收队列 Live cases in working order: largest expected loss first."""
    where = {"owner": owner} if owner else {}
    with _work(workspace, store_url) as c, c.store.session() as s:
        live = s.cases.list(limit=None, status=tuple(wc.LIVE), **where)
    rows = [[k.case_id, k.loan_id, k.bucket, k.dpd, k.overdue_amount, k.expected_loss,
             ", ".join(k.strategy), k.status,
             sum(p.status is wc.PromiseStatus.PENDING for p in k.promises)]
            for k in wc.queue(live)[:limit]]
    out.print(_table("collection queue 催收队列", ("case", "loan", "bucket", "DPD", "overdue",
                                                 "expected loss", "strategy", "status",
                                                 "promises pending"), rows))


@collections_app.command("show")
def collections_show(case_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """催收详情 A case's figures, contacts, promises and audit trail."""
    with _work(workspace, store_url) as c:
        case, trail = _load(c, "collection_case", case_id, with_trail=True)
    _show(f"collection case 催收 {case_id}", case, trail)


@collections_app.command("assign")
def collections_assign(case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                       to: Annotated[str, typer.Option("--to", help="The collector.")],
                       version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """分派 Give a live case to a collector."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Assign, user, to=to)


@collections_app.command("contact")
def collections_contact(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    channel: Annotated[str, typer.Option("--channel", help=", ".join(Channel))],
    result: Annotated[str, typer.Option("--result", help=", ".join(wc.ContactResult))],
    note: Annotated[str, typer.Option("--note")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """联系记录 Log a contact with the borrower."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.LogContact, user,
            channel=_enum(Channel, channel, "--channel"),
            result=_enum(wc.ContactResult, result, "--result"), note=note)


@collections_app.command("promise")
def collections_promise(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    amount: Annotated[str, typer.Option("--amount", help="Yuan.")],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD.")],
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """承诺还款 Record the borrower's promise to pay an amount by a date."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.PromiseToPay, user,
            amount=_amount(amount, "--amount"), due_on=parse_date(due, "--due"))


@collections_app.command("close")
def collections_close(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    outcome: Annotated[str, typer.Option("--outcome", help=", ".join(wc.Outcome))],
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """结案 Close a case with its outcome."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Close, user,
            outcome=_enum(wc.Outcome, outcome, "--outcome"), comment=comment)


@collections_app.command("reopen")
def collections_reopen(case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                       reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                       version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """重新打开 Reopen a closed case."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Reopen, user,
            reason=reason)


@collections_app.command("figures")
def collections_figures(workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """回收情况 Recovery over every case: outcomes, money recovered, promises kept."""
    with _work(workspace, store_url) as c, c.store.session() as s:
        f = wc.recovery_figures(s.cases.list(limit=None))
    rows: list[list[Any]] = [["cases opened", f.cases_opened]]
    rows += [[f"closed: {o.value}", n] for o, n in f.closed_by_outcome.items()]
    rows += [["recovered", f.recovered], ["promises made", f.promises_made],
             ["promises kept", f.promises_kept], ["promises broken", f.promises_broken],
             ["kept rate", None if f.kept_rate is None else f"{f.kept_rate * 100:.1f}%"]]
    out.print(_table("recovery 回收", ("figure", "value"), rows))


# --- actions ------------------------------------------------------------------------------

def _installments(items: list[str] | None) -> tuple[wa.PlanInstallment, ...]:
    plan = []
    for seq, item in enumerate(items or [], start=1):
        parts = item.split(":")
        if len(parts) != 3:
            raise fail(f"--installment {item!r}: expected DUE:PRINCIPAL:INTEREST")
        plan.append(wa.PlanInstallment(seq=seq, due_on=parse_date(parts[0], "--installment"),
                                       principal=_amount(parts[1], "--installment principal"),
                                       interest=_amount(parts[2], "--installment interest")))
    return tuple(plan)


@actions_app.command("propose")
def actions_propose(
    workspace: WorkspaceOpt, user: UserOpt,
    kind: Annotated[str, typer.Option("--kind", help=", ".join(ActionKind))],
    customer: Annotated[str, typer.Option("--customer")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
    loan: Annotated[str | None, typer.Option("--loan")] = None,
    detail: Annotated[list[str] | None, typer.Option(
        "--detail", help="KEY=VALUE, e.g. amount=50000 (repeatable).")] = None,
    installment: Annotated[list[str] | None, typer.Option(
        "--installment", help="DUE:PRINCIPAL:INTEREST of a repayment plan, in order "
                              "(repeatable).")] = None,
    alert: Annotated[str | None, typer.Option("--alert", help="The alert it answers.")] = None,
    store_url: StoreOpt = None,
) -> None:
    """提议 Propose an action; the kinds the policy names wait for a second person."""
    event = wa.Propose(action_id=f"A-{uuid.uuid4().hex[:10]}",
                       kind=_enum(ActionKind, kind, "--kind"), customer_id=customer, loan_id=loan,
                       reason=reason, details=tuple(_pairs(detail, "--detail")),
                       plan=_installments(installment), alert_id=alert, by=user, at=_now())
    with _work(workspace, store_url) as c:
        done = create(c.store, "loan_action", event, c.policy)
    _report("loan_action", event.action_id, done)


@actions_app.command("approve")
def actions_approve(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    comment: Annotated[str, typer.Option("--comment")] = "",
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """批准 Approve a proposed action (not your own)."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Approve, user,
            comment=comment)


@actions_app.command("reject")
def actions_reject(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """否决 Reject a proposed action (not your own)."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Reject, user,
            comment=comment)


@actions_app.command("execute")
def actions_execute(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """执行 Execute an approved action: its instruction goes to WS/outbox/instructions.jsonl."""
    def send(c: _Ctx, done: Done) -> None:
        _outbox(c.ws, done.effects, action_id=action_id, by=user,
                at=(done.record.executed_at or _now()).isoformat())

    _person(workspace, store_url, "loan_action", action_id, version, wa.Execute, user, then=send)


@actions_app.command("cancel")
def actions_cancel(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """撤销 Cancel an action before it is executed."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Cancel, user,
            reason=reason)


@actions_app.command("show")
def actions_show(action_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """处置详情 An action's fields and audit trail."""
    with _work(workspace, store_url) as c:
        action, trail = _load(c, "loan_action", action_id, with_trail=True)
    _show(f"action 处置 {action_id}", action, trail)


@actions_app.command("list")
def actions_list(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(wa.ActionStatus))
                      ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=", ".join(ActionKind))] = None,
    limit: LimitOpt = 50, store_url: StoreOpt = None,
) -> None:
    """处置列表 Actions, newest first."""
    where = {k: v for k, v in (("status", _enum(wa.ActionStatus, status, "--status")),
                               ("kind", _enum(ActionKind, kind, "--kind"))) if v is not None}
    with _work(workspace, store_url) as c, c.store.session() as s:
        found = sorted(s.actions.list(limit=None, **where), key=lambda a: a.proposed_at,
                       reverse=True)[:limit]
    out.print(_table("actions 处置", ("action", "kind", "customer", "loan", "status", "proposed by",
                                      "proposed at", "checked by", "reason"),
                     [[a.action_id, a.kind, a.customer_id, a.loan_id, a.status, a.proposed_by,
                       a.proposed_at, a.checked_by, a.reason] for a in found]))


# --- bureau inquiries ---------------------------------------------------------------------

@inquiry_app.command("request")
def inquiry_request(
    workspace: WorkspaceOpt, user: UserOpt,
    customer: Annotated[str, typer.Option("--customer")],
    authorisation: Annotated[str, typer.Option(
        "--authorisation", help="授权书 Reference of the borrower's signed authorisation "
                                "(required).")] = "",
    reason: Annotated[str | None, typer.Option("--reason", help="Default: the policy's "
                                               "(贷后管理).")] = None,
    store_url: StoreOpt = None,
) -> None:
    """查询征信 Log a bureau inquiry; the query goes to WS/outbox/instructions.jsonl."""
    inquiry_id = f"Q-{uuid.uuid4().hex[:10]}"
    with _work(workspace, store_url) as c:
        at = _now()
        done = ask_bureau(c.store, c.policy, inquiry_id=inquiry_id, customer_id=customer,
                          reason=c.policy.workflow.inquiries.reason if reason is None else reason,
                          authorisation_ref=authorisation, by=user, at=at)
        out.print(f"{_LABEL['bureau_inquiry']} {inquiry_id} logged for {customer}",
                  highlight=False)
        for effect in done.effects:
            out.print(f"  {_describe(effect)}", highlight=False)
        _outbox(c.ws, done.effects, by=user, at=at.isoformat())


@inquiry_app.command("list")
def inquiry_list(workspace: WorkspaceOpt,
                 customer: Annotated[str | None, typer.Option("--customer")] = None,
                 limit: LimitOpt = 50, store_url: StoreOpt = None) -> None:
    """征信查询记录 Inquiries, newest first, with the day they are kept until."""
    where = {"customer_id": customer} if customer else {}
    with _work(workspace, store_url) as c, c.store.session() as s:
        keep = dt.timedelta(days=c.policy.workflow.inquiries.retention_days)
        found = s.inquiries.list(limit=limit, order_by=("-asked_at",), **where)
    out.print(_table("bureau inquiries 征信查询", ("inquiry", "customer", "reason", "authorisation",
                                                  "asked by", "asked at", "result", "kept until"),
                     [[q.inquiry_id, q.customer_id, q.reason, q.authorisation_ref, q.asked_by,
                       q.asked_at, q.result_ref, q.asked_at.date() + keep] for q in found]))

