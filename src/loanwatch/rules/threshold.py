"""Threshold signals (自定义阈值信号): the bank's own signals of the policy's
``threshold_signals``, each a borrower indicator of the ``indicators`` mart compared with a
number. An entry fires for every borrower whose indicator satisfies the comparison (a NULL
indicator never does), borrower-level (``loan_id`` NULL), with evidence in the words of the
indicator's Chinese label: ``资产负债率 0.93 > 0.90``."""

from __future__ import annotations

import operator
from collections.abc import Callable
from decimal import Decimal

import ibis
import ibis.expr.types as ir

from loanwatch.domain.indicators import INDICATOR_BY_NAME, IndicatorKind
from loanwatch.policy.thresholds import Comparison, ThresholdSignal
from loanwatch.rules.evidence import money_text
from loanwatch.rules.signal import firings

__all__ = ["threshold_firings", "value_text"]

_THRESHOLD = "decimal(24,6)"
COMPARE: dict[Comparison, Callable[[ir.Value, ir.Value], ir.BooleanValue]] = {
    Comparison.GT: operator.gt, Comparison.GE: operator.ge, Comparison.LT: operator.lt,
    Comparison.LE: operator.le, Comparison.EQ: operator.eq, Comparison.NE: operator.ne}


def _compared(value: ir.Value, kind: IndicatorKind) -> ir.NumericValue:
    """The indicator as a number: a flag is 1 (yes) or 0."""
    return value.cast("int8") if kind is IndicatorKind.FLAG else value


def value_text(value: ir.Value, kind: IndicatorKind) -> ir.StringValue:
    """An indicator as the evidence shows it: yuan with separators, counts and flags as
    whole numbers, ratios with two to four decimals (``0.93``, ``0.9312``)."""
    if kind is IndicatorKind.MONEY:
        return money_text(value)
    if kind is IndicatorKind.RATIO:
        return value.cast("decimal(18,4)").cast("string").re_replace("0{1,2}$", "")
    return _compared(value, kind).cast("string")


def threshold_text(threshold: Decimal, kind: IndicatorKind) -> str:
    """The threshold as the policy writes it (yuan with separators)."""
    return f"{threshold:,.2f}" if kind is IndicatorKind.MONEY else format(threshold, "f")


def threshold_firings(indicators: ir.Table, entry: ThresholdSignal) -> ir.Table:
    """The borrowers of ``indicators`` (the mart's rows of the date) for which ``entry``
    holds, as firings with the entry's severity."""
    kind = INDICATOR_BY_NAME[entry.indicator].kind
    label = INDICATOR_BY_NAME[entry.indicator].label_zh
    value = indicators[entry.indicator]
    t = indicators.filter(COMPARE[entry.op](_compared(value, kind),
                                            ibis.literal(entry.value, _THRESHOLD)))
    evidence = (f"{label} " + value_text(t[entry.indicator], kind)
                + f" {entry.op.value} {threshold_text(entry.value, kind)}")
    return firings(t.mutate(loan_id=ibis.null("string"),
                            severity=ibis.literal(entry.severity.value), evidence=evidence))
