"""Builder of the ``scores`` mart: the champion model's behavioural PD, score, rating grade
and top factors for every borrower not in default at the date, and the challenger's PD and
score beside it (models/, batch/model_registry.py). With no champion the mart is empty and
the rating keeps its interim scorecard."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.analytics.features import FEATURE_KINDS, FEATURE_LABELS, borrower_features
from loanwatch.batch.dated import Stored
from loanwatch.batch.model_registry import load_registered
from loanwatch.domain.indicators import IndicatorKind
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.models.base import Factor
from loanwatch.models.calibration import Calibrator, grade_of
from loanwatch.policy import Policy

SCORES = pa.schema([
    ("as_of", pa.date32()), ("customer_id", pa.string()), ("model_id", pa.string()),
    ("family", pa.string()), ("score", pa.float64()), ("raw_pd", pa.float64()),
    ("pd_12m", pa.decimal128(9, 6)), ("grade", pa.int32()), ("factors_zh", pa.string()),
    ("factors_en", pa.string()), ("challenger_id", pa.string()), ("challenger_score", pa.float64()),
    ("challenger_pd", pa.decimal128(9, 6))])
TOP_FACTORS = 3


FEATURE_MARTS = ("indicators", "loan_snapshot", "fund_flows", "reconciliation")


def features_on(engine: AnalyticsEngine, days: dt.date | Sequence[dt.date]) -> ir.Table:
    """The model features of every borrower not in default at ``days`` (one date or many),
    from the marts stored for them."""
    dates = [days] if isinstance(days, dt.date) else list(days)

    def on(mart: str) -> ir.Table:
        t = engine.table(mart)
        return t.filter(t.as_of.isin(dates))

    return borrower_features(*(on(m) for m in FEATURE_MARTS))


NO_RECORD = ("无记录", "no record")


def value_text(feature: str, value: str, lang: int) -> str:
    """A factor's value as a manager reads it: money with separators, ratios with two
    decimals, counts whole; a missing value says so."""
    if value.strip() == "":
        return NO_RECORD[lang]
    try:
        x = float(value)
    except ValueError:
        return value
    kind = FEATURE_KINDS.get(feature)
    if kind is IndicatorKind.MONEY:
        return f"{x:,.2f}"
    if kind in (IndicatorKind.COUNT, IndicatorKind.FLAG):
        return f"{x:,.0f}"
    return f"{x:,.2f}"


def factor_text(factors: Sequence[Factor], lang: int) -> str:
    """The factors that raised the PD most, as a manager reads them: ``label value``."""
    return "; ".join(f"{FEATURE_LABELS.get(f.feature, (f.feature, f.feature))[lang]} "
                     f"{value_text(f.feature, f.value, lang)}" for f in factors if f.effect > 0)


def _decimal_pd(values: np.ndarray) -> pa.Array:
    return pc.round(pa.array(np.clip(values, 0.0, 1.0), pa.float64()), 6).cast(
        pa.decimal128(9, 6))


def scored(frame: pd.DataFrame, model, meta: dict, grade_pds: Sequence) -> dict[str, object]:
    """One model's columns for the rows of ``frame``: score, raw and calibrated PD, grade
    and the factors in both languages."""
    raw = np.asarray(model.predict_pd(frame), float)
    calibrated = Calibrator.from_dict(meta["calibration"]).predict_pd(raw)
    factors = model.explain(frame, top=TOP_FACTORS)
    return {"score": np.asarray(model.score(frame), float), "raw_pd": raw,
            "pd_12m": _decimal_pd(calibrated),
            "grade": np.asarray(grade_of(calibrated, [float(p) for p in grade_pds]), np.int32),
            "factors_zh": [factor_text(f, 0) for f in factors],
            "factors_en": [factor_text(f, 1) for f in factors]}


def registered_model(engine: AnalyticsEngine, role: str) -> tuple[str, str, dict, bytes] | None:
    m = engine.table("lw_models")
    rows = engine.to_arrow(m.filter(m.role == role).select("model_id", "family", "meta",
                                                             "files")).to_pylist()
    if not rows:
        return None
    r = rows[0]
    return r["model_id"], r["family"], json.loads(r["meta"]), r["files"]


def scores(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
           stored: Stored) -> ir.Table:
    (day,) = dates
    champion = registered_model(engine, "champion")
    if champion is None:
        return ibis.memtable(SCORES.empty_table())
    frame = engine.to_arrow(features_on(engine, day)).to_pandas()
    if frame.empty:
        return ibis.memtable(SCORES.empty_table())
    model_id, family, meta, files = champion
    cols = scored(frame, load_registered(files), meta, policy.rating.grade_pds)
    n = len(frame)
    out = {"as_of": pa.array([day] * n, pa.date32()),
           "customer_id": pa.array(frame["customer_id"], pa.string()),
           "model_id": pa.array([model_id] * n, pa.string()),
           "family": pa.array([family] * n, pa.string()), **cols,
           "challenger_id": pa.nulls(n, pa.string()), "challenger_score": pa.nulls(n, pa.float64()),
           "challenger_pd": pa.nulls(n, pa.decimal128(9, 6))}
    challenger = registered_model(engine, "challenger")
    if challenger is not None:
        c_id, _, c_meta, c_files = challenger
        c = scored(frame, load_registered(c_files), c_meta, policy.rating.grade_pds)
        out |= {"challenger_id": pa.array([c_id] * n, pa.string()),
                "challenger_score": c["score"], "challenger_pd": c["pd_12m"]}
    return ibis.memtable(pa.table({f.name: pa.array(out[f.name], f.type)
                                   if not isinstance(out[f.name], pa.Array) else out[f.name]
                                   for f in SCORES}, schema=SCORES))
