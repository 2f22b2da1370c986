"""Training a behavioural PD model on the workspace's monitoring history (模型训练), without
look-ahead: observation points are the stored month-ends whose 12-month outcome is known,
features those the nightly run sees at each point (analytics/features.py).

Split by borrower first (a stable hash: 70 % of borrowers train, 30 % never do), then by
date: the train-side borrowers' months before the last ``oot_months`` observation dates are
the training sample; the other borrowers' months are the test sample before those dates and
the out-of-time sample on them. A borrower's months are near-copies of each other and
overlapping 12-month outcome windows would give the label away, so no sample shares a
borrower with training: out-of-time is out of sample too. The model is fitted on train, calibrated to
a PD on test, measured on all three, and registered as a candidate with everything the
validation report and the monitoring need."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from loanwatch.analytics.features import (
    CATEGORICAL,
    FEATURES,
    HORIZON_MONTHS,
    outcomes,
)
from loanwatch.batch.model_marts import FEATURE_MARTS, features_on
from loanwatch.batch.model_registry import save_model_version
from loanwatch.batch.store import stored_dates
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.models import metrics, stability
from loanwatch.models.calibration import Calibrator
from loanwatch.models.families import new_model

TEST_SHARE = 0.30


class TrainingError(ValueError):
    """The history cannot train a model (too short, no bad outcome); the message says why."""


@dataclass
class Samples:
    train: pd.DataFrame
    test: pd.DataFrame
    oot: pd.DataFrame
    dates: list[dt.date]  # the observation dates used
    oot_dates: list[dt.date]


def training_frame(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, list[dt.date]]:
    """Features and outcome (``bad``) of every borrower at every stored month-end whose
    outcome window has passed; and those dates."""
    have = [set(stored_dates(con, m)) for m in FEATURE_MARTS]
    dates = sorted(set.intersection(*have)) if all(have) else []
    snapshot_dates = stored_dates(con, "loan_snapshot")
    if not dates:
        raise TrainingError("no stored month-ends with indicators, fund flows and "
                            "reconciliation: run `loanwatch run --from … --to … --every "
                            "month-end` first")
    eng = DuckDBEngine.open(con=con)
    y = outcomes(eng.table("loan_snapshot"), dates, snapshot_dates, HORIZON_MONTHS)
    t = features_on(eng, dates).join(y, ["as_of", "customer_id"])
    frame = eng.to_arrow(t).to_pandas()
    matured = sorted(set(frame["as_of"])) if len(frame) else []
    if not matured:
        first = dates[0]
        raise TrainingError(f"no observation date has a complete {HORIZON_MONTHS}-month "
                            f"outcome: the history starts {first} and needs month-ends "
                            f"{HORIZON_MONTHS} months later")
    return frame, matured


def _test_side(customer_ids: pd.Series, seed: int) -> np.ndarray:
    """A stable pseudo-random 30 % of borrowers (by a hash of id and seed)."""
    h = customer_ids.map(lambda c: int(hashlib.sha256(f"{seed}:{c}".encode()).hexdigest()[:8], 16))
    return (h % 1000 < TEST_SHARE * 1000).to_numpy()


def split(frame: pd.DataFrame, dates: list[dt.date], oot_months: int, seed: int) -> Samples:
    if len(dates) <= oot_months:
        raise TrainingError(f"{len(dates)} observation dates with outcomes: need more than "
                            f"the {oot_months} out-of-time months")
    oot_dates = dates[-oot_months:] if oot_months else []
    later = frame["as_of"].isin(oot_dates).to_numpy()
    test = _test_side(frame["customer_id"], seed)
    s = Samples(frame[~later & ~test], frame[~later & test], frame[later & test], dates,
                oot_dates)
    if s.train["bad"].sum() < 10 or s.test["bad"].sum() < 5:
        raise TrainingError(f"too few bad outcomes to train ({int(s.train['bad'].sum())} in "
                            f"train, {int(s.test['bad'].sum())} in test)")
    return s


def _x(df: pd.DataFrame) -> pd.DataFrame:
    return df[[*FEATURES, *CATEGORICAL]]


def _window(df: pd.DataFrame) -> str:
    return f"{min(df['as_of'])} – {max(df['as_of'])}" if len(df) else ""


def _sample_report(model: Any, calibrator: Calibrator, df: pd.DataFrame) -> dict[str, Any]:
    """What the validation report shows of one sample (reports/model_validation.py)."""
    if df.empty:
        return {}
    y = df["bad"].to_numpy()
    pd_ = calibrator.predict_pd(model.predict_pd(_x(df)))
    return {"window": _window(df), "summary": metrics.summary(y, pd_),
            "calibration": metrics.calibration_table(y, pd_).to_dict("records"),
            "score_distribution": metrics.score_distribution(model.score(_x(df)), y)
            .to_dict("records")}


def train(con: duckdb.DuckDBPyConnection, family: str, *, policy_version: str, now: dt.datetime,
          oot_months: int = 3, seed: int = 0) -> tuple[str, dict[str, Any]]:
    """Train, calibrate, measure and register a ``family`` model; (model id, its meta)."""
    frame, dates = training_frame(con)
    s = split(frame, dates, oot_months, seed)
    model = new_model(family, seed=seed).fit(_x(s.train), s.train["bad"].to_numpy(),
                                             groups=s.train["customer_id"].to_numpy())
    calibrator = Calibrator().fit(model.predict_pd(_x(s.test)), s.test["bad"].to_numpy())
    dev = pd.concat([s.train, s.test])
    dev_scores = model.score(_x(dev))
    numeric = [f for f in FEATURES if dev[f].notna().any()]
    meta: dict[str, Any] = {
        "family": family, "seed": seed, "features": list(model.features),
        "horizon_months": HORIZON_MONTHS, "policy_version": policy_version,
        "training_window": _window(dev),
        "development": {"from": str(s.dates[0]), "to": str(max(set(dev["as_of"]))),
                        "rows": len(dev), "bads": int(dev["bad"].sum())},
        "out_of_time": {"dates": [str(d) for d in s.oot_dates], "rows": len(s.oot),
                        "bads": int(s.oot["bad"].sum())},
        "calibration": calibrator.to_dict(),
        "score_reference": stability.Reference.of(dev_scores).to_dict(),
        "feature_references": {f: stability.Reference.of(dev[f]).to_dict() for f in numeric},
        "samples": {name: _sample_report(model, calibrator, df)
                    for name, df in (("train", s.train), ("test", s.test), ("out_of_time", s.oot))},
    }
    meta["stability"] = ([] if s.oot.empty else
                         stability.csi(dev, s.oot, numeric).to_dict("records"))
    ref = stability.Reference.from_dict(meta["score_reference"])
    meta["score_stability"] = [
        {"sample": name, "psi": p, "level": stability.stability_level(p)}
        for name, df in (("test", s.test), ("out_of_time", s.oot)) if len(df)
        for p in [ref.psi(model.score(_x(df)))]]
    if hasattr(model, "bin_table"):
        meta["bins"] = model.bin_table().to_dict("records")
    model_id = save_model_version(con, model, meta, policy_version=policy_version, now=now)
    return model_id, {**meta, "model_id": model_id}
