"""The borrower's risk: indicators, signals with their evidence, class and rating history,
collateral and guarantors (客户指标、预警信号、分类评级历史、担保)."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import borrower_file as bf
from loanwatch.domain.indicators import INDICATORS, IndicatorKind
from loanwatch.reports.document import Block, Column, Kind, Table
from loanwatch.reports.formats import show
from loanwatch.reports.section import Context, Section
from loanwatch.rules.catalogue import signal_titles

M, C, R, T, D = Kind.MONEY, Kind.COUNT, Kind.RATIO, Kind.TEXT, Kind.DATE
#: ratios that are multiples, not shares: shown as 1.25, not 125%
MULTIPLES = {"current_ratio", "debt_burden_ratio"}
KINDS = {IndicatorKind.RATIO: R, IndicatorKind.MONEY: M, IndicatorKind.COUNT: C,
         IndicatorKind.FLAG: T}
WORDS = {"indicator": ("指标", "Indicator"), "value": ("数值", "Value"),
         "opened_on": ("首次预警", "Opened"), "closed_on": ("关闭", "Closed"),
         "evidence": ("证据", "Evidence"), "actions": ("建议措施", "Actions"),
         "as_of": ("日期", "Date"), "grade": ("等级", "Grade"), "reasons": ("依据", "Reasons"),
         "dpd": ("逾期天数", "DPD"), "score": ("评分", "Score"), "pd_12m": ("12个月PD", "12-month PD"),
         "pd_source": ("PD 来源", "PD source"), "collateral_id": ("押品编号", "Collateral"),
         "kind": ("类型", "Kind"), "description": ("描述", "Description"),
         "appraised_value": ("评估价值", "Appraised"), "latest_value": ("最新估值", "Latest value"),
         "valued_on": ("估值日期", "Valued on"), "guarantee_id": ("保证编号", "Guarantee"),
         "guarantor": ("保证人", "Guarantor"), "guarantor_name": ("保证人名称", "Name")}


def _cols(ctx: Context, spec) -> list[Column]:
    return [Column(k, ctx.pick(WORDS[k]) if k in WORDS else ctx.t(k), kind) for k, kind in spec]


def _indicators(ctx: Context) -> dict[str, Any]:
    return {"row": bf.indicators(ctx.reader, ctx.subject, ctx.as_of)}


def _render_indicators(result: dict[str, Any], ctx: Context) -> list[Block]:
    row = result["row"]
    if row is None:
        return [ctx.missing("indicators") or Table("indicators", "", _cols(ctx, ()), [])]
    rows = []
    for i in INDICATORS:
        value = row.get(i.name)
        if value is None:
            continue
        kind = Kind.NUMBER if i.name in MULTIPLES else KINDS[i.kind]
        if i.kind is IndicatorKind.FLAG:
            value = ctx.t("yes" if value else "no")
        rows.append({"indicator": ctx.pick((i.label_zh, i.label_en)), "value": show(value, kind)})
    return [Table("indicators", "", _cols(ctx, (("indicator", T), ("value", T))), rows)]


INDICATORS_SECTION = Section("indicators", ("客户指标", "Indicators"), (), _indicators,
                             _render_indicators)


def _signals(ctx: Context) -> dict[str, Any]:
    return {"alerts": bf.alerts(ctx.reader, ctx.subject, ctx.as_of)}


def _render_signals(result: dict[str, Any], ctx: Context) -> list[Block]:
    titles = signal_titles(ctx.policy)
    status = {"open": ("未关闭", "open"), "closed": ("已关闭", "closed")}
    rows = [{**ctx.words(a, "severity"), "status": ctx.pick(status.get(a["status"], (a["status"],) * 2)),
             "signal": f"{ctx.pick(titles[a['signal_id']])} ({a['signal_id']})"
             if a["signal_id"] in titles else a["signal_id"]} for a in result["alerts"]]
    return [Table("signals", "", _cols(ctx, (("signal", T), ("severity", T), ("loan_id", T),
                                             ("status", T), ("opened_on", D), ("evidence", T),
                                             ("actions", T))), rows)]


SIGNALS = Section("signals", ("预警信号与证据", "Signals and evidence"), ("alerts",), _signals,
                  _render_signals)


def _history(ctx: Context) -> dict[str, Any]:
    return {"classes": bf.class_history(ctx.reader, ctx.subject, ctx.as_of),
            "ratings": bf.rating_history(ctx.reader, ctx.subject, ctx.as_of)}


def _render_history(result: dict[str, Any], ctx: Context) -> list[Block]:
    return [Table("class-history", ctx.pick(("五级分类历史（月末）", "Class history (month-ends)")),
                  _cols(ctx, (("as_of", D), ("loan_id", T), ("five_class", T), ("grade", T),
                              ("stage", C), ("dpd", C), ("reasons", T))),
                  [ctx.words(x, "five_class") for x in result["classes"]]),
            Table("rating-history", ctx.pick(("内部评级历史", "Rating history")),
                  _cols(ctx, (("as_of", D), ("grade", C), ("score", C), ("pd_12m", R),
                              ("pd_source", T))), result["ratings"])]


HISTORY = Section("history", ("分类与评级历史", "Class and rating history"), (), _history,
                  _render_history)


def _security(ctx: Context) -> dict[str, Any]:
    return {"collaterals": bf.collaterals(ctx.reader, ctx.subject, ctx.as_of),
            "guarantors": bf.guarantors(ctx.reader, ctx.subject, ctx.as_of)}


def _render_security(result: dict[str, Any], ctx: Context) -> list[Block]:
    return [Table("collaterals", ctx.pick(("抵质押物", "Collateral")),
                  _cols(ctx, (("collateral_id", T), ("loan_id", T), ("kind", T),
                              ("description", T), ("appraised_value", M), ("latest_value", M),
                              ("valued_on", D), ("status", T))), result["collaterals"]),
            Table("guarantors", ctx.pick(("保证人", "Guarantors")),
                  _cols(ctx, (("guarantee_id", T), ("loan_id", T), ("kind", T), ("amount", M),
                              ("guarantor", T), ("guarantor_name", T))), result["guarantors"])]


SECURITY = Section("security", ("抵质押与保证", "Collateral and guarantors"), (), _security,
                   _render_security)
