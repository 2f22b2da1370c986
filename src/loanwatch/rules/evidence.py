"""Figures in evidence text as a customer manager reads them: money with thousands
separators and two decimals, ratios as signed percentages."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

_WHOLE = 18  # whole digits shown: DECIMAL(18,2) has 16, padded to six thousands groups


def money_text(amount: ir.DecimalValue) -> ir.StringValue:
    """An amount as a manager reads it, ``120,000.00``, on any engine (no ``format``).

    The cents are padded to fixed width, cut into thousands groups and the leading zeros and
    commas stripped: string operations are exact on every engine, and portable regexes have
    no look-ahead to insert the commas directly. The padding is a prefix cut with ``right``
    and the groups are slices: each compiles to one function of its argument, where ``lpad``
    and ``substr`` repeat it in CASE branches (the text of every evidence amount would be
    copied some forty times into the SQL the engine must plan)."""
    cents = (amount.cast("decimal(20,2)") * 100).cast("int64")
    width = _WHOLE + 2
    padded = (ibis.literal("0" * width) + cents.abs().cast("string")).right(width)
    groups = [padded[start:start + 3] for start in range(0, _WHOLE, 3)]
    digits = ibis.literal(",").join(groups).re_replace(r"^[0,]+", "").nullif("").coalesce("0")
    sign = ibis.ifelse(cents < 0, "-", "")
    return sign + digits + "." + padded.right(2)


def percent_text(ratio: ir.NumericValue) -> ir.StringValue:
    """A fraction as a percentage with one decimal, ``0.6667`` -> ``66.7%``."""
    return (ratio.cast("float64") * 100).round(1).cast("decimal(12,1)").cast("string") + "%"
