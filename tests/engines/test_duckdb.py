"""The workspace's DuckDB helpers."""

from __future__ import annotations

import duckdb
import pytest

from loanwatch.engines.duckdb import planner_settings


def _setting(con, name: str) -> str:
    return con.execute(f"SELECT current_setting('{name}')").fetchall()[0][0]


def test_planner_settings_hold_inside_and_are_reset_after_even_on_error():
    con = duckdb.connect(config={"preserve_insertion_order": True})
    before = _setting(con, "disabled_optimizers")
    with planner_settings(con, ("disabled_optimizers = 'build_side_probe_side'",
                                "preserve_insertion_order = false")):
        assert "build_side_probe_side" in _setting(con, "disabled_optimizers")
        assert _setting(con, "preserve_insertion_order") is False
        assert con.execute("SELECT count(*) FROM range(10)").fetchall() == [(10,)]
    assert _setting(con, "disabled_optimizers") == before
    assert _setting(con, "preserve_insertion_order") is True
    with pytest.raises(duckdb.Error), planner_settings(con, ("max_expression_depth = 777",)):
        assert _setting(con, "max_expression_depth") == 777
        con.execute("SELECT error('boom')")
    assert _setting(con, "max_expression_depth") != 777
