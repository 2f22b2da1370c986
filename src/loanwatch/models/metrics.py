"""How good a PD model is on a sample (验证指标): discrimination (AUC, KS, Gini) and
calibration (predicted PD against the observed bad rate), from ``y`` (1 bad, 0 good) and the
predicted PD.

Ties count half (AUC) or move together (KS, the deciles). A sample without bads or without
goods has no discrimination: AUC, KS and Gini are NaN and :func:`summary` says why in its
``note``; nothing raises for that."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import rankdata

from loanwatch.models.stability import Bins


def auc(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: the chance that a bad has a higher PD than a good, ties
    counting half (the Mann-Whitney statistic); NaN when a class is missing.

    >>> auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, p = _checked(y, pd_)
    bads, goods = int(y.sum()), int(len(y) - y.sum())
    if bads == 0 or goods == 0:
        return math.nan
    rank_sum = rankdata(p)[y == 1].sum()
    return float((rank_sum - bads * (bads + 1) / 2) / (bads * goods))


def ks(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Kolmogorov-Smirnov statistic: the largest distance between the cumulative PD
    distributions of bads and of goods, taken between distinct PD values (tied rows move
    together); NaN when a class is missing.

    >>> ks([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.5
    """
    y, p = _checked(y, pd_)
    bads, goods = int(y.sum()), int(len(y) - y.sum())
    if bads == 0 or goods == 0:
        return math.nan
    values, at = np.unique(p, return_inverse=True)
    cum_bad = np.cumsum(np.bincount(at, weights=y, minlength=len(values))) / bads
    cum_good = np.cumsum(np.bincount(at, weights=1 - y, minlength=len(values))) / goods
    return float(np.max(np.abs(cum_bad - cum_good)))


def gini(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Gini (accuracy ratio) = 2 x AUC - 1; NaN when a class is missing."""
    return 2.0 * auc(y, pd_) - 1.0


def brier(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> float:
    """Mean squared distance between PD and outcome (lower is better); NaN when empty."""
    y, p = _checked(y, pd_)
    return float(np.mean((p - y) ** 2)) if len(y) else math.nan


def calibration_table(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray,
                      bins: int = 10) -> pd.DataFrame:
    """Predicted against observed by quantile group of predicted PD (deciles by default; tied
    PDs stay in one group, so there may be fewer): ``bin`` (1 = lowest PD), ``pd_min``,
    ``pd_max``, ``n``, ``bads``, ``mean_pd``, ``bad_rate``."""
    y, p = _checked(y, pd_)
    columns = ["bin", "pd_min", "pd_max", "n", "bads", "mean_pd", "bad_rate"]
    if len(p) == 0:
        return pd.DataFrame(columns=columns)
    cuts = np.unique(np.quantile(p, np.linspace(0, 1, bins + 1)[1:-1]))
    group = np.searchsorted(cuts[cuts < p.max()], p, side="left")  # (a, b], lowest first
    frame = pd.DataFrame({"g": group, "p": p, "y": y})
    out = frame.groupby("g").agg(pd_min=("p", "min"), pd_max=("p", "max"), n=("y", "size"),
                                 bads=("y", "sum"), mean_pd=("p", "mean"), bad_rate=("y", "mean"))
    out = out.reset_index(drop=True)
    out.insert(0, "bin", np.arange(1, len(out) + 1))
    return out.astype({"n": int, "bads": int})[columns]


def score_distribution(scores: Sequence[float] | np.ndarray, y: Sequence[int] | np.ndarray,
                       bins: int | Sequence[float] = 10) -> pd.DataFrame:
    """Rows and bad rate by score band: ``bins`` equal-width bands between the lowest and the
    highest score, or the band edges themselves. Bands are right-open [a, b) like the
    stability bins (the top band takes the highest score); a ``missing`` band only when some
    score is missing. Columns: ``band, lower, upper, n, share, bads, bad_rate`` (bad_rate
    NaN for an empty band)."""
    s = pd.Series(scores, dtype=float).to_numpy(dtype=float, na_value=np.nan)
    y = np.asarray(y, dtype=float)
    b = Bins("numeric", tuple(float(e) for e in _band_edges(s, bins)))
    idx = b.index(s)
    n = np.bincount(idx, minlength=b.n_bins)
    bads = np.bincount(idx, weights=y, minlength=b.n_bins).astype(int)
    lower = [-math.inf, *b.edges, math.nan]
    upper = [*b.edges, math.inf, math.nan]
    out = pd.DataFrame({"band": b.labels(), "lower": lower, "upper": upper, "n": n,
                        "share": n / max(n.sum(), 1), "bads": bads,
                        "bad_rate": np.where(n > 0, bads / np.maximum(n, 1), math.nan)})
    return out if n[-1] else out.iloc[:-1]


def summary(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray) -> dict[str, Any]:
    """``n, bads, bad_rate, mean_pd, auc, ks, gini, brier, note`` of one sample; ``note`` is
    None, or why the discrimination measures are NaN."""
    y, p = _checked(y, pd_)
    n, bads = len(y), int(y.sum())
    note = ("empty sample" if n == 0 else "no bads in the sample" if bads == 0
            else "no goods in the sample" if bads == n else None)
    return {"n": n, "bads": bads, "bad_rate": bads / n if n else math.nan,
            "mean_pd": float(p.mean()) if n else math.nan, "auc": auc(y, p), "ks": ks(y, p),
            "gini": gini(y, p), "brier": brier(y, p), "note": note}


def _band_edges(s: np.ndarray, bins: int | Sequence[float]) -> np.ndarray:
    if not isinstance(bins, int):
        return np.asarray([e for e in bins if math.isfinite(e)], float)
    finite = s[np.isfinite(s)]
    if finite.size == 0 or finite.min() == finite.max():
        return np.asarray([], float)
    return np.linspace(finite.min(), finite.max(), bins + 1)[1:-1]


def _checked(y: Sequence[int] | np.ndarray, pd_: Sequence[float] | np.ndarray
             ) -> tuple[np.ndarray, np.ndarray]:
    y_arr = np.asarray(y, dtype=float).ravel()
    p_arr = np.asarray(pd_, dtype=float).ravel()
    if y_arr.shape != p_arr.shape:
        raise ValueError(f"y has {y_arr.size} values but pd has {p_arr.size}")
    if not np.isin(y_arr, (0.0, 1.0)).all():
        raise ValueError("y must be 0 (good) or 1 (bad)")
    if np.isnan(p_arr).any():
        raise ValueError("pd has missing values")
    return y_arr, p_arr
