"""Per-value parsing and checks, as SQL: a column of a file becomes a typed column plus
the checks that flag its bad values. Everything here builds SQL text; nothing runs it."""

from __future__ import annotations

from dataclasses import dataclass

from loanwatch.ingest.contract import SQL_TYPES, Column, Table

TRUE_WORDS = ("true", "t", "1", "yes", "y", "是")
FALSE_WORDS = ("false", "f", "0", "no", "n", "否")
_OFFSET = r"(Z|[+-][0-9]{2}:?[0-9]{2})$"

INVALID_REASONS = {
    "date": "not a date (expected YYYY-MM-DD)",
    "timestamp": "not a timestamp (expected ISO 8601, e.g. 2026-03-31T14:05:00)",
    "month": "not a month (expected YYYY-MM)",
    "money": "not an amount (expected yuan with at most 2 decimals, e.g. 1049.99)",
    "signed_money": "not an amount (expected yuan with at most 2 decimals, e.g. -1049.99)",
    "rate": "not a rate (expected a yearly decimal, e.g. 0.0435)",
    "share": "not a fraction (expected a decimal between 0 and 1)",
    "count": "not a whole number",
    "seq": "not a whole number",
    "number": "not a number",
    "bool": "not true or false",
}


#: Types the CSV reader parses straight into (fast, and a value that does not parse is
#: refused by the reader with its line); money is read wide so extra decimals show.
CSV_PARSE_TYPES = {
    "date": "DATE", "money": "DECIMAL(18,6)", "signed_money": "DECIMAL(18,6)",
    "rate": "DECIMAL(18,10)", "share": "DECIMAL(18,10)", "number": "DECIMAL(18,6)",
    "count": "BIGINT", "seq": "BIGINT",
}


@dataclass(frozen=True)
class Check:
    """A condition that is true for a bad row, with the column and reason to report."""

    column: str
    reason: str
    sql: str


def ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def text_alias(name: str) -> str:
    """Alias of the cleaned text of a column inside the staging query."""
    return ident(name + "__v")


def cleaned_sql(source: str | None, source_type: str | None) -> str:
    """The value as given, with blanks treated as absent."""
    if source is None:
        return "CAST(NULL AS VARCHAR)"
    if source_type == "VARCHAR":
        return f"NULLIF(TRIM({ident(source)}), '')"
    return ident(source)


def _decimal(v: str, target: str, exact_scale: int | None, source_type: str | None) -> str:
    cast = f"TRY_CAST({v} AS {target})"
    if exact_scale is None:
        return cast
    # more decimals than allowed would round silently: refuse instead
    if source_type in (None, "VARCHAR"):
        return f"CASE WHEN TRY_CAST({v} AS DECIMAL(38,10)) = {cast} THEN {cast} END"
    return f"CASE WHEN round({v}, {exact_scale}) = {v} THEN {cast} END"


def typed_sql(col: Column, v: str, source_type: str | None, timezone: str) -> str:
    """SQL giving the typed value of cleaned value ``v`` (NULL when it does not parse)."""
    text = v if source_type in (None, "VARCHAR") else f"CAST({v} AS VARCHAR)"
    kind = col.kind
    if kind in ("id", "text"):
        return text
    if kind == "enum":
        allowed = ", ".join(f"'{x}'" for x in col.values)
        return f"CASE WHEN lower({text}) IN ({allowed}) THEN lower({text}) END"
    if kind == "bool":
        if source_type == "BOOLEAN":
            return v
        yes = ", ".join(f"'{x}'" for x in TRUE_WORDS)
        no = ", ".join(f"'{x}'" for x in FALSE_WORDS)
        return (f"CASE WHEN lower({text}) IN ({yes}) THEN true "
                f"WHEN lower({text}) IN ({no}) THEN false END")
    if kind == "date":
        return f"TRY_CAST({v} AS DATE)"
    if kind == "timestamp":
        if source_type and source_type.startswith("TIMESTAMP WITH"):
            return f"timezone('{timezone}', {v})"
        return (f"CASE WHEN regexp_matches({text}, '{_OFFSET}') THEN "
                f"timezone('{timezone}', TRY_CAST({text} AS TIMESTAMPTZ)) "
                f"ELSE TRY_CAST({v} AS TIMESTAMP) END")
    if kind == "month":
        if source_type == "DATE":
            return f"CAST(date_trunc('month', {v}) AS DATE)"
        return (f"CAST(date_trunc('month', TRY_CAST(CASE WHEN length({text}) = 7 "
                f"THEN {text} || '-01' ELSE {text} END AS DATE)) AS DATE)")
    if kind in ("money", "signed_money"):
        return _decimal(v, SQL_TYPES[kind], 2, source_type)
    return _decimal(v, SQL_TYPES[kind], None, source_type)


def column_checks(col: Column) -> list[Check]:
    """The per-value checks of one contract column, on aliases typed ``name``, text ``name__v``."""
    name, v = ident(col.name), text_alias(col.name)
    checks = []
    if col.required:
        checks.append(Check(col.name, "required value is missing", f"{v} IS NULL"))
    if col.kind == "enum":
        reason = "unknown value (expected one of: " + ", ".join(col.values) + ")"
        checks.append(Check(col.name, reason, f"{v} IS NOT NULL AND {name} IS NULL"))
    elif col.kind not in ("id", "text"):
        checks.append(Check(col.name, INVALID_REASONS[col.kind],
                            f"{v} IS NOT NULL AND {name} IS NULL"))
    if col.kind in ("money", "count"):
        checks.append(Check(col.name, "must not be negative", f"{name} < 0"))
    if col.kind in ("rate", "share"):
        checks.append(Check(col.name, "must be between 0 and 1 (0.0435 = 4.35%)",
                            f"{name} < 0 OR {name} > 1"))
    if col.kind == "seq":
        checks.append(Check(col.name, "must be 1 or more", f"{name} < 1"))
    return checks


def table_checks(table: Table) -> list[Check]:
    checks = [c for col in table.columns for c in column_checks(col)]
    checks += [Check(rc.column, rc.reason, rc.sql) for rc in table.checks]
    return checks
