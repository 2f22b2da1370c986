"""The lifecycle of a post-loan task (贷后检查, 债权核对, rating refresh, classification
materials) as pure transitions ``transition(task, event, limits=...) -> (task, effects)``.

A task is planned, started, and either done (findings and checklist answers) or cancelled
(with a reason). Overdue is not a state: ``is_overdue(task, now)`` derives it from the due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any, ClassVar

from loanwatch.workflow.audit import WriteAudit, audit
from loanwatch.workflow.errors import (
    AttachmentRejected,
    ChecklistIncomplete,
    IllegalTransition,
    InvalidEvent,
    check_version,
)
from loanwatch.workflow.events import PersonEvent


class TaskKind(StrEnum):
    """GLOSSARY.md: inspections by kind, debt confirmation, and the periodic paperwork."""

    FIRST_INSPECTION = "first_inspection"
    PERIODIC_INSPECTION = "periodic_inspection"
    TRIGGERED_INSPECTION = "triggered_inspection"
    DEBT_CONFIRMATION = "debt_confirmation"
    RATING_REFRESH = "rating_refresh"
    CLASSIFICATION_MATERIALS = "classification_materials"


class TaskStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


OPEN_WORK = frozenset({TaskStatus.PLANNED, TaskStatus.IN_PROGRESS})


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    question: str
    required: bool = True


@dataclass(frozen=True)
class Finding:
    by: str
    at: dt.datetime
    text: str


@dataclass(frozen=True)
class Attachment:
    name: str
    size: int
    content_type: str
    by: str
    at: dt.datetime


@dataclass(frozen=True)
class AttachmentLimits:
    """What a stored file may be; the service passes the policy's limits."""

    max_bytes: int = 20 * 1024 * 1024
    content_types: frozenset[str] = field(default_factory=lambda: frozenset(
        {"application/pdf", "image/jpeg", "image/png"}))


DEFAULT_LIMITS = AttachmentLimits()


@dataclass(frozen=True, kw_only=True)
class Task:
    """One task. ``findings`` are recorded while working; ``conclusion`` and ``answers``
    (checklist key, answer) are given on completion."""

    task_id: str
    kind: TaskKind
    customer_id: str
    loan_id: str | None
    owner: str
    due_on: dt.date
    checklist: tuple[ChecklistItem, ...] = ()
    alert_id: str | None = None
    branch_id: str | None = None
    status: TaskStatus = TaskStatus.PLANNED
    started_at: dt.datetime | None = None
    findings: tuple[Finding, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    conclusion: str | None = None
    answers: tuple[tuple[str, str], ...] = ()
    finished_by: str | None = None
    finished_at: dt.datetime | None = None
    cancel_reason: str | None = None
    version: int = 1


def is_overdue(task: Task, now: dt.datetime) -> bool:
    """Open work whose due date has passed; the due date itself is still on time."""
    return task.status in OPEN_WORK and now.date() > task.due_on


# --- events -------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class Plan:
    """A schedule or an alert creates the task."""

    verb: ClassVar[str] = "planned"
    task_id: str
    kind: TaskKind
    customer_id: str
    loan_id: str | None
    owner: str
    due_on: dt.date
    checklist: tuple[ChecklistItem, ...] = ()
    alert_id: str | None = None
    branch_id: str | None = None
    by: str
    at: dt.datetime


@dataclass(frozen=True, kw_only=True)
class Start(PersonEvent):
    verb: ClassVar[str] = "started"


@dataclass(frozen=True, kw_only=True)
class RecordFinding(PersonEvent):
    verb: ClassVar[str] = "given a finding"
    text: str


@dataclass(frozen=True, kw_only=True)
class AttachFile(PersonEvent):
    verb: ClassVar[str] = "given an attachment"
    name: str
    size: int
    content_type: str


@dataclass(frozen=True, kw_only=True)
class Complete(PersonEvent):
    verb: ClassVar[str] = "completed"
    findings: str
    checklist: Mapping[str, str]


@dataclass(frozen=True, kw_only=True)
class Cancel(PersonEvent):
    verb: ClassVar[str] = "cancelled"
    reason: str


@dataclass(frozen=True, kw_only=True)
class Reassign(PersonEvent):
    verb: ClassVar[str] = "reassigned"
    to: str


TaskEvent = Plan | Start | RecordFinding | AttachFile | Complete | Cancel | Reassign


@dataclass(frozen=True, kw_only=True)
class NotifyAssignee:
    owner: str
    task_id: str
    what: str


TaskEffect = WriteAudit | NotifyAssignee
Result = tuple[Task, tuple[TaskEffect, ...]]


def _changed(before: Task, after: Task, actor: str, action: str, at: dt.datetime,
             *effects: TaskEffect) -> Result:
    after = replace(after, version=before.version + 1)
    row = audit(before, after, actor=actor, action=action, entity="task",
                entity_id=before.task_id, at=at)
    return after, (row, *effects)


def _required(text: str, what: str) -> str:
    if not text.strip():
        raise InvalidEvent(f"{what} cannot be blank")
    return text.strip()


def _plan(e: Plan) -> Result:
    task = Task(task_id=e.task_id, kind=e.kind, customer_id=e.customer_id, loan_id=e.loan_id,
                owner=e.owner, due_on=e.due_on, checklist=tuple(e.checklist),
                alert_id=e.alert_id, branch_id=e.branch_id)
    row = audit(None, task, actor=e.by, action="plan", entity="task", entity_id=task.task_id,
                at=e.at)
    notice = NotifyAssignee(owner=task.owner, task_id=task.task_id,
                            what=f"{task.kind.value} due {task.due_on.isoformat()}")
    return task, (row, notice)


def _start(task: Task, e: Start, limits: AttachmentLimits) -> Result:
    started = replace(task, status=TaskStatus.IN_PROGRESS, started_at=e.at)
    return _changed(task, started, e.by, "start", e.at)


def _record(task: Task, e: RecordFinding, limits: AttachmentLimits) -> Result:
    finding = Finding(by=e.by, at=e.at, text=_required(e.text, "a finding"))
    return _changed(task, replace(task, findings=(*task.findings, finding)), e.by,
                    "record_finding", e.at)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def check_attachment(name: str, size: int, content_type: str, limits: AttachmentLimits) -> None:
    """Raise ``AttachmentRejected`` saying which limit a file breaks."""
    if size <= 0:
        raise AttachmentRejected(f"{name} is empty")
    if size > limits.max_bytes:
        raise AttachmentRejected(f"{name} is {_megabytes(size)}; the limit is "
                                 f"{_megabytes(limits.max_bytes)}")
    if content_type not in limits.content_types:
        raise AttachmentRejected(f"{name} is {content_type}; allowed types are "
                                 f"{', '.join(sorted(limits.content_types))}")


def _attach(task: Task, e: AttachFile, limits: AttachmentLimits) -> Result:
    check_attachment(e.name, e.size, e.content_type, limits)
    if any(a.name == e.name for a in task.attachments):
        raise AttachmentRejected(f"{e.name} is attached already; rename the new file")
    file = Attachment(name=e.name, size=e.size, content_type=e.content_type, by=e.by, at=e.at)
    return _changed(task, replace(task, attachments=(*task.attachments, file)), e.by, "attach",
                    e.at)


def checklist_answers(checklist: tuple[ChecklistItem, ...],
                      given: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The answers in checklist order; raise ``ChecklistIncomplete`` naming what is missing."""
    known = {item.key for item in checklist}
    unknown = sorted(set(given) - known)
    if unknown:
        raise ChecklistIncomplete(f"not on this task's checklist: {', '.join(unknown)}")
    missing = [i.key for i in checklist if i.required and not given.get(i.key, "").strip()]
    if missing:
        raise ChecklistIncomplete(f"unanswered checklist items: {', '.join(missing)}")
    return tuple((i.key, given[i.key].strip()) for i in checklist if given.get(i.key, "").strip())


def _complete(task: Task, e: Complete, limits: AttachmentLimits) -> Result:
    conclusion = _required(e.findings, "the findings of a completed task")
    answers = checklist_answers(task.checklist, e.checklist)
    done = replace(task, status=TaskStatus.DONE, conclusion=conclusion, answers=answers,
                   finished_by=e.by, finished_at=e.at)
    return _changed(task, done, e.by, "complete", e.at)


def _cancel(task: Task, e: Cancel, limits: AttachmentLimits) -> Result:
    cancelled = replace(task, status=TaskStatus.CANCELLED, finished_by=e.by, finished_at=e.at,
                        cancel_reason=_required(e.reason, "the reason to cancel a task"))
    notice = NotifyAssignee(owner=task.owner, task_id=task.task_id,
                            what=f"cancelled by {e.by}: {cancelled.cancel_reason}")
    return _changed(task, cancelled, e.by, "cancel", e.at,
                    *(() if e.by == task.owner else (notice,)))


def _reassign(task: Task, e: Reassign, limits: AttachmentLimits) -> Result:
    if e.to == task.owner:
        return task, ()
    notice = NotifyAssignee(owner=e.to, task_id=task.task_id, what=f"assigned to you by {e.by}")
    return _changed(task, replace(task, owner=e.to), e.by, "reassign", e.at, notice)


_IN_PROGRESS = frozenset({TaskStatus.IN_PROGRESS})
# event -> (the states it may happen in, its transition)
_PERSON: dict[type, tuple[frozenset[TaskStatus], Callable[[Task, Any, AttachmentLimits], Result]]] = {
    Start: (frozenset({TaskStatus.PLANNED}), _start),
    RecordFinding: (_IN_PROGRESS, _record),
    AttachFile: (OPEN_WORK, _attach),
    Complete: (_IN_PROGRESS, _complete),
    Cancel: (OPEN_WORK, _cancel),
    Reassign: (OPEN_WORK, _reassign),
}


def _hint(task: Task, event: object) -> str | None:
    if task.status not in OPEN_WORK:
        return "it is finished; plan a new task instead"
    if task.status is TaskStatus.PLANNED:
        return "start it first"
    return "it is in progress already" if isinstance(event, Start) else None


def transition(task: Task | None, event: TaskEvent,
               limits: AttachmentLimits = DEFAULT_LIMITS) -> Result:
    """The task after ``event`` and the effects the service must carry out.

    ``task`` is ``None`` before ``Plan``. Raises ``Conflict`` when a person acted on an old
    version, ``IllegalTransition`` when the event cannot happen in the task's state,
    ``InvalidEvent`` (``AttachmentRejected``, ``ChecklistIncomplete``) when it is incomplete.
    """
    if isinstance(event, Plan):
        if task is not None:
            raise IllegalTransition(task.status, event, subject="task", hint="it exists already")
        return _plan(event)
    if task is None:
        raise IllegalTransition("absent", event, subject="task", hint="plan it first")
    allowed, apply = _PERSON[type(event)]
    check_version("task", task.task_id, event.expected_version, task.version)
    if task.status not in allowed:
        raise IllegalTransition(task.status, event, subject="task", hint=_hint(task, event))
    return apply(task, event, limits)
