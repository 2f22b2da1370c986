"""Classification review (分类审核): the loans whose automatic class changed at a date, as the
classification marts say, and manual classification under maker–checker — the maker
proposes, a second person with the approval permission approves or rejects."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient

from loanwatch.workspace import Workspace
from tests.web.conftest import BOOK_DAYS, bearer, log_in, message_of
from tests.web.test_borrowers import mgr_code, query

LAST = dt.date.fromisoformat(BOOK_DAYS[-1])


def changed_in_mart(root: Path, day: str, manager: str | None = None) -> set[str]:
    mine = "AND manager_id = ?" if manager else ""
    extra = [manager] if manager else []
    return {r["loan_id"] for r in query(root, f"""
        SELECT loan_id FROM classification WHERE as_of = ? {mine}
          AND previous_class IS NOT NULL AND auto_class <> previous_class
        UNION SELECT loan_id FROM class_events WHERE as_of = ? {mine}""",
        [day, *extra, day, *extra])}


def loan_of_mgr(root: Path) -> str:
    manager, _ = mgr_code(root)
    return query(root, "SELECT min(loan_id) AS l FROM classification WHERE as_of = ? "
                       "AND manager_id = ?", [LAST, manager])[0]["l"]


def propose(client: TestClient, user: str, loan_id: str, **kw) -> dict:
    body = {"loan_id": loan_id, "five_class": "substandard", "reason": "经营严重恶化", **kw}
    r = client.post("/api/classification/overrides", json=body, headers=bearer(client, user))
    assert r.status_code == 201, r.text
    return r.json()


def test_the_review_lists_the_loans_whose_automatic_class_changed(book_client: TestClient,
                                                                   book_ws):
    headers = bearer(book_client, "risk")
    for day in BOOK_DAYS[1:]:
        view = book_client.get("/api/classification", params={"as_of": day},
                               headers=headers).json()
        expected = changed_in_mart(book_ws, day)
        assert expected and {r["loan_id"] for r in view["changed"]} == expected
        for r in view["changed"]:
            assert r["auto_class"] != r["previous_class"] or r["event"] == "CLASS-DOWNGRADE"
            assert r["direction"] in ("down", "up")
    latest = book_client.get("/api/classification", headers=headers).json()
    assert latest["as_of"] == BOOK_DAYS[-1] and latest["dates"] == list(BOOK_DAYS)
    downs = [r for r in latest["changed"] if r["event"] == "CLASS-DOWNGRADE"]
    assert downs and all(r["auto_reasons"] for r in downs)


def test_a_manager_reviews_only_their_loans(book_client: TestClient, book_ws):
    manager, _ = mgr_code(book_ws)
    headers = bearer(book_client, "mgr")
    for day in BOOK_DAYS[1:]:
        view = book_client.get("/api/classification", params={"as_of": day},
                               headers=headers).json()
        assert {r["loan_id"] for r in view["changed"]} == changed_in_mart(book_ws, day, manager)


def test_who_may_open_the_review(book_client: TestClient):
    assert book_client.get("/api/classification", headers=bearer(book_client, "view")
                           ).status_code == 403
    log_in(book_client, "risk")
    page = book_client.get("/classification")
    assert page.status_code == 200 and 'data-testid="changed"' in page.text
    assert "自动分类发生变化的借据" in page.text


def test_maker_checker_propose_refuse_self_approval_then_approve(fresh_book: TestClient,
                                                                 tmp_path: Path):
    root = tmp_path / "ws"
    loan = loan_of_mgr(root)
    made = propose(fresh_book, "risk", loan, grade="次级1")
    assert (made["status"], made["proposed_by"], made["five_class"]) == (
        "proposed", "risk", "substandard")
    oid = made["override_id"]
    approve = f"/api/classification/overrides/{oid}/approve"
    r = fresh_book.post(approve, headers=bearer(fresh_book, "risk"))
    assert r.status_code == 409 and "second person" in message_of(r)
    assert fresh_book.post(approve, headers=bearer(fresh_book, "mgr")).status_code == 403
    pending = fresh_book.get("/api/classification", headers=bearer(fresh_book, "head")).json()
    assert [o["override_id"] for o in pending["pending"]] == [oid]
    r = fresh_book.post(approve, json={"comment": "同意"}, headers=bearer(fresh_book, "head"))
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["reviewed_by"]) == ("approved", "head")
    view = fresh_book.get("/api/classification", headers=bearer(fresh_book, "risk")).json()
    assert view["pending"] == []
    assert [(o["override_id"], o["status"], o["grade"]) for o in view["history"]] == [
        (oid, "approved", "次级1")]
    assert fresh_book.post(approve, headers=bearer(fresh_book, "admin")).status_code == 409
    listed = fresh_book.get("/api/classification/overrides", params={"loan_id": loan},
                            headers=bearer(fresh_book, "mgr")).json()
    assert [o["override_id"] for o in listed] == [oid]
    audit = query(root, "SELECT actor, action FROM lw_class_audit WHERE override_id = ? "
                        "ORDER BY \"at\", action DESC", [oid])
    assert [(a["actor"], a["action"]) for a in audit] == [("risk", "propose"), ("head", "approve")]


def test_a_proposal_on_a_changed_loan_shows_beside_it(fresh_book: TestClient, tmp_path: Path):
    root = tmp_path / "ws"
    loan = sorted(changed_in_mart(root, BOOK_DAYS[-1]))[0]
    made = propose(fresh_book, "risk", loan, five_class="可疑")
    view = fresh_book.get("/api/classification", headers=bearer(fresh_book, "admin")).json()
    (row,) = [r for r in view["changed"] if r["loan_id"] == loan]
    assert row["override"]["override_id"] == made["override_id"]
    assert row["override"]["five_class"] == "doubtful"


def test_reject_needs_a_comment_and_withdraw_only_the_maker(fresh_book: TestClient,
                                                          tmp_path: Path):
    loan = loan_of_mgr(tmp_path / "ws")
    first = propose(fresh_book, "mgr", loan)["override_id"]
    reject = f"/api/classification/overrides/{first}/reject"
    assert fresh_book.post(reject, json={}, headers=bearer(fresh_book, "head")).status_code == 422
    r = fresh_book.post(reject, json={"comment": "依据不足"}, headers=bearer(fresh_book, "head"))
    assert (r.status_code, r.json()["status"]) == (200, "rejected")
    second = propose(fresh_book, "mgr", loan)["override_id"]
    withdraw = f"/api/classification/overrides/{second}/withdraw"
    assert fresh_book.post(withdraw, headers=bearer(fresh_book, "risk")).status_code == 409
    r = fresh_book.post(withdraw, headers=bearer(fresh_book, "mgr"))
    assert (r.status_code, r.json()["status"]) == (200, "withdrawn")


def test_bad_requests_are_refused(fresh_book: TestClient, tmp_path: Path):
    root = tmp_path / "ws"
    loan = loan_of_mgr(root)
    headers = bearer(fresh_book, "risk")
    url = "/api/classification/overrides"
    bad_class = fresh_book.post(url, json={"loan_id": loan, "five_class": "terrible",
                                           "reason": "x"}, headers=headers)
    assert bad_class.status_code == 422 and "unknown five-level class" in bad_class.text
    bad_grade = fresh_book.post(url, json={"loan_id": loan, "five_class": "normal",
                                           "grade": "次级1", "reason": "x"}, headers=headers)
    assert bad_grade.status_code == 422
    no_reason = fresh_book.post(url, json={"loan_id": loan, "five_class": "loss",
                                           "reason": "  "}, headers=headers)
    assert no_reason.status_code == 422
    unknown = fresh_book.post(url, json={"loan_id": "L-NOPE", "five_class": "loss",
                                         "reason": "x"}, headers=headers)
    assert unknown.status_code == 404
    assert fresh_book.post(f"{url}/999/approve", headers=bearer(fresh_book, "head")
                           ).status_code == 404
    assert fresh_book.get("/api/classification/overrides", headers=headers).json() == []


def test_a_manager_cannot_classify_another_managers_loan(fresh_book: TestClient,
                                                         tmp_path: Path):
    root = tmp_path / "ws"
    manager, branch = mgr_code(root)
    theirs = query(root, "SELECT min(loan_id) AS l FROM loans WHERE manager_id <> ? "
                         "AND branch_id <> ?", [manager, branch])[0]["l"]
    r = fresh_book.post("/api/classification/overrides", headers=bearer(fresh_book, "mgr"),
                        json={"loan_id": theirs, "five_class": "loss", "reason": "x"})
    assert r.status_code == 404
    made = propose(fresh_book, "risk", theirs)["override_id"]
    assert fresh_book.post(f"/api/classification/overrides/{made}/approve",
                           headers=bearer(fresh_book, "head")).status_code == 404


def test_the_console_forms_carry_the_maker_checker_flow(fresh_book: TestClient,
                                                        tmp_path: Path):
    loan = loan_of_mgr(tmp_path / "ws")
    token = log_in(fresh_book, "mgr")
    form = {"loan_id": loan, "five_class": "special_mention", "reason": "现场检查发现异常",
            "grade": "", "effective_from": BOOK_DAYS[-1], "as_of": BOOK_DAYS[-1]}
    assert fresh_book.post("/classification/overrides", data=form).status_code == 403  # CSRF
    r = fresh_book.post("/classification/overrides", data={**form, "csrf_token": token})
    assert r.status_code == 303 and r.headers["location"].startswith(
        f"/classification?as_of={BOOK_DAYS[-1]}&notice=proposed%3A")
    page = fresh_book.get(r.headers["location"]).text
    assert 'data-testid="notice"' in page and "/classification/overrides/1/withdraw" in page
    assert "/classification/overrides/1/approve" not in page  # a manager is no checker
    token = log_in(fresh_book, "head")
    r = fresh_book.post("/classification/overrides/1/approve",
                        data={"csrf_token": token, "comment": "同意", "as_of": ""})
    assert r.status_code == 303
    history = fresh_book.get("/classification").text
    assert 'data-override="1"' in history and "已批准" in history


def test_a_write_while_the_database_is_held_is_answered_503(fresh_book: TestClient,
                                                          tmp_path: Path):
    loan = loan_of_mgr(tmp_path / "ws")
    headers = bearer(fresh_book, "risk")
    with Workspace(tmp_path / "ws").connect(read_only=True):  # as a run or a reader would
        r = fresh_book.post("/api/classification/overrides", headers=headers,
                            json={"loan_id": loan, "five_class": "loss", "reason": "x"})
    assert r.status_code == 503
    assert fresh_book.get("/api/classification/overrides", headers=headers).json() == []
