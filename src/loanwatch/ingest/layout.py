"""How contract tables are stored in the analytics database.

Each table keeps its contract columns (typed), derived columns computed once at import,
personal data as masked text plus ``<col>_hash`` (keyed hash, for matching) and one
``pii_enc`` AES-GCM record of the row's personal fields, any extra columns as text, and
its validity: a row version is in force for as-of dates D with
``_valid_from <= D < _valid_to`` (NULL meaning unbounded)."""

from __future__ import annotations

from loanwatch.ingest.cells import ident
from loanwatch.ingest.contract import SQL_TYPES, TABLES, Table
from loanwatch.security.masking import mask_sql

PII_PLAIN = "_pii_plain"  # the personal fields as JSON, replaced by pii_enc before writing

META_DDL = """
CREATE SEQUENCE IF NOT EXISTS lw_import_seq START 1;
CREATE TABLE IF NOT EXISTS lw_meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS lw_imports (
    import_id INTEGER PRIMARY KEY, as_of DATE NOT NULL, source VARCHAR NOT NULL,
    started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP, status VARCHAR NOT NULL,
    strict BOOLEAN NOT NULL, policy_version VARCHAR, message VARCHAR);
CREATE TABLE IF NOT EXISTS lw_import_tables (
    import_id INTEGER NOT NULL, table_name VARCHAR NOT NULL, file VARCHAR NOT NULL,
    format VARCHAR NOT NULL, rows_read BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL, versions_written BIGINT NOT NULL,
    extra_columns VARCHAR[], PRIMARY KEY (import_id, table_name));
CREATE TABLE IF NOT EXISTS lw_quarantine (
    import_id INTEGER NOT NULL, table_name VARCHAR NOT NULL, file VARCHAR NOT NULL,
    line BIGINT, column_name VARCHAR, reason VARCHAR NOT NULL, value VARCHAR, raw VARCHAR);
"""


def pii_columns(table: Table) -> tuple[str, ...]:
    return tuple(c.name for c in table.columns if c.pii)


def stored_columns(table: Table) -> dict[str, str]:
    """Column name -> type of the stored table, before extras and validity."""
    cols = {c.name: SQL_TYPES[c.kind] for c in table.columns}
    cols.update({name: typ for name, (typ, _) in table.derived.items()})
    for name in pii_columns(table):
        cols[f"{name}_hash"] = "VARCHAR"
    if pii_columns(table):
        cols["pii_enc"] = "VARCHAR"
    return cols


def table_ddl(table: Table) -> str:
    cols = [f"{ident(n)} {t}" for n, t in stored_columns(table).items()]
    cols += ["_valid_from DATE", "_valid_to DATE", "_import_id INTEGER"]
    return f"CREATE TABLE IF NOT EXISTS main.{table.name} ({', '.join(cols)})"


def schema_ddl() -> list[str]:
    return [s for s in META_DDL.split(";") if s.strip()] + [table_ddl(t) for t in TABLES]


def _is_personal(table: Table, name: str) -> str:
    """SQL true when the column holds personal data in this row."""
    if name in ("name", "id_number") and "customer_type" in table.column_names:
        # an enterprise's name and unified social credit code are public (its licence, its
        # invoices): kept clear, so that invoices can be matched to their buyer
        return "customer_type = 'individual'"
    return "true"


def stored_select(table: Table, extras: list[str], source: str) -> str:
    """SELECT turning accepted rows of ``source`` (with derived columns) into stored rows,
    except that personal fields come as plain JSON in ``_pii_plain`` (see ``seal_personal``)."""
    pii = pii_columns(table)
    parts = []
    for c in table.columns:
        if c.name in pii:
            parts.append(f"CASE WHEN {_is_personal(table, c.name)} THEN "
                         f"{mask_sql(c.name, ident(c.name))} ELSE {ident(c.name)} END "
                         f"AS {ident(c.name)}")
        else:
            parts.append(ident(c.name))
    parts += [ident(n) for n in table.derived]
    parts += [f"lw_hash({ident(n)}) AS {ident(n + '_hash')}" for n in pii]
    if pii:
        fields = ", ".join(f"'{n}': CASE WHEN {_is_personal(table, n)} THEN {ident(n)} END"
                           for n in pii)
        parts.append(f"to_json({{{fields}}})::VARCHAR AS {PII_PLAIN}")
    parts += [ident(e) for e in extras]
    return f"SELECT {', '.join(parts)} FROM {source}"


def compared_columns(table: Table, extras: list[str]) -> list[str]:
    """Columns whose change makes a new version (a ciphertext differs on every write)."""
    return [c for c in stored_columns(table) if c != "pii_enc"] + list(extras)
