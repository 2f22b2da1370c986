"""The bank policy (策略) as a typed, validated tree that mirrors ``default_policy.yaml``.

Money and ratios are ``Decimal``; every section forbids unknown keys; validators check
that the values fit together (buckets contiguous, thresholds increasing, ladder ordered).
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, Field, PlainSerializer, StrictBool, model_validator

from loanwatch.policy.fund_flows import FundFlowPolicy
from loanwatch.policy.signals import Signals
from loanwatch.policy.thresholds import ThresholdSignals
from loanwatch.policy.vocabulary import (
    Count,
    DayCount,
    FiveClass,
    Money,
    Multiplier,
    Ratio,
    Severity,
    Share,
    StrictModel,
    canonical_decimal,
    consistency_error,
)
from loanwatch.policy.workflow import WorkflowPolicy


def _time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as "
                         "'Asia/Shanghai')") from None
    return name


def _currency(code: str) -> str:
    if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
        raise ValueError(f"{code!r} is not an ISO 4217 code such as 'CNY'")
    return code


Version = Annotated[str, Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z._-]*$")]
DpdDays = Annotated[int, Field(strict=True, ge=0)]


class Bucket(StrictModel):
    """A delinquency bucket (账龄): ``min_dpd <= DPD <= max_dpd``; ``max_dpd`` null = open."""

    name: Annotated[str, Field(min_length=1)]
    min_dpd: DpdDays
    max_dpd: DpdDays | None

    @model_validator(mode="after")
    def _ends_after_start(self) -> Bucket:
        if self.max_dpd is not None and self.max_dpd < self.min_dpd:
            raise consistency_error(f"must not be less than min_dpd ({self.min_dpd})",
                                    "max_dpd")
        return self


def _contiguous(buckets: tuple[Bucket, ...]) -> tuple[Bucket, ...]:
    if not buckets:
        raise ValueError("must list at least one bucket")
    if buckets[0].min_dpd != 0:
        raise consistency_error("must be 0: the first bucket starts at DPD 0", 0, "min_dpd")
    for i, (before, bucket) in enumerate(pairwise(buckets), start=1):
        if bucket.name in {b.name for b in buckets[:i]}:
            raise consistency_error(f"duplicate bucket name {bucket.name!r}", i, "name")
        if before.max_dpd is None:
            raise consistency_error("must not be null: only the last bucket is open",
                                    i - 1, "max_dpd")
        if bucket.min_dpd != before.max_dpd + 1:
            raise consistency_error(
                f"must be {before.max_dpd + 1}, right after {before.name} "
                f"(max_dpd {before.max_dpd}): buckets are contiguous", i, "min_dpd")
    if buckets[-1].max_dpd is not None:
        raise consistency_error("must be null: the last bucket is open so every DPD has one",
                                len(buckets) - 1, "max_dpd")
    return buckets


class DpdPolicy(StrictModel):
    materiality_threshold: Money


class PenaltyPolicy(StrictModel):
    rate_multiplier: Ratio
    day_count: DayCount


class DpdFloors(StrictModel):
    """A loan more than N days past due is at least this class."""

    substandard: Count
    doubtful: Count
    loss: Count

    @model_validator(mode="after")
    def _increasing(self) -> DpdFloors:
        for before, name in pairwise(("substandard", "doubtful", "loss")):
            if getattr(self, name) <= getattr(self, before):
                raise consistency_error(
                    f"must be greater than {before} ({getattr(self, before)})", name)
        return self


class NonRetailFloors(StrictModel):
    npl_share_above: Share
    bureau_90_plus_share_above: Share


class Duration(StrictModel):
    """The longer of ``min_periods`` repayment periods and ``min_months`` months."""

    min_periods: Count
    min_months: Count


class LadderGrade(StrictModel):
    grade: Annotated[str, Field(min_length=1)]
    five_class: FiveClass


def _ordered_ladder(ladder: tuple[LadderGrade, ...]) -> tuple[LadderGrade, ...]:
    for i, grade in enumerate(ladder):
        if grade.grade in {g.grade for g in ladder[:i]}:
            raise consistency_error(f"duplicate grade {grade.grade!r}", i, "grade")
        if i and grade.five_class.rank < ladder[i - 1].five_class.rank:
            raise consistency_error(
                f"must not be better than the grade before it ({ladder[i - 1].grade}: "
                f"{ladder[i - 1].five_class.value}): grades go from best to worst",
                i, "five_class")
    missing = [c.value for c in FiveClass if c not in {g.five_class for g in ladder}]
    if missing:
        raise ValueError(f"has no grade for {', '.join(missing)}")
    return ladder


class CreditImpaired(StrictModel):
    """Registry events (kinds of registry_events) that make a debtor credit-impaired for
    ``within_months`` months: its loans are at least 次级 (and IFRS 9 stage 3)."""

    registry_kinds: tuple[Annotated[str, Field(min_length=1)], ...]
    within_months: Count


class ClassificationPolicy(StrictModel):
    dpd_above: DpdFloors
    technical_overdue_max_days: Count
    credit_impaired: CreditImpaired
    non_retail: NonRetailFloors
    restructuring_observation: Duration
    upgrade: Duration
    ladder: Annotated[tuple[LadderGrade, ...], AfterValidator(_ordered_ladder)]


class Sicr(StrictModel):
    """Significant increase in credit risk: any one rule moves a loan to stage 2."""

    from_class: FiveClass
    rating_down_notches: Count
    pd_ratio: Multiplier
    # ... and by at least this much (absolute): doubling a tiny PD is no significant increase
    pd_min_increase: Share


class Ifrs9Policy(StrictModel):
    stage2_dpd_above: Count
    stage3_dpd_above: Count
    stage3_from_class: FiveClass
    sicr: Sicr

    @model_validator(mode="after")
    def _stages_ordered(self) -> Ifrs9Policy:
        if self.stage3_dpd_above <= self.stage2_dpd_above:
            raise consistency_error(
                f"must be greater than stage2_dpd_above ({self.stage2_dpd_above})",
                "stage3_dpd_above")
        if self.sicr.from_class.rank >= self.stage3_from_class.rank:
            raise consistency_error(
                f"must be better than stage3_from_class ({self.stage3_from_class.value})",
                "sicr", "from_class")
        return self


class RatingIndicator(StrEnum):
    """What a rating factor measures of a borrower at the as-of date: its loans here
    (``max_dpd``, ``late_12m``), its latest bureau report (``inquiries_3m`` …
    ``new_loans_3m``) or the registry (``adverse_registry_12m``)."""

    MAX_DPD = "max_dpd"
    LATE_12M = "late_12m"
    INQUIRIES_3M = "inquiries_3m"
    LENDERS_COUNT = "lenders_count"
    BUREAU_OVERDUE_AMOUNT = "bureau_overdue_amount"
    NEW_LOANS_3M = "new_loans_3m"
    ADVERSE_REGISTRY_12M = "adverse_registry_12m"


#: A 12-month probability of default or a loss given default, stored as DECIMAL(9,6).
Probability = Annotated[Decimal, Field(ge=0, le=1, decimal_places=6),
                        PlainSerializer(canonical_decimal, return_type=str, when_used="json")]
#: A rating score, 0-100.
Score = Annotated[int, Field(strict=True, ge=0, le=100)]
FactorId = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$")]


class RatingBand(StrictModel):
    """From an indicator value of ``min`` on (days, a count or yuan), the factor costs
    ``points``."""

    min: Money
    points: Count


def _bands_rising(bands: tuple[RatingBand, ...]) -> tuple[RatingBand, ...]:
    for i, (before, band) in enumerate(pairwise(bands), start=1):
        if band.min <= before.min:
            raise consistency_error(f"must be greater than the band before ({before.min})",
                                    i, "min")
        if band.points < before.points:
            raise consistency_error(
                f"must not be less than the band before ({before.points}): a worse value "
                "never costs fewer points", i, "points")
    return bands


class RatingFactor(StrictModel):
    """One line of the scorecard: the points an indicator costs, by ``bands`` (the highest
    band reached) or ``points_each`` (per unit), at most ``cap``."""

    id: FactorId
    indicator: RatingIndicator
    bands: Annotated[tuple[RatingBand, ...], AfterValidator(_bands_rising)] = ()
    points_each: Count | None = None
    cap: Count | None = None

    @model_validator(mode="after")
    def _one_way_to_score(self) -> RatingFactor:
        if bool(self.bands) == (self.points_each is not None):
            raise consistency_error("give either bands or points_each, not both or neither",
                                    "bands")
        return self


class RatingPolicy(StrictModel):
    """Borrower internal rating (内部评级): score = 100 - the points the factors cost; grade
    ``g`` (1 best) from score ``grade_min_scores[g-1]`` on, the worst grade below the last;
    ``grade_pds`` is the 12-month PD of each grade."""

    factors: Annotated[tuple[RatingFactor, ...], Field(min_length=1)]
    adverse_registry_kinds: tuple[Annotated[str, Field(min_length=1)], ...]
    grade_min_scores: Annotated[tuple[Score, ...], Field(min_length=1)]
    grade_pds: tuple[Probability, ...]

    @model_validator(mode="after")
    def _fits_together(self) -> RatingPolicy:
        for i, factor in enumerate(self.factors):
            if factor.id in {f.id for f in self.factors[:i]}:
                raise consistency_error(f"duplicate factor id {factor.id!r}", "factors", i, "id")
        for i, (before, score) in enumerate(pairwise(self.grade_min_scores), start=1):
            if score >= before:
                raise consistency_error(f"must be less than the one before ({before}): "
                                        "grades go from best to worst", "grade_min_scores", i)
        if len(self.grade_pds) != len(self.grade_min_scores) + 1:
            raise consistency_error(
                f"must list {len(self.grade_min_scores) + 1} PDs, one per grade "
                f"(grade_min_scores + 1), not {len(self.grade_pds)}", "grade_pds")
        for i, (before, pd) in enumerate(pairwise(self.grade_pds), start=1):
            if pd <= before:
                raise consistency_error(f"must be greater than the PD of the grade before "
                                        f"({before}): a worse grade defaults more",
                                        "grade_pds", i)
        return self


class LgdBySecurity(StrictModel):
    """Loss given default by the loan's strongest security in force."""

    unsecured: Probability
    guarantee: Probability
    mortgage: Probability
    pledge: Probability

    @model_validator(mode="after")
    def _stronger_loses_less(self) -> LgdBySecurity:
        for before, name in pairwise(("unsecured", "guarantee", "mortgage", "pledge")):
            if getattr(self, name) > getattr(self, before):
                raise consistency_error(
                    f"must not exceed {before} ({getattr(self, before)}): a stronger "
                    "security does not lose more", name)
        return self


class EclPolicy(StrictModel):
    """Expected credit loss (预期信用损失): LGDs; ``lgd_by_product`` replaces the unsecured LGD
    of the products it names."""

    lgd: LgdBySecurity
    lgd_by_product: dict[Annotated[str, Field(min_length=1)], Probability] = {}
    # the regulator's floor on the allowance (贷款损失准备): at least coverage_min x NPL
    # (拨备覆盖率) and ratio_min x loans (拨贷比); the larger is the provision required
    coverage_min: Annotated[Decimal, Field(ge=0, le=10)]
    ratio_min: Share


class Escalation(StrictModel):
    """``min_signals`` signals of at least ``min_severity`` raise the level to ``raise_to``."""

    min_signals: Annotated[int, Field(strict=True, ge=2)]
    min_severity: Severity
    distinct_groups: StrictBool
    raise_to: Severity

    @model_validator(mode="after")
    def _raises(self) -> Escalation:
        if self.raise_to.rank <= self.min_severity.rank:
            raise consistency_error(
                f"must be more severe than min_severity ({self.min_severity.value})",
                "raise_to")
        return self


class CombiningPolicy(StrictModel):
    escalations: tuple[Escalation, ...]


class PeriodicInspections(StrictModel):
    """Days between periodic inspections (定期检查) by five-level class."""

    normal: Count
    special_mention: Count
    substandard: Count
    doubtful: Count
    loss: Count

    @model_validator(mode="after")
    def _worse_is_not_rarer(self) -> PeriodicInspections:
        for before, name in pairwise(c.value for c in FiveClass):
            if getattr(self, name) > getattr(self, before):
                raise consistency_error(
                    f"must not exceed {before} ({getattr(self, before)}): a worse class "
                    "is inspected at least as often", name)
        return self


class InspectionPolicy(StrictModel):
    first_within_days: Count
    debt_confirmation_every_days: Count
    rating_refresh_every_days: Count
    periodic_every_days: PeriodicInspections


class Policy(StrictModel):
    """The whole policy file."""

    version: Version
    timezone: Annotated[str, AfterValidator(_time_zone)]
    currency: Annotated[str, AfterValidator(_currency)]
    buckets: Annotated[tuple[Bucket, ...], AfterValidator(_contiguous)]
    dpd: DpdPolicy
    penalty: PenaltyPolicy
    classification: ClassificationPolicy
    ifrs9: Ifrs9Policy
    rating: RatingPolicy
    ecl: EclPolicy
    signals: Signals
    # the bank's own signals on the borrower indicators; none unless the file lists some
    threshold_signals: ThresholdSignals = ()
    # how the proceeds are traced and what the FLOW-* signals look for; the defaults unless
    # the file says otherwise
    fund_flows: FundFlowPolicy = FundFlowPolicy()
    combining: CombiningPolicy
    inspections: InspectionPolicy
    # service levels, schedules, collections, approvals, inquiries; the defaults unless the
    # file says otherwise
    workflow: WorkflowPolicy = WorkflowPolicy()

    @model_validator(mode="after")
    def _collection_buckets_exist(self) -> Policy:
        known = [b.name for b in self.buckets]
        collections = self.workflow.collections
        for where, names in (("strategies", [s.from_bucket for s in collections.strategies]),
                             ("bucket_weights", list(collections.bucket_weights))):
            unknown = [n for n in names if n not in known]
            if unknown:
                raise consistency_error(
                    f"names buckets that do not exist: {', '.join(unknown)} (buckets: "
                    f"{', '.join(known)})", "workflow", "collections", where)
        return self

    @property
    def version_id(self) -> str:
        """``version`` plus a digest of the values, e.g. ``2026.1+1a2b3c4d``.

        Comments and layout do not change it; any value does.
        """
        return f"{self.version}+{policy_digest(self)[:8]}"


def policy_digest(policy: Policy) -> str:
    """SHA-256 of the canonical JSON of the policy (sorted keys, normalised decimals)."""
    data = policy.model_dump(mode="json", by_alias=True)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()

