"""As-of date series for `loanwatch run --from --to --every`, and working days."""

from __future__ import annotations

import datetime as dt

import pytest

from loanwatch.domain.calendar import (
    WORKING_WEEK_START,
    Every,
    add_working_days,
    as_of_dates,
    day_number,
    last_day_within,
    month_end,
    working_days_between,
)

D = dt.date.fromisoformat


@pytest.mark.parametrize(("day", "end"), [
    ("2024-02-10", "2024-02-29"), ("2023-02-01", "2023-02-28"), ("2024-12-31", "2024-12-31"),
    ("2024-04-30", "2024-04-30"),
])
def test_month_end(day, end):
    assert month_end(D(day)) == D(end)


def test_month_ends_from_mid_month_to_mid_month():
    got = as_of_dates(D("2023-12-15"), D("2024-03-30"), Every.MONTH_END)
    assert got == [D("2023-12-31"), D("2024-01-31"), D("2024-02-29")]


def test_every_day_includes_both_ends():
    got = as_of_dates(D("2024-02-28"), D("2024-03-01"), Every.DAY)
    assert got == [D("2024-02-28"), D("2024-02-29"), D("2024-03-01")]


def test_no_month_end_in_a_short_range():
    assert as_of_dates(D("2024-06-01"), D("2024-06-15"), Every.MONTH_END) == []


def test_end_before_start_is_an_error():
    with pytest.raises(ValueError, match="before the start"):
        as_of_dates(D("2024-06-02"), D("2024-06-01"), Every.DAY)


@pytest.mark.parametrize(("earlier", "later", "days"), [
    ("2026-01-07", "2026-01-14", 5),  # Wednesday to Wednesday
    ("2026-01-07", "2026-01-15", 6),  # Wednesday to Thursday
    ("2026-01-09", "2026-01-16", 5),  # Friday to Friday, a weekend inside
    ("2026-01-09", "2026-01-18", 5),  # Friday to Sunday
    ("2026-01-10", "2026-01-12", 1),  # Saturday to Monday
    ("2026-01-09", "2026-01-09", 0), ("2026-01-09", "2026-01-08", 0),
])
def test_working_days_between_count_monday_to_friday_after_the_first_date(earlier, later, days):
    assert working_days_between(D(earlier), D(later)) == days


def test_the_working_day_arithmetic_agrees_with_the_calendar_day_by_day():
    start = D("2023-12-25")
    for n in range(40):
        d = start + dt.timedelta(days=n)
        brute = sum(1 for k in range(1, 21) if (d + dt.timedelta(days=k)).weekday() < 5)
        assert working_days_between(d, d + dt.timedelta(days=20)) == brute
        for k in (1, 5, 6):
            after = add_working_days(d, k)
            assert after.weekday() < 5 and working_days_between(d, after) == k
            assert working_days_between(d, after - dt.timedelta(days=1)) == k - 1
            last = WORKING_WEEK_START + dt.timedelta(days=last_day_within(day_number(d), k))
            # the last day at most k working days after d: the day before the (k+1)-th
            assert working_days_between(d, last) == k
            assert last + dt.timedelta(days=1) == add_working_days(d, k + 1)
