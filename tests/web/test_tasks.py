"""Post-loan tasks (贷后任务): my tasks and my team's match the store, overdue counts and the
calendar count what is due, a task is worked through its lifecycle by form and by API, and
attachments are stored only when the policy allows them."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient

from loanwatch.services.queues import CALENDAR_KINDS
from loanwatch.services.scope import rows
from loanwatch.workflow.tasks import OPEN_WORK, Task, TaskKind
from loanwatch.workspace import Workspace
from tests.web.conftest import NOW, bearer, log_in, message_of

TODAY = NOW.date()


def png() -> bytes:
    """A real one-pixel PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))


def store_tasks(client: TestClient, **where: Any) -> list[Task]:
    with client.app.state.lw.store.session() as s:
        return s.tasks.list(limit=None, **where)


def open_tasks(client: TestClient, **where: Any) -> list[Task]:
    return store_tasks(client, status=tuple(OPEN_WORK), **where)


def query(root: Path, sql: str, params: list[Any] | tuple = ()) -> list[dict]:
    with Workspace(root).connect(read_only=True) as con:
        return rows(con, sql, params)


def user(client: TestClient, user_id: str) -> Any:
    with client.app.state.lw.store.session() as s:
        return s.users.get(user_id)


def branch_customers(root: Path, branch: str) -> set[str]:
    return {r["customer_id"] for r in query(root, """
        SELECT customer_id FROM customers WHERE _valid_to IS NULL AND branch_id = ?
        UNION SELECT customer_id FROM loans WHERE _valid_to IS NULL AND branch_id = ?""",
        [branch, branch])}


def mgr_task(client: TestClient, kind: TaskKind = TaskKind.FIRST_INSPECTION) -> Task:
    code = user(client, "mgr").manager_id
    found = open_tasks(client, owner=code, kind=kind) or open_tasks(client, owner=code)
    return found[0]


def api(client: TestClient, url: str, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    r = client.get(url, headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


def conforms(client: TestClient, path: str, method: str, response: Any) -> None:
    """The response matches what the published OpenAPI schema declares for it."""
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", client.app)
    schema[path][method].validate_response(response)


def attachments_of(client: TestClient, task_id: str) -> list[str]:
    folder = client.app.state.lw.workspace.root / "attachments" / task_id
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


# --- lists ----------------------------------------------------------------------------------

def test_my_tasks_are_the_ones_i_own(book_client: TestClient):
    code = user(book_client, "mgr").manager_id
    page = api(book_client, "/api/tasks", bearer(book_client, "mgr"), limit=500)
    expected = open_tasks(book_client, owner=("mgr", code))
    assert page["total"] == len(expected) == len(page["items"]) > 0
    assert {t["owner"] for t in page["items"]} == {code}
    dues = [t["due_on"] for t in page["items"]]
    assert dues == sorted(dues)
    assert api(book_client, "/api/tasks", bearer(book_client, "other"))["total"] == 0


def test_the_team_tab_of_a_branch_head(book_client: TestClient, book_ws: Path):
    branch = user(book_client, "head").branch_id
    page = api(book_client, "/api/tasks", bearer(book_client, "head"), tab="team", limit=500)
    customers = branch_customers(book_ws, branch)
    expected = {t.task_id for t in open_tasks(book_client)
                if t.branch_id == branch or t.customer_id in customers}
    assert {t["task_id"] for t in page["items"]} == expected
    assert {t.task_id for t in open_tasks(book_client, branch_id=branch)} <= expected
    assert api(book_client, "/api/tasks", bearer(book_client, "head"))["total"] == 0  # owns none


@pytest.mark.parametrize("params, where", [
    ({"kind": "debt_confirmation"}, {"kind": "debt_confirmation",
                                     "status": ("planned", "in_progress")}),
    ({"status": "all"}, {}),
    ({"status": "done"}, {"status": "done"}),
    ({"branch": "B001"}, {"branch_id": "B001", "status": ("planned", "in_progress")}),
])
def test_each_filter_keeps_what_the_store_counts(book_client: TestClient,
                                                 params: dict[str, str], where: dict[str, Any]):
    page = api(book_client, "/api/tasks", bearer(book_client, "risk"), tab="team", **params)
    with book_client.app.state.lw.store.session() as s:
        assert page["total"] == s.tasks.count(**where)


def test_overdue_tasks_by_owner_and_branch(book_client: TestClient, clock):
    clock.now = dt.datetime(2024, 12, 1, 9)  # the book's tasks fall due around then
    headers = bearer(book_client, "risk")
    late = [t for t in open_tasks(book_client) if t.due_on < clock.now.date()]
    counts = api(book_client, "/api/tasks/overdue", headers)
    assert 0 < counts["total"] == len(late) < len(open_tasks(book_client))
    assert {r["key"]: r["count"] for r in counts["by_owner"]} == Counter(t.owner for t in late)
    assert {r["key"]: r["count"] for r in counts["by_branch"]} == Counter(t.branch_id for t in late)
    listed = api(book_client, "/api/tasks", headers, tab="team", overdue="true", limit=500)
    assert listed["total"] == len(late) and all(t["overdue"] for t in listed["items"])
    assert listed["overdue_by_branch"] == counts["by_branch"]


def test_the_calendar_shows_the_visits_due_in_eight_weeks(book_client: TestClient):
    start = dt.date(2024, 11, 25)  # a Monday
    response = book_client.get("/api/tasks/calendar", headers=bearer(book_client, "risk"),
                               params={"start": start.isoformat()})
    conforms(book_client, "/api/tasks/calendar", "GET", response)
    cal = response.json()
    end = start + dt.timedelta(weeks=8)
    expected = [t for t in open_tasks(book_client, kind=CALENDAR_KINDS) if start <= t.due_on < end]
    assert cal["total"] == len(expected) > 0 and cal["end"] == end.isoformat()
    assert len(cal["weeks"]) == 8 and all(len(w) == 7 for w in cal["weeks"])
    placed = {t["task_id"]: d["day"] for w in cal["weeks"] for d in w for t in d["tasks"]}
    assert placed == {t.task_id: t.due_on.isoformat() for t in expected}
    assert api(book_client, "/api/tasks/calendar", bearer(book_client, "risk"))["start"] == (
        TODAY.isoformat())


def test_the_console_task_pages(book_client: TestClient):
    task = mgr_task(book_client)
    log_in(book_client, "mgr")
    mine = book_client.get("/tasks")
    assert mine.status_code == 200 and "我的任务" in mine.text
    assert re.search(r'data-testid="task-total">(\d+)<', mine.text).group(1) == str(
        len(open_tasks(book_client, owner=("mgr", task.owner))))
    assert f'href="/tasks/{task.task_id}"' in mine.text.replace("%3A", ":")
    page = book_client.get(f"/tasks/{task.task_id}")
    assert page.status_code == 200
    assert all(item.question in page.text for item in task.checklist)
    assert 'value="start"' in page.text and 'enctype="multipart/form-data"' in page.text
    cal = book_client.get("/tasks/calendar?start=2024-11-25")
    assert cal.status_code == 200 and 'data-day="2024-12-07"' in cal.text
    assert book_client.get("/tasks?kind=bogus").status_code == 422
    assert book_client.get("/tasks/NO:SUCH").status_code == 404


def test_tasks_outside_the_slice_do_not_exist(book_client: TestClient):
    task = mgr_task(book_client)
    other = bearer(book_client, "other")
    assert book_client.get(f"/api/tasks/{task.task_id}", headers=other).status_code == 404
    r = book_client.post(f"/api/tasks/{task.task_id}/events", headers=other,
                         json={"event": "start", "version": task.version})
    assert r.status_code == 404 and message_of(r) == f"there is no task {task.task_id}"
    view = bearer(book_client, "view")
    assert book_client.post(f"/api/tasks/{task.task_id}/events", headers=view,
                            json={"event": "start", "version": task.version}).status_code == 403


# --- working a task -------------------------------------------------------------------------

def test_a_task_worked_through_the_api(fresh_book: TestClient):
    task = mgr_task(fresh_book)
    headers = bearer(fresh_book, "mgr")
    url = f"/api/tasks/{task.task_id}/events"

    def send(**body: Any) -> Any:
        return fresh_book.post(url, headers=headers, json=body)

    v = task.version
    early = send(event="finding", version=v, text="现场正常")
    assert early.status_code == 409 and "start it first" in message_of(early)
    assert send(event="start", version=v).json()["task"]["status"] == "in_progress"
    assert send(event="finding", version=v, text="x").status_code == 409  # stale
    assert send(event="finding", version=v + 1, text=" ").status_code == 422
    assert send(event="finding", version=v + 1, text="经营正常，库存充足").status_code == 200
    answers = {i.key: "符合" for i in task.checklist if i.required}
    short = dict(list(answers.items())[1:])
    missing = send(event="complete", version=v + 2, text="正常", answers=short)
    assert missing.status_code == 422 and "unanswered checklist items" in message_of(missing)
    unknown = send(event="complete", version=v + 2, text="正常", answers={**answers, "zzz": "y"})
    assert unknown.status_code == 422 and "zzz" in message_of(unknown)
    done = send(event="complete", version=v + 2, text="贷后检查正常", answers=answers)
    assert done.status_code == 200
    conforms(fresh_book, "/api/tasks/{task_id}/events", "POST", done)
    body = done.json()["task"]
    assert (body["status"], body["conclusion"], body["answers"]) == ("done", "贷后检查正常", answers)
    assert [f["text"] for f in body["findings"]] == ["经营正常，库存充足"]
    assert send(event="cancel", version=v + 3, text="重复").status_code == 409
    trail = api(fresh_book, f"/api/tasks/{task.task_id}", headers)["trail"]
    assert [r["action"] for r in trail] == ["plan", "start", "record_finding", "complete"]


def test_a_task_worked_through_the_console(fresh_book: TestClient):
    task = mgr_task(fresh_book)
    token = log_in(fresh_book, "mgr")
    url = f"/tasks/{task.task_id}/events"
    form = {"csrf_token": token}
    r = fresh_book.post(url, data={**form, "event": "start", "version": task.version})
    assert r.status_code == 303 and r.headers["location"].endswith("?done=start")
    answers = {f"answer.{i.key}": "已核实" for i in task.checklist}
    assert fresh_book.post(url, data={**form, "event": "complete", "version": task.version + 1,
                                      "text": ""}).status_code == 422
    done = fresh_book.post(url, data={**form, **answers, "event": "complete",
                                      "version": task.version + 1, "text": "用途合规"})
    assert done.status_code == 303
    (after,) = store_tasks(fresh_book, task_id=task.task_id)
    assert (after.status, after.conclusion) == ("done", "用途合规")
    assert dict(after.answers) == {i.key: "已核实" for i in task.checklist}
    page = fresh_book.get(done.headers["location"]).text
    assert "用途合规" in page and 'value="complete"' not in page


def test_cancelling_and_reassigning(fresh_book: TestClient):
    first, second = open_tasks(fresh_book, owner=user(fresh_book, "mgr").manager_id)[:2]
    headers = bearer(fresh_book, "mgr")
    blank = fresh_book.post(f"/api/tasks/{first.task_id}/events", headers=headers,
                            json={"event": "cancel", "version": first.version, "text": ""})
    assert blank.status_code == 422
    cancelled = fresh_book.post(f"/api/tasks/{first.task_id}/events", headers=headers,
                                json={"event": "cancel", "version": first.version,
                                      "text": "贷款已结清"}).json()["task"]
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "贷款已结清")
    moved = fresh_book.post(f"/api/tasks/{second.task_id}/events", headers=headers,
                            json={"event": "reassign", "version": second.version, "to": "other"})
    assert moved.json()["task"]["owner"] == "other"
    mine = api(fresh_book, "/api/tasks", headers, limit=500)
    assert second.task_id not in {t["task_id"] for t in mine["items"]}
    theirs = api(fresh_book, "/api/tasks", bearer(fresh_book, "other"))
    assert [t["task_id"] for t in theirs["items"]] == [second.task_id]


# --- attachments ----------------------------------------------------------------------------

def test_an_attachment_is_stored_and_served(fresh_book: TestClient):
    task = mgr_task(fresh_book)
    token = log_in(fresh_book, "mgr")
    data = png()
    r = fresh_book.post(f"/tasks/{task.task_id}/attachments",
                        data={"csrf_token": token, "version": task.version},
                        files={"file": ("现场照片.png", data, "image/png")})
    assert r.status_code == 303, r.text
    root = fresh_book.app.state.lw.workspace.root
    assert (root / "attachments" / task.task_id / "现场照片.png").read_bytes() == data
    assert attachments_of(fresh_book, task.task_id) == ["现场照片.png"]
    (after,) = store_tasks(fresh_book, task_id=task.task_id)
    assert [(a.name, a.size, a.content_type, a.by) for a in after.attachments] == [
        ("现场照片.png", len(data), "image/png", "mgr")]
    assert "现场照片.png" in fresh_book.get(f"/tasks/{task.task_id}").text
    got = fresh_book.get(f"/tasks/{task.task_id}/attachments/现场照片.png")
    assert (got.status_code, got.content, got.headers["content-type"]) == (200, data, "image/png")
    assert got.headers["x-content-type-options"] == "nosniff"
    by_api = fresh_book.get(f"/api/tasks/{task.task_id}/attachments/现场照片.png",
                            headers=bearer(fresh_book, "audit"))
    assert by_api.content == data
    detail = fresh_book.get(f"/api/tasks/{task.task_id}", headers=bearer(fresh_book, "audit"))
    conforms(fresh_book, "/api/tasks/{task_id}", "GET", detail)
    assert [a["name"] for a in detail.json()["task"]["attachments"]] == ["现场照片.png"]
    other = bearer(fresh_book, "other")
    assert fresh_book.get(f"/api/tasks/{task.task_id}/attachments/现场照片.png",
                          headers=other).status_code == 404
    assert fresh_book.get(f"/api/tasks/{task.task_id}/attachments/nope.png",
                          headers=bearer(fresh_book, "mgr")).status_code == 404
    again = fresh_book.post(f"/api/tasks/{task.task_id}/attachments", headers=bearer(
        fresh_book, "mgr"), data={"version": task.version + 1},
        files={"file": ("现场照片.png", data, "image/png")})
    assert again.status_code == 422 and "attached already" in message_of(again)
    assert attachments_of(fresh_book, task.task_id) == ["现场照片.png"]


def _limit_to_one_megabyte(client: TestClient) -> None:
    state = client.app.state.lw
    wf = state.policy.workflow
    state.policy = state.policy.model_copy(update={"workflow": wf.model_copy(update={
        "attachments": wf.attachments.model_copy(update={"max_megabytes": 1})})})


@pytest.mark.parametrize("name, content, message", [
    ("setup.exe", b"MZ" + b"\0" * 100, "allowed types are"),
    ("big.png", png() + b"\0" * (1024 * 1024), "larger than the limit of 1.0 MB"),
    ("fake.png", b"%PDF-1.4 not a picture", "does not look like a image/png file"),
    ("empty.pdf", b"", "is empty"),
    (".hidden.png", png(), "not a usable file name"),
])
def test_refused_attachments_leave_nothing_stored(fresh_book: TestClient, name: str,
                                                  content: bytes, message: str):
    _limit_to_one_megabyte(fresh_book)
    task = mgr_task(fresh_book)
    r = fresh_book.post(f"/api/tasks/{task.task_id}/attachments",
                        headers=bearer(fresh_book, "mgr"), data={"version": task.version},
                        files={"file": (name, content, "application/octet-stream")})
    assert r.status_code == 422 and message in message_of(r), r.text
    assert attachments_of(fresh_book, task.task_id) == []
    assert store_tasks(fresh_book, task_id=task.task_id) == [task]


def test_an_upload_at_a_stale_version_or_without_rights_stores_nothing(fresh_book: TestClient):
    task = mgr_task(fresh_book)
    stale = fresh_book.post(f"/api/tasks/{task.task_id}/attachments",
                            headers=bearer(fresh_book, "mgr"), data={"version": task.version + 5},
                            files={"file": ("a.png", png(), "image/png")})
    assert stale.status_code == 409
    view = fresh_book.post(f"/api/tasks/{task.task_id}/attachments",
                           headers=bearer(fresh_book, "view"), data={"version": task.version},
                           files={"file": ("a.png", png(), "image/png")})
    assert view.status_code == 403
    token = log_in(fresh_book, "mgr")
    no_csrf = fresh_book.post(f"/tasks/{task.task_id}/attachments", data={"version": 1},
                              files={"file": ("a.png", png(), "image/png")})
    assert no_csrf.status_code == 403 and token
    assert attachments_of(fresh_book, task.task_id) == []


def test_the_openapi_schema_names_the_task_models(book_client: TestClient):
    spec = book_client.get("/api/openapi.json").json()
    upload = spec["paths"]["/api/tasks/{task_id}/attachments"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert spec["paths"]["/api/tasks/calendar"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]["$ref"].endswith("/CalendarOut")
