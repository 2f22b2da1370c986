"""The scorecard: points consistent with the PD, the sign of optbinning's WOE, the bin
table, selection, explanations as points lost, and the saved folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loanwatch.models.base import PointsScale
from loanwatch.models.scorecard import Scorecard
from tests.models.test_contract import german_credit, synthetic_loans


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_loans()


@pytest.fixture(scope="module")
def card(data) -> Scorecard:
    X, y = data
    return Scorecard(seed=1).fit(X, y)


def test_points_add_up_to_the_pd(card, data):
    X, _ = data
    np.testing.assert_allclose(card.scale.pd_of(card.score(X)), card.predict_pd(X), rtol=0, atol=1e-9)


def test_points_follow_a_configured_scale(data):
    X, y = data
    scale = PointsScale(base_score=500, base_odds=20, pdo=40)
    card = Scorecard(base_score=500, base_odds=20, pdo=40, c=1.0).fit(X, y)
    np.testing.assert_allclose(scale.pd_of(card.score(X)), card.predict_pd(X), rtol=0, atol=1e-9)


def test_safer_bins_earn_more_points(card):
    """optbinning's WOE is ln(%good / %bad): the coefficients come out negative, and a bin
    with a lower bad rate earns more points."""
    table = card.bin_table()
    for feature in ("max_dpd_6m", "utilisation", "channel"):
        bins = table[(table.feature == feature) & (table["count"] > 0)].sort_values("event_rate")
        assert bins["points"].is_monotonic_decreasing, feature


def test_wrong_signed_features_can_be_dropped():
    X, y = german_credit()
    card = Scorecard(drop_wrong_signs=True).fit(X, y)
    table = card.bin_table()
    for feature, bins in table[table["count"] > 0].groupby("feature"):
        assert bins.sort_values("woe")["points"].is_monotonic_increasing, feature


def test_bin_table_lists_every_bin_with_a_missing_bin(card, data):
    X, _ = data
    table = card.bin_table()
    assert list(table.columns) == ["feature", "bin", "count", "event_rate", "woe", "iv", "points"]
    assert set(table.feature) == set(card.features)
    assert (table.groupby("feature")["count"].sum() == len(X)).all()
    missing = table[(table.feature == "utilisation") & (table.bin == "Missing")]
    assert missing["count"].tolist() == [X["utilisation"].isna().sum()]


def test_uninformative_features_are_dropped(data):
    X, y = data
    card = Scorecard(min_iv=0.05).fit(X, y)
    assert "noise" not in card.features
    assert {"max_dpd_6m", "utilisation", "channel"} <= set(card.features)


def test_a_fixed_c_is_used(data):
    X, y = data
    fixed = Scorecard(c=0.5).fit(X, y)
    assert fixed.params["c"] == 0.5
    assert not np.array_equal(fixed.predict_pd(X), Scorecard(c=5.0).fit(X, y).predict_pd(X))


def test_explain_effects_are_the_points_lost_below_the_best_bins(card, data):
    X, _ = data
    best_total = card.bin_table().groupby("feature")["points"].max().sum()
    rows = card.explain(X.head(20), top=len(card.features))
    lost = np.array([sum(f.effect for f in row) for row in rows])
    np.testing.assert_allclose(lost, best_total - card.score(X.head(20)), atol=1e-9)
    assert all(f.effect >= -1e-9 for row in rows for f in row)


def test_explain_names_the_worst_feature_of_a_risky_row(card, data):
    X, _ = data
    risky = X.head(1).assign(max_dpd_6m=15.0, utilisation=0.1, channel="branch")
    assert card.explain(risky, top=1)[0][0].feature == "max_dpd_6m"
    assert card.explain(risky, top=1)[0][0].value == "15.0"


def test_saved_folder_says_what_it_holds(card, tmp_path):
    card.save(tmp_path / "card")
    meta = json.loads((tmp_path / "card" / "model.json").read_text(encoding="utf-8"))
    assert meta["family"] == "scorecard" and meta["version"] == 1
    assert meta["features"] == list(card.features) and meta["params"] == card.params


def test_loading_another_family_is_refused(card, tmp_path):
    card.save(tmp_path / "card")
    meta_file = tmp_path / "card" / "model.json"
    meta_file.write_text(meta_file.read_text(encoding="utf-8").replace('"scorecard"', '"gbm"'),
                         encoding="utf-8")
    with pytest.raises(ValueError, match="not a scorecard"):
        Scorecard.load(tmp_path / "card")


def test_bad_targets_are_refused(data):
    X, y = data
    with pytest.raises(ValueError, match="0/1"):
        Scorecard().fit(X, np.zeros(len(X)))
    with pytest.raises(ValueError, match="0/1"):
        Scorecard().fit(X, y[:-1])
