"""IFRS 9 (新金融工具准则) stage of each loan, and the policy's rules for staging and ECL.

Stage 3 is credit-impaired: more than ``stage3_dpd_above`` days past due, or classified
``stage3_from_class`` (次级) or worse. Stage 2 is a significant increase in credit risk since
origination (SICR): more than ``stage2_dpd_above`` days past due, classified
``sicr.from_class`` (关注) or worse, the borrower's rating down at least
``rating_down_notches`` grades, or its 12-month PD at least ``pd_ratio`` times the PD at
origination. Everything else is stage 1. Each loan keeps the rules that set its stage."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from loanwatch.analytics.ecl import EclRules
from loanwatch.classify.floors import CLASSES
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import FiveClass

# a PD ratio compares two DECIMAL(9,6); at scale 6 the product stays exact
_PD = dtypes.Decimal(18, 6)


@dataclass(frozen=True)
class StagingRules:
    stage2_dpd_above: int = 30
    stage3_dpd_above: int = 90
    stage3_from_class: str = FiveClass.SUBSTANDARD.value
    sicr_from_class: str = FiveClass.SPECIAL_MENTION.value
    rating_down_notches: int = 3
    pd_ratio: Decimal = Decimal("2.0")
    pd_min_increase: Decimal = Decimal("0.005")


def staging_rules(policy: Policy) -> StagingRules:
    s = policy.ifrs9
    return StagingRules(s.stage2_dpd_above, s.stage3_dpd_above, s.stage3_from_class.value,
                        s.sicr.from_class.value, s.sicr.rating_down_notches, s.sicr.pd_ratio,
                        s.sicr.pd_min_increase)


def ecl_rules(policy: Policy) -> EclRules:
    """The ECL rules of the policy (analytics cannot read the policy itself)."""
    lgd = policy.ecl.lgd
    return EclRules(lgd.unsecured, lgd.guarantee, lgd.mortgage, lgd.pledge,
                    tuple(sorted(policy.ecl.lgd_by_product.items())))


@dataclass(frozen=True)
class StageRule:
    rule: str
    stage: int
    holds: ir.BooleanValue


def stage_rules(t: ir.Table, rules: StagingRules) -> list[StageRule]:
    """The rules over loans with ``dpd, five_class, grade, origination_grade, pd_12m,
    origination_pd``; a rule on an unknown value (NULL) does not hold."""
    pd_limit = t.origination_pd.cast(_PD) * ibis.literal(rules.pd_ratio, _PD)
    return [
        StageRule("STAGE3-DPD", 3, t.dpd > rules.stage3_dpd_above),
        StageRule("STAGE3-CLASS", 3, _at_least(t.five_class, rules.stage3_from_class)),
        StageRule("STAGE2-DPD", 2, t.dpd > rules.stage2_dpd_above),
        StageRule("STAGE2-CLASS", 2, _at_least(t.five_class, rules.sicr_from_class)),
        StageRule("STAGE2-RATING-DOWN", 2,
                  t.grade - t.origination_grade >= rules.rating_down_notches),
        StageRule("STAGE2-PD-RATIO", 2, (t.pd_12m.cast(_PD) >= pd_limit)
                  & (t.pd_12m.cast(_PD) - t.origination_pd.cast(_PD)
                     >= ibis.literal(rules.pd_min_increase, _PD))),
    ]


def _at_least(five_class: ir.StringValue, worst_from: str) -> ir.BooleanValue:
    return five_class.isin(list(CLASSES[FiveClass(worst_from).rank:]))


def ifrs9_stages(loans: ir.Table, rules: StagingRules) -> ir.Table:
    """``loans`` with ``stage`` (int8: 1, 2 or 3) and ``stage_reasons``: the ids of the rules
    that hold at the loan's stage, in rule order (empty in stage 1)."""
    found = stage_rules(loans, rules)
    holds = [(r, r.holds.coalesce(False)) for r in found]
    stage = ibis.greatest(*(ibis.ifelse(h, r.stage, 1) for r, h in holds)).cast("int8")
    t = loans.mutate(stage=stage)
    fired = [ibis.ifelse(h & (t.stage == r.stage), r.rule, ibis.null("string"))
             for r, h in holds]
    return t.mutate(stage_reasons=ibis.array(fired).filter(lambda r: r.notnull()))
