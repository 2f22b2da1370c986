"""The tunable parameters of each early-warning signal (SIGNALS.md), as strict models.

Key conventions: ``min_*`` fires at a value >= the threshold, ``*_above`` at > and
``*_below`` at <; shares are fractions (0.10 = 10%). Signals whose default is "any" take
``NoParams``.
"""

from __future__ import annotations

from itertools import pairwise

from pydantic import StrictBool, model_validator

from loanwatch.policy.vocabulary import (
    Count,
    FiveClass,
    Money,
    Multiplier,
    Ratio,
    Severity,
    Share,
    StrictModel,
    Tolerance,
    consistency_error,
)


class NoParams(StrictModel):
    """The signal fires on any occurrence; there is nothing to tune."""


def _increasing(params: StrictModel, *names: str) -> None:
    for before, name in pairwise(names):
        low, high = getattr(params, before), getattr(params, name)
        if high <= low:
            raise consistency_error(f"must be greater than {before} ({low})", name)


# A. Repayment behaviour
class RepayOverdue(StrictModel):
    min_dpd: Count
    medium_min_dpd: Count
    high_min_dpd: Count
    critical_min_dpd: Count

    @model_validator(mode="after")
    def _steps_increase(self) -> RepayOverdue:
        _increasing(self, "min_dpd", "medium_min_dpd", "high_min_dpd", "critical_min_dpd")
        return self


class RepayPartial(StrictModel):
    min_partial_periods: Count
    last_periods: Count

    @model_validator(mode="after")
    def _fits_window(self) -> RepayPartial:
        if self.min_partial_periods > self.last_periods:
            raise consistency_error("must not exceed last_periods", "min_partial_periods")
        return self


class RepayRepeat(StrictModel):
    min_overdues: Count
    window_months: Count
    min_long_overdues: Count
    long_overdue_working_days_above: Count


class RepayDueSoonRisk(StrictModel):
    due_within_days: Count
    worst_share: Share


# B. Use and flow of loan proceeds
class FlowBackflow(StrictModel):
    window_days: Count
    max_hops: Count
    min_share: Share


class FlowUntraced(StrictModel):
    min_share: Share
    window_days: Count


class FlowShare(StrictModel):
    """Fires when at least ``min_share`` of the proceeds goes one suspicious way."""

    min_share: Share


# C. Contracts and invoices
class InvMissing(StrictModel):
    after_days: Count


class InvMismatch(StrictModel):
    amount_tolerance: Tolerance


class ContractImplausible(StrictModel):
    revenue_months: Count
    revenue_divisor: Count


# D. Borrowing elsewhere and bureau data
class BureauShortDebtGrowth(StrictModel):
    min_growth: Ratio
    window_months: Count


class BureauNewLenders(StrictModel):
    min_new_lenders: Count
    window_months: Count


class BureauInquirySpike(StrictModel):
    inquiries_above: Count
    window_months: Count


class BureauOverdueElsewhere(StrictModel):
    amount_above: Money


# E. Public information and registry
class RegKeyPersonChurn(StrictModel):
    changes_above: Count
    window_months: Count
    early_recall_if_overdue: StrictBool


class RegLitigation(StrictModel):
    min_net_asset_share: Ratio


class RegPenalty(StrictModel):
    equity_freeze_severity: Severity


# F. Settlement and operations
class SettleBelowCovenant(StrictModel):
    min_consecutive_months: Count


class SettleDrop(StrictModel):
    min_drop: Share
    baseline_months: Count


class SettleVsRevenue(StrictModel):
    revenue_share_below: Share


# G. Financial condition
class FinRevenueDrop(StrictModel):
    min_drop: Share


class FinLeverage(StrictModel):
    debt_ratio_above: Share
    min_rise_since_year_start: Share


class FinLiquidity(StrictModel):
    current_ratio_below: Ratio


class FinLoss(StrictModel):
    min_negative_cash_flow_periods: Count


class IndIncomeDrop(StrictModel):
    min_drop: Share
    recent_months: Count
    baseline_months: Count


class IndDebtBurden(StrictModel):
    ratio_above: Ratio


class IndRepayToIncome(StrictModel):
    ratio_above: Ratio
    high_ratio_above: Ratio

    @model_validator(mode="after")
    def _high_is_higher(self) -> IndRepayToIncome:
        _increasing(self, "ratio_above", "high_ratio_above")
        return self


# H. Guarantors and collateral
class CollValueDrop(StrictModel):
    min_value_drop: Share
    ltv_above: Ratio


class GuarDistress(StrictModel):
    min_guarantor_severity: Severity


class GuarCircle(StrictModel):
    min_chain_length: Count


# I. Classification and rating
class ClassDowngrade(StrictModel):
    critical_from_class: FiveClass
    critical_to_class: FiveClass
    # a move to 关注 for no reason but an overdue installment (the OVERDUE floor): the
    # overdue is REPAY-OVERDUE's to grade, so this one is milder than a real downgrade
    overdue_only_severity: Severity = Severity.MEDIUM

    @model_validator(mode="after")
    def _is_a_downgrade(self) -> ClassDowngrade:
        if self.critical_to_class.rank <= self.critical_from_class.rank:
            raise consistency_error("must be worse than critical_from_class",
                                    "critical_to_class")
        return self


class RatingDowngrade(StrictModel):
    min_notches: Count


class ScoreDeterioration(StrictModel):
    min_pd_ratio: Multiplier
    pd_above: Share
