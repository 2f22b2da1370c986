"""``loanwatch backtest``: how well the warnings of a history foretold its defaults (回测)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from loanwatch.batch.backtest import TruthError, backtest, read_cases, read_truth
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    cells,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    progress_steps,
    workspace_policy,
)
from loanwatch.domain.calendar import Every, as_of_dates
from loanwatch.reports import backtest as report


@app.command("backtest")
def backtest_cmd(
    workspace: WorkspaceOpt,
    start: Annotated[str, typer.Option("--from", help="First month of the history (YYYY-MM-DD).")],
    end: Annotated[str, typer.Option("--to", help="Last month of the history (YYYY-MM-DD).")],
    truth: Annotated[Path, typer.Option(
        "--truth", help="Folder with loans.parquet|csv: loan_id, first_90dpd_on [, first_miss_on]; "
        "optionally scenarios.parquet|csv (injected cases: detection and false alarms).")],
    out_file: Annotated[Path, typer.Option("--out", help="The HTML report.")] = Path("backtest.html"),
    outcome_until: Annotated[str | None, typer.Option(
        "--outcome-until", help="Last day the truth covers (default: --to).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="zh or en.")] = "zh",
    rerun: Annotated[bool, typer.Option(
        "--run/--no-run", help="Run the monitoring for each month-end first, or measure what "
        "is stored.")] = True,
) -> None:
    """Run the monitoring month by month and measure its warnings against the truth (回测):
    recall, lead time, precision, lift and volume per signal, against the naïve DPD ≥ 1."""
    if lang not in report.TEXT:
        raise fail(f"--lang must be one of {', '.join(report.TEXT)}")
    months = as_of_dates(parse_date(start, "--from"), parse_date(end, "--to"), Every.MONTH_END)
    if len(months) < 2:
        raise fail("a backtest needs at least two month-ends between --from and --to")
    until = parse_date(outcome_until, "--outcome-until") if outcome_until else None
    try:
        truth_rows, cases = read_truth(truth), read_cases(truth)
    except TruthError as e:
        raise fail(str(e)) from None
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
    with errors(), progress_steps("running") as step:
        result = backtest(ws, pol, months, truth_rows, outcome_end=until, rerun=rerun,
                          progress=step, cases=cases)
    out_file.write_text(report.render(result, lang), encoding="utf-8")
    text = report.TEXT[lang]
    table = RichTable(title=text["title"])
    for c in ("rule", "defaults", "warned", "recall", "lead", "precision", "lift", "new"):
        table.add_column(text[c])
    for r in report.ordered(result.rows):
        table.add_row(*cells(r["rule"], r["defaults"], r["warned"], report.pct(r["recall"]),
                             report.num(r["median_lead_days"], 0), report.pct(r["precision"]),
                             report.num(r["lift"], 2), report.num(r["new_per_1000"], 2)))
    out.print(table)
    out.print(f"{len(months)} month-ends, outcomes until {result.outcome_end} → {out_file}",
              highlight=False)
