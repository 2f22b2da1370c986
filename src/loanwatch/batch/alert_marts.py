"""Builder of the ``alerts`` mart: the signal catalogue evaluated on the marts of the date,
and each alert carried from the run before (rules/alerts.py): one date at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.batch.dated import Stored, rows_before, rows_on
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy
from loanwatch.rules.alerts import ALERT, alert_states
from loanwatch.rules.catalogue import evaluate
from loanwatch.rules.signal import Deadlines, Facts
from loanwatch.rules.warning_level import Escalation, loan_warnings, warning_levels

MORE_TABLES = ("financials", "incomes", "collaterals", "collateral_valuations", "guarantees",
               "transactions", "accounts", "covenants", "contracts", "invoices", "relations")
RATING = pa.schema([("as_of", pa.date32()), ("customer_id", pa.string()), ("grade", pa.int32()),
                    ("pd_12m", pa.decimal128(9, 6)), ("model_pd", pa.decimal128(9, 6))])


def alerts(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
           stored: Stored) -> ir.Table:
    (day,) = dates
    facts = Facts(
        as_of=day, snapshot=rows_on(engine, "loan_snapshot", day),
        classification=rows_on(engine, "classification", day),
        class_events=rows_on(engine, "class_events", day), ratings=rows_on(engine, "ratings", day),
        repayment_record=rows_on(engine, "repayment_record", day),
        indicators=rows_on(engine, "indicators", day),
        fund_flows=rows_on(engine, "fund_flows", day),
        reconciliation=rows_on(engine, "reconciliation", day),
        networks=rows_on(engine, "networks", day),
        scores=rows_on(engine, "scores", day),
        previous_ratings=rows_before(engine, stored, "ratings", day, RATING),
        loans=engine.table("loans"), customers=engine.table("customers"),
        bureau_reports=engine.table("bureau_reports"),
        registry_events=engine.table("registry_events"),
        **{name: engine.table(name) for name in MORE_TABLES},
        # the register of post-loan work comes with the workflow (operational store): until
        # it is kept, the TASK-* signals do not fire
        tasks=None, deadlines=deadlines_of(policy))
    return alert_states(evaluate(facts, policy), rows_before(engine, stored, "alerts", day, ALERT),
                        day)


def deadlines_of(policy: Policy) -> Deadlines:
    i = policy.inspections
    return Deadlines(i.first_within_days, i.debt_confirmation_every_days,
                     i.rating_refresh_every_days)


def escalations_of(policy: Policy) -> tuple[Escalation, ...]:
    return tuple(Escalation(e.min_signals, e.min_severity.value, e.distinct_groups,
                            e.raise_to.value) for e in policy.combining.escalations)


def warning_levels_mart(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                        stored: Stored) -> ir.Table:
    """Each borrower's warning level from the alerts open at the date (rules/warning_level)."""
    (day,) = dates
    return warning_levels(rows_on(engine, "alerts", day), engine.table("guarantees"),
                          engine.table("loans"), escalations_of(policy), day)


def loan_warnings_mart(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                       stored: Stored) -> ir.Table:
    (day,) = dates
    return loan_warnings(rows_on(engine, "warning_levels", day), rows_on(engine, "alerts", day),
                         engine.table("loans"), day)
