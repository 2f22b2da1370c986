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

Stored = Callable[[str], Sequence[dt.date]]
RATING = pa.schema([("as_of", pa.date32()), ("customer_id", pa.string()), ("grade", pa.int32())])


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
        previous_ratings=_before(engine, stored, "ratings", day, RATING),
        loans=engine.table("loans"), customers=engine.table("customers"),
        bureau_reports=engine.table("bureau_reports"),
        registry_events=engine.table("registry_events"),
        financials=engine.table("financials"))
    return alert_states(evaluate(facts, policy), _before(engine, stored, "alerts", day, ALERT),
                        day)
