"""One borrower's file for the inspection report (贷后检查报告) as of a date: profile (personal
data as stored — masked; the ciphertext is never read), loans and their position, recent
installments and how far repayments covered them, indicators, alerts with evidence, class
and rating history, collateral and guarantees. Contract tables are read as in force at the
date, marts at the date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from loanwatch.batch.report_source import MartReader

Row = dict[str, Any]
PROFILE = ("customer_id", "customer_type", "name", "id_number", "phone", "industry", "region",
           "branch_id", "manager_id", "onboarded_on", "annual_income", "registered_capital")
RECENT_INSTALLMENTS = 6  # per loan: the last ones due by the date and the next one


def profile(r: MartReader, customer_id: str, day: dt.date) -> Row | None:
    """The customer in force at ``day`` (masked columns only); ``None`` when unknown."""
    return r.one(f"SELECT {', '.join(PROFILE)} FROM {r.in_force('customers', day)} "
                 "WHERE customer_id = ?", [customer_id])


def loans(r: MartReader, customer_id: str, day: dt.date) -> list[Row]:
    """Loans disbursed by ``day`` with their position and class at ``day`` (when stored)."""
    snapshot = r.has("loan_snapshot", day)
    classes = r.has("classification", day)
    position = ("s.status, s.dpd, s.bucket, s.outstanding_principal, s.overdue_principal, "
                "s.overdue_interest, s.next_due_on, s.next_due_amount" if snapshot else
                "NULL AS status, NULL AS dpd, NULL AS bucket, NULL AS outstanding_principal, "
                "NULL AS overdue_principal, NULL AS overdue_interest, NULL AS next_due_on, "
                "NULL AS next_due_amount")
    klass = "k.five_class, k.stage, k.ecl" if classes else \
        "NULL AS five_class, NULL AS stage, NULL AS ecl"
    return r.rows(f"""
        SELECT l.loan_id, l.product, l.principal, l.disbursed_on, l.maturity_on,
               l.annual_rate::DOUBLE AS annual_rate, l.repayment_method, l.payment_mode,
               l.purpose, {position}, {klass}
        FROM {r.in_force('loans', day)} l
        {f"LEFT JOIN loan_snapshot s ON s.loan_id = l.loan_id AND s.as_of = DATE '{day}'"
         if snapshot else ""}
        {f"LEFT JOIN classification k ON k.loan_id = l.loan_id AND k.as_of = DATE '{day}'"
         if classes else ""}
        WHERE l.customer_id = ? AND l.disbursed_on <= ? ORDER BY l.disbursed_on, l.loan_id""",
                  [customer_id, day])


def installments(r: MartReader, loan_ids: list[str], day: dt.date) -> list[Row]:
    """Each loan's last installments due by ``day`` and the next one, with the part the
    repayments received by ``day`` cover (oldest installment first, as the snapshot
    allocates) and the state: paid, overdue (due before ``day``, not covered) or due."""
    paid = {x["loan_id"]: x["paid"] for x in r.rows(f"""
        SELECT loan_id, sum(amount) AS paid FROM {r.in_force('repayments', day)}
        WHERE list_contains(?, loan_id) AND paid_on <= ? GROUP BY 1""", [loan_ids, day])}
    found = r.rows(f"""
        SELECT loan_id, seq, due_on, principal_due + interest_due + coalesce(fee_due, 0) AS due,
               cum_due_before FROM {r.in_force('installments', day)}
        WHERE list_contains(?, loan_id)
        QUALIFY row_number() OVER (PARTITION BY loan_id, due_on <= ? ORDER BY
                                   CASE WHEN due_on <= ? THEN -seq ELSE seq END)
                <= CASE WHEN due_on <= ? THEN ? ELSE 1 END
        ORDER BY loan_id, seq""", [loan_ids, day, day, day, RECENT_INSTALLMENTS])
    for x in found:
        covered = min(max(paid.get(x["loan_id"], Decimal(0)) - x.pop("cum_due_before"),
                          Decimal(0)), x["due"])
        x["covered"] = covered
        x["state"] = ("paid" if covered >= x["due"] else
                      "overdue" if x["due_on"] < day else "due")
    return found


def repayment_record(r: MartReader, loan_ids: list[str], day: dt.date) -> list[Row]:
    if not r.has("repayment_record", day):
        return []
    return r.rows("SELECT loan_id, late_12m, long_late_12m, partial_periods, recent_periods "
                  "FROM repayment_record WHERE as_of = ? AND list_contains(?, loan_id) "
                  "ORDER BY loan_id", [day, loan_ids])


def indicators(r: MartReader, customer_id: str, day: dt.date) -> Row | None:
    if not r.has("indicators", day):
        return None
    return r.one("SELECT * EXCLUDE (policy_version, run_id) FROM indicators "
                 "WHERE as_of = ? AND customer_id = ?", [day, customer_id])


def alerts(r: MartReader, customer_id: str, day: dt.date) -> list[Row]:
    """The borrower's alerts in the run of ``day``, open first, worst first."""
    return r.rows("""
        SELECT signal_id, severity, loan_id, status, opened_on, closed_on, evidence,
               array_to_string(actions, ', ') AS actions
        FROM alerts WHERE as_of = ? AND customer_id = ?
        ORDER BY status = 'open' DESC, list_position(['critical', 'high', 'medium', 'low',
                 'info'], severity), signal_id, loan_id""", [day, customer_id])


def warning_level(r: MartReader, customer_id: str, day: dt.date) -> str | None:
    if not r.has("warning_levels", day):
        return None
    found = r.one("SELECT level FROM warning_levels WHERE as_of = ? AND customer_id = ?",
                  [day, customer_id])
    return found["level"] if found else None


def class_history(r: MartReader, customer_id: str, day: dt.date, dates: int = 12) -> list[Row]:
    """Each loan's class, grade and stage at the latest ``dates`` stored month-ends by ``day``."""
    if not r.dates("classification"):
        return []
    return r.rows("""
        WITH d AS (SELECT DISTINCT as_of FROM classification
                   WHERE as_of <= ? AND (as_of = ? OR as_of = last_day(as_of))
                   ORDER BY as_of DESC LIMIT ?)
        SELECT k.as_of, k.loan_id, k.five_class, k.grade, k.stage, k.dpd,
               array_to_string(k.reasons, ', ') AS reasons
        FROM classification k JOIN d USING (as_of) WHERE k.customer_id = ?
        ORDER BY k.as_of DESC, k.loan_id""", [day, day, dates, customer_id])


def rating_history(r: MartReader, customer_id: str, day: dt.date, dates: int = 12) -> list[Row]:
    if not r.dates("ratings"):
        return []
    return r.rows("""
        SELECT as_of, grade, score, pd_12m::DOUBLE AS pd_12m, pd_source FROM ratings
        WHERE customer_id = ? AND as_of <= ? AND (as_of = ? OR as_of = last_day(as_of))
        ORDER BY as_of DESC LIMIT ?""", [customer_id, day, day, dates])


def collaterals(r: MartReader, customer_id: str, day: dt.date) -> list[Row]:
    """Collateral of the borrower's loans appraised by ``day``, with its latest valuation."""
    return r.rows(f"""
        WITH v AS (SELECT collateral_id, arg_max(value, valued_on) AS latest_value,
                          max(valued_on) AS valued_on
                   FROM {r.in_force('collateral_valuations', day)} WHERE valued_on <= ?
                   GROUP BY 1)
        SELECT c.collateral_id, c.loan_id, c.kind, c.description, c.appraised_value,
               c.appraised_on, c.status, v.latest_value, v.valued_on
        FROM {r.in_force('collaterals', day)} c
        JOIN {r.in_force('loans', day)} l ON l.loan_id = c.loan_id
        LEFT JOIN v ON v.collateral_id = c.collateral_id
        WHERE l.customer_id = ? AND c.appraised_on <= ? ORDER BY c.loan_id, c.collateral_id""",
                  [day, customer_id, day])


def guarantors(r: MartReader, customer_id: str, day: dt.date) -> list[Row]:
    """The guarantees on the borrower's loans, with the guarantor's name as stored (masked
    for an individual)."""
    return r.rows(f"""
        SELECT g.guarantee_id, g.loan_id, g.kind, g.amount, g.guarantor_customer_id AS guarantor,
               p.name AS guarantor_name
        FROM {r.in_force('guarantees', day)} g
        JOIN {r.in_force('loans', day)} l ON l.loan_id = g.loan_id
        LEFT JOIN {r.in_force('customers', day)} p ON p.customer_id = g.guarantor_customer_id
        WHERE l.customer_id = ? ORDER BY g.loan_id, g.guarantee_id""", [customer_id])
