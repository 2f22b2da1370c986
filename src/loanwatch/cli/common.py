"""What every ``loanwatch`` subcommand shares: the app, consoles, options, error mapping."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
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
from rich.text import Text

from loanwatch import policy as policy_mod
from loanwatch.batch.errors import ExportError
from loanwatch.engines.errors import EngineUnavailable
from loanwatch.ingest.errors import ImportFailure, first_line
from loanwatch.security.pii import KeyError_
from loanwatch.workspace import Workspace, WorkspaceError, default_workspace

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


def parse_date(text: str | None, name: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date (expected YYYY-MM-DD)",
                                 param_hint=name) from None


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]错误 error:[/] {message}", highlight=False, markup=True, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def errors() -> Iterator[None]:
    try:
        yield
    except (ImportFailure, WorkspaceError, KeyError_, policy_mod.PolicyError, ExportError,
            EngineUnavailable) as e:
        raise fail(str(e)) from None
    except duckdb.Error as e:  # e.g. the database is locked by another process
        raise fail(f"database: {first_line(e)}", code=1) from None


def open_workspace(workspace: Path) -> Workspace:
    with errors():
        return Workspace.open(workspace)


def workspace_policy(ws: Workspace) -> policy_mod.Policy:
    with errors():
        return policy_mod.load_policy(ws.policy_file)



@contextmanager
def progress_bar() -> Iterator[Progress]:
    with Progress(SpinnerColumn(), TextColumn("{task.description:<24}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True) as progress:
        yield progress




@contextmanager
def progress_steps(description: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar, and ``step(what, done, total)`` that moves it."""
    with progress_bar() as progress:
        task = progress.add_task(description, total=None)

        def step(what: str, done: int, total: int) -> None:
            progress.update(task, description=what, completed=done, total=total)

        yield step


def cells(*values: object) -> list[Text]:
    """Table cells as plain text: a reason with [brackets] is not rich markup."""
    return [Text("" if v is None else str(v)) for v in values]


