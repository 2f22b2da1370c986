"""The ``loanwatch`` command end to end: init, import, quarantine, policy, quality."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loanwatch.cli import app
from tests.ingest.conftest import use_fixture

runner = CliRunner()


def lw(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    assert lw("init", str(root)).exit_code == 0
    return root


def test_init_creates_database_policy_quarantine_and_key(ws):
    assert {p.name for p in ws.iterdir()} >= {"loanwatch.duckdb", "policy.yaml", "quarantine",
                                               "keys"}
    assert (ws / "keys" / "pii.key").stat().st_mode & 0o077 == 0
    again = lw("init", str(ws))
    assert again.exit_code == 0 and "workspace exists" in again.output


def test_import_prints_a_summary_per_table(ws, example_dir):
    use_fixture(example_dir, "negative_amount")
    result = lw("import", str(example_dir), "--workspace", str(ws), "--as-of", "2024-06-30")
    assert result.exit_code == 0, result.output
    line = next(row for row in result.output.splitlines() if "repayments" in row)
    assert [c for c in line.replace("│", " ").split() if c.isdigit()] == ["3", "2", "1", "2"]
    assert "1 rows quarantined" in result.output
    shown = lw("quarantine", "show", "--workspace", str(ws))
    assert "must not be negative" in shown.output and "repayments.csv" in shown.output
    listed = lw("quarantine", "list", "--workspace", str(ws))
    assert "must not be negative" in listed.output
    assert (ws / "quarantine" / "import-1.csv").exists()


def test_workspace_comes_from_the_environment(ws, example_dir, monkeypatch):
    monkeypatch.setenv("LOANWATCH_WORKSPACE", str(ws))
    assert lw("import", str(example_dir), "--as-of", "2024-06-30").exit_code == 0
    assert "loans" in lw("quality").output


def test_strict_import_fails_with_nonzero_exit(ws, example_dir):
    use_fixture(example_dir, "unknown_loan")
    result = lw("import", str(example_dir), "-w", str(ws), "--strict")
    assert result.exit_code != 0 and "nothing imported" in result.output


def test_unreadable_file_is_one_line_and_exit_code_2(ws, example_dir):
    use_fixture(example_dir, "not_utf8")
    result = lw("import", str(example_dir), "-w", str(ws))
    assert result.exit_code == 2
    errors = [row for row in result.output.splitlines() if "error" in row]
    assert len(errors) == 1 and "repayments.csv: not UTF-8" in errors[0]


def test_missing_workspace_is_a_clear_error(tmp_path, example_dir):
    result = lw("import", str(example_dir), "-w", str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "loanwatch init" in result.output


def test_policy_show_and_validate(ws):
    shown = lw("policy", "show", "-w", str(ws))
    assert shown.exit_code == 0 and "policy version" in shown.output and "REPAY-OVERDUE" in shown.output
    assert "valid, version" in lw("policy", "validate", "-w", str(ws)).output
    policy = ws / "policy.yaml"
    policy.write_text(policy.read_text().replace("timezone: Asia/Shanghai", "timezone: 42"), "utf-8")
    broken = lw("policy", "validate", "-w", str(ws))
    assert broken.exit_code == 2 and "timezone" in broken.output


def test_quality_reports_rows_freshness_and_gaps(ws, example_dir):
    lw("import", str(example_dir), "-w", str(ws), "--as-of", "2024-06-30")
    report = lw("quality", "-w", str(ws)).output
    assert "2025-02-01" in report  # latest installment due date
    assert "contracts with no valid invoice" in report


@pytest.mark.parametrize("command", [[], ["init"], ["import"], ["quarantine", "list"],
                                     ["quarantine", "show"], ["policy", "show"],
                                     ["policy", "validate"], ["quality"]])
def test_every_command_has_help(command):
    result = lw(*command, "--help")
    assert result.exit_code == 0 and "Usage" in result.output


def test_installed_command_runs(tmp_path):
    exe = Path(sys.executable).parent / "loanwatch"
    done = subprocess.run([str(exe), "init", str(tmp_path / "w")], capture_output=True, text=True,
                          env={**os.environ, "LOANWATCH_WORKSPACE": ""})
    assert done.returncode == 0, done.stderr


def test_each_subcommand_is_found_in_the_module_main_loads_for_it():
    import loanwatch.cli as cli

    registered = {c.name or c.callback.__name__.replace("_", "-"): c.callback.__module__
                  for c in app.registered_commands}
    for group in app.registered_groups:
        modules = {c.callback.__module__ for c in group.typer_instance.registered_commands}
        assert len(modules) == 1, group.name
        registered[group.name] = modules.pop()
    assert {name: f"loanwatch.cli.{mod}" for name, mod in cli.HOME.items()} == registered
    assert set(cli.HOME.values()) == set(cli.MODULES)


def test_import_starts_without_loading_models_reports_or_ibis():
    code = ("import sys; sys.argv = ['loanwatch', 'import', '--help']\n"
            "from loanwatch.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print(sorted(m for m in ('ibis', 'lightgbm', 'optbinning', 'weasyprint') "
            "if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert "Validate and load" in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "[]"
