"""Excel exports of the console's lists (导出 Excel): the alerts queue, the tasks and the
loans behind a dashboard figure, filtered as the page shows them, every row of the
caller's slice (not one page), as a workbook of one sheet: header bold and frozen, yuan
'#,##0.00', counts '#,##0', dates as dates. The filters read as the console's forms send
them: an empty value is no filter. The JSON list endpoints are unchanged."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Annotated, Any, get_args

import duckdb
from fastapi import APIRouter, Depends, Query, Request, Response

from loanwatch.batch.signals import signal_label
from loanwatch.policy.vocabulary import Severity
from loanwatch.reports.document import Column, Kind, Table
from loanwatch.reports.files import MEDIA_TYPES
from loanwatch.reports.xlsx import table_xlsx
from loanwatch.security.permissions import Permission
from loanwatch.services import queues
from loanwatch.services.dashboard import LoanFilter, loans_page
from loanwatch.web.api.alerts import StatusChoice as AlertStatuses
from loanwatch.web.api.dashboard import loan_filter
from loanwatch.web.api.tasks import StatusChoice as TaskStatuses
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.i18n import label, pick
from loanwatch.workflow.tasks import TaskKind

router = APIRouter(tags=["exports 导出"])

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
#: the most rows one export holds (a list longer than that is cut, and says so in its name)
EXPORT_MAX = 100_000
XLSX = {200: {"description": "the list as an Excel workbook",
              "content": {MEDIA_TYPES["xlsx"]: {}}}}
T, C, M, D = Kind.TEXT, Kind.COUNT, Kind.MONEY, Kind.DATE


def _choice(codes: Iterable[str]) -> str:
    """A pattern taking one of the codes, or nothing (no filter, or the page's default)."""
    return f"^(|{'|'.join(str(c) for c in codes)})$"


def _workbook(sheet: str, columns: Sequence[tuple[str, str, str, Kind]], lang: str,
              rows: list[dict[str, Any]], day: dt.date) -> Response:
    table = Table(sheet, sheet, [Column(k, pick(lang, zh, en), kind) for k, zh, en, kind
                                 in columns], rows)
    name = f"loanwatch-{sheet}-{day.isoformat()}.xlsx"
    return Response(table_xlsx(table), media_type=MEDIA_TYPES["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


ALERT_COLUMNS = (
    ("alert_id", "预警编号", "Alert", T), ("signal", "预警信号", "Signal", T),
    ("severity", "严重程度", "Severity", T), ("status", "状态", "Status", T),
    ("customer_id", "客户号", "Customer", T), ("loan_id", "借据号", "Loan", T),
    ("branch_id", "机构", "Branch", T), ("owner", "负责人", "Owner", T),
    ("opened_on", "首次触发", "Opened", D), ("sla_due", "处置时限", "SLA due", D),
    ("breached", "超时", "Past SLA", T))


@router.get("/exports/alerts", response_class=Response, responses=XLSX)
def export_alerts(request: Request, con: Con,
                  who: Annotated[Caller, Depends(require(Permission.VIEW_ALERTS))],
                  severity: Annotated[str, Query(pattern=_choice(s.value for s in Severity))] = "",
                  signal: str = "",
                  branch: str = "", owner: str = "",
                  status: Annotated[str, Query(pattern=_choice(get_args(AlertStatuses)))] = "live",
                  breached: Annotated[str, Query(pattern="^(|yes|no)$")] = "") -> Response:
    """The alerts queue as the console filters it (breached: yes, no or empty)."""
    state, lang = app_state(request), who.lang
    f = queues.AlertFilter.from_form(severity, signal, branch, owner, status, breached)
    q = queues.alert_queue(state.store, con, who.principal, state.policy, state.now(), f,
                           EXPORT_MAX, 0)
    yes, no = pick(lang, "是", "yes"), pick(lang, "否", "no")
    rows = [{"alert_id": a.alert_id, "signal": signal_label(state.signal_titles, a.signal_id,
                                                            lang),
             "severity": label(lang, "severity", a.severity.value),
             "status": label(lang, "alert_status", a.status.value),
             "customer_id": a.customer_id, "loan_id": a.loan_id, "branch_id": a.branch_id,
             "owner": a.owner, "opened_on": a.opened_on, "sla_due": r.sla_due,
             "breached": yes if r.breached else no} for r in q.items for a in (r.alert,)]
    return _workbook("alerts", ALERT_COLUMNS, lang, rows, state.now().date())


TASK_COLUMNS = (
    ("task_id", "任务编号", "Task", T), ("kind", "任务类型", "Kind", T),
    ("status", "状态", "Status", T), ("customer_id", "客户号", "Customer", T),
    ("loan_id", "借据号", "Loan", T), ("branch_id", "机构", "Branch", T),
    ("owner", "负责人", "Owner", T), ("due_on", "截止日期", "Due", D),
    ("overdue", "逾期", "Overdue", T))


@router.get("/exports/tasks", response_class=Response, responses=XLSX)
def export_tasks(request: Request, con: Con,
                 who: Annotated[Caller, Depends(require(Permission.VIEW_TASKS))],
                 tab: Annotated[str, Query(pattern="^(|mine|team)$")] = "",
                 kind: Annotated[str, Query(pattern=_choice(k.value for k in TaskKind))] = "",
                 status: Annotated[str, Query(pattern=_choice(get_args(TaskStatuses)))] = "open",
                 overdue: str = "", owner: str = "", branch: str = "") -> Response:
    """The tasks as the console filters them (tab mine or team; empty: as the page starts —
    a customer manager's own, everyone else's team)."""
    state, lang = app_state(request), who.lang
    f = queues.TaskFilter.from_form(who.principal, tab, kind, status, overdue, owner, branch)
    q = queues.task_queue(state.store, con, who.principal, state.now(), f, EXPORT_MAX, 0)
    yes, no = pick(lang, "是", "yes"), pick(lang, "否", "no")
    rows = [{"task_id": t.task_id, "kind": label(lang, "task_kind", t.kind.value),
             "status": label(lang, "task_status", t.status.value),
             "customer_id": t.customer_id, "loan_id": t.loan_id, "branch_id": t.branch_id,
             "owner": t.owner, "due_on": t.due_on, "overdue": yes if r.overdue else no}
            for r in q.items for t in (r.task,)]
    return _workbook("tasks", TASK_COLUMNS, lang, rows, state.now().date())


LOAN_COLUMNS = (
    ("loan_id", "借据号", "Loan", T), ("customer_id", "客户号", "Customer", T),
    ("product", "产品", "Product", T), ("branch_id", "机构", "Branch", T),
    ("manager_id", "客户经理", "Manager", T), ("region", "地区", "Region", T),
    ("industry", "行业", "Industry", T), ("vintage", "放款月份", "Vintage", T),
    ("dpd", "逾期天数", "DPD", C), ("bucket", "逾期档", "Bucket", T),
    ("outstanding_principal", "贷款余额", "Outstanding", M),
    ("overdue_principal", "逾期本金", "Overdue principal", M),
    ("overdue_interest", "逾期利息", "Overdue interest", M),
    ("five_class", "五级分类", "Class", T), ("stage", "阶段", "Stage", C),
    ("ecl", "预期信用损失", "ECL", M))


@router.get("/exports/loans", response_class=Response,
            responses={**XLSX, 404: {"description": "no results stored for the date"}})
def export_loans(request: Request, con: Con,
                 who: Annotated[Caller, Depends(require(Permission.VIEW_DASHBOARD))],
                 filters: Annotated[LoanFilter, Depends(loan_filter)]) -> Response:
    """The loans behind a dashboard figure (the filters of ``GET /api/loans``), most
    overdue first."""
    found = loans_page(con, who.principal, filters, 1, EXPORT_MAX)
    lang = who.lang
    rows = [{**vars(r), "product": label(lang, "product", r.product),
             "five_class": label(lang, "five_class", r.five_class)} for r in found.loans]
    return _workbook("loans", LOAN_COLUMNS, lang, rows,
                     found.as_of or app_state(request).now().date())
