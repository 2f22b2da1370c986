"""Backtest measures (回测): how well a monitoring history warned of the defaults that followed.
Tables in, table out; the definitions are those of docs/backtest.md.

- A *default* is a loan's first day with DPD > 90; its *first miss* is the due date of the
  oldest installment unpaid that day, 91 days before (unless the truth gives it).
- A *flag* is a borrower picked out by a rule at a month-end: one signal's open alert, any
  early-warning alert, a high or critical early-warning level, or the naïve DPD ≥ 1.
  Early warnings are alerts of every signal but ``REPAY-OVERDUE``.
- *Recall*: the share of defaults whose borrower was flagged between ``earliest_days`` and
  ``latest_days`` before the first miss; *lead* is the first miss minus the earliest such
  flag.
- *Precision*: the share of flags (borrower-months, borrowers not yet in default) whose
  borrower defaults within ``outcome_months``; *base rate*: the same share over every
  borrower with an active loan; *lift* = precision / base rate. Only months whose outcome
  window ends by the last date the truth covers count.
- *Volume*: borrowers newly flagged in a month (not flagged at the month-end before) per
  1,000 active loans, pooled over the months after the first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.domain.calendar import month_end, months_before
from loanwatch.rules.warning_level import SEVERITIES, Escalation, combined_levels

OVERDUE_SIGNALS = ("REPAY-OVERDUE",)
ALL_EARLY = "ALL-EARLY"  # any early-warning alert
HIGH_EARLY = "HIGH-EARLY"  # a high or critical early-warning level (escalations applied)
NAIVE = "NAIVE-DPD1"  # the naïve rule: any loan of the borrower at least one day past due

# the rules every backtest reports first, and per scenario
SUMMARY_RULES = (HIGH_EARLY, ALL_EARLY, NAIVE)


@dataclass(frozen=True)
class Window:
    earliest_days: int = 365  # a warning counts from 12 months before the first miss
    latest_days: int = 30  # … to 30 days before it
    outcome_months: int = 12  # precision: the borrower defaults within 12 months
    default_dpd_above: int = 90


def months_table(month_ends: Sequence[dt.date], outcome_months: int) -> ir.Table:
    """``as_of, prev_as_of, outcome_until`` for each month-end of the history."""
    days = sorted(month_ends)
    return ibis.memtable(pa.table({
        "as_of": pa.array(days, pa.date32()),
        "prev_as_of": pa.array([None, *days[:-1]], pa.date32()),
        "outcome_until": pa.array([_months_after(d, outcome_months) for d in days], pa.date32()),
    }))


def _months_after(d: dt.date, months: int) -> dt.date:
    """``months`` later; a month-end stays a month-end."""
    later = months_before(d, -months)
    return month_end(later) if d == month_end(d) else later


def defaults(truth: ir.Table, loans: ir.Table, window: Window) -> ir.Table:
    """``loan_id, customer_id, default_on, first_miss_on`` and the truth's other columns
    (e.g. ``scenario``) of each loan the truth says defaulted (``first_90dpd_on``;
    ``first_miss_on`` when the truth has it)."""
    t = truth.filter(truth.first_90dpd_on.notnull())
    miss = (t.first_miss_on if "first_miss_on" in t.columns
            else t.first_90dpd_on - ibis.interval(days=window.default_dpd_above + 1))
    extra = [c for c in t.columns if c not in ("loan_id", "customer_id", "first_90dpd_on",
                                               "first_miss_on")]
    t = t.select(*extra, d_loan_id=t.loan_id, default_on=t.first_90dpd_on.cast("date"),
                 first_miss_on=miss.cast("date"))
    owners = loans.select("loan_id", "customer_id").distinct()
    t = t.join(owners, t.d_loan_id == owners.loan_id)
    return t.select("loan_id", "customer_id", "default_on", "first_miss_on", *extra)


def alert_flags(alerts: ir.Table, escalations: Sequence[Escalation]) -> ir.Table:
    """Flags from an alerts history (the ``alerts`` mart over many dates): one rule per
    early-warning signal, ``ALL-EARLY`` and ``HIGH-EARLY``."""
    a = alerts.filter(alerts.status == "open", ~alerts.signal_id.isin(OVERDUE_SIGNALS))
    per_signal = a.select("as_of", "customer_id", rule=a.signal_id)
    every = a.select("as_of", "customer_id", rule=ibis.literal(ALL_EARLY))
    lv = combined_levels(a, escalations, ("as_of", "customer_id"))
    high = lv.filter(lv.level_rank >= SEVERITIES.index("high"))
    high = high.select("as_of", "customer_id", rule=ibis.literal(HIGH_EARLY))
    return ibis.union(per_signal, every, high, distinct=True)


def dpd_flags(snapshots: ir.Table) -> ir.Table:
    """The naïve rule over a loan-snapshot history: a borrower with a loan at DPD ≥ 1."""
    s = snapshots.filter(snapshots.status == "active", snapshots.dpd >= 1)
    return s.select("as_of", "customer_id", rule=ibis.literal(NAIVE)).distinct()


def exposure(snapshots: ir.Table) -> ir.Table:
    """``as_of, customer_id, active_loans``: the borrowers with an active loan at each date."""
    s = snapshots.filter(snapshots.status == "active")
    return s.group_by("as_of", "customer_id").aggregate(active_loans=s.count())


def _eligible(defaults_: ir.Table, first_date: dt.date, last_date: dt.date,
              window: Window) -> ir.Table:
    """The defaults a history from ``first_date`` to ``last_date`` could have warned of."""
    return defaults_.filter(defaults_.default_on <= last_date,
                            defaults_.first_miss_on - ibis.interval(days=window.latest_days)
                            >= first_date)


def _first_warnings(flags: ir.Table, d: ir.Table, window: Window, *keep: str) -> ir.Table:
    """Per rule and default of ``d``: the ``lead`` of its earliest flag in the window."""
    f = flags.rename(f_customer="customer_id")
    t = d.join(f, [d.customer_id == f.f_customer,
                   f.as_of >= d.first_miss_on - ibis.interval(days=window.earliest_days),
                   f.as_of <= d.first_miss_on - ibis.interval(days=window.latest_days)])
    return t.group_by("rule", "loan_id", *keep).aggregate(
        lead=t.first_miss_on.max().delta(t.as_of.min(), unit="day"))


def recall(flags: ir.Table, defaults_: ir.Table, first_date: dt.date, last_date: dt.date,
           window: Window) -> ir.Table:
    """Per rule: ``defaults`` that could be warned within the history, ``warned``,
    ``recall`` and ``median_lead_days``."""
    d = _eligible(defaults_, first_date, last_date, window)
    first = _first_warnings(flags, d, window)
    per_rule = first.group_by("rule").aggregate(warned=first.count(),
                                               median_lead_days=first.lead.median())
    rules = flags.select("rule").distinct()
    r = rules.left_join(per_rule, rules.rule == per_rule.rule).drop("rule_right")
    r = r.cross_join(d.aggregate(defaults=d.count()))
    warned = r.warned.coalesce(0)
    return r.select("rule", "defaults", warned=warned,
                    recall=ibis.ifelse(r.defaults > 0, warned / r.defaults, ibis.null("float64")),
                    median_lead_days=r.median_lead_days)


def recall_by(flags: ir.Table, defaults_: ir.Table, column: str, rules: Sequence[str],
              first_date: dt.date, last_date: dt.date, window: Window) -> ir.Table:
    """Recall of ``rules`` per value of a column of the defaults (e.g. the truth's
    ``scenario``: which kinds of failure the warnings catch): ``rule, <column>, defaults,
    warned, recall``."""
    d = _eligible(defaults_, first_date, last_date, window)
    first = _first_warnings(flags.filter(flags.rule.isin(rules)), d, window, column)
    k = first.group_by("rule", column).aggregate(warned=first.count())
    n = d.group_by(column).aggregate(defaults=d.count())
    grid = n.cross_join(ibis.memtable(pa.table({"rule": pa.array(rules, pa.string())})))
    t = grid.left_join(k, [grid.rule == k.rule, grid[column].identical_to(k[column])])
    warned = t.warned.coalesce(0)
    return t.select("rule", column, "defaults", warned=warned,
                    recall=warned / t.defaults).order_by("rule", ibis.desc("defaults"), column)


def _borrower_defaults(defaults_: ir.Table) -> ir.Table:
    return defaults_.group_by(b_customer="customer_id").aggregate(b_default_on=defaults_.default_on.min())


def _outcomes(t: ir.Table, months: ir.Table, defaults_: ir.Table, outcome_end: dt.date
              ) -> ir.Table:
    """``t`` (``as_of, customer_id, …``) at months whose outcome window ends by
    ``outcome_end``, without borrowers already in default, with ``defaults`` (0/1) within
    the window."""
    m = months.filter(months.outcome_until <= outcome_end).select(m_as_of="as_of",
                                                                  until="outcome_until")
    t = t.join(m, t.as_of == m.m_as_of)
    b = _borrower_defaults(defaults_)
    t = t.left_join(b, t.customer_id == b.b_customer)
    t = t.filter(t.b_default_on.isnull() | (t.b_default_on > t.as_of))
    hit = t.b_default_on.notnull() & (t.b_default_on <= t.until)
    return t.mutate(defaults=hit.cast("int64"))


def precision(flags: ir.Table, exposure_: ir.Table, months: ir.Table, defaults_: ir.Table,
              outcome_end: dt.date) -> ir.Table:
    """Per rule: ``flagged`` borrower-months, ``flagged_defaulting``, ``precision``,
    ``base_rate`` and ``lift``."""
    f = _outcomes(flags, months, defaults_, outcome_end)
    p = f.group_by("rule").aggregate(flagged=f.count(), flagged_defaulting=f.defaults.sum())
    e = _outcomes(exposure_, months, defaults_, outcome_end)
    p = p.cross_join(e.aggregate(base_rate=e.defaults.sum() / e.count()))
    base = p.base_rate
    prec = ibis.ifelse(p.flagged > 0, p.flagged_defaulting / p.flagged, ibis.null("float64"))
    return p.select("rule", "flagged", "flagged_defaulting", "base_rate", precision=prec,
                    lift=ibis.ifelse(base > 0, prec / base, ibis.null("float64")))


def volume(flags: ir.Table, months: ir.Table, snapshots: ir.Table) -> ir.Table:
    """Per rule: ``new_per_1000``, borrowers newly flagged per 1,000 active loans a month,
    and ``open_per_1000``, those flagged at the month-end; months after the first."""
    m = months.filter(months.prev_as_of.notnull())
    active = snapshots.filter(snapshots.status == "active")
    active = active.group_by(a_as_of="as_of").aggregate(loans=active.count())
    active = active.join(m, active.a_as_of == m.as_of)
    loans = active.aggregate(loans=active.loans.sum())
    mm = m.select(m_as_of="as_of", prev_as_of="prev_as_of")
    f = flags.join(mm, flags.as_of == mm.m_as_of)
    before = flags.select(b_as_of="as_of", b_customer="customer_id", b_rule="rule")
    f = f.left_join(before, [f.prev_as_of == before.b_as_of, f.customer_id == before.b_customer,
                             f.rule == before.b_rule])
    v = f.group_by("rule").aggregate(new=f.b_rule.isnull().sum(), flagged=f.count())
    v = v.cross_join(loans)
    return v.select("rule", new_per_1000=v.new * 1000.0 / v.loans,
                    open_per_1000=v.flagged * 1000.0 / v.loans)


def measures(flags: ir.Table, snapshots: ir.Table, defaults_: ir.Table,
             month_ends: Sequence[dt.date], outcome_end: dt.date, window: Window) -> ir.Table:
    """Recall, lead, precision, lift and volume per rule (one row each)."""
    months = months_table(month_ends, window.outcome_months)
    r = recall(flags, defaults_, min(month_ends), max(month_ends), window)
    p = precision(flags, exposure(snapshots), months, defaults_, outcome_end)
    v = volume(flags, months, snapshots)
    t = r.left_join(p, r.rule == p.rule).drop("rule_right")
    t = t.left_join(v, t.rule == v.rule).drop("rule_right")
    return t.select("rule", "defaults", "warned", "recall", "median_lead_days", "flagged",
                    "flagged_defaulting", "precision",
                    base_rate=t.base_rate, lift=t.lift,
                    new_per_1000=t.new_per_1000.coalesce(0.0),
                    open_per_1000=t.open_per_1000.coalesce(0.0)).order_by("rule")


ANY_GROUP = "any"  # detection by any early-warning alert


def case_detection(alerts: ir.Table, cases: ir.Table, first_date: dt.date,
                   last_date: dt.date, horizon_days: int = 180) -> ir.Table:
    """Which signal groups picked out the borrower of each injected case (the truth's
    ``scenarios``: ``loan_id, customer_id, scenario, role, trace_on`` and, for a case
    followed by a default, ``default_onset_on``): an open early-warning alert at a month-end
    from ``trace_on`` to ``horizon_days`` later, and before the default began. Real cases
    give the detection rate; benign look-alikes (``role`` other than ``real``) the false
    alarms. Only cases whose trace shows within the history count. Returns
    ``scenario, role, group, cases, flagged, share``; ``group`` ``any`` is every group."""
    c = cases.filter(cases.trace_on >= first_date - dt.timedelta(days=31),
                     cases.trace_on <= last_date)
    until = c.trace_on + ibis.interval(days=horizon_days)
    if "default_onset_on" in c.columns:
        before = c.default_onset_on - ibis.interval(days=1)
        until = ibis.ifelse(c.default_onset_on.notnull() & (before < until), before, until)
    c = c.mutate(case=c.scenario + ":" + c.loan_id, until=until.cast("timestamp").date())
    a = alerts.filter(alerts.status == "open", ~alerts.signal_id.isin(OVERDUE_SIGNALS))
    a = a.select(a_as_of="as_of", a_customer="customer_id", group="group")
    hit = c.join(a, [c.customer_id == a.a_customer, a.a_as_of >= c.trace_on,
                     a.a_as_of <= c.until])
    per = hit.select("scenario", "role", "case", "group")
    per = per.union(per.mutate(group=ibis.literal(ANY_GROUP))).distinct()
    flagged = per.group_by("scenario", "role", "group").aggregate(flagged=per.count())
    n = c.group_by("scenario", "role").aggregate(cases=c.case.nunique())
    groups = flagged.select("group").distinct()
    grid = n.cross_join(groups)
    t = grid.left_join(flagged, [grid.scenario == flagged.scenario, grid.role == flagged.role,
                                 grid.group == flagged.group])
    got = t.flagged.coalesce(0)
    return t.select("scenario", "role", "group", "cases", flagged=got,
                    share=got / t.cases).order_by("scenario", "role", "group")
