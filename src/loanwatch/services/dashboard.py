"""The dashboard's figures (风险总览) as of a date, for the caller's slice of the book: the
portfolio metrics mart of the whole book, their branch, or their own borrowers, with the
change since the stored date before; the alerts and overdue tasks of that slice; trends over
every stored date; and the loans behind each number (``loans_page``), counted the way the
mart counts them so that a click-through lists exactly the loans of the figure."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import duckdb

from loanwatch.batch.marts import NON_PERFORMING, overdue_from_dpd
from loanwatch.policy import Policy
from loanwatch.policy.vocabulary import FiveClass, Severity
from loanwatch.security.permissions import Principal, Scope
from loanwatch.services.scope import owners_of, rows, scope_sql, stored_dates
from loanwatch.services.store import Store
from loanwatch.workflow.alerts import LIVE
from loanwatch.workflow.tasks import OPEN_WORK

#: the breakdowns the dashboard draws, by portfolio-metrics dimension
BREAKDOWNS = ("product", "branch_id", "industry")
#: a filter value meaning "no value" (loans of customers with no industry, say)
NONE = "-"
#: the columns of the loans list a filter may name, besides days past due and the class
FILTER_COLUMNS = ("product", "branch_id", "manager_id", "region", "industry", "vintage")
SEVERITIES = tuple(sorted(Severity, key=lambda s: -s.rank))


@dataclass(frozen=True)
class Kpis:
    loans: int
    outstanding: Decimal
    m1_loans: int
    m1_balance: Decimal
    m1_rate_balance: float | None
    m3_loans: int
    m3_balance: Decimal
    m3_rate_balance: float | None
    npl_balance: Decimal
    npl_ratio: float | None
    loss_allowance: Decimal
    provision_coverage: float | None


KPI_COLUMNS = tuple(f.name for f in dataclasses.fields(Kpis))


def _change(now: Kpis | None, before: Kpis | None) -> Kpis | None:
    """``now - before`` field by field (``None`` where either side has no value)."""
    if now is None or before is None:
        return None
    diff = {}
    for name in KPI_COLUMNS:
        a, b = getattr(now, name), getattr(before, name)
        diff[name] = None if a is None or b is None else a - b
    return Kpis(**diff)


@dataclass(frozen=True)
class Segment:
    """One bar of a breakdown: a product, branch or industry (``None``: not recorded)."""

    segment: str | None
    loans: int
    outstanding: Decimal
    m1_loans: int
    m1_rate_balance: float | None
    m3_rate_balance: float | None
    npl_balance: Decimal
    npl_ratio: float | None


@dataclass(frozen=True)
class Dashboard:
    as_of: dt.date | None
    dates: list[dt.date]
    previous: dt.date | None
    dimension: str
    segment: str
    now: Kpis | None = None
    before: Kpis | None = None
    change: Kpis | None = None
    new_alerts: dict[str, int] = field(default_factory=dict)
    open_alerts: dict[str, int] = field(default_factory=dict)
    overdue_tasks: int = 0
    trend: list[dict[str, Any]] = field(default_factory=list)
    roll_rates: list[dict[str, Any]] = field(default_factory=list)
    vintage: list[dict[str, Any]] = field(default_factory=list)
    breakdowns: dict[str, list[Segment]] = field(default_factory=dict)
    #: whether the whole-book charts (roll rates, vintages) are shown: only to a caller who
    #: sees the whole book, since the marts hold them for the whole book alone
    whole_book: bool = False


def segment_of(who: Principal) -> tuple[str, str]:
    """The portfolio-metrics slice of ``who``: (dimension, segment)."""
    if who.scope is Scope.BRANCH:
        return "branch_id", who.branch_id or ""
    if who.scope is Scope.OWN:
        return "manager_id", who.manager_id or who.user_id
    return "all", "*"


def _day(con: duckdb.DuckDBPyConnection, as_of: dt.date | None) -> tuple[dt.date | None, list]:
    """The date asked for (default the newest stored) and every stored date; a date asked
    for that was never computed is a ``LookupError``."""
    dates = stored_dates(con, "portfolio_metrics")
    if as_of is None:
        return (dates[-1] if dates else None), dates
    if as_of not in dates:
        stored = ", ".join(map(str, dates)) or "none yet"
        raise LookupError(f"no results are stored for {as_of} (stored dates: {stored})")
    return as_of, dates


def dashboard(con: duckdb.DuckDBPyConnection, store: Store, who: Principal, policy: Policy,
              as_of: dt.date | None = None) -> Dashboard:
    """Everything the dashboard shows at ``as_of`` (default the newest stored date)."""
    day, dates = _day(con, as_of)
    dimension, segment = segment_of(who)
    if day is None:
        return Dashboard(None, dates, None, dimension, segment)
    previous = max((d for d in dates if d < day), default=None)
    found = {r.pop("as_of"): Kpis(**r) for r in rows(con, f"""
        SELECT as_of, {', '.join(KPI_COLUMNS)} FROM portfolio_metrics
        WHERE dimension = ? AND segment = ? AND as_of IN (?, ?)""",
        [dimension, segment, day, previous or day])}
    now, before = found.get(day), found.get(previous)
    new, live, overdue = _work(store, who, day)
    whole = who.scope is Scope.ALL
    return Dashboard(day, dates, previous, dimension, segment, now, before, _change(now, before),
                     new, live, overdue, _trend(con, dimension, segment),
                     _roll_rates(con) if whole else [], _vintage(con, day) if whole else [],
                     {d: breakdown(con, who, policy, day, d) for d in BREAKDOWNS}, whole)


# --- the store: alerts and tasks of the slice -----------------------------------------------

def _store_slice(who: Principal) -> dict[str, Any]:
    """Filters of store records (alerts, tasks) to ``who``'s slice."""
    owners = owners_of(who)
    if owners is not None:
        return {"owner": owners}
    if who.scope is Scope.BRANCH:
        return {"branch_id": who.branch_id}
    return {}


def _by_severity(found: list[dict[str, Any]]) -> dict[str, int]:
    counts = Counter(r["severity"] for r in found)
    return {s.value: counts.get(s.value, 0) for s in SEVERITIES}


def _work(store: Store, who: Principal, day: dt.date) -> tuple[dict, dict, int]:
    """Alerts opened on ``day`` and alerts not closed, by severity; tasks planned or under
    way whose due date is before ``day``."""
    where = _store_slice(who)
    with store.session() as s:
        new = s.alerts.index("severity", opened_on=day, **where)
        live = s.alerts.index("severity", status=tuple(LIVE), **where)
        tasks = s.tasks.index("due_on", status=tuple(OPEN_WORK), **where)
    return _by_severity(new), _by_severity(live), sum(t["due_on"] < day for t in tasks)


# --- the marts: trends, roll rates, vintages --------------------------------------------------

def _trend(con: duckdb.DuckDBPyConnection, dimension: str, segment: str) -> list[dict]:
    return rows(con, """
        SELECT as_of, loans, outstanding, m1_rate_balance, m3_rate_balance, npl_ratio
        FROM portfolio_metrics WHERE dimension = ? AND segment = ? ORDER BY as_of""",
        [dimension, segment])


def _optional(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
              ) -> list[dict]:
    """The rows of a mart a run may have left out (``loanwatch run --marts``): none then."""
    try:
        return rows(con, sql, params or [])
    except duckdb.CatalogException:
        return []


def _roll_rates(con: duckdb.DuckDBPyConnection) -> list[dict]:
    return _optional(con, """
        SELECT as_of, from_bucket, loans_before::BIGINT AS loans_before, balance_before,
               roll_rate, cure_rate
        FROM roll_rates ORDER BY as_of, from_bucket""")


def _vintage(con: duckdb.DuckDBPyConnection, day: dt.date) -> list[dict]:
    """Each disbursement cohort's M1+ / M3+ balance rate by months on book, from every
    stored date up to ``day``."""
    return _optional(con, """
        SELECT cohort, mob, as_of, loans, disbursed, m1_rate_balance, m3_rate_balance,
               write_off_rate
        FROM vintage WHERE as_of <= ? ORDER BY cohort, mob""", [day])


# --- the loans behind a number ----------------------------------------------------------------

#: the loans the portfolio metrics count at a date (active, with outstanding principal), with
#: their class, stage and allowance, and the customer's region and industry in force then
_BOOK = """
    SELECT s.as_of, s.loan_id, s.customer_id, s.product, s.branch_id, s.manager_id,
           c.region, c.industry, strftime(s.disbursed_on, '%Y-%m') AS vintage, s.disbursed_on,
           s.dpd, s.bucket, s.outstanding_principal, s.overdue_principal, s.overdue_interest,
           k.five_class, k.stage, k.ecl
    FROM loan_snapshot s
    LEFT JOIN classification k ON k.loan_id = s.loan_id AND k.as_of = s.as_of
    LEFT JOIN customers c ON c.customer_id = s.customer_id
         AND (c._valid_from IS NULL OR c._valid_from <= s.as_of)
         AND (c._valid_to IS NULL OR c._valid_to > s.as_of)
    WHERE s.as_of = ? AND s.status = 'active' AND s.outstanding_principal > 0"""


@dataclass(frozen=True)
class LoanFilter:
    """Which loans of the book at ``as_of``: at least ``min_dpd`` days past due (M1+ is the
    first DPD of bucket M1), in one of ``five_class``, and equal to each column given
    (``NONE``: the column is empty)."""

    as_of: dt.date | None = None
    min_dpd: int | None = None
    five_class: tuple[str, ...] = ()
    product: str | None = None
    branch_id: str | None = None
    manager_id: str | None = None
    region: str | None = None
    industry: str | None = None
    vintage: str | None = None

    def sql(self) -> tuple[str, list[Any]]:
        """The condition over ``_BOOK``'s columns, with its parameters."""
        found, params = ["TRUE"], []
        for column in FILTER_COLUMNS:
            value = getattr(self, column)
            if value == NONE:
                found.append(f"{column} IS NULL")
            elif value:
                found.append(f"{column} = ?")
                params.append(value)
        if self.min_dpd is not None:
            found.append("dpd >= ?")
            params.append(self.min_dpd)
        if self.five_class:
            found.append(f"five_class IN ({', '.join('?' * len(self.five_class))})")
            params.extend(_five_class(v) for v in self.five_class)
        return " AND ".join(found), params


def _five_class(value: str) -> str:
    if value not in {c.value for c in FiveClass}:
        raise ValueError(f"five_class: unknown class {value!r} (one of "
                         f"{', '.join(c.value for c in FiveClass)})")
    return value


@dataclass(frozen=True)
class LoanRow:
    loan_id: str
    customer_id: str
    product: str | None
    branch_id: str | None
    manager_id: str | None
    region: str | None
    industry: str | None
    vintage: str | None
    dpd: int
    bucket: str | None
    outstanding_principal: Decimal
    overdue_principal: Decimal
    overdue_interest: Decimal
    five_class: str | None
    stage: int | None
    ecl: Decimal | None


LOAN_COLUMNS = tuple(f.name for f in dataclasses.fields(LoanRow))


@dataclass(frozen=True)
class LoanPage:
    as_of: dt.date | None
    dates: list[dt.date]
    filters: LoanFilter
    total: int
    outstanding: Decimal
    page: int
    size: int
    loans: list[LoanRow]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def _scoped_book(who: Principal, filters: LoanFilter) -> tuple[str, list[Any]]:
    """The book at the filter's date, in ``who``'s slice (whatever the filters say)."""
    scope, scope_params = scope_sql(who)
    condition, params = filters.sql()
    return (f"SELECT * FROM ({_BOOK}) WHERE ({scope}) AND {condition}",
            [filters.as_of, *scope_params, *params])


def loans_page(con: duckdb.DuckDBPyConnection, who: Principal, filters: LoanFilter,
               page: int = 1, size: int = 50) -> LoanPage:
    """The loans of ``who``'s slice matching ``filters``, most overdue first, one page of
    ``size``; the total and outstanding of all of them."""
    day, dates = _day(con, filters.as_of)
    filters = dataclasses.replace(filters, as_of=day)
    if day is None:
        return LoanPage(None, dates, filters, 0, Decimal("0.00"), page, size, [])
    book, params = _scoped_book(who, filters)
    total, outstanding = con.execute(
        f"SELECT count(*), coalesce(sum(outstanding_principal), 0) FROM ({book})",
        params).fetchone()
    found = rows(con, f"""
        SELECT {', '.join(LOAN_COLUMNS)} FROM ({book})
        ORDER BY dpd DESC, outstanding_principal DESC, loan_id LIMIT ? OFFSET ?""",
        [*params, size, (page - 1) * size])
    return LoanPage(day, dates, filters, total, Decimal(outstanding), page, size,
                    [LoanRow(**r) for r in found])


# --- breakdowns -------------------------------------------------------------------------------

def breakdown(con: duckdb.DuckDBPyConnection, who: Principal, policy: Policy, day: dt.date,
              dimension: str) -> list[Segment]:
    """The slice's figures by ``dimension`` at ``day``, largest balance first: the mart's
    segments for the whole book; for a branch or a manager (the mart does not cross two
    dimensions) the same sums over their loans."""
    if who.scope is Scope.ALL:
        found = rows(con, """
            SELECT segment, loans, outstanding, m1_loans, m1_rate_balance, m3_rate_balance,
                   npl_balance, npl_ratio
            FROM portfolio_metrics WHERE as_of = ? AND dimension = ?
            ORDER BY outstanding DESC, segment""", [day, dimension])
        return [Segment(**r) for r in found]
    if dimension not in FILTER_COLUMNS:
        raise ValueError(f"no breakdown by {dimension}")
    m = overdue_from_dpd(policy)
    book, params = _scoped_book(who, LoanFilter(as_of=day))
    npl = ", ".join(f"'{c}'" for c in NON_PERFORMING)
    found = rows(con, f"""
        SELECT {dimension} AS segment, count(*) AS loans,
               sum(outstanding_principal) AS outstanding,
               count(*) FILTER (WHERE dpd >= {int(m['m1'])}) AS m1_loans,
               coalesce(sum(outstanding_principal) FILTER (WHERE dpd >= {int(m['m1'])}), 0) AS m1,
               coalesce(sum(outstanding_principal) FILTER (WHERE dpd >= {int(m['m3'])}), 0) AS m3,
               coalesce(sum(outstanding_principal) FILTER (WHERE five_class IN ({npl})), 0)
                   AS npl_balance
        FROM ({book}) GROUP BY 1 ORDER BY outstanding DESC, segment""", params)
    return [Segment(r["segment"], r["loans"], r["outstanding"], r["m1_loans"],
                    _ratio(r["m1"], r["outstanding"]), _ratio(r["m3"], r["outstanding"]),
                    r["npl_balance"], _ratio(r["npl_balance"], r["outstanding"]))
            for r in found]


def _ratio(part: Decimal, whole: Decimal) -> float | None:
    return float(part) / float(whole) if whole else None
