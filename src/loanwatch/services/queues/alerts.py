"""The alerts queue (预警处置): the alerts of a person's slice, most urgent first; one alert
with its SLA, trail and fund-flow path; and what a person does to alerts — assign, act on,
launch an action from.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import Severity
from loanwatch.policy.workflow import ActionKind
from loanwatch.security.permissions import Permission, Principal
from loanwatch.services.queues.flow import FlowPath, alert_flow
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
from loanwatch.services.work import Done, act, create
from loanwatch.workflow import actions as wact
from loanwatch.workflow import alerts as wa
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import InvalidEvent, WorkflowError
from loanwatch.workflow.sla import due_at, sla_breached


@dataclass(frozen=True)
class AlertFilter:
    severity: Severity | None = None
    signal_id: str | None = None
    branch_id: str | None = None
    owner: str | None = None
    status: str = "live"  # live, all, or one AlertStatus
    breached: bool | None = None

    @classmethod
    def from_form(cls, severity: str = "", signal: str = "", branch: str = "", owner: str = "",
                  status: str = "", breached: str = "") -> AlertFilter:
        """The filter a console form (or an export link) sends as text: an empty value is no
        filter; ``breached`` is yes, no or empty."""
        return cls(severity=Severity(severity) if severity else None,
                   signal_id=signal.strip() or None, branch_id=branch.strip() or None,
                   owner=owner.strip() or None, status=status or "live",
                   breached={"yes": True, "no": False}.get(breached))


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
