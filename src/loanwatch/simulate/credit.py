"""How each loan ends up: default, prepayment, restructuring, write-off — drawn from a latent credit
quality with macro and industry shocks, month by month, for every installment at once."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.frames import day, stream
from loanwatch.simulate.parties import INDUSTRIES, Parties
from loanwatch.simulate.schedules import Schedule
from loanwatch.simulate.support import Guarantees

NAT = np.datetime64("NaT", "D")


@dataclass
class Fates:
    default_seq: np.ndarray  # int32 first installment never paid (0: none)
    prepay_seq: np.ndarray  # int32 installment that repays everything early (0: none)
    restructured: np.ndarray  # datetime64[D] restructuring date (NaT: none)
    contagion: np.ndarray  # bool: default forced by a guarantee-circle member's default
    contagion_from: np.ndarray  # datetime64[D] onset of the member's default that spread


def month_index(cfg: SimConfig, days: np.ndarray) -> np.ndarray:
    """Months since the start of the simulation (0-based) of each date."""
    months = np.asarray(days, "datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - day(cfg.start).astype("datetime64[M]").astype(np.int64)


def hazard_shocks(cfg: SimConfig) -> tuple[np.ndarray, np.ndarray]:
    """Monthly macro factor and industry × month factor of the default hazard."""
    rng = stream(cfg.seed, "shocks")
    span = cfg.months + 1
    macro = np.ones(span)
    a, b, f = cfg.macro_shock
    macro[max(a, 0) : max(min(b, span), 0)] = f
    industry = np.exp(rng.normal(0, 0.15, (len(INDUSTRIES) + 1, span)))
    # one industry goes through a crisis for half a year
    hit = int(rng.integers(0, len(INDUSTRIES)))
    start = int(rng.integers(0, max(span - 6, 1)))
    industry[hit, start : start + 6] *= 2.5
    industry[-1] = 1.0  # individuals (industry -1)
    return macro, industry


def draw_fates(
    cfg: SimConfig, loans: Loans, parties: Parties, sched: Schedule, guarantees: Guarantees
) -> Fates:
    rng = stream(cfg.seed, "fates")
    end = day(cfg.end)
    n = len(loans)
    macro, industry = hazard_shocks(cfg)
    annual = np.array([p.annual_default for p in cfg.products])[loans.product]
    prepay_annual = np.array([p.annual_prepay for p in cfg.products])[loans.product]
    z = parties.quality[loans.customer]
    # E[exp(-0.9 z)] = exp(0.405): the quality factor keeps the product's rate on average
    factor = np.exp(-0.9 * z - 0.405)
    # only installments due by the end can be missed or prepaid: work on those rows alone
    due = np.flatnonzero(sched.due_on <= end)
    loan, seq, due_on = sched.loan[due], sched.seq[due], sched.due_on[due]
    gap = _months_since_previous(loans, sched)[due]
    m = np.clip(month_index(cfg, due_on), 0, cfg.months)
    ind = parties.industry[loans.customer[loan]]
    monthly = 1 - (1 - annual[loan]) ** (1 / 12)
    h = np.minimum(monthly * factor[loan] * macro[m] * industry[ind, m], 0.5)
    p_default = 1 - (1 - h) ** gap
    p_prepay = np.where(loans.bullet[loan], 0, 1 - (1 - prepay_annual[loan]) ** (gap / 12))
    u = rng.random(len(due))
    default_seq = _first_seq(n, loan, seq, u < p_default)
    prepay_seq = _first_seq(n, loan, seq, (u > 1 - p_prepay) & (seq > 1))
    # whichever comes first wins; a loan cannot prepay at its last installment
    last_seq = np.zeros(n, np.int32)
    np.maximum.at(last_seq, sched.loan, sched.seq)
    prepay_seq[(prepay_seq >= last_seq) | ((default_seq > 0) & (default_seq <= prepay_seq))] = 0
    default_seq[(prepay_seq > 0) & (prepay_seq < default_seq)] = 0
    contagion, spread_from = _contagion(cfg, rng, loans, sched, guarantees, default_seq, prepay_seq)
    restructured = _restructurings(cfg, rng, loans, sched, default_seq)
    return Fates(default_seq, prepay_seq, restructured, contagion, spread_from)


def _months_since_previous(loans: Loans, sched: Schedule) -> np.ndarray:
    prev = np.empty(len(sched), "datetime64[D]")
    prev[1:] = sched.due_on[:-1]
    first = np.r_[True, sched.loan[1:] != sched.loan[:-1]] if len(sched) else np.array([], bool)
    prev[first] = loans.disbursed[sched.loan[first]]
    return np.maximum((sched.due_on - prev).astype(np.int64) / 30.4, 0.5)


def _first_seq(n: int, loan: np.ndarray, seq: np.ndarray, hit: np.ndarray) -> np.ndarray:
    """Per loan the smallest seq where ``hit`` holds, 0 where it never does."""
    out = np.full(n, np.iinfo(np.int32).max, np.int32)
    np.minimum.at(out, loan[hit], seq[hit])
    out[out == np.iinfo(np.int32).max] = 0
    return out


def onset_dates(sched: Schedule, n: int, seq: np.ndarray) -> np.ndarray:
    """Due date of installment ``seq`` of each of ``n`` loans (NaT where seq is 0)."""
    out = np.full(n, NAT)
    starts = np.searchsorted(sched.loan, np.arange(n))
    has = seq > 0
    out[has] = sched.due_on[starts[has] + seq[has] - sched.seq[starts[has]]]
    return out


def _contagion(cfg, rng, loans: Loans, sched: Schedule, g: Guarantees, default_seq, prepay_seq):
    """When a member of a guarantee circle defaults, the members guaranteeing it follow 2–8 months
    later (they must pay for it), unless they already defaulted."""
    n = len(loans)
    forced = np.zeros(n, bool)
    spread_from = np.full(n, NAT)
    onset = onset_dates(sched, len(loans), default_seq)
    bounds = np.searchsorted(sched.loan, np.arange(n + 1))
    in_circle = g.circle >= 0
    for c in np.unique(g.circle[in_circle]):
        links = np.flatnonzero(g.circle == c)
        member_loans = g.loan[links]
        first = member_loans[default_seq[member_loans] > 0]
        if len(first) == 0:
            continue
        origin = onset[first].min()
        for loan in member_loans:
            if default_seq[loan] > 0 and onset[loan] <= origin:
                continue
            when = origin + np.timedelta64(int(rng.integers(60, 240)), "D")
            lo, hi = bounds[loan], bounds[loan + 1]
            rows = lo + np.flatnonzero(sched.due_on[lo:hi] >= when)
            if len(rows) == 0 or sched.due_on[rows[0]] > day(cfg.end):
                continue
            default_seq[loan] = sched.seq[rows[0]]
            prepay_seq[loan] = 0
            forced[loan] = True
            spread_from[loan] = origin
    return forced, spread_from


def _restructurings(cfg, rng, loans: Loans, sched: Schedule, default_seq) -> np.ndarray:
    """Some defaulting loans are restructured 35–85 days after the first missed payment."""
    onset = onset_dates(sched, len(loans), default_seq)
    when = onset + rng.integers(35, 86, len(loans)).astype("timedelta64[D]")
    pick = (default_seq > 0) & (rng.random(len(loans)) < cfg.restructure_share) & (when <= day(cfg.end))
    pick &= ~loans.bullet
    return np.where(pick, when, NAT)
