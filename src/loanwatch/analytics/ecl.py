"""Expected credit loss (预期信用损失, IFRS 9 / 新金融工具准则) of each loan on the book, and
the security that sets its loss given default.

ECL = PD × LGD × EAD × discount (METRICS.md), 12-month in stage 1 and lifetime in stages
2 and 3. The loss is money (DECIMAL(18,2)); PDs, LGDs and the discount factor are
DECIMAL(9,6), so a figure can be checked by hand. Floats appear only inside the two powers
(lifetime PD, discount), rounded back to DECIMAL(9,6) straight away."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from loanwatch.analytics.expr import days_between, in_force, money, zero

PROBABILITY = dtypes.Decimal(9, 6)
DAYS_PER_YEAR = 365.0
# strongest first; a loan takes the strongest security it has
SECURITY_KINDS = ("pledge", "mortgage", "guarantee")
# guarantees.kind and collaterals.kind -> the security they make (other collateral kinds
# are not counted)
GUARANTEE_SECURITY = {"pledge": "pledge", "mortgage": "mortgage", "guarantee": "guarantee"}
COLLATERAL_SECURITY = {"deposit": "pledge", "property": "mortgage", "land": "mortgage"}


@dataclass(frozen=True)
class EclRules:
    """Loss given default by security; ``unsecured_lgd_by_product`` replaces the unsecured
    LGD of the products it names (pairs of product and LGD)."""

    lgd_unsecured: Decimal = Decimal("0.45")
    lgd_guarantee: Decimal = Decimal("0.40")
    lgd_mortgage: Decimal = Decimal("0.25")
    lgd_pledge: Decimal = Decimal("0.10")
    unsecured_lgd_by_product: tuple[tuple[str, Decimal], ...] = ()


def loan_security(guarantees: ir.Table, collaterals: ir.Table,
                  as_of: dt.date | ir.DateValue) -> ir.Table:
    """``loan_id, security``: the strongest security in force at ``as_of`` of each loan that
    has one (``pledge`` > ``mortgage`` > ``guarantee``); a loan without a row is unsecured.
    A released collateral secures nothing any more."""
    g = guarantees.filter(in_force(guarantees, as_of))
    g = g.select("loan_id", strength=_strength(g.kind, GUARANTEE_SECURITY))
    c = collaterals.filter(in_force(collaterals, as_of),
                           (collaterals.status != "released").coalesce(True))
    c = c.select("loan_id", strength=_strength(c.kind, COLLATERAL_SECURITY))
    s = ibis.union(g, c)
    s = s.filter(s.strength.notnull()).group_by("loan_id").aggregate(strength=s.strength.min())
    name = ibis.cases(*((s.strength == i, kind) for i, kind in enumerate(SECURITY_KINDS)))
    return s.select("loan_id", security=name)


def _strength(kind: ir.StringValue, security: Mapping[str, str]) -> ir.IntegerValue:
    """0 for the strongest security kind, NULL for a kind that secures nothing."""
    return ibis.cases(*((kind == k, SECURITY_KINDS.index(v)) for k, v in security.items()),
                      else_=ibis.null("int8")).cast("int8")


def expected_credit_loss(loans: ir.Table, rules: EclRules) -> ir.Table:
    """Adds ``ead``, ``lgd``, ``pd_horizon``, ``discount`` and ``ecl`` to one row per loan with
    ``as_of, product, stage, pd_12m, outstanding_principal, overdue_interest, overdue_fee,
    maturity_on, annual_rate, security`` (NULL = unsecured).

    - EAD = outstanding principal + overdue interest + overdue fee.
    - PD over the horizon: stage 1 ``pd_12m``; stage 2 the lifetime PD
      1 − (1 − pd_12m)^n over n = max(remaining years, 1), remaining years = days to
      maturity / 365, so a lifetime PD is never below the 12-month one; stage 3 (credit
      impaired, defaulted already) 1.
    - discount = 1 / (1 + annual_rate)^t: default is expected in the middle of the horizon,
      t = 0.5 in stage 1, remaining years / 2 in stage 2 (0 past maturity), 0 in stage 3,
      and the contract rate stands in for the effective interest rate.
    - ECL = PD × LGD × EAD × discount, exact, rounded half up to the cent.

    Worked example, as of 2026-03-31, unsecured (LGD 0.45), rate 6%, EAD 100,000.00 +
    500.00 + 20.00 = 100,520.00:

    - stage 1, pd_12m 0.008: discount 1 / 1.06^0.5 = 0.971286; ECL = 0.008 × 0.45 ×
      100,520.00 × 0.971286 = 351.4812… → 351.48.
    - stage 2, same loan maturing 2028-03-30 (730 days, n = 2): PD 1 − 0.992² = 0.015936,
      discount 1 / 1.06^1 = 0.943396; ECL = 0.015936 × 0.45 × 100,520.00 × 0.943396 =
      680.0460… → 680.05.
    - stage 3: ECL = 1 × 0.45 × 100,520.00 × 1 = 45,234.00.

    A loan without ``pd_12m`` (no rating) in stage 1 or 2 has no PD and no ECL."""
    t = loans
    years = days_between(t.maturity_on, t.as_of).cast("float64") / DAYS_PER_YEAR
    t = t.mutate(
        ead=money(t.outstanding_principal.coalesce(zero()) + t.overdue_interest.coalesce(zero())
                  + t.overdue_fee.coalesce(zero())),
        lgd=_lgd(t.security, t.product, rules),
        pd_horizon=_pd_horizon(t.stage, t.pd_12m, years),
        discount=_discount(t.stage, t.annual_rate, years))
    # all factors at scale 6: DuckDB multiplies exactly (scale 24), money() rounds half up
    loss = (t.pd_horizon.cast(PROBABILITY) * t.lgd.cast(PROBABILITY)
            * t.discount.cast(PROBABILITY) * t.ead.cast(dtypes.Decimal(18, 6)))
    return t.mutate(ecl=money(loss))


def _probability(value: Decimal | int) -> ir.DecimalScalar:
    return ibis.literal(Decimal(value), PROBABILITY)


def _lgd(security: ir.StringValue, product: ir.StringValue, rules: EclRules) -> ir.DecimalValue:
    unsecured = _probability(rules.lgd_unsecured)
    if rules.unsecured_lgd_by_product:
        unsecured = ibis.cases(*((product == p, _probability(v))
                                 for p, v in rules.unsecured_lgd_by_product), else_=unsecured)
    return ibis.cases((security == "pledge", _probability(rules.lgd_pledge)),
                      (security == "mortgage", _probability(rules.lgd_mortgage)),
                      (security == "guarantee", _probability(rules.lgd_guarantee)),
                      else_=unsecured)


def _pd_horizon(stage: ir.IntegerValue, pd_12m: ir.DecimalValue,
                years: ir.FloatingValue) -> ir.DecimalValue:
    survive = (1.0 - pd_12m.cast("float64")) ** ibis.greatest(years, 1.0)
    return ibis.cases((stage == 1, pd_12m.cast(PROBABILITY)),
                      (stage == 2, (1.0 - survive).cast(PROBABILITY)),
                      (stage == 3, _probability(1)),
                      else_=ibis.null(PROBABILITY))


def _discount(stage: ir.IntegerValue, annual_rate: ir.DecimalValue,
              years: ir.FloatingValue) -> ir.DecimalValue:
    t = ibis.cases((stage == 1, 0.5), (stage == 2, ibis.greatest(years, 0.0) / 2),
                   else_=0.0)
    return (1.0 / (1.0 + annual_rate.cast("float64")) ** t).cast(PROBABILITY)
