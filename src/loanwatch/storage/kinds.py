"""Which table holds which workflow record, keyed by which field."""

from __future__ import annotations

from loanwatch.security.users import Session, User
from loanwatch.storage import tables
from loanwatch.storage.records import RecordKind
from loanwatch.workflow.actions import LoanAction
from loanwatch.workflow.alerts import Alert
from loanwatch.workflow.collections import CollectionCase
from loanwatch.workflow.inquiries import BureauInquiry
from loanwatch.workflow.tasks import Task

ALERTS = RecordKind("alert", Alert, tables.alerts, "alert_id")
TASKS = RecordKind("task", Task, tables.tasks, "task_id")
CASES = RecordKind("collection_case", CollectionCase, tables.collection_cases, "case_id")
ACTIONS = RecordKind("loan_action", LoanAction, tables.actions, "action_id")
INQUIRIES = RecordKind("bureau_inquiry", BureauInquiry, tables.bureau_inquiries, "inquiry_id")
USERS = RecordKind("user", User, tables.users, "user_id")
SESSIONS = RecordKind("session", Session, tables.sessions, "session_id")
