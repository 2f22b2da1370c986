"""Data quality of what has been imported: per table rows, null rates, quarantine reasons
and freshness, and the referential gaps a risk team should know about."""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
from rich.console import Console
from rich.table import Table as RichTable

from loanwatch.ingest.cells import ident
from loanwatch.ingest.contract import TABLES

CURRENT = "_valid_to IS NULL"

#: (name, description, SQL counting the rows concerned) over the current versions.
GAPS: tuple[tuple[str, str, str], ...] = (
    ("loans_without_schedule", "loans with no installments",
     "SELECT count(*) FROM loans l WHERE l._valid_to IS NULL AND NOT EXISTS (SELECT 1 FROM "
     "installments i WHERE i._valid_to IS NULL AND i.loan_id = l.loan_id)"),
    ("entrusted_without_contract", "entrusted-payment loans with no contract",
     "SELECT count(*) FROM loans l WHERE l._valid_to IS NULL AND l.payment_mode = 'entrusted' "
     "AND NOT EXISTS (SELECT 1 FROM contracts c WHERE c._valid_to IS NULL "
     "AND c.loan_id = l.loan_id)"),
    ("contracts_without_invoice", "contracts with no valid invoice",
     "SELECT count(*) FROM contracts c WHERE c._valid_to IS NULL AND NOT EXISTS (SELECT 1 "
     "FROM invoices v WHERE v._valid_to IS NULL AND v.contract_id = c.contract_id "
     "AND v.status = 'normal')"),
    ("enterprises_without_financials", "enterprise borrowers with no financial statement",
     "SELECT count(DISTINCT l.customer_id) FROM loans l JOIN customers c ON c.customer_id = "
     "l.customer_id AND c._valid_to IS NULL WHERE l._valid_to IS NULL AND c.customer_type = "
     "'enterprise' AND NOT EXISTS (SELECT 1 FROM financials f WHERE f._valid_to IS NULL AND "
     "f.customer_id = l.customer_id)"),
    ("individuals_without_income", "individual borrowers with no income record",
     "SELECT count(DISTINCT l.customer_id) FROM loans l JOIN customers c ON c.customer_id = "
     "l.customer_id AND c._valid_to IS NULL WHERE l._valid_to IS NULL AND c.customer_type = "
     "'individual' AND NOT EXISTS (SELECT 1 FROM incomes i WHERE i._valid_to IS NULL AND "
     "i.customer_id = l.customer_id)"),
    ("borrowers_without_bureau", "borrowers with no credit-bureau report",
     "SELECT count(DISTINCT l.customer_id) FROM loans l WHERE l._valid_to IS NULL AND NOT "
     "EXISTS (SELECT 1 FROM bureau_reports b WHERE b._valid_to IS NULL AND b.customer_id = "
     "l.customer_id)"),
    ("collaterals_without_valuation", "collaterals never revalued",
     "SELECT count(*) FROM collaterals c WHERE c._valid_to IS NULL AND NOT EXISTS (SELECT 1 "
     "FROM collateral_valuations v WHERE v._valid_to IS NULL AND "
     "v.collateral_id = c.collateral_id)"),
)


@dataclass
class TableQuality:
    table: str
    rows: int
    null_rates: dict[str, float]
    latest: str | None
    quarantined: dict[str, int] = field(default_factory=dict)


@dataclass
class QualityReport:
    tables: list[TableQuality]
    gaps: list[tuple[str, str, int]]


def _table_quality(con: duckdb.DuckDBPyConnection, table) -> TableQuality:
    cols = list(table.important)
    exprs = ["count(*)"] + [f"avg(CASE WHEN {ident(c)} IS NULL THEN 1.0 ELSE 0 END)"
                            for c in cols]
    exprs.append(f"max({ident(table.date_column)})::VARCHAR" if table.date_column else "NULL")
    row = con.execute(f"SELECT {', '.join(exprs)} FROM main.{table.name} WHERE {CURRENT}"
                      ).fetchall()[0]
    nulls = {c: float(row[i + 1] or 0) for i, c in enumerate(cols)}
    reasons = con.execute(
        "SELECT column_name || ': ' || reason, count(*) FROM lw_quarantine WHERE table_name = ? "
        "AND import_id = (SELECT max(import_id) FROM lw_import_tables WHERE table_name = ?) "
        "GROUP BY ALL ORDER BY 2 DESC", [table.name, table.name]).fetchall()
    return TableQuality(table.name, row[0], nulls, row[-1], dict(reasons))


def quality_report(con: duckdb.DuckDBPyConnection) -> QualityReport:
    tables = [_table_quality(con, t) for t in TABLES]
    gaps = [(name, text, con.execute(sql).fetchall()[0][0]) for name, text, sql in GAPS]
    return QualityReport(tables, gaps)


def print_report(report: QualityReport, console: Console) -> None:
    view = RichTable(title="数据质量 data quality")
    for head in ("表 table", "行数 rows", "最新日期 latest", "空值率 null rates",
                 "隔离原因 quarantined (latest import)"):
        view.add_column(head, overflow="fold")
    for t in report.tables:
        nulls = ", ".join(f"{c} {r:.1%}" for c, r in t.null_rates.items())
        reasons = "; ".join(f"{k} ×{n}" for k, n in t.quarantined.items())
        view.add_row(t.table, f"{t.rows:,}", t.latest or "-", nulls or "-", reasons or "-")
    console.print(view)
    gaps = RichTable(title="引用缺口 referential gaps")
    gaps.add_column("gap")
    gaps.add_column("rows", justify="right")
    for _, text, n in report.gaps:
        gaps.add_row(text, f"{n:,}")
    console.print(gaps)
