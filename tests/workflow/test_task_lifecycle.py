"""A post-loan task (贷后检查, 债权核对) is planned, started, and done with findings and a
complete checklist, or cancelled with a reason; overdue is derived from its due date."""

from __future__ import annotations

import datetime as dt

import pytest

from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import (
    AttachmentRejected,
    ChecklistIncomplete,
    Conflict,
    IllegalTransition,
    InvalidEvent,
)
from loanwatch.workflow.tasks import (
    AttachFile,
    AttachmentLimits,
    Cancel,
    ChecklistItem,
    Complete,
    NotifyAssignee,
    Plan,
    Reassign,
    RecordFinding,
    Start,
    Task,
    TaskKind,
    TaskStatus,
    is_overdue,
    transition,
)

DUE = dt.date(2026, 7, 31)
MANAGER, COLLEAGUE, HEAD = "mgr-wang", "mgr-li", "head-zhao"
MB = 1024 * 1024
CHECKLIST = (
    ChecklistItem("purpose", "Was the money used for the stated purpose (合同约定用途)?"),
    ChecklistItem("operations", "Is the business operating normally?"),
    ChecklistItem("remarks", "Anything else?", required=False),
)
ANSWERS = {"purpose": "yes, invoices seen", "operations": "yes"}


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, 7, day, hour)


def planned() -> Task:
    """The first inspection of loan L1, due within 30 days of disbursement."""
    task, _ = transition(None, Plan(task_id="T1", kind=TaskKind.FIRST_INSPECTION,
                                    customer_id="C1", loan_id="L1", owner=MANAGER, due_on=DUE,
                                    checklist=CHECKLIST, by="scheduler", at=at(1)))
    return task


def apply(task: Task, *events) -> Task:
    for event in events:
        task, _ = transition(task, event)
    return task


def start(t: Task) -> Start:
    return Start(by=MANAGER, at=at(10), expected_version=t.version)


def record(t: Task) -> RecordFinding:
    return RecordFinding(text="warehouse stock matches the ledger", by=MANAGER, at=at(10, 11),
                         expected_version=t.version)


def attach(t: Task, name: str = "site.jpg", size: int = 2 * MB,
           content_type: str = "image/jpeg") -> AttachFile:
    return AttachFile(name=name, size=size, content_type=content_type, by=MANAGER, at=at(10, 12),
                      expected_version=t.version)


def complete(t: Task, checklist: dict[str, str] = ANSWERS, findings: str = "no concerns") -> Complete:
    return Complete(findings=findings, checklist=checklist, by=MANAGER, at=at(10, 16),
                    expected_version=t.version)


def cancel(t: Task) -> Cancel:
    return Cancel(reason="loan repaid early", by=HEAD, at=at(11), expected_version=t.version)


def reassign(t: Task) -> Reassign:
    return Reassign(to=COLLEAGUE, by=HEAD, at=at(11), expected_version=t.version)


def task_that_is(status: TaskStatus) -> Task:
    task = planned()
    steps = {TaskStatus.PLANNED: [], TaskStatus.IN_PROGRESS: [start],
             TaskStatus.DONE: [start, complete], TaskStatus.CANCELLED: [cancel]}[status]
    for step in steps:
        task = apply(task, step(task))
    assert task.status is status
    return task


PLANNED, WORK, DONE, CANCELLED = (TaskStatus.PLANNED, TaskStatus.IN_PROGRESS, TaskStatus.DONE,
                                  TaskStatus.CANCELLED)
ILLEGAL = IllegalTransition

# (state, event, the state after it or the error)
TABLE = [
    (PLANNED, start, WORK), (WORK, start, ILLEGAL), (DONE, start, ILLEGAL),
    (CANCELLED, start, ILLEGAL),
    (PLANNED, record, ILLEGAL), (WORK, record, WORK), (DONE, record, ILLEGAL),
    (CANCELLED, record, ILLEGAL),
    (PLANNED, attach, PLANNED), (WORK, attach, WORK), (DONE, attach, ILLEGAL),
    (CANCELLED, attach, ILLEGAL),
    (PLANNED, complete, ILLEGAL), (WORK, complete, DONE), (DONE, complete, ILLEGAL),
    (CANCELLED, complete, ILLEGAL),
    (PLANNED, cancel, CANCELLED), (WORK, cancel, CANCELLED), (DONE, cancel, ILLEGAL),
    (CANCELLED, cancel, ILLEGAL),
    (PLANNED, reassign, PLANNED), (WORK, reassign, WORK), (DONE, reassign, ILLEGAL),
    (CANCELLED, reassign, ILLEGAL),
]


@pytest.mark.parametrize(("state", "event", "expected"), TABLE,
                         ids=[f"{s.value}-{e.__name__}" for s, e, _ in TABLE])
def test_transition_table(state, event, expected):
    task = task_that_is(state)
    if expected is ILLEGAL:
        with pytest.raises(IllegalTransition, match=f"a task that is {state.value.replace('_', ' ')} "):
            transition(task, event(task))
        return
    after, effects = transition(task, event(task))
    assert after.status is expected
    assert after.version == task.version + 1
    audits = [e for e in effects if isinstance(e, WriteAudit)]
    assert len(audits) == 1 and audits[0].actor == event(task).by


@pytest.mark.parametrize(("state", "event", "message"), [
    (DONE, start, "a task that is done cannot be started; it is finished; plan a new task instead"),
    (PLANNED, complete, "a task that is planned cannot be completed; start it first"),
    (WORK, start, "a task that is in progress cannot be started; it is in progress already"),
])
def test_the_error_says_what_to_do(state, event, message):
    task = task_that_is(state)
    with pytest.raises(IllegalTransition) as caught:
        transition(task, event(task))
    assert str(caught.value) == message


def test_planning_a_task_audits_it_and_tells_its_owner():
    plan = Plan(task_id="T2", kind=TaskKind.DEBT_CONFIRMATION, customer_id="C1", loan_id=None,
                owner=MANAGER, due_on=DUE, by="scheduler", at=at(1))
    task, (row, notice) = transition(None, plan)
    assert (task.status, task.version, task.owner) == (PLANNED, 1, MANAGER)
    assert (row.actor, row.action, row.entity, row.before) == ("scheduler", "plan", "task", {})
    assert row.after["kind"] == "debt_confirmation" and row.after["due_on"] == "2026-07-31"
    assert notice == NotifyAssignee(owner=MANAGER, task_id="T2",
                                    what="debt_confirmation due 2026-07-31")
    with pytest.raises(IllegalTransition, match="it exists already"):
        transition(task, plan)


def test_a_person_cannot_act_on_a_task_never_planned():
    with pytest.raises(IllegalTransition, match="plan it first"):
        transition(None, Start(by=MANAGER, at=at(2), expected_version=1))


def test_a_stale_version_is_a_conflict():
    task = task_that_is(WORK)
    seen_by_colleague = reassign(task)
    task = apply(task, record(task))
    with pytest.raises(Conflict, match="task T1 has changed since you loaded it"):
        transition(task, seen_by_colleague)


# --- attachments ----------------------------------------------------------------------------

LIMITS = AttachmentLimits(max_bytes=10 * MB, content_types=frozenset({"application/pdf",
                                                                     "image/jpeg"}))


@pytest.mark.parametrize(("name", "size", "content_type", "error"), [
    ("scan.pdf", 10 * MB + 1, "application/pdf", "scan.pdf is 10.0 MB; the limit is 10.0 MB"),
    ("page.html", 1000, "text/html",
     "page.html is text/html; allowed types are application/pdf, image/jpeg"),
    ("blank.pdf", 0, "application/pdf", "blank.pdf is empty"),
])
def test_a_file_breaking_the_limits_is_rejected_with_the_reason(name, size, content_type, error):
    task = task_that_is(WORK)
    with pytest.raises(AttachmentRejected) as caught:
        transition(task, attach(task, name, size, content_type), LIMITS)
    assert str(caught.value) == error


def test_a_file_exactly_at_the_size_limit_is_kept():
    task = task_that_is(WORK)
    after, (row,) = transition(task, attach(task, "scan.pdf", 10 * MB, "application/pdf"), LIMITS)
    assert [(a.name, a.size, a.by) for a in after.attachments] == [("scan.pdf", 10 * MB, MANAGER)]
    assert row.action == "attach" and row.before["attachments"] == []


def test_a_second_file_of_the_same_name_is_rejected():
    task = task_that_is(WORK)
    task = apply(task, attach(task))
    with pytest.raises(AttachmentRejected, match="site.jpg is attached already"):
        transition(task, attach(task))


# --- completion -----------------------------------------------------------------------------

def test_completing_keeps_findings_and_the_answers_in_checklist_order():
    task = task_that_is(WORK)
    answers = {"remarks": "owner changed phone number", **ANSWERS}
    done, (row,) = transition(task, complete(task, answers))
    assert (done.status, done.conclusion, done.finished_by) == (DONE, "no concerns", MANAGER)
    assert done.answers == (("purpose", "yes, invoices seen"), ("operations", "yes"),
                            ("remarks", "owner changed phone number"))
    assert row.before == {"status": "in_progress", "conclusion": None, "answers": [],
                          "finished_by": None, "finished_at": None, "version": 2}
    assert row.after["status"] == "done" and row.after["answers"][0] == ["purpose",
                                                                         "yes, invoices seen"]


@pytest.mark.parametrize(("answers", "error"), [
    ({"purpose": "yes"}, "unanswered checklist items: operations"),
    ({"purpose": "yes", "operations": "  "}, "unanswered checklist items: operations"),
    ({}, "unanswered checklist items: purpose, operations"),
    ({**ANSWERS, "collateral": "seen"}, "not on this task's checklist: collateral"),
])
def test_a_task_is_not_done_until_every_required_item_is_answered(answers, error):
    task = task_that_is(WORK)
    with pytest.raises(ChecklistIncomplete) as caught:
        transition(task, complete(task, answers))
    assert str(caught.value) == error


def test_an_optional_item_may_stay_unanswered():
    task = task_that_is(WORK)
    assert [k for k, _ in apply(task, complete(task)).answers] == ["purpose", "operations"]


def test_completing_needs_findings_and_cancelling_needs_a_reason():
    task = task_that_is(WORK)
    with pytest.raises(InvalidEvent, match="the findings of a completed task cannot be blank"):
        transition(task, complete(task, findings=" "))
    with pytest.raises(InvalidEvent, match="the reason to cancel a task cannot be blank"):
        transition(task, Cancel(reason="", by=HEAD, at=at(11), expected_version=task.version))


def test_cancelling_someone_elses_task_tells_them_why():
    task = task_that_is(PLANNED)
    cancelled, effects = transition(task, cancel(task))
    assert (cancelled.cancel_reason, cancelled.finished_by) == ("loan repaid early", HEAD)
    assert NotifyAssignee(owner=MANAGER, task_id="T1",
                          what=f"cancelled by {HEAD}: loan repaid early") in effects


def test_findings_accumulate_while_working():
    task = task_that_is(WORK)
    task = apply(task, record(task))
    task = apply(task, record(task))
    assert [f.text for f in task.findings] == ["warehouse stock matches the ledger"] * 2


def test_reassigning_tells_the_new_owner_and_reassigning_to_the_owner_changes_nothing():
    task = task_that_is(PLANNED)
    after, effects = transition(task, reassign(task))
    assert after.owner == COLLEAGUE
    assert NotifyAssignee(owner=COLLEAGUE, task_id="T1", what=f"assigned to you by {HEAD}") in effects
    assert transition(after, reassign(after)) == (after, ())


# --- overdue --------------------------------------------------------------------------------

@pytest.mark.parametrize(("state", "now", "overdue"), [
    (PLANNED, dt.datetime(2026, 7, 31, 23, 59), False),
    (PLANNED, dt.datetime(2026, 8, 1, 0, 0), True),
    (WORK, dt.datetime(2026, 8, 1, 9, 0), True),
    (DONE, dt.datetime(2026, 9, 1), False),
    (CANCELLED, dt.datetime(2026, 9, 1), False),
])
def test_open_work_is_overdue_after_its_due_date(state, now, overdue):
    assert is_overdue(task_that_is(state), now) is overdue
