"""Portfolio overdue rates (逾期率) as of each date, for the whole book and each segment.

METRICS.md: over the loans with outstanding principal (active, not written off), the overdue
rate by count is the share of loans at or above a DPD threshold, by balance the share of
outstanding principal; M1+, M2+, M3+ and M4+ use the first DPD of the policy's buckets
M1, M2, M3 and M4. Counts and balances are exact; rates are ratios of them (float).

With the loans' classification: NPL balance (次级 + 可疑 + 损失) and ratio, the loss allowance
(sum of ECL), provision coverage = allowance / NPL balance, provision ratio = allowance /
outstanding, the balances in IFRS 9 stages 2 and 3, and the regulator's floor on the
allowance (provision required, the larger of 150% of NPL and 2.5% of loans by default) with
the shortfall below it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force, money, zero

_SCALED = dtypes.Decimal(24, 6)
# segment dimension -> the snapshot column it groups by ("all": the whole book)
DIMENSIONS = ("all", "product", "branch_id", "manager_id", "region", "industry", "vintage")


@dataclass(frozen=True)
class Provisioning:
    """The classes that are non-performing, and the regulator's floor on the allowance:
    the larger of ``coverage_min`` x NPL balance and ``ratio_min`` x outstanding."""

    non_performing: tuple[str, ...]
    coverage_min: Decimal = Decimal("1.5")
    ratio_min: Decimal = Decimal("0.025")


def overdue_rates(snapshot: ir.Table, customers: ir.Table, from_dpd: Mapping[str, int],
                  classes: ir.Table | None = None, provisioning: Provisioning | None = None
                  ) -> ir.Table:
    """One row per as-of date, dimension and segment; ``from_dpd`` maps a label such as
    ``m1`` to the DPD from which a loan counts (M1+ = DPD >= 1). ``classes``: the loans'
    ``five_class``, ``stage`` and ``ecl`` by ``loan_id`` and ``as_of``, read with
    ``provisioning``."""
    book = snapshot.filter(snapshot.status == "active", snapshot.outstanding_principal > 0)
    if classes is not None:
        k = classes.select(k_loan_id=classes.loan_id, k_as_of=classes.as_of,
                           npl=classes.five_class.isin(list(provisioning.non_performing)),
                           stage=classes.stage, ecl=classes.ecl)
        book = (book.left_join(k, [book.loan_id == k.k_loan_id, book.as_of == k.k_as_of])
                .drop("k_loan_id", "k_as_of"))
    c = customers.select("customer_id", "region", "industry", "_valid_from", "_valid_to")
    book = (book.left_join(c, [book.customer_id == c.customer_id, in_force(c, book.as_of)])
            .select(*book.columns, "region", "industry"))
    book = book.mutate(all=ibis.literal("*"), vintage=book.disbursed_on.strftime("%Y-%m"))
    parts = [_segment(book, dim, from_dpd, provisioning) for dim in DIMENSIONS]
    return ibis.union(*parts)


def _segment(book: ir.Table, dim: str, from_dpd: Mapping[str, int],
             provisioning: Provisioning | None) -> ir.Table:
    sums = {"loans": book.count(), "outstanding": money(book.outstanding_principal.sum())}
    for label, dpd in from_dpd.items():
        late = book.dpd >= dpd
        sums[f"{label}_loans"] = book.count(where=late)
        sums[f"{label}_balance"] = money(book.outstanding_principal.sum(where=late).coalesce(0))
    if provisioning is not None:
        out = book.outstanding_principal
        sums.update(npl_balance=money(out.sum(where=book.npl).coalesce(0)),
                    stage2_balance=money(out.sum(where=book.stage == 2).coalesce(0)),
                    stage3_balance=money(out.sum(where=book.stage == 3).coalesce(0)),
                    loss_allowance=money(book.ecl.sum().coalesce(0)))
    t = book.group_by("as_of", segment=book[dim].cast("string")).aggregate(**sums)
    rates = {}
    if provisioning is not None:
        allowance, total = t.loss_allowance.cast("float64"), t.outstanding.cast("float64").nullif(0)
        required = money(ibis.greatest(_times(t.npl_balance, provisioning.coverage_min),
                                       _times(t.outstanding, provisioning.ratio_min)))
        rates.update(npl_ratio=t.npl_balance.cast("float64") / total,
                     provision_coverage=allowance / t.npl_balance.cast("float64").nullif(0),
                     provision_ratio=allowance / total, provision_required=required,
                     provision_shortfall=money(ibis.greatest(money(required - t.loss_allowance),
                                                             zero())))
    for label in from_dpd:
        rates[f"{label}_rate_count"] = t[f"{label}_loans"].cast("float64") / t.loans.cast("float64")
        rates[f"{label}_rate_balance"] = (t[f"{label}_balance"].cast("float64")
                                          / t.outstanding.cast("float64").nullif(0))
    return t.mutate(dimension=ibis.literal(dim), **rates).relocate("as_of", "dimension", "segment")


def _times(amount: ir.DecimalValue, factor: Decimal) -> ir.DecimalValue:
    """An amount times a policy factor, rounded half up to the cent (exact decimals)."""
    return money((amount.cast(_SCALED) * ibis.literal(factor, _SCALED)).round(2))
