"""What people do to alerts, tasks, collection cases, actions and bureau inquiries: load the
record, apply the pure transition, save it at the version it was read and append its audit
rows — in one unit of work, so a conflict or an illegal step changes nothing.

Effects that are instructions for other systems (freeze a line, recall a loan, apply a new
schedule, query the bureau) and notices to people are returned to the caller, which shows or
forwards them; the store keeps the record and its audit trail. An alert that calls for a
triggered inspection gets it planned here too."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from loanwatch.policy import Policy
from loanwatch.services.store import Repositories, Store
from loanwatch.workflow import actions, alerts, collections, inquiries, tasks
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.schedules import CHECKLISTS
from loanwatch.workflow.tasks import AttachmentLimits, Plan, TaskKind


@dataclass(frozen=True)
class Done:
    """The record after a person's event and what remains for the caller to carry out."""

    record: Any
    effects: tuple[Any, ...]


def attachment_limits(policy: Policy) -> AttachmentLimits:
    rules = policy.workflow.attachments
    return AttachmentLimits(max_bytes=rules.max_megabytes * 1024 * 1024,
                            content_types=frozenset(rules.content_types))


# entity -> (repository attribute, transition taking the policy)
_LIFECYCLES: dict[str, tuple[str, Callable[[Any, Any, Policy], tuple[Any, tuple[Any, ...]]]]] = {
    "alert": ("alerts", lambda r, e, p: alerts.transition(r, e)),
    "task": ("tasks", lambda r, e, p: tasks.transition(r, e, attachment_limits(p))),
    "collection_case": ("cases", lambda r, e, p: collections.transition(
        r, e, policy=p.workflow.collections)),
    "loan_action": ("actions", lambda r, e, p: actions.transition(
        r, e, approvals=p.workflow.approvals)),
}
ENTITIES = tuple(_LIFECYCLES)


def _carry_out(s: Repositories, effects: tuple[Any, ...], at: dt.datetime,
               policy: Policy) -> tuple[Any, ...]:
    """Write the audit rows and plan the inspections effects ask for; return the rest."""
    s.audit.append_many([e for e in effects if isinstance(e, WriteAudit)])
    rest = []
    for effect in effects:
        if isinstance(effect, WriteAudit):
            continue
        if isinstance(effect, alerts.OpenTriggeredInspection):
            _plan_triggered(s, effect, at, policy)
        rest.append(effect)
    return tuple(rest)


def _plan_triggered(s: Repositories, effect: alerts.OpenTriggeredInspection, at: dt.datetime,
                    policy: Policy) -> None:
    alert = s.alerts.get(effect.alert_id)
    open_ones = s.tasks.count(kind=TaskKind.TRIGGERED_INSPECTION, customer_id=effect.customer_id,
                              status=tuple(tasks.OPEN_WORK))
    if alert is None or open_ones:
        return
    due = at.date() + dt.timedelta(days=policy.workflow.schedules.triggered_inspection_days)
    task, effects = tasks.transition(None, Plan(
        task_id=f"TI:{effect.alert_id}:{at.date().isoformat()}",
        kind=TaskKind.TRIGGERED_INSPECTION, customer_id=effect.customer_id,
        loan_id=effect.loan_id, owner=alert.owner, due_on=due,
        checklist=CHECKLISTS[TaskKind.TRIGGERED_INSPECTION], alert_id=effect.alert_id,
        branch_id=alert.branch_id, by=alerts.ENGINE, at=at))
    if s.tasks.get(task.task_id) is None:
        s.tasks.add(task)
        s.audit.append_many([e for e in effects if isinstance(e, WriteAudit)])


def act(store: Store, entity: str, record_id: str, event: Any, policy: Policy) -> Done:
    """Apply a person's ``event`` to the stored record ``record_id`` of ``entity``.

    Raises ``LookupError`` when there is no such record, and the workflow's errors
    (``Conflict``, ``IllegalTransition``, ``InvalidEvent``) with nothing changed."""
    attr, transition = _LIFECYCLES[entity]
    with store.session() as s:
        repo = getattr(s, attr)
        current = repo.get(record_id)
        if current is None:
            raise LookupError(f"there is no {entity.replace('_', ' ')} {record_id}")
        after, effects = transition(current, event, policy)
        if after != current:
            repo.save(after, current.version)
        return Done(after, _carry_out(s, effects, event.at, policy))


def create(store: Store, entity: str, event: Any, policy: Policy) -> Done:
    """Create a record from its first event (a task planned by hand, a proposed action)."""
    attr, transition = _LIFECYCLES[entity]
    with store.session() as s:
        record, effects = transition(None, event, policy)
        getattr(s, attr).add(record)
        return Done(record, _carry_out(s, effects, event.at, policy))


def ask_bureau(store: Store, policy: Policy, **request: Any) -> Done:
    """Log a credit-bureau inquiry for post-loan management (refused without the borrower's
    authorisation); the returned ``QueryBureau`` is what to send."""
    record, effects = inquiries.request_inquiry(policy=policy.workflow.inquiries, **request)
    with store.session() as s:
        s.inquiries.add(record)
        return Done(record, _carry_out(s, effects, request["at"], policy))


def purge_inquiries(store: Store, today: dt.date, at: dt.datetime, policy: Policy) -> list[str]:
    """``loanwatch retention``: remove inquiries past their keeping time, auditing each."""
    with store.session() as s:
        kept = s.inquiries.list(limit=None)
        gone = inquiries.expired(kept, today, policy.workflow.inquiries)
        s.inquiries.delete_many(gone)
        s.audit.append_many([inquiries.purge_audit(i, at) for i in gone])
    return gone
