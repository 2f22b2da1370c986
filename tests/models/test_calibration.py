"""PD calibration keeps the ranking, floors the PD and saves to JSON; a calibrated PD takes the
grade whose PD is nearest in log terms, a PD on a bound the worse grade."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.special import expit, logit

from loanwatch.models.calibration import FLOOR, Calibrator, grade_bounds, grade_of
from loanwatch.policy.loader import load_default_policy

GRADE_PDS = [0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.06, 0.12, 0.25]


def synthetic(n: int = 20000, a: float = -1.0, b: float = 0.6, seed: int = 0):
    """Raw PDs whose true PD is expit(a + b logit(raw))."""
    rng = np.random.default_rng(seed)
    raw = expit(rng.normal(-3.0, 1.2, size=n))
    y = (rng.uniform(size=n) < expit(a + b * logit(raw))).astype(int)
    return raw, y


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_monotone_input_stays_monotone(method):
    raw, y = synthetic()
    grid = np.linspace(0.0, 1.0, 501)
    out = Calibrator(method).fit(raw, y).predict_pd(grid)
    assert (np.diff(out) >= 0).all()
    assert out.min() >= FLOOR and out.max() <= 1 - FLOOR


def test_platt_is_the_default_and_recovers_a_logit_linear_miscalibration():
    raw, y = synthetic(a=-1.0, b=0.6)
    cal = Calibrator().fit(raw, y)
    assert cal.method == "platt"
    assert cal.params["a"] == pytest.approx(-1.0, abs=0.25)
    assert cal.params["b"] == pytest.approx(0.6, abs=0.08)
    assert (np.diff(cal.predict_pd(np.sort(raw))) >= 0).all()


def test_platt_stays_finite_on_a_separable_sample():
    cal = Calibrator().fit([0.01, 0.02, 0.5, 0.6], [0, 0, 1, 1])
    assert math.isfinite(cal.params["a"]) and math.isfinite(cal.params["b"])
    p = cal.predict_pd([0.01, 0.6])
    assert p[0] < 0.5 < p[1]


def test_isotonic_by_hand():
    # pool adjacent violators on outcomes 0, 1, 0, 1: 0, (1 + 0) / 2, (1 + 0) / 2, 1
    cal = Calibrator("isotonic").fit([0.1, 0.2, 0.3, 0.4], [0, 1, 0, 1])
    assert cal.predict_pd([0.1, 0.2, 0.3, 0.4]).tolist() == pytest.approx(
        [FLOOR, 0.5, 0.5, 1 - FLOOR])
    assert cal.predict_pd([0.0001, 0.99]).tolist() == pytest.approx([FLOOR, 1 - FLOOR])  # clip


def test_scores_calibrate_with_higher_meaning_safer():
    rng = np.random.default_rng(1)
    score = rng.normal(600, 40, size=5000)
    y = (rng.uniform(size=5000) < expit(-(score - 560) / 25)).astype(int)
    for method in ("platt", "isotonic"):
        p = Calibrator(method, on="score").fit(score, y).predict_pd([500.0, 600.0, 700.0])
        assert p[0] > p[1] > p[2], method


@pytest.mark.parametrize("method", ["platt", "isotonic"])
def test_round_trips_through_json(method):
    raw, y = synthetic(n=3000)
    cal = Calibrator(method).fit(raw, y)
    again = Calibrator.from_dict(json.loads(json.dumps(cal.to_dict())))
    assert again == cal
    grid = np.linspace(0, 1, 101)
    assert np.array_equal(again.predict_pd(grid), cal.predict_pd(grid))


def test_unfitted_or_bad_input_is_refused():
    with pytest.raises(ValueError, match="not fitted"):
        Calibrator().predict_pd([0.1])
    with pytest.raises(ValueError, match="outcome"):
        Calibrator().fit([0.1, 0.2], [0, 2])
    with pytest.raises(ValueError, match="missing"):
        Calibrator().fit([0.1, math.nan], [0, 1])


def test_a_pd_equal_to_a_grade_pd_takes_that_grade():
    assert grade_of(GRADE_PDS, GRADE_PDS).tolist() == list(range(1, 11))


def test_bounds_are_geometric_midpoints_and_a_pd_on_one_takes_the_worse_grade():
    bounds = grade_bounds(GRADE_PDS)
    assert bounds[0] == math.sqrt(0.0005 * 0.001)  # 0.000707...
    assert bounds[-1] == math.sqrt(0.12 * 0.25)  # 0.1732...
    assert grade_of(bounds, GRADE_PDS).tolist() == list(range(2, 11))
    below = np.nextafter(bounds, 0)
    assert grade_of(below, GRADE_PDS).tolist() == list(range(1, 10))


def test_nearest_in_log_terms():
    # 0.0014 is 1.4x grade 2's PD and 1/1.43 of grade 3's: grade 2; 0.0015 is nearer grade 3
    assert grade_of([0.0014, 0.0015], GRADE_PDS).tolist() == [2, 3]


def test_extreme_pds_take_the_best_and_the_worst_grade():
    assert grade_of([0.0, 1e-9, 0.9, 1.0], GRADE_PDS).tolist() == [1, 1, 10, 10]
    assert grade_of(0.03, GRADE_PDS) == 7


def test_the_policy_grade_pds_work_as_decimals():
    pds = load_default_policy().rating.grade_pds
    assert grade_of([float(p) for p in pds], pds).tolist() == list(range(1, len(pds) + 1))


def test_grade_pds_must_increase_and_pds_must_be_known():
    with pytest.raises(ValueError, match="increasing"):
        grade_of([0.1], [0.01, 0.01])
    with pytest.raises(ValueError, match="increasing"):
        grade_of([0.1], [0.0, 0.01])
    with pytest.raises(ValueError, match="missing"):
        grade_of([math.nan], GRADE_PDS)
