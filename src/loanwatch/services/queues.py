"""The three work lists of the console and the API — the alerts queue (预警处置), post-loan
tasks (贷后任务) and the collection queue (催收) — cut to the slice of the book a person sees,
and what a person does to one record of them: see it, act on it, attach a file to a task.

A record outside the caller's slice is answered as if it did not exist (``LookupError``), so
guessing ids reveals nothing. Lists read only the columns they filter and sort on (the
repositories' ``index``), then load the records of the page asked for.
"""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

import duckdb
import pyarrow as pa

from loanwatch.batch.drilldown import loan_proceeds
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import Severity
from loanwatch.policy.workflow import ActionKind, Channel
from loanwatch.security.permissions import Permission, Principal, Scope
from loanwatch.services.scope import owners_of, scope_sql
from loanwatch.services.store import Store
from loanwatch.services.work import Done, act, attachment_limits, create
from loanwatch.workflow import actions as wact
from loanwatch.workflow import alerts as wa
from loanwatch.workflow import collections as wc
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import AttachmentRejected, InvalidEvent, WorkflowError
from loanwatch.workflow.sla import due_at, sla_breached

#: where a task's files are kept, under the workspace: ``WS/attachments/<task_id>/<name>``
ATTACHMENTS = "attachments"
#: what the calendar shows: visits and confirmations, not the paperwork
CALENDAR_KINDS = (wt.TaskKind.FIRST_INSPECTION, wt.TaskKind.PERIODIC_INSPECTION,
                  wt.TaskKind.TRIGGERED_INSPECTION, wt.TaskKind.DEBT_CONFIRMATION)
_REPO = {"alert": "alerts", "task": "tasks", "collection_case": "cases"}
#: the longest id (and owner) the store's columns hold
MAX_ID = 64


# --- the slice ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Slice:
    """The records a person sees: everything; or those they own, of their branch, or about
    the borrowers and loans of their slice of the book (``Principal.sees``)."""

    everything: bool = False
    owners: frozenset[str] = frozenset()
    branch_id: str | None = None
    customers: frozenset[str] = frozenset()
    loans: frozenset[str] = frozenset()

    def sees(self, owner: str, branch_id: str | None, customer_id: str,
             loan_id: str | None) -> bool:
        if self.everything or owner in self.owners:
            return True
        if self.branch_id is not None and branch_id == self.branch_id:
            return True
        return customer_id in self.customers or (loan_id is not None and loan_id in self.loans)

    def sees_row(self, row: Mapping[str, Any]) -> bool:
        return self.sees(row["owner"], row.get("branch_id"), row["customer_id"], row["loan_id"])

    def sees_record(self, record: Any) -> bool:
        return self.sees(record.owner, getattr(record, "branch_id", None), record.customer_id,
                         record.loan_id)


def slice_of(con: duckdb.DuckDBPyConnection, who: Principal) -> Slice:
    """``who``'s slice: the borrowers and loans the marts give their branch or manager code
    (current versions), and the records they own themselves."""
    if who.scope is Scope.ALL:
        return Slice(everything=True)
    cond, params = scope_sql(who)
    customers_sql = f"SELECT customer_id FROM customers WHERE _valid_to IS NULL AND {cond}"
    try:
        customers = {r[0] for r in con.execute(customers_sql, params).fetchall()}
        loans = con.execute(f"""SELECT loan_id, customer_id FROM loans WHERE _valid_to IS NULL
                                AND ({cond} OR customer_id IN ({customers_sql}))""",
                            params + params).fetchall()
    except duckdb.CatalogException:  # no data imported yet
        customers, loans = set(), []
    owners = owners_of(who) or _mine(who)
    return Slice(owners=frozenset(owners),
                 branch_id=who.branch_id if who.scope is Scope.BRANCH else None,
                 customers=frozenset(customers | {c for _, c in loans}),
                 loans=frozenset(loan for loan, _ in loans))


def _new_owner(to: str) -> str:
    """Whom work is given to: someone, by an id the store can hold."""
    to = to.strip()
    if not to:
        raise InvalidEvent("the person to assign to cannot be blank")
    if len(to) > MAX_ID:
        raise InvalidEvent(f"{to[:MAX_ID]}… is longer than a user id or a manager code can be")
    return to


def _mine(who: Principal) -> tuple[str, ...]:
    """The owner values that mean ``who``: their user id and their manager code."""
    return tuple(x for x in (who.user_id, who.manager_id) if x)


def _visible(store: Store, sl: Slice, entity: str, record_id: str) -> Any:
    # an id no record can have (too long, control characters) is not looked up at all
    usable = len(record_id) <= MAX_ID and record_id.isprintable()
    with store.session() as s:
        record = getattr(s, _REPO[entity]).get(record_id) if usable else None
    if record is None or not sl.sees_record(record):
        raise LookupError(f"there is no {entity.replace('_', ' ')} {record_id}")
    return record


def _trail(store: Store, entity: str, record_id: str) -> tuple[WriteAudit, ...]:
    with store.session() as s:
        return tuple(s.audit.for_entity(entity, record_id))


def _load(repo: Any, ids: Sequence[str]) -> list[Any]:
    """The records of ``ids``, in that order."""
    found = repo.get_many(ids) if ids else {}
    return [found[i] for i in ids if i in found]


def act_visible(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, entity: str,
                record_id: str, event: Callable[[], Any], policy: Policy) -> Done:
    """A person's event on a record of their slice (``services.work.act``). A record outside
    it is ``LookupError``, as a missing one, before ``event`` (a function making the event,
    which may find it incomplete) is even asked."""
    _visible(store, slice_of(con, who), entity, record_id)
    return act(store, entity, record_id, event(), policy)


@dataclass(frozen=True)
class Page:
    total: int
    limit: int
    offset: int


def _page(rows: Sequence[Any], limit: int, offset: int) -> tuple[Sequence[Any], Page]:
    if limit < 1 or offset < 0:
        raise ValueError(f"a page needs limit ≥ 1 and offset ≥ 0, not {limit} and {offset}")
    return rows[offset:offset + limit], Page(len(rows), limit, offset)


def _statuses(value: str, named: Iterable[str],
              groups: Mapping[str, Iterable[str] | None]) -> tuple[str, ...] | None:
    """A status filter as the statuses it keeps (``None``: all): a group's name (``live``,
    ``open``, ``all``) or one status."""
    if value in groups:
        group = groups[value]
        return None if group is None else tuple(sorted(str(s) for s in group))
    if value in {str(n) for n in named}:
        return (value,)
    raise ValueError(f"status {value!r} is not one of: {', '.join([*groups, *map(str, named)])}")


# --- alerts -------------------------------------------------------------------------------

@dataclass(frozen=True)
class AlertFilter:
    severity: Severity | None = None
    signal_id: str | None = None
    branch_id: str | None = None
    owner: str | None = None
    status: str = "live"  # live, all, or one AlertStatus
    breached: bool | None = None


@dataclass(frozen=True)
class AlertRow:
    alert: wa.Alert
    sla_due: dt.datetime | None
    breached: bool


@dataclass(frozen=True)
class AlertQueue:
    items: list[AlertRow]
    page: Page
    by_severity: dict[str, int]
    breached: int
    # what the filters can choose from, in the caller's slice
    signals: list[str]
    branches: list[str]
    owners: list[str]
    assignees: list[str]


_ALERT_COLUMNS = ("alert_id", "customer_id", "loan_id", "owner", "branch_id", "signal_id",
                  "severity", "status", "live_since", "closed_at")


def _row_due(row: Mapping[str, Any], policy: Policy) -> dt.datetime | None:
    return due_at(row["live_since"], Severity(row["severity"]), policy.workflow.sla_hours)


def _row_breached(row: Mapping[str, Any], now: dt.datetime, policy: Policy) -> bool:
    """``workflow.sla.sla_breached`` on an alert's indexed columns."""
    due = _row_due(row, policy)
    closed = row["status"] == wa.AlertStatus.CLOSED and row["closed_at"] is not None
    return due is not None and (row["closed_at"] if closed else now) > due


def _alert_order(row: Mapping[str, Any], policy: Policy) -> tuple[Any, ...]:
    """Most urgent first: the earliest SLA due time, the most severe, then by id."""
    due = _row_due(row, policy)
    return (due is None, due or dt.datetime.max, -Severity(row["severity"]).rank,
            row["alert_id"])


def _matches_alert(row: Mapping[str, Any], f: AlertFilter, breached: bool) -> bool:
    wanted = {"severity": f.severity, "signal_id": f.signal_id, "branch_id": f.branch_id,
              "owner": f.owner}
    return (all(v is None or row[k] == v for k, v in wanted.items())
            and (f.breached is None or breached == f.breached))


def alert_queue(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
                now: dt.datetime, f: AlertFilter = AlertFilter(), limit: int = 50,
                offset: int = 0) -> AlertQueue:
    """The alerts of ``who``'s slice that pass ``f``, most urgent first, one page of them."""
    status = _statuses(f.status, wa.AlertStatus, {"live": wa.LIVE, "all": None})
    sl = slice_of(con, who)
    with store.session() as s:
        index = s.alerts.index(*_ALERT_COLUMNS, **({} if status is None else {"status": status}))
        assignees = _assignees(s.users.index("user_id", "manager_id", "active"))
    scoped = [r for r in index if sl.sees_row(r)]
    flags = {r["alert_id"]: _row_breached(r, now, policy) for r in scoped}
    chosen = sorted((r for r in scoped if _matches_alert(r, f, flags[r["alert_id"]])),
                    key=lambda r: _alert_order(r, policy))
    rows, page = _page(chosen, limit, offset)
    with store.session() as s:
        alerts = _load(s.alerts, [r["alert_id"] for r in rows])
    hours = policy.workflow.sla_hours
    return AlertQueue(
        items=[AlertRow(a, due_at(a.live_since, a.severity, hours), flags[a.alert_id])
               for a in alerts],
        page=page, by_severity=dict(Counter(r["severity"] for r in chosen)),
        breached=sum(flags[r["alert_id"]] for r in chosen),
        signals=sorted({r["signal_id"] for r in scoped}),
        branches=sorted({r["branch_id"] for r in scoped if r["branch_id"]}),
        owners=sorted({r["owner"] for r in scoped}), assignees=assignees)


def _assignees(users: list[dict[str, Any]]) -> list[str]:
    """Who work can be given to: the active users and their manager codes."""
    return sorted({x for u in users if u["active"] for x in (u["user_id"], u["manager_id"]) if x})


@dataclass(frozen=True)
class Assigned:
    """One alert of a bulk assignment: its new owner and version, or why it failed."""

    alert_id: str
    ok: bool
    owner: str | None = None
    version: int | None = None
    error: str | None = None


def assign_alerts(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
                  alert_ids: Sequence[str], to: str, at: dt.datetime) -> list[Assigned]:
    """Give each alert of ``alert_ids`` to ``to``, at its current version, each in its own
    unit of work: one that fails (not in the slice, closed, changed meanwhile) says why and
    leaves the others assigned."""
    to = _new_owner(to)
    if not alert_ids:
        raise InvalidEvent("choose at least one alert to assign")
    sl, done = slice_of(con, who), []
    for alert_id in dict.fromkeys(alert_ids):
        try:
            alert = _visible(store, sl, "alert", alert_id)
            event = wa.Assign(by=who.user_id, at=at, expected_version=alert.version, to=to)
            after = act(store, "alert", alert_id, event, policy).record
        except (LookupError, WorkflowError) as e:
            done.append(Assigned(alert_id, False, error=str(e).strip("'\"")))
        else:
            done.append(Assigned(alert_id, True, owner=after.owner, version=after.version))
    return done


def alert_event(name: str, *, by: str, at: dt.datetime, version: int, comment: str = "",
                disposition: wa.Disposition | None = None, to: str = "") -> Any:
    """The workflow event a person asks for by name. ``comment`` is the note of ``comment``,
    the closing comment of ``close`` and ``escalate``, the reason of ``reopen``."""
    common: dict[str, Any] = {"by": by, "at": at, "expected_version": version}
    if name == "close" and disposition is None:
        raise InvalidEvent("closing an alert needs a disposition: "
                           + ", ".join(d.value for d in wa.Disposition))
    makers: dict[str, Callable[[], Any]] = {
        "acknowledge": lambda: wa.Acknowledge(**common),
        "start": lambda: wa.StartWork(**common),
        "comment": lambda: wa.Comment(**common, text=comment),
        "close": lambda: wa.Close(**common, disposition=disposition, comment=comment),
        "escalate": lambda: wa.Escalate(**common, comment=comment),
        "reopen": lambda: wa.Reopen(**common, reason=comment),
        "assign": lambda: wa.Assign(**common, to=_new_owner(to)),
    }
    if name not in makers:
        raise InvalidEvent(f"an alert has no event {name!r}: {', '.join(makers)}")
    return makers[name]()


# --- one alert, and the fund-flow path of a FLOW-* alert ----------------------------------

@dataclass(frozen=True)
class FlowNode:
    """An account the proceeds reached (or the borrower's own, where they started)."""

    node_id: str
    name: str | None  # the holder's name, an individual's masked
    kind: str  # borrower, enterprise, individual, unknown
    customer_id: str | None
    column: int  # the hop at which the money first reached it (0: the borrower's account)


@dataclass(frozen=True)
class FlowEdge:
    """The moves from one account to another: their total, count and categories."""

    source: str
    target: str
    amount: Decimal
    moves: int
    categories: tuple[str, ...]
    first_at: dt.datetime | None


@dataclass(frozen=True)
class FlowPath:
    loan_id: str
    as_of: dt.date
    nodes: tuple[FlowNode, ...]
    edges: tuple[FlowEdge, ...]


def masked_name(name: str | None) -> str | None:
    """An individual's name as the console shows it: the surname kept (``张三丰`` → ``张**``)."""
    return name if not name else name[0] + "*" * (len(name) - 1)


def _node_of(move: Mapping[str, Any]) -> str:
    """A move's payee account, or a stand-in for an unidentified one (cash, unknown holder)."""
    return move["dst"] or f"({move['dst_name'] or move['channel'] or 'unknown'})"


def flow_path(trace: pa.Table, loan_id: str, as_of: dt.date, borrower: str) -> FlowPath:
    """The graph of a loan's traced proceeds (``batch.drilldown.loan_proceeds``): accounts as
    nodes, and per pair of accounts one edge with the moves between them — each transaction
    counted once, though the trace may follow it on several routes."""
    moves = trace.to_pylist()
    nodes = {m["src"]: FlowNode(m["src"], None, "borrower", borrower, 0)
             for m in moves if m["hop"] == 1 and m["src"]}
    edges: dict[tuple[str, str], dict[str, Any]] = {}
    counted: set[tuple[str, str, str]] = set()
    for m in moves:
        src, dst = m["src"] or "(unknown)", _node_of(m)
        kind = "borrower" if m["dst_customer"] == borrower else (m["dst_type"] or "unknown")
        name = masked_name(m["dst_name"]) if kind in ("individual", "borrower") else m["dst_name"]
        nodes.setdefault(src, FlowNode(src, None, "unknown", None, max(m["hop"] - 1, 0)))
        known = nodes.setdefault(dst, FlowNode(dst, name, kind, m["dst_customer"], m["hop"]))
        if known.name is None and name:
            nodes[dst] = replace(known, name=name)
        e = edges.setdefault((src, dst), {"amount": Decimal(0), "moves": 0, "categories": set(),
                                          "first_at": m["at"]})
        if (src, dst, m["txn_id"]) not in counted:
            counted.add((src, dst, m["txn_id"]))
            e["amount"] += m["move_amount"] or Decimal(0)
            e["moves"] += 1
        e["categories"].add(m["category"] or "use")
        if m["at"] is not None and (e["first_at"] is None or m["at"] < e["first_at"]):
            e["first_at"] = m["at"]
    return FlowPath(loan_id, as_of, tuple(nodes.values()), tuple(
        FlowEdge(s, d, e["amount"], e["moves"], tuple(sorted(e["categories"])), e["first_at"])
        for (s, d), e in edges.items()))


def alert_flow(con: duckdb.DuckDBPyConnection, alert: wa.Alert,
               policy: Policy) -> tuple[FlowPath | None, str | None]:
    """The fund-flow path of a FLOW-* alert's loan at the alert's last firing, or why there is
    none; ``(None, None)`` for other signals."""
    if not alert.signal_id.startswith("FLOW-"):
        return None, None
    if not alert.loan_id:
        return None, "the alert names no loan to trace"
    try:
        trace = loan_proceeds(DuckDBEngine.open(con=con), alert.loan_id, alert.last_seen_on,
                              policy)
    except Exception as e:  # the drill-down is an aid: the alert page must show anyway
        return None, f"the trace of loan {alert.loan_id} failed: {str(e).splitlines()[0]}"
    if not trace.num_rows:
        return None, (f"loan {alert.loan_id} has no traced proceeds as of "
                      f"{alert.last_seen_on.isoformat()}")
    return flow_path(trace, alert.loan_id, alert.last_seen_on, alert.customer_id), None


@dataclass(frozen=True)
class AlertView:
    alert: wa.Alert
    sla_due: dt.datetime | None
    breached: bool
    trail: tuple[WriteAudit, ...] | None  # None: not the caller's to read
    actions: tuple[wact.LoanAction, ...]
    flow: FlowPath | None
    flow_problem: str | None


def alert_view(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
               now: dt.datetime, alert_id: str) -> AlertView:
    """One alert of ``who``'s slice with its SLA, the actions launched from it, its audit
    trail (auditors and its owner) and, for a FLOW-* signal, the path of the proceeds."""
    alert: wa.Alert = _visible(store, slice_of(con, who), "alert", alert_id)
    hours = policy.workflow.sla_hours
    readable = who.can(Permission.VIEW_AUDIT) or alert.owner in _mine(who)
    with store.session() as s:
        launched = tuple(a for a in s.actions.list(limit=None, customer_id=alert.customer_id)
                         if a.alert_id == alert_id)
    flow, problem = alert_flow(con, alert, policy)
    return AlertView(alert, due_at(alert.live_since, alert.severity, hours),
                     sla_breached(alert, now, hours),
                     _trail(store, "alert", alert_id) if readable else None,
                     launched, flow, problem)


def propose_action(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
                   alert_id: str, kind: ActionKind, reason: str, at: dt.datetime,
                   details: Sequence[tuple[str, str]] = (),
                   plan: Sequence[wact.PlanInstallment] = ()) -> Done:
    """Launch an action (贷后处置) on the alert's borrower and loan; the kinds the policy names
    wait for a second person's approval."""
    alert: wa.Alert = _visible(store, slice_of(con, who), "alert", alert_id)
    event = wact.Propose(action_id=f"A-{uuid.uuid4().hex[:10]}", kind=kind,
                         customer_id=alert.customer_id, loan_id=alert.loan_id, reason=reason,
                         details=tuple(details), plan=tuple(plan), alert_id=alert_id,
                         by=who.user_id, at=at)
    return create(store, "loan_action", event, policy)


# --- tasks --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TaskFilter:
    mine: bool = True  # my tasks, or the whole slice (my team's)
    kind: wt.TaskKind | None = None
    status: str = "open"  # open, all, or one TaskStatus
    overdue: bool = False
    owner: str | None = None
    branch_id: str | None = None


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


# --- attachments --------------------------------------------------------------------------

# the first bytes of the file types a bank allows by default: a file must be what it says
_SIGNATURES = {"application/pdf": b"%PDF-", "image/png": b"\x89PNG\r\n\x1a\n",
               "image/jpeg": b"\xff\xd8\xff"}
_CHUNK = 1024 * 1024


def _safe_name(name: str) -> str:
    """The file's own name, without any folder a browser sent; refused if unusable."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not base or base.startswith(".") or len(base) > 200 or any(ord(c) < 32 for c in base):
        raise AttachmentRejected(f"{name!r} is not a usable file name")
    return base


def _copy(stream: BinaryIO, to: Path, max_bytes: int, name: str) -> int:
    """Copy at most ``max_bytes`` (and one more, to know it is too large)."""
    size = 0
    with to.open("wb") as out:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > max_bytes:
                raise AttachmentRejected(f"{name} is larger than the limit of "
                                         f"{max_bytes / 1024 / 1024:.1f} MB")
            out.write(chunk)
    return size


def _check_signature(path: Path, name: str, content_type: str) -> None:
    wanted = _SIGNATURES.get(content_type)
    with path.open("rb") as f:
        head = f.read(16)
    if wanted is not None and not head.startswith(wanted):
        raise AttachmentRejected(f"{name} does not look like a {content_type} file")


def attach_file(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy,
                root: Path, task_id: str, *, version: int, name: str, stream: BinaryIO,
                at: dt.datetime) -> Done:
    """Store an uploaded file under ``WS/attachments/<task>/`` and record it on the task. The
    type goes by the file name and must match the file's first bytes; a file refused by the
    policy's limits, or a task that changed meanwhile, leaves nothing stored."""
    _visible(store, slice_of(con, who), "task", task_id)
    name = _safe_name(name)
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    limits = attachment_limits(policy)
    if content_type not in limits.content_types:  # refused before a byte is written
        wt.check_attachment(name, 1, content_type, limits)
    folder = root / ATTACHMENTS / task_id
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f".{uuid.uuid4().hex}.part"
    try:
        size = _copy(stream, part, limits.max_bytes, name)
        wt.check_attachment(name, size, content_type, limits)
        _check_signature(part, name, content_type)
        done = act(store, "task", task_id, wt.AttachFile(
            by=who.user_id, at=at, expected_version=version, name=name, size=size,
            content_type=content_type), policy)
        part.replace(folder / name)
    except BaseException:
        part.unlink(missing_ok=True)
        if not any(folder.iterdir()):
            folder.rmdir()
        raise
    return done


def attachment_path(store: Store, con: duckdb.DuckDBPyConnection, who: Principal, root: Path,
                    task_id: str, name: str) -> tuple[Path, wt.Attachment]:
    """The stored file of a task's attachment and its record; ``LookupError`` when the task is
    not in the slice or has no such file."""
    task: wt.Task = _visible(store, slice_of(con, who), "task", task_id)
    found = next((a for a in task.attachments if a.name == name), None)
    path = root / ATTACHMENTS / task_id / name
    if found is None or not path.is_file():
        raise LookupError(f"task {task_id} has no attachment {name}")
    return path, found


# --- collections --------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseFilter:
    bucket: str | None = None
    status: str = "live"  # live, all, or one CaseStatus
    owner: str | None = None


@dataclass(frozen=True)
class CaseQueue:
    items: list[wc.CollectionCase]
    page: Page
    expected_loss: Decimal  # of the cases that pass the filter
    by_bucket: dict[str, int]
    figures: wc.RecoveryFigures  # of every case of the slice
    buckets: list[str]
    owners: list[str]


def _priority(c: wc.CollectionCase) -> tuple[Any, ...]:
    return (-c.expected_loss, -c.dpd, c.case_id)


def case_queue(store: Store, con: duckdb.DuckDBPyConnection, who: Principal,
               f: CaseFilter = CaseFilter(), limit: int = 50, offset: int = 0) -> CaseQueue:
    """The collection cases of the slice (collectors see every one), the live ones in
    working order (``workflow.collections.queue``: largest expected loss first)."""
    status = _statuses(f.status, wc.CaseStatus, {"live": wc.LIVE, "all": None})
    sl = slice_of(con, who)
    with store.session() as s:
        cases = [c for c in s.cases.list(limit=None) if sl.sees_record(c)]
    chosen = [c for c in cases if (status is None or c.status in status)
              and f.bucket in (None, c.bucket) and f.owner in (None, c.owner)]
    ordered = wc.queue(chosen) if f.status == "live" else sorted(chosen, key=_priority)
    items, page = _page(ordered, limit, offset)
    return CaseQueue(list(items), page, sum((c.expected_loss for c in chosen), Decimal(0)),
                     dict(Counter(c.bucket for c in chosen)), wc.recovery_figures(cases),
                     sorted({c.bucket for c in cases}), sorted({c.owner for c in cases}))


def recovery(store: Store, con: duckdb.DuckDBPyConnection, who: Principal) -> wc.RecoveryFigures:
    """What collection achieved over the cases of the slice."""
    sl = slice_of(con, who)
    with store.session() as s:
        return wc.recovery_figures(c for c in s.cases.list(limit=None) if sl.sees_record(c))


@dataclass(frozen=True)
class CaseView:
    case: wc.CollectionCase
    trail: tuple[WriteAudit, ...] | None


def case_view(store: Store, con: duckdb.DuckDBPyConnection, who: Principal,
              case_id: str) -> CaseView:
    """A case of the slice; its audit trail for auditors and those who work cases."""
    case: wc.CollectionCase = _visible(store, slice_of(con, who), "collection_case", case_id)
    readable = who.can(Permission.VIEW_AUDIT) or who.can(Permission.ACT_COLLECTIONS)
    return CaseView(case, _trail(store, "collection_case", case_id) if readable else None)


def case_event(name: str, *, by: str, at: dt.datetime, version: int, channel: Channel | None = None,
               result: wc.ContactResult | None = None, note: str = "",
               amount: Decimal | None = None, due_on: dt.date | None = None,
               outcome: wc.Outcome | None = None, comment: str = "", to: str = "") -> Any:
    """The workflow event a person asks for by name: ``contact`` (channel, result, note),
    ``promise`` (amount, due_on), ``close`` (outcome, comment), ``reopen`` (comment: the
    reason), ``assign`` (to)."""
    common: dict[str, Any] = {"by": by, "at": at, "expected_version": version}
    needs = {"contact": {"channel": channel, "result": result},
             "promise": {"amount": amount, "due_on": due_on}, "close": {"outcome": outcome}}
    missing = [k for k, v in needs.get(name, {}).items() if v is None]
    if missing:
        raise InvalidEvent(f"{name} needs {' and '.join(missing)}")
    makers: dict[str, Callable[[], Any]] = {
        "contact": lambda: wc.LogContact(**common, channel=channel, result=result, note=note),
        "promise": lambda: wc.PromiseToPay(**common, amount=amount, due_on=due_on),
        "close": lambda: wc.Close(**common, outcome=outcome, comment=comment),
        "reopen": lambda: wc.Reopen(**common, reason=comment),
        "assign": lambda: wc.Assign(**common, to=_new_owner(to)),
    }
    if name not in makers:
        raise InvalidEvent(f"a collection case has no event {name!r}: {', '.join(makers)}")
    return makers[name]()
