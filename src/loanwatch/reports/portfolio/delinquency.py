"""逾期 Delinquency: M1+/M3+/M4+ overdue rates by count and balance, for the whole book and
by product, branch and industry (``portfolio_metrics``)."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.reports.document import Block, Chart, Kind
from loanwatch.reports.formats import show
from loanwatch.reports.section import Context, Section
from loanwatch.reports.svg import hbar_chart

DIMENSIONS = ("product", "branch_id", "industry")
M, R, C = Kind.MONEY, Kind.RATIO, Kind.COUNT
COLUMNS = (("segment", Kind.TEXT), ("loans", C), ("outstanding", M), ("m1_rate_count", R),
           ("m1_rate_balance", R), ("m3_rate_count", R), ("m3_rate_balance", R),
           ("m4_rate_count", R), ("m4_rate_balance", R))


def calculate(ctx: Context) -> dict[str, Any]:
    return {d: rf.segments(ctx.reader, ctx.as_of, d) for d in DIMENSIONS}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    blocks: list[Block] = []
    for dim in DIMENSIONS:
        found = [{**r, "segment": ctx.code(dim, r["segment"]) or "—"} for r in result[dim]]
        title = ctx.pick(("逾期率 — 按", "Overdue rates by ")) + ctx.t(dim).lower()
        blocks.append(ctx.table(f"delinquency-{dim}", title, COLUMNS, found))
    products = result["product"]
    if products:
        blocks.append(Chart(hbar_chart(
            [ctx.code("product", r["segment"]) or "—" for r in products],
            [r["m1_rate_balance"] or 0 for r in products],
            title=ctx.pick(("M1+ 逾期率（余额）— 按产品", "M1+ rate (balance) by product")),
            value_text=[show(r["m1_rate_balance"], R) for r in products], width=680)))
    return blocks


SECTION = Section("delinquency", ("逾期情况", "Delinquency"), ("portfolio_metrics",),
                  calculate, render)
