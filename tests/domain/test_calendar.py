"""As-of date series for `loanwatch run --from --to --every`."""

from __future__ import annotations

import datetime as dt

import pytest

from loanwatch.domain.calendar import Every, as_of_dates, month_end

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
