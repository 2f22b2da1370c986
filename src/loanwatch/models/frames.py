"""What every model family does the same way with its input frames and outputs: which
columns are categorical, the required columns, the 0/1 target, and the top factors of
each row from a matrix of per-feature effects."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from loanwatch.models.base import Factor


def categorical_columns(X: pd.DataFrame) -> list[str]:
    return [c for c in X.columns if not (pd.api.types.is_numeric_dtype(X[c]) or
                                         pd.api.types.is_bool_dtype(X[c]))]


def required(X: pd.DataFrame, features: Sequence[str]) -> pd.DataFrame:
    """``X``'s model columns, in the model's order; a clear ValueError naming any missing."""
    missing = [f for f in features if f not in X.columns]
    if missing:
        raise ValueError(f"X lacks the model's feature column(s): {', '.join(missing)}")
    return X[list(features)]


def binary_target(y: Sequence[int] | np.ndarray, n: int) -> np.ndarray:
    target = np.asarray(y).astype(int)
    if len(target) != n or not set(np.unique(target)) <= {0, 1} or len(np.unique(target)) < 2:
        raise ValueError("y must hold one 0/1 outcome per row of X, with both outcomes present")
    return target


def value_texts(column: pd.Series) -> np.ndarray:
    """Each value as text, "" when missing."""
    text = column.astype(object).map(str).to_numpy(dtype=object)
    text[column.isna().to_numpy()] = ""
    return text


def top_factors(effects: np.ndarray, features: Sequence[str], values: pd.DataFrame,
                top: int) -> list[list[Factor]]:
    """Per row of ``effects`` (rows × features), the ``top`` features with the largest
    effect, largest first (ties in feature order), with the row's value as text."""
    effects = np.asarray(effects, float)
    order = np.argsort(-effects, axis=1, kind="stable")[:, :top]
    texts = [value_texts(values[f]) for f in features]
    return [[Factor(features[j], texts[j][i], float(effects[i, j])) for j in row]
            for i, row in enumerate(order)]


def saved_meta(path: Path, family: str, version: int) -> dict:
    """The ``model.json`` of a saved model folder, checked to be of ``family`` and format
    ``version`` (a clear ValueError otherwise)."""
    meta = json.loads((Path(path) / "model.json").read_text(encoding="utf-8"))
    if meta.get("family") != family or meta.get("version") != version:
        raise ValueError(f"{path} holds a {meta.get('family')} model of format "
                         f"{meta.get('version')}, not a {family} of format {version}")
    return meta
