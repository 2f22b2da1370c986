"""Borrowers, guarantors and related parties: who they are, where they bank, how they are tied."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.book import Loans, assign_borrowers
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import stream

#: (administrative division code, city) — the regions the lender's branches serve
REGIONS: tuple[tuple[str, str], ...] = (
    ("110105", "北京"),
    ("310115", "上海"),
    ("440305", "深圳"),
    ("330106", "杭州"),
    ("320505", "苏州"),
    ("510107", "成都"),
    ("420106", "武汉"),
    ("370202", "青岛"),
    ("350203", "厦门"),
    ("430103", "长沙"),
    ("610113", "西安"),
    ("500103", "重庆"),
)
#: GB/T 4754 codes of SME industries, with a word for company names
INDUSTRIES: tuple[tuple[str, str], ...] = (
    ("C13", "食品"),
    ("C17", "纺织"),
    ("C26", "化工"),
    ("C34", "机械"),
    ("C39", "电子"),
    ("E47", "建筑"),
    ("F51", "贸易"),
    ("F52", "商贸"),
    ("G54", "物流"),
    ("H62", "餐饮"),
    ("I65", "科技"),
    ("L72", "咨询"),
)
RELATION_KINDS = (
    "shareholder",
    "legal_rep",
    "spouse",
    "family",
    "same_phone",
    "same_address",
    "same_device",
    "contact",
    "guarantor",
)


@dataclass
class Parties:
    enterprise: np.ndarray  # bool
    borrower: np.ndarray  # bool: has a loan here
    region: np.ndarray  # int8 index into REGIONS
    industry: np.ndarray  # int8 index into INDUSTRIES (-1 for individuals)
    branch: np.ndarray  # int32, 0-based
    manager: np.ndarray  # int32, 0-based global
    onboarded: np.ndarray  # datetime64[D]
    income: np.ndarray  # int64 cents a year (individuals) or 0
    capital: np.ndarray  # int64 cents registered capital (enterprises) or 0
    quality: np.ndarray  # float latent credit quality, N(0, 1); higher is better
    phone_of: np.ndarray  # int64: customers with the same value share a phone number
    legal_rep: np.ndarray  # int64 individual behind an enterprise (-1 none)

    def __len__(self) -> int:
        return len(self.enterprise)


@dataclass
class Relations:
    customer: np.ndarray
    related: np.ndarray
    kind: np.ndarray  # int8 index into RELATION_KINDS
    share_micro: np.ndarray  # ownership × 1e6, -1 when not applicable


def draw_parties(cfg: SimConfig, loans: Loans) -> tuple[Parties, Relations]:
    """Borrowers for every loan (sets ``loans.customer``), their legal representatives and spouses."""
    rng = stream(cfg.seed, "parties")
    ent_loans = np.flatnonzero(loans.enterprise)
    ind_loans = np.flatnonzero(~loans.enterprise)
    n_ent = max(int(round(len(ent_loans) / cfg.loans_per_customer)), min(len(ent_loans), 1))
    n_ind = max(int(round(len(ind_loans) / cfg.loans_per_customer)), min(len(ind_loans), 1))
    n_spouse = int(n_ind * 0.25)
    # customers: individual borrowers | enterprise borrowers | legal reps | spouses
    n = n_ind + 2 * n_ent + n_spouse
    ent_idx = np.arange(n_ind, n_ind + n_ent)
    rep_idx = np.arange(n_ind + n_ent, n_ind + 2 * n_ent)
    spouse_of = rng.choice(n_ind, n_spouse, replace=False)
    spouse_idx = np.arange(n_ind + 2 * n_ent, n)
    if len(ind_loans):
        loans.customer[ind_loans] = assign_borrowers(len(ind_loans), np.arange(n_ind), rng)
    if len(ent_loans):
        loans.customer[ent_loans] = assign_borrowers(len(ent_loans), ent_idx, rng)

    enterprise = np.zeros(n, bool)
    enterprise[ent_idx] = True
    borrower = np.zeros(n, bool)
    borrower[: n_ind + n_ent] = True
    region = rng.integers(0, len(REGIONS), n).astype(np.int8)
    region[rep_idx] = region[ent_idx]
    region[spouse_idx] = region[spouse_of]
    branch = (
        region.astype(np.int32) * cfg.branches // len(REGIONS)
        + rng.integers(0, max(cfg.branches // len(REGIONS), 1), n)
    ) % cfg.branches
    branch[rep_idx] = branch[ent_idx]
    branch[spouse_idx] = branch[spouse_of]
    manager = branch * cfg.managers_per_branch + rng.integers(0, cfg.managers_per_branch, n)
    industry = np.where(enterprise, rng.integers(0, len(INDUSTRIES), n), -1).astype(np.int8)
    first_loan = np.full(n, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(first_loan, loans.customer, loans.disbursed)
    onboarded = first_loan - rng.integers(1, 720, n).astype("timedelta64[D]")
    onboarded[~borrower] = first_loan[np.r_[ent_idx, spouse_of]] - rng.integers(
        1, 30, n - n_ind - n_ent
    ).astype("timedelta64[D]")
    quality = rng.normal(0, 1, n)
    quality[rep_idx] = 0.7 * quality[ent_idx] + 0.3 * quality[rep_idx]
    income = np.where(enterprise, 0, np.rint(np.exp(rng.normal(np.log(120_000), 0.55, n))) * 100).astype(
        np.int64
    )
    income = underwritten_income(cfg, loans, income, n)
    capital = np.where(enterprise, np.rint(np.exp(rng.normal(np.log(5e6), 1.0, n)) / 1e4) * 1e6, 0).astype(
        np.int64
    )
    phone_of = np.arange(n, dtype=np.int64)
    # a few borrowers share a phone with another borrower (a fraud-ring pattern and family phones)
    sharers = rng.choice(n_ind, max(n_ind // 100, 0), replace=False) if n_ind > 1 else np.array([], int)
    phone_of[sharers] = rng.integers(0, n_ind, len(sharers))
    legal_rep = np.full(n, -1, np.int64)
    legal_rep[ent_idx] = rep_idx
    parties = Parties(
        enterprise,
        borrower,
        region,
        industry,
        branch.astype(np.int32),
        manager.astype(np.int32),
        onboarded,
        income,
        capital,
        quality,
        phone_of,
        legal_rep,
    )
    return parties, _relations(rng, parties, ent_idx, rep_idx, spouse_of, spouse_idx, sharers)


def underwritten_income(cfg: SimConfig, loans: Loans, income: np.ndarray, n: int) -> np.ndarray:
    """An individual borrower earns at least what the lender's underwriting asked: its loans'
    monthly payments within a debt-service ratio drawn between 25% and 50% of its income
    (bullet loans: the interest). Incomes drawn higher stay as they are."""
    rng = stream(cfg.seed, "underwriting")
    ind = ~loans.enterprise
    rate = loans.rate_micro / 1e6
    p = loans.principal.astype(np.float64)
    monthly = np.where(loans.bullet, p * rate / 12, p / loans.term * (1 + rate * (loans.term + 1) / 24))
    payments = np.zeros(n)
    np.add.at(payments, loans.customer[ind], monthly[ind])
    need = payments * 12 / rng.uniform(0.25, 0.50, n)
    return np.maximum(income, np.rint(need / 100).astype(np.int64) * 100)


def _relations(rng, parties: Parties, ent_idx, rep_idx, spouse_of, spouse_idx, sharers) -> Relations:
    k = RELATION_KINDS.index
    ne = len(ent_idx)
    share = np.rint(rng.uniform(0.3, 1.0, ne) * 100).astype(np.int64) * 10_000
    phone_pairs = sharers[parties.phone_of[sharers] != sharers]
    # a few same-address and same-device links between individual borrowers
    ind = np.flatnonzero(~parties.enterprise & parties.borrower)
    m = len(ind) // 200
    addr_a, addr_b = rng.choice(ind, m), rng.choice(ind, m)
    dev_a, dev_b = rng.choice(ind, m // 2), rng.choice(ind, m // 2)
    parts = [
        (ent_idx, rep_idx, k("shareholder"), share),
        (ent_idx, rep_idx, k("legal_rep"), np.full(ne, -1)),
        (spouse_of, spouse_idx, k("spouse"), np.full(len(spouse_of), -1)),
        (phone_pairs, parties.phone_of[phone_pairs], k("same_phone"), np.full(len(phone_pairs), -1)),
        (addr_a, addr_b, k("same_address"), np.full(m, -1)),
        (dev_a, dev_b, k("same_device"), np.full(m // 2, -1)),
    ]
    cust = np.concatenate([p[0] for p in parts]).astype(np.int64)
    rel = np.concatenate([p[1] for p in parts]).astype(np.int64)
    kind = np.concatenate([np.full(len(p[0]), p[2], np.int8) for p in parts])
    shr = np.concatenate([p[3] for p in parts]).astype(np.int64)
    keep = cust != rel
    # one row per (customer, related, kind)
    _, first = np.unique(np.stack([cust, rel, kind]).T[keep], axis=0, return_index=True)
    at = np.flatnonzero(keep)[np.sort(first)]
    return Relations(cust[at], rel[at], kind[at], shr[at])
