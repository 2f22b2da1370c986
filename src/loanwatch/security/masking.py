"""Masking (脱敏) of personal data for display, as SQL expressions over a column.

Masked values are enough to recognise a person on a screen, not to reuse the data:
``张三丰`` → ``张**``, ``13812345678`` → ``138****5678``.
"""

from __future__ import annotations


def mask_name_sql(expr: str) -> str:
    """Keep the first character (the surname)."""
    return f"(left({expr}, 1) || repeat('*', length({expr}) - 1))"


def mask_number_sql(expr: str) -> str:
    """Keep the first three and last four characters of a phone or id number."""
    return (f"(CASE WHEN length({expr}) <= 7 THEN repeat('*', length({expr})) ELSE "
            f"left({expr}, 3) || repeat('*', length({expr}) - 7) || right({expr}, 4) END)")


def mask_sql(column: str, expr: str) -> str:
    """The masking that suits a personal-data column."""
    return mask_name_sql(expr) if column == "name" else mask_number_sql(expr)
