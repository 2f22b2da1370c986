"""The portfolio report's figures beyond the book: early warnings of the period, fund-flow
and invoice findings, concentration, related-party groups, the imports of the period and the
champion model's monitoring, read from the stored marts and the import log.

The alerts of a period are those of every run stored in it (a quarter has three month-ends):
new = opened in the period, closed = the condition ended in it, open = open at its end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from loanwatch.batch.report_source import MartReader

Row = dict[str, Any]
WARNED = ("high", "critical")


def _period_alerts(start: dt.date, day: dt.date) -> str:
    """Each alert once (its latest row) of the runs stored after ``start`` up to ``day``."""
    return (f"(SELECT * FROM alerts WHERE as_of > DATE '{start}' AND as_of <= DATE '{day}' "
            "QUALIFY row_number() OVER (PARTITION BY alert_id ORDER BY as_of DESC) = 1)")


def alert_counts(r: MartReader, start: dt.date, day: dt.date) -> list[Row]:
    """By severity: alerts opened in the period, closed in it, and open at ``day``."""
    return r.rows(f"""
        SELECT severity,
               count(*) FILTER (WHERE opened_on > ? AND opened_on <= ?) AS new,
               count(*) FILTER (WHERE closed_on > ? AND closed_on <= ?) AS closed,
               count(*) FILTER (WHERE as_of = ? AND status = 'open') AS open
        FROM {_period_alerts(start, day)} GROUP BY 1""", [start, day, start, day, day])


def top_signals(r: MartReader, start: dt.date, day: dt.date, limit: int = 10) -> list[Row]:
    """The signals with the most alerts open at ``day``: open, new in the period, borrowers."""
    return r.rows(f"""
        SELECT signal_id, "group",
               count(*) FILTER (WHERE as_of = ? AND status = 'open') AS open,
               count(*) FILTER (WHERE opened_on > ? AND opened_on <= ?) AS new,
               count(DISTINCT customer_id) FILTER (WHERE as_of = ? AND status = 'open')
                   AS borrowers
        FROM {_period_alerts(start, day)} GROUP BY 1, 2
        HAVING open > 0 OR new > 0 ORDER BY open DESC, new DESC, signal_id LIMIT ?""",
                  [day, start, day, day, limit])


def exposures_under_warning(r: MartReader, day: dt.date, limit: int = 10) -> list[Row]:
    """The borrowers at a high or critical warning level with the largest outstanding
    principal, with their loans, worst DPD and signals."""
    levels = ", ".join(f"'{x}'" for x in WARNED)
    return r.rows(f"""
        WITH book AS (SELECT customer_id, count(*) AS loans,
                             sum(outstanding_principal) AS exposure, max(dpd) AS max_dpd
                      FROM loan_snapshot WHERE as_of = ? AND status = 'active'
                        AND outstanding_principal > 0 GROUP BY 1)
        SELECT w.customer_id, w.level, b.loans, b.exposure, b.max_dpd,
               array_to_string(list_sort(w.signals), ', ') AS signals
        FROM warning_levels w JOIN book b USING (customer_id)
        WHERE w.as_of = ? AND w.level IN ({levels})
        ORDER BY b.exposure DESC, w.customer_id LIMIT ?""", [day, day, limit])


def flow_findings(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("""
        SELECT finding, count(DISTINCT loan_id) AS loans, sum(amount) AS amount,
               sum(principal) AS principal FROM fund_flows WHERE as_of = ?
        GROUP BY 1 ORDER BY amount DESC, finding""", [day])


def flow_cases(r: MartReader, day: dt.date, limit: int = 10) -> list[Row]:
    return r.rows("""
        SELECT loan_id, customer_id, finding, amount, share::DOUBLE AS share, hops, counterparty
        FROM fund_flows WHERE as_of = ? ORDER BY amount DESC, loan_id, finding LIMIT ?""",
                  [day, limit])


def reconciliation_status(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("""
        SELECT status, count(*) AS loans, sum(contract_amount) AS contract_amount,
               sum(paid_amount) AS paid_amount, sum(invoiced_amount) AS invoiced_amount,
               sum(invoice_shortfall) AS invoice_shortfall, sum(void_invoices) AS void_invoices,
               sum(seller_mismatches) AS seller_mismatches
        FROM reconciliation WHERE as_of = ? GROUP BY 1 ORDER BY 1""", [day])


def reconciliation_cases(r: MartReader, day: dt.date, limit: int = 10) -> list[Row]:
    return r.rows("""
        SELECT loan_id, customer_id, status, paid_amount, invoiced_amount, invoice_shortfall,
               days_without_invoice, reasons
        FROM reconciliation WHERE as_of = ? AND status <> 'matched'
        ORDER BY invoice_shortfall DESC, loan_id LIMIT ?""", [day, limit])


def top_borrowers(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT rank, customer_id, loans, exposure, share, cumulative_share "
                  "FROM concentration WHERE as_of = ? ORDER BY rank", [day])


def related_groups(r: MartReader, day: dt.date, limit: int = 10) -> list[Row]:
    """The related-party groups with the largest exposure: members, borrowers, worst class."""
    return r.rows("""
        SELECT group_id, any_value(group_size) AS members,
               any_value(group_borrowers) AS borrowers, any_value(group_exposure) AS exposure,
               any_value(group_worst_class) AS worst_class,
               bool_or(in_circle) AS in_circle
        FROM networks WHERE as_of = ? AND group_id IS NOT NULL GROUP BY 1
        ORDER BY exposure DESC, group_id LIMIT ?""", [day, limit])


def imports_in_period(r: MartReader, start: dt.date, day: dt.date) -> list[Row]:
    """The imports dated in the period, by table: rows read, loaded and quarantined."""
    if not r.has_table("lw_imports"):
        return []
    return r.rows("""
        SELECT i.import_id, i.as_of, i.status, t.table_name, t.rows_read, t.rows_loaded,
               t.rows_quarantined
        FROM lw_imports i JOIN lw_import_tables t USING (import_id)
        WHERE i.as_of > ? AND i.as_of <= ? ORDER BY i.import_id, t.table_name""", [start, day])


def quarantine_reasons(r: MartReader, start: dt.date, day: dt.date, limit: int = 15) -> list[Row]:
    if not r.has_table("lw_quarantine"):
        return []
    return r.rows("""
        SELECT q.table_name, q.column_name, q.reason, count(*) AS rows
        FROM lw_quarantine q JOIN lw_imports i USING (import_id)
        WHERE i.as_of > ? AND i.as_of <= ? GROUP BY ALL ORDER BY rows DESC, 1, 2, 3 LIMIT ?""",
                  [start, day, limit])


def model_monitoring(r: MartReader, day: dt.date) -> list[Row]:
    return r.rows("SELECT model_id, measure, value, level, drift FROM model_monitoring "
                  "WHERE as_of = ? ORDER BY model_id, measure = 'psi' DESC, value DESC", [day])


def score_summary(r: MartReader, day: dt.date) -> list[Row]:
    """The champion's borrowers scored, mean score and mean PD by grade."""
    return r.rows("""
        SELECT grade, count(*) AS borrowers, avg(score) AS score, avg(pd_12m)::DOUBLE AS pd
        FROM scores WHERE as_of = ? GROUP BY 1 ORDER BY 1""", [day])
