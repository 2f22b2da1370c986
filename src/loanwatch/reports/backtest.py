"""The backtest report (回测报告): one self-contained HTML page with the table per rule, the
goals, and charts of recall and lift, in Chinese or English."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from html import escape

from loanwatch.batch.backtest import Backtest
from loanwatch.policy.signals import GROUP_TITLES
from loanwatch.reports.svg import hbar_chart
from loanwatch.rules.backtest import ALL_EARLY, ANY_GROUP, HIGH_EARLY, NAIVE, SUMMARY_RULES

SUMMARY_TITLES = {
    HIGH_EARLY: ("高/严重早期预警等级", "High or critical early-warning level"),
    ALL_EARLY: ("全部早期预警信号", "Any early-warning signal"),
    NAIVE: ("朴素规则：逾期 ≥ 1 天", "Naïve rule: DPD ≥ 1"),
}


@dataclass(frozen=True)
class Goals:
    """What the whole catalogue should reach (issue 6), judged on the ``HIGH-EARLY`` row."""

    min_recall: float = 0.60
    min_lift: float = 5.0
    max_new_per_1000: float = 20.0


TEXT = {
    "zh": {
        "title": "预警回测报告", "period": "回测区间", "months": "个月末", "outcome": "结果观察截至",
        "policy": "策略版本", "window": "预警窗口：首次未还款日前 {a}–{b} 天；违约：首次逾期超过 90 天",
        "rule": "规则", "defaults": "违约笔数", "warned": "提前预警", "recall": "召回率",
        "lead": "提前天数中位数", "flagged": "预警户月", "precision": "精确率",
        "base": "基准违约率", "lift": "提升度", "new": "新增/千笔/月", "open": "在册/千笔/月",
        "goals": "目标（高/严重等级）", "met": "达成", "missed": "未达成",
        "chart_recall": "召回率（首次未还款前 30 天以上）", "chart_lift": "提升度",
        "per_signal": "各信号", "summary": "总体与对照", "by_scenario": "按违约情景的召回率",
        "scenario": "情景", "no_scenario": "无前兆（突发或一般违约）",
        "detection": "注入情景的识别率（真实案例）与误报（良性相似案例）",
        "detection_note": "追溯起 180 天内（真实案例在违约开始前）借款人在任一月末有该组"
                          "未关闭预警的案例占比。",
        "role": "案例", "cases": "案例数", "real": "真实", "benign": "良性相似", "any": "任一组",
        "notes": "说明：精确率与提升度只计结果窗口完整的月份；新增量为当月新被预警的借款人数每千笔在贷贷款；"
                 "早期预警不含 REPAY-OVERDUE。",
    },
    "en": {
        "title": "Early-warning backtest", "period": "Period", "months": "month-ends",
        "outcome": "Outcomes observed until", "policy": "Policy version",
        "window": "Warning window: {a}–{b} days before the first miss; default: first DPD > 90",
        "rule": "Rule", "defaults": "Defaults", "warned": "Warned early", "recall": "Recall",
        "lead": "Median lead (days)", "flagged": "Flagged borrower-months",
        "precision": "Precision", "base": "Base rate", "lift": "Lift",
        "new": "New /1,000 loans /month", "open": "Open /1,000 loans /month",
        "goals": "Goals (high/critical level)", "met": "met", "missed": "missed",
        "chart_recall": "Recall (≥ 30 days before the first miss)", "chart_lift": "Lift",
        "per_signal": "Per signal", "summary": "Overall and baseline",
        "by_scenario": "Recall by default scenario", "scenario": "Scenario",
        "no_scenario": "no trace (sudden or ordinary default)",
        "detection": "Injected scenarios: detected (real cases) and false alarms (benign look-alikes)",
        "detection_note": "Share of cases whose borrower had an open alert of the group at a "
                          "month-end within 180 days of the trace (real cases: before the "
                          "default began).",
        "role": "Case", "cases": "Cases", "real": "real", "benign": "look-alike", "any": "any group",
        "notes": "Precision and lift count only months whose outcome window is complete; volume "
                 "is borrowers newly flagged per 1,000 active loans a month; early warnings "
                 "exclude REPAY-OVERDUE.",
    },
}


def pct(v: object) -> str:
    return "—" if v is None else f"{float(v) * 100:.1f}%"  # type: ignore[arg-type]


def num(v: object, digits: int = 1) -> str:
    return "—" if v is None else f"{float(v):,.{digits}f}"  # type: ignore[arg-type]


def goal_checks(row: Mapping[str, object] | None, goals: Goals) -> list[tuple[str, str, bool]]:
    """(measure, goal text, met) for the high/critical row."""
    if row is None:
        return []
    recall, lift, new = row.get("recall"), row.get("lift"), row.get("new_per_1000")
    return [
        ("recall", f"≥ {goals.min_recall:.0%}", recall is not None and recall >= goals.min_recall),  # type: ignore[operator]
        ("lift", f"≥ {goals.min_lift:g}", lift is not None and lift >= goals.min_lift),  # type: ignore[operator]
        ("new", f"≤ {goals.max_new_per_1000:g}", new is not None and new <= goals.max_new_per_1000),  # type: ignore[operator]
    ]


def ordered(rows: Sequence[Mapping[str, object]]) -> list[Mapping[str, object]]:
    """The summary rules first, then the signals by recall, best first."""
    by_rule = {r["rule"]: r for r in rows}
    head = [by_rule[r] for r in SUMMARY_RULES if r in by_rule]
    rest = sorted((r for r in rows if r["rule"] not in SUMMARY_TITLES),
                  key=lambda r: (-(r["recall"] or 0.0), r["rule"]))  # type: ignore[operator]
    return head + rest


def _group(name: str, t: Mapping[str, str]) -> str:
    """A signal group's title in the report's language (a bank's own group: its name)."""
    titles = {g.value: zh_en for g, zh_en in GROUP_TITLES.items()}
    return titles[name][0 if t is TEXT["zh"] else 1] if name in titles else name


def detection_table(rows: Sequence[Mapping[str, object]], t: Mapping[str, str]) -> str:
    """Per injected scenario and role (rows), the share picked out by each signal group
    (columns, ``any`` first)."""
    if not rows:
        return ""
    groups = sorted({str(x["group"]) for x in rows}, key=lambda g: (g != ANY_GROUP, g))
    cell = {(x["scenario"], x["role"], x["group"]): x for x in rows}
    keys = sorted({(x["scenario"], x["role"], x["cases"]) for x in rows},
                  key=lambda k: (str(k[0]), k[1] != "real"))
    head = "".join(f"<th>{escape(t['any'] if g == ANY_GROUP else _group(g, t))}</th>"
                   for g in groups)
    body = "".join(
        f"<tr><td>{escape(str(s))}</td><td>{escape(t.get(str(r), str(r)))}</td>"
        f"<td class=\"n\">{n}</td>"
        + "".join(f"<td class=\"n\">{pct(cell[(s, r, g)]['share']) if (s, r, g) in cell else '—'}"
                  "</td>" for g in groups) + "</tr>"
        for s, r, n in keys)
    return (f"<h2>{escape(t['detection'])}</h2><table><thead><tr><th>{escape(t['scenario'])}</th>"
            f"<th>{escape(t['role'])}</th><th>{escape(t['cases'])}</th>{head}</tr></thead>"
            f"<tbody>{body}</tbody></table><p>{escape(t['detection_note'])}</p>")


def scenario_table(rows: Sequence[Mapping[str, object]], t: Mapping[str, str],
                   label: Callable[[str], str]) -> str:
    """Recall of each summary rule (columns) per scenario (rows), with the defaults."""
    if not rows:
        return ""
    rules = [r for r in SUMMARY_RULES if any(x["rule"] == r for x in rows)]
    cell = {(x["scenario"], x["rule"]): x for x in rows}
    scenarios = sorted({x["scenario"] for x in rows},
                       key=lambda s: (-int(cell[(s, rules[0])]["defaults"]), str(s)))  # type: ignore[call-overload]
    head = "".join(f"<th>{escape(label(r))}</th>" for r in rules)
    body = "".join(
        f"<tr><td>{escape(str(s) if s is not None else t['no_scenario'])}</td>"
        f"<td class=\"n\">{cell[(s, rules[0])]['defaults']}</td>"
        + "".join(f"<td class=\"n\">{pct(cell[(s, r)]['recall'])}</td>" for r in rules) + "</tr>"
        for s in scenarios)
    return (f"<h2>{escape(t['by_scenario'])}</h2><table><thead><tr><th>{escape(t['scenario'])}"
            f"</th><th>{escape(t['defaults'])}</th>{head}</tr></thead><tbody>{body}</tbody></table>")


def render(bt: Backtest, lang: str = "zh", goals: Goals = Goals()) -> str:
    t = TEXT[lang]
    names = {**bt.titles, **SUMMARY_TITLES}

    def label(rule: str) -> str:
        zh_en = names.get(rule)
        return f"{zh_en[0 if lang == 'zh' else 1]} ({rule})" if zh_en else rule

    rows = ordered(bt.rows)
    high = next((r for r in rows if r["rule"] == HIGH_EARLY), None)
    cols = ("defaults", "warned", "recall", "lead", "flagged", "precision", "base", "lift", "new",
            "open")
    head = "".join(f"<th>{escape(t[c])}</th>" for c in ("rule", *cols))

    def tr(r: Mapping[str, object]) -> str:
        cells = [num(r["defaults"], 0), num(r["warned"], 0), pct(r["recall"]),
                 num(r["median_lead_days"], 0), num(r["flagged"], 0), pct(r["precision"]),
                 pct(r["base_rate"]), num(r["lift"], 2), num(r["new_per_1000"], 2),
                 num(r["open_per_1000"], 2)]
        cls = ' class="summary"' if r["rule"] in SUMMARY_TITLES else ""
        return (f"<tr{cls}><td>{escape(label(str(r['rule'])))}</td>"
                + "".join(f'<td class="n">{c}</td>' for c in cells) + "</tr>")

    checks = "".join(
        f"<li>{escape(t[m])} {escape(g)}: <b class=\"{'ok' if ok else 'no'}\">"
        f"{escape(t['met'] if ok else t['missed'])}</b></li>"
        for m, g, ok in goal_checks(high, goals))
    labels = [label(str(r["rule"])) for r in rows]
    marked = [r["rule"] == NAIVE for r in rows]
    recall_chart = hbar_chart(labels, [r["recall"] for r in rows], title=t["chart_recall"],  # type: ignore[misc]
                              value_text=[pct(r["recall"]) for r in rows], marked=marked,
                              goal=goals.min_recall, goal_text=f"{goals.min_recall:.0%}")
    lift_chart = hbar_chart(labels, [r["lift"] for r in rows], title=t["chart_lift"],  # type: ignore[misc]
                            value_text=[num(r["lift"], 2) for r in rows], marked=marked,
                            goal=goals.min_lift, goal_text=f"{goals.min_lift:g}")
    w = bt.window
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{escape(t['title'])}</title>
<style>
body {{ font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; margin: 24px; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; }}
th {{ background: #eef2f7; }}
td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}
tr.summary td {{ font-weight: bold; background: #f8f8f0; }}
.ok {{ color: #2e7d32; }} .no {{ color: #c62828; }}
</style></head><body>
<h1>{escape(t['title'])}</h1>
<p>{escape(t['period'])}: {bt.month_ends[0]} … {bt.month_ends[-1]}
({len(bt.month_ends)} {escape(t['months'])});
{escape(t['outcome'])} {bt.outcome_end}; {escape(t['policy'])} {escape(bt.policy_version)}<br>
{escape(t['window'].format(a=w.latest_days, b=w.earliest_days))}</p>
<h2>{escape(t['goals'])}</h2><ul>{checks}</ul>
<table><thead><tr>{head}</tr></thead><tbody>
{''.join(tr(r) for r in rows)}
</tbody></table>
<p>{escape(t['notes'])}</p>
{scenario_table(bt.by_scenario, t, label)}
{detection_table(bt.detection, t)}
<div>{recall_chart}</div>
<div>{lift_chart}</div>
</body></html>
"""
