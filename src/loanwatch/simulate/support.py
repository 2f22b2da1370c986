"""Credit support around the loans: guarantees (with circles and chains), collateral and covenants."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import stream
from loanwatch.simulate.parties import Parties

GUARANTEE_KINDS = ("guarantee", "mortgage", "pledge")
COLLATERAL_KINDS = ("property", "land", "deposit", "equity", "equipment", "receivable")


@dataclass
class Guarantees:
    loan: np.ndarray
    guarantor: np.ndarray  # customer index
    kind: np.ndarray  # int8 index into GUARANTEE_KINDS
    amount: np.ndarray  # cents
    circle: np.ndarray  # int32 circle/chain number, -1 for ordinary guarantees
    closed: np.ndarray  # bool: part of a circle (True) or an open chain (False)


@dataclass
class Collaterals:
    loan: np.ndarray
    kind: np.ndarray  # int8 index into COLLATERAL_KINDS
    value: np.ndarray  # cents appraised at disbursement
    appraised: np.ndarray  # datetime64[D]


@dataclass
class Covenants:
    loan: np.ndarray
    min_settlement: np.ndarray  # cents a month through this bank
    max_debt_ratio: np.ndarray  # × 1e4


def draw_guarantees(cfg: SimConfig, loans: Loans, parties: Parties) -> Guarantees:
    """Ordinary third-party guarantees, a few guarantee circles (担保圈) and chains (担保链)."""
    rng = stream(cfg.seed, "guarantees")
    share = np.array([p.guaranteed_share for p in cfg.products])[loans.product]
    chosen = np.flatnonzero(rng.random(len(loans)) < share)
    borrower = loans.customer[chosen]
    rep = parties.legal_rep[borrower]
    ent_borrowers = np.flatnonzero(parties.enterprise & parties.borrower)
    other = rng.choice(ent_borrowers, len(chosen)) if len(ent_borrowers) else rep
    by_rep = (rng.random(len(chosen)) < 0.5) | (other == borrower) | (rep < 0)
    guarantor = np.where(by_rep & (rep >= 0), rep, other)
    keep = guarantor != borrower
    chosen, guarantor = chosen[keep], guarantor[keep]
    circ_loan, circ_guar, circ_id, circ_closed = _circles(cfg, rng, loans, parties)
    secured = _secured(cfg, loans)
    pledge = np.array([p.secured == "receivable" for p in cfg.products])[loans.product[secured]]
    n_ord, n_circ, n_sec = len(chosen), len(circ_loan), len(secured)
    return Guarantees(
        loan=np.concatenate([chosen, circ_loan, secured]).astype(np.int64),
        guarantor=np.concatenate([guarantor, circ_guar, loans.customer[secured]]).astype(np.int64),
        kind=np.concatenate([np.zeros(n_ord + n_circ, np.int8), np.where(pledge, 2, 1).astype(np.int8)]),
        amount=np.concatenate(
            [loans.principal[chosen], loans.principal[circ_loan], loans.principal[secured]]
        ),
        circle=np.concatenate([np.full(n_ord, -1), circ_id, np.full(n_sec, -1)]).astype(np.int32),
        closed=np.concatenate([np.zeros(n_ord, bool), circ_closed, np.zeros(n_sec, bool)]),
    )


def _circles(cfg: SimConfig, rng, loans: Loans, parties: Parties):
    """Groups of enterprise borrowers guaranteeing each other in a ring (closed) or a line (chain)."""
    ent_loans = np.flatnonzero(loans.enterprise)
    count = cfg.guarantee_circles if cfg.guarantee_circles is not None else max(2, cfg.loans // 2000)
    # one loan per enterprise so that members are distinct borrowers
    _, first = np.unique(loans.customer[ent_loans], return_index=True)
    pool = rng.permutation(ent_loans[first])
    loan_parts, guar_parts, ids, closed = [], [], [], []
    used = 0
    for c in range(count):
        size = int(rng.integers(3, 6))
        if used + size > len(pool):
            break
        members = pool[used : used + size]
        used += size
        ring = c % 3 != 2  # two in three are circles, the rest long chains
        links = size if ring else size - 1
        # member i guarantees the loan of member i + 1
        loan_parts.append(members[np.arange(1, links + 1) % size])
        guar_parts.append(loans.customer[members[:links]])
        ids.append(np.full(links, c))
        closed.append(np.full(links, ring))
    if not loan_parts:
        return (np.array([], np.int64),) * 3 + (np.array([], bool),)
    return (
        np.concatenate(loan_parts),
        np.concatenate(guar_parts),
        np.concatenate(ids),
        np.concatenate(closed),
    )


def _secured(cfg: SimConfig, loans: Loans) -> np.ndarray:
    rng = stream(cfg.seed, "collateral-choice")
    share = np.array([p.secured_share for p in cfg.products])[loans.product]
    return np.flatnonzero(rng.random(len(loans)) < share)


def draw_collaterals(cfg: SimConfig, loans: Loans) -> Collaterals:
    """One collateral per secured loan, appraised so that the loan-to-value starts at 40–70%."""
    rng = stream(cfg.seed, "collaterals")
    at = _secured(cfg, loans)
    kinds = np.array([COLLATERAL_KINDS.index(p.secured) if p.secured else 0 for p in cfg.products])
    ltv = rng.uniform(0.4, 0.7, len(at))
    value = (np.rint(loans.principal[at] / ltv / 1_000_000) * 1_000_000).astype(np.int64)
    appraised = loans.disbursed[at] - rng.integers(3, 40, len(at)).astype("timedelta64[D]")
    return Collaterals(at.astype(np.int64), kinds[loans.product[at]].astype(np.int8), value, appraised)


def draw_covenants(cfg: SimConfig, loans: Loans, monthly_settlement: np.ndarray) -> Covenants:
    """Settlement and leverage covenants on enterprise working-capital and business loans."""
    rng = stream(cfg.seed, "covenants")
    names = [p.name for p in cfg.products]
    eligible = np.isin(loans.product, [names.index(x) for x in ("business", "working_capital") if x in names])
    at = np.flatnonzero(eligible & (rng.random(len(loans)) < 0.6))
    expected = monthly_settlement[loans.customer[at]]
    minimum = (np.rint(expected * rng.uniform(0.3, 0.5, len(at)) / 1_000_000) * 1_000_000).astype(np.int64)
    ratio = np.rint(rng.uniform(0.65, 0.8, len(at)) * 100).astype(np.int64) * 100
    return Covenants(at.astype(np.int64), np.maximum(minimum, 1_000_000), ratio)
