"""What borrowers earn and report: monthly incomes of individuals, quarterly statements of SMEs."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.credit import month_index
from loanwatch.simulate.frames import dates, day, expand, ids, money, month_days, month_end, stream
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.scenarios import NEVER, Scenarios, trace_month

HISTORY_MONTHS = 12  # statements and incomes reach back this far before the first loan


def monthly_sales(cfg: SimConfig, loans: Loans, parties: Parties) -> np.ndarray:
    """Normal monthly sales of each enterprise (cents): sized on its capital and its borrowing."""
    rng = stream(cfg.seed, "sales")
    borrowed = np.zeros(len(parties), np.int64)
    np.add.at(borrowed, loans.customer, loans.principal)
    base = np.maximum(parties.capital * 0.25, borrowed * 0.3) * np.exp(rng.normal(0, 0.3, len(parties)))
    return np.where(parties.enterprise, np.rint(base / 100) * 100, 0).astype(np.int64)


def first_months(cfg: SimConfig, loans: Loans, n: int) -> np.ndarray:
    first = np.full(n, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(first, loans.customer, loans.disbursed)
    return month_index(cfg, first)


def _activity_at(activity: np.ndarray, who: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Activity of month k, 1.0 for months before the simulation starts."""
    inside = k >= 0
    out = np.ones(len(who), np.float64)
    out[inside] = activity[who[inside], k[inside]]
    return out


def incomes(cfg: SimConfig, loans: Loans, parties: Parties, activity: np.ndarray) -> pa.Table:
    """Monthly income of individual borrowers from a year before their first loan to the last month."""
    who = np.flatnonzero(parties.borrower & ~parties.enterprise)
    first = first_months(cfg, loans, len(parties))[who] - HISTORY_MONTHS
    c, k = expand(who, first, np.full(len(who), cfg.months - 1))
    rng = stream(cfg.seed, "incomes")
    amount = parties.income[c] / 12 * _activity_at(activity, c, k) * np.exp(rng.normal(0, 0.05, len(c)))
    month = month_days(day(cfg.start), k)
    return pa.table(
        {
            "customer_id": ids("customer", c + 1),
            "month": pc.strftime(dates(month), format="%Y-%m"),
            "amount": money(np.rint(amount / 100).astype(np.int64) * 100),
        }
    )


def financials(
    cfg: SimConfig, loans: Loans, parties: Parties, scen: Scenarios, activity: np.ndarray, sales: np.ndarray
) -> pa.Table:
    """Quarterly statements (period figures) of enterprise borrowers; the balance sheet weakens after a
    real deterioration and after the business stops paying."""
    rng = stream(cfg.seed, "financials")
    who = np.flatnonzero(parties.borrower & parties.enterprise)
    base = int(day(cfg.start).astype("datetime64[M]").astype(np.int64))  # months since 1970-01
    first = (base + first_months(cfg, loans, len(parties))[who] - HISTORY_MONTHS) // 3
    last = (base + cfg.months - 4) // 3  # a statement comes a month after its quarter ends
    c, q = expand(who, first, np.full(len(who), last))
    k_end = q * 3 + 2 - base  # the quarter's last month, counted from the simulation start
    act = sum(_activity_at(activity, c, np.minimum(k_end - j, cfg.months - 1)) for j in range(3)) / 3
    revenue = sales[c] * 3 * act
    worse = np.zeros(len(parties), np.int64) + NEVER
    for name in ("settlement_drop", "key_person_churn", "court_enforcement", "multi_lending"):
        worse = np.minimum(worse, trace_month(cfg, scen, name, True, len(parties)))
    stress = (k_end >= worse[c]).astype(np.float64)
    # a company keeps its own margin, leverage and liquidity from quarter to quarter, moving
    # a little each time; a deterioration moves them a lot
    own = stream(cfg.seed, "financials-levels")
    n = len(parties)
    margin = (own.normal(0.07, 0.03, n)[c] + rng.normal(0, 0.01, len(c)) - 0.12 * stress
              - 0.08 * (act < 0.7))
    profit = revenue * margin
    assets = parties.capital[c] * own.uniform(2.0, 3.0, n)[c] * rng.uniform(0.95, 1.05, len(c)) + revenue * 2
    leverage = np.clip(own.normal(0.55, 0.08, n)[c] + rng.normal(0, 0.02, len(c)) + 0.25 * stress,
                       0.1, 1.2)
    current_assets = assets * own.uniform(0.45, 0.6, n)[c]
    current_ratio = np.maximum(own.normal(1.5, 0.2, n)[c] + rng.normal(0, 0.05, len(c)) - 0.7 * stress,
                               0.3)
    cash_flow = profit * 1.1 + revenue * rng.normal(0, 0.02, len(c)) - revenue * 0.1 * stress
    borrowed = np.zeros(len(parties), np.int64)
    np.add.at(borrowed, loans.customer, loans.principal)
    cents = lambda x: np.rint(np.asarray(x) / 100).astype(np.int64) * 100  # noqa: E731 — whole yuan
    return pa.table(
        {
            "customer_id": ids("customer", c + 1),
            "period_end": dates(month_end(day(cfg.start), k_end)),
            "revenue": money(cents(revenue)),
            "net_profit": money(cents(profit)),
            "total_assets": money(cents(assets)),
            "total_liabilities": money(cents(assets * leverage)),
            "current_assets": money(cents(current_assets)),
            "current_liabilities": money(cents(current_assets / current_ratio)),
            "operating_cash_flow": money(cents(cash_flow)),
            "interest_expense": money(cents(borrowed[c] * 0.012 + assets * 0.002)),
        }
    )
