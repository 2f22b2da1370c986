"""The sync after each run (ARCHITECTURE.md: marts + alerts ──sync──▶ operational store): for
an as-of date D, bring the engine's findings into the workflow, in one unit of work.

1. **Alerts.** Each alert of the ``alerts`` mart open at D is a ``Fired`` event for the store's
   alert of that signal and subject (one per signal and subject, ever: when a condition
   returns after closure the same alert reopens); each store alert not firing at D gets
   ``ConditionCleared``. New alerts go to the loan's (else the borrower's) customer manager.
2. **Collections.** Each loan past due at D has a live collection case (催收): opened when it
   first falls due, refreshed with the day's DPD, bucket, amounts, money received and
   expected loss (balance × model PD, else the bucket weight), and cured when current again.
3. **Tasks.** ``workflow.schedules.plan_tasks`` with the book at D and the alerts that call
   for an inspection.

Syncing a date older than the newest synced one is refused (the store would move back in
time); syncing the same date again changes nothing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from loanwatch.engines.duckdb import in_force_sql
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import Action, FiveClass, Severity
from loanwatch.services.store import Repositories, Store
from loanwatch.storage.records import AtLeast
from loanwatch.workflow import alerts as wa
from loanwatch.workflow import collection_queue as wq
from loanwatch.workflow import collections as wc
from loanwatch.workflow import tasks as wt
from loanwatch.workflow.audit import WriteAudit
from loanwatch.workflow.errors import WorkflowError
from loanwatch.workflow.schedules import (
    Borrower,
    Frequencies,
    Known,
    NewLoan,
    Trigger,
    plan_tasks,
)
from loanwatch.workflow.tasks import TaskKind

UNASSIGNED = "unassigned"


class OutOfOrder(WorkflowError):
    """A date older than the newest the store reflects."""


@dataclass
class SyncResult:
    as_of: dt.date
    counts: Counter[str] = field(default_factory=Counter)
    notices: int = 0


def owner_of(manager_id: str | None, branch_id: str | None, queue: str = "branch") -> str:
    """Who gets new work: the customer manager, else the branch's queue."""
    if manager_id:
        return manager_id
    return f"{queue}:{branch_id}" if branch_id else UNASSIGNED


# --- what the marts say at D --------------------------------------------------------------

def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def _has(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                            [table]).fetchone()[0])


def read_firings(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[dict]:
    return _rows(con, f"""
        SELECT a.alert_id, a.signal_id, a.customer_id, a.loan_id, a.status, a.severity,
               a.evidence, a.actions, coalesce(l.manager_id, c.manager_id) AS manager_id,
               coalesce(l.branch_id, c.branch_id) AS branch_id
        FROM alerts a
        LEFT JOIN {in_force_sql('loans', as_of)} l ON l.loan_id = a.loan_id
        LEFT JOIN {in_force_sql('customers', as_of)} c ON c.customer_id = a.customer_id
        WHERE a.as_of = ? AND a.status = 'open'""", [as_of])


def _pd_join(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    if _has(con, "scores"):
        return ("sc.pd_12m", "LEFT JOIN scores sc ON sc.customer_id = k.customer_id "
                             "AND sc.as_of = k.as_of")
    return "NULL::DECIMAL(9,6)", ""


def read_delinquent(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                    since: dt.date) -> list[dict]:
    """Loans past due at D with their figures and money received in (since, D]."""
    pd, join = _pd_join(con)
    return _rows(con, f"""
        WITH paid AS (
            SELECT loan_id, sum(amount) AS paid FROM {in_force_sql('repayments', as_of)}
            WHERE paid_on > ? AND paid_on <= ? GROUP BY loan_id)
        SELECT k.loan_id, k.customer_id, k.dpd, s.bucket, k.outstanding_principal,
               k.overdue_principal + k.overdue_interest + k.overdue_fee AS overdue_amount,
               {pd} AS pd, k.branch_id, coalesce(p.paid, 0) AS paid
        FROM classification k
        JOIN loan_snapshot s ON s.loan_id = k.loan_id AND s.as_of = k.as_of
        LEFT JOIN paid p ON p.loan_id = k.loan_id
        {join}
        WHERE k.as_of = ? AND k.dpd > 0""", [since, as_of, as_of])


def read_paid(con: duckdb.DuckDBPyConnection, as_of: dt.date, since: dt.date,
              loan_ids: Sequence[str]) -> dict[str, Decimal]:
    if not loan_ids:
        return {}
    con.execute("CREATE OR REPLACE TEMP TABLE lw_sync_loans (loan_id VARCHAR)")
    con.executemany("INSERT INTO lw_sync_loans VALUES (?)", [[i] for i in loan_ids])
    rows = con.execute(f"""
        SELECT r.loan_id, sum(r.amount) FROM {in_force_sql('repayments', as_of)} r
        JOIN lw_sync_loans USING (loan_id) WHERE paid_on > ? AND paid_on <= ?
        GROUP BY r.loan_id""", [since, as_of]).fetchall()
    return dict(rows)


def read_borrowers(con: duckdb.DuckDBPyConnection, as_of: dt.date,
                   types: Sequence[str]) -> list[Borrower]:
    if not types:
        return []
    ranks = ", ".join(f"'{c.value}'" for c in FiveClass)
    rows = con.execute(f"""
        SELECT k.customer_id, any_value(c.customer_type), any_value(coalesce(c.manager_id,
               k.manager_id)), any_value(coalesce(c.branch_id, k.branch_id)),
               sum(k.outstanding_principal), max(list_position([{ranks}], k.five_class))
        FROM classification k
        JOIN {in_force_sql('customers', as_of)} c ON c.customer_id = k.customer_id
        WHERE k.as_of = ? AND k.status = 'active'
          AND c.customer_type IN ({", ".join("?" for _ in types)})
        GROUP BY k.customer_id""", [as_of, *types]).fetchall()
    classes = list(FiveClass)
    return [Borrower(customer_id=r[0], customer_type=r[1], owner=owner_of(r[2], r[3]),
                     branch_id=r[3], balance=r[4], worst_class=classes[r[5] - 1])
            for r in rows]


def read_new_loans(con: duckdb.DuckDBPyConnection, as_of: dt.date, days: int) -> list[NewLoan]:
    rows = con.execute(f"""
        SELECT l.loan_id, l.customer_id, c.customer_type, coalesce(l.manager_id, c.manager_id),
               coalesce(l.branch_id, c.branch_id), l.disbursed_on, l.principal
        FROM {in_force_sql('loans', as_of)} l
        JOIN {in_force_sql('customers', as_of)} c ON c.customer_id = l.customer_id
        WHERE l.disbursed_on > ? AND l.disbursed_on <= ?""",
                       [as_of - dt.timedelta(days=days), as_of]).fetchall()
    return [NewLoan(loan_id=r[0], customer_id=r[1], customer_type=r[2], owner=owner_of(r[3], r[4]),
                    branch_id=r[4], disbursed_on=r[5], amount=r[6]) for r in rows]


# --- the three syncs ----------------------------------------------------------------------

def _fired(row: dict, as_of: dt.date, at: dt.datetime, alert_id: str) -> wa.Fired:
    return wa.Fired(alert_id=alert_id, signal_id=row["signal_id"], customer_id=row["customer_id"],
                    loan_id=row["loan_id"], manager_id=owner_of(row["manager_id"], row["branch_id"]),
                    branch_id=row["branch_id"], as_of=as_of, at=at,
                    severity=Severity(row["severity"]), evidence=row["evidence"],
                    actions=tuple(Action(a) for a in row["actions"] or ()))


class _Writes:
    """What a sync writes, gathered so that each table is written in bulk."""

    def __init__(self) -> None:
        self.new: list[Any] = []
        self.changed: list[tuple[Any, int]] = []
        self.touched: list[Any] = []
        self.audit: list[WriteAudit] = []
        self.effects: list[Any] = []

    def take(self, before: Any, after: Any, effects: tuple[Any, ...]) -> None:
        self.audit += [e for e in effects if isinstance(e, WriteAudit)]
        self.effects += [e for e in effects if not isinstance(e, WriteAudit)]
        if before is None:
            self.new.append(after)
        elif after.version != before.version:
            self.changed.append((after, before.version))
        elif after != before:
            self.touched.append(after)


def sync_alerts(s: Repositories, firings: list[dict], as_of: dt.date, at: dt.datetime,
                result: SyncResult) -> list[Trigger]:
    by_key = {(sig, cust, loan): (alert_id, cleared_on, last_seen)
              for alert_id, sig, cust, loan, cleared_on, last_seen in s.alerts.tuples(
                  "alert_id", "signal_id", "customer_id", "loan_id", "cleared_on", "last_seen_on")}
    firing_keys = {(f["signal_id"], f["customer_id"], f["loan_id"]) for f in firings}
    needed = [by_key[k][0] for k in firing_keys if k in by_key]
    cleared = [r[0] for k, r in by_key.items() if k not in firing_keys
               and r[1] is None and r[2] < as_of]
    stored = s.alerts.get_many(needed + cleared)
    w = _Writes()
    for f in firings:
        known = by_key.get((f["signal_id"], f["customer_id"], f["loan_id"]))
        before = stored[known[0]] if known else None
        event = _fired(f, as_of, at, before.alert_id if before else f["alert_id"])
        after, effects = wa.transition(before, event)
        w.take(before, after, effects)
    for alert_id in cleared:
        before = stored[alert_id]
        after, effects = wa.transition(before, wa.ConditionCleared(as_of=as_of, at=at))
        w.take(before, after, effects)
    s.alerts.add_many(w.new)
    conflicts = s.alerts.save_many(w.changed)
    s.alerts.touch_many([a.alert_id for a in w.touched], last_seen_on=as_of)
    s.audit.append_many([r for r in w.audit if r.entity_id not in set(conflicts)])
    result.counts.update({"alerts_opened": len(w.new), "alerts_changed": len(w.changed),
                          "alerts_seen": len(w.touched), "alerts_conflicts": len(conflicts)})
    result.notices += sum(isinstance(e, wa.NotifyOwner) for e in w.effects)
    owners = {a.alert_id: (a.owner, a.branch_id) for a in (*w.new, *(c for c, _ in w.changed))}
    return [Trigger(alert_id=e.alert_id, customer_id=e.customer_id, loan_id=e.loan_id,
                    owner=owners[e.alert_id][0], branch_id=owners[e.alert_id][1])
            for e in w.effects if isinstance(e, wa.OpenTriggeredInspection)
            and e.alert_id not in conflicts]


def _figures(row: dict, buckets: Sequence[str], policy: Policy) -> dict[str, Any]:
    rules = policy.workflow.collections
    return dict(bucket=row["bucket"], dpd=row["dpd"], overdue_amount=row["overdue_amount"],
                outstanding=row["outstanding_principal"],
                expected_loss=wq.expected_loss(row["outstanding_principal"], row["pd"],
                                               row["bucket"], rules),
                strategy=wq.strategy_for(row["bucket"], buckets, rules))


def sync_collections(s: Repositories, con: duckdb.DuckDBPyConnection, as_of: dt.date,
                     since: dt.date, at: dt.datetime, policy: Policy, result: SyncResult) -> None:
    rules, buckets = policy.workflow.collections, [b.name for b in policy.buckets]
    # a loan's newest live case (a person may have reopened an older one)
    live = {c.loan_id: c for c in sorted(s.cases.list(limit=None, status=tuple(wc.LIVE)),
                                         key=lambda c: c.opened_on)}
    delinquent = read_delinquent(con, as_of, since)
    # cases opened today already and closed by a person since: a re-sync leaves them be
    taken = s.cases.get_many([f"CC:{r['loan_id']}:{as_of.isoformat()}" for r in delinquent
                              if r["loan_id"] not in live])
    w = _Writes()
    for row in delinquent:
        before = live.pop(row["loan_id"], None)
        if before is None and f"CC:{row['loan_id']}:{as_of.isoformat()}" in taken:
            continue
        if before is None:
            event: Any = wc.OpenCase(
                case_id=f"CC:{row['loan_id']}:{as_of.isoformat()}", loan_id=row["loan_id"],
                customer_id=row["customer_id"], owner=owner_of(None, row["branch_id"],
                                                               "collections"),
                as_of=as_of, at=at, **_figures(row, buckets, policy))
        else:
            event = wc.Delinquency(as_of=as_of, at=at, paid_since_last=row["paid"],
                                   **_figures(row, buckets, policy))
        after, effects = wc.transition(before, event, policy=rules)
        w.take(before, after, effects)
    paid = read_paid(con, as_of, since, list(live))
    for loan_id, before in live.items():  # past due no more
        event = wc.Cured(as_of=as_of, at=at, paid_since_last=paid.get(loan_id, Decimal(0)))
        after, effects = wc.transition(before, event, policy=rules)
        w.take(before, after, effects)
    s.cases.add_many(w.new)
    conflicts = set(s.cases.save_many([*w.changed, *((t, t.version) for t in w.touched)]))
    s.audit.append_many([r for r in w.audit if r.entity_id not in conflicts])
    result.counts.update({"cases_opened": len(w.new), "cases_changed": len(w.changed),
                          "cases_refreshed": len(w.touched), "cases_conflicts": len(conflicts)})
    result.notices += sum(isinstance(e, wc.NotifyCollector) for e in w.effects)


def frequencies(policy: Policy) -> Frequencies:
    every = policy.inspections
    return Frequencies(
        first_within_days=every.first_within_days,
        periodic_by_class={c: getattr(every.periodic_every_days, c.value) for c in FiveClass},
        debt_confirmation_days=every.debt_confirmation_every_days,
        rating_refresh_days=every.rating_refresh_every_days,
        classification_materials_days=policy.workflow.schedules.classification_materials_days,
        triggered_inspection_days=policy.workflow.schedules.triggered_inspection_days)


def _scopes(policy: Policy) -> dict[TaskKind, Any]:
    rules = policy.workflow.schedules
    return {k: getattr(rules, k.value) for k in TaskKind if hasattr(rules, k.value)}


def _known_tasks(s: Repositories, as_of: dt.date, policy: Policy) -> list[Known]:
    """The tasks the plan must know, not the whole history: the open ones, those due from a
    month ago (today's ids are made from due dates at most that old), and those finished
    within the longest period (the next one counts from them)."""
    kinds, statuses = {k.value: k for k in TaskKind}, {t.value: t for t in wt.TaskStatus}
    every = frequencies(policy)
    longest = max(*every.periodic_by_class.values(), every.debt_confirmation_days,
                  every.rating_refresh_days)
    columns = ("task_id", "kind", "customer_id", "loan_id", "status", "due_on", "finished_at")
    found: dict[str, tuple] = {}
    for where in ({"status": tuple(wt.OPEN_WORK)},
                  {"due_on": AtLeast(as_of - dt.timedelta(days=31))},
                  {"finished_at": AtLeast(dt.datetime.combine(
                      as_of - dt.timedelta(days=longest), dt.time()))}):
        found.update((r[0], r) for r in s.tasks.tuples(*columns, **where))
    return [Known(task_id=i, kind=kinds[k], customer_id=c, loan_id=lo, status=statuses[st],
                  due_on=due, finished_on=done.date() if done else None)
            for i, k, c, lo, st, due, done in found.values()]


def sync_tasks(s: Repositories, con: duckdb.DuckDBPyConnection, as_of: dt.date, at: dt.datetime,
               policy: Policy, triggers: list[Trigger], result: SyncResult) -> None:
    scopes = _scopes(policy)
    types = sorted({t.value for k, sc in scopes.items() if k is not TaskKind.FIRST_INSPECTION
                    for t in sc.customer_types})
    known = _known_tasks(s, as_of, policy)
    plans = plan_tasks(as_of, at, read_borrowers(con, as_of, types),
                       read_new_loans(con, as_of, policy.inspections.first_within_days),
                       triggers, known, frequencies(policy), scopes)
    created: list[WriteAudit] = []

    def planned() -> Iterator[wt.Task]:
        """Each plan's task, its creation's audit row kept: the store takes each task in as
        it is made (the database works while the next ones are)."""
        for plan in plans:
            task, effects = wt.transition(None, plan)
            created.append(next(e for e in effects if isinstance(e, WriteAudit)))
            yield task

    # ``zip`` takes a task, then its body: the audit row just made holds it
    s.tasks.add_many(planned(), bodies=(created[i].after for i in range(len(plans))))
    s.audit.append_many(created)
    result.counts.update(f"tasks_planned_{p.kind.value}" for p in plans)
    result.counts["tasks_planned"] += len(plans)
    result.notices += len(plans)


@contextlib.contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """The sync makes millions of short-lived, acyclic objects (events, records, rows): the
    cycle collector would walk every live object again and again as they pile up (on a 1M-loan
    book it took more than half the time). Reference counting frees them all the same."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def sync_day(store: Store, con: duckdb.DuckDBPyConnection, as_of: dt.date, policy: Policy,
             at: dt.datetime) -> SyncResult:
    """Bring D's alerts, collection cases and tasks into the store (module docstring)."""
    result = SyncResult(as_of)
    with _without_cycle_collection(), store.session() as s:
        latest = s.syncs.latest()
        if latest is not None and as_of < latest:
            raise OutOfOrder(f"the store reflects {latest.isoformat()} already; it cannot sync "
                             f"the older date {as_of.isoformat()}")
        since = latest if latest is not None and latest < as_of else as_of - dt.timedelta(days=1)
        triggers = sync_alerts(s, read_firings(con, as_of), as_of, at, result)
        sync_collections(s, con, as_of, since, at, policy, result)
        sync_tasks(s, con, as_of, at, policy, triggers, result)
        # a date synced again keeps what its first sync did, plus what this one did
        s.syncs.record(as_of, at, dict(Counter(s.syncs.counts(as_of) or {}) + result.counts))
    return result

