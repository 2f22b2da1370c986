"""A borrower seen whole (客户360视图) as of a date, within the caller's slice of the book.

Search goes by customer or loan id, or by the keyed hash of an exact name, id number or
phone: clear personal data is never compared, nor stored. The profile shows personal data
masked; revealing it is a deliberate act of a permitted role, written to the audit trail.
Everything else is read as known at the date: marts of the stored dates up to it, contract
tables in force at it, events dated by it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import duckdb

from loanwatch.batch.drilldown import borrower_network
from loanwatch.domain.indicators import INDICATORS
from loanwatch.engines.duckdb import in_force_sql
from loanwatch.engines.ibis_duckdb import DuckDBEngine
from loanwatch.policy.vocabulary import FiveClass
from loanwatch.security.permissions import Principal
from loanwatch.security.pii import PiiCipher
from loanwatch.services.documents import DOCUMENT_LIMIT, read_documents
from loanwatch.services.scope import latest_as_of, rows, scope_sql, stored_dates
from loanwatch.services.store import Store
from loanwatch.workflow.audit import WriteAudit

Con = duckdb.DuckDBPyConnection

PERSONAL = ("name", "id_number", "phone")
PROFILE_COLUMNS = ("customer_id", "customer_type", "name", "id_number", "phone", "industry",
                   "region", "branch_id", "manager_id", "onboarded_on", "annual_income",
                   "registered_capital")
LOAN_COLUMNS = ("loan_id", "product", "principal", "currency", "disbursed_on", "maturity_on",
                "annual_rate", "repayment_method", "payment_mode", "purpose", "restructured_on",
                "written_off_on")
POSITION_COLUMNS = ("status", "dpd", "bucket", "outstanding_principal", "overdue_principal",
                    "overdue_interest", "overdue_fee", "next_due_on", "next_due_amount")
SEARCH_LIMIT = 100
BUREAU_LIMIT = 24


# --- dates and scope ----------------------------------------------------------------------

def as_of_or_latest(con: Con, as_of: dt.date | None, today: dt.date) -> dt.date:
    """The date asked for, else the newest loan snapshot, else ``today`` (before any run)."""
    return as_of or latest_as_of(con) or today


def mart_date(con: Con, day: dt.date, mart: str = "loan_snapshot") -> dt.date | None:
    """The newest date ``mart`` was stored for, not after ``day``."""
    return max((d for d in stored_dates(con, mart) if d <= day), default=None)


def _visible(who: Principal, day: dt.date) -> tuple[str, list[Any]]:
    """A condition on customer rows ``c`` in ``who``'s slice: by the customer's branch and
    manager, or by one of its loans in force at ``day``."""
    own, params = scope_sql(who, "c.branch_id", "c.manager_id")
    if own == "TRUE":
        return own, params
    by_loan, loan_params = scope_sql(who, "v.branch_id", "v.manager_id")
    return (f"({own} OR EXISTS (SELECT 1 FROM {in_force_sql('loans', day)} v "
            f"WHERE v.customer_id = c.customer_id AND {by_loan}))", params + loan_params)


def _safe_rows(con: Con, sql: str, params: list[Any]) -> list[dict]:
    """Rows of a query over a mart; none when the mart was never computed."""
    try:
        return rows(con, sql, params)
    except duckdb.CatalogException:
        return []


# --- search -------------------------------------------------------------------------------

def search_borrowers(con: Con, who: Principal, q: str, cipher: PiiCipher, day: dt.date, *,
                     limit: int = SEARCH_LIMIT) -> dict[str, Any]:
    """Customers in ``who``'s slice matching ``q`` exactly (an empty ``q``: all of them,
    largest exposure first), each with its loans, exposure, worst class and warning level."""
    text = q.strip()
    visible, params = _visible(who, day)
    digest = cipher.hash(text) if text else None
    matched = ("CASE WHEN upper(c.customer_id) = upper(?) THEN 'customer_id' "
               "WHEN c.customer_id IN (SELECT customer_id FROM loan_v WHERE upper(loan_id) = "
               "upper(?)) THEN 'loan_id' WHEN c.name_hash = ? THEN 'name' "
               "WHEN c.id_number_hash = ? THEN 'id_number' WHEN c.phone_hash = ? THEN 'phone' END")
    match_params = [text, text, digest, digest, digest]
    where = f"{visible} AND ({matched}) IS NOT NULL" if text else visible
    found = rows(con, f"""
        WITH loan_v AS {in_force_sql('loans', day)}
        SELECT c.customer_id, c.customer_type, c.name, c.branch_id, c.manager_id,
               {matched if text else 'NULL'} AS matched_by,
               (SELECT count(*) FROM loan_v WHERE loan_v.customer_id = c.customer_id
                  AND loan_v.disbursed_on <= ?) AS loans
        FROM {in_force_sql('customers', day)} c WHERE {where}
        ORDER BY c.customer_id""",
        (match_params if text else []) + [day] + params + (match_params if text else []))
    hits = _with_positions(con, found, day)
    hits.sort(key=lambda h: (-(h["outstanding"] or 0), h["customer_id"]))
    return {"q": text, "as_of": day, "dates": stored_dates(con), "results": hits[:limit],
            "truncated": len(hits) > limit}


def _with_positions(con: Con, found: list[dict], day: dt.date) -> list[dict]:
    """Exposure, worst class and warning level of each customer at the latest run by ``day``."""
    on = mart_date(con, day)
    ids = [h["customer_id"] for h in found]
    figures = {r["customer_id"]: r for r in _safe_rows(con, """
        SELECT customer_id, sum(outstanding_principal) AS outstanding FROM loan_snapshot
        WHERE as_of = ? AND list_contains(?, customer_id) GROUP BY 1""", [on, ids])}
    classes: dict[str, list[str]] = {}
    for r in _safe_rows(con, "SELECT customer_id, five_class FROM classification "
                             "WHERE as_of = ? AND list_contains(?, customer_id)", [on, ids]):
        classes.setdefault(r["customer_id"], []).append(r["five_class"])
    levels = {r["customer_id"]: r["level"] for r in _safe_rows(con, """
        SELECT customer_id, level FROM warning_levels
        WHERE as_of = ? AND list_contains(?, customer_id)""", [on, ids])}
    for h in found:
        cid = h["customer_id"]
        h["outstanding"] = figures.get(cid, {}).get("outstanding")
        h["worst_class"] = worst_class(classes.get(cid, []))
        h["warning_level"] = levels.get(cid)
    return found


def worst_class(classes: list[str | None]) -> str | None:
    known = [FiveClass(c) for c in classes if c]
    return max(known, key=lambda c: c.rank).value if known else None


# --- profile and personal data ------------------------------------------------------------

def read_profile(con: Con, who: Principal, customer_id: str, day: dt.date) -> dict[str, Any]:
    """The customer as in force at ``day``, personal data masked; ``LookupError`` when
    unknown or outside ``who``'s slice (the same answer: a guess learns nothing)."""
    found = _customer(con, who, customer_id, day, PROFILE_COLUMNS)
    on = mart_date(con, day)
    level = _safe_rows(con, "SELECT level FROM warning_levels WHERE as_of = ? AND customer_id = ?",
                       [on, customer_id])
    return {**found, "masked": True, "warning_level": level[0]["level"] if level else None}


def _customer(con: Con, who: Principal, customer_id: str, day: dt.date,
              columns: tuple[str, ...]) -> dict[str, Any]:
    visible, params = _visible(who, day)
    found = rows(con, f"SELECT {', '.join('c.' + c for c in columns)} FROM "
                      f"{in_force_sql('customers', day)} c WHERE c.customer_id = ? AND {visible}",
                 [customer_id, *params])
    if not found:
        raise LookupError(f"no borrower {customer_id}")
    return found[0]


def reveal_personal(con: Con, store: Store, who: Principal, customer_id: str, day: dt.date,
                    cipher: PiiCipher, at: dt.datetime) -> dict[str, Any]:
    """The customer's name, id number and phone in clear, and an audit row saying who saw
    which fields when (never the values). The caller checks the permission."""
    found = _customer(con, who, customer_id, day, (*PERSONAL, "pii_enc"))
    sealed = cipher.reveal(found.pop("pii_enc"))
    # an enterprise's name and credit code are public and kept clear, not sealed
    clear = {k: sealed[k] if sealed.get(k) is not None else found[k] for k in PERSONAL}
    with store.session() as s:
        s.audit.append(WriteAudit(
            actor=who.user_id, action="unmask", entity="customer", entity_id=customer_id, at=at,
            before={}, after={"fields": [k for k in PERSONAL if clear[k] is not None],
                              "as_of": day.isoformat()}))
    return {"customer_id": customer_id, **clear}


# --- loans --------------------------------------------------------------------------------

def read_loans(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    """The borrower's loans disbursed by ``day`` with their position at the latest run by
    then, the schedule in force (how much of each installment the repayments cover), the
    repayments received, and the product's name where the lender sends one (an extra
    ``product_name`` column of its loans)."""
    name = "product_name" if _has_column(con, "loans", "product_name") else "NULL"
    loans = rows(con, f"SELECT {', '.join(LOAN_COLUMNS)}, {name} AS product_name "
                      f"FROM {in_force_sql('loans', day)} "
                      f"WHERE customer_id = ? AND disbursed_on <= ? ORDER BY disbursed_on, loan_id",
                 [customer_id, day])
    ids = [r["loan_id"] for r in loans]
    on = mart_date(con, day)
    positions = {r["loan_id"]: r for r in _safe_rows(con, f"""
        SELECT s.loan_id, {', '.join('s.' + c for c in POSITION_COLUMNS)}, k.five_class, k.stage
        FROM loan_snapshot s LEFT JOIN classification k ON k.loan_id = s.loan_id
             AND k.as_of = s.as_of
        WHERE s.as_of = ? AND list_contains(?, s.loan_id)""", [on, ids])}
    paid = _repayments(con, ids, day)
    schedule = _schedule(con, ids, day, paid)
    empty = dict.fromkeys((*POSITION_COLUMNS, "five_class", "stage"))
    return [{**loan, **{k: v for k, v in positions.get(loan["loan_id"], empty).items()
                        if k != "loan_id"},
             "installments": schedule.get(loan["loan_id"], []),
             "repayments": paid.get(loan["loan_id"], [])} for loan in loans]


def _has_column(con: Con, table: str, column: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.columns WHERE "
                            "table_name = ? AND column_name = ?", [table, column]).fetchone()[0])


def _repayments(con: Con, ids: list[str], day: dt.date) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in rows(con, f"SELECT loan_id, repayment_id, paid_on, amount FROM "
                       f"{in_force_sql('repayments', day)} WHERE list_contains(?, loan_id) "
                       f"AND paid_on <= ? ORDER BY paid_on, repayment_id", [ids, day]):
        out.setdefault(r.pop("loan_id"), []).append(r)
    return out


def _schedule(con: Con, ids: list[str], day: dt.date,
              paid: dict[str, list[dict]]) -> dict[str, list[dict]]:
    """Installments with the part ``covered`` by the repayments (oldest first, as the
    snapshot allocates) and their ``state``: paid, overdue or scheduled."""
    totals = {k: sum((p["amount"] for p in v), Decimal(0)) for k, v in paid.items()}
    out: dict[str, list[dict]] = {}
    for r in rows(con, f"""
            SELECT loan_id, seq, due_on, principal_due, interest_due, fee_due, cum_due_before
            FROM {in_force_sql('installments', day)} WHERE list_contains(?, loan_id)
            ORDER BY loan_id, seq""", [ids]):
        due = r["principal_due"] + r["interest_due"] + (r["fee_due"] or 0)
        covered = min(max(totals.get(r["loan_id"], Decimal(0)) - r.pop("cum_due_before"),
                          Decimal(0)), due)
        state = "paid" if covered >= due else "overdue" if r["due_on"] < day else "scheduled"
        out.setdefault(r.pop("loan_id"), []).append(
            {**r, "due": due, "covered": covered, "state": state})
    return out


# --- history ------------------------------------------------------------------------------

def dpd_history(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    """One point per stored snapshot date up to ``day``: the borrower's worst DPD, its
    outstanding principal and each loan's DPD (``None`` where it had no loan yet)."""
    found: dict[dt.date, list[dict]] = {}
    for r in _safe_rows(con, "SELECT as_of, loan_id, dpd, outstanding_principal FROM "
                             "loan_snapshot WHERE customer_id = ? AND as_of <= ? "
                             "ORDER BY as_of, loan_id", [customer_id, day]):
        found.setdefault(r["as_of"], []).append(r)
    points = []
    for d in (d for d in stored_dates(con) if d <= day):
        loans = found.get(d, [])
        points.append({
            "as_of": d, "dpd": max((r["dpd"] for r in loans), default=None),
            "outstanding_principal": sum((r["outstanding_principal"] for r in loans),
                                         Decimal(0)) if loans else None,
            "loans": {r["loan_id"]: r["dpd"] for r in loans}})
    return points


def class_history(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    """Each loan's class, grade, reasons and IFRS 9 stage at every run up to ``day``."""
    return _safe_rows(con, """
        SELECT as_of, loan_id, five_class, grade, reasons, auto_class, previous_class,
               override_id, override_by, stage, stage_reasons, ecl
        FROM classification WHERE customer_id = ? AND as_of <= ?
        ORDER BY as_of DESC, loan_id""", [customer_id, day])


def rating_history(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    return _safe_rows(con, """
        SELECT as_of, score, grade, pd_12m, rating_reasons, pd_source FROM ratings
        WHERE customer_id = ? AND as_of <= ? ORDER BY as_of DESC""", [customer_id, day])


def latest_indicators(con: Con, customer_id: str, day: dt.date) -> dict[str, Any] | None:
    """The indicators of the latest run by ``day`` that the borrower has, with their labels."""
    found = _safe_rows(con, "SELECT * FROM indicators WHERE customer_id = ? AND as_of <= ? "
                            "ORDER BY as_of DESC LIMIT 1", [customer_id, day])
    if not found:
        return None
    row = found[0]
    values = [{"name": i.name, "label_zh": i.label_zh, "label_en": i.label_en,
               "kind": i.kind.value, "value": row.get(i.name)}
              for i in INDICATORS if row.get(i.name) is not None]
    return {"as_of": row["as_of"], "values": values}


def latest_score(con: Con, customer_id: str, day: dt.date) -> dict[str, Any] | None:
    """The behavioural score of the latest run by ``day`` and the factors that raised its PD."""
    found = _safe_rows(con, """
        SELECT as_of, model_id, score, pd_12m, grade, factors_zh, factors_en FROM scores
        WHERE customer_id = ? AND as_of <= ? ORDER BY as_of DESC LIMIT 1""", [customer_id, day])
    if not found:
        return None
    row = found[0]
    for lang in ("zh", "en"):
        text = row.pop(f"factors_{lang}") or ""
        row[f"factors_{lang}"] = [f.strip() for f in text.split(";") if f.strip()]
    return row


# --- outside information ------------------------------------------------------------------

def bureau_summaries(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    return rows(con, f"""
        SELECT reported_on, lenders_count, loans_balance, short_term_balance, overdue_amount,
               inquiries_3m, new_loans_3m FROM {in_force_sql('bureau_reports', day)}
        WHERE customer_id = ? AND reported_on <= ? ORDER BY reported_on DESC LIMIT ?""",
                [customer_id, day, BUREAU_LIMIT])


def registry_events(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    return rows(con, f"""
        SELECT occurred_on, kind, detail, amount FROM {in_force_sql('registry_events', day)}
        WHERE customer_id = ? AND occurred_on <= ? ORDER BY occurred_on DESC, kind""",
                [customer_id, day])


def collaterals(con: Con, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    """Collateral of the borrower's loans appraised by ``day``, with its latest valuation."""
    return rows(con, f"""
        WITH v AS (SELECT collateral_id, arg_max(value, valued_on) AS latest_value,
                          max(valued_on) AS valued_on
                   FROM {in_force_sql('collateral_valuations', day)} WHERE valued_on <= ?
                   GROUP BY 1)
        SELECT c.collateral_id, c.loan_id, c.kind, c.description, c.appraised_value,
               c.appraised_on, c.status, v.latest_value, v.valued_on
        FROM {in_force_sql('collaterals', day)} c
        JOIN {in_force_sql('loans', day)} l ON l.loan_id = c.loan_id
        LEFT JOIN v ON v.collateral_id = c.collateral_id
        WHERE l.customer_id = ? AND c.appraised_on <= ? ORDER BY c.loan_id, c.collateral_id""",
                [day, customer_id, day])


def guarantees(con: Con, customer_id: str, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """Guarantees ``received`` on the borrower's loans and ``given`` by it on others'."""
    sql = f"""
        SELECT g.guarantee_id, g.loan_id, g.kind, g.amount, l.customer_id AS borrower_id,
               b.name AS borrower_name, g.guarantor_customer_id AS guarantor_id,
               p.name AS guarantor_name
        FROM {in_force_sql('guarantees', day)} g
        JOIN {in_force_sql('loans', day)} l ON l.loan_id = g.loan_id
        LEFT JOIN {in_force_sql('customers', day)} b ON b.customer_id = l.customer_id
        LEFT JOIN {in_force_sql('customers', day)} p ON p.customer_id = g.guarantor_customer_id
        WHERE {{}} = ? ORDER BY g.loan_id, g.guarantee_id"""
    return {"received": rows(con, sql.format("l.customer_id"), [customer_id]),
            "given": rows(con, sql.format("g.guarantor_customer_id"), [customer_id])}


def network(con: Con, who: Principal, customer_id: str, day: dt.date) -> dict[str, Any] | None:
    """The related parties and guarantees within two links of the borrower at the latest run
    by ``day`` (names as stored: masked for individuals); ``visible`` says which of them the
    caller may open."""
    on = mart_date(con, day)
    if on is None:
        return None
    found = borrower_network(DuckDBEngine.open(con=con), customer_id, on).to_dict()
    ids = [n["customer_id"] for n in found["nodes"]]
    visible, params = _visible(who, on)
    seen = {r["customer_id"] for r in rows(
        con, f"SELECT c.customer_id FROM {in_force_sql('customers', on)} c "
             f"WHERE list_contains(?, c.customer_id) AND {visible}", [ids, *params])}
    for n in found["nodes"]:
        n["visible"] = n["customer_id"] in seen
    return {**found, "as_of": on}


# --- the operational store ----------------------------------------------------------------

ALERT_FIELDS = ("alert_id", "signal_id", "loan_id", "severity", "status", "opened_on",
                "last_seen_on", "owner", "evidence")
TASK_FIELDS = ("task_id", "kind", "loan_id", "owner", "status", "due_on", "alert_id")
CASE_FIELDS = ("case_id", "loan_id", "owner", "status", "opened_on", "bucket", "dpd",
               "overdue_amount", "outstanding")


def read_work(store: Store, customer_id: str, day: dt.date) -> dict[str, list[dict[str, Any]]]:
    """The borrower's alerts and collection cases opened by ``day``, and its tasks."""
    with store.session() as s:
        alerts = s.alerts.list(customer_id=customer_id, limit=None)
        tasks = s.tasks.list(customer_id=customer_id, limit=None, order_by=("-due_on",))
        cases = s.cases.list(customer_id=customer_id, limit=None, order_by=("-opened_on",))
    return {"alerts": [_fields(a, ALERT_FIELDS) for a in alerts if a.opened_on <= day],
            "tasks": [_fields(t, TASK_FIELDS) for t in tasks],
            "cases": [_fields(c, CASE_FIELDS) for c in cases if c.opened_on <= day]}


def _fields(record: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {n: getattr(record, n) for n in names}


# --- the whole view, and parts of it checked against the caller's slice ----------------

def loans_of(con: Con, who: Principal, customer_id: str, day: dt.date) -> list[dict[str, Any]]:
    _customer(con, who, customer_id, day, ("customer_id",))
    return read_loans(con, customer_id, day)


def network_of(con: Con, who: Principal, customer_id: str, day: dt.date) -> dict[str, Any] | None:
    _customer(con, who, customer_id, day, ("customer_id",))
    return network(con, who, customer_id, day)


def documents_of(con: Con, store: Store, who: Principal, customer_id: str, day: dt.date,
                 limit: int = DOCUMENT_LIMIT, offset: int = 0) -> dict[str, Any]:
    _customer(con, who, customer_id, day, ("customer_id",))
    return read_documents(con, store, customer_id, day, limit, offset)


def borrower_view(con: Con, store: Store, who: Principal, customer_id: str,
                  day: dt.date) -> dict[str, Any]:
    """Everything the 360 page shows of one borrower at ``day``."""
    profile = read_profile(con, who, customer_id, day)
    return {
        "as_of": day, "dates": stored_dates(con), "profile": profile,
        "loans": read_loans(con, customer_id, day),
        "dpd_history": dpd_history(con, customer_id, day),
        "classes": class_history(con, customer_id, day),
        "ratings": rating_history(con, customer_id, day),
        "indicators": latest_indicators(con, customer_id, day),
        "score": latest_score(con, customer_id, day),
        **read_work(store, customer_id, day),
        "bureau": bureau_summaries(con, customer_id, day),
        "registry": registry_events(con, customer_id, day),
        "collaterals": collaterals(con, customer_id, day),
        "guarantees": guarantees(con, customer_id, day),
        "documents": read_documents(con, store, customer_id, day),
        "network": network(con, who, customer_id, day)}
