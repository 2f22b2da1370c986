"""Manual classifications and technical marks stored in a real workspace: the tables the
classification engine reads, maker–checker enforced on stored rows, one transaction and one
audit row per change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import duckdb
import pytest

from loanwatch.batch import overrides_store
from loanwatch.batch.overrides_store import (
    ensure_override_tables,
    load_overrides,
    load_technical_marks,
    mark_technical,
    propose_override,
    review_override,
    withdraw_override,
    withdraw_technical,
)
from loanwatch.classify.overrides import OverrideError, OverrideStatus
from loanwatch.policy import FiveClass, LadderGrade
from loanwatch.workspace import Workspace

D = dt.date.fromisoformat
AT = dt.datetime(2025, 1, 2, 9, 30)
LATER = dt.datetime(2025, 1, 3, 14, 0)

# the columns the engine reads (classify/classification.py), with their types
OVERRIDE_COLUMNS = [
    ("override_id", "BIGINT"), ("loan_id", "VARCHAR"), ("five_class", "VARCHAR"),
    ("grade", "VARCHAR"), ("reason", "VARCHAR"), ("proposed_by", "VARCHAR"),
    ("proposed_at", "TIMESTAMP"), ("effective_from", "DATE"), ("status", "VARCHAR"),
    ("reviewed_by", "VARCHAR"), ("reviewed_at", "TIMESTAMP"), ("review_comment", "VARCHAR")]
MARK_COLUMNS = [
    ("mark_id", "BIGINT"), ("loan_id", "VARCHAR"), ("marked_on", "DATE"), ("marked_by", "VARCHAR"),
    ("reason", "VARCHAR"), ("marked_at", "TIMESTAMP"), ("withdrawn_by", "VARCHAR"),
    ("withdrawn_at", "TIMESTAMP")]


@pytest.fixture
def ws(year_end_ws: Workspace) -> Workspace:
    return year_end_ws


@pytest.fixture
def con(ws: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    with ws.connect() as con:
        ensure_override_tables(con)
        yield con


def propose(con, **changes):
    args = dict(loan_id="L001", five_class=FiveClass.SUBSTANDARD, reason="借款人失联", by="alice",
                effective_from=D("2024-12-31"), now=AT)
    return propose_override(con, **{**args, **changes})


def columns(con, table: str) -> list[tuple[str, str]]:
    return [(name, kind) for name, kind, *_ in con.execute(f"DESCRIBE main.{table}").fetchall()]


def override_rows(con) -> list[tuple]:
    return con.execute("SELECT override_id, loan_id, five_class, grade, status, proposed_by, "
                       "reviewed_by, review_comment FROM main.lw_class_overrides "
                       "ORDER BY override_id").fetchall()


def audit(con) -> list[tuple]:
    return con.execute('SELECT "at", actor, action, loan_id, override_id, mark_id, detail '
                       "FROM main.lw_class_audit ORDER BY rowid").fetchall()


def test_the_tables_have_the_layout_the_engine_reads(con):
    ensure_override_tables(con)  # again: idempotent
    assert columns(con, "lw_class_overrides") == OVERRIDE_COLUMNS
    assert columns(con, "lw_technical_marks") == MARK_COLUMNS
    assert [c for c, _ in columns(con, "lw_class_audit")] == [
        "at", "actor", "action", "loan_id", "override_id", "mark_id", "detail"]


def test_a_proposal_is_stored_as_proposed_and_audited(con):
    o = propose(con, grade="次级1")
    assert override_rows(con) == [
        (o.override_id, "L001", "substandard", "次级1", "proposed", "alice", None, None)]
    assert load_overrides(con) == [o]
    ((at, actor, action, loan_id, oid, mark_id, detail),) = audit(con)
    assert (at, actor, action, loan_id, oid, mark_id) == (AT, "alice", "propose", "L001",
                                                          o.override_id, None)
    assert json.loads(detail) == {"five_class": "substandard", "grade": "次级1",
                                  "effective_from": "2024-12-31", "reason": "借款人失联"}


def test_a_class_may_be_given_by_its_chinese_term(con):
    assert propose(con, five_class="可疑").five_class is FiveClass.DOUBTFUL


@pytest.mark.parametrize(("changes", "message"), [
    ({"loan_id": "L999"}, "no loan 'L999' in this workspace"),
    ({"five_class": "worse"}, "unknown five-level class 'worse'"),
    ({"grade": "次级9"}, "'次级9' is not a grade of substandard"),
    ({"reason": " "}, "reason for the classification is required"),
])
def test_a_refused_proposal_stores_nothing(con, changes, message):
    with pytest.raises(OverrideError, match=message):
        propose(con, **changes)
    assert override_rows(con) == [] and audit(con) == []


def test_the_grade_is_checked_against_the_ladder_given(con):
    ladder = [LadderGrade(grade=g, five_class=c) for g, c in [
        ("A", FiveClass.NORMAL), ("B", FiveClass.SPECIAL_MENTION), ("C", FiveClass.SUBSTANDARD),
        ("D", FiveClass.DOUBTFUL), ("E", FiveClass.LOSS)]]
    assert propose(con, grade="C", ladder=ladder).grade == "C"
    with pytest.raises(OverrideError, match="expected one of C"):
        propose(con, grade="次级1", ladder=ladder)


def test_a_second_person_approves_and_both_are_audited(con):
    o = propose(con)
    approved = review_override(con, o.override_id, action="approve", by="bob", comment="同意",
                               now=LATER)
    assert approved.status is OverrideStatus.APPROVED
    assert override_rows(con) == [(o.override_id, "L001", "substandard", None, "approved",
                                   "alice", "bob", "同意")]
    assert [(a[1], a[2]) for a in audit(con)] == [("alice", "propose"), ("bob", "approve")]
    assert load_overrides(con, status="approved") == [approved]


def test_the_maker_cannot_approve_and_the_row_stays_proposed(con):
    o = propose(con)
    with pytest.raises(OverrideError, match="a second person must review it"):
        review_override(con, o.override_id, action="approve", by="Alice", comment=None, now=LATER)
    assert override_rows(con)[0][4] == "proposed"
    assert [a[2] for a in audit(con)] == ["propose"]


def test_a_rejected_override_can_no_longer_be_approved(con):
    o = propose(con)
    review_override(con, o.override_id, action="reject", by="bob", comment="证据不足", now=LATER)
    with pytest.raises(OverrideError, match=f"override {o.override_id} is rejected, not proposed"):
        review_override(con, o.override_id, action="approve", by="carol", comment=None, now=LATER)
    assert override_rows(con)[0][4:] == ("rejected", "alice", "bob", "证据不足")


def test_only_the_maker_withdraws(con):
    o = propose(con)
    with pytest.raises(OverrideError, match="only they can withdraw it"):
        withdraw_override(con, o.override_id, by="bob", now=LATER)
    withdrawn = withdraw_override(con, o.override_id, by="alice", now=LATER)
    assert (withdrawn.status, withdrawn.reviewed_by) == (OverrideStatus.WITHDRAWN, "alice")
    assert [a[2] for a in audit(con)] == ["propose", "withdraw"]


@pytest.mark.parametrize("step", [
    lambda con: review_override(con, 99, action="approve", by="bob", comment=None, now=LATER),
    lambda con: withdraw_override(con, 99, by="alice", now=LATER),
])
def test_an_unknown_override_is_named(con, step):
    with pytest.raises(OverrideError, match="no override 99"):
        step(con)


def test_an_unknown_review_action_is_refused(con):
    o = propose(con)
    with pytest.raises(OverrideError, match="unknown review action 'delete'"):
        review_override(con, o.override_id, action="delete", by="bob", comment=None, now=LATER)


def test_overrides_load_by_loan_and_status_in_order(con):
    first = propose(con)
    second = propose(con, loan_id="L002", five_class="loss")
    third = propose(con, five_class="doubtful")
    review_override(con, third.override_id, action="approve", by="bob", comment=None, now=LATER)
    assert first.override_id < second.override_id < third.override_id
    assert [o.override_id for o in load_overrides(con, loan_id="L001")] == [
        first.override_id, third.override_id]
    assert [o.override_id for o in load_overrides(con, "L001", "proposed")] == [first.override_id]
    with pytest.raises(OverrideError, match="unknown override status 'open'"):
        load_overrides(con, status="open")


def test_ids_keep_growing_across_connections(ws):
    with ws.connect() as con:
        ensure_override_tables(con)
        first = propose(con)
    with ws.connect() as con:
        ensure_override_tables(con)
        assert propose(con).override_id > first.override_id
        assert len(load_overrides(con)) == 2


def test_a_change_without_its_audit_row_is_not_stored(con):
    con.execute("DROP TABLE main.lw_class_audit")
    with pytest.raises(duckdb.CatalogException):
        propose(con)
    assert override_rows(con) == []


def test_a_change_interrupted_after_its_first_write_is_rolled_back(con, monkeypatch):
    o = propose(con)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(overrides_store, "_audit", interrupted)
    with pytest.raises(KeyboardInterrupt):
        review_override(con, o.override_id, action="approve", by="bob", comment=None, now=LATER)
    assert override_rows(con)[0][4] == "proposed"


def test_a_technical_mark_is_stored_withdrawn_and_audited(con):
    m = mark_technical(con, loan_id="L003", marked_on=D("2024-06-11"), by="alice",
                       reason="支付系统故障", now=AT)
    assert con.execute("SELECT * FROM main.lw_technical_marks").fetchall() == [
        (m.mark_id, "L003", D("2024-06-11"), "alice", "支付系统故障", AT, None, None)]
    gone = withdraw_technical(con, m.mark_id, by="bob", now=LATER)
    assert (gone.withdrawn_by, gone.withdrawn_at) == ("bob", LATER)
    assert load_technical_marks(con) == [gone]
    with pytest.raises(OverrideError, match="already withdrawn by bob"):
        withdraw_technical(con, m.mark_id, by="carol", now=LATER)
    assert [(a[1], a[2], a[5]) for a in audit(con)] == [
        ("alice", "mark_technical", m.mark_id), ("bob", "withdraw_technical", m.mark_id)]


def test_technical_marks_load_by_loan(con):
    mark_technical(con, loan_id="L003", marked_on=D("2024-06-11"), by="a", reason="r", now=AT)
    mark_technical(con, loan_id="L002", marked_on=D("2024-06-12"), by="a", reason="r", now=AT)
    assert [m.loan_id for m in load_technical_marks(con)] == ["L003", "L002"]
    assert [m.marked_on for m in load_technical_marks(con, "L002")] == [D("2024-06-12")]


@pytest.mark.parametrize(("changes", "message"), [
    ({"loan_id": "L999"}, "no loan 'L999'"),
    ({"marked_on": D("2025-01-03")}, "a day after today"),
    ({"reason": ""}, "reason is required"),
])
def test_a_refused_mark_stores_nothing(con, changes, message):
    args = dict(loan_id="L003", marked_on=D("2024-06-11"), by="alice", reason="r", now=AT)
    with pytest.raises(OverrideError, match=message):
        mark_technical(con, **{**args, **changes})
    assert load_technical_marks(con) == [] and audit(con) == []


def test_an_unknown_mark_is_named(con):
    with pytest.raises(OverrideError, match="no technical mark 5"):
        withdraw_technical(con, 5, by="bob", now=LATER)
