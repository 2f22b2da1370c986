"""IFRS 9 阶段与预期信用损失 Stages, ECL and provisions: loans, balance, EAD and ECL by stage
(``classification``), and the allowance against the NPL balance and the regulator's floor
(``portfolio_metrics``)."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.reports.document import Block, Figure, Figures, Kind
from loanwatch.reports.section import Context, Section

M, R = Kind.MONEY, Kind.RATIO
COLUMNS = (("stage", Kind.TEXT), ("loans", Kind.COUNT), ("balance", M), ("ead", M), ("ecl", M),
           ("coverage", R))
PROVISIONS = (("loss_allowance", M), ("npl_balance", M), ("provision_coverage", R),
              ("provision_ratio", R), ("provision_shortfall", M))


def calculate(ctx: Context) -> dict[str, Any]:
    return {"stages": rf.stages(ctx.reader, ctx.as_of),
            "book": rf.whole_book(ctx.reader, ctx.as_of)}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    stage_names = {1: ("第一阶段", "Stage 1"), 2: ("第二阶段", "Stage 2"), 3: ("第三阶段", "Stage 3")}
    rows = [{**r, "stage": ctx.pick(stage_names.get(r["stage"], (str(r["stage"]),) * 2))}
            for r in result["stages"]]
    blocks: list[Block] = [ctx.table("stages", ctx.pick(("IFRS 9 阶段与预期信用损失",
                                                          "IFRS 9 stages and ECL")), COLUMNS, rows)]
    book = result["book"]
    if book is None:
        blocks.append(ctx.missing("portfolio_metrics"))
    else:
        blocks.append(Figures("provisions", [Figure(k, ctx.t(k), kind, book[k])
                                             for k, kind in PROVISIONS]))
    return blocks


SECTION = Section("ifrs9", ("IFRS 9 阶段、预期信用损失与拨备", "IFRS 9 stages, ECL and provisions"),
                  ("classification",), calculate, render)
