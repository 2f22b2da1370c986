"""Calibration figures of a simulated portfolio, measured on the files it wrote (``simulate --report``):
default and prepayment rates by product, delinquency by balance, roll rates, scenario mix.

Delinquency is recomputed from installments and repayments with the METRICS.md conventions
(allocation oldest installment first, fee → interest → principal; DPD from the oldest uncovered
installment due before D), independently of the generator's own bookkeeping.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from loanwatch.simulate.truth import FOLDER

MONEY_COLUMNS = {"amount", "principal", "principal_due", "interest_due", "fee_due"}


@dataclass
class Calibration:
    as_of: dt.date
    products: list[dict] = field(default_factory=list)  # per product: loans, defaults/yr, prepay/yr
    delinquency: dict[str, float] = field(default_factory=dict)  # at as_of
    roll_rates: dict[str, float] = field(default_factory=dict)  # average over the last 12 months
    scenarios: list[dict] = field(default_factory=list)
    shares: dict[str, float] = field(default_factory=dict)


def _source(folder: Path, table: str) -> str:
    for ext in ("parquet", "csv"):
        path = folder / f"{table}.{ext}"
        if path.exists():
            if ext == "parquet":
                return f"read_parquet('{path}')"
            return (
                f"read_csv('{path}', header=true, auto_type_candidates=['BOOLEAN','BIGINT','DATE','VARCHAR'])"
            )
    raise FileNotFoundError(f"{table} not found in {folder}")


def _views(con: duckdb.DuckDBPyConnection, folder: Path) -> None:
    for table in ("loans", "installments", "repayments"):
        con.execute(f"CREATE VIEW raw_{table} AS SELECT * FROM {_source(folder, table)}")
    for table in ("loans", "scenarios"):
        con.execute(f"CREATE VIEW truth_{table} AS SELECT * FROM {_source(folder / FOLDER, table)}")
    con.execute("""
        CREATE TEMP TABLE inst AS
        SELECT loan_id, seq, CAST(due_on AS DATE) AS due_on,
               CAST(principal_due AS DECIMAL(18,2)) AS p,
               CAST(interest_due AS DECIMAL(18,2)) + CAST(fee_due AS DECIMAL(18,2)) AS nonp
        FROM raw_installments""")
    con.execute("""
        CREATE TEMP TABLE sched AS
        SELECT *, p + nonp AS tot,
               COALESCE(SUM(p + nonp) OVER w, 0) AS before, COALESCE(SUM(p) OVER w, 0) AS p_before
        FROM inst WINDOW w AS (PARTITION BY loan_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING
                                AND 1 PRECEDING)""")
    con.execute("""
        CREATE TEMP TABLE paid AS
        SELECT loan_id, CAST(paid_on AS DATE) AS paid_on,
               SUM(CAST(amount AS DECIMAL(18,2))) OVER (PARTITION BY loan_id ORDER BY paid_on
                   RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS cum_paid
        FROM raw_repayments""")


def month_ends(as_of: dt.date, count: int) -> list[dt.date]:
    out, d = [], as_of
    for _ in range(count):
        out.append(d)
        d = d.replace(day=1) - dt.timedelta(days=1)
    return sorted(out)


def delinquency_sql(days: list[dt.date]) -> str:
    """Per loan and date: DPD and outstanding principal, by the METRICS.md conventions."""
    values = ", ".join(f"(DATE '{d.isoformat()}')" for d in days)
    return f"""
        WITH ends(d) AS (VALUES {values}),
        book AS (
            SELECT l.loan_id, l.product, CAST(l.principal AS DECIMAL(18,2)) AS principal, e.d
            FROM raw_loans l, ends e
            WHERE CAST(l.disbursed_on AS DATE) <= e.d
              AND (l.written_off_on IS NULL OR CAST(l.written_off_on AS DATE) > e.d)),
        withpaid AS (
            SELECT b.*, COALESCE(p.cum_paid, 0) AS paid
            FROM book b ASOF LEFT JOIN paid p ON b.loan_id = p.loan_id AND b.d >= p.paid_on),
        located AS (
            SELECT w.*, s.due_on, s.before, s.tot, s.p_before, s.nonp
            FROM withpaid w ASOF LEFT JOIN sched s ON w.loan_id = s.loan_id AND w.paid >= s.before)
        SELECT loan_id, product, d,
               CASE WHEN paid < before + tot AND due_on < d THEN d - due_on ELSE 0 END AS dpd,
               CASE WHEN paid >= before + tot THEN principal - p_before - (tot - nonp)
                    ELSE principal - p_before - GREATEST(paid - before - nonp, 0) END AS outstanding
        FROM located"""


BUCKET_SQL = (
    "CASE WHEN dpd = 0 THEN 0 WHEN dpd <= 30 THEN 1 WHEN dpd <= 60 THEN 2 WHEN dpd <= 90 THEN 3 "
    "WHEN dpd <= 120 THEN 4 WHEN dpd <= 150 THEN 5 WHEN dpd <= 180 THEN 6 ELSE 7 END"
)


def calibrate(folder: Path, as_of: dt.date) -> Calibration:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    try:
        _views(con, folder)
        con.execute(
            f"CREATE TEMP TABLE dq AS SELECT *, {BUCKET_SQL} AS bucket FROM ("
            f"{delinquency_sql(month_ends(as_of, 13))}) WHERE outstanding > 0"
        )
        cal = Calibration(as_of)
        cal.products = _products(con, as_of)
        cal.delinquency = _delinquency(con, as_of)
        cal.roll_rates = _roll_rates(con)
        cal.scenarios, cal.shares = _scenarios(con)
        return cal
    finally:
        con.close()


def _rows(con, sql: str, params=None) -> list[dict]:
    cur = con.execute(sql, params or [])
    names = [c[0] for c in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _products(con, as_of: dt.date) -> list[dict]:
    return _rows(
        con,
        """
        WITH t AS (
            SELECT l.product, CAST(l.principal AS DECIMAL(18,2)) AS principal,
                   CAST(l.disbursed_on AS DATE) AS start,
                   LEAST(?::DATE, CAST(l.maturity_on AS DATE),
                         COALESCE(CAST(g.first_90dpd_on AS DATE), ?::DATE),
                         COALESCE(CAST(g.prepaid_on AS DATE), ?::DATE)) AS stop,
                   g.first_90dpd_on IS NOT NULL AS defaulted, g.prepaid_on IS NOT NULL AS prepaid
            FROM raw_loans l JOIN truth_loans g USING (loan_id))
        SELECT product, count(*) AS loans, sum(principal) AS principal,
               sum(greatest(stop - start, 0)) / 365.25 AS exposure_years,
               count(*) FILTER (defaulted) AS defaults, count(*) FILTER (prepaid) AS prepayments,
               count(*) FILTER (defaulted) / nullif(exposure_years, 0) AS default_rate,
               count(*) FILTER (prepaid) / nullif(exposure_years, 0) AS prepay_rate
        FROM t GROUP BY product ORDER BY loans DESC""",
        [as_of, as_of, as_of],
    )


def _delinquency(con, as_of: dt.date) -> dict[str, float]:
    row = _rows(
        con,
        """
        SELECT count(*) AS loans, sum(outstanding) AS outstanding,
               sum(outstanding) FILTER (dpd >= 1) / sum(outstanding) AS m1_plus_balance,
               sum(outstanding) FILTER (dpd >= 61) / sum(outstanding) AS m3_plus_balance,
               sum(outstanding) FILTER (dpd >= 91) / sum(outstanding) AS npl_proxy_90_plus_balance,
               count(*) FILTER (dpd >= 1) / count(*) AS m1_plus_count
        FROM dq WHERE d = ?""",
        [as_of],
    )[0]
    return {k: float(v or 0) for k, v in row.items()}


def _roll_rates(con) -> dict[str, float]:
    rows = _rows(
        con,
        """
        WITH pairs AS (
            SELECT a.bucket AS b0, b.bucket AS b1, a.outstanding AS bal0, b.outstanding AS bal1
            FROM dq a LEFT JOIN dq b ON a.loan_id = b.loan_id
             AND b.d = last_day(a.d + INTERVAL 1 MONTH)
            WHERE a.d < (SELECT max(d) FROM dq))
        SELECT b0, sum(bal0) AS base, sum(bal1) FILTER (b1 = b0 + 1) AS rolled,
               sum(bal1) FILTER (b1 = 0) AS cured
        FROM pairs WHERE b0 < 7 GROUP BY b0 ORDER BY b0""",
    )
    names = ["C", "M1", "M2", "M3", "M4", "M5", "M6", "M7+"]
    out = {}
    for r in rows:
        b = r["b0"]
        out[f"{names[b]}->{names[b + 1]}"] = float((r["rolled"] or 0) / r["base"]) if r["base"] else 0.0
        if b > 0:
            out[f"cure {names[b]}->C"] = float((r["cured"] or 0) / r["base"]) if r["base"] else 0.0
    return out


def _scenarios(con) -> tuple[list[dict], dict[str, float]]:
    rows = _rows(
        con,
        """
        SELECT scenario, count(*) FILTER (role = 'real') AS real,
               count(*) FILTER (role = 'benign') AS benign,
               median(lead_days) FILTER (role = 'real') AS median_lead_days
        FROM truth_scenarios GROUP BY scenario ORDER BY scenario""",
    )
    shares = _rows(
        con,
        """
        SELECT count(*) FILTER (default_onset_on IS NOT NULL) AS defaults,
               count(*) FILTER (sudden_default) AS sudden,
               (SELECT count(*) FROM truth_scenarios WHERE role = 'real') AS real,
               (SELECT count(*) FROM truth_scenarios WHERE role = 'benign') AS benign,
               (SELECT count(*) FROM truth_scenarios WHERE role = 'real' AND lead_days <= 30) AS short_lead
        FROM truth_loans""",
    )[0]
    d = shares["defaults"] or 1
    return rows, {
        "defaults": float(shares["defaults"]),
        "sudden_share_of_defaults": shares["sudden"] / d,
        "benign_per_real": shares["benign"] / max(shares["real"], 1),
        "real_with_lead_under_30_days": shares["short_lead"] / max(shares["real"], 1),
    }


def print_calibration(cal: Calibration, console) -> None:
    """Rich tables of the calibration figures."""
    from rich.table import Table

    t = Table(title=f"calibration as of {cal.as_of}: yearly rates by product")
    for head in (
        "product",
        "loans",
        "principal",
        "exposure yrs",
        "90+ defaults",
        "default %/yr",
        "prepay %/yr",
    ):
        t.add_column(head, justify="right" if head != "product" else "left")
    for r in cal.products:
        t.add_row(
            r["product"],
            f"{r['loans']:,}",
            f"{r['principal']:,.0f}",
            f"{r['exposure_years']:,.0f}",
            f"{r['defaults']:,}",
            f"{100 * (r['default_rate'] or 0):.2f}",
            f"{100 * (r['prepay_rate'] or 0):.2f}",
        )
    console.print(t)
    d = Table(title="delinquency (by balance unless noted)")
    d.add_column("figure")
    d.add_column("value", justify="right")
    for k, v in cal.delinquency.items():
        d.add_row(k, f"{v:,.0f}" if k in ("loans", "outstanding") else f"{100 * v:.2f}%")
    for k, v in cal.roll_rates.items():
        d.add_row(f"roll {k}" if not k.startswith("cure") else k, f"{100 * v:.1f}%")
    console.print(d)
    s = Table(title="scenarios (cases)")
    for head in ("scenario", "real", "benign", "median lead days"):
        s.add_column(head)
    for r in cal.scenarios:
        lead = r["median_lead_days"]
        s.add_row(r["scenario"], str(r["real"]), str(r["benign"]), "" if lead is None else f"{lead:.0f}")
    console.print(s)
    for k, v in cal.shares.items():
        console.print(f"{k}: {v:.2f}" if k != "defaults" else f"{k}: {v:,.0f}", highlight=False)
