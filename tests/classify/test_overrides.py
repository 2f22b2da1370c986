"""Maker–checker (双人复核) of a manual classification and technical-overdue marks, as pure
transitions: a request either gives the new record or is refused with a clear reason."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from loanwatch.classify.overrides import (
    MarkId,
    Override,
    OverrideError,
    OverrideId,
    OverrideStatus,
    approve,
    new_mark,
    parse_five_class,
    parse_status,
    propose,
    reject,
    withdraw,
    withdraw_mark,
)
from loanwatch.policy import FiveClass, load_default_policy

AT = dt.datetime(2025, 1, 2, 9, 30)
LATER = dt.datetime(2025, 1, 3, 14, 0)
LADDER = load_default_policy().classification.ladder


def proposal(**changes) -> Override:
    """A proposal by alice to classify L001 次级 from 2024-12-31."""
    args = dict(override_id=OverrideId(1), loan_id="L001", five_class=FiveClass.SUBSTANDARD,
                grade=None, reason="借款人失联", by="alice", at=AT,
                effective_from=dt.date(2024, 12, 31), ladder=LADDER)
    return propose(**{**args, **changes})


def test_a_proposal_waits_for_a_checker():
    o = proposal(reason="  借款人失联 ", by=" alice ")
    assert (o.status, o.reason, o.proposed_by, o.proposed_at) == (
        OverrideStatus.PROPOSED, "借款人失联", "alice", AT)
    assert (o.reviewed_by, o.reviewed_at, o.review_comment) == (None, None, None)


@pytest.mark.parametrize(("changes", "message"), [
    ({"reason": ""}, "reason for the classification is required"),
    ({"reason": "   "}, "reason for the classification is required"),
    ({"by": " "}, "name of the person"),
    ({"grade": "关注1"}, "'关注1' is not a grade of substandard (次级) in the policy ladder: "
                         "expected one of 次级1, 次级2"),
    ({"grade": "正常9", "five_class": FiveClass.NORMAL}, "not a grade of normal (正常)"),
])
def test_a_proposal_is_refused_when(changes, message):
    with pytest.raises(OverrideError, match=message.replace("(", r"\(").replace(")", r"\)")):
        proposal(**changes)


@pytest.mark.parametrize(("five_class", "grade", "kept"), [
    (FiveClass.SUBSTANDARD, "次级2", "次级2"), (FiveClass.SPECIAL_MENTION, " 关注1", "关注1"),
    (FiveClass.LOSS, "损失", "损失"), (FiveClass.NORMAL, None, None), (FiveClass.DOUBTFUL, " ", None),
])
def test_a_grade_of_the_ladder_inside_the_class_is_kept(five_class, grade, kept):
    assert proposal(five_class=five_class, grade=grade).grade == kept


def test_a_second_person_approves():
    o = approve(proposal(), "bob", LATER, " 同意 ")
    assert (o.status, o.reviewed_by, o.reviewed_at, o.review_comment) == (
        OverrideStatus.APPROVED, "bob", LATER, "同意")
    assert (o.five_class, o.proposed_by, o.proposed_at) == (FiveClass.SUBSTANDARD, "alice", AT)


def test_a_second_person_rejects_saying_why():
    o = reject(proposal(), "bob", LATER, "证据不足")
    assert (o.status, o.reviewed_by, o.review_comment) == (OverrideStatus.REJECTED, "bob", "证据不足")


@pytest.mark.parametrize("checker", ["alice", "Alice", " ALICE "])
@pytest.mark.parametrize("review", [approve, reject])
def test_the_maker_cannot_check_their_own_proposal(review, checker):
    with pytest.raises(OverrideError, match="proposed by alice: a second person must review it"):
        review(proposal(), checker, LATER, "ok")


def test_a_rejection_needs_a_comment():
    with pytest.raises(OverrideError, match="comment saying why it is rejected is required"):
        reject(proposal(), "bob", LATER, "  ")


def test_the_maker_withdraws():
    o = withdraw(proposal(), "alice", LATER)
    assert (o.status, o.reviewed_by, o.reviewed_at) == (OverrideStatus.WITHDRAWN, "alice", LATER)


def test_only_the_maker_withdraws():
    with pytest.raises(OverrideError, match="only they can withdraw it, not bob"):
        withdraw(proposal(), "bob", LATER)


STEPS = {
    "approve": lambda o: approve(o, "carol", LATER),
    "reject": lambda o: reject(o, "carol", LATER, "no"),
    "withdraw": lambda o: withdraw(o, "alice", LATER),
}


@pytest.mark.parametrize("status", ["approved", "rejected", "withdrawn"])
@pytest.mark.parametrize("step", sorted(STEPS))
def test_only_a_proposed_override_can_change(status, step):
    closed = replace(proposal(), status=OverrideStatus(status), reviewed_by="bob", reviewed_at=AT)
    with pytest.raises(OverrideError, match=f"override 1 is {status}, not proposed"):
        STEPS[step](closed)


def test_a_transition_leaves_the_original_untouched():
    o = proposal()
    approve(o, "bob", LATER)
    assert o.status is OverrideStatus.PROPOSED and o.reviewed_by is None


@pytest.mark.parametrize(("text", "five_class"), [
    ("substandard", FiveClass.SUBSTANDARD), (" Special_Mention ", FiveClass.SPECIAL_MENTION),
    ("可疑", FiveClass.DOUBTFUL), ("正常", FiveClass.NORMAL), ("损失", FiveClass.LOSS),
])
def test_a_class_is_named_in_english_or_chinese(text, five_class):
    assert parse_five_class(text) is five_class


def test_an_unknown_class_or_status_lists_the_known_ones():
    with pytest.raises(OverrideError, match=r"unknown five-level class 'bad': expected one of "
                                            r"normal \(正常\), special_mention \(关注\)"):
        parse_five_class("bad")
    with pytest.raises(OverrideError, match="expected one of proposed, approved, rejected, withdrawn"):
        parse_status("open")
    assert parse_status(" Approved") is OverrideStatus.APPROVED


def mark(**changes):
    args = dict(mark_id=MarkId(7), loan_id="L003", marked_on=dt.date(2025, 1, 2), by="alice",
                reason="支付系统故障", at=AT)
    return new_mark(**{**args, **changes})


def test_a_technical_mark_and_its_withdrawal():
    m = mark()
    assert (m.marked_on, m.marked_by, m.marked_at, m.withdrawn_at) == (
        dt.date(2025, 1, 2), "alice", AT, None)
    gone = withdraw_mark(m, "bob", LATER)
    assert (gone.withdrawn_by, gone.withdrawn_at) == ("bob", LATER)
    with pytest.raises(OverrideError, match="technical mark 7 was already withdrawn by bob"):
        withdraw_mark(gone, "carol", LATER)


@pytest.mark.parametrize(("changes", "message"), [
    ({"marked_on": dt.date(2025, 1, 3)}, "a day after today"),
    ({"reason": ""}, "reason is required"),
    ({"by": ""}, "name of the person"),
])
def test_a_technical_mark_is_refused_when(changes, message):
    with pytest.raises(OverrideError, match=message):
        mark(**changes)
