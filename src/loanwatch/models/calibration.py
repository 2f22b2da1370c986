"""PD calibration (校准): from a model's raw PD (or score) to a calibrated 12-month PD, and
from a calibrated PD to the internal rating grade whose PD is nearest in log terms.

Platt scaling is the default: a calibration sample holds few bads (tens to a few hundred
90+ defaults), and with few bads isotonic regression fits a step function with a handful of
plateaus: it follows the noise and ties many borrowers to one PD, so neighbouring grades
collapse. Platt has two parameters, is smooth and keeps the ranking; it assumes the
miscalibration is linear in log-odds, which the calibration table of the result shows.
Prefer isotonic when the sample has thousands of bads and the table bends."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal, Self

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit, logit
from sklearn.isotonic import IsotonicRegression

FLOOR = 1e-4  # no calibrated PD below 0.01% (or above 1 - 0.01%): no borrower is riskless
Method = Literal["platt", "isotonic"]
Input = Literal["pd", "score"]


@dataclass
class Calibrator:
    """Maps raw PDs (``on="pd"``: fitted on their logit) or scores (``on="score"``, higher
    is safer: fitted on the score itself) to calibrated PDs in [floor, 1 - floor].

    ``platt``: PD = 1 / (1 + exp(-(a + b x))), fitted by maximum likelihood with Platt's
    (1999) smoothed targets (N+ + 1) / (N+ + 2) and 1 / (N- + 2), which keep a and b finite
    even on a separable sample. ``isotonic``: scikit-learn's monotone step fit, interpolated
    linearly between its thresholds and clipped outside them."""

    method: Method = "platt"
    on: Input = "pd"
    floor: float = FLOOR
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def fitted(self) -> bool:
        return bool(self.params)

    def fit(self, raw: Sequence[float] | np.ndarray, y: Sequence[int] | np.ndarray) -> Self:
        """Fit on a calibration sample: raw PDs or scores and outcomes (1 bad, 0 good)."""
        x, y_arr = self._x(raw), np.asarray(y, dtype=float).ravel()
        if x.shape != y_arr.shape or not np.isin(y_arr, (0.0, 1.0)).all() or x.size == 0:
            raise ValueError("need one outcome (0 good, 1 bad) per raw value, and some rows")
        self.params = _platt(x, y_arr) if self.method == "platt" else self._isotonic(x, y_arr)
        return self

    def predict_pd(self, raw: Sequence[float] | np.ndarray) -> np.ndarray:
        """Calibrated 12-month PD of each raw PD or score."""
        if not self.fitted:
            raise ValueError("the calibrator is not fitted")
        x = self._x(raw)
        if self.method == "platt":
            p = expit(self.params["a"] + self.params["b"] * x)
        else:
            p = np.interp(x, self.params["x"], self.params["y"])
        return np.clip(p, self.floor, 1 - self.floor)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (for the model registry)."""
        return {"method": self.method, "on": self.on, "floor": self.floor,
                "params": dict(self.params)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Calibrator:
        return cls(d["method"], d["on"], float(d["floor"]), dict(d["params"]))

    def _x(self, raw: Sequence[float] | np.ndarray) -> np.ndarray:
        x = np.asarray(raw, dtype=float).ravel()
        if np.isnan(x).any():
            raise ValueError("raw PDs or scores have missing values")
        return logit(np.clip(x, 1e-9, 1 - 1e-9)) if self.on == "pd" else x

    def _isotonic(self, x: np.ndarray, y: np.ndarray) -> dict[str, Any]:
        iso = IsotonicRegression(y_min=self.floor, y_max=1 - self.floor,
                                 increasing=self.on == "pd", out_of_bounds="clip").fit(x, y)
        return {"x": [float(v) for v in iso.X_thresholds_],
                "y": [float(v) for v in iso.y_thresholds_]}


def grade_bounds(grade_pds: Sequence[float | Decimal]) -> np.ndarray:
    """The PD where each grade ends and the next begins: the geometric midpoint
    sqrt(pd_g x pd_g+1) of consecutive grade PDs, so a PD belongs to the grade whose PD is
    nearest in log terms."""
    p = np.asarray([float(v) for v in grade_pds])
    if p.size == 0 or (p <= 0).any() or (np.diff(p) <= 0).any():
        raise ValueError(f"grade PDs must be positive and increasing: {list(grade_pds)}")
    return np.sqrt(p[:-1] * p[1:])


def grade_of(pd_: float | Sequence[float] | np.ndarray,
             grade_pds: Sequence[float | Decimal]) -> np.ndarray:
    """The rating grade (1 best) of each PD: grade g covers [bound_g-1, bound_g) of
    :func:`grade_bounds`, so a PD exactly on a bound takes the worse grade (conservative);
    below the first bound grade 1, from the last on the worst grade.

    >>> grade_of([0.0005, 0.03, 0.9], [0.001, 0.01, 0.1]).tolist()
    [1, 2, 3]
    """
    p = np.asarray(pd_, dtype=float)
    if np.isnan(p).any():
        raise ValueError("PDs have missing values")
    return 1 + np.searchsorted(grade_bounds(grade_pds), p, side="right")


def _platt(x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    bads = y.sum()
    t = np.where(y == 1, (bads + 1) / (bads + 2), 1 / (len(y) - bads + 2))
    mu, sd = float(x.mean()), float(x.std())
    z = (x - mu) / sd if sd > 0 else np.zeros_like(x)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        f = w[0] + w[1] * z
        value = np.sum(t * np.logaddexp(0, -f) + (1 - t) * np.logaddexp(0, f))
        g = expit(f) - t
        return float(value), np.array([g.sum(), (g * z).sum()])

    w = minimize(loss, np.zeros(2), jac=True, method="BFGS", options={"gtol": 1e-10}).x
    b = w[1] / sd if sd > 0 else 0.0
    return {"a": float(w[0] - b * mu), "b": float(b)}
