"""A file that cannot be read is one clear error naming it, and nothing is applied."""

from __future__ import annotations

import pytest

from loanwatch.ingest.errors import UnreadableFile
from tests.ingest.conftest import count, use_fixture

CASES = {
    "not_utf8": "not UTF-8",
    "missing_column": "missing required columns: principal",
    "empty": "empty",
    "corrupt": "not a readable Parquet file",
    "corrupt_workbook": "not a readable XLSX workbook",
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_unreadable_file_is_one_clear_error_and_nothing_is_applied(case, example_dir,
                                                                   run_import, con):
    use_fixture(example_dir, case)
    with pytest.raises(UnreadableFile) as info:
        run_import(example_dir)
    message = str(info.value)
    assert CASES[case] in message and str(example_dir) in message
    assert "\n" not in message
    assert count(con, "customers") == 0  # customers come first and were fine: not applied
    assert con.execute("SELECT count(*) FROM lw_imports").fetchall()[0][0] == 0


def test_a_bad_file_after_a_good_import_leaves_the_previous_state(example_dir, run_import, con):
    run_import(example_dir)
    before = count(con, "repayments")
    use_fixture(example_dir, "not_utf8")
    with pytest.raises(UnreadableFile):
        run_import(example_dir, as_of="2024-07-31")
    assert count(con, "repayments") == before


def test_two_files_for_one_table_are_refused(example_dir, run_import):
    (example_dir / "loans.parquet").write_bytes(b"x")
    with pytest.raises(UnreadableFile, match="also in loans"):
        run_import(example_dir)


def test_a_folder_without_tables_is_an_error(tmp_path, run_import):
    (tmp_path / "readme.txt").write_text("nothing here")
    with pytest.raises(UnreadableFile, match="no contract table found"):
        run_import(tmp_path)
