"""Re-importing changes nothing; a changed row takes effect from the import's as-of date
and the earlier view stays as it was; --strict refuses the whole import."""

from __future__ import annotations

import datetime as dt

import pytest

from loanwatch.engines.duckdb import in_force_sql
from loanwatch.ingest.errors import StrictRejected
from tests.ingest.conftest import count, use_fixture


def _view(con, table: str, day: str, order: str) -> list[tuple]:
    return con.execute(f"SELECT * FROM {in_force_sql(table, dt.date.fromisoformat(day))} "
                       f"ORDER BY {order}").fetchall()


def _restructure_l003(data) -> None:
    loans = data / "loans.csv"
    loans.write_text(loans.read_text().replace("2024-03-10,2024-06-10", "2024-03-10,2024-09-10"))
    inst = data / "installments.csv"
    inst.write_text(inst.read_text().replace(
        "L003,1,2024-06-10,500000.00,6250.00,0",
        "L003,1,2024-06-10,250000.00,6250.00,0\nL003,2,2024-09-10,250000.00,3125.00,0"))


def test_reimporting_the_same_files_changes_nothing(example_dir, run_import, con):
    run_import(example_dir)
    tables = ("customers", "loans", "installments", "repayments", "transactions")
    snapshot = {t: con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in tables}
    again = run_import(example_dir, as_of="2024-07-31")
    assert all(t.versions == 0 for t in again.tables)
    for table, rows in snapshot.items():  # ciphertexts included: nothing was rewritten
        assert con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall() == rows


def test_a_changed_schedule_applies_from_the_as_of_and_the_past_is_kept(example_dir,
                                                                        run_import, con):
    run_import(example_dir, as_of="2024-06-30")
    before = _view(con, "installments", "2024-07-31", "loan_id, seq")
    _restructure_l003(example_dir)
    result = run_import(example_dir, as_of="2024-08-15")
    versions = {t.table: t.versions for t in result.tables}
    assert versions["loans"] == 1 and versions["installments"] == 2
    assert _view(con, "installments", "2024-07-31", "loan_id, seq") == before
    after = [r for r in _view(con, "installments", "2024-08-15", "loan_id, seq")
             if r[0] == "L003"]
    assert [(r[1], str(r[3])) for r in after] == [(1, "250000.00"), (2, "250000.00")]
    assert str(after[1][6]) == "256250.00"  # cum_due_before follows the new schedule
    maturity = con.execute(f"SELECT maturity_on::VARCHAR FROM {in_force_sql('loans', dt.date(2024, 8, 14))}"
                           " WHERE loan_id = 'L003'").fetchall()[0][0]
    assert maturity == "2024-06-10"


def test_a_second_change_on_the_same_day_replaces_the_first(example_dir, run_import, con):
    run_import(example_dir, as_of="2024-06-30")
    path = example_dir / "repayments.csv"
    path.write_text(path.read_text().replace("R004,L002,2024-08-05,5000.00",
                                             "R004,L002,2024-08-05,6000.00"))
    run_import(example_dir, as_of="2024-08-15")
    path.write_text(path.read_text().replace("6000.00", "7000.00"))
    run_import(example_dir, as_of="2024-08-15")
    versions = con.execute("SELECT amount::VARCHAR, _valid_from::VARCHAR, _valid_to::VARCHAR "
                           "FROM repayments WHERE repayment_id = 'R004' ORDER BY 2 NULLS FIRST"
                           ).fetchall()
    assert versions == [("5000.00", None, "2024-08-15"), ("7000.00", "2024-08-15", None)]


def test_a_correction_dated_in_the_past_applies_until_the_next_known_change(example_dir,
                                                                            run_import, con):
    path = example_dir / "repayments.csv"
    run_import(example_dir, as_of="2024-06-30")
    path.write_text(path.read_text().replace("R004,L002,2024-08-05,5000.00",
                                             "R004,L002,2024-08-05,6000.00"))
    run_import(example_dir, as_of="2024-09-30")
    path.write_text(path.read_text().replace("6000.00", "5500.00"))
    run_import(example_dir, as_of="2024-08-31")
    amounts = {day: con.execute(f"SELECT amount::VARCHAR FROM "
                                f"{in_force_sql('repayments', dt.date.fromisoformat(day))} "
                                "WHERE repayment_id = 'R004'").fetchall()[0][0]
               for day in ("2024-08-30", "2024-08-31", "2024-09-30")}
    assert amounts == {"2024-08-30": "5000.00", "2024-08-31": "5500.00", "2024-09-30": "6000.00"}


def test_strict_refuses_everything_on_one_bad_row_but_keeps_the_reasons(example_dir,
                                                                         run_import, con):
    use_fixture(example_dir, "negative_amount")
    with pytest.raises(StrictRejected, match="1 bad rows, nothing imported"):
        run_import(example_dir, strict=True)
    assert count(con, "customers") == 0 and count(con, "repayments") == 0
    assert con.execute("SELECT status FROM lw_imports").fetchall() == [("rejected",)]
    assert con.execute("SELECT count(*) FROM lw_quarantine").fetchall()[0][0] == 1


def test_strict_with_clean_data_imports(example_dir, run_import, con):
    run_import(example_dir, strict=True)
    assert count(con, "loans") == 3


def test_personal_data_is_not_stored_in_clear(example_dir, run_import, con, workspace):
    run_import(example_dir)
    con.execute("CHECKPOINT")
    raw = workspace.database.read_bytes()
    for secret in ("13812345678", "110101199003071234", "张三".encode().decode()):
        assert secret.encode() not in raw
    cipher = workspace.cipher()
    enc, digest, shown = con.execute("SELECT pii_enc, phone_hash, phone FROM customers "
                                     "WHERE customer_id = 'C001'").fetchall()[0]
    assert cipher.reveal(enc) == {"name": "张三", "id_number": "110101199003071234",
                                  "phone": "13812345678"}
    assert digest == cipher.hash("13812345678")  # SQL and Python compute the same keyed hash
    assert shown == "138****5678"
    enterprise = con.execute("SELECT name, pii_enc FROM customers WHERE customer_id = 'C003'"
                             ).fetchall()[0]
    assert enterprise[0] == "北京星河贸易有限公司" and cipher.reveal(enterprise[1])["name"] is None


def test_a_restructured_schedule_applies_from_the_restructuring_date(example_dir, run_import, con):
    run_import(example_dir, as_of="2024-06-30")
    old = _view(con, "installments", "2024-07-31", "loan_id, seq")
    _restructure_l003(example_dir)
    loans = example_dir / "loans.csv"
    loans.write_text(loans.read_text().replace("设备购置,B02,M03,,,", "设备购置,B02,M03,,2024-07-20,"))
    run_import(example_dir, as_of="2024-08-15")  # delivered after the restructuring
    assert _view(con, "installments", "2024-07-19", "loan_id, seq") == old
    switched = [r for r in _view(con, "installments", "2024-07-20", "loan_id, seq") if r[0] == "L003"]
    assert [(r[1], str(r[3])) for r in switched] == [(1, "250000.00"), (2, "250000.00")]
    # a restructuring before the schedule in force began does not rewrite older history
    run_import(example_dir, as_of="2024-08-15")
    assert _view(con, "installments", "2024-07-19", "loan_id, seq") == old
