"""Monitoring a model month by month (模型监控): the stability of its score (PSI) and of each
feature (CSI) against its development sample, by the rules of models/stability.py, and its
discrimination (AUC, KS) once a month's 12-month outcomes are known. A PSI above
``DRIFT_PSI`` is model drift: the ``model_monitoring`` mart flags it and
``loanwatch model monitor`` prints it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from loanwatch.analytics.features import HORIZON_MONTHS, outcomes
from loanwatch.batch.dated import Stored
from loanwatch.batch.model_marts import FEATURE_MARTS, features_on, registered_model
from loanwatch.batch.model_registry import Registered, load_registered, model_files
from loanwatch.batch.store import stored_dates
from loanwatch.engines.base import AnalyticsEngine
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.models import metrics, stability
from loanwatch.policy import Policy

DRIFT_PSI = 0.25
TOP_SHIFTS = 3
MONITORING = pa.schema([
    ("as_of", pa.date32()), ("model_id", pa.string()), ("measure", pa.string()),
    ("value", pa.float64()), ("level", pa.string()), ("drift", pa.bool_())])


def month_stability(engine: AnalyticsEngine, day: dt.date, model: Any,
                    meta: dict[str, Any]) -> dict[str, Any]:
    """The model's PSI and every feature's CSI at ``day`` against its development sample."""
    frame = engine.to_arrow(features_on(engine, day)).to_pandas()
    if frame.empty:
        return {"n": 0, "psi": 0.0, "csi": {}, "frame": frame, "pd": np.array([])}
    scores = np.asarray(model.score(frame), float)
    psi = stability.Reference.from_dict(meta["score_reference"]).psi(scores)
    csi = {f: stability.Reference.from_dict(r).psi(frame[f].to_numpy(float))
           for f, r in meta.get("feature_references", {}).items() if f in frame}
    return {"n": len(frame), "psi": psi, "csi": csi, "frame": frame,
            "pd": np.asarray(model.predict_pd(frame), float)}


def _discrimination(engine: AnalyticsEngine, day: dt.date, frame, pd_: np.ndarray,
                    snapshot_dates: Sequence[dt.date]) -> tuple[float | None, float | None]:
    y = engine.to_arrow(outcomes(engine.table("loan_snapshot"), [day], snapshot_dates,
                                 HORIZON_MONTHS)).to_pandas()
    if y.empty:
        return None, None
    j = frame[["customer_id"]].assign(pd=pd_).merge(y, on="customer_id")
    if j["bad"].nunique() < 2:
        return None, None
    s = metrics.summary(j["bad"].to_numpy(), j["pd"].to_numpy())
    return s["auc"], s["ks"]


def monitor_model(con: duckdb.DuckDBPyConnection, entry: Registered) -> list[dict[str, Any]]:
    """One row per stored month-end after the model's development window."""
    engine = DuckDBEngine.open(con=con)
    model = load_registered(model_files(con, entry.model_id))
    start = dt.date.fromisoformat(entry.meta["development"]["to"])
    needed = [set(stored_dates(con, m)) for m in FEATURE_MARTS]
    days = sorted(d for d in set.intersection(*needed) if d > start) if all(needed) else []
    snapshot_dates = stored_dates(con, "loan_snapshot")
    rows = []
    for day in days:
        m = month_stability(engine, day, model, entry.meta)
        auc, ks = (_discrimination(engine, day, m["frame"], m["pd"], snapshot_dates)
                   if m["n"] else (None, None))
        top = sorted(m["csi"].items(), key=lambda kv: -kv[1])[:TOP_SHIFTS]
        rows.append({"as_of": day, "n": m["n"], "psi": m["psi"],
                     "level": stability.stability_level(m["psi"]), "top_csi": top,
                     "auc": auc, "ks": ks, "drift": m["psi"] > DRIFT_PSI})
    return rows


def model_monitoring(engine: AnalyticsEngine, dates: Sequence[dt.date], policy: Policy,
                     stored: Stored) -> ir.Table:
    """The ``model_monitoring`` mart: the champion's PSI and each feature's CSI at the date,
    with its stability level and the drift flag (PSI > ``DRIFT_PSI``); empty without one."""
    (day,) = dates
    champion = registered_model(engine, "champion")
    if champion is None:
        return ibis.memtable(MONITORING.empty_table())
    model_id, _, meta, files = champion
    m = month_stability(engine, day, load_registered(files), meta)
    measures = [("psi:score", m["psi"]), *((f"csi:{f}", v) for f, v in sorted(m["csi"].items()))]
    return ibis.memtable(pa.table({
        "as_of": pa.array([day] * len(measures), pa.date32()),
        "model_id": pa.array([model_id] * len(measures), pa.string()),
        "measure": pa.array([k for k, _ in measures], pa.string()),
        "value": pa.array([float(v) for _, v in measures], pa.float64()),
        "level": pa.array([stability.stability_level(v) for _, v in measures], pa.string()),
        "drift": pa.array([k == "psi:score" and v > DRIFT_PSI for k, v in measures])},
        schema=MONITORING))
