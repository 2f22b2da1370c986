"""The ``rating`` and ``ecl`` sections: shipped defaults, and the edits that must be refused."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from loanwatch.policy import RatingIndicator, load_default_policy, load_policy_text

Edit = Callable[[str, str], str]
Problems = Callable[[str], tuple[str, ...]]
M = Decimal


def test_rating_defaults_are_the_documented_scorecard() -> None:
    rating = load_default_policy().rating
    assert [(f.id, f.indicator, [(b.min, b.points) for b in f.bands], f.points_each, f.cap)
            for f in rating.factors] == [
        ("MAX-DPD", RatingIndicator.MAX_DPD, [(1, 25), (31, 40), (61, 55), (91, 70)], None, None),
        ("LATE-12M", RatingIndicator.LATE_12M, [], 5, 20),
        ("INQUIRIES", RatingIndicator.INQUIRIES_3M, [(6, 10)], None, None),
        ("LENDERS", RatingIndicator.LENDERS_COUNT, [(5, 10)], None, None),
        ("BUREAU-OVERDUE", RatingIndicator.BUREAU_OVERDUE_AMOUNT, [(M("0.01"), 15)], None, None),
        ("NEW-LOANS", RatingIndicator.NEW_LOANS_3M, [(3, 5)], None, None),
        ("REGISTRY-ADVERSE", RatingIndicator.ADVERSE_REGISTRY_12M, [], 10, 30),
    ]
    assert rating.adverse_registry_kinds == (
        "lawsuit", "enforcement", "dishonest_debtor", "admin_penalty", "equity_freeze",
        "abnormal_operation")
    assert rating.grade_min_scores == (95, 90, 85, 80, 75, 65, 55, 45, 30)
    assert rating.grade_pds == tuple(M(p) for p in (
        "0.0005", "0.001", "0.002", "0.004", "0.008", "0.015", "0.03", "0.06", "0.12", "0.25"))


def test_ecl_defaults() -> None:
    ecl = load_default_policy().ecl
    assert ecl.lgd.model_dump() == {"unsecured": M("0.45"), "guarantee": M("0.40"),
                                    "mortgage": M("0.25"), "pledge": M("0.10")}
    assert ecl.lgd_by_product == {}


def test_a_product_lgd_loads_and_changes_the_version_id(default_text: str, edit: Edit) -> None:
    policy = load_policy_text(edit("lgd_by_product: {}", "lgd_by_product: {consumer: 0.60}"),
                              "policy.yaml")
    assert policy.ecl.lgd_by_product == {"consumer": M("0.60")}
    assert policy.version_id != load_policy_text(default_text, "policy.yaml").version_id


# (what is wrong, text to replace, replacement, the exact problem line)
CASES = [
    ("grade bands not decreasing", "grade_min_scores: [95, 90, 85, 80,",
     "grade_min_scores: [95, 90, 85, 85,",
     "rating.grade_min_scores[3]: must be less than the one before (85): grades go from best "
     "to worst"),
    ("grade band over 100", "grade_min_scores: [95,", "grade_min_scores: [101,",
     "rating.grade_min_scores[0]: must be less than or equal to 100"),
    ("grade PDs not increasing", "0.004, 0.008, 0.015,", "0.004, 0.008, 0.007,",
     "rating.grade_pds[5]: must be greater than the PD of the grade before (0.008): a worse "
     "grade defaults more"),
    ("equal grade PDs", "0.004, 0.008, 0.015,", "0.004, 0.008, 0.008,",
     "rating.grade_pds[5]: must be greater than the PD of the grade before (0.008): a worse "
     "grade defaults more"),
    ("a PD short", "0.12, 0.25]", "0.12]",
     "rating.grade_pds: must list 10 PDs, one per grade (grade_min_scores + 1), not 9"),
    ("a grade band too many", "45, 30]", "45, 30, 20]",
     "rating.grade_pds: must list 11 PDs, one per grade (grade_min_scores + 1), not 10"),
    ("PD over 1", "0.12, 0.25]", "0.12, 1.25]",
     "rating.grade_pds[9]: must be less than or equal to 1"),
    ("PD finer than DECIMAL(9,6)", "0.12, 0.25]", "0.12, 0.2500001]",
     "rating.grade_pds[9]: must have no more than 6 decimal places"),
    ("bands and points_each", "points_each: 5, cap: 20}",
     "points_each: 5, cap: 20, bands: [{min: 1, points: 5}]}",
     "rating.factors[1].bands: give either bands or points_each, not both or neither"),
    ("neither bands nor points_each", "indicator: new_loans_3m, bands: [{min: 3, points: 5}]}",
     "indicator: new_loans_3m}",
     "rating.factors[5].bands: give either bands or points_each, not both or neither"),
    ("band min not increasing", "{min: 61, points: 55}", "{min: 21, points: 55}",
     "rating.factors[0].bands[2].min: must be greater than the band before (31)"),
    ("band points decreasing", "{min: 91, points: 70}", "{min: 91, points: 50}",
     "rating.factors[0].bands[3].points: must not be less than the band before (55): a worse "
     "value never costs fewer points"),
    ("zero points", "{min: 6, points: 10}", "{min: 6, points: 0}",
     "rating.factors[2].bands[0].points: must be greater than 0"),
    ("duplicate factor id", "{id: LENDERS,", "{id: INQUIRIES,",
     "rating.factors[3].id: duplicate factor id 'INQUIRIES'"),
    ("factor id spelling", "{id: LENDERS,", "{id: lenders,",
     "rating.factors[3].id: must match pattern '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$'"),
    ("unknown indicator", "indicator: lenders_count", "indicator: lenders",
     "rating.factors[3].indicator: must be 'max_dpd', 'late_12m', 'inquiries_3m', "
     "'lenders_count', 'bureau_overdue_amount', 'new_loans_3m' or 'adverse_registry_12m' "
     "(got 'lenders')"),
    ("LGD over 1", "unsecured: 0.45 ", "unsecured: 1.45 ",
     "ecl.lgd.unsecured: must be less than or equal to 1"),
    ("stronger security losing more", "mortgage: 0.25 ", "mortgage: 0.50 ",
     "ecl.lgd.mortgage: must not exceed guarantee (0.40): a stronger security does not lose "
     "more"),
    ("product LGD over 1", "lgd_by_product: {}", "lgd_by_product: {consumer: 1.2}",
     "ecl.lgd_by_product.consumer: must be less than or equal to 1"),
    ("missing LGD", "    pledge: 0.10 ", "    pledges: 0.10 ",
     "ecl.lgd.pledges: unknown key (did you mean 'pledge'?)"),
]


@pytest.mark.parametrize(("old", "new", "expected"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_wrong_rating_or_ecl_value_is_named_by_its_key(
    edit: Edit, problems_of: Problems, old: str, new: str, expected: str,
) -> None:
    assert problems_of(edit(old, new)) == (f"policy.yaml: {expected}",)
