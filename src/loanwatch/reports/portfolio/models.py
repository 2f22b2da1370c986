"""模型监控 Model monitoring, when a behavioural model is the champion: the PSI of its score
and the CSI of its features against the development sample (``model_monitoring``), and the
borrowers it scored by grade (``scores``)."""

from __future__ import annotations

from typing import Any

from loanwatch.batch import report_findings as rf
from loanwatch.reports.document import Block, Kind, Note
from loanwatch.reports.section import Context, Section

T = Kind.TEXT


def calculate(ctx: Context) -> dict[str, Any]:
    r, day = ctx.reader, ctx.as_of
    return {"monitoring": rf.model_monitoring(r, day) if r.has("model_monitoring", day) else [],
            "scores": rf.score_summary(r, day) if r.has("scores", day) else []}


def render(result: dict[str, Any], ctx: Context) -> list[Block]:
    if not result["monitoring"] and not result["scores"]:
        return [Note(ctx.pick(("本期没有冠军模型评分（loanwatch model promote）。",
                               "No champion model scored this period (loanwatch model promote).")))]
    rows = [{**r, "drift": ctx.t("yes" if r["drift"] else "no")} for r in result["monitoring"]]
    return [ctx.table("model-monitoring", ctx.pick(("模型稳定性（PSI / CSI）", "Stability (PSI / CSI)")),
                      (("model_id", T), ("measure", T), ("value", Kind.NUMBER), ("level", T),
                       ("drift", T)), rows),
            ctx.table("scores", ctx.pick(("评分分布 — 按等级", "Scores by grade")),
                      (("grade", Kind.COUNT), ("borrowers", Kind.COUNT), ("score", Kind.NUMBER),
                       ("pd", Kind.RATIO)), result["scores"])]


SECTION = Section("models", ("模型监控", "Model monitoring"), (), calculate, render)
