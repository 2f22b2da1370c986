"""贷后处置 Actions with maker-checker approval (双人复核), 征信查询 credit-bureau inquiries, and
``retention``, which purges the inquiries kept past the policy's retention."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import typer

from loanwatch.cli.common import WorkspaceOpt, app, fail, out, parse_date
from loanwatch.cli.workflow_common import (
    _LABEL,
    Id,
    LimitOpt,
    StoreOpt,
    UserOpt,
    VersionOpt,
    _amount,
    _Ctx,
    _describe,
    _enum,
    _load,
    _now,
    _outbox,
    _pairs,
    _person,
    _report,
    _show,
    _table,
    _work,
)
from loanwatch.policy.workflow import ActionKind
from loanwatch.services.work import Done, ask_bureau, create, purge_inquiries
from loanwatch.workflow import actions as wa

actions_app = typer.Typer(help="贷后处置 Actions with maker-checker approval (双人复核).",
                          no_args_is_help=True)
inquiry_app = typer.Typer(help="征信查询 Credit-bureau inquiries (贷后管理).", no_args_is_help=True)
app.add_typer(actions_app, name="actions")
app.add_typer(inquiry_app, name="inquiry")


@app.command()
def retention(
    workspace: WorkspaceOpt,
    today: Annotated[str | None, typer.Option("--today", help="The day to judge by (default: "
                                              "today).")] = None,
    store_url: StoreOpt = None,
) -> None:
    """保留期 Purge the bureau inquiries kept past the policy's retention, auditing each."""
    day = parse_date(today, "--today")
    with _work(workspace, store_url) as c:
        gone = purge_inquiries(c.store, day, _now(), c.policy)
        keep = c.policy.workflow.inquiries.retention_days
    out.print(f"purged {len(gone)} inquiries kept more than {keep} days as of {day}"
              + (f": {', '.join(gone)}" if gone else ""), highlight=False)


# --- actions ------------------------------------------------------------------------------

def _installments(items: list[str] | None) -> tuple[wa.PlanInstallment, ...]:
    plan = []
    for seq, item in enumerate(items or [], start=1):
        parts = item.split(":")
        if len(parts) != 3:
            raise fail(f"--installment {item!r}: expected DUE:PRINCIPAL:INTEREST")
        plan.append(wa.PlanInstallment(seq=seq, due_on=parse_date(parts[0], "--installment"),
                                       principal=_amount(parts[1], "--installment principal"),
                                       interest=_amount(parts[2], "--installment interest")))
    return tuple(plan)


@actions_app.command("propose")
def actions_propose(
    workspace: WorkspaceOpt, user: UserOpt,
    kind: Annotated[str, typer.Option("--kind", help=", ".join(ActionKind))],
    customer: Annotated[str, typer.Option("--customer")],
    reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
    loan: Annotated[str | None, typer.Option("--loan")] = None,
    detail: Annotated[list[str] | None, typer.Option(
        "--detail", help="KEY=VALUE, e.g. amount=50000 (repeatable).")] = None,
    installment: Annotated[list[str] | None, typer.Option(
        "--installment", help="DUE:PRINCIPAL:INTEREST of a repayment plan, in order "
                              "(repeatable).")] = None,
    alert: Annotated[str | None, typer.Option("--alert", help="The alert it answers.")] = None,
    store_url: StoreOpt = None,
) -> None:
    """提议 Propose an action; the kinds the policy names wait for a second person."""
    event = wa.Propose(action_id=f"A-{uuid.uuid4().hex[:10]}",
                       kind=_enum(ActionKind, kind, "--kind"), customer_id=customer, loan_id=loan,
                       reason=reason, details=tuple(_pairs(detail, "--detail")),
                       plan=_installments(installment), alert_id=alert, by=user, at=_now())
    with _work(workspace, store_url) as c:
        done = create(c.store, "loan_action", event, c.policy)
    _report("loan_action", event.action_id, done)


@actions_app.command("approve")
def actions_approve(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    comment: Annotated[str, typer.Option("--comment")] = "",
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """批准 Approve a proposed action (not your own)."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Approve, user,
            comment=comment)


@actions_app.command("reject")
def actions_reject(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """否决 Reject a proposed action (not your own)."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Reject, user,
            comment=comment)


@actions_app.command("execute")
def actions_execute(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """执行 Execute an approved action: its instruction goes to WS/outbox/instructions.jsonl."""
    def send(c: _Ctx, done: Done) -> None:
        _outbox(c.ws, done.effects, action_id=action_id, by=user,
                at=(done.record.executed_at or _now()).isoformat())

    _person(workspace, store_url, "loan_action", action_id, version, wa.Execute, user, then=send)


@actions_app.command("cancel")
def actions_cancel(action_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """撤销 Cancel an action before it is executed."""
    _person(workspace, store_url, "loan_action", action_id, version, wa.Cancel, user,
            reason=reason)


@actions_app.command("show")
def actions_show(action_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """处置详情 An action's fields and audit trail."""
    with _work(workspace, store_url) as c:
        action, trail = _load(c, "loan_action", action_id, with_trail=True)
    _show(f"action 处置 {action_id}", action, trail)


@actions_app.command("list")
def actions_list(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help=", ".join(wa.ActionStatus))
                      ] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=", ".join(ActionKind))] = None,
    limit: LimitOpt = 50, store_url: StoreOpt = None,
) -> None:
    """处置列表 Actions, newest first."""
    where = {k: v for k, v in (("status", _enum(wa.ActionStatus, status, "--status")),
                               ("kind", _enum(ActionKind, kind, "--kind"))) if v is not None}
    with _work(workspace, store_url) as c, c.store.session() as s:
        found = sorted(s.actions.list(limit=None, **where), key=lambda a: a.proposed_at,
                       reverse=True)[:limit]
    out.print(_table("actions 处置", ("action", "kind", "customer", "loan", "status", "proposed by",
                                      "proposed at", "checked by", "reason"),
                     [[a.action_id, a.kind, a.customer_id, a.loan_id, a.status, a.proposed_by,
                       a.proposed_at, a.checked_by, a.reason] for a in found]))


# --- bureau inquiries ---------------------------------------------------------------------

@inquiry_app.command("request")
def inquiry_request(
    workspace: WorkspaceOpt, user: UserOpt,
    customer: Annotated[str, typer.Option("--customer")],
    authorisation: Annotated[str, typer.Option(
        "--authorisation", help="授权书 Reference of the borrower's signed authorisation "
                                "(required).")] = "",
    reason: Annotated[str | None, typer.Option("--reason", help="Default: the policy's "
                                               "(贷后管理).")] = None,
    store_url: StoreOpt = None,
) -> None:
    """查询征信 Log a bureau inquiry; the query goes to WS/outbox/instructions.jsonl."""
    inquiry_id = f"Q-{uuid.uuid4().hex[:10]}"
    with _work(workspace, store_url) as c:
        at = _now()
        done = ask_bureau(c.store, c.policy, inquiry_id=inquiry_id, customer_id=customer,
                          reason=c.policy.workflow.inquiries.reason if reason is None else reason,
                          authorisation_ref=authorisation, by=user, at=at)
        out.print(f"{_LABEL['bureau_inquiry']} {inquiry_id} logged for {customer}",
                  highlight=False)
        for effect in done.effects:
            out.print(f"  {_describe(effect)}", highlight=False)
        _outbox(c.ws, done.effects, by=user, at=at.isoformat())


@inquiry_app.command("list")
def inquiry_list(workspace: WorkspaceOpt,
                 customer: Annotated[str | None, typer.Option("--customer")] = None,
                 limit: LimitOpt = 50, store_url: StoreOpt = None) -> None:
    """征信查询记录 Inquiries, newest first, with the day they are kept until."""
    where = {"customer_id": customer} if customer else {}
    with _work(workspace, store_url) as c, c.store.session() as s:
        keep = dt.timedelta(days=c.policy.workflow.inquiries.retention_days)
        found = s.inquiries.list(limit=limit, order_by=("-asked_at",), **where)
    out.print(_table("bureau inquiries 征信查询", ("inquiry", "customer", "reason", "authorisation",
                                                  "asked by", "asked at", "result", "kept until"),
                     [[q.inquiry_id, q.customer_id, q.reason, q.authorisation_ref, q.asked_by,
                       q.asked_at, q.result_ref, q.asked_at.date() + keep] for q in found]))
