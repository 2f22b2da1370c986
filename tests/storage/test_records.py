"""The contract of the generic record repository (tasks here; collection cases, actions and
inquiries use the same code), once per adapter: memory, SQLite, PostgreSQL."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
import sqlalchemy as sa

from loanwatch.storage.base import RecordRepository
from loanwatch.storage.memory import MemoryRecords
from loanwatch.storage.records import RecordKind, SqlRecords
from loanwatch.storage.tables import tasks
from loanwatch.workflow.audit import JsonText, to_json
from loanwatch.workflow.tasks import (
    Attachment,
    ChecklistItem,
    Finding,
    Task,
    TaskKind,
    TaskStatus,
)

TASKS = RecordKind("task", Task, tasks, "task_id")
AT = dt.datetime(2026, 3, 2, 9, 30)


def a_task(task_id: str = "T1", **changes: object) -> Task:
    task = Task(task_id=task_id, kind=TaskKind.DEBT_CONFIRMATION, customer_id="C1", loan_id=None,
                owner="li", due_on=dt.date(2026, 3, 31), branch_id="B1",
                checklist=(ChecklistItem("balance", "余额核对一致?"),
                           ChecklistItem("collateral", "抵押物状态", required=False)))
    return replace(task, **changes)


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def records(request: pytest.FixtureRequest) -> RecordRepository[Task]:
    if request.param == "memory":
        return MemoryRecords(TASKS)
    engine: sa.Engine = request.getfixturevalue(f"_{request.param}_engine")
    return SqlRecords(engine, TASKS)


def test_a_record_comes_back_with_every_field_nested_ones_included(records) -> None:
    task = a_task(status=TaskStatus.DONE, started_at=AT,
                  findings=(Finding("li", AT, "现场经营正常"),),
                  attachments=(Attachment("photo.jpg", 2048, "image/jpeg", "li", AT),),
                  conclusion="正常", answers=(("balance", "一致"),), finished_by="li",
                  finished_at=AT + dt.timedelta(hours=2), version=4)
    records.add(task)
    assert records.get("T1") == task
    assert records.get("T2") is None


def test_filters_match_equal_any_of_a_tuple_and_null(records) -> None:
    records.add_many([a_task("T1"), a_task("T2", owner="wang", loan_id="L9"),
                      a_task("T3", owner="zhao", status=TaskStatus.DONE)])
    assert [t.task_id for t in records.list(owner="wang")] == ["T2"]
    assert [t.task_id for t in records.list(owner=("li", "zhao"))] == ["T1", "T3"]
    assert [t.task_id for t in records.list(loan_id=None)] == ["T1", "T3"]
    assert [t.task_id for t in records.list(status=TaskStatus.DONE)] == ["T3"]
    assert records.count(status=TaskStatus.PLANNED) == 2


def test_list_sorts_by_the_named_columns_then_the_id_and_limits(records) -> None:
    records.add_many([a_task("T1", due_on=dt.date(2026, 4, 1)), a_task("T2"),
                      a_task("T3", due_on=dt.date(2026, 4, 1))])
    assert [t.task_id for t in records.list(order_by=("due_on",))] == ["T2", "T1", "T3"]
    assert [t.task_id for t in records.list(order_by=("-due_on",), limit=2)] == ["T1", "T3"]


def test_index_gives_columns_without_decoding(records) -> None:
    records.add_many([a_task("T1"), a_task("T2", owner="wang")])
    rows = sorted(records.index("task_id", "owner", "due_on"), key=lambda r: r["task_id"])
    assert rows == [{"task_id": "T1", "owner": "li", "due_on": dt.date(2026, 3, 31)},
                    {"task_id": "T2", "owner": "wang", "due_on": dt.date(2026, 3, 31)}]


def test_save_many_saves_what_is_at_its_version_and_names_the_rest(records) -> None:
    records.add_many([a_task("T1"), a_task("T2"), a_task("T3")])
    records.save(a_task("T2", owner="wang", version=2), expected_version=1)  # a person, first
    conflicts = records.save_many([(a_task(i, owner="zhao", version=2), 1)
                                   for i in ("T1", "T2", "T3")])
    assert conflicts == ["T2"]
    assert [records.get(i).owner for i in ("T1", "T2", "T3")] == ["zhao", "wang", "zhao"]


def test_adding_an_existing_record_in_bulk_fails_whole(records) -> None:
    records.add(a_task("T1"))
    with pytest.raises(Exception):  # noqa: B017 (an integrity error or a conflict, per adapter)
        records.add_many([a_task("T2"), a_task("T1")])
    assert records.get("T2") is None


def test_records_and_bodies_may_be_made_as_they_are_taken_in(records) -> None:
    """The nightly sync hands generators over: a record, then its body (already JSON text,
    from the audit row of its creation), a million of them, taken in as they come."""
    made: list[str] = []

    def made_tasks():
        for i in range(3):
            made.append(f"T{i}")
            yield a_task(f"T{i}", owner=f"m{i}")

    bodies = (JsonText(to_json(a_task(made[-1], owner=f"m{len(made) - 1}"))) for _ in range(3))
    records.add_many(made_tasks(), bodies=bodies)
    assert [records.get(f"T{i}") for i in range(3)] == [a_task(f"T{i}", owner=f"m{i}")
                                                      for i in range(3)]
    assert [t.task_id for t in records.list(owner="m2")] == ["T2"]
    records.add_many(iter(()))  # nothing to take in


def test_delete_many_removes_and_counts(records) -> None:
    records.add_many([a_task("T1"), a_task("T2")])
    assert records.delete_many(["T1", "T9"]) == 1
    assert [t.task_id for t in records.list()] == ["T2"]


def test_touch_sets_bookkeeping_columns_of_alerts_without_a_new_version(store) -> None:
    from tests.storage.test_alert_repository import an_alert
    store.alerts.add_many([an_alert("A1"), an_alert("A2")])
    store.alerts.touch_many(["A1"], last_seen_on=dt.date(2026, 1, 9))
    a1, a2 = store.alerts.get("A1"), store.alerts.get("A2")
    assert (a1.last_seen_on, a1.version) == (dt.date(2026, 1, 9), an_alert("A1").version)
    assert a2 == an_alert("A2")


def test_touch_is_refused_where_a_body_holds_the_record(records) -> None:
    with pytest.raises(TypeError, match="keep a body"):
        records.touch_many(["T1"], owner="x")


def test_get_many_returns_the_records_that_exist(records) -> None:
    records.add_many([a_task("T1"), a_task("T2"), a_task("T3")])
    found = records.get_many(["T3", "T1", "T9"])
    assert found == {"T1": a_task("T1"), "T3": a_task("T3")}
    assert records.get_many([]) == {}


def test_at_least_filters_by_a_lower_bound_and_leaves_nulls_out(records) -> None:
    from loanwatch.storage.records import AtLeast
    records.add_many([a_task("T1", due_on=dt.date(2026, 3, 1)),
                      a_task("T2", due_on=dt.date(2026, 4, 1), finished_at=AT),
                      a_task("T3", due_on=dt.date(2026, 5, 1))])
    assert [t.task_id for t in records.list(due_on=AtLeast(dt.date(2026, 4, 1)))] == ["T2", "T3"]
    assert [t.task_id for t in records.list(finished_at=AtLeast(AT))] == ["T2"]
