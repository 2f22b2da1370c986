"""A report section (STYLE.md: definition, calculation, result, rendering): its id and
titles, the marts it reads, a calculation from the stored marts to a result, and a
rendering of the result into blocks. A section whose marts were not stored for the date
says so instead of failing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from loanwatch.batch.report_source import MartReader, Period
from loanwatch.domain.labels import code_label
from loanwatch.policy import Policy
from loanwatch.reports.document import Block, Column, Kind, Note, SectionView, Table
from loanwatch.reports.labels import LANGS, labels


@dataclass(frozen=True)
class Quality:
    """The data-quality figures the caller measured on the contract tables (``loanwatch
    quality``): per table (table, rows, latest, null_rates text) and the referential gaps
    (description, rows)."""

    tables: Sequence[dict[str, Any]]
    gaps: Sequence[dict[str, Any]]


@dataclass(frozen=True)
class Workflow:
    """What the operational store holds for the period (services/report_workflow.py):
    alerts closed by disposition, SLA by severity, overdue inspections and debt
    confirmations by branch, and the collection results; ``synced_to`` is the last date
    synced into the store."""

    synced_to: dt.date | None
    dispositions: Sequence[dict[str, Any]]
    sla: Sequence[dict[str, Any]]
    overdue: Sequence[dict[str, Any]]
    collections: dict[str, Any]


@dataclass(frozen=True)
class Context:
    """What every section of one report reads: the marts, the date, its period and words."""

    reader: MartReader
    policy: Policy
    as_of: dt.date
    period: Period
    start: dt.date  # the end of the period before (the comparison date)
    lang: str = "zh"
    quality: Quality | None = None
    subject: str = ""  # the customer of a borrower report
    workflow: Workflow | None = None  # None: no store, or never synced
    # a borrower report's tasks from the store (None: no store, or never synced)
    borrower_tasks: list[dict[str, Any]] | None = None

    def t(self, key: str) -> str:
        return labels(self.lang)(key)

    def pick(self, zh_en: tuple[str, str]) -> str:
        return zh_en[LANGS.index(self.lang)]

    def code(self, kind: str, value: Any) -> str:
        """A code of the lender's data (a product, a repayment method…) as it reads in the
        report's language (``domain.labels``); an unknown code as it is."""
        return code_label(kind, value, self.lang)

    def missing(self, mart: str, day: dt.date | None = None) -> Note | None:
        """A note saying ``mart`` is not stored for ``day`` (default the as-of date)."""
        day = day or self.as_of
        if self.reader.has(mart, day):
            return None
        return Note(self.t("missing").format(mart=mart, day=day), missing=True)

    def no_store(self) -> Note:
        """A note saying the operational store's figures are not there."""
        return Note(self.t("no_store"), missing=True)

    def table(self, id: str, title: str, columns: Sequence[tuple[str, Kind]],
              rows: Sequence[dict[str, Any]], note: str = "") -> Table:
        """A table whose column titles are the labels of its keys."""
        return Table(id, title, [Column(k, self.t(k), kind) for k, kind in columns], rows, note)

    def words(self, row: dict[str, Any], *keys: str) -> dict[str, Any]:
        """``row`` with the values of ``keys`` (codes: classes, severities…) in words."""
        return {**row, **{k: self.t(str(row[k])) for k in keys if row.get(k) is not None}}


@dataclass(frozen=True)
class Section:
    """One section of a report: ``view`` calculates it on the context and renders it, or
    says which of its ``marts`` is not stored."""

    id: str
    title: tuple[str, str]
    marts: tuple[str, ...]  # read at the as-of date; the section is left out without them
    calculate: Callable[[Context], Any]
    render: Callable[[Any, Context], list[Block]]

    def view(self, ctx: Context) -> SectionView:
        missing = [n for n in (ctx.missing(m) for m in self.marts) if n is not None]
        blocks = missing or self.render(self.calculate(ctx), ctx)
        return SectionView(self.id, ctx.pick(self.title), blocks)
