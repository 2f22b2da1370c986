"""Every kind of bad row goes to the quarantine with its line, column and reason, while the
good rows of the same file are loaded."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from loanwatch.ingest import integrity
from tests.ingest.conftest import count, quarantine, use_fixture

# case -> rows expected in quarantine: (table, line, column, reason fragment)
CASES = {
    "missing_required": [("loans", 3, "principal", "required value is missing"),
                         ("installments", None, "loan_id", "not found in loans")],
    "bad_date": [("loans", 4, "disbursed_on", "not a date")],
    "unknown_enum": [("loans", 2, "repayment_method", "unknown value")],
    "rate_out_of_range": [("loans", 3, "annual_rate", "between 0 and 1")],
    "maturity_before_disbursement": [("loans", 3, "maturity_on", "before disbursed_on")],
    "unknown_customer": [("loans", 3, "customer_id", "not found in customers")],
    "too_many_decimals": [("repayments", 3, "amount", "at most 2 decimals")],
    "thousands_separator": [("repayments", 3, "amount", "not an amount")],
    "negative_amount": [("repayments", 3, "amount", "must not be negative")],
    "unknown_loan": [("repayments", 3, "loan_id", "not found in loans")],
    "paid_before_disbursement": [("repayments", 3, "loan_id", "before the loan's disbursed_on")],
    "too_many_fields": [("repayments", 3, None, "more fields than the header"),
                        ("repayments", 5, "amount", "fewer fields than the header")],
    "due_before_disbursement": [("installments", 5, "loan_id", "before the loan's disbursed_on")],
    "seq_gap": [("installments", 2, "loan_id", "seq 4 found where 3 was expected"),
                ("installments", 3, "loan_id", "seq 4 found where 3 was expected"),
                ("installments", 4, "loan_id", "seq 4 found where 3 was expected")],
    "dup_seq": [("installments", 4, "loan_id", "schedule repeats seq 2"),
                ("installments", 2, "loan_id", "schedule repeats seq 2")],
    # in file order L002 comes 3, 1, 2 (whole); L001 starts at 2; L003 runs 1, 3, 3: the first
    # break is reported, as when the rows are numbered
    "seq_shapes": [("installments", 3, "loan_id", "seq 2 found where 1 was expected"),
                   ("installments", 6, "loan_id", "seq 2 found where 1 was expected"),
                   ("installments", 4, "loan_id", "seq 3 found where 2 was expected"),
                   ("installments", 7, "loan_id", "seq 3 found where 2 was expected"),
                   ("installments", 9, "loan_id", "seq 3 found where 2 was expected")],
    "unparsable_due_date": [("installments", 3, "due_on", "not a date"),
                            ("installments", 2, "loan_id", "refused as a whole"),
                            ("installments", 4, "loan_id", "refused as a whole")],
    "bad_last_installment": [("installments", 2, "loan_id", "refused as a whole"),
                             ("installments", 3, "loan_id", "refused as a whole"),
                             ("installments", 4, "principal_due", "must not be negative")],
    "bad_bool": [("accounts", 3, "is_own_bank", "not true or false")],
    "bad_timestamp": [("transactions", 3, "occurred_at", "not a timestamp")],
    "bad_month": [("incomes", 3, "month", "not a month")],
    "self_relation": [("relations", 3, "related_customer_id", "related to itself"),
                      ("relations", 4, "share", "between 0 and 1")],
    "red_invoice": [("invoices", 4, "amount", "not red"), ("invoices", 4, "tax_amount", "not red")],
    "bad_phone": [("customers", 3, "customer_type", "unknown value"),
                  ("customers", 6, "branch_id", "required value is missing")],
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_rows_are_quarantined_with_line_column_and_reason(case, example_dir, run_import, con):
    table = use_fixture(example_dir, case)
    result = run_import(example_dir)
    got = [q for q in quarantine(con) if q[0] == table or q[0] == "installments"]
    expected = CASES[case]
    for exp_table, line, column, reason in expected:
        found = any(g[0] == exp_table and (line is None or g[1] == line)
                    and (column is None or g[2] == column) and reason in g[3] for g in got)
        assert found, (exp_table, line, column, reason, got)
    by_table = {t.table: t for t in result.tables}
    bad_lines = {(g[0], g[1]) for g in got if g[0] == table}
    assert by_table[table].quarantined == len(bad_lines)
    assert by_table[table].loaded + by_table[table].quarantined == by_table[table].read
    assert count(con, table) == by_table[table].loaded


def test_a_whole_schedule_out_of_file_order_is_loaded_with_its_running_sums(example_dir,
                                                                          run_import, con):
    use_fixture(example_dir, "seq_shapes")
    run_import(example_dir)
    assert con.execute(
        "SELECT list((seq, cum_due_before, cum_fee_before, cum_interest_before, prev_due_on, "
        "is_last) ORDER BY seq) FROM installments WHERE loan_id = 'L002'").fetchall()[0][0] == [
        (1, 0, 0, 0, None, False),
        (2, Decimal("303510.00"), Decimal("10.00"), Decimal("3500.00"), dt.date(2024, 3, 1), False),
        (3, Decimal("706710.00"), Decimal("10.00"), Decimal("6700.00"), dt.date(2024, 4, 1), True)]
    assert count(con, "installments") == 3


def test_schedules_past_the_bitstring_are_checked_row_by_row(monkeypatch, example_dir,
                                                             run_import, con):
    monkeypatch.setattr(integrity, "MAX_SEQ_BITS", 2)  # L002 runs to 3
    use_fixture(example_dir, "seq_shapes")
    run_import(example_dir)
    assert [q[1:4] for q in quarantine(con)] == [
        (line, column, f"schedule has gaps: seq must run 1, 2, 3, … without gaps; {reason}")
        for _, line, column, reason in sorted(CASES["seq_shapes"], key=lambda c: c[1])]
    assert count(con, "installments") == 3


def test_exact_duplicate_keeps_one_and_conflicting_duplicates_keep_none(example_dir, run_import,
                                                                      con):
    use_fixture(example_dir, "duplicate_key")
    run_import(example_dir)
    rows = quarantine(con)
    assert [(r[1], r[2]) for r in rows] == [(3, "repayment_id"), (4, "repayment_id"),
                                           (6, "repayment_id")]
    assert "different values" in rows[0][3] and "exact duplicate" in rows[2][3]
    assert con.execute("SELECT list(repayment_id ORDER BY repayment_id) FROM repayments"
                       ).fetchall()[0][0] == ["R001", "R003"]


def test_a_key_with_absent_parts_is_a_duplicate_only_of_the_same_absences(example_dir,
                                                                          run_import, con):
    use_fixture(example_dir, "duplicate_null_key")  # line 3 repeats line 2, amount absent
    run_import(example_dir)
    assert [(r[1], r[2], r[3]) for r in quarantine(con)] == [
        (3, "customer_id, occurred_on, kind, detail, amount", "exact duplicate of an earlier row")]
    assert count(con, "registry_events") == 4


def test_a_quarantined_loan_takes_its_schedule_and_repayments_with_it(example_dir, run_import, con):
    use_fixture(example_dir, "missing_required")  # L002 refused
    run_import(example_dir)
    refused = {(r[0], r[4]) for r in quarantine(con) if r[2] == "loan_id"}
    assert ("installments", "L002") in refused and ("repayments", "L002") in refused
    assert con.execute("SELECT count(*) FROM installments WHERE loan_id = 'L002'"
                       ).fetchall()[0][0] == 0


def test_personal_data_in_a_refused_row_is_masked(example_dir, run_import, con):
    (example_dir / "customers.csv").write_text(
        "customer_id,customer_type,name,phone,branch_id\n"
        "C001,individual,张三,13812345678,B01\n"
        "C001,individual,张三丰,13812345679,B01\n", encoding="utf-8")
    run_import(example_dir)
    text = " ".join(str(v) for row in con.execute("SELECT * FROM lw_quarantine").fetchall()
                    for v in row)
    assert "13812345679" not in text and "张三丰" not in text
