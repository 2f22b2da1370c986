"""The model validation report (模型验证报告): one self-contained HTML page (inline CSS,
charts as inline SVG, no external asset) from the plain dict the caller measured. Rendering
only: every number comes from the dict.

The dict ``v`` (keys marked * are optional; a number may be None or NaN, shown as "—")::

    {
      "model_id": str, "family": str,            # "scorecard" | "gbm"
      "training_window": str,                    # as it should read, e.g. "2023-01 – 2024-06"
      "policy_version": str,
      "samples": {                               # shown in the order train, test, out_of_time;
        "train": {                               # a sample left out is not shown
          "window"*: str,
          "summary": {"n", "bads", "bad_rate", "auc", "ks", "gini",     # metrics.summary()
                      "mean_pd"*, "note"*},
          "calibration": [{"bin", "n", "bads", "mean_pd", "bad_rate"}, ...],  # calibration_table
          "score_distribution": [{"band", "n", "share", "bads", "bad_rate"}, ...],
        },
        "test": {...}, "out_of_time": {...},
      },
      "bins": [{"feature", "bin", "count", "event_rate", "woe", "iv", "points"}, ...],
                                                 # iv: the bin's part; a feature's IV is the sum
      "score_stability"*: [{"sample", "psi", "level"}, ...],   # score PSI against train
      "stability": [{"feature", "csi", "level"}, ...],         # level: stability_level()
    }

Formats: AUC, KS, Gini, WOE, IV, PSI and CSI with 3 decimals; rates and shares as
percentages with 1 decimal; PDs in the calibration table (predicted and observed) with 2."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from loanwatch.reports.svg import BAR, FONT, MARK, hbar_chart

SAMPLES = ("train", "test", "out_of_time")
LEVELS = ("stable", "watch", "shift", "unknown")

TEXT = {
    "zh": {
        "title": "模型验证报告", "model": "模型", "family": "模型类型", "window": "训练窗口",
        "policy": "策略版本", "train": "训练集", "test": "测试集", "out_of_time": "跨时间验证集",
        "discrimination": "区分能力", "sample": "样本", "n": "样本数", "bads": "坏样本数",
        "bad_rate": "坏样本率", "mean_pd": "平均预测 PD", "auc": "AUC", "ks": "KS",
        "gini": "Gini", "note": "说明", "calibration": "校准（按预测 PD 十分位）", "bin": "分组",
        "predicted": "预测 PD", "observed": "实际坏样本率", "distribution": "评分分布",
        "band": "分数段", "share": "占比", "bins": "分箱与 IV", "feature": "变量",
        "count": "样本数", "event_rate": "坏样本率", "woe": "WOE", "iv": "IV", "points": "分值",
        "iv_chart": "各变量 IV", "stability": "稳定性（PSI / CSI）", "score_psi": "评分 PSI（对比训练集）",
        "csi": "CSI", "psi": "PSI", "level": "结论", "csi_chart": "各变量 CSI",
        "stable": "稳定", "watch": "关注", "shift": "显著偏移", "unknown": "无法计算",
        "levels_note": "PSI/CSI < 0.10 稳定；0.10–0.25 关注；> 0.25 显著偏移（触发模型漂移预警）。",
        # the notes of metrics.summary()
        "empty sample": "空样本", "no bads in the sample": "样本中没有坏样本，无法计算区分能力",
        "no goods in the sample": "样本中没有好样本，无法计算区分能力",
    },
    "en": {
        "title": "Model validation report", "model": "Model", "family": "Family",
        "window": "Training window", "policy": "Policy version", "train": "Train",
        "test": "Test", "out_of_time": "Out of time", "discrimination": "Discrimination",
        "sample": "Sample", "n": "Rows", "bads": "Bads", "bad_rate": "Bad rate",
        "mean_pd": "Mean predicted PD", "auc": "AUC", "ks": "KS", "gini": "Gini", "note": "Note",
        "calibration": "Calibration (by decile of predicted PD)", "bin": "Group",
        "predicted": "Predicted PD", "observed": "Observed bad rate",
        "distribution": "Score distribution", "band": "Score band", "share": "Share",
        "bins": "Bins and IV", "feature": "Feature", "count": "Rows", "event_rate": "Bad rate",
        "woe": "WOE", "iv": "IV", "points": "Points", "iv_chart": "IV by feature",
        "stability": "Stability (PSI / CSI)", "score_psi": "Score PSI (against train)",
        "csi": "CSI", "psi": "PSI", "level": "Level", "csi_chart": "CSI by feature",
        "stable": "stable", "watch": "watch", "shift": "shift", "unknown": "not computable",
        "levels_note": "PSI/CSI < 0.10 stable; 0.10–0.25 watch; > 0.25 shift (raises the "
                       "model-drift alert).",
    },
}

CSS = """body { font-family: 'Noto Sans CJK SC', 'Noto Sans SC', sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; font-size: 13px; margin-bottom: 12px; }
th, td { border: 1px solid #ccc; padding: 3px 8px; }
th { background: #eef2f7; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.stable { color: #2e7d32; } .watch { color: #b26a00; } .shift { color: #c62828; font-weight: bold; }
.unknown { color: #777; }"""


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def dec(v: object, digits: int = 3) -> str:
    return "—" if _missing(v) else f"{float(v):,.{digits}f}"  # type: ignore[arg-type]


def pct(v: object, digits: int = 1) -> str:
    return "—" if _missing(v) else f"{float(v) * 100:.{digits}f}%"  # type: ignore[arg-type]


def count(v: object) -> str:
    return "—" if _missing(v) else f"{int(v):,}"  # type: ignore[call-overload]


def table(head: Sequence[str], rows: Sequence[Sequence[tuple[str, bool]]]) -> str:
    """A table from escaped-by-us header texts and (html, numeric) cells."""
    th = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f'<td class="n">{c}</td>' if n else f"<td>{c}</td>"
                                    for c, n in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def inline(svg: str) -> str:
    """An SVG element inside HTML needs no namespace declaration (nor its URL)."""
    return svg.replace(' xmlns="http://www.w3.org/2000/svg"', "")


def column_chart(labels: Sequence[str], bars: Sequence[Any], line: Sequence[Any], *, title: str,
                 legend: tuple[str, str], same_scale: bool, width: int = 720) -> str:
    """Columns for ``bars`` and dots joined by a line for ``line``, one per label; on one scale
    (predicted against observed) or each on its own (share against bad rate)."""
    top, bottom, left, height = 40, 40, 20, 220
    span, plot = width - 2 * left, height - top - bottom
    clean = [[0.0 if _missing(v) else float(v) for v in s] for s in (bars, line)]
    bar_max = max(clean[0] + (clean[1] if same_scale else []) + [1e-12])
    line_max = bar_max if same_scale else max(clean[1] + [1e-12])
    step = span / max(len(labels), 1)
    parts = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
             f'font-family="{FONT}" font-size="11" role="img">',
             f'<text x="0" y="16" font-size="14" font-weight="bold">{escape(title)}</text>',
             f'<rect x="{left}" y="22" width="10" height="10" fill="{BAR}"/>'
             f'<text x="{left + 14}" y="31">{escape(legend[0])}</text>',
             f'<circle cx="{left + 165}" cy="27" r="4" fill="{MARK}"/>'
             f'<text x="{left + 173}" y="31">{escape(legend[1])}</text>']
    points = []
    for i, label in enumerate(labels):
        x = left + i * step
        h = plot * clean[0][i] / bar_max
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{top + plot - h:.1f}" '
                     f'width="{step * 0.7:.1f}" height="{h:.1f}" fill="{BAR}"/>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{height - bottom + 14}" '
                     f'text-anchor="middle">{escape(label)}</text>')
        if not _missing(line[i]):
            points.append((x + step / 2, top + plot - plot * clean[1][i] / line_max))
    if points:
        parts.append(f'<polyline fill="none" stroke="{MARK}" stroke-width="1.5" points="'
                     + " ".join(f"{x:.1f},{y:.1f}" for x, y in points) + '"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{MARK}"/>' for x, y in points]
    parts.append(f'<line x1="{left}" y1="{top + plot}" x2="{width - left}" y2="{top + plot}" '
                 'stroke="#444"/></svg>')
    return "\n".join(parts)


def samples_of(v: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    given = v.get("samples", {})
    return [(name, given[name]) for name in SAMPLES if name in given]


def discrimination(v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    rows = []
    for name, s in samples_of(v):
        m = s["summary"]
        note = m.get("note") or ""
        rows.append([(escape(t[name]), False), (count(m.get("n")), True),
                     (count(m.get("bads")), True), (pct(m.get("bad_rate")), True),
                     (pct(m.get("mean_pd"), 2), True), (dec(m.get("auc")), True),
                     (dec(m.get("ks")), True), (dec(m.get("gini")), True),
                     (escape(t.get(note, note)), False)])
    head = [t[k] for k in ("sample", "n", "bads", "bad_rate", "mean_pd", "auc", "ks", "gini",
                           "note")]
    return f'<section id="discrimination"><h2>{escape(t["discrimination"])}</h2>' \
           f"{table(head, rows)}</section>"


def calibration(v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    parts = [f'<section id="calibration"><h2>{escape(t["calibration"])}</h2>']
    for name, s in samples_of(v):
        rows = s.get("calibration", [])
        parts.append(f"<h3>{escape(t[name])}</h3>")
        parts.append(table([t["bin"], t["n"], t["bads"], t["predicted"], t["observed"]],
                           [[(escape(str(r["bin"])), False), (count(r["n"]), True),
                             (count(r["bads"]), True), (pct(r["mean_pd"], 2), True),
                             (pct(r["bad_rate"], 2), True)] for r in rows]))
        parts.append(column_chart([str(r["bin"]) for r in rows], [r["bad_rate"] for r in rows],
                                  [r["mean_pd"] for r in rows], same_scale=True,
                                  title=f"{t[name]}: {t['observed']} / {t['predicted']}",
                                  legend=(t["observed"], t["predicted"])))
    return "\n".join(parts) + "</section>"


def distribution(v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    parts = [f'<section id="distribution"><h2>{escape(t["distribution"])}</h2>']
    for name, s in samples_of(v):
        rows = s.get("score_distribution", [])
        parts.append(f"<h3>{escape(t[name])}</h3>")
        parts.append(table([t["band"], t["n"], t["share"], t["bads"], t["bad_rate"]],
                           [[(escape(str(r["band"])), False), (count(r["n"]), True),
                             (pct(r["share"]), True), (count(r["bads"]), True),
                             (pct(r["bad_rate"]), True)] for r in rows]))
        parts.append(column_chart([str(r["band"]) for r in rows], [r["share"] for r in rows],
                                  [r["bad_rate"] for r in rows], same_scale=False,
                                  title=f"{t[name]}: {t['share']} / {t['bad_rate']}",
                                  legend=(t["share"], t["bad_rate"]), width=960))
    return "\n".join(parts) + "</section>"


def feature_ivs(bins: Sequence[Mapping[str, Any]]) -> list[tuple[str, float]]:
    """Each feature's IV (the sum of its bins'), highest first."""
    total: dict[str, float] = {}
    for r in bins:
        total[r["feature"]] = total.get(r["feature"], 0.0) + (0.0 if _missing(r["iv"])
                                                              else float(r["iv"]))
    return sorted(total.items(), key=lambda kv: (-kv[1], kv[0]))


def bin_tables(v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    bins = v.get("bins", [])
    ivs = feature_ivs(bins)
    parts = [f'<section id="bins"><h2>{escape(t["bins"])}</h2>']
    if ivs:
        parts.append(inline(hbar_chart([f for f, _ in ivs], [iv for _, iv in ivs],
                                       title=t["iv_chart"], value_text=[dec(iv) for _, iv in ivs])))
    for feature, iv in ivs:
        rows = [[(escape(str(r["bin"])), False), (count(r["count"]), True),
                 (pct(r["event_rate"]), True), (dec(r["woe"]), True), (dec(r["iv"]), True),
                 (dec(r["points"], 1), True)] for r in bins if r["feature"] == feature]
        parts.append(f"<h3>{escape(feature)} — {escape(t['iv'])} {dec(iv)}</h3>")
        parts.append(table([t[k] for k in ("bin", "count", "event_rate", "woe", "iv", "points")],
                           rows))
    return "\n".join(parts) + "</section>"


def _level(level: str, t: Mapping[str, str]) -> str:
    cls = level if level in LEVELS else "unknown"
    return f'<span class="{cls}">{escape(t.get(level, level))}</span>'


def stability(v: Mapping[str, Any], t: Mapping[str, str]) -> str:
    parts = [f'<section id="stability"><h2>{escape(t["stability"])}</h2>',
             f"<p>{escape(t['levels_note'])}</p>"]
    score = v.get("score_stability") or []
    if score:
        parts.append(f"<h3>{escape(t['score_psi'])}</h3>")
        parts.append(table([t["sample"], t["psi"], t["level"]],
                           [[(escape(t.get(r["sample"], r["sample"])), False),
                             (dec(r["psi"]), True), (_level(r["level"], t), False)]
                            for r in score]))
    rows = v.get("stability", [])
    parts.append(table([t["feature"], t["csi"], t["level"]],
                       [[(escape(r["feature"]), False), (dec(r["csi"]), True),
                         (_level(r["level"], t), False)] for r in rows]))
    if rows:
        parts.append(inline(hbar_chart(
            [r["feature"] for r in rows], [None if _missing(r["csi"]) else r["csi"] for r in rows],
            title=t["csi_chart"], value_text=[dec(r["csi"]) for r in rows],
            marked=[r["level"] == "shift" for r in rows], goal=0.25, goal_text="0.25")))
    return "\n".join(parts) + "</section>"


def render_validation(v: Mapping[str, Any], lang: str = "zh") -> str:
    """The validation report of the measured dict ``v`` (shape in the module docstring), in
    Chinese (``zh``) or English (``en``)."""
    t = TEXT[lang]
    meta = table([t["model"], t["family"], t["window"], t["policy"]],
                 [[(escape(str(v["model_id"])), False), (escape(str(v["family"])), False),
                   (escape(str(v["training_window"])), False),
                   (escape(str(v["policy_version"])), False)]])
    windows = "".join(f"<li>{escape(t[name])}: {escape(str(s['window']))}</li>"
                      for name, s in samples_of(v) if s.get("window"))
    return f"""<!doctype html>
<html lang="{'zh-CN' if lang == 'zh' else 'en'}"><head><meta charset="utf-8">
<title>{escape(t['title'])} — {escape(str(v['model_id']))}</title>
<style>
{CSS}
</style></head><body>
<h1>{escape(t['title'])}</h1>
{meta}
{f'<ul>{windows}</ul>' if windows else ''}
{discrimination(v, t)}
{calibration(v, t)}
{distribution(v, t)}
{bin_tables(v, t)}
{stability(v, t)}
</body></html>
"""
