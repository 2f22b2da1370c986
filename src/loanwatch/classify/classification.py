"""Five-level classification (五级分类) of every loan on the book as of a date.

The automatic class is the worst floor that holds (``floors.py``), over the loan's snapshot,
its repayment record, its restructuring observation and upgrade condition
(``observation.py``), its debtor, the registry and the bureau. Classification is
path-dependent by regulation (a loan leaves non-performing only after a period of good
payment; a restructured loan cannot be upgraded while observed), so it reads the loan's
classification of the previous run (``previous``, nothing for a first run) and carries
``npl_since`` and ``class_before_restructuring`` forward.

A person's classification (``overrides``) proposed and not yet approved is a floor: it can
make a loan worse, never better; approved by a second person, it replaces the automatic
class (``classify/overrides.py``). The internal ladder grade inside the class follows the
borrower's rating (``ladder.py``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import day, in_force, known_by, latest_by
from loanwatch.analytics.repayment_record import installment_cover, repayment_facts
from loanwatch.classify.floors import (
    CLASSES,
    SUBSTANDARD,
    FloorRules,
    apply_floors,
    debtor_floors,
    debtor_shares,
    floor_rules,
    loan_floors,
)
from loanwatch.classify.ladder import ladder_grade
from loanwatch.classify.observation import Wait, restructuring_observation, upgrade_ready
from loanwatch.policy import Policy

ON_BOOK = ("active", "written_off")


@dataclass(frozen=True)
class ClassRules:
    floors: FloorRules
    observation: Wait
    upgrade: Wait
    impaired_kinds: tuple[str, ...]
    impaired_months: int
    ladder: tuple[tuple[str, str], ...]  # (grade, five class), best first
    materiality: Decimal = Decimal("0.00")
    rating_grades: int = 10  # borrower rating grades, 1 best


def class_rules(policy: Policy) -> ClassRules:
    c = policy.classification
    return ClassRules(
        floor_rules(policy),
        Wait(c.restructuring_observation.min_periods, c.restructuring_observation.min_months),
        Wait(c.upgrade.min_periods, c.upgrade.min_months),
        c.credit_impaired.registry_kinds, c.credit_impaired.within_months,
        tuple((g.grade, g.five_class.value) for g in c.ladder), policy.dpd.materiality_threshold,
        len(policy.rating.grade_pds))


@dataclass(frozen=True)
class ClassInputs:
    """The tables a classification reads. ``snapshot`` is the loan snapshot at the date;
    ``previous`` the classification of the run before (same columns as the output);
    ``ratings`` the borrower ratings at the date (``customer_id, grade``)."""

    snapshot: ir.Table
    loans: ir.Table
    installments: ir.Table
    repayments: ir.Table
    customers: ir.Table
    bureau_reports: ir.Table
    registry_events: ir.Table
    previous: ir.Table
    overrides: ir.Table
    marks: ir.Table
    ratings: ir.Table


def rank_of(name: ir.StringValue) -> ir.IntegerValue:
    return ibis.cases(*((name == c, i) for i, c in enumerate(CLASSES)), else_=ibis.null("int8"))


def class_name(rank: ir.IntegerValue) -> ir.StringValue:
    return ibis.cases(*((rank == i, c) for i, c in enumerate(CLASSES)), else_=ibis.null("string"))


def loan_classification(x: ClassInputs, as_of: dt.date, rules: ClassRules) -> ir.Table:
    """One row per loan active or written off at ``as_of``: the automatic class and its
    reasons, the person's class if any, the final ``five_class``, ``grade`` and ``reasons``."""
    d = day(as_of)
    restructured, npl = _restructured(x.loans, as_of), _non_performing(x.previous)
    # only these loans need their repayment record (the costly part: see repayment_record)
    watched = restructured.select("loan_id").union(npl.select("loan_id"))
    cover = installment_cover(x.installments, x.repayments, as_of, rules.materiality,
                              loans=watched)
    facts = repayment_facts(cover, as_of)
    t = _loan_facts(x, as_of, rules)
    t = _with_observation(t, restructured, npl, x, cover, facts, as_of, rules)
    t = apply_floors(t, loan_floors(t, rules.floors), "loan_rank", "loan_reasons")
    b = _latest_bureau(x.bureau_reports, as_of)
    shares = debtor_shares(t.mutate(rank=t.loan_rank), b, rules.floors)
    t = t.left_join(shares, t.customer_id == shares.customer_id).drop("customer_id_right")
    t = apply_floors(t, debtor_floors(t, rules.floors), "auto_rank", "auto_reasons",
                     start=("loan_rank", "loan_reasons"))
    t = _with_override(t, x.overrides, as_of)
    was_npl = t.previous_rank.coalesce(0) >= SUBSTANDARD
    t = t.mutate(
        npl_since=ibis.ifelse(t.rank >= SUBSTANDARD, ibis.ifelse(was_npl, t.prev_npl_since, d),
                              ibis.null("date")),
        class_before_restructuring=class_name(t.class_before_restructuring_rank))
    r = x.ratings.select(r_customer_id=x.ratings.customer_id, rating_grade=x.ratings.grade)
    t = t.left_join(r, t.customer_id == r.r_customer_id)
    grade = ladder_grade(t.rank, t.rating_grade, rules.ladder, rules.rating_grades)
    return t.select(
        "loan_id", "as_of", "customer_id", "product", "branch_id", "manager_id", "status", "dpd",
        "outstanding_principal", "overdue_principal", "overdue_interest", "overdue_fee",
        "maturity_on", "annual_rate",
        five_class=class_name(t.rank), grade=t.override_grade.coalesce(grade), reasons=t.reasons,
        auto_class=class_name(t.auto_rank), auto_reasons=t.auto_reasons,
        previous_class=class_name(t.previous_rank), technical_overdue=t.technical & (t.dpd > 0),
        npl_since=t.npl_since, restructured_on=t.restructured_on,
        class_before_restructuring=t.class_before_restructuring,
        in_observation=t.in_observation.coalesce(False), observation_start=t.observation_start,
        upgrade_ready=t.upgrade_ready, override_id=t.override_id, override_by=t.override_by,
        rating_grade=t.rating_grade)


def _loan_facts(x: ClassInputs, as_of: dt.date, rules: ClassRules) -> ir.Table:
    """The snapshot on the book with the loan's terms, its debtor, technical-overdue mark,
    credit impairment and what the previous run carried."""
    d = day(as_of)
    s = x.snapshot.filter(x.snapshot.status.isin(ON_BOOK))
    loans = x.loans.filter(in_force(x.loans, d)).select(
        l_loan_id=x.loans.loan_id, restructured_on=x.loans.restructured_on,
        annual_rate=x.loans.annual_rate)
    t = s.left_join(loans, s.loan_id == loans.l_loan_id).drop("l_loan_id")
    c = x.customers.filter(in_force(x.customers, d))
    c = c.select(c_customer_id=c.customer_id, enterprise=c.customer_type == "enterprise")
    t = t.left_join(c, t.customer_id == c.c_customer_id).drop("c_customer_id")
    t = t.mutate(enterprise=t.enterprise.coalesce(False),
                 restructured_on=ibis.ifelse(t.restructured_on <= d, t.restructured_on,
                                             ibis.null("date")))
    t = _with_marks(t, x.marks, as_of, rules.floors.technical_max_days)
    t = _with_impairment(t, x.registry_events, as_of, rules)
    return _with_previous(t, x.previous)


def _with_marks(t: ir.Table, marks: ir.Table, as_of: dt.date, max_days: int) -> ir.Table:
    """``technical``: a mark made during the current overdue episode, not withdrawn by the
    date, on a loan at most ``max_days`` past due."""
    d = day(as_of)
    m = marks.filter(marks.marked_on <= d,
                     marks.withdrawn_at.isnull() | (marks.withdrawn_at.date() > d))
    m = m.group_by(m_loan_id=m.loan_id).aggregate(last_mark=m.marked_on.max())
    t = t.left_join(m, t.loan_id == m.m_loan_id).drop("m_loan_id")
    technical = (t.last_mark.notnull() & (t.dpd <= max_days)
                 & (t.last_mark >= d - t.dpd.cast("int32").as_interval("D")))
    return t.mutate(technical=technical.coalesce(False)).drop("last_mark")


def _with_impairment(t: ir.Table, events: ir.Table, as_of: dt.date, rules: ClassRules) -> ir.Table:
    d = day(as_of)
    e = events.filter(in_force(events, d), events.kind.isin(list(rules.impaired_kinds) or [""]),
                      events.occurred_on <= d,
                      events.occurred_on > d - ibis.interval(months=rules.impaired_months))
    e = e.select(e_customer_id=e.customer_id).distinct()
    t = t.left_join(e, t.customer_id == e.e_customer_id)
    return t.mutate(credit_impaired=t.e_customer_id.notnull()).drop("e_customer_id")


def _with_previous(t: ir.Table, previous: ir.Table) -> ir.Table:
    p = previous.select(p_loan_id=previous.loan_id, prev_as_of=previous.as_of,
                        previous_rank=rank_of(previous.five_class),
                        prev_npl_since=previous.npl_since,
                        prev_before_rank=rank_of(previous.class_before_restructuring))
    t = t.left_join(p, t.loan_id == p.p_loan_id).drop("p_loan_id")
    before = ibis.ifelse(t.prev_as_of < t.restructured_on, t.previous_rank, t.prev_before_rank)
    return t.mutate(class_before_restructuring_rank=ibis.ifelse(
        t.restructured_on.notnull(), before, ibis.null("int8")))


def _restructured(loans: ir.Table, as_of: dt.date) -> ir.Table:
    d = day(as_of)
    loans = loans.filter(in_force(loans, d), loans.restructured_on <= d)
    return loans.select("loan_id", "restructured_on")


def _non_performing(previous: ir.Table) -> ir.Table:
    p = previous.filter(rank_of(previous.five_class) >= SUBSTANDARD)
    return p.select("loan_id", "npl_since")


def _with_observation(t: ir.Table, restructured: ir.Table, npl: ir.Table, x: ClassInputs,
                      cover: ir.Table, facts: ir.Table, as_of: dt.date, rules: ClassRules
                      ) -> ir.Table:
    # the loans observed or waiting to leave non-performing come from the input tables, not
    # from ``t``: built on ``t``, Ibis would inline it in every branch of the SQL
    obs = restructuring_observation(restructured, x.installments, cover, facts, as_of,
                                    rules.observation)
    t = t.left_join(obs, t.loan_id == obs.loan_id).drop("loan_id_right")
    ready = upgrade_ready(npl, cover, facts, as_of, rules.upgrade)
    return t.left_join(ready, t.loan_id == ready.loan_id).drop("loan_id_right")


def _latest_bureau(bureau: ir.Table, as_of: dt.date) -> ir.Table:
    return latest_by(known_by(bureau, "reported_on", as_of), "customer_id", "reported_on")


def _with_override(t: ir.Table, overrides: ir.Table, as_of: dt.date) -> ir.Table:
    """The latest override of each loan in effect at the date: approved by then, it sets the
    class; proposed (or approved later), it is a floor."""
    d = day(as_of)
    o = overrides.filter(overrides.status.isin(["proposed", "approved"]),
                         overrides.effective_from <= d)
    w = ibis.window(group_by=o.loan_id, order_by=ibis.desc(o.override_id))
    o = o.filter(ibis.row_number().over(w) == 0)
    approved = (o.status == "approved") & (o.reviewed_at.date() <= d)
    o = o.select(o_loan_id=o.loan_id, override_id=o.override_id, override_by=o.proposed_by,
                 o_rank=rank_of(o.five_class), o_grade=o.grade, o_approved=approved)
    t = t.left_join(o, t.loan_id == o.o_loan_id).drop("o_loan_id")
    has = t.o_rank.notnull()
    rank = ibis.cases((t.o_approved.coalesce(False), t.o_rank),
                      (has, ibis.greatest(t.auto_rank, t.o_rank)), else_=t.auto_rank)
    manual = ibis.literal(["MANUAL"], "array<string>")
    reasons = ibis.cases((t.o_approved.coalesce(False) | (has & (t.o_rank > t.auto_rank)), manual),
                         (has & (t.o_rank == t.auto_rank), t.auto_reasons.concat(manual)),
                         else_=t.auto_reasons)
    sets = has & (rank == t.o_rank)
    return t.mutate(rank=rank.cast("int8"), reasons=reasons,
                    override_grade=ibis.ifelse(sets, t.o_grade, ibis.null("string")),
                    override_id=ibis.ifelse(sets, t.override_id, ibis.null("int64")),
                    override_by=ibis.ifelse(sets, t.override_by, ibis.null("string")))
