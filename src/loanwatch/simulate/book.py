"""The loan book: which loans the simulated lender made, to whom, and how they are secured."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import day, stream
from loanwatch.simulate.schedules import METHODS, add_months


@dataclass
class Loans:
    product: np.ndarray  # int8 index into cfg.products
    enterprise: np.ndarray  # bool
    principal: np.ndarray  # int64 cents
    rate_micro: np.ndarray  # int64, annual rate × 1e6
    method: np.ndarray  # int8 index into METHODS
    term: np.ndarray  # int32 months
    disbursed: np.ndarray  # datetime64[D]
    entrusted: np.ndarray  # bool: 受托支付 with a purchase contract
    fee_cents: np.ndarray  # int64 monthly fee
    customer: np.ndarray  # int64 borrower index (set by parties)

    def __len__(self) -> int:
        return len(self.product)

    @property
    def maturity(self) -> np.ndarray:
        return add_months(self.disbursed, self.term)

    @property
    def bullet(self) -> np.ndarray:
        return self.method == METHODS.index("bullet")


def draw_loans(cfg: SimConfig) -> Loans:
    """Products, amounts, prices and dates for ``cfg.loans`` loans, disbursed over the window."""
    rng = stream(cfg.seed, "loans")
    n = cfg.loans
    shares = np.array([p.share for p in cfg.products])
    product = rng.choice(len(shares), size=n, p=shares / shares.sum()).astype(np.int8)
    enterprise = np.array([p.enterprise for p in cfg.products])[product]
    principal = np.zeros(n, np.int64)
    rate = np.zeros(n, np.int64)
    method = np.zeros(n, np.int8)
    term = np.zeros(n, np.int32)
    entrusted = np.zeros(n, bool)
    fee = np.zeros(n, np.int64)
    for i, p in enumerate(cfg.products):
        at = np.flatnonzero(product == i)
        k = len(at)
        amount = np.exp(rng.normal(np.log(p.principal_median), p.principal_sigma, k))
        step = 100 if p.principal_median < 200_000 else 10_000
        principal[at] = np.maximum(np.rint(amount / step), 1).astype(np.int64) * step * 100
        # rates are quoted to a basis point (0.0435), stored with six decimals
        rate[at] = np.rint(rng.uniform(*p.rate, k) * 1e4).astype(np.int64) * 100
        codes, weights = p.method_codes()
        method[at] = rng.choice(codes, size=k, p=np.array(weights) / sum(weights))
        term[at] = rng.choice(p.terms, size=k)
        entrusted[at] = rng.random(k) < p.entrusted
        fee[at] = np.rint(principal[at] * p.monthly_fee_rate / 100).astype(np.int64) * 100
    window = max((cfg.end - cfg.start).days - 30, 1)
    # a growing lender: density rises linearly to twice the first day's (inverse of its CDF)
    x = np.sqrt(1 + 3 * rng.random(n)) - 1
    offset = np.minimum(np.floor(x * window), window - 1).astype("timedelta64[D]")
    disbursed = day(cfg.start) + offset
    return Loans(
        product,
        enterprise,
        principal,
        rate,
        method,
        term,
        disbursed,
        entrusted,
        fee,
        np.full(n, -1, np.int64),
    )


def assign_borrowers(count: int, borrowers: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Borrower of each of ``count`` loans: every borrower gets at least one, a few get more."""
    who = rng.integers(0, len(borrowers), count)
    who[rng.permutation(count)[: len(borrowers)]] = np.arange(len(borrowers))
    return borrowers[who]
