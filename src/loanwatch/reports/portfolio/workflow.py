"""贷后工作 Workflow health at the as-of date: inspections (first, periodic, triggered) and
debt confirmations overdue by branch, and alerts past their service level, by severity —
from the operational store, which the caller read (services/report_workflow.py)."""

from __future__ import annotations

from typing import Any

from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section

C = Kind.COUNT
TASK_KINDS = ("first_inspection", "periodic_inspection", "triggered_inspection",
              "debt_confirmation")
SLA_COUNTS = ("alerts_closed", "closed_late", "open", "open_breached")


def calculate(ctx: Context) -> dict[str, Any] | None:
    if ctx.workflow is None:
        return None
    return {"overdue": ctx.workflow.overdue, "sla": ctx.workflow.sla}


def with_total(rows: list[dict[str, Any]], key: str, label: str, counts: tuple[str, ...]
               ) -> list[dict[str, Any]]:
    return [*rows, {key: label, "_total": True, **{k: sum(r[k] for r in rows) for k in counts}}]


def render(result: dict[str, Any] | None, ctx: Context) -> list[Block]:
    if result is None:
        return [ctx.no_store()]
    overdue = with_total(list(result["overdue"]), "branch_id", ctx.t("total"),
                         (*TASK_KINDS, "total"))
    sla = with_total([ctx.words(r, "severity") for r in result["sla"]], "severity",
                     ctx.t("total"), SLA_COUNTS)
    return [
        ctx.table("overdue-work", ctx.pick(("逾期未完成的检查与债权核对 — 按机构",
                                            "Overdue inspections and debt confirmations by branch")),
                  (("branch_id", Kind.TEXT), *((k, C) for k in TASK_KINDS), ("total", C)),
                  overdue, ctx.pick(("截至数据日期已过期限、当日未完成的任务。",
                                     "Tasks past their due date and not finished by the end "
                                     "of the as-of date."))),
        ctx.table("sla", ctx.pick(("预警处置时效（SLA）— 按严重程度", "Alert SLA by severity")),
                  (("severity", Kind.TEXT), *((k, C) for k in SLA_COUNTS)), sla)]


SECTION = Section("workflow", ("贷后工作执行情况", "Workflow health"), (), calculate, render)
