"""Population stability (稳定性): PSI of a model's score and CSI of each feature between the
development sample (expected) and a later sample (actual, e.g. one month of the book).

Libraries disagree on the edge cases (one drops empty bins, one returns infinity, one
crashes); ours follows explicit rules, written out in docs/models-monitoring.md:

- Numeric bins: interior edges from the expected sample, by default its deciles (numpy's
  linear quantiles, duplicates and edges at the sample's minimum removed, so a constant
  feature is one bin), or edges given by the caller. Bins are right-open ``[a, b)`` with
  -inf and +inf at the ends: a value exactly on an edge falls in the bin that starts there.
- Categorical bins: one per category seen in the expected sample, then ``other`` (categories
  it never saw), then ``missing``. Numeric bins also end with ``missing``.
- A bin empty in exactly one sample gets the share ``EPSILON`` in that sample before the
  logarithm, and each sample's shares are renormalised to 1; a bin empty in both contributes
  0. So PSI is always finite; it is NaN only when a sample has no rows at all.
- PSI = sum((actual_i - expected_i) * ln(actual_i / expected_i)); CSI is the same of a feature.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

import numpy as np
import pandas as pd

EPSILON = 1e-4  # share given to a bin empty in one sample (0.01%: below any real bin's share)
DECILES = 10
WATCH = 0.10  # industry practice: PSI < 0.10 stable, 0.10-0.25 watch, > 0.25 shifted
SHIFT = 0.25  # PSI above this raises the model-drift alert
OTHER = "other"
MISSING = "missing"

Level = Literal["stable", "watch", "shift", "unknown"]


@dataclass(frozen=True)
class Bins:
    """How one variable is cut into bins. ``numeric``: ``edges`` are the interior cut points,
    ascending; the bins are [-inf, e0), [e0, e1), ..., [e_last, +inf), then ``missing``.
    ``categorical``: one bin per entry of ``categories``, then ``other``, then ``missing``."""

    kind: Literal["numeric", "categorical"]
    edges: tuple[float, ...] = ()
    categories: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind == "numeric" and any(b <= a for a, b in pairwise(self.edges)):
            raise ValueError(f"bin edges must be strictly increasing: {self.edges}")

    @property
    def n_bins(self) -> int:
        return len(self.labels())

    def labels(self) -> list[str]:
        """One readable label per bin, in bin order."""
        if self.kind == "categorical":
            return [*self.categories, OTHER, MISSING]
        bounds = ["-inf", *(f"{e:.6g}" for e in self.edges), "+inf"]
        return [f"[{a}, {b})" for a, b in pairwise(bounds)] + [MISSING]

    def index(self, values: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
        """The bin number (0-based, in label order) of each value."""
        if self.kind == "categorical":
            return _category_index(values, self.categories)
        x = _as_float(values)
        idx = np.searchsorted(np.asarray(self.edges, float), x, side="right")
        return np.where(np.isnan(x), len(self.edges) + 1, idx)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (for the model registry)."""
        if self.kind == "categorical":
            return {"kind": "categorical", "categories": list(self.categories)}
        return {"kind": "numeric", "edges": [float(e) for e in self.edges]}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Bins:
        return cls(d["kind"], tuple(float(e) for e in d.get("edges", ())),
                   tuple(str(c) for c in d.get("categories", ())))


def bins_of(expected: pd.Series | np.ndarray, *, n_bins: int = DECILES,
            edges: Sequence[float] | None = None) -> Bins:
    """The bins of a variable from its development sample: categories if it is not numeric,
    else the caller's ``edges`` (infinite ends dropped) or ``n_bins`` quantile edges."""
    if not _is_numeric(expected):
        if edges is not None:
            raise ValueError("edges apply to a numeric variable only")
        s = pd.Series(expected, dtype=object)
        return Bins("categorical", categories=tuple(sorted({str(v) for v in s[s.notna()]})))
    if edges is not None:
        return Bins("numeric", tuple(float(e) for e in edges if math.isfinite(e)))
    x = _as_float(expected)
    x = x[~np.isnan(x)]
    if x.size == 0:
        return Bins("numeric")
    cuts = np.unique(np.quantile(x, np.linspace(0, 1, n_bins + 1)[1:-1]))
    # an edge at the minimum would leave the first bin empty in the development sample
    return Bins("numeric", tuple(float(c) for c in cuts if c > x.min()))


def counts(values: pd.Series | np.ndarray | Sequence[Any], bins: Bins) -> np.ndarray:
    """Rows per bin, in bin order."""
    return np.bincount(bins.index(values), minlength=bins.n_bins)


def shares(values: pd.Series | np.ndarray | Sequence[Any], bins: Bins) -> np.ndarray:
    """Share of the rows in each bin, in bin order (raw, before any floor); zeros if empty."""
    n = counts(values, bins)
    return n / n.sum() if n.sum() else n.astype(float)


def psi(expected: pd.Series | np.ndarray, actual: pd.Series | np.ndarray,
        bins: Bins | None = None, *, epsilon: float = EPSILON) -> float:
    """Population stability index of ``actual`` against ``expected`` (bins from ``expected``
    unless given); finite whenever both samples have rows, NaN when one has none."""
    table = psi_table(expected, actual, bins or bins_of(expected), epsilon=epsilon)
    if table.expected_n.sum() == 0 or table.actual_n.sum() == 0:
        return math.nan
    return float(table.contribution.sum())


def psi_table(expected: pd.Series | np.ndarray, actual: pd.Series | np.ndarray, bins: Bins,
              *, epsilon: float = EPSILON) -> pd.DataFrame:
    """One row per bin: ``bin, expected_n, expected_share, actual_n, actual_share,
    contribution``. Shares are the raw ones; contributions use the floored, renormalised
    shares and sum to the PSI (a bin empty in both samples contributes 0)."""
    e_n, a_n = counts(expected, bins), counts(actual, bins)
    e_share = e_n / e_n.sum() if e_n.sum() else np.zeros(len(e_n))
    a_share = a_n / a_n.sum() if a_n.sum() else np.zeros(len(a_n))
    return pd.DataFrame({"bin": bins.labels(), "expected_n": e_n, "expected_share": e_share,
                         "actual_n": a_n, "actual_share": a_share,
                         "contribution": _contributions(e_share, a_share, epsilon)})


@dataclass(frozen=True)
class Reference:
    """A development sample kept as its bins and the rows in each (what the model registry
    stores), so that later months are measured against it without the sample itself."""

    bins: Bins
    expected_n: tuple[int, ...]

    @classmethod
    def of(cls, expected: pd.Series | np.ndarray, bins: Bins | None = None) -> Reference:
        b = bins or bins_of(expected)
        return cls(b, tuple(int(n) for n in counts(expected, b)))

    def psi(self, actual: pd.Series | np.ndarray, *, epsilon: float = EPSILON) -> float:
        """PSI of ``actual`` against the reference, by the same rules as ``psi``."""
        e_n, a_n = np.asarray(self.expected_n, float), counts(actual, self.bins)
        if e_n.sum() == 0 or a_n.sum() == 0:
            return math.nan
        return float(_contributions(e_n / e_n.sum(), a_n / a_n.sum(), epsilon).sum())

    def to_dict(self) -> dict[str, Any]:
        return {**self.bins.to_dict(), "expected_n": list(self.expected_n)}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Reference:
        return cls(Bins.from_dict(d), tuple(int(n) for n in d["expected_n"]))


def csi(dev_frame: pd.DataFrame, month_frame: pd.DataFrame, features: Sequence[str],
        bins_by_feature: Mapping[str, Bins] | None = None, *,
        epsilon: float = EPSILON) -> pd.DataFrame:
    """Characteristic stability index of each feature: ``feature, csi, level`` in the order
    given; a feature's bins from ``bins_by_feature`` (e.g. the scorecard's) or its deciles."""
    given = bins_by_feature or {}
    values = [psi(dev_frame[f], month_frame[f], given.get(f) or bins_of(dev_frame[f]),
                  epsilon=epsilon) for f in features]
    return pd.DataFrame({"feature": list(features), "csi": values,
                         "level": [stability_level(v) for v in values]})


def stability_level(value: float, *, watch: float = WATCH, shift: float = SHIFT) -> Level:
    """``stable`` below ``watch``, ``watch`` from it up to ``shift`` inclusive, ``shift``
    above (the drift alert); ``unknown`` for NaN.

    >>> stability_level(0.05), stability_level(0.10), stability_level(0.25), stability_level(0.3)
    ('stable', 'watch', 'watch', 'shift')
    """
    if value is None or math.isnan(value):
        return "unknown"
    return "stable" if value < watch else "watch" if value <= shift else "shift"


def _contributions(e_share: np.ndarray, a_share: np.ndarray, epsilon: float) -> np.ndarray:
    used = (e_share > 0) | (a_share > 0)
    out = np.zeros(len(e_share))
    if not used.any() or e_share.sum() == 0 or a_share.sum() == 0:
        return out
    e = np.maximum(e_share[used], epsilon)
    a = np.maximum(a_share[used], epsilon)
    e, a = e / e.sum(), a / a.sum()
    out[used] = (a - e) * np.log(a / e)
    return out


def _is_numeric(values: pd.Series | np.ndarray | Sequence[Any]) -> bool:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _as_float(values: pd.Series | np.ndarray | Sequence[Any]) -> np.ndarray:
    s = values if isinstance(values, pd.Series) else pd.Series(values)
    return s.to_numpy(dtype=float, na_value=np.nan)


def _category_index(values: pd.Series | np.ndarray | Sequence[Any],
                    categories: tuple[str, ...]) -> np.ndarray:
    s = pd.Series(values, dtype=object)
    position = {c: i for i, c in enumerate(categories)}
    other, missing = len(categories), len(categories) + 1
    return np.array([missing if pd.isna(v) else position.get(str(v), other) for v in s], int)
