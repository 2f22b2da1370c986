"""The input tables of the data contract (docs/data-contract.md) as declarative specs.

Each table lists its columns with a kind (how a value is parsed and checked), its key,
its references to other tables and the cross-column checks a row must pass. The importer
turns these specs into SQL; nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ColumnKind = Literal[
    "id", "text", "enum", "date", "timestamp", "month", "money", "signed_money",
    "rate", "share", "count", "seq", "number", "bool",
]

#: DuckDB type stored for each column kind.
SQL_TYPES: dict[str, str] = {
    "id": "VARCHAR", "text": "VARCHAR", "enum": "VARCHAR", "date": "DATE",
    "timestamp": "TIMESTAMP", "month": "DATE", "money": "DECIMAL(18,2)",
    "signed_money": "DECIMAL(18,2)", "rate": "DECIMAL(12,8)", "share": "DECIMAL(12,8)",
    "count": "INTEGER", "seq": "INTEGER", "number": "DECIMAL(24,8)", "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: ColumnKind
    required: bool = False
    values: tuple[str, ...] = ()  # allowed values of an enum
    pii: bool = False
    default: str | None = None  # SQL literal used when the value is absent


@dataclass(frozen=True)
class Reference:
    columns: tuple[str, ...]
    table: str
    # optional extra check against the parent row: (SQL on c.* and p.*, reason)
    check: tuple[str, str] | None = None


@dataclass(frozen=True)
class RowCheck:
    sql: str  # true when the row is BAD; refers to typed columns
    column: str
    reason: str


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = ()
    checks: tuple[RowCheck, ...] = ()
    # a table whose rows are replaced as a set per scope (a loan's schedule)
    replace_scope: tuple[str, ...] = ()
    date_column: str | None = None  # freshness
    important: tuple[str, ...] = ()  # null rates reported by `quality`
    derived: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (type, SQL)
    # (parent table, date column): a changed version of a scope takes effect on that date of
    # the parent row when it is earlier than the import's as-of (a schedule switches on the
    # loan's restructuring date, not on the day the new schedule was delivered)
    applies_from: tuple[str, str] | None = None

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _c(name: str, kind: ColumnKind = "text", req: bool = False, **kw) -> Column:
    return Column(name, kind, req, **kw)


def _enum(name: str, *values: str, req: bool = False, default: str | None = None) -> Column:
    return Column(name, "enum", req, values=values, default=default)


PARTY = ("individual", "enterprise")
PARTY_OR_UNKNOWN = ("individual", "enterprise", "unknown")

CUSTOMERS = Table(
    "customers",
    (
        _c("customer_id", "id", True), _enum("customer_type", *PARTY, req=True),
        _c("name", "text", True, pii=True), _c("id_number", "text", pii=True),
        _c("phone", "text", pii=True), _c("industry", "id"), _c("region", "id"),
        _c("branch_id", "id", True), _c("manager_id", "id"), _c("onboarded_on", "date"),
        _c("annual_income", "money"), _c("registered_capital", "money"),
    ),
    key=("customer_id",), date_column="onboarded_on",
    important=("id_number", "phone", "industry", "region", "manager_id"),
)

LOANS = Table(
    "loans",
    (
        _c("loan_id", "id", True), _c("customer_id", "id", True), _c("product", "id", True),
        _c("principal", "money", True), _c("currency", "id", default="'CNY'"),
        _c("disbursed_on", "date", True), _c("maturity_on", "date", True),
        _c("annual_rate", "rate", True),
        _enum("repayment_method", "equal_installment", "equal_principal", "interest_first",
              "bullet", req=True),
        _enum("payment_mode", "entrusted", "self"), _c("purpose", "text"),
        _c("branch_id", "id", True), _c("manager_id", "id"), _c("credit_line_id", "id"),
        _c("restructured_on", "date"), _c("written_off_on", "date"),
    ),
    key=("loan_id",),
    references=(Reference(("customer_id",), "customers"),),
    checks=(
        RowCheck("principal <= 0", "principal", "principal must be greater than 0"),
        RowCheck("maturity_on < disbursed_on", "maturity_on", "maturity_on is before disbursed_on"),
        RowCheck("restructured_on < disbursed_on", "restructured_on",
                 "restructured_on is before disbursed_on"),
        RowCheck("written_off_on < disbursed_on", "written_off_on",
                 "written_off_on is before disbursed_on"),
    ),
    date_column="disbursed_on", important=("manager_id", "payment_mode", "purpose"),
)

_EARLIER = "(PARTITION BY loan_id ORDER BY seq ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"


def _before(total: str) -> str:
    return f"CAST(COALESCE({total} OVER {_EARLIER}, 0) AS DECIMAL(18,2))"


INSTALLMENTS = Table(
    "installments",
    (
        _c("loan_id", "id", True), _c("seq", "seq", True), _c("due_on", "date", True),
        _c("principal_due", "money", True), _c("interest_due", "money", True),
        _c("fee_due", "money", default="0"),
    ),
    key=("loan_id", "seq"),
    references=(Reference(("loan_id",), "loans",
                          ("c.due_on < p.disbursed_on", "due_on is before the loan's disbursed_on")),),
    replace_scope=("loan_id",), date_column="due_on", applies_from=("loans", "restructured_on"),
    # What all earlier installments add up to, stored once per schedule version so that the
    # engine allocates repayments without a window or a sort at run time (loan_snapshot.py).
    derived={
        "cum_due_before": ("DECIMAL(18,2)", _before("SUM(principal_due + interest_due + fee_due)")),
        "cum_fee_before": ("DECIMAL(18,2)", _before("SUM(fee_due)")),
        "cum_interest_before": ("DECIMAL(18,2)", _before("SUM(interest_due)")),
        # due date of the previous installment with something due (NULL for the first)
        "prev_due_on": ("DATE", "MAX(CASE WHEN principal_due + interest_due + fee_due > 0 THEN "
                        f"due_on END) OVER {_EARLIER}"),
        # the schedule's last installment: its cumulative amounts are the schedule's totals
        "is_last": ("BOOLEAN", "LEAD(seq) OVER (PARTITION BY loan_id ORDER BY seq) IS NULL"),
    },
)

REPAYMENTS = Table(
    "repayments",
    (_c("repayment_id", "id", True), _c("loan_id", "id", True), _c("paid_on", "date", True),
     _c("amount", "money", True)),
    key=("repayment_id",),
    references=(Reference(("loan_id",), "loans",
                          ("c.paid_on < p.disbursed_on", "paid_on is before the loan's disbursed_on")),),
    date_column="paid_on",
)

ACCOUNTS = Table(
    "accounts",
    (_c("account_id", "id", True), _c("customer_id", "id"), _c("holder_name", "text"),
     _enum("holder_type", *PARTY_OR_UNKNOWN), _c("bank_code", "id"), _c("is_own_bank", "bool")),
    key=("account_id",), references=(Reference(("customer_id",), "customers"),),
    important=("customer_id", "holder_type", "bank_code"),
)

TRANSACTIONS = Table(
    "transactions",
    (
        _c("txn_id", "id", True), _c("account_id", "id", True),
        _c("occurred_at", "timestamp", True), _enum("direction", "in", "out", req=True),
        _c("amount", "money", True), _c("counterparty_account", "id"),
        _c("counterparty_name", "text"), _enum("counterparty_type", *PARTY_OR_UNKNOWN),
        _c("channel", "id"), _c("memo", "text"), _c("loan_id", "id"),
    ),
    key=("txn_id",),
    references=(Reference(("account_id",), "accounts"), Reference(("loan_id",), "loans")),
    date_column="occurred_at", important=("counterparty_account", "counterparty_name"),
)

CONTRACTS = Table(
    "contracts",
    (_c("contract_id", "id", True), _c("loan_id", "id", True),
     _c("counterparty_name", "text", True), _c("counterparty_tax_id", "id"),
     _c("amount", "money", True), _c("signed_on", "date"), _c("goods", "text")),
    key=("contract_id",), references=(Reference(("loan_id",), "loans"),),
    date_column="signed_on", important=("counterparty_tax_id", "signed_on"),
)

INVOICES = Table(
    "invoices",
    (
        _c("invoice_no", "id", True), _c("seller_tax_id", "id", True), _c("seller_name", "text"),
        _c("buyer_tax_id", "id", True), _c("buyer_name", "text"), _c("issued_on", "date", True),
        _c("amount", "signed_money", True), _c("tax_amount", "signed_money"),
        _enum("status", "normal", "void", "red", default="'normal'"), _c("contract_id", "id"),
    ),
    key=("invoice_no",), references=(Reference(("contract_id",), "contracts"),),
    checks=(
        RowCheck("amount < 0 AND status <> 'red'", "amount",
                 "negative amount on an invoice that is not red (红字)"),
        RowCheck("tax_amount < 0 AND status <> 'red'", "tax_amount",
                 "negative tax_amount on an invoice that is not red (红字)"),
    ),
    date_column="issued_on", important=("contract_id", "status"),
)

GUARANTEES = Table(
    "guarantees",
    (_c("guarantee_id", "id", True), _c("loan_id", "id", True),
     _c("guarantor_customer_id", "id", True),
     _enum("kind", "guarantee", "mortgage", "pledge", req=True), _c("amount", "money")),
    key=("guarantee_id",),
    references=(Reference(("loan_id",), "loans"),
                Reference(("guarantor_customer_id",), "customers")),
)

COLLATERALS = Table(
    "collaterals",
    (_c("collateral_id", "id", True), _c("loan_id", "id", True), _c("kind", "id", True),
     _c("description", "text"), _c("appraised_value", "money", True),
     _c("appraised_on", "date", True),
     _enum("status", "registered", "released", "seized", "missing")),
    key=("collateral_id",), references=(Reference(("loan_id",), "loans"),),
    date_column="appraised_on",
)

COLLATERAL_VALUATIONS = Table(
    "collateral_valuations",
    (_c("collateral_id", "id", True), _c("valued_on", "date", True), _c("value", "money", True)),
    key=("collateral_id", "valued_on"),
    references=(Reference(("collateral_id",), "collaterals"),), date_column="valued_on",
)

FINANCIALS = Table(
    "financials",
    (
        _c("customer_id", "id", True), _c("period_end", "date", True),
        _c("revenue", "money"), _c("net_profit", "signed_money"), _c("total_assets", "money"),
        _c("total_liabilities", "money"), _c("current_assets", "money"),
        _c("current_liabilities", "money"), _c("operating_cash_flow", "signed_money"),
        _c("interest_expense", "signed_money"),
    ),
    key=("customer_id", "period_end"), references=(Reference(("customer_id",), "customers"),),
    date_column="period_end", important=("revenue", "total_assets", "total_liabilities"),
)

INCOMES = Table(
    "incomes",
    (_c("customer_id", "id", True), _c("month", "month", True), _c("amount", "money", True)),
    key=("customer_id", "month"), references=(Reference(("customer_id",), "customers"),),
    date_column="month",
)

REGISTRY_KINDS = (
    "legal_rep_change", "shareholder_change", "director_change", "supervisor_change",
    "finance_head_change", "business_scope_change", "address_change", "capital_change",
    "lawsuit", "enforcement", "dishonest_debtor", "admin_penalty", "equity_freeze",
    "equity_pledge", "abnormal_operation",
)

REGISTRY_EVENTS = Table(
    "registry_events",
    (_c("customer_id", "id", True), _c("occurred_on", "date", True),
     _enum("kind", *REGISTRY_KINDS, req=True), _c("detail", "text"), _c("amount", "money")),
    key=("customer_id", "occurred_on", "kind", "detail", "amount"),
    references=(Reference(("customer_id",), "customers"),), date_column="occurred_on",
)

BUREAU_REPORTS = Table(
    "bureau_reports",
    (
        _c("customer_id", "id", True), _c("reported_on", "date", True),
        _c("lenders_count", "count"), _c("loans_balance", "money"),
        _c("short_term_balance", "money"), _c("overdue_amount", "money"),
        _c("inquiries_3m", "count"), _c("new_loans_3m", "count"),
        # LoanWatch addition: the part of overdue_amount more than 90 days overdue, for the
        # non-retail classification floors (METRICS.md); optional
        _c("overdue_90_amount", "money"),
    ),
    key=("customer_id", "reported_on"), references=(Reference(("customer_id",), "customers"),),
    date_column="reported_on", important=("lenders_count", "loans_balance", "overdue_amount"),
)

RELATIONS = Table(
    "relations",
    (
        _c("customer_id", "id", True), _c("related_customer_id", "id", True),
        _enum("kind", "shareholder", "legal_rep", "spouse", "family", "same_phone",
              "same_address", "same_device", "contact", "guarantor", req=True),
        _c("share", "share"),
    ),
    key=("customer_id", "related_customer_id", "kind"),
    references=(Reference(("customer_id",), "customers"),
                Reference(("related_customer_id",), "customers")),
    checks=(RowCheck("customer_id = related_customer_id", "related_customer_id",
                     "a customer cannot be related to itself"),),
)

COVENANTS = Table(
    "covenants",
    (_c("loan_id", "id", True), _c("kind", "id", True), _c("threshold", "number", True)),
    key=("loan_id", "kind"), references=(Reference(("loan_id",), "loans"),),
)

#: Every table of the contract, parents before children (the import order).
TABLES: tuple[Table, ...] = (
    CUSTOMERS, LOANS, INSTALLMENTS, REPAYMENTS, ACCOUNTS, TRANSACTIONS, CONTRACTS, INVOICES,
    GUARANTEES, COLLATERALS, COLLATERAL_VALUATIONS, FINANCIALS, INCOMES, REGISTRY_EVENTS,
    BUREAU_REPORTS, RELATIONS, COVENANTS,
)
TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
