"""数据质量 Data quality of the period: the imports dated in it (rows read, loaded and
quarantined per table), the quarantine's reasons, and — when the caller measured them
(``loanwatch quality``) — null rates, freshness and referential gaps of the tables."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_findings as rf
from loanwatch.reports.document import Block, Kind, Note
from loanwatch.reports.section import Context, Section

C, T = Kind.COUNT, Kind.TEXT


def calculate(ctx: Context) -> dict[str, Any]:
    return {"imports": rf.imports_in_period(ctx.reader, ctx.start, ctx.as_of),
            "reasons": rf.quarantine_reasons(ctx.reader, ctx.start, ctx.as_of),
            "quality": ctx.quality}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    blocks: list[Block] = [ctx.table(
        "imports", ctx.pick(("本期导入", "Imports of the period")),
        (("import_id", C), ("as_of", Kind.DATE), ("table", T), ("rows_read", C),
         ("rows_loaded", C), ("rows_quarantined", C)),
        [{**r, "table": r["table_name"]} for r in result["imports"]])]
    if result["reasons"]:
        blocks.append(ctx.table("quarantine", ctx.pick(("隔离原因", "Quarantine reasons")),
                                (("table", T), ("column", T), ("reason", T), ("rows", C)),
                                [{**r, "table": r["table_name"], "column": r["column_name"]}
                                 for r in result["reasons"]]))
    quality = result["quality"]
    if quality is None:
        blocks.append(Note(ctx.pick(("未提供各表的空值率与引用缺口（loanwatch quality）。",
                                     "Null rates and referential gaps were not measured "
                                     "(loanwatch quality)."))))
        return blocks
    blocks.append(ctx.table("table-quality", ctx.pick(("各表数据质量", "Tables")),
                            (("table", T), ("rows", C), ("latest", T), ("null_rates", T)),
                            quality.tables))
    gaps = [{**g, "gap": ctx.pick((GAPS_ZH.get(g.get("key", ""), g["gap"]), g["gap"]))}
            for g in quality.gaps]
    blocks.append(ctx.table("gaps", ctx.pick(("引用缺口", "Referential gaps")),
                            (("gap", T), ("rows", C)), gaps))
    return blocks


#: the referential gaps of ``loanwatch quality`` (ingest/quality.py ``GAPS``) in Chinese
GAPS_ZH = {
    "loans_without_schedule": "无还款计划的借据",
    "entrusted_without_contract": "无交易合同的受托支付借据",
    "contracts_without_invoice": "无有效发票的合同",
    "enterprises_without_financials": "无财务报表的企业借款人",
    "individuals_without_income": "无收入记录的个人借款人",
    "borrowers_without_bureau": "无征信报告的借款人",
    "collaterals_without_valuation": "从未重估的抵质押物",
}


SECTION = Section("quality", ("数据质量", "Data quality"), (), calculate, render)
