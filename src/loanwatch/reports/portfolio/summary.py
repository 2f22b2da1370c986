"""摘要 Summary: the book's key figures at the as-of date, the period before and the change,
and the trend of the overdue and NPL rates over the stored month-ends."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.reports.document import Block, Chart, Figure, Figures, Kind, Note
from loanwatch.reports.formats import difference
from loanwatch.reports.section import Context, Section
from loanwatch.reports.svg import line_chart

M, R, C = Kind.MONEY, Kind.RATIO, Kind.COUNT
SHOWN = (("loans", C), ("outstanding", M), ("m1_balance", M), ("m1_rate_balance", R),
         ("m3_balance", M), ("m3_rate_balance", R), ("m4_balance", M), ("m4_rate_balance", R),
         ("npl_balance", M), ("npl_ratio", R), ("loss_allowance", M), ("provision_coverage", R),
         ("provision_ratio", R), ("stage2_balance", M), ("stage3_balance", M))
TREND = ("m1_rate_balance", "m3_rate_balance", "m4_rate_balance", "npl_ratio")


def calculate(ctx: Context) -> dict[str, Any]:
    before = rf.whole_book(ctx.reader, ctx.start)
    return {"now": rf.whole_book(ctx.reader, ctx.as_of), "before": before,
            "trend": rf.trend(ctx.reader, ctx.as_of)}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    now, before = result["now"] or {}, result["before"]
    items = [Figure(k, ctx.t(k), kind, now.get(k), before.get(k) if before else None,
                    difference(now.get(k), before.get(k)) if before else None)
             for k, kind in SHOWN]
    blocks: list[Block] = [Figures("summary-figures", items, f"{ctx.t('before')} {ctx.start}")]
    if before is None:
        blocks.append(Note(ctx.t("missing").format(mart="portfolio_metrics", day=ctx.start),
                           missing=True))
    trend = result["trend"]
    if len(trend) > 1:
        blocks.append(Chart(line_chart(
            [str(r["as_of"])[:7] for r in trend], [(ctx.t(k), [r[k] for r in trend]) for k in TREND],
            title=ctx.pick(("逾期率与不良率趋势（按余额）", "Overdue and NPL rates (balance)")))))
    return blocks


SECTION = Section("summary", ("摘要", "Summary"), ("portfolio_metrics",), calculate, render)
