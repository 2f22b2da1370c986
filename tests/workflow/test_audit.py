"""``plain``: a record as JSON-ready data, the same whether orjson or the pure-Python path
makes it, and ``to_json`` reads back as ``plain``."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal

from loanwatch.policy.vocabulary import Severity
from loanwatch.workflow.audit import audit, plain, to_json
from loanwatch.workflow.tasks import ChecklistItem, Task, TaskKind


@dataclass(frozen=True)
class _Inner:
    amount: Decimal
    on: dt.date


@dataclass(frozen=True)
class _Outer:
    name: str
    severity: Severity
    at: dt.datetime
    items: tuple[_Inner, ...]
    notes: list[str]
    details: dict[str, str]
    huge: int
    ratio: float
    missing: None = None


OUTER = _Outer(name="张三公司", severity=Severity.HIGH, at=dt.datetime(2025, 11, 30, 6, 5, 4, 321),
               items=(_Inner(Decimal("120000.50"), dt.date(2024, 2, 29)),
                      _Inner(Decimal("-0.01"), dt.date(2025, 1, 1))),
               notes=["a", "b"], details={"new_end": "2026-06-30"}, huge=2**70, ratio=0.125)

EXPECTED = {"name": "张三公司", "severity": "high", "at": "2025-11-30T06:05:04.000321",
            "items": [{"amount": "120000.50", "on": "2024-02-29"},
                      {"amount": "-0.01", "on": "2025-01-01"}],
            "notes": ["a", "b"], "details": {"new_end": "2026-06-30"}, "huge": 2**70,
            "ratio": 0.125, "missing": None}


def test_a_record_becomes_json_ready_data_with_exact_money_and_iso_dates():
    assert plain(OUTER) == EXPECTED  # an integer beyond 64 bits takes the pure-Python path


def test_the_fast_path_gives_what_the_slow_path_gives():
    fast = _Outer(**{**OUTER.__dict__, "huge": 7})
    assert plain(fast) == {**EXPECTED, "huge": 7}


def test_json_text_reads_back_as_plain_and_keeps_chinese_unescaped():
    for value in (OUTER, _Outer(**{**OUTER.__dict__, "huge": 7}), Decimal("1.10"), Severity.LOW):
        text = to_json(value)
        assert json.loads(text) == plain(value)
        assert "\\u" not in text


def test_scalars_pass_through_and_enums_give_their_value():
    assert plain("x") == "x" and plain(3) == 3 and plain(None) is None
    assert plain(Severity.CRITICAL) == "critical" and plain(dt.date(2025, 1, 2)) == "2025-01-02"
    assert plain((Decimal("1"), TaskKind.RATING_REFRESH)) == ["1", "rating_refresh"]


def test_a_creation_audits_the_whole_record_and_a_change_only_what_changed():
    task = Task(task_id="T1", kind=TaskKind.RATING_REFRESH, customer_id="C1", loan_id=None,
                owner="M1", due_on=dt.date(2025, 12, 31), checklist=(ChecklistItem("k", "问"),))
    at = dt.datetime(2025, 12, 1, 9)
    made = audit(None, task, actor="a", action="planned", entity="task", entity_id="T1", at=at)
    assert made.before == {} and made.after["checklist"] == [
        {"key": "k", "question": "问", "required": True}]
    moved = audit(task, Task(**{**task.__dict__, "owner": "M2", "version": 2}), actor="a",
                  action="assigned", entity="task", entity_id="T1", at=at)
    assert (moved.before, moved.after) == ({"owner": "M1", "version": 1},
                                           {"owner": "M2", "version": 2})


def test_a_creation_keeps_the_record_as_text_that_reads_as_the_record():
    task = Task(task_id="T2", kind=TaskKind.DEBT_CONFIRMATION, customer_id="C1", loan_id=None,
                owner="M1", due_on=dt.date(2026, 3, 31))
    row = audit(None, task, actor="scheduler", action="plan", entity="task", entity_id="T2",
                at=dt.datetime(2025, 12, 31, 6))
    assert to_json(row.after) == to_json(task)  # the very text, not encoded again
    assert row.after == plain(task) and dict(row.after) == plain(task)
    assert row.after["due_on"] == "2026-03-31" and len(row.after) == len(plain(task))
    assert plain(row.after) == plain(task) and json.loads(to_json(row)) == plain(row)
