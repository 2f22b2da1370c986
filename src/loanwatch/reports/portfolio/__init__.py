"""The portfolio report (月度/季度贷后风险报告): its sections in order, each a small
declarative object (``Section``), and the cover; ``build_portfolio`` runs them on the
marts stored for a date and gives the report as data for the HTML, PDF and XLSX renderers."""

from __future__ import annotations

import datetime as dt

from loanwatch.batch.report_source import MartReader, Period, period_start
from loanwatch.policy import Policy
from loanwatch.reports.document import Report
from loanwatch.reports.labels import labels
from loanwatch.reports.portfolio import (
    classification,
    collections,
    concentration,
    delinquency,
    early_warnings,
    flows,
    ifrs9,
    models,
    quality,
    roll_rates,
    summary,
    vintage,
    workflow,
)
from loanwatch.reports.section import Context, Quality, Section, Workflow

__all__ = ["SECTIONS", "Quality", "Workflow", "build_portfolio"]

#: the report's sections, in the order it shows them
SECTIONS: tuple[Section, ...] = tuple(m.SECTION for m in (
    summary, delinquency, classification, roll_rates, vintage, ifrs9, early_warnings, flows,
    concentration, workflow, collections, quality, models))


def build_portfolio(reader: MartReader, policy: Policy, as_of: dt.date, *,
                    period: Period = Period.MONTH, lang: str = "zh", lender: str = "",
                    quality: Quality | None = None, workflow: Workflow | None = None) -> Report:
    """The report as of ``as_of`` compared with the end of the period before; ``quality``
    and ``workflow`` are what the caller measured on the contract tables and read from the
    operational store (``None``: the sections say they are not there)."""
    start = period_start(as_of, period)
    ctx = Context(reader, policy, as_of, period, start, lang, quality, workflow=workflow)
    t = labels(lang)
    before = ctx.start if reader.has("portfolio_metrics", ctx.start) else None
    cover = [(t("lender"), lender), (t("as_of"), as_of.isoformat()),
             (t("period"), f"{ctx.start + dt.timedelta(days=1)} — {as_of}"),
             (t("previous"), str(before) if before else f"{ctx.start} ({t('not_stored')})"),
             (t("policy_version"), reader.policy_version(as_of) or policy.version_id),
             (t("currency"), f"{t('yuan')} ({policy.currency})")]
    title = f"{t('portfolio_title')}（{t(period.value)}）" if lang == "zh" else \
        f"{t('portfolio_title')} ({t(period.value)})"
    return Report(lang, title, cover, [s.view(ctx) for s in SECTIONS])
