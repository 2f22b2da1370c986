"""The ``loanwatch`` command. Each subcommand parses, calls one service and prints."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table as RichTable
from rich.text import Text

from loanwatch import policy as policy_mod
from loanwatch.batch.export import ExportError, export_mart
from loanwatch.batch.marts import MARTS, with_needs
from loanwatch.batch.overrides_store import (
    ensure_override_tables,
    load_overrides,
    load_technical_marks,
    mark_technical,
    propose_override,
    review_override,
    withdraw_override,
    withdraw_technical,
)
from loanwatch.batch.runner import run_marts
from loanwatch.classify.overrides import CLASS_TERMS, Override, OverrideError
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
    mart: Annotated[list[str] | None, typer.Option(
        "--mart", help="Only this mart and the marts it reads (repeatable; default: all).")] = None,
) -> None:
    """Compute and store the marts as of a date or for a history of dates (批量计算).

    A date already computed is replaced as a whole; re-running gives the same result."""
    dates = _run_dates(as_of, start, end, every)
    if engine not in ENGINES:
        raise _fail(f"--engine must be one of {', '.join(ENGINES)}")
    try:
        with_needs(mart or [])
    except ValueError as e:
        raise _fail(str(e)) from None
    ws = _open(workspace)
    pol = _policy(ws)
    with _errors(), _progress() as progress:
        task = progress.add_task("running", total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        result = run_marts(ws, dates, pol, engine=engine, progress=step, marts=mart or None)
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


# --- classify: manual five-level classification and technical-overdue marks -------------------

classify_app = typer.Typer(
    help="Manual five-level classification (人工认定五级分类) under maker–checker (双人复核), "
    "and technical-overdue marks (技术性逾期).", no_args_is_help=True)
app.add_typer(classify_app, name="classify")

ByOpt = Annotated[str, typer.Option("--by", help="Who does it (经办人 / 复核人).")]
STATUS_TERMS = {"proposed": "待复核", "approved": "已批准", "rejected": "已驳回", "withdrawn": "已撤回"}


@contextmanager
def _overrides_db(ws: Workspace) -> Iterator[duckdb.DuckDBPyConnection]:
    """The workspace database opened for writing, with the override tables; a refused
    request is a one-line usage error."""
    with _errors(), ws.connect() as con:
        try:
            ensure_override_tables(con)
            yield con
        except OverrideError as e:
            raise _fail(escape(str(e))) from None


def _wall_clock(pol: policy_mod.Policy) -> dt.datetime:
    """Now in the policy's timezone, where as-of dates end at midnight."""
    return dt.datetime.now(ZoneInfo(pol.timezone)).replace(tzinfo=None, microsecond=0)


def _day_option(text: str, name: str) -> dt.date:
    try:
        return _date(text, name)
    except typer.BadParameter as e:
        raise _fail(f"{name}: {escape(e.message)}") from None


def _class_text(o: Override) -> str:
    grade = f" ({o.grade})" if o.grade else ""
    return f"{CLASS_TERMS[o.five_class]} {o.five_class.value}{grade}"


def _say(text: str) -> None:
    out.print(text, highlight=False, markup=False)


@classify_app.command("override")
def classify_override(
    loan_id: Annotated[str, typer.Argument(help="Loan id (借据号).")],
    five_class: Annotated[str, typer.Option(
        "--class", help="Class: normal 正常, special_mention 关注, substandard 次级, doubtful 可疑, "
        "loss 损失 (English or Chinese).")],
    reason: Annotated[str, typer.Option("--reason", help="Why (认定理由).")],
    by: ByOpt,
    workspace: WorkspaceOpt,
    grade: Annotated[str | None, typer.Option(
        "--grade", help="Grade of the policy ladder inside the class, e.g. 次级1.")] = None,
    start: Annotated[str | None, typer.Option(
        "--from", help="Effective from (YYYY-MM-DD, default today).")] = None,
) -> None:
    """Propose a manual class for a loan (人工认定).

    Until a second person approves it, it only makes the loan worse than its automatic
    class, never better."""
    ws = _open(workspace)
    pol = _policy(ws)
    now = _wall_clock(pol)
    effective = _day_option(start, "--from") if start else now.date()
    with _overrides_db(ws) as con:
        o = propose_override(con, loan_id=loan_id, five_class=five_class, reason=reason, by=by,
                             effective_from=effective, grade=grade,
                             ladder=pol.classification.ladder, now=now)
    _say(f"override {o.override_id} proposed (待复核): {o.loan_id} → {_class_text(o)} from "
         f"{o.effective_from} by {o.proposed_by}; a floor until a second person approves it")


@classify_app.command("approve")
def classify_approve(
    override_id: Annotated[int, typer.Argument(help="Override id (see: classify list).")],
    by: ByOpt,
    workspace: WorkspaceOpt,
    comment: Annotated[str | None, typer.Option("--comment", help="Checker's comment (复核意见).")
                       ] = None,
) -> None:
    """Approve a proposed override (复核通过); the checker must not be its maker.

    From then on it replaces the automatic class."""
    ws = _open(workspace)
    now = _wall_clock(_policy(ws))
    with _overrides_db(ws) as con:
        o = review_override(con, override_id, action="approve", by=by, comment=comment, now=now)
    _say(f"override {o.override_id} approved (已批准) by {o.reviewed_by}: {o.loan_id} is "
         f"{_class_text(o)} from {o.effective_from}")


@classify_app.command("reject")
def classify_reject(
    override_id: Annotated[int, typer.Argument(help="Override id (see: classify list).")],
    by: ByOpt,
    comment: Annotated[str, typer.Option("--comment", help="Why it is rejected (驳回理由).")],
    workspace: WorkspaceOpt,
) -> None:
    """Reject a proposed override (复核驳回); the checker must not be its maker.

    It then has no effect."""
    ws = _open(workspace)
    now = _wall_clock(_policy(ws))
    with _overrides_db(ws) as con:
        o = review_override(con, override_id, action="reject", by=by, comment=comment, now=now)
    _say(f"override {o.override_id} rejected (已驳回) by {o.reviewed_by}: no effect on {o.loan_id}")


@classify_app.command("withdraw")
def classify_withdraw(
    override_id: Annotated[int, typer.Argument(help="Override id (see: classify list).")],
    by: ByOpt,
    workspace: WorkspaceOpt,
) -> None:
    """Withdraw your own override before it is reviewed (撤回). It then has no effect."""
    ws = _open(workspace)
    now = _wall_clock(_policy(ws))
    with _overrides_db(ws) as con:
        o = withdraw_override(con, override_id, by=by, now=now)
    _say(f"override {o.override_id} withdrawn (已撤回) by {o.reviewed_by}: no effect on {o.loan_id}")


@classify_app.command("list")
def classify_list(
    workspace: WorkspaceOpt,
    loan_id: Annotated[str | None, typer.Option("--loan", help="Only this loan.")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="Only this status: proposed 待复核, approved 已批准, rejected 已驳回, "
        "withdrawn 已撤回.")] = None,
) -> None:
    """Manual classifications (人工认定), oldest first, with maker and checker."""
    ws = _open(workspace)
    with _overrides_db(ws) as con:
        found = load_overrides(con, loan_id, status)
    view = RichTable(title="人工认定 manual classifications")
    for head in ("id", "贷款 loan", "分类 class", "生效 from", "状态 status", "经办 maker",
                 "复核 checker", "理由 reason", "意见 comment"):
        view.add_column(head, overflow="fold")
    for o in found:
        view.add_row(*_cells(o.override_id, o.loan_id, _class_text(o), o.effective_from,
                             f"{STATUS_TERMS[o.status.value]} {o.status.value}", o.proposed_by,
                             o.reviewed_by, o.reason, o.review_comment))
    out.print(view if found else "no manual classifications")


@classify_app.command("mark-technical")
def classify_mark_technical(
    loan_id: Annotated[str, typer.Argument(help="Loan id (借据号).")],
    on: Annotated[str, typer.Option("--on", help="Date of the judgement (YYYY-MM-DD).")],
    by: ByOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it is technical, e.g. a payment-"
                                        "system failure.")],
    workspace: WorkspaceOpt,
) -> None:
    """Mark a loan's current overdue as technical (技术性逾期).

    While the overdue lasts at most the policy's technical_overdue_max_days, it does not make
    the loan 关注."""
    ws = _open(workspace)
    now = _wall_clock(_policy(ws))
    marked_on = _day_option(on, "--on")
    with _overrides_db(ws) as con:
        m = mark_technical(con, loan_id=loan_id, marked_on=marked_on, by=by, reason=reason, now=now)
    _say(f"technical mark {m.mark_id}: overdue of {m.loan_id} marked technical (技术性逾期) on "
         f"{m.marked_on} by {m.marked_by}")


@classify_app.command("unmark-technical")
def classify_unmark_technical(
    mark_id: Annotated[int, typer.Argument(help="Mark id (see: classify marks).")],
    by: ByOpt,
    workspace: WorkspaceOpt,
) -> None:
    """Withdraw a technical-overdue mark (撤销技术性逾期); the overdue counts again from today."""
    ws = _open(workspace)
    now = _wall_clock(_policy(ws))
    with _overrides_db(ws) as con:
        m = withdraw_technical(con, mark_id, by=by, now=now)
    _say(f"technical mark {m.mark_id} of {m.loan_id} withdrawn (已撤销) by {m.withdrawn_by}")


@classify_app.command("marks")
def classify_marks(
    workspace: WorkspaceOpt,
    loan_id: Annotated[str | None, typer.Option("--loan", help="Only this loan.")] = None,
) -> None:
    """Technical-overdue marks (技术性逾期), withdrawn ones included."""
    ws = _open(workspace)
    with _overrides_db(ws) as con:
        found = load_technical_marks(con, loan_id)
    view = RichTable(title="技术性逾期 technical-overdue marks")
    for head in ("id", "贷款 loan", "日期 on", "经办 by", "理由 reason", "撤销 withdrawn"):
        view.add_column(head, overflow="fold")
    for m in found:
        withdrawn = f"{m.withdrawn_at:%Y-%m-%d} {m.withdrawn_by}" if m.withdrawn_at else None
        view.add_row(*_cells(m.mark_id, m.loan_id, m.marked_on, m.marked_by, m.reason, withdrawn))
    out.print(view if found else "no technical marks")


def _cells(*values: object) -> list[Text]:
    """Table cells as plain text: a reason with [brackets] is not rich markup."""
    return [Text("" if v is None else str(v)) for v in values]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
