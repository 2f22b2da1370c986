"""How the reports write values: yuan with thousands separators and two decimals (as the
marts store them), ratios as percent with two decimals, counts with separators, dates ISO.

>>> show(Decimal("91336486.87"), Kind.MONEY), show(0.0396451, Kind.RATIO), show(12345, Kind.COUNT)
('91,336,486.87', '3.96%', '12,345')
>>> show(None, Kind.MONEY), show(float("nan"), Kind.RATIO)
('—', '—')
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from loanwatch.reports.document import Kind

NONE = "—"


def show(value: Any, kind: Kind) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    if kind is Kind.MONEY:
        return f"{Decimal(value).quantize(Decimal('0.01'), ROUND_HALF_UP):,.2f}"
    if kind is Kind.RATIO:
        return f"{float(value) * 100:,.2f}%"
    if kind is Kind.COUNT:
        return f"{int(value):,}"
    if kind is Kind.NUMBER:
        return f"{float(value):,.2f}"
    if kind is Kind.DATE and isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def show_change(value: Any, kind: Kind) -> str:
    """A change with its sign; a ratio's change in percentage points."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NONE
    if kind is Kind.RATIO:
        return f"{float(value) * 100:+,.2f} pp"
    sign = "+" if value > 0 else ""
    return sign + show(value, kind)


def difference(now: Any, before: Any) -> Any:
    """``now - before``, exact for money and counts; ``None`` when either is unknown."""
    if now is None or before is None:
        return None
    if any(isinstance(v, float) and math.isnan(v) for v in (now, before)):
        return None
    if isinstance(now, float) or isinstance(before, float):
        return float(now) - float(before)
    return now - before
