"""Monthly credit-bureau pulls (征信): borrowing elsewhere, inquiries, overdue elsewhere."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.credit import month_index
from loanwatch.simulate.frames import dates, day, expand, ids, money, month_days, stream
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.scenarios import Scenarios, trace_month
from loanwatch.simulate.statements import first_months


def bureau_reports(
    cfg: SimConfig, loans: Loans, parties: Parties, scen: Scenarios, customer_onset: np.ndarray
) -> pa.Table:
    """A pull at onboarding of the first loan and on the 10th of every month after it.

    A multi-lending spiral (real) adds lenders and short-term debt month after month with a burst of
    inquiries; the benign look-alike shops around once (inquiries, one new lender, long-term debt).
    Overdue elsewhere appears after a borrower's own default (contagion across lenders) for most,
    and counts as more than 90 days overdue from the fourth month after it."""
    rng = stream(cfg.seed, "bureau")
    n = len(parties)
    who = np.flatnonzero(parties.borrower)
    first = np.maximum(first_months(cfg, loans, n)[who], 0)
    c, k = expand(who, first, np.full(len(who), cfg.months - 1))
    size = np.where(parties.enterprise, parties.capital * 0.8, parties.income * 1.5)
    base_lenders = 1 + rng.poisson(1.0, n) + parties.enterprise
    base_balance = size * np.exp(rng.normal(0, 0.5, n))
    short_share = rng.uniform(0.1, 0.4, n)
    real = trace_month(cfg, scen, "multi_lending", True, n)[c]
    benign = trace_month(cfg, scen, "multi_lending", False, n)[c]
    since_real = np.clip(k - real + 1, 0, None)  # months into the spiral (0 before it)
    since_benign = np.clip(k - benign + 1, 0, None)
    lenders = base_lenders[c] + np.minimum((since_real + 1) // 2, 4) + (since_benign > 0)
    growth = np.minimum(1 + 0.35 * since_real, 4.0)
    short = base_balance[c] * short_share[c] * growth * np.exp(rng.normal(0, 0.05, len(c)))
    long_term = base_balance[c] * (1 - short_share[c]) * (1 + 1.5 * (since_benign > 0))
    inquiries = rng.poisson(0.8, len(c)) + np.where(
        (since_real > 0) & (since_real <= 4), rng.integers(7, 16, len(c)), 0
    )
    inquiries += np.where((since_benign > 0) & (since_benign <= 2), rng.integers(3, 7, len(c)), 0)
    new_loans = rng.poisson(0.15, len(c)) + np.where((since_real > 0) & (since_real <= 4), 2, 0)
    new_loans += (since_benign == 1).astype(np.int64)
    onset_k = month_index(cfg, customer_onset)
    shows = ~np.isnat(customer_onset) & (rng.random(n) < 0.7)
    overdue = np.where(shows[c] & (k > onset_k[c]), short * rng.uniform(0.1, 0.5, len(c)), 0)
    # what is still unpaid elsewhere more than three months after the default is 90+ overdue
    overdue_90 = np.where(k > onset_k[c] + 3, overdue, 0)
    reported = month_days(day(cfg.start), k, 10)
    pull = np.full(n, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(pull, loans.customer, loans.disbursed)
    # the pull before the first loan replaces that month's monthly pull when it falls in it
    onboarding = pull[c] - np.timedelta64(3, "D")
    is_first = np.r_[True, c[1:] != c[:-1]] if len(c) else np.array([], bool)
    reported = np.where(is_first & (onboarding < reported), onboarding, reported)
    cents = lambda x: np.rint(np.asarray(x) / 100).astype(np.int64) * 100  # noqa: E731 — whole yuan
    return pa.table(
        {
            "customer_id": ids("customer", c + 1),
            "reported_on": dates(reported),
            "lenders_count": pa.array(lenders.astype(np.int32)),
            "loans_balance": money(cents(short + long_term)),
            "short_term_balance": money(cents(short)),
            "overdue_amount": money(cents(overdue)),
            "overdue_90_amount": money(cents(overdue_90)),
            "inquiries_3m": pa.array(inquiries.astype(np.int32)),
            "new_loans_3m": pa.array(new_loans.astype(np.int32)),
        }
    )
