"""PSI and CSI follow the written rules: right-open bins from the development sample, a bin
for missing values (and for unseen categories), a floor for bins empty in one sample, and the
same number as toad when no bin is empty."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
import toad
from hypothesis import given
from hypothesis import strategies as st
from toad.transform import Combiner

from loanwatch.models.stability import (
    EPSILON,
    Bins,
    Reference,
    bins_of,
    csi,
    psi,
    psi_table,
    shares,
    stability_level,
)

THREE = Bins("numeric", (1.0, 2.0))  # [-inf, 1), [1, 2), [2, +inf), missing


def sample(*counts_at: tuple[float, int]) -> np.ndarray:
    return np.array([v for v, n in counts_at for _ in range(n)], dtype=float)


def psi_by_hand(e: list[float], a: list[float]) -> float:
    return sum((ai - ei) * math.log(ai / ei) for ei, ai in zip(e, a, strict=True))


def test_three_bins_by_hand():
    expected = sample((0.5, 5), (1.5, 3), (2.5, 2))  # shares 0.5, 0.3, 0.2
    actual = sample((0.5, 4), (1.5, 4), (2.5, 2))  # shares 0.4, 0.4, 0.2
    # (0.4 - 0.5) ln(0.4/0.5) + (0.4 - 0.3) ln(0.4/0.3) + (0.2 - 0.2) ln 1
    # = 0.1 x 0.2231436 + 0.1 x 0.2876821 + 0 = 0.0510826
    assert psi(expected, actual, THREE) == pytest.approx(0.1 * math.log(1.25)
                                                         + 0.1 * math.log(4 / 3), abs=1e-12)
    assert psi(expected, actual, THREE) == pytest.approx(0.0510826, abs=1e-7)


def test_the_table_lists_every_bin_and_its_contributions_sum_to_the_psi():
    expected = sample((0.5, 5), (1.5, 3), (2.5, 2))
    actual = sample((0.5, 4), (1.5, 4), (2.5, 2))
    t = psi_table(expected, actual, THREE)
    assert t.bin.tolist() == ["[-inf, 1)", "[1, 2)", "[2, +inf)", "missing"]
    assert t.expected_n.tolist() == [5, 3, 2, 0]
    assert t.actual_share.tolist() == pytest.approx([0.4, 0.4, 0.2, 0.0])
    assert t.contribution.iloc[-1] == 0.0  # missing: empty in both samples, dropped
    assert t.contribution.sum() == pytest.approx(psi(expected, actual, THREE), abs=1e-15)


def test_a_bin_empty_in_the_actual_sample_gets_the_floor_share():
    expected = sample((0.5, 5), (1.5, 3), (2.5, 2))  # 0.5, 0.3, 0.2
    actual = sample((0.5, 5), (1.5, 5))  # 0.5, 0.5, 0 -> 0.5, 0.5, 1e-4, renormalised
    a = [0.5 / 1.0001, 0.5 / 1.0001, 1e-4 / 1.0001]
    value = psi(expected, actual, THREE)
    assert math.isfinite(value)
    assert value == pytest.approx(psi_by_hand([0.5, 0.3, 0.2], a), abs=1e-12)
    assert value == pytest.approx(1.62156, abs=1e-5)


def test_a_bin_empty_in_the_expected_sample_gets_the_floor_share():
    expected = sample((0.5, 5), (1.5, 5))
    actual = sample((0.5, 5), (1.5, 3), (2.5, 2))
    e = [0.5 / 1.0001, 0.5 / 1.0001, 1e-4 / 1.0001]
    assert psi(expected, actual, THREE) == pytest.approx(psi_by_hand(e, [0.5, 0.3, 0.2]),
                                                         abs=1e-12)


def test_the_floor_is_a_parameter():
    expected = sample((0.5, 5), (1.5, 5))
    actual = sample((0.5, 5), (1.5, 3), (2.5, 2))
    e = [0.5 / 1.01, 0.5 / 1.01, 0.01 / 1.01]
    assert EPSILON == 1e-4
    assert psi(expected, actual, THREE, epsilon=0.01) == pytest.approx(
        psi_by_hand(e, [0.5, 0.3, 0.2]), abs=1e-12)


def test_a_value_exactly_on_an_edge_goes_to_the_bin_that_starts_there():
    values = np.array([0.999, 1.0, 1.999, 2.0, -np.inf, np.inf, np.nan])
    assert THREE.index(values).tolist() == [0, 1, 1, 2, 0, 2, 3]
    assert shares([1.0, 2.0], THREE).tolist() == [0.0, 0.5, 0.5, 0.0]


def test_missing_values_are_a_bin_of_their_own():
    expected = sample((0.5, 4), (1.5, 4), (math.nan, 2))  # 0.4, 0.4, 0, missing 0.2
    actual = sample((0.5, 4), (1.5, 2), (math.nan, 4))  # 0.4, 0.2, 0, missing 0.4
    # 0 + (0.2 - 0.4) ln(0.2/0.4) + (0.4 - 0.2) ln(0.4/0.2) = 0.4 ln 2; [2, +inf) empty in both
    assert psi(expected, actual, THREE) == pytest.approx(0.4 * math.log(2), abs=1e-12)
    assert psi(pd.Series(expected).astype("Float64"), actual, THREE) == pytest.approx(
        0.4 * math.log(2), abs=1e-12)


def test_an_unseen_category_goes_to_other():
    expected = pd.Series(["a"] * 6 + ["b"] * 4)
    actual = pd.Series(["a"] * 5 + ["b"] * 3 + ["c"] * 2)
    bins = bins_of(expected)
    assert bins.labels() == ["a", "b", "other", "missing"]
    # expected 0.6, 0.4, 0 -> floor 1e-4 on "other", renormalised; "missing" empty in both
    e = [0.6 / 1.0001, 0.4 / 1.0001, 1e-4 / 1.0001]
    assert psi(expected, actual) == pytest.approx(psi_by_hand(e, [0.5, 0.3, 0.2]), abs=1e-12)
    assert bins.index(pd.Series(["b", None, "zz"])).tolist() == [1, 3, 2]


def test_default_edges_are_the_deciles_of_the_development_sample():
    assert bins_of(np.arange(10.0), n_bins=5).edges == pytest.approx((1.8, 3.6, 5.4, 7.2))
    assert len(bins_of(np.arange(1000.0)).edges) == 9


def test_a_constant_feature_is_one_bin_and_an_edge_at_the_minimum_is_dropped():
    assert bins_of(np.full(20, 3.0)).labels() == ["[-inf, +inf)", "missing"]
    assert psi(np.full(20, 3.0), np.array([1.0, 5.0, np.nan])) == pytest.approx(
        psi_by_hand([1 / 1.0001, 1e-4 / 1.0001], [2 / 3, 1 / 3]), abs=1e-12)
    assert bins_of(np.array([0.0] * 8 + [1.0, 2.0]), n_bins=5).edges == pytest.approx((0.2,))


def test_given_edges_drop_infinite_ends_and_must_increase():
    assert bins_of(np.arange(5.0), edges=[-math.inf, 1, 2, math.inf]) == THREE
    with pytest.raises(ValueError, match="strictly increasing"):
        Bins("numeric", (2.0, 1.0))
    with pytest.raises(ValueError, match="numeric"):
        bins_of(pd.Series(["a", "b"]), edges=[1.0])


def test_bins_round_trip_through_json():
    for bins in (bins_of(np.random.default_rng(0).normal(size=200)), bins_of(pd.Series(["x", "y"]))):
        assert Bins.from_dict(json.loads(json.dumps(bins.to_dict()))) == bins


def test_an_empty_sample_has_no_psi():
    assert math.isnan(psi(np.arange(10.0), np.array([]), THREE))


@given(st.lists(st.one_of(st.integers(0, 4), st.none()), min_size=1, max_size=30),
       st.lists(st.one_of(st.integers(0, 6), st.none()), min_size=1, max_size=30))
def test_psi_is_always_finite_and_not_negative(expected, actual):
    e = pd.Series(expected, dtype="float64")
    value = psi(e, pd.Series(actual, dtype="float64"))
    assert math.isfinite(value) and value >= 0


def test_csi_per_feature_with_given_or_decile_bins():
    rng = np.random.default_rng(3)
    dev = pd.DataFrame({"income": rng.normal(size=500), "region": rng.choice(["n", "s"], 500)})
    month = pd.DataFrame({"income": rng.normal(1.0, size=300),
                          "region": rng.choice(["n", "s", "w"], 300)})
    out = csi(dev, month, ["region", "income"], {"income": THREE})
    assert out.columns.tolist() == ["feature", "csi", "level"]
    assert out.feature.tolist() == ["region", "income"]
    assert out.csi.tolist() == pytest.approx([psi(dev.region, month.region),
                                              psi(dev.income, month.income, THREE)])
    assert out.level.tolist() == [stability_level(v) for v in out.csi]


@pytest.mark.parametrize(("value", "level"), [(0.0, "stable"), (0.0999, "stable"), (0.10, "watch"),
                                              (0.25, "watch"), (0.2501, "shift"),
                                              (math.nan, "unknown")])
def test_stability_levels(value, level):
    assert stability_level(value) == level


def test_stability_thresholds_are_parameters():
    assert stability_level(0.08, watch=0.05, shift=0.2) == "watch"
    assert stability_level(0.21, watch=0.05, shift=0.2) == "shift"


def test_agrees_with_toad_when_no_bin_is_empty():
    rng = np.random.default_rng(1)
    expected, actual = rng.normal(size=2000), rng.normal(0.2, 1.1, size=1500)
    bins = bins_of(expected)
    assert (psi_table(expected, actual, bins).iloc[:-1][["expected_n", "actual_n"]] > 0).all().all()
    ours = psi(expected, actual, bins)
    # toad's Combiner bins with np.digitize: right-open [a, b) on the same interior edges
    combiner = Combiner().load({"x": list(bins.edges)})
    by_combiner = toad.metrics.PSI(pd.DataFrame({"x": actual}), pd.DataFrame({"x": expected}),
                                   combiner=combiner, return_frame=False)["x"]
    by_labels = toad.metrics.PSI(bins.index(actual), bins.index(expected), return_frame=False)
    assert abs(ours - by_combiner) < 1e-6
    assert abs(ours - by_labels) < 1e-6
    assert 0.01 < ours < 0.25


def test_a_reference_measures_later_months_as_psi_does_with_the_sample():
    rng = np.random.default_rng(3)
    dev, month = rng.normal(0, 1, 3000), rng.normal(0.3, 1.2, 800)
    ref = Reference.of(dev)
    again = Reference.from_dict(json.loads(json.dumps(ref.to_dict())))
    assert again.psi(month) == pytest.approx(psi(dev, month), abs=1e-12)
    assert math.isnan(again.psi(np.array([])))
