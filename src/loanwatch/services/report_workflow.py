"""What the portfolio report needs besides the marts, as plain rows (the reports layer
reads no store and measures no table): what the operational store holds for the period
(业务库数据) — alerts closed by disposition and SLA breaches, inspections and debt
confirmations overdue at the as-of date by branch, the collection cases of the period —
and the data-quality figures of ``loanwatch quality``.

The store keeps each record's present state; the figures at a past as-of date are read
from the dates each record keeps (opened, closed, finished, promise settled), so a report
of a past month shows that month's work as far as those dates tell it."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

from loanwatch.ingest.quality import quality_report
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import Severity
from loanwatch.services.store import STORE_URL_VARIABLE, Store, open_store
from loanwatch.storage.connect import STORE_FILE
from loanwatch.workflow import collection_queue as wq
from loanwatch.workflow.alerts import Disposition
from loanwatch.workflow.collections import Outcome, PromiseStatus
from loanwatch.workflow.sla import due_at
from loanwatch.workflow.tasks import TaskKind

#: the tasks whose lateness the report shows (GLOSSARY.md: 首次检查, 定期检查, 触发检查, 债权核对)
WATCHED_TASKS = (TaskKind.FIRST_INSPECTION, TaskKind.PERIODIC_INSPECTION,
                 TaskKind.TRIGGERED_INSPECTION, TaskKind.DEBT_CONFIRMATION)
_ALERT_COLUMNS = ("alert_id", "severity", "status", "opened_on", "live_since", "closed_at",
                  "disposition")


def quality_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict[str, Any]]]:
    """``loanwatch quality``'s figures as the report shows them: per table (table, rows,
    latest, null rates as text) and the referential gaps (key, gap in English, rows)."""
    found = quality_report(con)
    tables = [{"table": t.table, "rows": t.rows, "latest": t.latest or "—",
               "null_rates": ", ".join(f"{c} {r:.1%}" for c, r in t.null_rates.items() if r)
               or "0"} for t in found.tables]
    return {"tables": tables, "gaps": [{"key": key, "gap": text, "rows": n}
                                       for key, text, n in found.gaps]}


def open_report_store(workspace_root: Path | str, url: str | None = None) -> Store | None:
    """The workspace's store, or ``None`` when there is none (no URL and no SQLite file)."""
    url = url or os.environ.get(STORE_URL_VARIABLE)
    if not url and not (Path(workspace_root) / STORE_FILE).exists():
        return None
    return open_store(workspace_root, url)


def read_workflow_figures(store: Store, start: dt.date, as_of: dt.date, policy: Policy
                          ) -> dict[str, Any] | None:
    """The store's figures for the period after ``start`` up to ``as_of``; ``None`` when the
    store was never synced."""
    end = _end_of(as_of)
    with store.session() as s:
        synced_to = s.syncs.latest()
        if synced_to is None:
            return None
        alerts = s.alerts.index(*_ALERT_COLUMNS)
        tasks = s.tasks.index("kind", "branch_id", "status", "due_on", "finished_at",
                              kind=tuple(k.value for k in WATCHED_TASKS))
        cases = s.cases.list(limit=None)
    return {"synced_to": synced_to,
            "dispositions": closed_by_disposition(alerts, start, end, policy),
            "sla": sla_by_severity(alerts, start, end, policy),
            "overdue": overdue_by_branch(tasks, as_of, end),
            "collections": collection_results(cases, start, as_of, end)}


#: the most tasks a borrower's inspection report lists (latest due first)
BORROWER_TASKS = 30


def borrower_tasks(store: Store, customer_id: str, as_of: dt.date) -> list[dict[str, Any]] | None:
    """The borrower's post-loan tasks for its inspection report, latest due first: kind,
    status, due date, owner, when finished, and the findings and conclusion recorded. A task
    finished after ``as_of`` shows as open, its findings not yet given. ``None`` when the store
    was never synced."""
    end = _end_of(as_of)
    with store.session() as s:
        if s.syncs.latest() is None:
            return None
        found = s.tasks.list(customer_id=customer_id, limit=None, order_by=("-due_on",))
    rows = []
    for task in found[:BORROWER_TASKS]:
        done = task.finished_at is not None and task.finished_at <= end
        notes = [f.text for f in task.findings if f.at <= end]
        if done and task.conclusion:
            notes.append(task.conclusion)
        rows.append({"task_id": task.task_id, "kind": task.kind.value,
                     "status": task.status.value if done or task.finished_at is None
                     else "in_progress", "due_on": task.due_on, "owner": task.owner,
                     "finished_on": task.finished_at.date() if done else None,
                     "findings": "；".join(notes) or "—"})
    return rows


def _end_of(day: dt.date) -> dt.datetime:
    """The first moment after ``day``: what was not closed before it was open at the day's end."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time())


def _in_period(moment: dt.datetime | None, start: dt.date, end: dt.datetime) -> bool:
    return moment is not None and _end_of(start) <= moment < end


def _breached(row: Mapping[str, Any], at: dt.datetime, policy: Policy) -> bool:
    """Past its SLA at ``at``, or when it was closed if that came first."""
    due = due_at(row["live_since"], Severity(row["severity"]), policy.workflow.sla_hours)
    closed = row["closed_at"] if row["closed_at"] is not None and row["closed_at"] < at else at
    return due is not None and closed > due


def _live_at(row: Mapping[str, Any], end: dt.datetime) -> bool:
    return row["opened_on"] < end.date() and (row["closed_at"] is None or row["closed_at"] >= end)


def closed_by_disposition(alerts: Iterable[Mapping[str, Any]], start: dt.date,
                          end: dt.datetime, policy: Policy) -> list[dict[str, Any]]:
    """Alerts closed in the period, per disposition: how many, and how many late."""
    closed = [a for a in alerts if _in_period(a["closed_at"], start, end)]
    return [{"disposition": d.value,
             "alerts_closed": sum(a["disposition"] == d.value for a in closed),
             "breached": sum(a["disposition"] == d.value and _breached(a, end, policy)
                             for a in closed)} for d in Disposition]


def sla_by_severity(alerts: Iterable[Mapping[str, Any]], start: dt.date, end: dt.datetime,
                    policy: Policy) -> list[dict[str, Any]]:
    """Per severity: alerts closed in the period and those closed late; alerts open at the
    end of the as-of date and those past their SLA then."""
    rows = []
    alerts = list(alerts)
    for sev in sorted(Severity, key=lambda s: -s.rank):
        mine = [a for a in alerts if a["severity"] == sev.value]
        closed = [a for a in mine if _in_period(a["closed_at"], start, end)]
        live = [a for a in mine if _live_at(a, end)]
        if closed or live:
            rows.append({"severity": sev.value, "alerts_closed": len(closed),
                         "closed_late": sum(_breached(a, end, policy) for a in closed),
                         "open": len(live), "open_breached": sum(_breached(a, end, policy)
                                                                 for a in live)})
    return rows


def overdue_by_branch(tasks: Iterable[Mapping[str, Any]], as_of: dt.date, end: dt.datetime
                      ) -> list[dict[str, Any]]:
    """Per branch, the watched tasks due before ``as_of`` and not finished by its end."""
    late = Counter((t["branch_id"] or "—", t["kind"]) for t in tasks
                   if t["due_on"] < as_of and (t["finished_at"] is None or t["finished_at"] >= end))
    branches = sorted({b for b, _ in late})
    return [{"branch_id": b, **{k.value: late[b, k.value] for k in WATCHED_TASKS},
             "total": sum(late[b, k.value] for k in WATCHED_TASKS)} for b in branches]


def collection_results(cases: Iterable[Any], start: dt.date, as_of: dt.date, end: dt.datetime
                       ) -> dict[str, Any]:
    """Cases opened, cured and closed in the period; promises judged in it; and what was
    recovered on the cases worked in it (live at some time of the period)."""
    cases = list(cases)
    closed = [c for c in cases if _in_period(c.closed_at, start, end)]
    worked = [c for c in cases if c.opened_on <= as_of
              and (c.closed_at is None or c.closed_at >= _end_of(start))]
    judged = [p for c in cases for p in c.promises
              if p.settled_on is not None and start < p.settled_on <= as_of]
    figures = wq.recovery_figures(worked)
    return {"opened": sum(start < c.opened_on <= as_of for c in cases),
            "cured": sum(c.outcome is Outcome.CURED for c in closed),
            "closed": len(closed),
            "closed_by_outcome": {o.value: sum(c.outcome is o for c in closed) for o in Outcome},
            "promises_kept": sum(p.status is PromiseStatus.KEPT for p in judged),
            "promises_broken": sum(p.status is PromiseStatus.BROKEN for p in judged),
            "worked": len(worked), "recovered": figures.recovered}
