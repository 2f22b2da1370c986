"""账龄分析 Vintage: each disbursement month's M1+ balance rate by months on book, drawn from
the vintage rows of every stored month-end, and the cohorts' figures at the as-of date."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.reports.document import Block, Chart, Kind
from loanwatch.reports.section import Context, Section
from loanwatch.reports.svg import line_chart

COLUMNS = (("cohort", Kind.TEXT), ("mob", Kind.COUNT), ("loans", Kind.COUNT),
           ("disbursed", Kind.MONEY), ("outstanding", Kind.MONEY), ("m1_rate_balance", Kind.RATIO),
           ("m3_rate_balance", Kind.RATIO), ("write_off_rate", Kind.RATIO))
COHORTS = 8


def calculate(ctx: Context) -> dict[str, Any]:
    return {"curves": rf.vintage_curves(ctx.reader, ctx.as_of, COHORTS),
            "table": rf.vintage_table(ctx.reader, ctx.as_of)}


def curves(rows: list[dict[str, Any]], rate: str) -> tuple[list[str], list[tuple[str, list]]]:
    mobs = sorted({r["mob"] for r in rows})
    cohorts = sorted({r["cohort"] for r in rows})
    cell = {(r["cohort"], r["mob"]): r[rate] for r in rows}
    return [str(m) for m in mobs], [(c, [cell.get((c, m)) for m in mobs]) for c in cohorts]


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    blocks: list[Block] = []
    if result["curves"]:
        for rate, title in (("m1_rate_balance", ("M1+ 余额逾期率 — 按账龄（MOB）",
                                                 "M1+ balance rate by months on book")),
                            ("m3_rate_balance", ("M3+ 余额逾期率 — 按账龄（MOB）",
                                                 "M3+ balance rate by months on book"))):
            x, series = curves(result["curves"], rate)
            blocks.append(Chart(line_chart(x, series, title=ctx.pick(title))))
    blocks.append(ctx.table("vintage", ctx.pick(("各放款月份（数据日期）", "Cohorts at the as-of date")),
                            COLUMNS, result["table"]))
    return blocks


SECTION = Section("vintage", ("账龄分析", "Vintage analysis"), ("vintage",), calculate, render)
