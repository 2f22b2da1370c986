"""集中度 Concentration: the ten largest borrowers (``concentration``), exposure by industry
(``portfolio_metrics``) and the related-party groups with the largest exposure
(``networks``)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from loanwatch.batch import report_figures as bf
from loanwatch.batch import report_findings as rf
from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section

M, C, R, T = Kind.MONEY, Kind.COUNT, Kind.RATIO, Kind.TEXT


def calculate(ctx: Context) -> dict[str, Any]:
    r, day = ctx.reader, ctx.as_of
    return {"top": rf.top_borrowers(r, day) if r.has("concentration", day) else None,
            "industries": bf.segments(r, day, "industry", 12)
            if r.has("portfolio_metrics", day) else None,
            "book": bf.whole_book(r, day),
            "groups": rf.related_groups(r, day) if r.has("networks", day) else None}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    blocks: list[Block] = []
    if result["top"] is None:
        blocks.append(ctx.missing("concentration"))
    else:
        blocks.append(ctx.table("top-borrowers", ctx.pick(("前十大客户", "Ten largest borrowers")),
                                (("rank", C), ("customer_id", T), ("loans", C), ("exposure", M),
                                 ("share", R), ("cumulative_share", R)), result["top"]))
    if result["industries"] is None:
        blocks.append(ctx.missing("portfolio_metrics"))
    else:
        total = (result["book"] or {}).get("outstanding") or Decimal(0)
        rows = [{"industry": r["segment"] or "—", "loans": r["loans"],
                 "outstanding": r["outstanding"],
                 "share": float(r["outstanding"]) / float(total) if total else None,
                 "npl_ratio": r["npl_ratio"]} for r in result["industries"]]
        blocks.append(ctx.table("industries", ctx.pick(("行业集中度", "Exposure by industry")),
                                (("industry", T), ("loans", C), ("outstanding", M), ("share", R),
                                 ("npl_ratio", R)), rows))
    if result["groups"] is None:
        blocks.append(ctx.missing("networks"))
    else:
        rows = [{**ctx.words(r, "worst_class"), "in_circle": ctx.t("yes" if r["in_circle"] else "no")}
                for r in result["groups"]]
        blocks.append(ctx.table("related-groups", ctx.pick(("关联集团敞口", "Related-party groups")),
                                (("group_id", T), ("members", C), ("borrowers", C), ("exposure", M),
                                 ("worst_class", T), ("in_circle", T)), rows))
    return blocks


SECTION = Section("concentration", ("集中度", "Concentration"), (), calculate, render)
