"""催收成果 Collection results of the period: cases opened, cured and closed, promises to
pay kept and broken, the money recovered on the cases worked in the period, and the
closures by outcome — from the operational store (services/report_workflow.py)."""

from __future__ import annotations

from typing import Any

from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section

C = Kind.COUNT
RESULTS = (("cases_opened", "opened", C), ("cases_cured", "cured", C),
           ("cases_closed", "closed", C), ("promises_kept", "promises_kept", C),
           ("promises_broken", "promises_broken", C), ("cases_worked", "worked", C),
           ("recovered", "recovered", Kind.MONEY))


def calculate(ctx: Context) -> dict[str, Any] | None:
    return None if ctx.workflow is None else ctx.workflow.collections


def render(result: dict[str, Any] | None, ctx: Context) -> list[Block]:
    if result is None:
        return [ctx.no_store()]
    outcomes = [{"outcome": ctx.t(f"outcome_{o}"), "cases": n}
                for o, n in result["closed_by_outcome"].items()]
    return [
        ctx.table("collections", ctx.pick(("本期催收成果", "Collections of the period")),
                  [(label, kind) for label, _, kind in RESULTS],
                  [{label: result[key] for label, key, _ in RESULTS}],
                  ctx.pick(("已回收金额为本期在催案件自立案以来收回的金额。",
                            "Recovered: the money received on the cases worked in the period "
                            "since each opened."))),
        ctx.table("case-outcomes", ctx.pick(("本期结案 — 按结案方式", "Cases closed by outcome")),
                  (("outcome", Kind.TEXT), ("cases", C)), outcomes)]


SECTION = Section("collections", ("催收成果", "Collection results"), (), calculate, render)
