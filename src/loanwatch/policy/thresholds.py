"""The ``threshold_signals`` section: early-warning signals a bank defines itself, without
code, as a borrower indicator (a column of the ``indicators`` mart) compared with a number,
e.g. ``debt_ratio > 0.90``.

An entry's id must not be one of the catalogue's (``signals``) nor repeat another entry's;
its ``group`` is a letter A-J of SIGNALS.md, a group name (``financial``) or a group of the
bank's own (``custom``), which counts as one more group when warning levels combine signals
from different groups."""

from __future__ import annotations

import difflib
import re
import string
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StrictBool, field_validator

from loanwatch.domain.indicators import INDICATOR_BY_NAME
from loanwatch.policy.signals import SIGNAL_IDS, SignalGroup
from loanwatch.policy.vocabulary import (
    Actions,
    Severity,
    StrictModel,
    canonical_decimal,
    consistency_error,
)


class Comparison(StrEnum):
    """How the indicator is compared with the threshold ``value``."""

    GT = ">"
    GE = ">="
    LT = "<"
    LE = "<="
    EQ = "="
    NE = "!="


#: The groups A-J of SIGNALS.md by letter.
GROUP_BY_LETTER: dict[str, SignalGroup] = dict(zip(string.ascii_uppercase, SignalGroup,
                                                   strict=False))
_CUSTOM_GROUP = r"^[a-z][a-z0-9_]*$"


def _known_indicator(name: str) -> str:
    if name not in INDICATOR_BY_NAME:
        close = difflib.get_close_matches(name, INDICATOR_BY_NAME, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown indicator {name!r}{hint}: use a column of the indicators "
                         f"mart ({', '.join(INDICATOR_BY_NAME)})")
    return name


def _group(name: str) -> str:
    """A letter A-J becomes its group's name; any other name must be lower-case words."""
    if name in GROUP_BY_LETTER:
        return GROUP_BY_LETTER[name].value
    if not re.fullmatch(_CUSTOM_GROUP, name):
        raise ValueError(f"{name!r} is not a group: use a letter A-J of SIGNALS.md, a group "
                         f"name ({', '.join(g.value for g in SignalGroup)}) or a name of your "
                         "own in lower case, e.g. 'custom'")
    return name


ThresholdId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]
Title = Annotated[str, Field(min_length=1)]
#: The threshold, exact, at most six decimals (a ratio, yuan or a count).
Threshold = Annotated[Decimal, Field(allow_inf_nan=False, max_digits=24, decimal_places=6),
                      PlainSerializer(canonical_decimal, return_type=str, when_used="json")]


class ThresholdSignal(StrictModel):
    """Fires for each borrower whose ``indicator`` ``op`` ``value`` holds (a missing
    indicator never does), with the policy's ``severity`` and ``actions``."""

    id: ThresholdId
    title_zh: Title
    title_en: Title
    group: Annotated[str, AfterValidator(_group)]
    indicator: Annotated[str, AfterValidator(_known_indicator)]
    op: Comparison
    value: Threshold
    severity: Severity
    actions: Actions
    enabled: StrictBool

    @field_validator("id")
    @classmethod
    def _not_a_catalogue_id(cls, signal_id: str) -> str:
        if signal_id in SIGNAL_IDS:
            raise ValueError(f"{signal_id!r} is a signal of the catalogue (section signals): "
                             "choose another id, e.g. 'CUSTOM-" + signal_id + "'")
        return signal_id


def unique_ids(entries: tuple[ThresholdSignal, ...]) -> tuple[ThresholdSignal, ...]:
    for i, entry in enumerate(entries):
        if entry.id in {e.id for e in entries[:i]}:
            raise consistency_error(f"duplicate threshold signal id {entry.id!r}", i, "id")
    return entries


ThresholdSignals = Annotated[tuple[ThresholdSignal, ...], AfterValidator(unique_ids)]
