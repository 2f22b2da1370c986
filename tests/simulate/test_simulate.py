"""The simulated portfolio end to end: contract files that import cleanly, deterministic, and whose
ground truth and scenario traces agree with the data."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import pytest

from loanwatch.ingest.importer import import_folder
from loanwatch.policy import default_policy_text
from loanwatch.simulate.calibration import calibrate, delinquency_sql, month_ends
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate
from loanwatch.workspace import init_workspace

CFG = SimConfig(loans=2000, seed=11)


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim") / "data"
    simulate(CFG, out, "csv")
    return out


@pytest.fixture(scope="module")
def db(portfolio: Path) -> duckdb.DuckDBPyConnection:
    """The files and the ground truth as DuckDB views, read with the contract's types."""
    con = duckdb.connect()
    for path in sorted(portfolio.glob("*.csv")):
        con.execute(f"CREATE VIEW {path.stem} AS SELECT * FROM read_csv('{path}', header=true, "
                    "auto_type_candidates=['BOOLEAN','BIGINT','DATE','TIMESTAMP','DECIMAL(18,2)','VARCHAR'])")
    for path in sorted((portfolio / "ground_truth").glob("*.csv")):
        con.execute(f"CREATE VIEW truth_{path.stem} AS SELECT * FROM read_csv('{path}', header=true)")
    yield con
    con.close()


def _rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_import_quarantines_nothing(portfolio: Path, tmp_path: Path):
    ws, _ = init_workspace(tmp_path / "ws", default_policy_text())
    with ws.connect(pii=True) as con:
        result = import_folder(con, portfolio, CFG.end, ws.cipher())
    assert {t.table for t in result.tables} >= {
        "customers", "loans", "installments", "repayments", "accounts", "transactions", "contracts",
        "invoices", "guarantees", "collaterals", "collateral_valuations", "financials", "incomes",
        "registry_events", "bureau_reports", "relations", "covenants"}
    assert [(t.table, t.quarantined) for t in result.tables if t.quarantined] == []
    assert all(t.loaded == t.read > 0 for t in result.tables)


def _digest(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*.csv"))}


def test_same_seed_same_files_other_seed_other_files(portfolio: Path, tmp_path: Path):
    simulate(CFG, tmp_path / "again", "csv")
    assert _digest(tmp_path / "again") == _digest(portfolio)
    simulate(SimConfig(loans=2000, seed=12), tmp_path / "other", "csv")
    assert _digest(tmp_path / "other")["loans.csv"] != _digest(portfolio)["loans.csv"]


def test_parquet_holds_the_same_rows(portfolio: Path, tmp_path: Path, db):
    simulate(CFG, tmp_path / "pq", "parquet")
    con = duckdb.connect()
    path = tmp_path / "pq" / "repayments.parquet"
    got = con.execute(f"SELECT count(*), sum(amount) FROM read_parquet('{path}')").fetchall()
    assert got == _rows(db, "SELECT count(*), sum(amount) FROM repayments")


def test_schedules_repay_exactly_the_principal(db):
    assert _rows(db, """
        SELECT count(*) FROM loans l JOIN (SELECT loan_id, sum(principal_due) AS p, max(seq) AS n,
                                                  count(*) AS rows FROM installments GROUP BY loan_id) i
          USING (loan_id)
        WHERE i.p <> l.principal OR i.n <> i.rows""") == [(0,)]
    # methods: interest-first loans repay principal only at the end, bullet loans have one row
    assert _rows(db, """
        SELECT count(*) FROM installments i JOIN loans l USING (loan_id)
        WHERE l.repayment_method = 'bullet' AND i.seq > 1""") == [(0,)]


def _dpd_at(db, days: list[dt.date]) -> str:
    for name in ("raw_loans", "raw_installments", "raw_repayments"):
        db.execute(f"CREATE OR REPLACE VIEW {name} AS SELECT * FROM {name[4:]}")
    db.execute("""CREATE OR REPLACE TEMP TABLE sched AS
        SELECT loan_id, seq, due_on, principal_due AS p, interest_due + fee_due AS nonp,
               principal_due + interest_due + fee_due AS tot,
               COALESCE(SUM(principal_due + interest_due + fee_due) OVER w, 0) AS before,
               COALESCE(SUM(principal_due) OVER w, 0) AS p_before
        FROM installments WINDOW w AS (PARTITION BY loan_id ORDER BY seq ROWS BETWEEN UNBOUNDED
                                       PRECEDING AND 1 PRECEDING)""")
    db.execute("""CREATE OR REPLACE TEMP TABLE paid AS SELECT loan_id, paid_on,
        SUM(amount) OVER (PARTITION BY loan_id ORDER BY paid_on RANGE BETWEEN UNBOUNDED PRECEDING
                          AND CURRENT ROW) AS cum_paid FROM repayments""")
    return delinquency_sql(days)


def test_ground_truth_defaults_match_the_repayments(db):
    """Every loan the truth marks 90+ is past 90 days on that day and not the day before; no other
    loan is ever past 90 days at a month end."""
    marked = _rows(db, "SELECT loan_id, first_90dpd_on FROM truth_loans WHERE first_90dpd_on IS NOT NULL")
    assert len(marked) >= 10
    days = sorted({d for _, d in marked} | {d - dt.timedelta(days=1) for _, d in marked})
    db.execute(f"CREATE OR REPLACE TEMP TABLE dq AS {_dpd_at(db, days)}")
    for loan_id, day in marked:
        dpd = dict(_rows(db, f"SELECT d, dpd FROM dq WHERE loan_id = '{loan_id}'"))
        assert dpd[day] > 90 and dpd[day - dt.timedelta(days=1)] <= 90, loan_id
    ends = month_ends(CFG.end, CFG.months)
    db.execute(f"CREATE OR REPLACE TEMP TABLE dq_m AS {_dpd_at(db, ends)}")
    assert _rows(db, """
        SELECT count(*) FROM dq_m JOIN truth_loans t USING (loan_id)
        WHERE dq_m.dpd > 90 AND (t.first_90dpd_on IS NULL OR t.first_90dpd_on > dq_m.d)""") == [(0,)]
    # written-off loans were 90+ first, and loans marked restructured carry the date in loans
    assert _rows(db, """SELECT count(*) FROM truth_loans WHERE written_off_on IS NOT NULL
                        AND (first_90dpd_on IS NULL OR first_90dpd_on >= written_off_on)""") == [(0,)]
    assert _rows(db, """SELECT count(*) FROM truth_loans t JOIN loans l USING (loan_id)
                        WHERE t.restructured_on IS DISTINCT FROM l.restructured_on
                           OR t.written_off_on IS DISTINCT FROM l.written_off_on""") == [(0,)]


def test_shares_of_sudden_defaults_and_look_alikes(db):
    (defaults, sudden), = _rows(db, """SELECT count(*) FILTER (default_onset_on IS NOT NULL),
                                             count(*) FILTER (sudden_default) FROM truth_loans""")
    assert sudden >= 0.25 * defaults
    (real, benign), = _rows(db, """SELECT count(*) FILTER (role = 'real'), count(*) FILTER (role = 'benign')
                                   FROM truth_scenarios""")
    assert benign >= real > 0
    # sudden defaults leave no scenario behind
    assert _rows(db, """SELECT count(*) FROM truth_loans t JOIN truth_scenarios s USING (loan_id)
                        WHERE t.sudden_default AND s.role = 'real'""") == [(0,)]


def _cases(db, scenario: str, role: str = "real") -> list[tuple]:
    return _rows(db, f"""
        SELECT s.customer_id, s.loan_id, s.trace_on, COALESCE(t.first_90dpd_on, DATE '{CFG.end}') AS deadline
        FROM truth_scenarios s JOIN truth_loans t USING (loan_id)
        WHERE s.scenario = '{scenario}' AND s.role = '{role}'""")


def test_income_drop_shows_in_incomes_before_the_default(db):
    cases = _cases(db, "income_drop")
    assert cases
    for customer, _, trace, deadline in cases:
        (before, after), = _rows(db, f"""
            SELECT avg(amount) FILTER (m >= DATE '{trace}' - INTERVAL 7 MONTH
                                       AND m < DATE '{trace}' - INTERVAL 1 MONTH),
                   avg(amount) FILTER (m > DATE '{trace}' AND m < DATE '{deadline}')
            FROM (SELECT *, CAST(month || '-01' AS DATE) AS m FROM incomes)
            WHERE customer_id = '{customer}'""")
        if after is not None:  # at least one full month between the trace and the deadline
            assert after < before * 0.8, customer


def test_multi_lending_shows_in_the_bureau_before_the_default(db):
    cases = _cases(db, "multi_lending")
    assert cases
    seen = 0
    for customer, _, trace, deadline in cases:
        (spike,), = _rows(db, f"""SELECT max(inquiries_3m) FROM bureau_reports
                                 WHERE customer_id = '{customer}' AND reported_on >= DATE '{trace}'
                                   AND reported_on < DATE '{deadline}'""")
        seen += spike is not None and spike > 6
    assert seen >= 0.8 * len(cases)


def test_key_person_churn_and_court_cases_show_in_the_registry(db):
    for customer, _, trace, deadline in _cases(db, "key_person_churn"):
        (n,), = _rows(db, f"""SELECT count(*) FROM registry_events WHERE customer_id = '{customer}'
            AND kind IN ('legal_rep_change', 'shareholder_change', 'finance_head_change', 'director_change')
            AND occurred_on >= DATE '{trace}' AND occurred_on < DATE '{deadline}'""")
        assert n >= 1
    for customer, _, trace, deadline in _cases(db, "court_enforcement"):
        (n,), = _rows(db, f"""SELECT count(*) FROM registry_events WHERE customer_id = '{customer}'
            AND kind = 'lawsuit' AND occurred_on = DATE '{trace}' AND occurred_on < DATE '{deadline}'""")
        assert n == 1
    for customer, *_ in _cases(db, "court_enforcement", "benign"):
        (n,), = _rows(db, f"""SELECT count(*) FROM registry_events WHERE customer_id = '{customer}'
                             AND kind IN ('enforcement', 'dishonest_debtor')""")
        assert n == 0


def test_settlement_drop_shows_in_the_flows(db):
    cases = _cases(db, "settlement_drop")
    checked = 0
    for customer, _, trace, deadline in cases:
        (before, after), = _rows(db, f"""
            SELECT sum(t.amount) FILTER (occurred_at >= DATE '{trace}' - INTERVAL 3 MONTH
                                         AND occurred_at < DATE '{trace}' - INTERVAL 1 MONTH) / 2,
                   sum(t.amount) FILTER (occurred_at >= date_trunc('month', DATE '{trace}')
                                                        + INTERVAL 1 MONTH
                                         AND occurred_at < date_trunc('month', DATE '{trace}')
                                                           + INTERVAL 2 MONTH)
            FROM transactions t JOIN accounts a USING (account_id)
            WHERE a.customer_id = '{customer}' AND t.direction = 'in' AND t.loan_id IS NULL""")
        if before and after is not None and DATE(deadline) > DATE(trace) + dt.timedelta(days=62):
            assert after < before * 0.6, customer
            checked += 1
    assert checked >= 1


def DATE(value) -> dt.date:  # noqa: N802 — reads like the SQL above
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def test_calibration_figures_are_plausible(portfolio: Path):
    cal = calibrate(portfolio, CFG.end)
    rates = {r["product"]: r["default_rate"] or 0 for r in cal.products}
    assert 0 < rates["consumer"] < 0.08
    assert 0.005 < cal.delinquency["m1_plus_balance"] < 0.15
    assert cal.delinquency["npl_proxy_90_plus_balance"] < 0.06
    assert cal.roll_rates["C->M1"] < cal.roll_rates["M1->M2"] < cal.roll_rates["M2->M3"]
    assert cal.shares["sudden_share_of_defaults"] >= 0.25


def test_collateral_drop_shows_in_revaluations(db):
    for _, loan, trace, _ in _cases(db, "collateral_drop"):
        (low,), = _rows(db, f"""
            SELECT min(v.value / c.appraised_value) FROM collateral_valuations v JOIN collaterals c
              USING (collateral_id)
            WHERE c.loan_id = '{loan}' AND v.valued_on >= DATE '{trace}'""")
        assert low is None or low < 0.75, loan


def test_guarantee_contagion_follows_a_circle_default(db):
    """A contagion default comes after the default of a loan in the same guarantee circle."""
    for _, loan, trace, _ in _cases(db, "guarantee_contagion"):
        (earlier,), = _rows(db, f"""
            SELECT count(*) FROM truth_loans t
            WHERE t.default_onset_on = DATE '{trace}' AND t.loan_id <> '{loan}'""")
        assert earlier >= 1, loan


def test_cli_simulate_with_report(tmp_path: Path):
    from typer.testing import CliRunner

    from loanwatch.cli import app

    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "d"), "--loans", "300",
                                      "--months", "12", "--seed", "3", "--format", "parquet", "--report"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "d" / "loans.parquet").exists()
    assert (tmp_path / "d" / "ground_truth" / "loans.parquet").exists()
    assert "sudden_share_of_defaults" in result.output and "C->M1" in result.output
    bad = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path / "e"), "--loans", "0"])
    assert bad.exit_code == 2 and "loans" in bad.output


def test_flow_scenarios_leave_their_paths_in_the_transactions_before_the_default(db):
    """Every hop the truth records for a real backflow or prohibited use is a transaction this bank
    holds (an 'out' on the payer's account or an 'in' on the payee's), within 30 days of the
    disbursement and before the loan is 90+ overdue."""
    hops = _rows(db, """
        SELECT p.loan_id, p.hop, p.account_id, p.counterparty_account, p.amount, p.occurred_at,
               l.disbursed_on, t.first_90dpd_on
        FROM truth_flow_paths p JOIN loans l USING (loan_id) JOIN truth_loans t USING (loan_id)
        WHERE p.role = 'real' AND p.scenario IN ('backflow', 'prohibited_use')""")
    assert hops
    for loan, hop, account, other, amount, at, disbursed, first90 in hops:
        (found,), = _rows(db, f"""
            SELECT count(*) FROM transactions WHERE amount = {amount} AND occurred_at = '{at}'
               AND ((account_id = '{account}' AND direction = 'out' AND counterparty_account = '{other}')
                 OR (account_id = '{other}' AND direction = 'in' AND counterparty_account = '{account}'))""")
        assert found >= 1, (loan, hop)
        assert at.date() <= disbursed + dt.timedelta(days=30)
        assert first90 is None or at.date() < first90
    # backflow ends where it started: the borrower's account or a related party's
    (back,), = _rows(db, """
        WITH last AS (SELECT loan_id, arg_max(counterparty_account, hop) AS dest FROM truth_flow_paths
                      WHERE scenario = 'backflow' AND role = 'real' GROUP BY loan_id)
        SELECT count(*) FROM last JOIN loans l USING (loan_id) JOIN accounts a ON a.account_id = last.dest
        WHERE a.customer_id <> l.customer_id AND a.customer_id NOT IN (
            SELECT related_customer_id FROM relations WHERE customer_id = l.customer_id)""")
    assert back == 0
