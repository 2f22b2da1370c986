"""Workspaces: created once, refused clearly when missing or of another layout."""

from __future__ import annotations

import duckdb
import pytest

from loanwatch.workspace import Workspace, WorkspaceError, init_workspace


def test_init_is_idempotent_and_keeps_the_policy(tmp_path):
    ws, made = init_workspace(tmp_path / "ws", "version: one\n")
    assert len(made) == 3
    ws.policy_file.write_text("version: edited\n")
    _, again = init_workspace(tmp_path / "ws", "version: two\n")
    assert again == [] and ws.policy_file.read_text() == "version: edited\n"


def test_a_workspace_of_another_layout_is_refused(tmp_path):
    ws, _ = init_workspace(tmp_path / "ws", "version: one\n")
    with duckdb.connect(str(ws.database)) as con:
        con.execute("UPDATE lw_meta SET value = '0' WHERE key = 'schema_version'")
    with pytest.raises(WorkspaceError, match="layout version 0"):
        Workspace.open(ws.root)


def test_a_folder_without_database_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="loanwatch init"):
        Workspace.open(tmp_path)
