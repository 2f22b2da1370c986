"""分类审核 Classification review: the loans whose automatic five-level class changed at a
date, with the rules behind it, and the manual classifications (人工认定) people propose and
review on them under maker–checker (双人复核).

Reads the classification marts; proposals and reviews go through ``batch.overrides_store``
(its rules, its audit table) on a writable connection the caller opens for the write only.
Everything is limited to the loans in the caller's slice of the book."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal

import duckdb

from loanwatch.batch.overrides_store import (
    Override,
    OverrideStatus,
    ensure_override_tables,
    load_overrides,
    propose_override,
    review_override,
    withdraw_override,
)
from loanwatch.policy import LadderGrade
from loanwatch.policy.vocabulary import FiveClass
from loanwatch.security.permissions import Principal
from loanwatch.services.scope import latest_as_of, rows, scope_sql, stored_dates
from loanwatch.workflow.errors import SelfApproval, WorkflowError

Con = duckdb.DuckDBPyConnection
Review = Literal["approve", "reject"]

#: the rules of classification, staging and rating by id, as people read them
REASON_LABELS: dict[str, tuple[str, str]] = {
    "OVERDUE": ("存在逾期", "overdue"),
    "DPD-90": ("逾期超过90天", "more than 90 days past due"),
    "DPD-270": ("逾期超过270天", "more than 270 days past due"),
    "DPD-360": ("逾期超过360天", "more than 360 days past due"),
    "WRITTEN-OFF": ("已核销", "written off"),
    "CREDIT-IMPAIRED": ("已发生信用减值", "credit-impaired"),
    "RESTRUCT-OBSERVATION": ("重组观察期", "restructured, in observation"),
    "RESTRUCT-WAS-NPL": ("重组前为不良", "non-performing before restructuring"),
    "RESTRUCT-NO-UPGRADE": ("观察期内不得上调", "no upgrade during observation"),
    "UPGRADE-PENDING": ("不良上调条件未满足", "upgrade out of NPL not yet earned"),
    "DEBTOR-NPL-SHARE": ("债务人本行不良占比超限", "debtor's NPL share here over the limit"),
    "DEBTOR-BUREAU-90": ("债务人他行逾期90天以上占比超限",
                         "debtor's 90+ share at all banks over the limit"),
    "DEBTOR-NPL-ELSEWHERE": ("他行存在不良", "non-performing at another bank"),
    "MANUAL": ("人工认定", "manual classification"),
}

CHANGE_COLUMNS = ("loan_id", "customer_id", "branch_id", "manager_id", "product", "dpd",
                  "outstanding_principal", "previous_class", "auto_class", "five_class", "grade",
                  "auto_reasons", "reasons", "stage", "override_id", "override_by")


def review_date(con: Con, as_of: dt.date | None) -> dt.date | None:
    """The date asked for, else the newest classified one."""
    return as_of or latest_as_of(con, "classification")


def classified_dates(con: Con) -> list[dt.date]:
    return stored_dates(con, "classification")


def changed_loans(con: Con, who: Principal, day: dt.date | None) -> list[dict[str, Any]]:
    """Loans in ``who``'s slice whose automatic class at ``day`` differs from their class at
    the run before, or that a class event (CLASS-DOWNGRADE) names: downgrades first, then by
    outstanding principal. ``direction`` is ``down`` or ``up``."""
    if day is None:
        return []
    scope, params = scope_sql(who, "k.branch_id", "k.manager_id")
    try:
        found = rows(con, f"""
            SELECT {', '.join('k.' + c for c in CHANGE_COLUMNS)}, e.event, e.severity
            FROM classification k LEFT JOIN class_events e
                 ON e.loan_id = k.loan_id AND e.as_of = k.as_of
            WHERE k.as_of = ? AND {scope}
              AND ((k.previous_class IS NOT NULL AND k.auto_class <> k.previous_class)
                   OR e.loan_id IS NOT NULL)""", [day, *params])
    except duckdb.CatalogException:
        return []
    for r in found:
        r["direction"] = "down" if _rank(r["auto_class"]) > _rank(r["previous_class"]) else "up"
    found.sort(key=lambda r: (r["direction"] != "down", -(r["outstanding_principal"] or 0),
                              r["loan_id"]))
    return found


def _rank(five_class: str | None) -> int:
    return FiveClass(five_class).rank if five_class else -1


def read_overrides(con: Con, who: Principal, *, loan_id: str | None = None,
                   status: str | None = None) -> list[dict[str, Any]]:
    """Manual classifications of loans in ``who``'s slice, newest first (none before the
    workspace has its override tables)."""
    try:
        found = load_overrides(con, loan_id, status)
    except duckdb.CatalogException:
        return []
    mine = _loans_in_scope(con, who, sorted({o.loan_id for o in found}))
    return [override_dict(o) for o in reversed(found) if o.loan_id in mine]


def latest_by_loan(overrides: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The newest override of each loan (``overrides`` newest first)."""
    out: dict[str, dict[str, Any]] = {}
    for o in overrides:
        out.setdefault(o["loan_id"], o)
    return out


def override_dict(o: Override) -> dict[str, Any]:
    return {"override_id": o.override_id, "loan_id": o.loan_id, "five_class": o.five_class.value,
            "grade": o.grade, "reason": o.reason, "proposed_by": o.proposed_by,
            "proposed_at": o.proposed_at, "effective_from": o.effective_from,
            "status": o.status.value, "reviewed_by": o.reviewed_by, "reviewed_at": o.reviewed_at,
            "review_comment": o.review_comment}


def _loans_in_scope(con: Con, who: Principal, loan_ids: Sequence[str]) -> set[str]:
    scope, params = scope_sql(who)
    return {r["loan_id"] for r in rows(
        con, f"SELECT DISTINCT loan_id FROM main.loans WHERE list_contains(?, loan_id) AND {scope}",
        [list(loan_ids), *params])}


def _check_loan(con: Con, who: Principal, loan_id: str) -> None:
    if loan_id not in _loans_in_scope(con, who, [loan_id]):
        raise LookupError(f"no loan {loan_id}")


# --- writes (on a writable connection) ----------------------------------------------------

def propose(con: Con, who: Principal, *, loan_id: str, five_class: str, reason: str,
            grade: str | None, effective_from: dt.date, ladder: Sequence[LadderGrade],
            now: dt.datetime) -> dict[str, Any]:
    """The maker's proposal; a floor on the loan's class until a second person approves it."""
    _check_loan(con, who, loan_id)
    ensure_override_tables(con)
    return override_dict(propose_override(
        con, loan_id=loan_id, five_class=five_class, reason=reason, by=who.user_id,
        effective_from=effective_from, grade=grade, ladder=ladder, now=now))


def review(con: Con, who: Principal, override_id: int, *, action: Review,
           comment: str | None, now: dt.datetime) -> dict[str, Any]:
    """The checker approves or rejects someone else's open proposal."""
    o = _open_override(con, who, override_id)
    if o.proposed_by.casefold() == who.user_id.casefold():
        raise SelfApproval(f"override {override_id} was proposed by {o.proposed_by}: a second "
                           "person must review it (maker–checker, 双人复核)")
    return override_dict(review_override(con, override_id, action=action, by=who.user_id,
                                         comment=comment, now=now))


def withdraw(con: Con, who: Principal, override_id: int, *, now: dt.datetime) -> dict[str, Any]:
    """The maker takes back their own proposal before anyone reviews it."""
    o = _open_override(con, who, override_id)
    if o.proposed_by.casefold() != who.user_id.casefold():
        raise WorkflowError(f"override {override_id} was proposed by {o.proposed_by}: only "
                            "they can withdraw it")
    return override_dict(withdraw_override(con, override_id, by=who.user_id, now=now))


def _open_override(con: Con, who: Principal, override_id: int) -> Override:
    ensure_override_tables(con)
    found = [o for o in load_overrides(con) if o.override_id == override_id]
    if not found or not _loans_in_scope(con, who, [found[0].loan_id]):
        raise LookupError(f"no override {override_id}")
    if found[0].status is not OverrideStatus.PROPOSED:
        raise WorkflowError(f"override {override_id} is {found[0].status.value}, not proposed: "
                            "it can no longer be reviewed or withdrawn")
    return found[0]


def review_view(con: Con, who: Principal, as_of: dt.date | None) -> dict[str, Any]:
    """The review page at a date: the changed loans with the newest manual classification
    of each, the proposals waiting for a checker, and the closed ones."""
    day = review_date(con, as_of)
    overrides = read_overrides(con, who)
    latest = latest_by_loan(overrides)
    changed = [{**r, "override": latest.get(r["loan_id"])} for r in changed_loans(con, who, day)]
    return {"as_of": day, "dates": classified_dates(con), "changed": changed,
            "pending": [o for o in overrides if o["status"] == OverrideStatus.PROPOSED.value],
            "history": [o for o in overrides if o["status"] != OverrideStatus.PROPOSED.value]}
