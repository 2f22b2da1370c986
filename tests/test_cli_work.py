"""The post-loan work commands end to end (``loanwatch sync``, ``alerts``, ``tasks``,
``collections``, ``actions``, ``inquiry``, ``retention``, ``store upgrade``) on a small
simulated lender run at two month ends and synced into the workspace's SQLite store, and one
sync into a throwaway PostgreSQL database that must count the same.

The workspace is shared by the module: each test works on records of its own (``Book``)."""

from __future__ import annotations

import datetime as dt
import json
import re
import struct
import zlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from loanwatch.cli import app
from loanwatch.services.store import STORE_URL_VARIABLE, open_store
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.run import simulate
from loanwatch.workflow.tasks import OPEN_WORK, TaskKind
from loanwatch.workspace import Workspace
from tests.batch.conftest import import_into, new_workspace, run
from tests.storage.conftest import _postgres_server, postgres_url  # noqa: F401  (fixtures, by name)

cli = CliRunner()
LENDER = SimConfig(loans=300, start=dt.date(2023, 1, 1), months=24, seed=19)
DAYS = ("2024-11-30", "2024-12-31")


def lw(*args: Any):
    return cli.invoke(app, [str(a) for a in args], catch_exceptions=False)


def counts(output: str) -> dict[str, int]:
    """The counts table ``loanwatch sync`` prints."""
    return {k: int(v) for k, v in re.findall(r"│ (\w+) +│ (\d+) +│", output)}


def one_error(result, code: int = 2) -> str:
    """The single ``error:`` line of a refused command (no traceback)."""
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    (line,) = [row for row in result.output.splitlines() if "error:" in row]
    return line


@dataclass(frozen=True)
class Book:
    ws: Workspace
    synced: tuple[Any, ...]  # the first sync of each of DAYS
    again: Any  # DAYS[-1] once more
    older: Any  # DAYS[0] after DAYS[-1]
    alerts: list[str]  # open alerts at version 1 after the syncs, by id
    tasks: dict[TaskKind, list[str]]  # planned tasks by kind, by id
    cases: list[str]  # open collection cases at version 1, by id

    def __call__(self, *args: Any):
        """``loanwatch ARGS -w WS``."""
        return lw(*args, "-w", self.ws.root)

    def store(self):
        return open_store(self.ws.root)


@pytest.fixture(scope="module", autouse=True)
def _no_outside_settings():
    with pytest.MonkeyPatch.context() as mp:
        for name in (STORE_URL_VARIABLE, "LOANWATCH_USER", "LOANWATCH_WORKSPACE"):
            mp.delenv(name, raising=False)
        yield


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Book:
    folder = tmp_path_factory.mktemp("work-lender")
    simulate(LENDER, folder, "parquet", None)
    ws = new_workspace(tmp_path_factory.mktemp("work-ws") / "ws")
    import_into(ws, folder, LENDER.end.isoformat())
    run(ws, *DAYS, marts=None)
    synced = tuple(lw("sync", "--as-of", d, "-w", ws.root) for d in DAYS)
    again = lw("sync", "--as-of", DAYS[-1], "-w", ws.root)
    older = lw("sync", "--as-of", DAYS[0], "-w", ws.root)
    store = open_store(ws.root)
    with store.session() as s:
        alerts = sorted(a.alert_id for a in s.alerts.list(status="open", limit=None) if a.version == 1)
        tasks: dict[TaskKind, list[str]] = {}
        for t in sorted(s.tasks.list(limit=None, status="planned"), key=lambda t: t.task_id):
            tasks.setdefault(t.kind, []).append(t.task_id)
        cases = sorted(c.case_id for c in s.cases.list(limit=None, status="open") if c.version == 1)
    store.close()
    return Book(ws, synced, again, older, alerts, tasks, cases)


# --- sync ---------------------------------------------------------------------------------

def test_sync_prints_what_it_did_and_a_second_sync_of_the_date_plans_nothing(book):
    first, second = (counts(r.output) for r in book.synced)
    assert all(r.exit_code == 0 for r in book.synced), [r.output for r in book.synced]
    assert first["alerts_opened"] > 0 and first["cases_opened"] > 0 and first["tasks_planned"] > 0
    assert second["alerts_changed"] + second["alerts_seen"] + second["alerts_opened"] > 0
    assert first["tasks_planned"] == sum(v for k, v in first.items()
                                         if k.startswith("tasks_planned_"))
    assert book.again.exit_code == 0, book.again.output
    again = counts(book.again.output)
    assert again and set(again.values()) == {0}
    assert "0 notices to people" in book.again.output


def test_syncing_an_older_date_is_refused(book):
    assert "the store reflects 2024-12-31 already; it cannot sync the older date 2024-11-30" in \
        one_error(book.older)


def test_syncing_a_date_the_marts_were_not_computed_for_is_refused(book):
    line = one_error(book("sync", "--as-of", "2025-01-31"))
    assert "not computed as of 2025-01-31" in line and "loanwatch run --as-of 2025-01-31" in line


def test_store_upgrade_prints_the_store_and_its_revision(book):
    result = book("store", "upgrade")
    assert result.exit_code == 0, result.output
    assert re.search(r"store sqlite:///\S+operations\.sqlite at revision 0\d+_\w+", result.output)


# --- alerts -------------------------------------------------------------------------------

def test_an_alert_is_acknowledged_started_and_closed_and_a_stale_close_conflicts(book):
    alert = book.alerts[0]
    listed = book("alerts", "list", "--status", "open", "--limit", "1000")
    assert listed.exit_code == 0 and alert in listed.output
    assert f"{alert}: acknowledged (version 2)" in book("alerts", "ack", alert, "--as", "li").output
    assert f"{alert}: in_progress (version 3)" in book("alerts", "start", alert, "--as", "li",
                                                       "--version", "2").output
    closed = book("alerts", "close", alert, "--disposition", "false_positive", "--comment",
                  "borrower paid the next day", "--as", "li", "--version", "3")
    assert closed.exit_code == 0 and f"{alert}: closed (version 4)" in closed.output
    stale = book("alerts", "close", alert, "--disposition", "resolved", "--comment", "me too",
                 "--as", "wang", "--version", "3")
    assert "you acted on version 3, it is at version 4 now; reload it" in one_error(stale)
    shown = book("alerts", "show", alert)
    assert shown.exit_code == 0
    for text in ("false_positive", "borrower paid the next day", "SLA due"):
        assert text in shown.output
    trail = [row.split("│")[3].strip() for row in shown.output.splitlines()
             if row.count("│") > 4 and re.match(r"│ \d{4}-", row)]
    assert trail == ["open", "acknowledge", "start_work", "close"]
    assert alert not in book("alerts", "list", "--status", "open", "--limit", "1000").output


def test_closing_an_alert_without_a_comment_is_a_clear_error(book):
    line = one_error(book("alerts", "close", book.alerts[1], "--disposition", "resolved"))
    assert "the comment closing an alert cannot be blank" in line
    line = one_error(book("alerts", "close", book.alerts[1], "--disposition", "done",
                          "--comment", "x"))
    assert "--disposition 'done' is not one of: resolved, false_positive, escalated" in line


def test_an_illegal_transition_and_a_missing_alert_are_clear_errors(book):
    line = one_error(book("alerts", "start", book.alerts[1], "--as", "li"))
    assert "an alert that is open cannot be started; acknowledge it first" in line
    assert "there is no alert NOPE" in one_error(book("alerts", "reopen", "NOPE", "--reason", "x"))


def test_comment_escalate_and_reopen(book):
    alert = book.alerts[2]
    assert book("alerts", "comment", alert, "--text", "called the borrower").exit_code == 0
    escalated = book("alerts", "escalate", alert, "--comment", "needs the risk committee")
    assert "closed (version 3)" in escalated.output and "RequestReview" in escalated.output
    assert "a reason to reopen cannot be blank" in one_error(book("alerts", "reopen", alert))
    assert "open (version 4)" in book("alerts", "reopen", alert, "--reason", "new facts").output


def test_alerts_are_assigned_in_bulk_and_each_failure_is_reported(book):
    a, b = book.alerts[3:5]
    result = book("alerts", "assign-bulk", a, "NOPE", b, "--to", "zhao", "--as", "boss")
    assert result.exit_code == 2
    assert "there is no alert NOPE" in result.output and "assigned 2 of 3 alerts to zhao" in result.output
    listed = book("alerts", "list", "--owner", "zhao")
    assert a in listed.output and b in listed.output and "2 alerts" in listed.output
    assert book("alerts", "assign-bulk", a, b, "--to", "qian").exit_code == 0


def test_alerts_list_filters(book):
    with book.store().session() as s:
        some = s.alerts.get(book.alerts[5])
        signal = [x.alert_id for x in s.alerts.list(limit=None, signal_id=some.signal_id)]
    listed = book("alerts", "list", "--signal", some.signal_id, "--limit", "1000")
    assert f"{len(signal)} alerts" in listed.output
    assert set(re.findall(r"│ (\S+:\S+) +│", listed.output)) == set(signal)
    assert "0 alerts" in book("alerts", "list", "--overdue-sla").output  # synced just now


# --- tasks --------------------------------------------------------------------------------

def _png(path: Path) -> Path:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))
    return path


def test_a_task_is_started_given_findings_and_files_and_completed(book, tmp_path):
    task = book.tasks[TaskKind.TRIGGERED_INSPECTION][0]
    folder = book.ws.root / "attachments" / task
    assert "a task that is planned cannot be given a finding; start it first" in one_error(
        book("tasks", "finding", task, "--text", "x"))
    assert "in_progress (version 2)" in book("tasks", "start", task, "--as", "li").output
    assert "version 3" in book("tasks", "finding", task, "--text", "factory idle", "--as", "li").output

    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ" + bytes(100))
    assert "tool.exe is application/" in one_error(book("tasks", "attach", task, exe))
    big = tmp_path / "scan.pdf"
    with big.open("wb") as f:
        f.truncate(21 * 1024 * 1024)
    assert "scan.pdf is 21.0 MB; the limit is 20.0 MB" in one_error(book("tasks", "attach", task, big))
    assert not folder.exists()
    photo = _png(tmp_path / "site.png")
    attached = book("tasks", "attach", task, photo, "--as", "li")
    assert attached.exit_code == 0 and "in_progress (version 4)" in attached.output
    assert (folder / "site.png").read_bytes() == photo.read_bytes()
    assert "site.png is attached already" in one_error(book("tasks", "attach", task, photo))

    missing = book("tasks", "complete", task, "--findings", "operations stopped", "--answer",
                   "signal=confirmed")
    assert "unanswered checklist items: cause" in one_error(missing)
    assert "expected KEY=VALUE" in one_error(book("tasks", "complete", task, "--answer", "cause"))
    done = book("tasks", "complete", task, "--findings", "operations stopped", "--answer",
                "signal=confirmed", "--answer", "cause=lost its main customer", "--as", "li")
    assert done.exit_code == 0 and "done (version 5)" in done.output
    shown = book("tasks", "show", task)
    for text in ("signal=confirmed; cause=lost its main customer", "factory idle", "image/png",
                 str(photo.stat().st_size), "record_finding", "attach", "complete"):
        assert text in shown.output


def test_tasks_list_and_overdue_counts(book):
    kind = TaskKind.PERIODIC_INSPECTION
    listed = book("tasks", "list", "--kind", kind.value, "--limit", "5")
    assert listed.exit_code == 0 and "5 tasks (--limit 5)" in listed.output
    assert book.tasks[kind][0] not in book("tasks", "list", "--status", "done").output
    on = dt.date(2024, 12, 8)
    with book.store().session() as s:
        open_tasks = s.tasks.list(limit=None, status=tuple(OPEN_WORK))
    late = Counter(t.branch_id or "—" for t in open_tasks if t.due_on < on)
    result = book("tasks", "overdue", "--by", "branch", "--on", on)
    assert result.exit_code == 0 and f"{sum(late.values()):,} overdue tasks" in result.output
    branch, n = late.most_common(1)[0]
    assert re.search(rf"│ {branch} +│ {n} +│", result.output)
    assert "--by 'desk' is not one of: owner, branch" in one_error(book("tasks", "overdue", "--by",
                                                                      "desk"))
    everything = book("tasks", "list", "--overdue", "--limit", "100000")
    assert "逾期 overdue" in everything.output


def test_a_task_is_reassigned_and_cancelled(book):
    task = book.tasks[TaskKind.PERIODIC_INSPECTION][0]
    assert "planned (version 2)" in book("tasks", "reassign", task, "--to", "sun").output
    assert "the reason to cancel a task cannot be blank" in one_error(book("tasks", "cancel", task))
    assert "cancelled (version 3)" in book("tasks", "cancel", task, "--reason", "loan repaid").output


# --- collections --------------------------------------------------------------------------

def test_the_collection_queue_puts_the_largest_expected_loss_first(book):
    result = book("collections", "queue", "--limit", "1000")
    assert result.exit_code == 0
    with book.store().session() as s:
        live = s.cases.list(limit=None, status=("open", "in_progress", "promised"))
    expected = [c.case_id for c in sorted(live, key=lambda c: (-c.expected_loss, -c.dpd, c.case_id))]
    assert re.findall(r"CC:\S+", result.output) == expected
    losses = [float(x.replace(",", "")) for x in re.findall(r"│ ([\d,]+\.\d\d) +│ [a-z]", result.output)]
    assert losses == sorted(losses, reverse=True) and len(losses) == len(expected)


def test_a_contact_and_a_promise_to_pay_show_in_the_case_and_the_figures(book):
    case = book.cases[0]
    due = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    assert "log a contact with the borrower first" in one_error(
        book("collections", "promise", case, "--amount", "1000", "--due", due))
    assert "--channel 'fax' is not one of" in one_error(
        book("collections", "contact", case, "--channel", "fax", "--result", "reached"))
    contacted = book("collections", "contact", case, "--channel", "call", "--result", "promised",
                     "--note", "pays on the 10th", "--as", "cui")
    assert "in_progress (version 2)" in contacted.output
    assert "is not an amount" in one_error(book("collections", "promise", case, "--amount", "lots",
                                                "--due", due))
    promised = book("collections", "promise", case, "--amount", "1,234.5", "--due", due, "--as", "cui")
    assert "promised (version 3)" in promised.output
    shown = book("collections", "show", case)
    for text in ("pays on the 10th", "1,234.50", due, "pending", "log_contact", "promise_to_pay"):
        assert text in shown.output
    queue = book("collections", "queue", "--limit", "1000").output
    assert re.search(rf"{re.escape(case)} .*│ promised +│ 1 +│", queue)
    figures = book("collections", "figures").output
    assert re.search(r"│ promises made +│ [1-9]", figures)
    assert re.search(r"│ recovered +│ [\d,]+\.\d\d +│", figures)


def test_a_case_is_closed_with_an_outcome_and_reopened(book):
    case = book.cases[1]
    assert "--outcome 'paid' is not one of: cured, settled" in one_error(
        book("collections", "close", case, "--outcome", "paid", "--comment", "x"))
    assert "closed (version 2)" in book("collections", "close", case, "--outcome", "settled",
                                        "--comment", "paid off").output
    assert "open (version 3)" in book("collections", "reopen", case, "--reason", "cheque bounced").output


# --- actions ------------------------------------------------------------------------------

def _proposed(book: Book, *args: str) -> str:
    result = book("actions", "propose", *args)
    assert result.exit_code == 0, result.output
    return re.search(r"A-[0-9a-f]{10}", result.output).group()


def test_an_action_needs_a_second_person_and_its_execution_goes_to_the_outbox(book):
    action = _proposed(book, "--kind", "freeze_line", "--customer", "C00000085", "--loan", "L00000099",
                       "--reason", "downgraded to substandard", "--detail", "amount=50000",
                       "--as", "li")
    assert "cannot check it too" in one_error(book("actions", "approve", action, "--as", "li"))
    assert "a checker must approve it first" in one_error(book("actions", "execute", action,
                                                               "--as", "li"))
    assert "approved (version 2)" in book("actions", "approve", action, "--as", "wang").output
    executed = book("actions", "execute", action, "--as", "wang")
    assert executed.exit_code == 0 and "executed (version 3)" in executed.output
    assert "instruction: FreezeLine customer_id=C00000085, loan_id=L00000099" in executed.output
    lines = (book.ws.root / "outbox" / "instructions.jsonl").read_text(encoding="utf-8").splitlines()
    sent = [json.loads(line) for line in lines if action in line]
    assert sent == [{"instruction": "FreezeLine", "action_id": action, "by": "wang",
                     "at": sent[0]["at"], "customer_id": "C00000085", "loan_id": "L00000099"}]
    listed = book("actions", "list", "--status", "executed")
    assert action in listed.output and "freeze_line" in listed.output


def test_rejecting_an_action_needs_a_comment_and_bad_proposals_are_refused(book):
    action = _proposed(book, "--kind", "early_recall", "--customer", "C1", "--loan", "L1",
                       "--reason", "fraud suspected", "--as", "li")
    assert "the comment rejecting an action cannot be blank" in one_error(
        book("actions", "reject", action, "--as", "wang"))
    assert "rejected (version 2)" in book("actions", "reject", action, "--comment", "no evidence",
                                          "--as", "wang").output
    assert "an action of kind write_off needs a loan" in one_error(
        book("actions", "propose", "--kind", "write_off", "--customer", "C1", "--reason", "x"))
    assert "--kind 'seize' is not one of: reminder, freeze_line" in one_error(
        book("actions", "propose", "--kind", "seize", "--customer", "C1", "--reason", "x"))
    assert "the reason for an action cannot be blank" in one_error(
        book("actions", "propose", "--kind", "reminder", "--customer", "C1"))


# --- bureau inquiries and retention -------------------------------------------------------

def test_an_inquiry_without_authorisation_is_refused(book):
    line = one_error(book("inquiry", "request", "--customer", "C00000085", "--as", "li"))
    assert "customer C00000085 has no signed authorisation on record" in line
    assert "gives the reason '贷后管理', not 'marketing'" in one_error(
        book("inquiry", "request", "--customer", "C00000085", "--authorisation", "AUTH-1",
             "--reason", "marketing"))
    asked = book("inquiry", "request", "--customer", "C00000085", "--authorisation", "AUTH-1",
                 "--as", "li")
    inquiry = re.search(r"Q-[0-9a-f]{10}", asked.output).group()
    assert "instruction: QueryBureau" in asked.output
    listed = book("inquiry", "list", "--customer", "C00000085")
    assert inquiry in listed.output and "AUTH-1" in listed.output


def test_retention_purges_old_inquiries_and_audits_it(book):
    asked = book("inquiry", "request", "--customer", "C00000007", "--authorisation", "AUTH-7",
                 "--as", "li")
    inquiry = re.search(r"Q-[0-9a-f]{10}", asked.output).group()
    kept = book("retention", "--today", (dt.date.today() + dt.timedelta(days=730)).isoformat())
    assert kept.exit_code == 0 and inquiry not in kept.output
    purged = book("retention", "--today", "2100-01-01")
    assert purged.exit_code == 0 and inquiry in purged.output
    assert "kept more than 730 days" in purged.output
    with book.store().session() as s:
        assert s.inquiries.get(inquiry) is None
        trail = s.audit.for_entity("bureau_inquiry", inquiry)
    assert [(r.actor, r.action) for r in trail] == [("li", "request"), ("retention", "purge")]
    assert inquiry not in book("inquiry", "list").output


# --- PostgreSQL ---------------------------------------------------------------------------

@pytest.fixture
def throwaway_postgres(request: pytest.FixtureRequest) -> str:
    """An empty PostgreSQL database of its own (``tests/storage/conftest.py``), dropped after."""
    return request.getfixturevalue("postgres_url")


def test_the_sync_into_postgresql_counts_the_same(book, throwaway_postgres):
    url = sa.make_url(throwaway_postgres)
    if url.password is None:  # a trusted server ignores it; the output must not show it
        url = url.set(password="s3cret")
    shown = url.render_as_string(hide_password=False)
    for day, on_sqlite in zip(DAYS, book.synced, strict=True):
        result = book("sync", "--as-of", day, "--store-url", shown)
        assert result.exit_code == 0, result.output
        assert counts(result.output) == counts(on_sqlite.output)
    upgraded = book("store", "upgrade", "--store-url", shown)
    assert upgraded.exit_code == 0 and "postgresql+psycopg://" in upgraded.output
    assert url.password not in upgraded.output and ":***@" in upgraded.output
    assert "cannot sync the older date" in one_error(book("sync", "--as-of", DAYS[0],
                                                          "--store-url", shown))
