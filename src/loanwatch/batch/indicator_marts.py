"""Builder of the ``indicators`` mart: the borrower indicators (analytics/indicators) from the
loan snapshot and repayment record stored for the date and the input tables, one date at a
time on the workspace's DuckDB."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis.expr.types as ir

from loanwatch.analytics.indicators import IndicatorInputs, borrower_indicators
from loanwatch.batch.dated import Stored, rows_on
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy

MORE_TABLES = ("financials", "incomes", "collaterals", "collateral_valuations", "transactions",
               "accounts", "covenants")


def indicators(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
               stored: Stored) -> ir.Table:
    (day,) = dates
    x = IndicatorInputs(
        snapshot=rows_on(engine, "loan_snapshot", day),
        repayment_record=rows_on(engine, "repayment_record", day),
        installments=engine.table("installments"), loans=engine.table("loans"),
        customers=engine.table("customers"), bureau_reports=engine.table("bureau_reports"),
        registry_events=engine.table("registry_events"),
        **{name: engine.table(name) for name in MORE_TABLES})
    return borrower_indicators(x, day)
