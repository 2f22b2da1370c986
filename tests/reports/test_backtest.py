"""The backtest report: summary rules first, goals judged on the high/critical row, text
escaped, both languages, charts inline."""

from __future__ import annotations

import datetime as dt

from loanwatch.batch.backtest import Backtest
from loanwatch.reports.backtest import Goals, goal_checks, ordered, render
from loanwatch.reports.svg import hbar_chart, text_width
from loanwatch.rules.backtest import ALL_EARLY, HIGH_EARLY, NAIVE, Window


def row(rule: str, recall: float | None, lift: float | None = 6.0, new: float = 10.0) -> dict:
    return {"rule": rule, "defaults": 100, "warned": 0 if recall is None else int(recall * 100),
            "recall": recall, "median_lead_days": 80.0, "flagged": 500, "flagged_defaulting": 50,
            "precision": 0.1, "base_rate": 0.02, "lift": lift, "new_per_1000": new,
            "open_per_1000": 30.0}


ROWS = [row("SIG-B", 0.2), row(NAIVE, 0.4), row("SIG-A", 0.3), row(HIGH_EARLY, 0.65),
        row(ALL_EARLY, 0.8), row("SIG-<C>", None, None)]
BT = Backtest([dt.date(2024, 1, 31), dt.date(2024, 2, 29)], dt.date(2024, 2, 29), Window(),
              "2026.1+abc", ROWS, [], {"SIG-A": ("信号甲", "Signal A")})


def test_summary_rules_come_first_then_signals_by_recall():
    assert [r["rule"] for r in ordered(ROWS)] == [HIGH_EARLY, ALL_EARLY, NAIVE, "SIG-A", "SIG-B",
                                                  "SIG-<C>"]


def test_goals_are_judged_on_the_high_row():
    assert [ok for _, _, ok in goal_checks(row(HIGH_EARLY, 0.65, 5.0, 20.0), Goals())] == [
        True, True, True]
    assert [ok for _, _, ok in goal_checks(row(HIGH_EARLY, 0.59, 4.9, 20.1), Goals())] == [
        False, False, False]
    assert goal_checks(None, Goals()) == []


def test_the_page_in_chinese_and_english():
    zh = render(BT, "zh")
    assert "信号甲 (SIG-A)" in zh and "召回率" in zh and zh.count("<svg") == 2
    assert "SIG-&lt;C&gt;" in zh and "SIG-<C>" not in zh
    assert "65.0%" in zh and "2026.1+abc" in zh
    en = render(BT, "en")
    assert "Signal A (SIG-A)" in en and "Recall" in en and 'lang="en"' in en


def test_a_bar_chart_scales_to_the_largest_value_and_skips_missing_ones():
    svg = hbar_chart(["a", "b", "c"], [1.0, 0.5, None], title="t", value_text=["1", "0.5", "—"],
                     width=460)
    assert svg.count("<rect") == 2
    # labels of one character: 7 + 16 = 23 px for them, 460 - 23 - 90 = 347 for the largest bar
    assert 'x="23"' in svg and 'width="347.0"' in svg and 'width="173.5"' in svg


def test_chart_labels_get_the_room_they_need():
    assert (text_width("五级"), text_width("ab")) == (24, 14)
    label = "内部评级下调 (RATING-DOWNGRADE)"
    wide = hbar_chart([label], [1.0], title="t", value_text=["1"], width=1000)
    # the label ends where the bars begin, with room for all of it
    assert f'x="{text_width(label) + 16 - 8}" y=' in wide
    assert f'<rect x="{text_width(label) + 16}"' in wide


def test_recall_by_scenario_is_a_table_when_the_truth_has_scenarios():
    scen = [{"rule": r, "scenario": s, "defaults": n, "warned": w, "recall": w / n}
            for r in (HIGH_EARLY, ALL_EARLY, NAIVE)
            for s, n, w in (("income_drop", 10, 6), (None, 30, 3))]
    bt = Backtest(BT.month_ends, BT.outcome_end, BT.window, BT.policy_version, ROWS, scen)
    html = render(bt, "en")
    assert "Recall by default scenario" in html and "income_drop" in html
    assert html.index("no trace") < html.index("income_drop")  # most defaults first
    assert "按违约情景的召回率" not in render(BT, "zh")


def test_detection_of_injected_cases_is_a_table_by_group():
    found = [{"scenario": "backflow", "role": r, "group": g, "cases": 8, "flagged": k,
              "share": k / 8}
             for r, g, k in (("real", "any", 8), ("real", "fund_flow", 8),
                             ("benign", "any", 2), ("benign", "fund_flow", 0))]
    bt = Backtest(BT.month_ends, BT.outcome_end, BT.window, BT.policy_version, ROWS,
                  detection=found)
    en, zh = render(bt, "en"), render(bt, "zh")
    assert "B Fund flows" in en and "B 资金流向" in zh
    row = en[en.index("<td>backflow</td><td>look-alike</td>"):].split("</tr>")[0]
    assert '<td class="n">25.0%</td><td class="n">0.0%</td>' in row  # any group, then B
    assert "Injected scenarios" not in render(BT, "en")
