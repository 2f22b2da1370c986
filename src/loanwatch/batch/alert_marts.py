"""Builder of the ``alerts`` mart: the signal catalogue evaluated on the marts of the date,
and each alert carried from the run before (rules/alerts.py): one date at a time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.engines.base import AnalyticsEngine
from loanwatch.policy import Policy
from loanwatch.rules.alerts import ALERT, alert_states
from loanwatch.rules.catalogue import evaluate
from loanwatch.rules.signal import Facts
from loanwatch.rules.warning_level import Escalation, loan_warnings, warning_levels

Stored = Callable[[str], Sequence[dt.date]]
MORE_TABLES = ("financials", "incomes", "collaterals", "collateral_valuations", "guarantees",
               "transactions", "accounts", "covenants")
RATING = pa.schema([("as_of", pa.date32()), ("customer_id", pa.string()), ("grade", pa.int32()),
                    ("pd_12m", pa.decimal128(9, 6))])


def _on(engine: AnalyticsEngine, mart: str, day: dt.date) -> ir.Table:
    t = engine.table(mart)
    return t.filter(t.as_of == day)


def _before(engine: AnalyticsEngine, stored: Stored, mart: str, day: dt.date,
            empty: pa.Schema) -> ir.Table:
    """``mart`` at its latest stored date before ``day``; empty with ``empty``'s columns."""
    earlier = [d for d in stored(mart) if d < day]
    if not earlier:
        return ibis.memtable(empty.empty_table())
    return _on(engine, mart, max(earlier)).select(*empty.names)


def alerts(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
           stored: Stored) -> ir.Table:
    (day,) = dates
    facts = Facts(
        as_of=day, snapshot=_on(engine, "loan_snapshot", day),
        classification=_on(engine, "classification", day),
        class_events=_on(engine, "class_events", day), ratings=_on(engine, "ratings", day),
        repayment_record=_on(engine, "repayment_record", day),
        previous_ratings=_before(engine, stored, "ratings", day, RATING),
        loans=engine.table("loans"), customers=engine.table("customers"),
        bureau_reports=engine.table("bureau_reports"),
        registry_events=engine.table("registry_events"),
        **{name: engine.table(name) for name in MORE_TABLES})
    return alert_states(evaluate(facts, policy), _before(engine, stored, "alerts", day, ALERT),
                        day)


def _escalations(policy: Policy) -> tuple[Escalation, ...]:
    return tuple(Escalation(e.min_signals, e.min_severity.value, e.distinct_groups,
                            e.raise_to.value) for e in policy.combining.escalations)


def warning_levels_mart(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                        stored: Stored) -> ir.Table:
    """Each borrower's warning level from the alerts open at the date (rules/warning_level)."""
    (day,) = dates
    return warning_levels(_on(engine, "alerts", day), engine.table("guarantees"),
                          engine.table("loans"), _escalations(policy), day)


def loan_warnings_mart(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                       stored: Stored) -> ir.Table:
    (day,) = dates
    return loan_warnings(_on(engine, "warning_levels", day), _on(engine, "alerts", day),
                         engine.table("loans"), day)
