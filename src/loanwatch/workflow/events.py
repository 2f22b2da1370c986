"""What every lifecycle's events share: a person's event carries who, when and the version of
the record they acted on (a stale one is a ``Conflict``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class PersonEvent:
    """What a person did, on the version of the record they saw."""

    by: str
    at: dt.datetime
    expected_version: int
