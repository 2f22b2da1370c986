"""Manual classifications (人工认定) and technical-overdue marks (技术性逾期) in the
workspace's DuckDB file, where the classification run reads them.

The rules are the pure transitions of ``classify/overrides.py``; this module loads a record,
applies one, and writes the result and an audit row (``lw_class_audit``) in one transaction,
so a change is never stored without its audit trail nor half-written. Times are naive
wall-clock times in the policy's timezone (the CLI passes them); ``now`` defaults to the
machine's clock."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

import duckdb

from loanwatch.classify.overrides import (
    MarkId,
    Override,
    OverrideError,
    OverrideId,
    OverrideStatus,
    TechnicalMark,
    approve,
    new_mark,
    parse_five_class,
    parse_status,
    propose,
    reject,
    withdraw,
    withdraw_mark,
)
from loanwatch.policy import FiveClass, LadderGrade, load_default_policy

# the classification engine reads these columns by name: keep them as they are
OVERRIDE_DDL = """
CREATE SEQUENCE IF NOT EXISTS main.lw_class_override_seq START 1;
CREATE TABLE IF NOT EXISTS main.lw_class_overrides (
    override_id BIGINT PRIMARY KEY, loan_id VARCHAR NOT NULL, five_class VARCHAR NOT NULL,
    grade VARCHAR, reason VARCHAR NOT NULL, proposed_by VARCHAR NOT NULL,
    proposed_at TIMESTAMP NOT NULL, effective_from DATE NOT NULL, status VARCHAR NOT NULL,
    reviewed_by VARCHAR, reviewed_at TIMESTAMP, review_comment VARCHAR);
CREATE SEQUENCE IF NOT EXISTS main.lw_technical_mark_seq START 1;
CREATE TABLE IF NOT EXISTS main.lw_technical_marks (
    mark_id BIGINT PRIMARY KEY, loan_id VARCHAR NOT NULL, marked_on DATE NOT NULL,
    marked_by VARCHAR NOT NULL, reason VARCHAR NOT NULL, marked_at TIMESTAMP NOT NULL,
    withdrawn_by VARCHAR, withdrawn_at TIMESTAMP);
CREATE TABLE IF NOT EXISTS main.lw_class_audit (
    "at" TIMESTAMP, actor VARCHAR, action VARCHAR, loan_id VARCHAR, override_id BIGINT,
    mark_id BIGINT, detail VARCHAR);
"""
OVERRIDE_COLUMNS = ("override_id, loan_id, five_class, grade, reason, proposed_by, proposed_at, "
                    "effective_from, status, reviewed_by, reviewed_at, review_comment")
MARK_COLUMNS = "mark_id, loan_id, marked_on, marked_by, reason, marked_at, withdrawn_by, withdrawn_at"

Con = duckdb.DuckDBPyConnection
Review = Literal["approve", "reject"]


def ensure_override_tables(con: Con) -> None:
    """Create the tables if missing; safe to call before every use."""
    for ddl in OVERRIDE_DDL.split(";"):
        if ddl.strip():
            con.execute(ddl)


def propose_override(con: Con, *, loan_id: str, five_class: FiveClass | str, reason: str, by: str,
                     effective_from: dt.date, grade: str | None = None,
                     ladder: Sequence[LadderGrade] | None = None,
                     now: dt.datetime | None = None) -> Override:
    """Store a proposal. ``ladder`` is the workspace policy's (default: the default policy's)."""
    cls = five_class if isinstance(five_class, FiveClass) else parse_five_class(five_class)
    _check_loan(con, loan_id)
    with _transaction(con):
        o = propose(override_id=_next_id(con, "lw_class_override_seq"), loan_id=loan_id,
                    five_class=cls, grade=grade, reason=reason, by=by, at=_now(now),
                    effective_from=effective_from, ladder=_ladder(ladder))
        con.execute(f"INSERT INTO main.lw_class_overrides ({OVERRIDE_COLUMNS}) VALUES "
                    f"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _override_row(o))
        _audit(con, o.proposed_at, o.proposed_by, "propose", o.loan_id, override_id=o.override_id,
               five_class=o.five_class.value, grade=o.grade,
               effective_from=o.effective_from.isoformat(), reason=o.reason)
    return o


def review_override(con: Con, override_id: int, *, action: Review, by: str,
                    comment: str | None = None, now: dt.datetime | None = None) -> Override:
    """The checker approves or rejects a proposal made by someone else."""
    if action not in ("approve", "reject"):
        raise OverrideError(f"unknown review action {action!r}: expected approve or reject")
    with _transaction(con):
        before = _override(con, override_id)
        after = (approve(before, by, _now(now), comment) if action == "approve"
                 else reject(before, by, _now(now), comment or ""))
        _save_review(con, after)
        _audit(con, after.reviewed_at, after.reviewed_by, action, after.loan_id,
               override_id=after.override_id, comment=after.review_comment)
    return after


def withdraw_override(con: Con, override_id: int, *, by: str,
                      now: dt.datetime | None = None) -> Override:
    """The maker takes back a proposal not yet reviewed."""
    with _transaction(con):
        after = withdraw(_override(con, override_id), by, _now(now))
        _save_review(con, after)
        _audit(con, after.reviewed_at, after.reviewed_by, "withdraw", after.loan_id,
               override_id=after.override_id)
    return after


def load_overrides(con: Con, loan_id: str | None = None,
                   status: OverrideStatus | str | None = None) -> list[Override]:
    """Overrides, oldest first, optionally of one loan and/or one status."""
    where, params = ["true"], []
    if loan_id is not None:
        where.append("loan_id = ?")
        params.append(loan_id)
    if status is not None:
        where.append("status = ?")
        params.append(parse_status(status).value)
    rows = con.execute(f"SELECT {OVERRIDE_COLUMNS} FROM main.lw_class_overrides WHERE "
                       f"{' AND '.join(where)} ORDER BY override_id", params).fetchall()
    return [_override_of(r) for r in rows]


def mark_technical(con: Con, *, loan_id: str, marked_on: dt.date, by: str, reason: str,
                   now: dt.datetime | None = None) -> TechnicalMark:
    """Store the bank's judgement that the loan's current overdue is technical."""
    _check_loan(con, loan_id)
    with _transaction(con):
        m = new_mark(mark_id=_next_id(con, "lw_technical_mark_seq"), loan_id=loan_id,
                     marked_on=marked_on, by=by, reason=reason, at=_now(now))
        con.execute(f"INSERT INTO main.lw_technical_marks ({MARK_COLUMNS}) VALUES "
                    f"(?, ?, ?, ?, ?, ?, ?, ?)", _mark_row(m))
        _audit(con, m.marked_at, m.marked_by, "mark_technical", m.loan_id, mark_id=m.mark_id,
               marked_on=m.marked_on.isoformat(), reason=m.reason)
    return m


def withdraw_technical(con: Con, mark_id: int, *, by: str,
                       now: dt.datetime | None = None) -> TechnicalMark:
    """Withdraw a mark: the overdue counts again from the withdrawal date."""
    with _transaction(con):
        m = withdraw_mark(_mark(con, mark_id), by, _now(now))
        con.execute("UPDATE main.lw_technical_marks SET withdrawn_by = ?, withdrawn_at = ? "
                    "WHERE mark_id = ?", [m.withdrawn_by, m.withdrawn_at, m.mark_id])
        _audit(con, m.withdrawn_at, m.withdrawn_by, "withdraw_technical", m.loan_id,
               mark_id=m.mark_id)
    return m


def load_technical_marks(con: Con, loan_id: str | None = None) -> list[TechnicalMark]:
    """Technical marks, oldest first, withdrawn ones included."""
    where, params = ("WHERE loan_id = ?", [loan_id]) if loan_id is not None else ("", [])
    rows = con.execute(f"SELECT {MARK_COLUMNS} FROM main.lw_technical_marks {where} "
                       f"ORDER BY mark_id", params).fetchall()
    return [_mark_of(r) for r in rows]


@contextmanager
def _transaction(con: Con) -> Iterator[None]:
    con.execute("BEGIN TRANSACTION")
    try:
        yield
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _check_loan(con: Con, loan_id: str) -> None:
    if not con.execute("SELECT 1 FROM main.loans WHERE loan_id = ? LIMIT 1", [loan_id]).fetchall():
        raise OverrideError(f"no loan {loan_id!r} in this workspace")


def _next_id(con: Con, sequence: str) -> int:
    return con.execute(f"SELECT nextval('main.{sequence}')").fetchall()[0][0]


def _now(now: dt.datetime | None) -> dt.datetime:
    return now if now is not None else dt.datetime.now().replace(microsecond=0)


def _ladder(ladder: Sequence[LadderGrade] | None) -> Sequence[LadderGrade]:
    return ladder if ladder is not None else load_default_policy().classification.ladder


def _override(con: Con, override_id: int) -> Override:
    rows = con.execute(f"SELECT {OVERRIDE_COLUMNS} FROM main.lw_class_overrides "
                       f"WHERE override_id = ?", [override_id]).fetchall()
    if not rows:
        raise OverrideError(f"no override {override_id}")
    return _override_of(rows[0])


def _mark(con: Con, mark_id: int) -> TechnicalMark:
    rows = con.execute(f"SELECT {MARK_COLUMNS} FROM main.lw_technical_marks WHERE mark_id = ?",
                       [mark_id]).fetchall()
    if not rows:
        raise OverrideError(f"no technical mark {mark_id}")
    return _mark_of(rows[0])


def _save_review(con: Con, o: Override) -> None:
    # the status guard keeps a concurrent second review from overwriting the first
    (changed,), = con.execute(
        "UPDATE main.lw_class_overrides SET status = ?, reviewed_by = ?, reviewed_at = ?, "
        "review_comment = ? WHERE override_id = ? AND status = 'proposed'",
        [o.status.value, o.reviewed_by, o.reviewed_at, o.review_comment, o.override_id]).fetchall()
    if changed != 1:
        raise OverrideError(f"override {o.override_id} was reviewed by someone else meanwhile")


def _audit(con: Con, at: dt.datetime | None, actor: str | None, action: str, loan_id: str, *,
           override_id: int | None = None, mark_id: int | None = None, **detail: object) -> None:
    con.execute("INSERT INTO main.lw_class_audit VALUES (?, ?, ?, ?, ?, ?, ?)",
                [at, actor, action, loan_id, override_id, mark_id,
                 json.dumps(detail, ensure_ascii=False, sort_keys=True)])


def _override_row(o: Override) -> list[object]:
    return [o.override_id, o.loan_id, o.five_class.value, o.grade, o.reason, o.proposed_by,
            o.proposed_at, o.effective_from, o.status.value, o.reviewed_by, o.reviewed_at,
            o.review_comment]


def _override_of(row: tuple) -> Override:
    (oid, loan_id, five_class, grade, reason, by, at, effective_from, status, *review) = row
    return Override(OverrideId(oid), loan_id, FiveClass(five_class), grade, reason, by, at,
                    effective_from, OverrideStatus(status), *review)


def _mark_row(m: TechnicalMark) -> list[object]:
    return [m.mark_id, m.loan_id, m.marked_on, m.marked_by, m.reason, m.marked_at,
            m.withdrawn_by, m.withdrawn_at]


def _mark_of(row: tuple) -> TechnicalMark:
    mark_id, *rest = row
    return TechnicalMark(MarkId(mark_id), *rest)
