"""Ratios of the indicators: DECIMAL(18,6), rounded to six decimals, so a float quotient such
as 0.7 / 1.0 - 1 sits exactly on a threshold written with fewer decimals."""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dtypes
import ibis.expr.operations as ops
import ibis.expr.types as ir

RATIO = dtypes.Decimal(18, 6)


def ratio(num: ir.NumericValue, den: ir.NumericValue) -> ir.DecimalValue:
    """``num / den`` rounded to six decimals; NULL unless ``den`` is positive."""
    q = (num.cast("float64") / den.cast("float64")).round(6).cast(RATIO)
    return ibis.ifelse(den > 0, q, ibis.null(RATIO))


def change(new: ir.NumericValue, old: ir.NumericValue) -> ir.DecimalValue:
    """``new / old - 1`` (e.g. -0.30 for a 30% drop); NULL unless ``old`` is positive."""
    return typed(ratio(new, old) - 1, RATIO)


def typed(value: ir.Value, to: dtypes.DataType) -> ir.Value:
    """``value`` cast to ``to`` for certain: engines widen sums and differences (DECIMAL(19,6),
    HUGEINT in DuckDB) where Ibis believes the type unchanged and would drop ``.cast(to)``."""
    return ops.Cast(value, to=to).to_expr()


def share(value: object) -> ir.DecimalScalar:
    """A policy threshold (a ``Decimal``) as a ratio literal."""
    return ibis.literal(value, RATIO)
