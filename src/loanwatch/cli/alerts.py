"""预警处置 Alerts on the operational store: list, show, acknowledge, work, assign, close."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from loanwatch.cli.common import WorkspaceOpt, app, out
from loanwatch.cli.workflow_common import (
    Id,
    LimitOpt,
    StoreOpt,
    UserOpt,
    VersionOpt,
    _apply,
    _blank,
    _enum,
    _errors,
    _load,
    _now,
    _person,
    _show,
    _table,
    _work,
)
from loanwatch.workflow import alerts as wl
from loanwatch.workflow.sla import due_at, sla_breached

alerts_app = typer.Typer(help="预警处置 Alerts: list, show, acknowledge, work, close.",
                         no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")


@alerts_app.command("list")
def alerts_list(
    workspace: WorkspaceOpt,
    status: Annotated[str | None, typer.Option("--status", help="open, acknowledged, "
                                               "in_progress or closed.")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    signal: Annotated[str | None, typer.Option("--signal", help="Signal id.")] = None,
    branch: Annotated[str | None, typer.Option("--branch")] = None,
    overdue_sla: Annotated[bool, typer.Option("--overdue-sla", help="Only live alerts past "
                                              "their SLA (超时).")] = False,
    limit: LimitOpt = 50,
    store_url: StoreOpt = None,
) -> None:
    """预警列表 Alerts, most recently (re)opened first, with their SLA."""
    where: dict[str, Any] = {k: v for k, v in (("signal_id", signal), ("branch_id", branch))
                             if v is not None}
    wanted = _enum(wl.AlertStatus, status, "--status")
    if wanted is None and overdue_sla:
        wanted = tuple(wl.LIVE)
    now = _now()
    with _work(workspace, store_url) as c:
        hours = c.policy.workflow.sla_hours
        with c.store.session() as s:
            found = s.alerts.list(status=wanted, owner=owner,
                                  limit=None if overdue_sla else limit, **where)
    if overdue_sla:
        found = [a for a in found if sla_breached(a, now, hours)][:limit]
    rows = [[a.alert_id, a.signal_id, a.customer_id, a.loan_id, a.severity, a.status, a.owner,
             a.opened_on, due_at(a.live_since, a.severity, hours),
             "超时 breached" if sla_breached(a, now, hours) else ""] for a in found]
    out.print(_table("alerts 预警", ("alert", "signal", "customer", "loan", "severity", "status",
                                     "owner", "opened", "SLA due", "SLA"), rows))
    out.print(f"{len(rows):,} alerts" + (f" (--limit {limit})" if len(rows) == limit else ""),
              highlight=False)


@alerts_app.command("show")
def alerts_show(alert_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """预警详情 An alert's fields, notes and audit trail."""
    with _work(workspace, store_url) as c:
        alert, trail = _load(c, "alert", alert_id, with_trail=True)
        hours = c.policy.workflow.sla_hours
    _show(f"alert 预警 {alert_id}", alert, trail,
          (("SLA due", due_at(alert.live_since, alert.severity, hours)),
           ("SLA breached", sla_breached(alert, _now(), hours))))


@alerts_app.command("ack")
def alerts_ack(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
               version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """确认 Acknowledge an open alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Acknowledge, user)


@alerts_app.command("start")
def alerts_start(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                 version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """开始处置 Start working an acknowledged alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.StartWork, user)


@alerts_app.command("assign")
def alerts_assign(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                  to: Annotated[str, typer.Option("--to", help="The new owner.")],
                  version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """分派 Give a live alert to someone else."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Assign, user,
            to=_blank(to, "--to"))


@alerts_app.command("assign-bulk")
def alerts_assign_bulk(
    alert_ids: Annotated[list[str], typer.Argument(help="Alert ids.")],
    workspace: WorkspaceOpt, user: UserOpt,
    to: Annotated[str, typer.Option("--to", help="The new owner.")],
    store_url: StoreOpt = None,
) -> None:
    """批量分派 Give many alerts to someone; each failure is reported (exit 2 if any)."""
    to = _blank(to, "--to")
    failed = 0
    with _work(workspace, store_url) as c:
        for alert_id in alert_ids:
            try:
                with _errors():
                    done = _apply(c, "alert", alert_id, None, wl.Assign, user, to=to)
            except typer.Exit:
                failed += 1
                continue
            out.print(f"{alert_id}: owner {done.record.owner} (version {done.record.version})",
                      highlight=False)
    out.print(f"assigned {len(alert_ids) - failed} of {len(alert_ids)} alerts to {to}",
              highlight=False)
    if failed:
        raise typer.Exit(2)


@alerts_app.command("comment")
def alerts_comment(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                   text: Annotated[str, typer.Option("--text", help="The note.")] = "",
                   version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """备注 Add a note to an alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Comment, user, text=text)


@alerts_app.command("close")
def alerts_close(
    alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    disposition: Annotated[str, typer.Option("--disposition", help="resolved, false_positive "
                                             "or escalated.")],
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """关闭 Close a live alert with a disposition and a comment."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Close, user,
            disposition=_enum(wl.Disposition, disposition, "--disposition"), comment=comment)


@alerts_app.command("escalate")
def alerts_escalate(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
                    version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """上报 Close an alert as escalated and ask for a review one level up."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Escalate, user, comment=comment)


@alerts_app.command("reopen")
def alerts_reopen(alert_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                  reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                  version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """重新打开 Reopen a closed alert."""
    _person(workspace, store_url, "alert", alert_id, version, wl.Reopen, user, reason=reason)
