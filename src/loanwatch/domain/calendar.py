"""As-of date series (every day, or every month end, between two dates) and working days.

Working days are Monday to Friday: the policy keeps no holiday calendar, so a public holiday
on a weekday counts as a working day and a weekend day worked in exchange (调休) does not.
The working-day helpers are integer arithmetic on *day numbers* (days since
``WORKING_WEEK_START``, a Monday), so the same functions take an ``int``, a NumPy array or an
Ibis integer column, and a whole portfolio's working days are one expression."""

from __future__ import annotations

import calendar
import datetime as dt
from enum import StrEnum

# day number 0 of the working-day arithmetic: a Monday before any loan
WORKING_WEEK_START = dt.date(1900, 1, 1)


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


def working_days_before(n):
    """How many working days there are among day numbers ``0 … n − 1`` (``n >= 0``): five
    per whole week, plus the weekdays of the week begun.

    >>> [working_days_before(n) for n in range(9)]  # Monday 0 … Sunday 6, Monday 7
    [0, 1, 2, 3, 4, 5, 5, 5, 6]
    """
    weeks, weekday = n // 7, n % 7
    return 5 * weeks + weekday - weekday // 6


def working_day(index):
    """The day number of working day ``index`` (0 is ``WORKING_WEEK_START``): the inverse of
    ``working_days_before`` on working days.

    >>> [working_day(j) for j in range(7)]
    [0, 1, 2, 3, 4, 7, 8]
    """
    return 7 * (index // 5) + index % 5


def last_day_within(n, working_days: int):
    """The last day number at most ``working_days`` working days after day number ``n``: the
    day before the next working day after those.

    >>> last_day_within(4, 5)  # due on a Friday: paid by the Sunday a week later
    13
    """
    return working_day(working_days_before(n + 1) + working_days) - 1


def day_number(d: dt.date) -> int:
    return (d - WORKING_WEEK_START).days


def working_days_between(earlier: dt.date, later: dt.date) -> int:
    """Working days after ``earlier`` up to and including ``later`` (0 if ``later`` is not
    after ``earlier``): how many working days late a payment due ``earlier`` and made
    ``later`` is.

    >>> working_days_between(dt.date(2026, 1, 30), dt.date(2026, 2, 6))  # Friday to Friday
    5
    """
    after = working_days_before(day_number(later) + 1) - working_days_before(day_number(earlier) + 1)
    return max(after, 0)


def add_working_days(d: dt.date, n: int) -> dt.date:
    """The ``n``-th working day after ``d`` (``n >= 1``).

    >>> add_working_days(dt.date(2026, 1, 30), 6)  # Friday + 6 working days
    datetime.date(2026, 2, 9)
    """
    index = working_days_before(day_number(d) + 1) + n - 1
    return WORKING_WEEK_START + dt.timedelta(days=working_day(index))
