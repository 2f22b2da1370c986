"""The scorecard (评分卡): optimal WOE binning of every feature (optbinning), a logistic
regression on the WOE values (scikit-learn) and a points table, so that each bin of each
feature carries the points a borrower earns there and the score is their sum.

Choices, measured on the German credit data (benchmarks/german_credit.py; test AUC on the
70/30 split with random_state 42, then the mean over random_state 0..19; optbinning's own
default Scorecard: 0.8059 / 0.7844):
- numerical features are binned with optbinning's ``monotonic_trend="auto"``: per feature
  the bad rate rises, falls, or has one peak or valley, as the pre-binning shows (a strictly
  monotone "auto_asc_desc" gave 0.8056 / 0.7871); categorical ones (any non-numeric
  dtype) by their bad rate; a missing value gets its own bin with its own WOE;
- features whose information value is below ``min_iv`` = 0.01 are dropped (0.00 gave
  0.8086 / 0.7852, 0.02 gave 0.8102 / 0.7840, 0.01 gives 0.8104 / 0.7861 -- differences
  within the noise of 300 test rows);
- the L2 strength ``C`` is chosen from 0.01 .. 10 by a stratified 5-fold cross-validation
  (AUC) on the training data only, with the model's seed; pass ``c=`` to fix it instead;
- ``drop_wrong_signs=True`` also drops, one at a time, features whose coefficient has the
  wrong sign (their points would fall as their bins get safer, usually from collinearity);
  off by default because it cost 0.001-0.002 of mean AUC here.

optbinning's WOE is ln(share of goods / share of bads): a higher WOE is a safer bin, so the
fitted coefficients are negative. The logistic model gives logit(PD) = b0 + sum(b_j WOE_j),
and a bin's points are -(b_j WOE + b0/n) x factor + offset/n: the points add up to
offset - factor x logit(PD) = PointsScale.points(PD), so a safer bin earns more points and
``PointsScale.pd_of(score)`` is ``predict_pd`` exactly.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self

import joblib
import numpy as np
import pandas as pd
from optbinning import BinningProcess
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from loanwatch.models.base import Factor, PointsScale
from loanwatch.models.frames import binary_target, categorical_columns, required, saved_meta, top_factors

FORMAT_VERSION = 1
C_GRID = tuple(float(c) for c in np.logspace(-2, 1, 7))  # 0.01 .. 10, half-decade steps
_WOE = {"metric": "woe", "metric_missing": "empirical", "metric_special": "empirical"}


class Scorecard:
    """A WOE-binned logistic scorecard; ``features`` are the columns the fitted card reads
    (those that survived selection), in its own order."""

    family = "scorecard"

    def __init__(self, *, min_iv: float = 0.01, c: float | None = None, cv_folds: int = 5,
                 monotonic_trend: str = "auto", drop_wrong_signs: bool = False, seed: int = 0,
                 base_score: float = 600.0, base_odds: float = 50.0, pdo: float = 20.0) -> None:
        self.params: dict[str, Any] = {
            "min_iv": min_iv, "c": c, "cv_folds": cv_folds, "monotonic_trend": monotonic_trend,
            "drop_wrong_signs": drop_wrong_signs, "seed": seed,
            "base_score": base_score, "base_odds": base_odds, "pdo": pdo}
        self.scale = PointsScale(base_score, base_odds, pdo)
        self.features: tuple[str, ...] = ()
        self._state: dict[str, Any] = {}

    # --- fitting -------------------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray,
            groups: Sequence[str] | np.ndarray | None = None) -> Self:
        """Bin every column of ``X``, select, choose C (folds of whole ``groups`` when given)
        and fit; deterministic for ``seed``."""
        target = binary_target(y, len(X))
        frame = _clean_frame(X, categorical_columns(X))
        binnings, ivs = self._fit_binnings(frame, target)
        kept = [f for f in frame.columns if ivs[f] >= self.params["min_iv"]] or [max(ivs, key=ivs.get)]
        woe = _woe_frame(frame, {f: binnings[f] for f in kept})
        if self.params["drop_wrong_signs"]:
            kept = _drop_wrong_signs(woe, target, self.params["c"] or 1.0)
        c = self.params["c"] or _chosen_c(woe[kept].to_numpy(), target, self.params, groups)
        model = LogisticRegression(C=c, max_iter=1000).fit(woe[kept].to_numpy(), target)
        self.features = tuple(kept)
        self._state = {
            "binnings": {f: binnings[f] for f in kept},
            "categorical": [f for f in kept if f in categorical_columns(X)],
            "coef": dict(zip(kept, model.coef_[0].tolist(), strict=True)),
            "intercept": float(model.intercept_[0]), "c": float(c), "iv": ivs,
        }
        self._state["best_points"] = self.bin_table().groupby("feature")["points"].max().to_dict()
        return self

    def _fit_binnings(self, frame: pd.DataFrame, target: np.ndarray) -> tuple[dict, dict[str, float]]:
        categorical = [c for c in frame.columns if frame[c].dtype == object]
        trend = {"monotonic_trend": self.params["monotonic_trend"]}
        process = BinningProcess(
            list(frame.columns), categorical_variables=categorical or None,
            binning_fit_params={c: trend for c in frame.columns if c not in categorical})
        with _quiet_optbinning():
            process.fit(frame, target)
        binnings = {c: process.get_binned_variable(c) for c in frame.columns}
        ivs = {c: float(_built_table(b)["IV"].sum()) for c, b in binnings.items()}
        return binnings, ivs

    # --- scoring -------------------------------------------------------------------------
    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of a bad outcome from the logistic model, in [0, 1]."""
        woe = self._woe(X).to_numpy()
        logit = self._state["intercept"] + woe @ self._coef()
        return 1.0 / (1.0 + np.exp(-logit))

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """The sum of the row's points over the card's features; higher is safer."""
        return self._points(X).sum(axis=1).to_numpy()

    def bin_table(self) -> pd.DataFrame:
        """Every bin of every feature: feature, bin, count, event_rate, woe, iv, points."""
        self._require_fitted()
        return pd.concat([self._feature_table(f) for f in self.features], ignore_index=True)

    def explain(self, X: pd.DataFrame, top: int = 3) -> list[list[Factor]]:
        """Per row, the ``top`` features whose points fall furthest below that feature's best
        bin; ``effect`` is the points lost (> 0: the bin raised the PD)."""
        best = np.array([self._state["best_points"][f] for f in self.features])
        lost = best[None, :] - self._points(X).to_numpy()
        return top_factors(lost, self.features, required(X, self.features), top)

    def _points(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each row's points per feature, columns in ``features`` order."""
        woe = self._woe(X)
        return self._points_of(woe * self._coef())

    def _points_of(self, coef_x_woe: pd.DataFrame | pd.Series | np.ndarray) -> Any:
        n = len(self.features)
        return -(coef_x_woe + self._state["intercept"] / n) * self.scale.factor + self.scale.offset / n

    def _woe(self, X: pd.DataFrame) -> pd.DataFrame:
        self._require_fitted()
        frame = _clean_frame(required(X, self.features), self._state["categorical"])
        return _woe_frame(frame, self._state["binnings"])

    def _coef(self) -> np.ndarray:
        return np.array([self._state["coef"][f] for f in self.features])

    def _feature_table(self, feature: str) -> pd.DataFrame:
        table = _built_table(self._state["binnings"][feature])
        table = table[table["Bin"].astype(str) != "Special"]
        woe = table["WoE"].astype(float).to_numpy()
        return pd.DataFrame({
            "feature": feature, "bin": [_bin_text(b) for b in table["Bin"]],
            "count": table["Count"].astype(int).to_numpy(),
            "event_rate": table["Event rate"].astype(float).to_numpy(), "woe": woe,
            "iv": table["IV"].astype(float).to_numpy(),
            "points": self._points_of(self._state["coef"][feature] * woe)})

    def _require_fitted(self) -> None:
        if not self._state:
            raise ValueError("the scorecard is not fitted; call fit(X, y) first")

    # --- persistence ---------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write ``model.json`` (family, params, features, version) and ``model.joblib``."""
        self._require_fitted()
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {"family": self.family, "version": FORMAT_VERSION, "params": self.params,
                "features": list(self.features)}
        (path / "model.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
        joblib.dump(self._state, path / "model.joblib")

    @classmethod
    def load(cls, path: Path) -> Self:
        """The scorecard saved in folder ``path``."""
        meta = saved_meta(path, cls.family, FORMAT_VERSION)
        model = cls(**meta["params"])
        model.features = tuple(meta["features"])
        model._state = joblib.load(Path(path) / "model.joblib")
        return model


# --- frames ------------------------------------------------------------------------------


def _clean_frame(X: pd.DataFrame, categorical: Sequence[str]) -> pd.DataFrame:
    """Numbers as float, categories as text; every kind of missing value becomes NaN."""
    return pd.DataFrame({c: _as_text(X[c]) if c in categorical else X[c].astype(float)
                         for c in X.columns}, index=X.index)


def _as_text(column: pd.Series) -> pd.Series:
    text = column.astype(object).map(str).astype(object)
    return text.where(column.notna().to_numpy(), np.nan)






def _woe_frame(frame: pd.DataFrame, binnings: dict) -> pd.DataFrame:
    with _quiet_optbinning():
        return pd.DataFrame({f: b.transform(frame[f].to_numpy(), **_WOE) for f, b in binnings.items()},
                            index=frame.index)




def _bin_text(value: Any) -> str:
    if isinstance(value, np.ndarray | list):
        return ", ".join(str(v) for v in value)
    return str(value)


# --- selection and regularisation --------------------------------------------------------
def _drop_wrong_signs(woe: pd.DataFrame, target: np.ndarray, c: float) -> list[str]:
    """Drop, one at a time, the feature with the largest positive coefficient (a safer bin
    would then cost points) until every coefficient is negative."""
    kept = list(woe.columns)
    while len(kept) > 1:
        coef = LogisticRegression(C=c, max_iter=1000).fit(woe[kept].to_numpy(), target).coef_[0]
        if coef.max() <= 0:
            break
        kept.pop(int(np.argmax(coef)))
    return kept


def _chosen_c(woe: np.ndarray, target: np.ndarray, params: dict[str, Any],
              groups: Sequence[str] | np.ndarray | None = None) -> float:
    """The C of ``C_GRID`` with the best mean cross-validated AUC (ties: the smaller C)."""
    k, seed = params["cv_folds"], params["seed"]
    folds = (list(StratifiedKFold(k, shuffle=True, random_state=seed).split(woe, target))
             if groups is None else
             list(StratifiedGroupKFold(k, shuffle=True, random_state=seed)
                  .split(woe, target, np.asarray(groups))))
    aucs = [np.mean([_fold_auc(woe, target, c, train, test) for train, test in folds]) for c in C_GRID]
    return C_GRID[int(np.argmax(aucs))]


def _fold_auc(woe: np.ndarray, target: np.ndarray, c: float, train: np.ndarray, test: np.ndarray) -> float:
    model = LogisticRegression(C=c, max_iter=1000).fit(woe[train], target[train])
    return float(roc_auc_score(target[test], model.decision_function(woe[test])))


# --- optbinning --------------------------------------------------------------------------
def _built_table(binning: Any) -> pd.DataFrame:
    with _quiet_optbinning():
        return binning.binning_table.build(add_totals=False)


@contextmanager
def _quiet_optbinning() -> Iterator[None]:
    """optbinning 1.0 still uses pandas idioms that pandas 3 deprecates (Pandas4Warning);
    they are its business, not a problem in our data."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning)
        yield
