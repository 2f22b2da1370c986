"""Discrimination and calibration measures: hand-made cases, agreement with scikit-learn and
SciPy, ties, and samples with one class only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.metrics import roc_auc_score

from loanwatch.models.metrics import (
    auc,
    brier,
    calibration_table,
    gini,
    ks,
    score_distribution,
    summary,
)

Y = [0, 0, 1, 1]
P = [0.1, 0.4, 0.35, 0.8]


def test_hand_made_sample():
    # bad-good pairs ranked right: (0.35, 0.1), (0.8, 0.1), (0.8, 0.4) -> 3 of 4
    assert auc(Y, P) == 0.75
    assert gini(Y, P) == pytest.approx(0.5)
    # cumulative bads / goods at 0.1, 0.35, 0.4, 0.8: 0/.5, .5/.5, .5/1, 1/1 -> max gap 0.5
    assert ks(Y, P) == 0.5
    assert brier(Y, P) == pytest.approx((0.01 + 0.16 + 0.4225 + 0.04) / 4)


def test_ties_count_half_and_move_together():
    assert auc([0, 1], [0.3, 0.3]) == 0.5
    assert ks([0, 1], [0.3, 0.3]) == 0.0
    # one bad tied with one of two goods: (1 + 0.5) / 2
    assert auc([0, 0, 1], [0.1, 0.5, 0.5]) == 0.75


def test_agrees_with_sklearn_and_scipy_on_a_tied_sample():
    rng = np.random.default_rng(0)
    p = np.round(rng.uniform(size=2000), 2)
    y = (rng.uniform(size=2000) < p * 0.3).astype(int)
    assert auc(y, p) == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert ks(y, p) == pytest.approx(ks_2samp(p[y == 1], p[y == 0]).statistic, abs=1e-12)


@pytest.mark.parametrize(("y", "note"), [([0, 0, 0], "no bads in the sample"),
                                         ([1, 1, 1], "no goods in the sample"),
                                         ([], "empty sample")])
def test_one_class_gives_nan_with_a_reason(y, note):
    p = [0.2] * len(y)
    assert math.isnan(auc(y, p)) and math.isnan(ks(y, p)) and math.isnan(gini(y, p))
    s = summary(y, p)
    assert s["note"] == note
    assert math.isnan(s["auc"])


def test_summary():
    s = summary(Y, P)
    assert s == {"n": 4, "bads": 2, "bad_rate": 0.5, "mean_pd": pytest.approx(0.4125),
                 "auc": 0.75, "ks": 0.5, "gini": pytest.approx(0.5),
                 "brier": pytest.approx(brier(Y, P)), "note": None}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="0 \\(good\\) or 1"):
        auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="missing"):
        auc([0, 1], [0.1, math.nan])
    with pytest.raises(ValueError, match="values"):
        auc([0, 1], [0.1])


def test_calibration_table_by_decile():
    p = np.arange(1, 101) / 100  # 0.01 ... 1.00
    y = (np.arange(100) % 10 == 0).astype(int)  # bads at 0.01, 0.11, ..., 0.91
    t = calibration_table(y, p)
    assert t.columns.tolist() == ["bin", "pd_min", "pd_max", "n", "bads", "mean_pd", "bad_rate"]
    assert t.bin.tolist() == list(range(1, 11))
    assert t.n.tolist() == [10] * 10
    assert t.bads.tolist() == [1] * 10
    assert t.bad_rate.tolist() == pytest.approx([0.1] * 10)
    assert t.mean_pd.iloc[0] == pytest.approx(0.055)
    assert t.pd_max.iloc[-1] == 1.0


def test_calibration_table_keeps_ties_together():
    t = calibration_table([0, 1, 0, 1, 0], [0.1, 0.1, 0.1, 0.1, 0.5], bins=4)
    assert t.n.tolist() == [4, 1]
    assert calibration_table([0, 1], [0.2, 0.2]).n.tolist() == [2]
    assert calibration_table([], []).empty


def test_score_distribution_by_given_edges():
    scores = [500, 550, 550, 600, 650, 700]
    y = [1, 1, 0, 0, 0, 0]
    t = score_distribution(scores, y, [550, 650])
    assert t.band.tolist() == ["[-inf, 550)", "[550, 650)", "[650, +inf)"]
    assert t.n.tolist() == [1, 3, 2]  # 550 and 650 start their bands
    assert t.bads.tolist() == [1, 1, 0]
    assert t.share.tolist() == pytest.approx([1 / 6, 0.5, 1 / 3])
    assert t.bad_rate.tolist() == pytest.approx([1.0, 1 / 3, 0.0])


def test_score_distribution_equal_width_and_missing_scores():
    t = score_distribution([0.0, 10.0, 5.0, math.nan], [0, 1, 0, 1], 2)
    assert t.band.tolist() == ["[-inf, 5)", "[5, +inf)", "missing"]
    assert t.n.tolist() == [1, 2, 1]
    assert score_distribution([600.0] * 3, [0, 0, 1]).n.tolist() == [3]
