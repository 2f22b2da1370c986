"""五级分类与不良 Classification and NPL: loans, balance and ECL by class, and the migration
matrix of the classes a month before against their state now (``class_migration``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.policy.vocabulary import FiveClass
from loanwatch.reports.document import Block, Chart, Column, Kind, Table
from loanwatch.reports.formats import show
from loanwatch.reports.section import Context, Section
from loanwatch.reports.svg import hbar_chart

CLASSES = tuple(c.value for c in FiveClass)
STATES = (*CLASSES, "settled", "written_off")
#: the migration matrices shown: (table id, class_migration column, kind, titles)
MATRICES = (("balance", "balance_before", Kind.MONEY,
             ("五级分类迁徙矩阵（期初余额，元）", "Class migration (balance before, yuan)")),
            ("loans", "loans", Kind.COUNT, ("五级分类迁徙矩阵（笔数）", "Class migration (loans)")))


def calculate(ctx: Context) -> dict[str, Any]:
    migration = rf.class_migration(ctx.reader, ctx.as_of) \
        if ctx.reader.has("class_migration", ctx.as_of) else None
    return {"classes": rf.class_distribution(ctx.reader, ctx.as_of), "migration": migration}


def with_shares(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    total = sum((r["balance"] or Decimal(0) for r in rows), Decimal(0))
    return [{**r, "share": float(r["balance"] or 0) / float(total) if total else None}
            for r in rows]


def matrix(rows: list[dict[str, Any]], value: str) -> tuple[list[dict[str, Any]], list[str]]:
    """One row per class a month before, one column per state now, of ``value``."""
    cell = {(r["from_class"], r["to_state"]): r[value] for r in rows}
    states = [s for s in STATES if any(k[1] == s for k in cell)] or list(CLASSES)
    return [{"from": c, **{s: cell.get((c, s), 0) for s in states}}
            for c in CLASSES if any(k[0] == c for k in cell)], states


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    classes = with_shares(result["classes"])
    blocks: list[Block] = [ctx.table(
        "classes", ctx.pick(("五级分类分布", "Loans by class")),
        (("five_class", Kind.TEXT), ("loans", Kind.COUNT), ("balance", Kind.MONEY),
         ("share", Kind.RATIO), ("ecl", Kind.MONEY)),
        [ctx.words(r, "five_class") for r in classes])]
    blocks.append(Chart(hbar_chart(
        [ctx.t(r["five_class"]) for r in classes], [float(r["balance"] or 0) for r in classes],
        title=ctx.pick(("各类贷款余额（元）", "Balance by class (yuan)")),
        value_text=[show(r["balance"], Kind.MONEY) for r in classes],
        marked=[r["five_class"] in CLASSES[2:] for r in classes], width=680)))
    if result["migration"] is None:
        blocks.append(ctx.missing("class_migration"))
        return blocks
    for name, value, kind, title in MATRICES:
        rows, states = matrix(result["migration"], value)
        cols = [Column("from", ctx.t("from")), *(Column(s, ctx.t(s), kind) for s in states)]
        blocks.append(Table(f"class-migration-{name}", ctx.pick(title), cols,
                            [{**r, "from": ctx.t(r["from"])} for r in rows]))
    return blocks


SECTION = Section("classification", ("五级分类与不良贷款", "Five-level classification and NPL"),
                  ("classification",), calculate, render)
