"""The words a policy is written in: severities, actions, classes and value types.

Enums are ``StrEnum`` whose values are the spellings used in the policy file; use
``rank`` to compare them, never string order.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import PydanticCustomError


class Severity(StrEnum):
    """How serious a signal is: ``info`` < ``low`` < ``medium`` < ``high`` < ``critical``."""

    INFO = "info"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        return list(Severity).index(self)


class Action(StrEnum):
    """What a signal recommends (SIGNALS.md)."""

    REMIND = "remind"
    INSPECT = "inspect"
    RERATE = "rerate"
    FREEZE_LINE = "freeze_line"
    EARLY_RECALL = "early_recall"
    REPAYMENT_PLAN = "repayment_plan"
    PRESERVE_ASSETS = "preserve_assets"
    COLLECT = "collect"


class FiveClass(StrEnum):
    """Five-level classification (五级分类), best first."""

    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def rank(self) -> int:
        return list(FiveClass).index(self)


class DayCount(StrEnum):
    """Day-count convention for interest accrual."""

    ACT_360 = "ACT/360"
    ACT_365 = "ACT/365"


def canonical_decimal(value: Decimal) -> str:
    """``0.10`` and ``0.1`` are the same value, so they serialise the same.

    >>> canonical_decimal(Decimal("0.10")), canonical_decimal(Decimal("1E+2"))
    ('0.1', '100')
    """
    return format(value.normalize(), "f")


_Canonical = PlainSerializer(canonical_decimal, return_type=str, when_used="json")


class StrictModel(BaseModel):
    """Base of every policy section: immutable, and an unknown (misspelt) key is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: A whole number of days, months, periods or occurrences; must be > 0.
Count = Annotated[int, Field(strict=True, gt=0)]
#: A fraction of a whole (0.10 = 10%), in (0, 1].
Share = Annotated[Decimal, Field(gt=0, le=1), _Canonical]
#: A tolerance, in [0, 1).
Tolerance = Annotated[Decimal, Field(ge=0, lt=1), _Canonical]
#: A positive ratio or multiplier that may exceed 1.
Ratio = Annotated[Decimal, Field(gt=0), _Canonical]
#: A growth factor that must mean growth (> 1), e.g. PD x 2.
Multiplier = Annotated[Decimal, Field(gt=1), _Canonical]
#: Yuan, exact, as DECIMAL(18,2).
Money = Annotated[Decimal, Field(ge=0, max_digits=18, decimal_places=2), _Canonical]


def consistency_error(message: str, *at: str | int) -> PydanticCustomError:
    """A validation error about the key ``at`` below the field being validated."""
    return PydanticCustomError("policy_consistency", message, {"at": at})


def _unique_actions(actions: tuple[Action, ...]) -> tuple[Action, ...]:
    for i, action in enumerate(actions):
        if action in actions[:i]:
            raise consistency_error(f"duplicate action {action.value!r}", i)
    return actions


#: The actions a signal recommends, each at most once.
Actions = Annotated[tuple[Action, ...], AfterValidator(_unique_actions)]
