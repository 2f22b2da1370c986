"""Public information (公示信息): the registry events of a borrower known by the as-of date,
within a window of n months (as_of - n months, as_of], so an event exactly n months old is
out."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import known_by
from loanwatch.domain.calendar import months_before

KEY_PERSON_KINDS = ("legal_rep_change", "director_change", "shareholder_change",
                    "finance_head_change")


def registry_events(events: ir.Table, as_of: dt.date, kinds: tuple[str, ...],
                    months: int | None = None) -> ir.Table:
    """The events of ``kinds`` in force and occurred by ``as_of``, within ``months`` if given."""
    e = known_by(events, "occurred_on", as_of)
    e = e.filter(e.kind.isin(kinds))
    if months is not None:
        e = e.filter(e.occurred_on > ibis.date(months_before(as_of, months)))
    return e


def key_person_changes(events: ir.Table, as_of: dt.date, months: int = 12) -> ir.Table:
    """Per customer with any: changes of legal representative, director, shareholder or head
    of finance in the last ``months`` (``changes``)."""
    e = registry_events(events, as_of, KEY_PERSON_KINDS, months)
    return e.group_by("customer_id").aggregate(changes=e.count())
