"""The PD model families by name, so that the batch, the registry and the command line can
build or load a model from the family written in its configuration or in its saved folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loanwatch.models.base import PDModel
from loanwatch.models.gbm import BoostedModel
from loanwatch.models.scorecard import Scorecard

FAMILIES: dict[str, type] = {Scorecard.family: Scorecard, BoostedModel.family: BoostedModel}


def model_class(family: str) -> type:
    """The class of ``family``; a ValueError lists the known families."""
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(sorted(FAMILIES))}") from None


def new_model(family: str, **params: Any) -> PDModel:
    """An unfitted model of ``family`` with ``params`` (the family's keyword arguments)."""
    return model_class(family)(**params)


def load_model(path: Path) -> PDModel:
    """The model saved in folder ``path``, of the family its ``model.json`` names."""
    meta_file = Path(path) / "model.json"
    if not meta_file.is_file():
        raise ValueError(f"{path} is not a saved model folder (no model.json)")
    family = json.loads(meta_file.read_text(encoding="utf-8")).get("family", "")
    return model_class(family).load(Path(path))
