"""``loanwatch classify``: a person's five-level classification (maker–checker) and
technical-overdue marks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated
from zoneinfo import ZoneInfo

import duckdb
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from loanwatch import policy as policy_mod
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
from loanwatch.classify.overrides import CLASS_TERMS, Override, OverrideError
from loanwatch.cli.common import (
    WorkspaceOpt,
    app,
    cells,
    errors,
    fail,
    open_workspace,
    out,
    parse_date,
    workspace_policy,
)
from loanwatch.workspace import Workspace

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
    with errors(), ws.connect() as con:
        try:
            ensure_override_tables(con)
            yield con
        except OverrideError as e:
            raise fail(escape(str(e))) from None


def _wall_clock(pol: policy_mod.Policy) -> dt.datetime:
    """Now in the policy's timezone, where as-of dates end at midnight."""
    return dt.datetime.now(ZoneInfo(pol.timezone)).replace(tzinfo=None, microsecond=0)


def _day_option(text: str, name: str) -> dt.date:
    try:
        return parse_date(text, name)
    except typer.BadParameter as e:
        raise fail(f"{name}: {escape(e.message)}") from None


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
    ws = open_workspace(workspace)
    pol = workspace_policy(ws)
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
    ws = open_workspace(workspace)
    now = _wall_clock(workspace_policy(ws))
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
    ws = open_workspace(workspace)
    now = _wall_clock(workspace_policy(ws))
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
    ws = open_workspace(workspace)
    now = _wall_clock(workspace_policy(ws))
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
    ws = open_workspace(workspace)
    with _overrides_db(ws) as con:
        found = load_overrides(con, loan_id, status)
    view = RichTable(title="人工认定 manual classifications")
    for head in ("id", "贷款 loan", "分类 class", "生效 from", "状态 status", "经办 maker",
                 "复核 checker", "理由 reason", "意见 comment"):
        view.add_column(head, overflow="fold")
    for o in found:
        view.add_row(*cells(o.override_id, o.loan_id, _class_text(o), o.effective_from,
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
    ws = open_workspace(workspace)
    now = _wall_clock(workspace_policy(ws))
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
    ws = open_workspace(workspace)
    now = _wall_clock(workspace_policy(ws))
    with _overrides_db(ws) as con:
        m = withdraw_technical(con, mark_id, by=by, now=now)
    _say(f"technical mark {m.mark_id} of {m.loan_id} withdrawn (已撤销) by {m.withdrawn_by}")


@classify_app.command("marks")
def classify_marks(
    workspace: WorkspaceOpt,
    loan_id: Annotated[str | None, typer.Option("--loan", help="Only this loan.")] = None,
) -> None:
    """Technical-overdue marks (技术性逾期), withdrawn ones included."""
    ws = open_workspace(workspace)
    with _overrides_db(ws) as con:
        found = load_technical_marks(con, loan_id)
    view = RichTable(title="技术性逾期 technical-overdue marks")
    for head in ("id", "贷款 loan", "日期 on", "经办 by", "理由 reason", "撤销 withdrawn"):
        view.add_column(head, overflow="fold")
    for m in found:
        withdrawn = f"{m.withdrawn_at:%Y-%m-%d} {m.withdrawn_by}" if m.withdrawn_at else None
        view.add_row(*cells(m.mark_id, m.loan_id, m.marked_on, m.marked_by, m.reason, withdrawn))
    out.print(view if found else "no technical marks")


