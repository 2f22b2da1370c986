"""What a PD model is: one interface that every model family implements (the scorecard,
the gradient-boosted model), so that training, validation, scoring in the nightly run and
the registry treat them alike. A shared contract test (tests/models/test_contract.py) holds
each family to it.

Frames in, arrays out: ``X`` is a pandas DataFrame of features (columns by name, any order,
missing values allowed), ``y`` 1 for a bad outcome (90+ DPD within 12 months) and 0 for
good. Models never read files except in ``save``/``load``, and never look at the clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Self

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Factor:
    """One feature's part in a borrower's score: ``effect`` > 0 raised the PD (worsened the
    score), < 0 lowered it; in the model's own unit (scorecard points lost, log-odds for the
    boosted model). ``value`` is the borrower's value as text ("" when missing)."""

    feature: str
    value: str
    effect: float


class PDModel(Protocol):
    """A fitted or unfitted PD model of one family."""

    family: str  # "scorecard" | "gbm"
    features: tuple[str, ...]  # the columns it was fitted on, in its own order

    def fit(self, X: pd.DataFrame, y: Sequence[int] | np.ndarray,
            groups: Sequence[str] | np.ndarray | None = None) -> Self:
        """Fit on ``X`` (features by name) and ``y``; deterministic for the model's seed.
        ``groups`` (e.g. the borrower of each row of a monthly panel) keeps a group's rows on
        one side of any split the family makes inside (early stopping, choosing C): rows of
        one borrower are near-copies, and a split through them hides overfitting."""
        ...

    def predict_pd(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of a bad outcome for each row, in [0, 1]; ``X`` may hold its columns
        in any order and more columns than ``features``."""
        ...

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """A score where higher is better (scorecard points; for other families a points
        scale of their PD with the same convention)."""
        ...

    def explain(self, X: pd.DataFrame, top: int = 3) -> list[list[Factor]]:
        """For each row, the ``top`` factors that moved its PD most, largest effect first."""
        ...

    def save(self, path: Path) -> None:
        """Write the fitted model into the folder ``path``."""
        ...

    @classmethod
    def load(cls, path: Path) -> Self:
        """The model saved in folder ``path``; it scores exactly as when saved."""
        ...


@dataclass(frozen=True)
class PointsScale:
    """Scorecard points: ``base_score`` points at odds ``base_odds`` and ``pdo`` points to
    double the odds. Odds are good:bad (a higher score is a safer borrower):
    score = offset + factor x ln(odds_good_bad), factor = pdo / ln 2,
    offset = base_score - factor x ln(base_odds)."""

    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0

    @property
    def factor(self) -> float:
        return self.pdo / np.log(2.0)

    @property
    def offset(self) -> float:
        return self.base_score - self.factor * np.log(self.base_odds)

    def points(self, pd_: np.ndarray) -> np.ndarray:
        """Points of a PD (clipped away from 0 and 1)."""
        p = np.clip(np.asarray(pd_, float), 1e-9, 1 - 1e-9)
        return self.offset + self.factor * np.log((1 - p) / p)

    def pd_of(self, points: np.ndarray) -> np.ndarray:
        odds = np.exp((np.asarray(points, float) - self.offset) / self.factor)
        return 1.0 / (1.0 + odds)
