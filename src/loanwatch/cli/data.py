"""Data commands: workspace, import, quarantine, policy, data quality, simulator."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from loanwatch import policy as policy_mod
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    policy_app,
    progress_bar,
    progress_steps,
    quarantine_app,
    workspace_policy,
)
from loanwatch.ingest import quality as quality_mod
from loanwatch.ingest import quarantine as quarantine_mod
from loanwatch.ingest.importer import ImportResult, import_folder
from loanwatch.simulate.calibration import calibrate, print_calibration
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate as run_simulation
from loanwatch.simulate.writer import FORMATS
from loanwatch.workspace import Workspace, init_workspace


@app.command()
def init(workspace: Annotated[Path, typer.Argument(help="Folder to create.")]) -> None:
    """Create a workspace: database, policy file, quarantine and personal-data key (初始化)."""
    with errors():
        _, made = init_workspace(workspace, policy_mod.default_policy_text())
    for path in made:
        out.print(f"created {path}", highlight=False)
    out.print(f"workspace ready: {workspace}" if made else f"workspace exists: {workspace}",
              highlight=False)


@app.command("import")
def import_(
    data_dir: Annotated[Path, typer.Argument(help="Folder with <table>.csv|parquet|xlsx files.")],
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="Date the data is as of (YYYY-MM-DD, default today); changed rows "
        "take effect from it.")] = None,
    strict: Annotated[bool, typer.Option(help="Refuse the whole import on any bad row.")] = False,
) -> None:
    """Validate and load a lender's data; bad rows go to the quarantine (导入)."""
    day = parse_date(as_of, "--as-of")
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), ws.connect(pii=True) as con, progress_bar() as progress:
        task = progress.add_task("importing", total=None)

        def step(table: str, what: str, done: int, total: int) -> None:
            progress.update(task, description=f"{what} {table}", completed=done, total=total)

        result = import_folder(con, data_dir, day, ws.cipher(), strict=strict, timezone=pol.timezone,
                               policy_version=pol.version_id, progress=step)
        quarantine_mod.write_quarantine_file(con, ws.quarantine_dir, result.import_id)
    _print_import(result)




def _print_import(result: ImportResult) -> None:
    table = RichTable(title=f"import {result.import_id} as of {result.as_of}")
    table.add_column("表 table")
    table.add_column("文件 file")
    for head in ("读取 read", "入库 loaded", "隔离 quarantined", "新版本 versions"):
        table.add_column(head, justify="right")
    for r in result.tables:
        table.add_row(r.table, r.file, f"{r.read:,}", f"{r.loaded:,}", f"{r.quarantined:,}",
                      f"{r.versions:,}")
    out.print(table)
    for name in result.ignored:
        out.print(f"ignored {name} (not a contract table)", highlight=False)
    if result.quarantined:
        out.print(f"{result.quarantined:,} rows quarantined — see: loanwatch quarantine show "
                  f"--import {result.import_id}", highlight=False)


@quarantine_app.command("list")
def quarantine_list(workspace: WorkspaceOpt) -> None:
    """Quarantined rows per import, table and reason."""
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as con:
        rows = quarantine_mod.summary(con)
    table = RichTable(title="隔离区 quarantine")
    for head in ("import", "as of", "表 table", "列 column", "原因 reason", "行数 rows"):
        table.add_column(head)
    for row in rows:
        table.add_row(*(str(v) for v in row))
    out.print(table if rows else "quarantine is empty")


@quarantine_app.command("show")
def quarantine_show(
    workspace: WorkspaceOpt,
    import_id: Annotated[int | None, typer.Option("--import", help="Import id (default: latest).")] = None,
    table: Annotated[str | None, typer.Option(help="Only this table.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """The refused rows with file, line, column, value and reason."""
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as con:
        rows = quarantine_mod.rows(con, import_id, table, limit)
    view = RichTable(title="隔离区 quarantine")
    for head in ("import", "表 table", "文件 file", "行 line", "列 column", "值 value", "原因 reason"):
        view.add_column(head, overflow="fold")
    for import_no, table_name, file, *rest in rows:
        view.add_row(str(import_no), table_name, Path(file).name,
                     *("" if v is None else str(v) for v in rest))
    out.print(view if rows else "no quarantined rows")


@policy_app.command("show")
def policy_show(workspace: WorkspaceOpt) -> None:
    """Print the policy in force, with its version."""
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    out.print(f"# policy version {pol.version_id}", highlight=False)
    out.print(policy_mod.policy_to_yaml(pol), highlight=False, markup=False)


@policy_app.command("validate")
def policy_validate(
    workspace: WorkspaceOpt,
    file: Annotated[Path | None, typer.Argument(help="Policy file (default: the workspace's).")] = None,
) -> None:
    """Check a policy file; every problem is named by its key."""
    path = file or Workspace(workspace).policy_file
    with errors():
        pol = policy_mod.load_policy(path)
    out.print(f"{path}: valid, version {pol.version_id}", highlight=False)


@app.command()
def quality(workspace: WorkspaceOpt) -> None:
    """Data quality per table: rows, null rates, quarantine reasons, freshness, gaps (数据质量)."""
    ws = open_workspace(workspace)
    with ws.connect(read_only=True) as con:
        report = quality_mod.quality_report(con)
    quality_mod.print_report(report, out)




@app.command()
def simulate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the contract files into.")],
    loans: Annotated[int, typer.Option("--loans", help="Number of loans.")] = 2000,
    start: Annotated[str, typer.Option("--start", help="First day simulated (YYYY-MM-DD).")] = "2024-01-01",
    months: Annotated[int, typer.Option("--months", help="Months simulated.")] = 24,
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same files.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="csv or parquet.")] = "csv",
    sudden_share: Annotated[float, typer.Option(
        help="Share of defaults that come with no leading trace.")] = SimConfig.sudden_share,
    benign_ratio: Annotated[float, typer.Option(
        help="Benign look-alikes per real scenario case.")] = SimConfig.benign_ratio,
    report: Annotated[bool, typer.Option(
        "--report", help="Print calibration figures of the data made (default rates, M1+, NPL, roll "
        "rates, scenario mix).")] = False,
) -> None:
    """Write a synthetic lender's portfolio in the data contract, with ground truth (模拟数据).

    The ground truth goes to OUT/ground_truth/, which `loanwatch import` ignores."""
    try:
        cfg = SimConfig(loans=loans, start=parse_date(start, "--start"), months=months, seed=seed,
                        sudden_share=sudden_share, benign_ratio=benign_ratio)
        cfg.validate()
        if fmt not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
    except ValueError as e:
        raise fail(str(e)) from None
    with progress_steps("simulating") as step:
        result = run_simulation(cfg, out_dir, fmt, step)
    table = RichTable(title=f"simulated {cfg.start} … {cfg.end} (seed {cfg.seed}) → {out_dir}")
    table.add_column("表 table")
    table.add_column("行 rows", justify="right")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)
    out.print(f"ground truth: {out_dir / 'ground_truth'} (not imported)", highlight=False)
    if report:
        print_calibration(calibrate(out_dir, cfg.end), out)


# --- classify: manual five-level classification and technical-overdue marks -------------------

