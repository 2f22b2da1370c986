"""How busy each borrower is month by month (1.0 = its normal level): the common driver of settlement
flows, revenue and income, bent by scenarios and by default."""

from __future__ import annotations

import numpy as np

from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.credit import month_index
from loanwatch.simulate.frames import day, stream
from loanwatch.simulate.scenarios import Scenarios

#: scenarios that cut activity for good when real, and for a couple of months when benign
DROPS: dict[str, tuple[float, float]] = {"settlement_drop": (0.3, 0.4), "income_drop": (0.5, 0.6)}


def monthly_activity(
    cfg: SimConfig, n_customers: int, scen: Scenarios, customer_onset: np.ndarray
) -> np.ndarray:
    """float32 matrix customers × months of the simulation."""
    rng = stream(cfg.seed, "activity")
    m = cfg.months
    act = np.exp(rng.normal(0, 0.08, (n_customers, m))).astype(np.float32)
    months = (day(cfg.start).astype("datetime64[M]") + np.arange(m)).astype("datetime64[M]")
    february = (months.astype(np.int64) % 12) == 1
    act[:, february] *= 0.75  # Spring Festival: a seasonal dip everybody has
    for name, (real_level, benign_level) in DROPS.items():
        for real, level in ((True, real_level), (False, benign_level)):
            rows = scen.of(name, real)
            first = np.clip(month_index(cfg, scen.trace_on[rows]), 0, m)
            # benign: two or three weak months, then back to normal
            weeks = np.where(real, m, 2 + rows % 2)
            for k in range(m):
                hit = rows[(first <= k) & (k < first + weeks)]
                act[scen.customer[hit], k] *= level
    # after the first missed payment for good, the business winds down
    has = ~np.isnat(customer_onset)
    start = np.clip(month_index(cfg, customer_onset[has]), 0, m)
    who = np.flatnonzero(has)
    for k in range(m):
        act[who[start <= k], k] *= 0.6
    return act
