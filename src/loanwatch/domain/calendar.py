"""As-of date series: every day, or every month end, between two dates."""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum


class Every(StrEnum):
    DAY = "day"
    MONTH_END = "month-end"


def month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def previous_month_end(d: dt.date) -> dt.date:
    """The last day of the month before ``d``'s.

    >>> previous_month_end(dt.date(2024, 3, 15))
    datetime.date(2024, 2, 29)
    """
    return d.replace(day=1) - dt.timedelta(days=1)


def as_of_dates(start: dt.date, end: dt.date, every: Every) -> list[dt.date]:
    """The dates from ``start`` to ``end`` inclusive, by ``every``.

    >>> as_of_dates(dt.date(2024, 1, 15), dt.date(2024, 3, 31), Every.MONTH_END)
    [datetime.date(2024, 1, 31), datetime.date(2024, 2, 29), datetime.date(2024, 3, 31)]
    """
    if end < start:
        raise ValueError(f"the end date {end} is before the start date {start}")
    if every is Every.DAY:
        return [start + dt.timedelta(days=n) for n in range((end - start).days + 1)]
    out, d = [], month_end(start)
    while d <= end:
        out.append(d)
        d = month_end(d + dt.timedelta(days=1))
    return out
