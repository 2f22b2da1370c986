"""滚动率与治愈率 Roll and cure rates: of each bucket a month before, the balance that rolled
to the next bucket or worse and the balance back in M0 (``roll_rates``), the bucket
migration matrix (``migration``) and the roll rates over the stored month-ends."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_figures as rf
from loanwatch.reports.document import Block, Chart, Column, Kind, Table
from loanwatch.reports.section import Context, Section
from loanwatch.reports.svg import line_chart

COLUMNS = (("from_bucket", Kind.TEXT), ("loans_before", Kind.COUNT), ("balance_before", Kind.MONEY),
           ("rolled_forward", Kind.MONEY), ("roll_rate", Kind.RATIO), ("cured", Kind.MONEY),
           ("cure_rate", Kind.RATIO))
END_STATES = ("settled", "written_off")


def calculate(ctx: Context) -> dict[str, Any]:
    r, day = ctx.reader, ctx.as_of
    return {"rates": rf.roll_rates(r, day), "trend": rf.roll_rate_trend(r, day),
            "migration": rf.bucket_migration(r, day) if r.has("migration", day) else None}


def _order(buckets: list[str], ctx: Context) -> list[str]:
    known = [b.name for b in ctx.policy.buckets]
    return sorted(buckets, key=lambda b: (known.index(b) if b in known else len(known), b))


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    order = _order([r["from_bucket"] for r in result["rates"]], ctx)
    rates = sorted(result["rates"], key=lambda r: order.index(r["from_bucket"]))
    blocks: list[Block] = [ctx.table("roll-rates", ctx.pick(("滚动率与治愈率（按余额，环比）",
                                                            "Roll and cure rates (balance, month on month)")),
                                     COLUMNS, rates)]
    trend = result["trend"]
    months = sorted({r["as_of"] for r in trend})
    if len(months) > 1:
        buckets = _order(list({r["from_bucket"] for r in trend}), ctx)
        cell = {(r["as_of"], r["from_bucket"]): r["roll_rate"] for r in trend}
        blocks.append(Chart(line_chart(
            [str(m)[:7] for m in months],
            [(f"{b}→", [cell.get((m, b)) for m in months]) for b in buckets],
            title=ctx.pick(("各账龄滚动率趋势", "Roll rate by bucket over time")))))
    if result["migration"] is None:
        blocks.append(ctx.missing("migration"))
        return blocks
    rows = result["migration"]
    froms = _order(list({r["from_bucket"] for r in rows}), ctx)
    tos = _order([s for s in {r["to_state"] for r in rows} if s not in END_STATES], ctx) + \
        [s for s in END_STATES if any(r["to_state"] == s for r in rows)]
    cell = {(r["from_bucket"], r["to_state"]): r["balance_before"] for r in rows}
    cols = [Column("from", ctx.t("from")), *(Column(s, ctx.t(s), Kind.MONEY) for s in tos)]
    blocks.append(Table("bucket-migration", ctx.pick(("账龄迁徙矩阵（期初余额，元）",
                                                      "Bucket migration (balance before, yuan)")),
                        cols, [{"from": f, **{s: cell.get((f, s), 0) for s in tos}} for f in froms]))
    return blocks


SECTION = Section("roll_rates", ("滚动率与治愈率", "Roll rates and cure rates"), ("roll_rates",),
                  calculate, render)
