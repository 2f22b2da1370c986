"""The gradient-boosted PD model: deterministic LightGBM, categories fixed at fit, SHAP
explanations in log-odds and the saved folder."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from loanwatch.models.base import PointsScale
from loanwatch.models.gbm import BOOSTER_FILE, BoostedModel
from tests.models.test_contract import synthetic_loans


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_loans()


@pytest.fixture(scope="module")
def model(data) -> BoostedModel:
    X, y = data
    return BoostedModel(seed=5).fit(X, y)


def test_one_thread_by_default():
    assert BoostedModel().params["n_jobs"] == 1


def test_categories_are_fixed_at_fit(model):
    assert model.categories == {"channel": ["branch", "broker", "online"]}


def test_an_unseen_category_is_scored_as_missing(model, data):
    X, _ = data
    row = X.head(1)
    np.testing.assert_array_equal(model.predict_pd(row.assign(channel="telesales")),
                                  model.predict_pd(row.assign(channel=None)))


def test_score_is_the_pd_on_the_points_scale(model, data):
    X, _ = data
    np.testing.assert_allclose(model.score(X), PointsScale().points(model.predict_pd(X)))


def test_shap_effects_add_up_to_the_log_odds(model, data):
    X, _ = data
    head = X.head(30)
    rows = model.explain(head, top=len(model.features))
    total = np.array([sum(f.effect for f in row) for row in rows])
    p = model.predict_pd(head)
    bias = np.log(p / (1 - p)) - total
    np.testing.assert_allclose(bias, bias[0], atol=1e-6)


def test_explain_puts_the_dpd_first_for_a_risky_row(model, data):
    X, _ = data
    risky = X.head(1).assign(max_dpd_6m=14.0, utilisation=0.05, channel="branch")
    first = model.explain(risky, top=1)[0][0]
    assert first.feature == "max_dpd_6m" and first.value == "14.0" and first.effect > 0


def test_saved_folder_holds_the_booster_text_and_category_maps(model, data, tmp_path):
    X, _ = data
    model.save(tmp_path / "gbm")
    meta = json.loads((tmp_path / "gbm" / "model.json").read_text(encoding="utf-8"))
    assert meta["family"] == "gbm" and meta["categories"] == model.categories
    assert (tmp_path / "gbm" / BOOSTER_FILE).read_text(encoding="utf-8").startswith("tree")
    loaded = BoostedModel.load(tmp_path / "gbm")
    np.testing.assert_array_equal(loaded.predict_pd(X.assign(channel="telesales")),
                                  model.predict_pd(X.assign(channel="telesales")))


def test_early_stopping_keeps_fewer_trees_than_the_cap(model):
    assert 1 <= model.trees < model.params["max_trees"]
