"""The ``loanwatch`` command. Each subcommand parses, calls one service and prints."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import duckdb
import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable

from loanwatch import policy as policy_mod
from loanwatch.batch.export import ExportError, export_mart
from loanwatch.batch.marts import MARTS
from loanwatch.batch.runner import run_marts
from loanwatch.domain.calendar import Every, as_of_dates
from loanwatch.engines.base import ENGINES, EngineUnavailable
from loanwatch.ingest import quality as quality_mod
from loanwatch.ingest import quarantine as quarantine_mod
from loanwatch.ingest.errors import ImportFailure, first_line
from loanwatch.ingest.importer import ImportResult, import_folder
from loanwatch.security.pii import KeyError_
from loanwatch.simulate.calibration import calibrate, print_calibration
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate as run_simulation
from loanwatch.simulate.writer import FORMATS
from loanwatch.workspace import Workspace, WorkspaceError, default_workspace, init_workspace

app = typer.Typer(help="LoanWatch 贷后智能监控平台 — post-loan risk monitoring.",
                  no_args_is_help=True, add_completion=False)
quarantine_app = typer.Typer(help="Rows refused by imports (隔离区).", no_args_is_help=True)
policy_app = typer.Typer(help="The bank's policy file (策略).", no_args_is_help=True)
app.add_typer(quarantine_app, name="quarantine")
app.add_typer(policy_app, name="policy")

# piped output (logs, CI) gets wide lines instead of folded Chinese table cells
out = Console(width=None if sys.stdout.isatty() else 200)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

WorkspaceOpt = Annotated[Path, typer.Option(
    "--workspace", "-w", help="Workspace folder (default: $LOANWATCH_WORKSPACE or ./workspace).",
    default_factory=default_workspace, show_default=False)]


def _date(text: str | None, name: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (expected YYYY-MM-DD)",
                                 param_hint=name) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]错误 error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (ImportFailure, WorkspaceError, KeyError_, policy_mod.PolicyError, ExportError,
            EngineUnavailable) as e:
        raise _fail(str(e)) from None
    except duckdb.Error as e:  # e.g. the database is locked by another process
        raise _fail(f"database: {first_line(e)}", code=1) from None


def _open(workspace: Path) -> Workspace:
    with _errors():
        return Workspace.open(workspace)


def _policy(ws: Workspace) -> policy_mod.Policy:
    with _errors():
        return policy_mod.load_policy(ws.policy_file)


@app.command()
def init(workspace: Annotated[Path, typer.Argument(help="Folder to create.")]) -> None:
    """Create a workspace: database, policy file, quarantine and personal-data key (初始化)."""
    with _errors():
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
    day = _date(as_of, "--as-of")
    ws = _open(workspace)
    pol = _policy(ws)
    with _errors(), ws.connect(pii=True) as con, _progress() as progress:
        task = progress.add_task("importing", total=None)

        def step(table: str, what: str, done: int, total: int) -> None:
            progress.update(task, description=f"{what} {table}", completed=done, total=total)

        result = import_folder(con, data_dir, day, ws.cipher(), strict=strict, timezone=pol.timezone,
                               policy_version=pol.version_id, progress=step)
        quarantine_mod.write_quarantine_file(con, ws.quarantine_dir, result.import_id)
    _print_import(result)


@contextmanager
def _progress() -> Iterator[Progress]:
    with Progress(SpinnerColumn(), TextColumn("{task.description:<24}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        yield progress


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
    ws = _open(workspace)
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
    ws = _open(workspace)
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
    ws = _open(workspace)
    pol = _policy(ws)
    out.print(f"# policy version {pol.version_id}", highlight=False)
    out.print(policy_mod.policy_to_yaml(pol), highlight=False, markup=False)


@policy_app.command("validate")
def policy_validate(
    workspace: WorkspaceOpt,
    file: Annotated[Path | None, typer.Argument(help="Policy file (default: the workspace's).")] = None,
) -> None:
    """Check a policy file; every problem is named by its key."""
    path = file or Workspace(workspace).policy_file
    with _errors():
        pol = policy_mod.load_policy(path)
    out.print(f"{path}: valid, version {pol.version_id}", highlight=False)


@app.command()
def quality(workspace: WorkspaceOpt) -> None:
    """Data quality per table: rows, null rates, quarantine reasons, freshness, gaps (数据质量)."""
    ws = _open(workspace)
    with ws.connect(read_only=True) as con:
        report = quality_mod.quality_report(con)
    quality_mod.print_report(report, out)


@app.command()
def run(
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option("--as-of", help="One as-of date (YYYY-MM-DD).")] = None,
    start: Annotated[str | None, typer.Option("--from", help="First date of a history.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Last date of a history.")] = None,
    every: Annotated[Every, typer.Option("--every", help="Dates of a history.")] = Every.MONTH_END,
    engine: Annotated[str, typer.Option("--engine", help=f"Analytics engine: {' or '.join(ENGINES)}.")
                      ] = "duckdb",
) -> None:
    """Compute and store the marts as of a date or for a history of dates (批量计算).

    A date already computed is replaced as a whole; re-running gives the same result."""
    dates = _run_dates(as_of, start, end, every)
    if engine not in ENGINES:
        raise _fail(f"--engine must be one of {', '.join(ENGINES)}")
    ws = _open(workspace)
    pol = _policy(ws)
    with _errors(), _progress() as progress:
        task = progress.add_task("running", total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        result = run_marts(ws, dates, pol, engine=engine, progress=step)
    span = f"{dates[0]}" if len(dates) == 1 else f"{dates[0]} … {dates[-1]} ({len(dates)} dates)"
    out.print(f"run {result.run_id} as of {span}, engine {result.engine}, policy "
              f"{result.policy_version}", highlight=False)
    for mart, rows in result.rows.items():
        out.print(f"  {mart}: {rows:,} rows", highlight=False)


def _run_dates(as_of: str | None, start: str | None, end: str | None, every: Every) -> list[dt.date]:
    if as_of and (start or end):
        raise _fail("give either --as-of or --from/--to, not both")
    if start or end:
        if not (start and end):
            raise _fail("a history needs both --from and --to")
        try:
            dates = as_of_dates(_date(start, "--from"), _date(end, "--to"), every)
        except ValueError as e:
            raise _fail(str(e)) from None
        if not dates:
            raise _fail(f"no {every.value} date between {start} and {end}")
        return dates
    return [_date(as_of, "--as-of")]


@app.command()
def export(
    mart: Annotated[str, typer.Argument(help=f"Mart to export: {', '.join(sorted(MARTS))}.")],
    out_file: Annotated[Path, typer.Option("--out", help="FILE.csv or FILE.parquet.")],
    workspace: WorkspaceOpt,
    as_of: Annotated[str | None, typer.Option(
        "--as-of", help="As-of date (default: the latest computed).")] = None,
) -> None:
    """Write a computed mart for one as-of date to CSV or Parquet (导出)."""
    day = _date(as_of, "--as-of") if as_of else None
    ws = _open(workspace)
    with _errors(), ws.connect(read_only=True) as con:
        rows = export_mart(con, mart, day, out_file)
    out.print(f"{mart}: {rows:,} rows → {out_file}", highlight=False)


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
        cfg = SimConfig(loans=loans, start=_date(start, "--start"), months=months, seed=seed,
                        sudden_share=sudden_share, benign_ratio=benign_ratio)
        cfg.validate()
        if fmt not in FORMATS:
            raise ValueError(f"--format must be one of {', '.join(FORMATS)}")
    except ValueError as e:
        raise _fail(str(e)) from None
    with _progress() as progress:
        task = progress.add_task("simulating", total=None)

        def step(name: str, done: int, total: int) -> None:
            progress.update(task, description=name, completed=done, total=total)

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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
