"""A borrower's documents (资料) as known at a date: the purchase/sale contracts behind its
loans (购销合同), the VAT invoices (增值税发票) it received or issued or that are on those
contracts, and the files attached to its post-loan tasks.

Contracts and invoices are read point-in-time, as the reconciliation reads them: the row
versions in force at the date, of loans disbursed by it, dated on or before it (a contract
without a signing date counts from its loan's disbursement). Each list is newest first and
bounded, with its total. The caller checks that the borrower is in the person's slice."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

from loanwatch.engines.duckdb import in_force_sql
from loanwatch.services.scope import latest_as_of, rows
from loanwatch.services.store import Store

Con = duckdb.DuckDBPyConnection

#: how many of each kind of document one answer lists at most (newest first)
DOCUMENT_LIMIT = 50
#: the furthest page start asked for (beyond any borrower's papers, within the engine's range)
MAX_OFFSET = 1_000_000


def _known_contracts(day: dt.date) -> str:
    """The borrower's (``?``: customer id, then ``day`` twice) contracts known at ``day``."""
    return f"""
        SELECT k.contract_id, k.loan_id, k.counterparty_name, k.counterparty_tax_id, k.amount,
               k.signed_on, k.goods, l.purpose AS loan_purpose,
               coalesce(k.signed_on, l.disbursed_on) AS dated_on
        FROM {in_force_sql('contracts', day)} k JOIN {in_force_sql('loans', day)} l
             ON l.loan_id = k.loan_id
        WHERE l.customer_id = ? AND l.disbursed_on <= ?
              AND (k.signed_on IS NULL OR k.signed_on <= ?)"""


def _page(con: Con, sql: str, params: list[Any], order: str, limit: int,
          offset: int) -> dict[str, Any]:
    """The ``total`` rows of a query and the page of ``items`` from ``offset`` (without the
    query's ``_`` helper columns); nothing when the lender sends no such table at all."""
    try:
        total = con.execute(f"SELECT count(*) FROM ({sql})", params).fetchone()[0]
        items = rows(con, f"SELECT * FROM ({sql}) ORDER BY {order} LIMIT ? OFFSET ?",
                     [*params, limit, offset])
    except duckdb.CatalogException:
        return {"total": 0, "items": []}
    return {"total": total,
            "items": [{k: v for k, v in r.items() if not k.startswith("_")} for r in items]}


def read_contracts(con: Con, customer_id: str, day: dt.date, limit: int = DOCUMENT_LIMIT,
                   offset: int = 0) -> dict[str, Any]:
    """``total`` contracts of the borrower known at ``day`` and a page of ``items``, the
    latest dated first."""
    return _page(con, f"SELECT * EXCLUDE (dated_on), dated_on AS _dated FROM "
                      f"({_known_contracts(day)})", [customer_id, day, day],
                 "_dated DESC, contract_id DESC", limit, offset)


def read_invoices(con: Con, customer_id: str, day: dt.date, limit: int = DOCUMENT_LIMIT,
                  offset: int = 0) -> dict[str, Any]:
    """``total`` invoices issued by ``day`` on the borrower's contracts, or with the borrower
    (an enterprise, by its credit code) as buyer or seller, and a page of ``items``, the
    latest first. ``contract_id`` is the invoice's own, else the contract the reconciliation
    matches it to (``contract_inferred``): the borrower's contract with the invoice's seller,
    dated last on or before the invoice (else the first dated)."""
    return _page(con, f"""
        WITH mine AS ({_known_contracts(day)}),
        me AS (SELECT id_number FROM {in_force_sql('customers', day)}
               WHERE customer_id = ? AND customer_type = 'enterprise' AND id_number IS NOT NULL),
        inv AS (SELECT * FROM {in_force_sql('invoices', day)} i WHERE i.issued_on <= ?
                AND (i.contract_id IN (SELECT contract_id FROM mine)
                     OR i.buyer_tax_id IN (SELECT id_number FROM me)
                     OR i.seller_tax_id IN (SELECT id_number FROM me))),
        inferred AS (
            SELECT i.invoice_no, m.contract_id, row_number() OVER (
                PARTITION BY i.invoice_no ORDER BY m.dated_on > i.issued_on,
                CASE WHEN m.dated_on <= i.issued_on THEN m.dated_on END DESC NULLS LAST,
                m.dated_on, m.contract_id) AS n
            FROM inv i JOIN mine m ON m.counterparty_tax_id = i.seller_tax_id
            WHERE i.contract_id IS NULL AND i.buyer_tax_id IN (SELECT id_number FROM me))
        SELECT i.invoice_no, i.issued_on, i.seller_tax_id, i.seller_name, i.buyer_tax_id,
               i.buyer_name, i.amount, i.tax_amount, i.status,
               coalesce(i.contract_id, f.contract_id) AS contract_id,
               i.contract_id IS NULL AND f.contract_id IS NOT NULL AS contract_inferred
        FROM inv i LEFT JOIN inferred f ON f.invoice_no = i.invoice_no AND f.n = 1""",
                 [customer_id, day, day, customer_id, day], "issued_on DESC, invoice_no DESC",
                 limit, offset)


def read_attachments(con: Con, store: Store, customer_id: str, day: dt.date,
                     limit: int = DOCUMENT_LIMIT, offset: int = 0) -> dict[str, Any]:
    """The files on the borrower's tasks uploaded by the end of ``day``, newest first. At
    the newest date the marts hold (the page of today) every upload so far counts: files
    are added after the night's run, and the present view must show them."""
    newest = latest_as_of(con)
    until = None if newest is None or day >= newest else day
    with store.session() as s:
        tasks = s.tasks.list(customer_id=customer_id, limit=None)
    files = sorted(({"task_id": t.task_id, "task_kind": t.kind.value, "name": a.name,
                     "content_type": a.content_type, "size": a.size, "by": a.by, "at": a.at}
                    for t in tasks for a in t.attachments
                    if until is None or a.at.date() <= until),
                   key=lambda f: (f["at"], f["task_id"], f["name"]), reverse=True)
    return {"total": len(files), "items": files[offset:offset + limit]}


def read_documents(con: Con, store: Store, customer_id: str, day: dt.date,
                   limit: int = DOCUMENT_LIMIT, offset: int = 0) -> dict[str, Any]:
    """The borrower's contracts, invoices and task attachments at ``day``, each a page of
    ``limit`` from ``offset`` with its ``total``."""
    if limit < 1 or not 0 <= offset <= MAX_OFFSET:
        raise ValueError(f"a page needs limit ≥ 1 and 0 ≤ offset ≤ {MAX_OFFSET}, "
                         f"not {limit} and {offset}")
    return {"contracts": read_contracts(con, customer_id, day, limit, offset),
            "invoices": read_invoices(con, customer_id, day, limit, offset),
            "attachments": read_attachments(con, store, customer_id, day, limit, offset)}
