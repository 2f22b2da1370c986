"""贷后任务 The borrower's post-loan tasks and what they found (from the operational store, which
the caller reads: ``Context.borrower_tasks``)."""

from __future__ import annotations

from typing import Any

from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section

COLUMNS = (("task_kind", Kind.TEXT), ("task_status", Kind.TEXT), ("due_on", Kind.DATE),
           ("owner", Kind.TEXT), ("finished_on", Kind.DATE), ("findings", Kind.TEXT))


def _calculate(ctx: Context) -> list[dict[str, Any]] | None:
    return ctx.borrower_tasks


def _render(tasks: list[dict[str, Any]] | None, ctx: Context) -> list[Block]:
    if tasks is None:
        return [ctx.no_store()]
    rows = [{**t, "task_kind": ctx.code("task_kind", t["kind"]),
             "task_status": ctx.code("task_status", t["status"])} for t in tasks]
    return [ctx.table("tasks", ctx.pick(("检查、核对与评级任务", "Inspections, confirmations and ratings")),
                      COLUMNS, rows)]


TASKS = Section("tasks", ("贷后任务与检查发现", "Post-loan tasks and findings"), (), _calculate,
                _render)
