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


def months_before(d: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier, or that month's last day if it is shorter (as
    SQL's ``date - INTERVAL n MONTH``).

    >>> months_before(dt.date(2024, 2, 29), 12), months_before(dt.date(2024, 3, 31), 1)
    (datetime.date(2023, 2, 28), datetime.date(2024, 2, 29))
    """
    year, month = divmod(d.year * 12 + d.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(d.day, last))


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
