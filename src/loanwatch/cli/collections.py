"""催收 Collection cases on the operational store: queue, contacts, promises to pay, recovery."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from loanwatch.cli.common import WorkspaceOpt, app, out, parse_date
from loanwatch.cli.workflow_common import (
    Id,
    LimitOpt,
    StoreOpt,
    UserOpt,
    VersionOpt,
    _amount,
    _enum,
    _load,
    _person,
    _show,
    _table,
    _work,
)
from loanwatch.policy.workflow import Channel
from loanwatch.workflow import collection_queue as wq
from loanwatch.workflow import collections as wc

collections_app = typer.Typer(help="催收 Collection cases: queue, contacts, promises to pay.",
                              no_args_is_help=True)
app.add_typer(collections_app, name="collections")


@collections_app.command("queue")
def collections_queue(workspace: WorkspaceOpt,
                      owner: Annotated[str | None, typer.Option("--owner")] = None,
                      limit: LimitOpt = 50, store_url: StoreOpt = None) -> None:
    """催收队列 Live cases in working order: largest expected loss first."""
    where = {"owner": owner} if owner else {}
    with _work(workspace, store_url) as c, c.store.session() as s:
        live = s.cases.list(limit=None, status=tuple(wc.LIVE), **where)
    rows = [[k.case_id, k.loan_id, k.bucket, k.dpd, k.overdue_amount, k.expected_loss,
             ", ".join(k.strategy), k.status,
             sum(p.status is wc.PromiseStatus.PENDING for p in k.promises)]
            for k in wq.queue(live)[:limit]]
    out.print(_table("collection queue 催收队列", ("case", "loan", "bucket", "DPD", "overdue",
                                                 "expected loss", "strategy", "status",
                                                 "promises pending"), rows))


@collections_app.command("show")
def collections_show(case_id: Id, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """催收详情 A case's figures, contacts, promises and audit trail."""
    with _work(workspace, store_url) as c:
        case, trail = _load(c, "collection_case", case_id, with_trail=True)
    _show(f"collection case 催收 {case_id}", case, trail)


@collections_app.command("assign")
def collections_assign(case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                       to: Annotated[str, typer.Option("--to", help="The collector.")],
                       version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """分派 Give a live case to a collector."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Assign, user, to=to)


@collections_app.command("contact")
def collections_contact(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    channel: Annotated[str, typer.Option("--channel", help=", ".join(Channel))],
    result: Annotated[str, typer.Option("--result", help=", ".join(wc.ContactResult))],
    note: Annotated[str, typer.Option("--note")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """联系记录 Log a contact with the borrower."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.LogContact, user,
            channel=_enum(Channel, channel, "--channel"),
            result=_enum(wc.ContactResult, result, "--result"), note=note)


@collections_app.command("promise")
def collections_promise(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    amount: Annotated[str, typer.Option("--amount", help="Yuan.")],
    due: Annotated[str, typer.Option("--due", help="YYYY-MM-DD.")],
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """承诺还款 Record the borrower's promise to pay an amount by a date."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.PromiseToPay, user,
            amount=_amount(amount, "--amount"), due_on=parse_date(due, "--due"))


@collections_app.command("close")
def collections_close(
    case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
    outcome: Annotated[str, typer.Option("--outcome", help=", ".join(wc.Outcome))],
    comment: Annotated[str, typer.Option("--comment", help="Why (required).")] = "",
    version: VersionOpt = None, store_url: StoreOpt = None,
) -> None:
    """结案 Close a case with its outcome."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Close, user,
            outcome=_enum(wc.Outcome, outcome, "--outcome"), comment=comment)


@collections_app.command("reopen")
def collections_reopen(case_id: Id, workspace: WorkspaceOpt, user: UserOpt,
                       reason: Annotated[str, typer.Option("--reason", help="Why (required).")] = "",
                       version: VersionOpt = None, store_url: StoreOpt = None) -> None:
    """重新打开 Reopen a closed case."""
    _person(workspace, store_url, "collection_case", case_id, version, wc.Reopen, user,
            reason=reason)


@collections_app.command("figures")
def collections_figures(workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """回收情况 Recovery over every case: outcomes, money recovered, promises kept."""
    with _work(workspace, store_url) as c, c.store.session() as s:
        f = wq.recovery_figures(s.cases.list(limit=None))
    rows: list[list[Any]] = [["cases opened", f.cases_opened]]
    rows += [[f"closed: {o.value}", n] for o, n in f.closed_by_outcome.items()]
    rows += [["recovered", f.recovered], ["promises made", f.promises_made],
             ["promises kept", f.promises_kept], ["promises broken", f.promises_broken],
             ["kept rate", None if f.kept_rate is None else f"{f.kept_rate * 100:.1f}%"]]
    out.print(_table("recovery 回收", ("figure", "value"), rows))
