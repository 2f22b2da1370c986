"""预警 Early warnings of the period: alerts new, closed and open by severity, the signals
with the most open alerts (titles from the catalogue) and the largest exposures of
borrowers at a high or critical warning level.

Closing an alert with a disposition (resolved, false positive, escalated) is people's work
kept in the operational store: the caller reads it (services/report_workflow.py) and passes
it in; the marts know only that a condition ended, which the severity table's closed column
counts."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_findings as rf
from loanwatch.policy.signals import GROUP_TITLES
from loanwatch.policy.vocabulary import Severity
from loanwatch.reports.document import Block, Kind
from loanwatch.reports.section import Context, Section
from loanwatch.rules.catalogue import signal_titles

C = Kind.COUNT
SEVERITIES = tuple(s.value for s in sorted(Severity, key=lambda s: -s.rank))


def calculate(ctx: Context) -> dict[str, Any]:
    r, day = ctx.reader, ctx.as_of
    return {"counts": rf.alert_counts(r, ctx.start, day),
            "signals": rf.top_signals(r, ctx.start, day),
            "exposures": rf.exposures_under_warning(r, day)
            if r.has("warning_levels", day) and r.has("loan_snapshot", day) else None}


def by_severity(counts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per severity, worst first, and the total."""
    found = {r["severity"]: r for r in counts}
    rows = [{"severity": s, **{k: found.get(s, {}).get(k, 0) for k in ("new", "closed", "open")}}
            for s in SEVERITIES if s in found]
    return rows + [{"severity": "total", "_total": True, **{k: sum(r[k] for r in rows)
                                            for k in ("new", "closed", "open")}}]


def dispositions(ctx: Context) -> list[Block]:
    """Alerts people closed in the period by disposition, and how many of them late (the
    operational store's figures)."""
    if ctx.workflow is None:
        return [ctx.no_store()]
    rows = [ctx.words(r, "disposition") for r in ctx.workflow.dispositions]
    total = {"disposition": ctx.t("total"), "_total": True,
             **{k: sum(r[k] for r in ctx.workflow.dispositions) for k in ("alerts_closed",
                                                                         "breached")}}
    return [ctx.table("dispositions", ctx.pick(("本期处置关闭的预警 — 按处置结果",
                                                "Alerts closed in the period by disposition")),
                      (("disposition", Kind.TEXT), ("alerts_closed", C), ("breached", C)),
                      [*rows, total])]


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    titles = signal_titles(ctx.policy)
    groups = {g.value: zh_en for g, zh_en in GROUP_TITLES.items()}
    blocks: list[Block] = [
        ctx.table("alerts", ctx.pick(("预警数量 — 按严重程度", "Alerts by severity")),
                  (("severity", Kind.TEXT), ("new", C), ("closed", C), ("open", C)),
                  [ctx.words(r, "severity") for r in by_severity(result["counts"])]),
        *dispositions(ctx)]
    signals = [{**r, "signal": f"{ctx.pick(titles[r['signal_id']])} ({r['signal_id']})"
                if r["signal_id"] in titles else r["signal_id"],
                "group": ctx.pick(groups[r["group"]]) if r["group"] in groups else r["group"]}
               for r in result["signals"]]
    blocks.append(ctx.table("top-signals", ctx.pick(("主要预警信号", "Top signals")),
                            (("signal", Kind.TEXT), ("group", Kind.TEXT), ("open", C), ("new", C),
                             ("borrowers", C)), signals))
    if result["exposures"] is None:
        blocks.append(ctx.missing("warning_levels") or ctx.missing("loan_snapshot"))
    else:
        blocks.append(ctx.table(
            "warned-exposures", ctx.pick(("高/严重预警客户最大敞口", "Largest exposures under warning")),
            (("customer_id", Kind.TEXT), ("level", Kind.TEXT), ("loans", C),
             ("exposure", Kind.MONEY), ("max_dpd", C), ("signals", Kind.TEXT)),
            [ctx.words(r, "level") for r in result["exposures"]]))
    return blocks


SECTION = Section("warnings", ("早期预警", "Early warnings"), ("alerts",), calculate, render)
