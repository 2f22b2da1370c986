"""Which post-loan tasks are due (seed methods 1–10), as a pure plan: given the book at an
as-of date, the tasks the store already has and the policy, the ``Plan`` events of the tasks
to create. Re-planning the same day plans nothing twice: task ids are made from what the
task is for (``FI:L1`` is loan L1's first inspection).

- **First inspection** (首次检查) of each loan disbursed in the last ``first_within_days``,
  due that many days after disbursement, on site, collecting the loan-purpose evidence.
- **Periodic inspection** (定期检查) of each borrower, every ``periodic_every_days`` of its
  worst five-level class: the next one is planned when none is open, one period after the
  last one finished (or after the as-of date, for a borrower the store has not seen).
- **Debt confirmation** (债权核对) with the borrower, each guarantor and each collateral, and
  the **rating refresh** (评级更新), each every ``…_every_days`` the same way.
- **Classification materials** (分类资料), monthly: due ``classification_materials_days``
  after each month end.
- **Triggered inspection** (触发检查) for an alert that calls for one, due
  ``triggered_inspection_days`` after it opened, unless the borrower has one open already.

Which borrowers get each kind is the policy's ``workflow.schedules`` (type, minimum balance).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from loanwatch.domain.calendar import month_end, previous_month_end
from loanwatch.policy.vocabulary import FiveClass
from loanwatch.policy.workflow import ScheduleScope
from loanwatch.workflow.tasks import OPEN_WORK, ChecklistItem, Plan, TaskKind, TaskStatus

#: the actor of tasks the schedule plans
SCHEDULER = "scheduler"

CHECKLISTS: dict[TaskKind, tuple[ChecklistItem, ...]] = {
    TaskKind.FIRST_INSPECTION: (
        ChecklistItem("purpose", "贷款资金用途与合同约定一致 (附支付凭证、发票)"),
        ChecklistItem("payee", "受托支付对象与交易合同相符"),
        ChecklistItem("operations", "借款人生产经营正常 (现场照片)"),
        ChecklistItem("collateral", "抵质押物状况 (如有)", required=False),
    ),
    TaskKind.PERIODIC_INSPECTION: (
        ChecklistItem("operations", "生产经营与财务状况"),
        ChecklistItem("cash_flow", "主要结算账户流水与销售收入匹配"),
        ChecklistItem("repayment", "还款来源与还款意愿"),
        ChecklistItem("guarantee", "担保人与抵质押物状况"),
    ),
    TaskKind.TRIGGERED_INSPECTION: (
        ChecklistItem("signal", "预警信号核实情况"),
        ChecklistItem("cause", "原因分析与风险判断"),
        ChecklistItem("measures", "拟采取的措施", required=False),
    ),
    TaskKind.DEBT_CONFIRMATION: (
        ChecklistItem("borrower", "借款人签字确认债务余额"),
        ChecklistItem("guarantors", "各保证人签字确认担保责任"),
        ChecklistItem("collateral", "抵质押物状态、价值、保管情况"),
    ),
    TaskKind.RATING_REFRESH: (
        ChecklistItem("financials", "最新财务报表已录入"),
        ChecklistItem("rating", "评级结果与理由"),
    ),
    TaskKind.CLASSIFICATION_MATERIALS: (
        ChecklistItem("materials", "五级分类认定资料齐全"),
        ChecklistItem("class", "建议分类与理由"),
    ),
}

_PREFIX = {TaskKind.FIRST_INSPECTION: "FI", TaskKind.PERIODIC_INSPECTION: "PI",
           TaskKind.TRIGGERED_INSPECTION: "TI", TaskKind.DEBT_CONFIRMATION: "DC",
           TaskKind.RATING_REFRESH: "RR", TaskKind.CLASSIFICATION_MATERIALS: "CM"}


@dataclass(frozen=True)
class Borrower:
    """A borrower with loans on the book at the as-of date."""

    customer_id: str
    customer_type: str
    owner: str
    branch_id: str | None
    balance: Decimal
    worst_class: FiveClass


@dataclass(frozen=True)
class NewLoan:
    loan_id: str
    customer_id: str
    customer_type: str
    owner: str
    branch_id: str | None
    disbursed_on: dt.date
    amount: Decimal


@dataclass(frozen=True)
class Known:
    """A task the store has: what the plan needs to know of it."""

    task_id: str
    kind: TaskKind
    customer_id: str
    loan_id: str | None
    status: TaskStatus
    due_on: dt.date
    finished_on: dt.date | None


@dataclass(frozen=True)
class Trigger:
    """An alert that calls for an inspection (``OpenTriggeredInspection``)."""

    alert_id: str
    customer_id: str
    loan_id: str | None
    owner: str
    branch_id: str | None


@dataclass(frozen=True)
class Frequencies:
    """Days between tasks, from the policy's ``inspections`` section."""

    first_within_days: int
    periodic_by_class: Mapping[FiveClass, int]
    debt_confirmation_days: int
    rating_refresh_days: int
    classification_materials_days: int
    triggered_inspection_days: int


def _in_scope(scope: ScheduleScope, customer_type: str, amount: Decimal) -> bool:
    return customer_type in scope.customer_types and amount >= scope.min_balance


def _plan(kind: TaskKind, task_id: str, customer_id: str, loan_id: str | None, owner: str,
          branch_id: str | None, due_on: dt.date, at: dt.datetime,
          alert_id: str | None = None) -> Plan:
    return Plan(task_id=task_id, kind=kind, customer_id=customer_id, loan_id=loan_id,
                owner=owner, due_on=due_on, checklist=CHECKLISTS[kind], alert_id=alert_id,
                branch_id=branch_id, by=SCHEDULER, at=at)


def _last_of(known: Iterable[Known]) -> dict[tuple[TaskKind, str], Known]:
    """Per (kind, customer): an open task if there is one, else the latest finished one."""
    best: dict[tuple[TaskKind, str], Known] = {}
    for k in known:
        key = (k.kind, k.customer_id)
        have = best.get(key)
        if have is None or _rank(k) > _rank(have):
            best[key] = k
    return best


def _rank(k: Known) -> tuple[bool, dt.date]:
    return (k.status in OPEN_WORK, k.finished_on or k.due_on)


def plan_tasks(as_of: dt.date, at: dt.datetime, borrowers: Sequence[Borrower],
               new_loans: Sequence[NewLoan], triggers: Sequence[Trigger],
               known: Sequence[Known], every: Frequencies,
               scopes: Mapping[TaskKind, ScheduleScope]) -> list[Plan]:
    """The tasks to create at ``as_of`` (see the module docstring)."""
    ids = {k.task_id for k in known}
    last = _last_of(known)
    plans: list[Plan] = []

    def add(plan: Plan) -> None:
        if plan.task_id not in ids:
            ids.add(plan.task_id)
            plans.append(plan)

    for loan in new_loans:
        if _in_scope(scopes[TaskKind.FIRST_INSPECTION], loan.customer_type, loan.amount):
            add(_plan(TaskKind.FIRST_INSPECTION, f"FI:{loan.loan_id}", loan.customer_id,
                      loan.loan_id, loan.owner, loan.branch_id,
                      loan.disbursed_on + dt.timedelta(days=every.first_within_days), at))
    materials_month = as_of if month_end(as_of) == as_of else previous_month_end(as_of)
    for b in borrowers:
        periods = {TaskKind.PERIODIC_INSPECTION: every.periodic_by_class[b.worst_class],
                   TaskKind.DEBT_CONFIRMATION: every.debt_confirmation_days,
                   TaskKind.RATING_REFRESH: every.rating_refresh_days}
        for kind, days in periods.items():
            if not _in_scope(scopes[kind], b.customer_type, b.balance):
                continue
            before = last.get((kind, b.customer_id))
            if before is not None and before.status in OPEN_WORK:
                continue
            base = (before.finished_on or before.due_on) if before else as_of
            due = max(base + dt.timedelta(days=days), as_of)
            add(_plan(kind, f"{_PREFIX[kind]}:{b.customer_id}:{due.isoformat()}",
                      b.customer_id, None, b.owner, b.branch_id, due, at))
        if _in_scope(scopes[TaskKind.CLASSIFICATION_MATERIALS], b.customer_type, b.balance):
            add(_plan(TaskKind.CLASSIFICATION_MATERIALS,
                      f"CM:{b.customer_id}:{materials_month.isoformat()}", b.customer_id, None,
                      b.owner, b.branch_id,
                      materials_month + dt.timedelta(days=every.classification_materials_days),
                      at))
    open_triggered = {k.customer_id for k in known
                      if k.kind is TaskKind.TRIGGERED_INSPECTION and k.status in OPEN_WORK}
    for t in triggers:
        if t.customer_id in open_triggered:
            continue
        open_triggered.add(t.customer_id)
        add(_plan(TaskKind.TRIGGERED_INSPECTION, f"TI:{t.alert_id}:{as_of.isoformat()}",
                  t.customer_id, t.loan_id, t.owner, t.branch_id,
                  as_of + dt.timedelta(days=every.triggered_inspection_days), at,
                  alert_id=t.alert_id))
    return plans

