"""Group I, classification and rating (分类与评级): signals read from the classification
marts of the date and the ratings of the run before."""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from loanwatch.policy.signals import SignalPolicy
from loanwatch.policy.vocabulary import FiveClass
from loanwatch.rules.signal import Facts, Signal, firings

_PD = "decimal(18,6)"


def class_downgrade(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """CLASS-DOWNGRADE: a loan's five-level class worsened since the run before; the step
    ``critical_from_class`` -> ``critical_to_class`` (关注 -> 次级) is critical, and a move
    to 关注 whose only reason is the OVERDUE floor takes ``overdue_only_severity`` (the
    overdue itself is REPAY-OVERDUE's: one late installment is not a case for recall)."""
    p = policy.params
    e = facts.class_events
    critical = ((e.from_class == p.critical_from_class.value)
                & (e.to_class == p.critical_to_class.value))
    overdue_only = ((e.to_class == FiveClass.SPECIAL_MENTION.value)
                    & (e.reasons == ibis.literal(["OVERDUE"], "array<string>")))
    severity = ibis.cases((critical, "critical"), (overdue_only, p.overdue_only_severity.value),
                          else_=policy.severity.value)
    evidence = ("class " + e.from_class + " on " + e.previous_as_of.cast("string") + " → "
                + e.to_class + " (" + e.reasons.join(", ") + ")")
    return firings(e.mutate(severity=severity, evidence=evidence))


def rating_downgrade(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """RATING-DOWNGRADE: a borrower's internal rating fell ``min_notches`` grades or more
    since the run before (a borrower first rated today has nothing to compare)."""
    now, before = facts.ratings, facts.previous_ratings
    b = before.select(b_customer_id=before.customer_id, was=before.grade, was_on=before.as_of)
    t = now.join(b, now.customer_id == b.b_customer_id)
    t = t.filter(t.grade - t.was >= policy.params.min_notches)
    evidence = ("rating grade " + t.was.cast("string") + " on " + t.was_on.cast("string")
                + " → " + t.grade.cast("string") + " (" + t.rating_reasons.join(", ") + ")")
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(
        policy.severity.value), evidence=evidence))


def score_deterioration(facts: Facts, policy: SignalPolicy[Any]) -> ir.Table:
    """SCORE-DETERIORATION: the borrower's 12-month PD at least ``min_pd_ratio`` times the PD
    of the run before and above ``pd_above``: the behavioural model's own PD where the
    champion scored the borrower both times (``model_pd`` of the ratings), else the rating's
    PD. The evidence names the model's factors that raised the PD most."""
    p = policy.params
    now, before = facts.ratings, facts.previous_ratings

    def pd_of(t: ir.Table) -> ir.DecimalValue:
        own = t.model_pd if "model_pd" in t.columns else ibis.null(_PD)
        return own.cast(_PD).coalesce(t.pd_12m.cast(_PD))

    b = before.select(b_customer_id=before.customer_id, was=pd_of(before), was_on=before.as_of)
    t = now.mutate(pd=pd_of(now))
    t = t.join(b, t.customer_id == b.b_customer_id)
    t = t.filter(t.pd >= t.was * ibis.literal(p.min_pd_ratio, _PD),
                 t.pd > ibis.literal(p.pd_above, _PD))
    evidence = ("PD " + t.was.cast("decimal(9,6)").cast("string") + " on "
                + t.was_on.cast("string") + " → " + t.pd.cast("decimal(9,6)").cast("string"))
    if facts.scores is not None:
        s = facts.scores.select(s_customer="customer_id", s_model="model_id",
                                s_factors="factors_en")
        t = t.left_join(s, t.customer_id == s.s_customer)
        evidence = evidence + ibis.ifelse(
            t.s_model.notnull() & (t.s_factors.coalesce("") != ""),
            " (" + t.s_model.coalesce("") + ": " + t.s_factors.coalesce("") + ")", "")
    return firings(t.mutate(loan_id=ibis.null("string"), severity=ibis.literal(
        policy.severity.value), evidence=evidence))


SIGNALS = (
    Signal("CLASS-DOWNGRADE", "五级分类下调", "Five-level class downgraded", class_downgrade),
    Signal("RATING-DOWNGRADE", "内部评级下调", "Internal rating downgraded", rating_downgrade),
    Signal("SCORE-DETERIORATION", "违约概率显著上升", "Probability of default rising sharply",
           score_deterioration),
)
