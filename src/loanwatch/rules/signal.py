"""What a signal is (SIGNALS.md): a small declarative object — id, titles, the calculation —
whose severity, parameters, actions and on/off switch come from the policy.

A calculation takes the as-of ``Facts`` and the signal's policy entry and returns its
*firings*: one row per subject (a loan, or a borrower when ``loan_id`` is NULL) with
``customer_id, loan_id, severity, evidence``. ``evidence`` is a short text with the figures
and source rows that made it fire, in the words a customer manager checks them by. Tables
in, table out: no connection, no clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.policy.signals import SignalPolicy, signal_group

FIRING = ibis.schema({"customer_id": "string", "loan_id": "string", "severity": "string",
                      "evidence": "string"})


@dataclass(frozen=True)
class Deadlines:
    """Days allowed for the post-loan work (the policy's ``inspections`` section)."""

    first_inspection_within: int = 30
    debt_confirmation_every: int = 92
    rating_refresh_every: int = 92


@dataclass(frozen=True)
class Facts:
    """The tables a signal reads as of ``as_of``: the marts of the date (``snapshot``,
    ``classification``, ``class_events``, ``ratings``), the ratings of the run before
    (``previous_ratings``, empty for a first run) and the stored input tables (versioned:
    read them with ``analytics.expr.in_force``)."""

    as_of: dt.date
    snapshot: ir.Table
    classification: ir.Table
    class_events: ir.Table
    ratings: ir.Table
    previous_ratings: ir.Table
    loans: ir.Table
    customers: ir.Table
    bureau_reports: ir.Table
    registry_events: ir.Table
    # per loan: late installments in the last 12 months (None: not computed)
    repayment_record: ir.Table | None = None
    # per borrower: the indicators mart of the date, read by the policy's threshold signals
    # (None: not computed, and they do not fire)
    indicators: ir.Table | None = None
    # more input tables (None: not known, and the signals reading them do not fire)
    financials: ir.Table | None = None
    incomes: ir.Table | None = None
    collaterals: ir.Table | None = None
    collateral_valuations: ir.Table | None = None
    guarantees: ir.Table | None = None
    transactions: ir.Table | None = None
    accounts: ir.Table | None = None
    covenants: ir.Table | None = None
    contracts: ir.Table | None = None
    invoices: ir.Table | None = None
    relations: ir.Table | None = None
    # marts of the date that signals read (None: not computed, and those signals do not fire):
    # the proceeds' findings (fund_flows), contract-payment-invoice matching per loan
    # (reconciliation) and the related-party and guarantee networks per customer (networks)
    fund_flows: ir.Table | None = None
    reconciliation: ir.Table | None = None
    networks: ir.Table | None = None
    # the behavioural model's scores of the date (PD, grade, top factors; None: no model)
    scores: ir.Table | None = None
    # the firings of every signal that reads no other signal's (``Signal.reads_firings``):
    # set by the catalogue for those that do (a guarantor's distress)
    firings: ir.Table | None = None
    # the post-loan work recorded as done (rules/workflow.py; None: no register is kept)
    tasks: ir.Table | None = None
    deadlines: Deadlines = Deadlines()


Calculation = Callable[[Facts, SignalPolicy[Any]], ir.Table]


@dataclass(frozen=True)
class Signal:
    id: str
    title_zh: str
    title_en: str
    calculate: Calculation
    # evaluated after the others, with their firings in ``Facts.firings``
    reads_firings: bool = False

    @property
    def group(self) -> str:
        return signal_group(self.id).value


def firings(rows: ir.Table) -> ir.Table:
    """``rows`` with the firing columns only, in order and typed."""
    return rows.select(**{name: rows[name].cast(typ) for name, typ in FIRING.items()})


def no_firings() -> ir.Table:
    return ibis.memtable(FIRING.to_pyarrow().empty_table())
