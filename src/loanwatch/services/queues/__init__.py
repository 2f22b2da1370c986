"""The three work lists of the console and the API — the alerts queue (预警处置), post-loan
tasks (贷后任务) and the collection queue (催收) — cut to the slice of the book a person sees,
and what a person does to one record of them: see it, act on it, attach a file to a task.

A record outside the caller's slice is answered as if it did not exist (``LookupError``), so
guessing ids reveals nothing. Lists read only the columns they filter and sort on (the
repositories' ``index``), then load the records of the page asked for. One module per topic:
``slice`` (who sees what, paging), ``alerts``, ``flow`` (the fund-flow path of a FLOW-* alert),
``tasks``, ``attachments`` (a task's files) and ``collections``.
"""

from __future__ import annotations

from loanwatch.services.queues.alerts import (
    AlertFilter,
    AlertQueue,
    AlertRow,
    AlertView,
    Assigned,
    alert_event,
    alert_queue,
    alert_view,
    assign_alerts,
    propose_action,
)
from loanwatch.services.queues.attachments import ATTACHMENTS, attach_file, attachment_path
from loanwatch.services.queues.collections import (
    CaseFilter,
    CaseQueue,
    CaseView,
    case_event,
    case_queue,
    case_view,
    recovery,
)
from loanwatch.services.queues.flow import FlowEdge, FlowNode, FlowPath, alert_flow, flow_path, masked_name
from loanwatch.services.queues.slice import MAX_ID, Page, Slice, act_visible, slice_of
from loanwatch.services.queues.tasks import (
    CALENDAR_KINDS,
    Calendar,
    CalendarDay,
    TaskFilter,
    TaskQueue,
    TaskRow,
    TaskView,
    tab_of,
    task_calendar,
    task_event,
    task_queue,
    task_view,
)

__all__ = [
    "ATTACHMENTS",
    "AlertFilter",
    "AlertQueue",
    "AlertRow",
    "AlertView",
    "Assigned",
    "CALENDAR_KINDS",
    "Calendar",
    "CalendarDay",
    "CaseFilter",
    "CaseQueue",
    "CaseView",
    "FlowEdge",
    "FlowNode",
    "FlowPath",
    "MAX_ID",
    "Page",
    "Slice",
    "TaskFilter",
    "TaskQueue",
    "TaskRow",
    "TaskView",
    "act_visible",
    "alert_event",
    "alert_flow",
    "alert_queue",
    "alert_view",
    "assign_alerts",
    "tab_of",
    "attach_file",
    "attachment_path",
    "case_event",
    "case_queue",
    "case_view",
    "flow_path",
    "masked_name",
    "propose_action",
    "recovery",
    "slice_of",
    "task_calendar",
    "task_event",
    "task_queue",
    "task_view",
]
