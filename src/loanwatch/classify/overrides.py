"""A person's five-level classification of a loan (人工认定) under maker–checker (双人复核),
and the bank's marks of an overdue as technical (技术性逾期): records and pure transitions.

A proposed override acts only as a floor (it can make a loan worse than its automatic class,
never better); once approved by a second person it replaces the automatic class;
rejected/withdrawn ones have no effect. An override applies from ``effective_from`` until a
later override of the same loan replaces it. ``reviewed_by``/``reviewed_at`` record who
closed a proposal: the checker who approved or rejected it, or the maker who withdrew it.

A technical mark says the bank judged a loan's current overdue technical (e.g. a
payment-system failure) on ``marked_on``. At an as-of date D the engine then does not apply
the "any overdue → at least 关注" floor when the mark is not withdrawn by D,
``marked_on <= D``, the mark was made within the current overdue episode
(``marked_on >= D - dpd``) and ``dpd <= classification.technical_overdue_max_days``.

Every rule breach raises ``OverrideError`` (a ``ValueError``) with a message meant for the
person who made the request. Nothing here reads a clock or a database: the store passes
ids and times in (``batch/overrides_store.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import NewType

from loanwatch.policy import FiveClass, LadderGrade

OverrideId = NewType("OverrideId", int)
MarkId = NewType("MarkId", int)

CLASS_TERMS = {FiveClass.NORMAL: "正常", FiveClass.SPECIAL_MENTION: "关注",
               FiveClass.SUBSTANDARD: "次级", FiveClass.DOUBTFUL: "可疑", FiveClass.LOSS: "损失"}


class OverrideError(ValueError):
    """A request the classification rules refuse; the message says which rule and why."""


class OverrideStatus(StrEnum):
    """Where a proposal stands: only ``proposed`` can still change."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class Override:
    override_id: OverrideId
    loan_id: str
    five_class: FiveClass
    grade: str | None
    reason: str
    proposed_by: str
    proposed_at: dt.datetime
    effective_from: dt.date
    status: OverrideStatus = OverrideStatus.PROPOSED
    reviewed_by: str | None = None
    reviewed_at: dt.datetime | None = None
    review_comment: str | None = None


@dataclass(frozen=True)
class TechnicalMark:
    mark_id: MarkId
    loan_id: str
    marked_on: dt.date
    marked_by: str
    reason: str
    marked_at: dt.datetime
    withdrawn_by: str | None = None
    withdrawn_at: dt.datetime | None = None


def parse_five_class(text: str) -> FiveClass:
    """A class by its policy spelling or its Chinese term.

    >>> parse_five_class("次级"), parse_five_class(" Substandard ")
    (<FiveClass.SUBSTANDARD: 'substandard'>, <FiveClass.SUBSTANDARD: 'substandard'>)
    """
    key = text.strip().lower()
    for five_class, term in CLASS_TERMS.items():
        if key in (five_class.value, term):
            return five_class
    known = ", ".join(f"{c.value} ({t})" for c, t in CLASS_TERMS.items())
    raise OverrideError(f"unknown five-level class {text!r}: expected one of {known}")


def parse_status(text: str) -> OverrideStatus:
    try:
        return OverrideStatus(text.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in OverrideStatus)
        raise OverrideError(f"unknown override status {text!r}: expected one of {known}") from None


def propose(*, override_id: OverrideId, loan_id: str, five_class: FiveClass, grade: str | None,
            reason: str, by: str, at: dt.datetime, effective_from: dt.date,
            ladder: Sequence[LadderGrade]) -> Override:
    """A new proposal, once its reason, maker and grade pass the rules."""
    grade = _optional(grade)
    _check_grade(grade, five_class, ladder)
    return Override(override_id=override_id, loan_id=loan_id, five_class=five_class, grade=grade,
                    reason=_required(reason, "a reason for the classification"),
                    proposed_by=_person(by), proposed_at=at, effective_from=effective_from)


def approve(o: Override, by: str, at: dt.datetime, comment: str | None = None) -> Override:
    """The checker approves: from now on the override replaces the automatic class."""
    return _review(o, OverrideStatus.APPROVED, by, at, _optional(comment))


def reject(o: Override, by: str, at: dt.datetime, comment: str) -> Override:
    """The checker rejects, saying why: the override stops acting even as a floor."""
    return _review(o, OverrideStatus.REJECTED, by, at,
                   _required(comment, "a comment saying why it is rejected"))


def withdraw(o: Override, by: str, at: dt.datetime) -> Override:
    """The maker takes back a proposal nobody has reviewed yet."""
    by = _person(by)
    _check_open(o, "withdrawn")
    if not _same_person(by, o.proposed_by):
        raise OverrideError(f"override {o.override_id} was proposed by {o.proposed_by}: only "
                            f"they can withdraw it, not {by}")
    return replace(o, status=OverrideStatus.WITHDRAWN, reviewed_by=by, reviewed_at=at)


def new_mark(*, mark_id: MarkId, loan_id: str, marked_on: dt.date, by: str, reason: str,
             at: dt.datetime) -> TechnicalMark:
    """A technical-overdue mark; it cannot be dated after the day it is made."""
    if marked_on > at.date():
        raise OverrideError(f"cannot mark an overdue as technical on {marked_on}, a day "
                            f"after today ({at.date()})")
    return TechnicalMark(mark_id=mark_id, loan_id=loan_id, marked_on=marked_on,
                         marked_by=_person(by), reason=_required(reason, "a reason"),
                         marked_at=at)


def withdraw_mark(m: TechnicalMark, by: str, at: dt.datetime) -> TechnicalMark:
    """Withdraw a mark: from the withdrawal date on, the overdue counts again."""
    if m.withdrawn_at is not None:
        raise OverrideError(f"technical mark {m.mark_id} was already withdrawn by "
                            f"{m.withdrawn_by} at {m.withdrawn_at:%Y-%m-%d %H:%M}")
    return replace(m, withdrawn_by=_person(by), withdrawn_at=at)


def _review(o: Override, status: OverrideStatus, by: str, at: dt.datetime,
            comment: str | None) -> Override:
    by = _person(by)
    _check_open(o, status.value)
    if _same_person(by, o.proposed_by):
        raise OverrideError(f"override {o.override_id} was proposed by {o.proposed_by}: a "
                            f"second person must review it (maker–checker, 双人复核)")
    return replace(o, status=status, reviewed_by=by, reviewed_at=at, review_comment=comment)


def _check_open(o: Override, verb: str) -> None:
    if o.status is not OverrideStatus.PROPOSED:
        raise OverrideError(f"override {o.override_id} is {o.status.value}, not proposed: it "
                            f"can no longer be {verb}")


def _check_grade(grade: str | None, five_class: FiveClass, ladder: Sequence[LadderGrade]) -> None:
    if grade is None:
        return
    grades = [g.grade for g in ladder if g.five_class is five_class]
    if grade not in grades:
        raise OverrideError(f"grade {grade!r} is not a grade of {five_class.value} "
                            f"({CLASS_TERMS[five_class]}) in the policy ladder: expected one of "
                            f"{', '.join(grades)}")


def _person(name: str) -> str:
    return _required(name, "the name of the person (--by)")


def _same_person(a: str, b: str) -> bool:
    return a.casefold() == b.casefold()


def _required(text: str | None, what: str) -> str:
    cleaned = _optional(text)
    if cleaned is None:
        raise OverrideError(f"{what} is required and must not be empty")
    return cleaned


def _optional(text: str | None) -> str | None:
    cleaned = (text or "").strip()
    return cleaned or None
