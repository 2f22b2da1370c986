"""The automatic floors of the five-level classification (五级分类, METRICS.md).

A floor is a rule id, a condition on a loan's facts and the class it puts the loan at
least at; the automatic class is the worst floor that holds (正常 when none does) and its
reasons are the rules that set it. Classes are ranks here (0 正常 … 4 损失, ``CLASSES``).

The debtor-level rules of non-retail (enterprise) debtors come second, on the loan-level
classes: more than ``npl_share_above`` of a debtor's outstanding here non-performing puts
all its loans at least at 次级, as does more than ``bureau_90_plus_share_above`` of its debt
at all banks more than 90 days overdue; a claim more than 90 days overdue at another bank
puts it at least at 关注. Retail (individual) loans are classified loan by loan."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import money, zero
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import FiveClass

CLASSES = tuple(c.value for c in FiveClass)
SUBSTANDARD = FiveClass.SUBSTANDARD.rank  # non-performing (不良) from here on
SPECIAL_MENTION = FiveClass.SPECIAL_MENTION.rank


@dataclass(frozen=True)
class FloorRules:
    dpd_substandard: int = 90
    dpd_doubtful: int = 270
    dpd_loss: int = 360
    technical_max_days: int = 7
    npl_share_above: Decimal = Decimal("0.10")
    bureau_90_share_above: Decimal = Decimal("0.20")


def floor_rules(policy: Policy) -> FloorRules:
    c = policy.classification
    return FloorRules(c.dpd_above.substandard, c.dpd_above.doubtful, c.dpd_above.loss,
                      c.technical_overdue_max_days, c.non_retail.npl_share_above,
                      c.non_retail.bureau_90_plus_share_above)


@dataclass(frozen=True)
class Floor:
    rule: str
    holds: ir.BooleanValue
    rank: ir.IntegerValue | int


def loan_floors(t: ir.Table, rules: FloorRules) -> list[Floor]:
    """The loan-level floors over one row per loan with ``dpd, status, technical,
    credit_impaired, in_observation, class_before_restructuring_rank, previous_rank,
    upgrade_ready``."""
    obs = t.in_observation.coalesce(False)
    before = t.class_before_restructuring_rank
    was_npl = t.previous_rank.coalesce(0) >= SUBSTANDARD
    return [
        Floor("OVERDUE", (t.dpd > 0) & ~t.technical, SPECIAL_MENTION),
        Floor("DPD-90", t.dpd > rules.dpd_substandard, SUBSTANDARD),
        Floor("DPD-270", t.dpd > rules.dpd_doubtful, FiveClass.DOUBTFUL.rank),
        Floor("DPD-360", t.dpd > rules.dpd_loss, FiveClass.LOSS.rank),
        Floor("WRITTEN-OFF", t.status == "written_off", FiveClass.LOSS.rank),
        Floor("CREDIT-IMPAIRED", t.credit_impaired, SUBSTANDARD),
        Floor("RESTRUCT-OBSERVATION", obs, SPECIAL_MENTION),
        Floor("RESTRUCT-WAS-NPL", obs & (before.coalesce(0) >= SUBSTANDARD), before),
        Floor("RESTRUCT-NO-UPGRADE", obs & t.previous_rank.notnull(), t.previous_rank),
        Floor("UPGRADE-PENDING", was_npl & ~t.upgrade_ready.coalesce(False), SUBSTANDARD),
    ]


def debtor_floors(t: ir.Table, rules: FloorRules) -> list[Floor]:
    """Over loans with ``enterprise``, ``npl_share`` and ``bureau_90_share`` (floats, NULL when
    unknown) and ``npl_elsewhere``."""
    e = t.enterprise
    return [
        Floor("DEBTOR-NPL-SHARE", e & (t.npl_share > float(rules.npl_share_above)), SUBSTANDARD),
        Floor("DEBTOR-BUREAU-90", e & (t.bureau_90_share > float(rules.bureau_90_share_above)),
              SUBSTANDARD),
        Floor("DEBTOR-NPL-ELSEWHERE", e & t.npl_elsewhere, SPECIAL_MENTION),
    ]


def apply_floors(t: ir.Table, floors: Sequence[Floor], rank: str, reasons: str,
                 start: tuple[str, str] | None = None) -> ir.Table:
    """Adds ``rank`` (the worst floor that holds, at least the rank in column ``start[0]``)
    and ``reasons`` (the rules that hold at that rank, after those of ``start[1]`` when the
    starting rank still sets it)."""
    ranks = [ibis.ifelse(f.holds.coalesce(False), f.rank, 0) for f in floors]
    worst = ibis.greatest(*ranks, t[start[0]] if start else 0)
    t = t.mutate(**{rank: worst.cast("int8")})
    fired = [ibis.ifelse(f.holds.coalesce(False) & (_rank(f) == t[rank]), f.rule,
                         ibis.null("string")) for f in floors]
    found = ibis.array(fired).filter(lambda r: r.notnull())
    if start:
        kept = ibis.ifelse(t[start[0]] == t[rank], t[start[1]], ibis.literal([], "array<string>"))
        found = kept.concat(found)
    return t.mutate(**{reasons: found})


def _rank(f: Floor) -> ir.IntegerValue:
    return ibis.literal(f.rank, "int8") if isinstance(f.rank, int) else f.rank


def debtor_shares(loans: ir.Table, bureau: ir.Table, rules: FloorRules) -> ir.Table:
    """Per customer: ``npl_share`` of its outstanding here in non-performing loans
    (``rank``), and ``bureau_90_share``: its debt more than 90 days overdue here and at other
    banks over its debt here and there (``bureau``: latest report, ``loans_balance`` and
    ``overdue_90_amount``); ``npl_elsewhere`` when any of that debt elsewhere is 90+."""
    out = loans.outstanding_principal
    here = loans.group_by("customer_id").aggregate(
        outstanding=money(out.sum()),
        npl=money(out.sum(where=loans.rank >= SUBSTANDARD).coalesce(zero())),
        over_90=money(out.sum(where=loans.dpd > rules.dpd_substandard).coalesce(zero())))
    b = bureau.select(b_customer_id=bureau.customer_id, b_balance=bureau.loans_balance,
                      b_90=bureau.overdue_90_amount)
    t = here.left_join(b, here.customer_id == b.b_customer_id)
    debt = (t.outstanding.cast("float64") + t.b_balance.cast("float64").coalesce(0.0))
    return t.select(
        "customer_id",
        npl_share=t.npl.cast("float64") / t.outstanding.cast("float64").nullif(0),
        bureau_90_share=ibis.ifelse(t.b_90.isnull(), ibis.null("float64"),
                                    (t.over_90.cast("float64") + t.b_90.cast("float64"))
                                    / debt.nullif(0)),
        npl_elsewhere=t.b_90.coalesce(zero()) > 0)
