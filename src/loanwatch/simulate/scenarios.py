"""Which risk story explains each default (real scenarios, with a lead time), which defaults come
without warning (sudden), and which healthy borrowers show the same traces (benign look-alikes)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import FLOW_SCENARIOS, SCENARIO_PARTY, SCENARIOS, SimConfig
from loanwatch.simulate.frames import day, stream
from loanwatch.simulate.support import Collaterals, Guarantees

CONTAGION = SCENARIOS.index("guarantee_contagion")
FLOW_CODES = np.array([SCENARIOS.index(s) for s in FLOW_SCENARIOS])


@dataclass
class Scenarios:
    """One row per (loan, scenario) case."""

    loan: np.ndarray
    customer: np.ndarray
    scenario: np.ndarray  # int8 index into SCENARIOS
    real: np.ndarray  # bool: followed by a default (else a benign look-alike)
    trace_on: np.ndarray  # datetime64[D] first day the traces show in the data
    sudden_loans: np.ndarray  # loans whose default comes with no trace at all

    def of(self, name: str, real: bool | None = None) -> np.ndarray:
        """Row positions of one scenario (optionally only real or only benign cases)."""
        hit = self.scenario == SCENARIOS.index(name)
        return np.flatnonzero(hit if real is None else hit & (self.real == real))


def applicable(
    cfg: SimConfig, loans: Loans, collaterals: Collaterals, circle_loans: np.ndarray
) -> np.ndarray:
    """loans × scenarios: whether the scenario can happen to the loan."""
    names = [p.name for p in cfg.products]
    mortgage = loans.product == names.index("mortgage") if "mortgage" in names else np.zeros(len(loans), bool)
    secured = np.zeros(len(loans), bool)
    secured[collaterals.loan] = True
    ok = np.zeros((len(loans), len(SCENARIOS)), bool)
    for s, name in enumerate(SCENARIOS):
        party = SCENARIO_PARTY[name]
        col = np.ones(len(loans), bool) if party == "both" else loans.enterprise == (party == "enterprise")
        if name in ("fake_contract", "paid_to_individual"):
            col &= loans.entrusted
        if name in ("backflow", "prohibited_use"):
            col &= ~mortgage
        if name == "collateral_drop":
            col &= secured
        if name == "guarantee_contagion":
            col = np.zeros(len(loans), bool)
            col[circle_loans] = True
        ok[:, s] = col
    return ok


def assign_scenarios(
    cfg: SimConfig,
    loans: Loans,
    onset: np.ndarray,
    contagion: np.ndarray,
    contagion_from: np.ndarray,
    collaterals: Collaterals,
    guarantees: Guarantees,
) -> Scenarios:
    rng = stream(cfg.seed, "scenarios")
    circle_loans = np.unique(guarantees.loan[guarantees.circle >= 0])
    ok = applicable(cfg, loans, collaterals, circle_loans)
    defaulted = np.flatnonzero(~np.isnat(onset))
    free = defaulted[~contagion[defaulted]]
    n_sudden = min(int(np.ceil(cfg.sudden_share * len(defaulted))), len(free))
    sudden = np.sort(rng.choice(free, n_sudden, replace=False))
    explained = np.setdiff1d(free, sudden)
    weights = np.array([cfg.scenario_weights.get(s, 0.0) for s in SCENARIOS])
    weights[CONTAGION] = 0.0  # contagion is what the circles produce, not a draw
    w = ok[explained] * weights
    has = w.sum(axis=1) > 0
    explained = explained[has]
    scen = _draw_rows(rng, w[has])
    forced = np.flatnonzero(contagion)
    real_loan = np.r_[explained, forced]
    real_scen = np.r_[scen, np.full(len(forced), CONTAGION)].astype(np.int8)
    trace = _real_trace(cfg, rng, loans, onset, real_loan, real_scen)
    trace[len(explained) :] = contagion_from[forced]
    b_loan, b_scen, b_trace = _benign(cfg, rng, loans, ok, onset, real_scen)
    loan = np.r_[real_loan, b_loan].astype(np.int64)
    return Scenarios(
        loan,
        loans.customer[loan],
        np.r_[real_scen, b_scen].astype(np.int8),
        np.r_[np.ones(len(real_loan), bool), np.zeros(len(b_loan), bool)],
        np.r_[trace, b_trace].astype("datetime64[D]"),
        sudden,
    )


def _draw_rows(rng, w: np.ndarray) -> np.ndarray:
    """One column per row, with probability proportional to the row's weights."""
    if len(w) == 0:
        return np.array([], np.int8)
    cum = np.cumsum(w, axis=1)
    u = rng.random(len(w)) * cum[:, -1]
    return (cum < u[:, None]).sum(axis=1).astype(np.int8)


def _real_trace(cfg: SimConfig, rng, loans: Loans, onset, at: np.ndarray, scen: np.ndarray) -> np.ndarray:
    """Flow scenarios show right after disbursement; the others ``lead`` months before the default."""
    lead = np.asarray(cfg.lead_months)[
        rng.choice(len(cfg.lead_months), len(at), p=np.asarray(cfg.lead_weights) / sum(cfg.lead_weights))
    ]
    days = np.rint(lead * 30.4).astype(np.int64) + rng.integers(0, 21, len(at))
    trace = onset[at] - days.astype("timedelta64[D]")
    earliest = loans.disbursed[at] + np.timedelta64(15, "D")
    trace = np.maximum(trace, earliest)
    flow = np.isin(scen, FLOW_CODES)
    trace[flow] = loans.disbursed[at[flow]] + rng.integers(1, 21, int(flow.sum())).astype("timedelta64[D]")
    return trace


def _benign(cfg: SimConfig, rng, loans: Loans, ok: np.ndarray, onset, real_scen: np.ndarray):
    """Healthy loans that get the same traces: ``benign_ratio`` of them per real case."""
    healthy = np.isnat(onset)
    taken = np.zeros(len(loans), bool)
    parts_loan, parts_scen = [], []
    for s in range(len(SCENARIOS)):
        want = int(round(cfg.benign_ratio * np.count_nonzero(real_scen == s)))
        pool = np.flatnonzero(ok[:, s] & healthy & ~taken)
        pick = rng.choice(pool, min(want, len(pool)), replace=False) if want else pool[:0]
        taken[pick] = True
        parts_loan.append(pick)
        parts_scen.append(np.full(len(pick), s, np.int8))
    loan = np.concatenate(parts_loan).astype(np.int64)
    scen = np.concatenate(parts_scen)
    end = day(cfg.end) - np.timedelta64(30, "D")
    lo = loans.disbursed[loan] + np.timedelta64(15, "D")
    span = np.maximum((end - lo).astype(np.int64), 1)
    trace = lo + (rng.random(len(loan)) * span).astype("timedelta64[D]")
    flow = np.isin(scen, FLOW_CODES)
    trace[flow] = loans.disbursed[loan[flow]] + rng.integers(1, 21, int(flow.sum())).astype("timedelta64[D]")
    contagion = scen == CONTAGION
    trace[contagion] = loans.disbursed[loan[contagion]]
    return loan, scen, trace


NEVER = np.iinfo(np.int32).max


def trace_month(cfg: SimConfig, scen: Scenarios, name: str, real: bool, n_customers: int) -> np.ndarray:
    """Per customer the month index (from the simulation start) its first trace of ``name`` shows;
    ``NEVER`` where the customer has no such case."""
    from loanwatch.simulate.credit import month_index

    out = np.full(n_customers, NEVER, np.int64)
    rows = scen.of(name, real)
    np.minimum.at(out, scen.customer[rows], month_index(cfg, scen.trace_on[rows]))
    return out
