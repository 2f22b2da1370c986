"""Borrower indicators (客户指标): the figures behind the early-warning signals, per borrower as
of a date, from the data known by then. Each module computes one topic's figures (tables in,
table out); ``borrower_indicators`` puts them side by side as the ``indicators`` mart."""

from loanwatch.analytics.indicators.borrowers import IndicatorInputs, borrower_indicators

__all__ = ["IndicatorInputs", "borrower_indicators"]
