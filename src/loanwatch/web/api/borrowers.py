"""Borrowers API (客户视图): search within the caller's slice, the 360 view of one borrower as
of a date and its parts (loans, network, documents), and the audited reveal of personal
data. Signal ids come with their titles in both languages (``title_zh``, ``title_en``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import quote

import duckdb
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from loanwatch.security.permissions import Permission
from loanwatch.services import borrower as svc
from loanwatch.services.documents import DOCUMENT_LIMIT, MAX_OFFSET
from loanwatch.web.api.alerts import LocalTime
from loanwatch.web.context import Caller, app_state, marts, require

router = APIRouter(tags=["borrowers 客户视图"])

Con = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Viewer = Annotated[Caller, Depends(require(Permission.VIEW_BORROWERS))]
Unmasker = Annotated[Caller, Depends(require(Permission.UNMASK_PII))]
NOT_FOUND = {404: {"description": "no such borrower in your slice of the book"}}


class BorrowerHit(BaseModel):
    customer_id: str
    customer_type: str
    name: str | None  # masked for individuals
    branch_id: str | None
    manager_id: str | None
    matched_by: str | None  # customer_id, loan_id, name, id_number or phone
    loans: int
    outstanding: Decimal | None
    worst_class: str | None
    warning_level: str | None


class BorrowerSearch(BaseModel):
    q: str
    as_of: dt.date
    dates: list[dt.date]  # the dates with stored results
    results: list[BorrowerHit]
    truncated: bool


class Profile(BaseModel):
    customer_id: str
    customer_type: str
    name: str | None
    id_number: str | None
    phone: str | None
    masked: bool
    industry: str | None
    region: str | None
    branch_id: str | None
    manager_id: str | None
    onboarded_on: dt.date | None
    annual_income: Decimal | None
    registered_capital: Decimal | None
    warning_level: str | None


class Personal(BaseModel):
    customer_id: str
    name: str | None
    id_number: str | None
    phone: str | None


class Installment(BaseModel):
    seq: int
    due_on: dt.date
    principal_due: Decimal
    interest_due: Decimal
    fee_due: Decimal | None
    due: Decimal
    covered: Decimal
    state: str  # paid, overdue, scheduled


class Repayment(BaseModel):
    repayment_id: str
    paid_on: dt.date
    amount: Decimal


class Loan(BaseModel):
    loan_id: str
    product: str
    product_name: str | None = Field(description="the product's name where the lender's data "
                                                 "gives one (a product_name column of loans)")
    principal: Decimal
    currency: str | None
    disbursed_on: dt.date
    maturity_on: dt.date
    annual_rate: Decimal
    repayment_method: str
    payment_mode: str | None
    purpose: str | None
    restructured_on: dt.date | None
    written_off_on: dt.date | None
    status: str | None
    dpd: int | None
    bucket: str | None
    outstanding_principal: Decimal | None
    overdue_principal: Decimal | None
    overdue_interest: Decimal | None
    overdue_fee: Decimal | None
    next_due_on: dt.date | None
    next_due_amount: Decimal | None
    five_class: str | None
    stage: int | None
    installments: list[Installment]
    repayments: list[Repayment]


class DpdPoint(BaseModel):
    as_of: dt.date
    dpd: int | None  # the worst of the borrower's loans; None: no loan on the book yet
    outstanding_principal: Decimal | None
    loans: dict[str, int]


class ClassRow(BaseModel):
    as_of: dt.date
    loan_id: str
    five_class: str
    grade: str | None
    reasons: list[str]
    auto_class: str | None
    previous_class: str | None
    override_id: int | None
    override_by: str | None
    stage: int | None
    stage_reasons: list[str] | None
    ecl: Decimal | None


class RatingRow(BaseModel):
    as_of: dt.date
    score: int | None
    grade: int | None
    pd_12m: Decimal | None
    rating_reasons: list[str] | None
    pd_source: str | None


class IndicatorValue(BaseModel):
    name: str
    label_zh: str
    label_en: str
    kind: str  # ratio, money, count, flag
    value: bool | int | Decimal


class Indicators(BaseModel):
    as_of: dt.date
    values: list[IndicatorValue]


class Score(BaseModel):
    as_of: dt.date
    model_id: str
    score: float | None
    pd_12m: Decimal | None
    grade: int | None
    factors_zh: list[str]
    factors_en: list[str]


class AlertItem(BaseModel):
    alert_id: str
    signal_id: str
    title_zh: str = Field(description="the signal's Chinese title (the id if the catalogue "
                                      "no longer has it)")
    title_en: str = Field(description="the signal's English title (the id if unknown)")
    loan_id: str | None
    severity: str
    status: str
    opened_on: dt.date
    last_seen_on: dt.date
    owner: str
    evidence: str


class TaskItem(BaseModel):
    task_id: str
    kind: str
    loan_id: str | None
    owner: str
    status: str
    due_on: dt.date
    alert_id: str | None


class CaseItem(BaseModel):
    case_id: str
    loan_id: str
    owner: str
    status: str
    opened_on: dt.date
    bucket: str
    dpd: int
    overdue_amount: Decimal
    outstanding: Decimal


class BureauReport(BaseModel):
    reported_on: dt.date
    lenders_count: int | None
    loans_balance: Decimal | None
    short_term_balance: Decimal | None
    overdue_amount: Decimal | None
    inquiries_3m: int | None
    new_loans_3m: int | None


class RegistryEvent(BaseModel):
    occurred_on: dt.date
    kind: str
    detail: str | None
    amount: Decimal | None


class Collateral(BaseModel):
    collateral_id: str
    loan_id: str
    kind: str
    description: str | None
    appraised_value: Decimal
    appraised_on: dt.date
    status: str | None
    latest_value: Decimal | None
    valued_on: dt.date | None


class Guarantee(BaseModel):
    guarantee_id: str
    loan_id: str
    kind: str
    amount: Decimal | None
    borrower_id: str
    borrower_name: str | None
    guarantor_id: str
    guarantor_name: str | None


class Guarantees(BaseModel):
    received: list[Guarantee]
    given: list[Guarantee]


class NetworkNode(BaseModel):
    customer_id: str
    depth: int
    customer_type: str | None
    name: str | None
    borrower: bool
    exposure: Decimal
    worst_class: str | None
    signals: list[str]
    visible: bool  # in the caller's slice: its page can be opened


class NetworkEdge(BaseModel):
    src: str
    dst: str
    kind: str
    source: str
    share: Decimal | None


class Network(BaseModel):
    as_of: dt.date
    customer_id: str
    depth: int
    nodes: list[NetworkNode]
    edges: list[NetworkEdge]
    truncated: bool


class ContractDoc(BaseModel):
    contract_id: str
    loan_id: str
    counterparty_name: str
    counterparty_tax_id: str | None
    amount: Decimal
    signed_on: dt.date | None
    goods: str | None = Field(description="what the contract buys or sells (its purpose)")
    loan_purpose: str | None = Field(description="the purpose of the loan it backs")


class Contracts(BaseModel):
    total: int = Field(description="contracts known at the date, of loans disbursed by it")
    items: list[ContractDoc] = Field(description="a page of them, the latest dated first")


class InvoiceDoc(BaseModel):
    invoice_no: str
    issued_on: dt.date
    seller_tax_id: str
    seller_name: str | None
    buyer_tax_id: str
    buyer_name: str | None
    amount: Decimal = Field(description="before tax (金额); negative on a red invoice")
    tax_amount: Decimal | None
    status: str | None = Field(description="normal, void or red")
    contract_id: str | None = Field(description="the invoice's contract, or the one it is "
                                                "matched to (contract_inferred)")
    contract_inferred: bool = Field(description="the contract was matched by seller and buyer, "
                                                "the invoice names none")


class Invoices(BaseModel):
    total: int = Field(description="invoices issued by the date on the borrower's contracts "
                                   "or with the borrower as buyer or seller")
    items: list[InvoiceDoc] = Field(description="a page of them, the latest first")


class AttachmentDoc(BaseModel):
    task_id: str
    task_kind: str
    name: str
    content_type: str
    size: int
    by: str
    at: LocalTime
    url: str = Field(description="where to download it (GET, view_tasks)")


class Attachments(BaseModel):
    total: int = Field(description="files on the borrower's tasks uploaded by the date (at the "
                                   "newest date: all of them)")
    items: list[AttachmentDoc] = Field(description="a page of them, the newest first")


class Documents(BaseModel):
    """The borrower's documents as known at the date, each list a page with its total."""

    contracts: Contracts
    invoices: Invoices
    attachments: Attachments


class Borrower360(BaseModel):
    as_of: dt.date
    dates: list[dt.date]
    profile: Profile
    loans: list[Loan]
    dpd_history: list[DpdPoint]
    classes: list[ClassRow]
    ratings: list[RatingRow]
    indicators: Indicators | None
    score: Score | None
    alerts: list[AlertItem]
    tasks: list[TaskItem]
    cases: list[CaseItem]
    bureau: list[BureauReport]
    registry: list[RegistryEvent]
    collaterals: list[Collateral]
    guarantees: Guarantees
    documents: Documents = Field(description=f"the first {DOCUMENT_LIMIT} of each kind; "
                                             "GET …/documents pages through them")
    network: Network | None


def _day(con: duckdb.DuckDBPyConnection, request: Request, as_of: dt.date | None) -> dt.date:
    return svc.as_of_or_latest(con, as_of, app_state(request).now().date())


def search(con: duckdb.DuckDBPyConnection, request: Request, who: Caller, q: str,
           as_of: dt.date | None) -> BorrowerSearch:
    cipher = app_state(request).workspace.cipher()
    return BorrowerSearch(**svc.search_borrowers(con, who.principal, q, cipher,
                                                 _day(con, request, as_of)))


def view(con: duckdb.DuckDBPyConnection, request: Request, who: Caller, customer_id: str,
         as_of: dt.date | None) -> Borrower360:
    state = app_state(request)
    found = svc.borrower_view(con, state.store, who.principal, customer_id,
                              _day(con, request, as_of))
    found["alerts"] = [{**a, **state.signal_title_fields(a["signal_id"])} for a in found["alerts"]]
    found["documents"] = _with_urls(found["documents"])
    return Borrower360(**found)


def _with_urls(documents: dict[str, Any]) -> dict[str, Any]:
    files = documents["attachments"]
    return {**documents, "attachments": {**files, "items": [
        {**f, "url": f"/api/tasks/{quote(f['task_id'], safe='')}/attachments/"
                     f"{quote(f['name'], safe='')}"} for f in files["items"]]}}


def documents(con: duckdb.DuckDBPyConnection, request: Request, who: Caller, customer_id: str,
              as_of: dt.date | None, limit: int, offset: int) -> Documents:
    found = svc.documents_of(con, app_state(request).store, who.principal, customer_id,
                             _day(con, request, as_of), limit, offset)
    return Documents(**_with_urls(found))


def reveal(con: duckdb.DuckDBPyConnection, request: Request, who: Caller, customer_id: str,
           as_of: dt.date | None) -> Personal:
    state = app_state(request)
    return Personal(**svc.reveal_personal(con, state.store, who.principal, customer_id,
                                          _day(con, request, as_of), state.workspace.cipher(),
                                          state.now()))


@router.get("/borrowers", response_model=BorrowerSearch)
def search_borrowers(request: Request, who: Viewer, con: Con, q: str = "",
                     as_of: dt.date | None = None) -> BorrowerSearch:
    """Borrowers in your slice by customer id, loan id, or an exact name, id number or phone
    (matched by keyed hash); without ``q`` all of them, largest exposure first."""
    return search(con, request, who, q, as_of)


@router.get("/borrowers/{customer_id}", response_model=Borrower360, responses=NOT_FOUND)
def borrower(request: Request, who: Viewer, con: Con, customer_id: str,
             as_of: dt.date | None = None) -> Borrower360:
    """The 360 view as of a date (default the newest run): personal data masked."""
    return view(con, request, who, customer_id, as_of)


@router.get("/borrowers/{customer_id}/loans", response_model=list[Loan], responses=NOT_FOUND)
def loans(who: Viewer, con: Con, request: Request, customer_id: str,
          as_of: dt.date | None = None) -> list[Any]:
    """The borrower's loans with their schedule and repayments."""
    return svc.loans_of(con, who.principal, customer_id, _day(con, request, as_of))


@router.get("/borrowers/{customer_id}/network", response_model=Network | None,
            responses=NOT_FOUND)
def network(who: Viewer, con: Con, request: Request, customer_id: str,
            as_of: dt.date | None = None) -> Any:
    """Related parties and guarantees within two links (None before the first run)."""
    return svc.network_of(con, who.principal, customer_id, _day(con, request, as_of))


@router.get("/borrowers/{customer_id}/documents", response_model=Documents,
            responses=NOT_FOUND)
def borrower_documents(who: Viewer, con: Con, request: Request, customer_id: str,
                       as_of: dt.date | None = None,
                       limit: Annotated[int, Query(ge=1, le=500)] = DOCUMENT_LIMIT,
                       offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> Documents:
    """Contracts, VAT invoices and task attachments of the borrower as known at a date, a
    page of each (newest first) with their totals."""
    return documents(con, request, who, customer_id, as_of, limit, offset)


@router.post("/borrowers/{customer_id}/unmask", response_model=Personal,
             responses={**NOT_FOUND, 403: {"description": "the role may not see personal data"}})
def unmask(request: Request, who: Unmasker, con: Con, customer_id: str,
           as_of: dt.date | None = None) -> Personal:
    """Name, id number and phone in clear; the reveal is written to the audit trail."""
    return reveal(con, request, who, customer_id, as_of)
