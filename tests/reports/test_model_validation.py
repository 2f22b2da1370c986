"""The validation report renders the measured dict in both languages, every section, numbers
formatted, text escaped, nothing fetched from the network."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from loanwatch.models.metrics import calibration_table, score_distribution, summary
from loanwatch.models.stability import csi
from loanwatch.reports.model_validation import feature_ivs, render_validation


def sample(auc: float, bad_rate: float, note: str | None = None) -> dict:
    return {
        "summary": {"n": 12000, "bads": 240, "bad_rate": bad_rate, "mean_pd": 0.0213,
                    "auc": auc, "ks": 0.41234, "gini": 2 * auc - 1, "note": note},
        "calibration": [{"bin": 1, "n": 1200, "bads": 3, "mean_pd": 0.00214, "bad_rate": 0.0025},
                        {"bin": 2, "n": 1200, "bads": 60, "mean_pd": 0.0512, "bad_rate": 0.05}],
        "score_distribution": [
            {"band": "[-inf, 550)", "n": 3000, "share": 0.25, "bads": 150, "bad_rate": 0.05},
            {"band": "[550, +inf)", "n": 9000, "share": 0.75, "bads": 90, "bad_rate": 0.01}],
    }


V = {
    "model_id": "pd-scorecard-<v1>",
    "family": "scorecard",
    "training_window": "2023-01 – 2024-06",
    "policy_version": "2026.1+abc",
    "samples": {"out_of_time": sample(0.70111, 0.0213), "train": {**sample(0.78456, 0.02),
                                                                  "window": "2023-01 – 2024-06"},
                "test": sample(math.nan, 0.0, "no bads in the sample")},
    "bins": [
        {"feature": "max_dpd", "bin": "[-inf, 1)", "count": 9000, "event_rate": 0.01,
         "woe": -0.71234, "iv": 0.2, "points": 12.345},
        {"feature": "max_dpd", "bin": "[1, +inf)", "count": 3000, "event_rate": 0.05,
         "woe": 0.9, "iv": 0.31, "points": -20.0},
        {"feature": "region", "bin": "north", "count": 12000, "event_rate": 0.02, "woe": 0.0,
         "iv": 0.0, "points": 0.0},
    ],
    "score_stability": [{"sample": "out_of_time", "psi": 0.031, "level": "stable"}],
    "stability": [{"feature": "max_dpd", "csi": 0.3, "level": "shift"},
                  {"feature": "region", "csi": 0.12, "level": "watch"}],
}


@pytest.mark.parametrize(("lang", "titles"), [
    ("zh", ["模型验证报告", "区分能力", "校准", "评分分布", "分箱与 IV", "稳定性", "训练集", "测试集",
            "跨时间验证集", "显著偏移", "样本中没有坏样本"]),
    ("en", ["Model validation report", "Discrimination", "Calibration", "Score distribution",
            "Bins and IV", "Stability", "Train", "Test", "Out of time", "shift",
            "no bads in the sample"]),
])
def test_renders_every_section_in_both_languages(lang, titles):
    html = render_validation(V, lang)
    assert html.startswith("<!doctype html>")
    for title in titles:
        assert title in html, title
    for section in ("discrimination", "calibration", "distribution", "bins", "stability"):
        assert f'<section id="{section}">' in html
    assert html.count("<svg") == 2 * 3 + 2  # calibration and distribution per sample, IV, CSI


def test_numbers_are_formatted():
    html = render_validation(V)
    assert ">0.785<" in html and ">0.701<" in html  # AUC, 3 decimals
    assert ">0.412<" in html  # KS
    assert ">0.569<" in html  # Gini of train
    assert ">2.0%<" in html and ">2.1%<" in html  # bad rates, 1 decimal
    assert ">25.0%<" in html and ">75.0%<" in html  # shares
    assert ">0.21%<" in html and ">0.25%<" in html  # calibration PDs, 2 decimals
    assert ">12,000<" in html
    assert ">-0.712<" in html and ">12.3<" in html  # WOE, points
    assert "0.510" in html  # IV of max_dpd = 0.2 + 0.31
    assert ">0.300<" in html and ">0.031<" in html  # CSI, PSI
    assert ">—<" in html  # the NaN AUC


def test_samples_appear_in_order_and_text_is_escaped():
    html = render_validation(V, "en")
    body = html.split('<section id="discrimination">')[1]
    assert body.index(">Train<") < body.index(">Test<") < body.index(">Out of time<")
    assert "pd-scorecard-&lt;v1&gt;" in html and "<v1>" not in html


def test_self_contained():
    html = render_validation(V)
    assert "http" not in html
    assert "<script" not in html and "<link" not in html and "src=" not in html


def test_feature_iv_is_the_sum_of_its_bins():
    assert feature_ivs(V["bins"]) == [("max_dpd", pytest.approx(0.51)), ("region", 0.0)]


def test_renders_what_the_models_layer_measures():
    rng = np.random.default_rng(0)
    p = rng.uniform(0.001, 0.3, size=500)
    y = (rng.uniform(size=500) < p).astype(int)
    score = 600 - 100 * p
    frame = pd.DataFrame({"x": p})
    measured = {"summary": summary(y, p),
                "calibration": calibration_table(y, p).to_dict("records"),
                "score_distribution": score_distribution(score, y).to_dict("records")}
    v = {**V, "samples": {"train": measured},
         "stability": csi(frame, frame.iloc[:200], ["x"]).to_dict("records")}
    html = render_validation(v, "en")
    assert f">{summary(y, p)['auc']:.3f}<" in html
    assert "http" not in html
