"""预警 Early warnings of the period: alerts new, closed and open by severity, the signals
with the most open alerts (titles from the catalogue) and the largest exposures of
borrowers at a high or critical warning level.

Closing an alert with a disposition (resolved, false positive, escalated) is people's work
kept in the operational store; the marts know only that a condition ended, so the closed
column counts those and a note says so."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_findings as rf
from loanwatch.policy.signals import GROUP_TITLES
from loanwatch.policy.vocabulary import Severity
from loanwatch.reports.document import Block, Kind, Note
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


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    titles = signal_titles(ctx.policy)
    groups = {g.value: zh_en for g, zh_en in GROUP_TITLES.items()}
    blocks: list[Block] = [
        ctx.table("alerts", ctx.pick(("预警数量 — 按严重程度", "Alerts by severity")),
                  (("severity", Kind.TEXT), ("new", C), ("closed", C), ("open", C)),
                  [ctx.words(r, "severity") for r in by_severity(result["counts"])]),
        Note(ctx.pick(("按处置结果（已解决、误报、升级）关闭的预警记录在业务库中，本报告暂不列示；"
                       "“本期关闭”为预警条件消失的数量。",
                       "Closures by disposition (resolved, false positive, escalated) are kept in "
                       "the operational store and not shown here; 'closed' counts alerts whose "
                       "condition ended.")))]
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
