"""Ground truth: what really happened to each loan and borrower. Written beside the data in a folder
that ``loanwatch import`` ignores; only backtests may read it, never the monitoring."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import FLOW_SCENARIOS, SCENARIOS, SimConfig
from loanwatch.simulate.frames import dates, ids
from loanwatch.simulate.repay import Outcome
from loanwatch.simulate.scenarios import Scenarios

FOLDER = "ground_truth"
FRAUD = np.array([s in FLOW_SCENARIOS for s in SCENARIOS])


def _opt_dates(values: np.ndarray) -> pa.Array:
    return dates(values, ~np.isnat(values))


def loan_truth(cfg: SimConfig, loans: Loans, outcome: Outcome, scen: Scenarios) -> pa.Table:
    n = len(loans)
    real_scen = np.full(n, -1, np.int64)
    real = np.flatnonzero(scen.real)
    real_scen[scen.loan[real]] = scen.scenario[real]
    sudden = np.zeros(n, bool)
    sudden[scen.sudden_loans] = True
    fraud = (real_scen >= 0) & FRAUD[np.maximum(real_scen, 0)]
    names = pa.array(list(SCENARIOS), pa.string()).take(pa.array(np.maximum(real_scen, 0)))
    return pa.table(
        {
            "loan_id": ids("loan", np.arange(n) + 1),
            "customer_id": ids("customer", loans.customer + 1),
            "product": pa.array([p.name for p in cfg.products]).take(
                pa.array(loans.product.astype(np.int64))
            ),
            "default_onset_on": _opt_dates(outcome.onset),
            "first_90dpd_on": _opt_dates(outcome.first_90dpd),
            "written_off_on": _opt_dates(outcome.written_off),
            "restructured_on": _opt_dates(outcome.restructured),
            "prepaid_on": _opt_dates(outcome.prepaid),
            "sudden_default": pa.array(sudden),
            "scenario": pc.if_else(pa.array(real_scen >= 0), names, pa.scalar(None, pa.string())),
            "fraud": pa.array(fraud),
        }
    )


def scenario_truth(loans: Loans, outcome: Outcome, scen: Scenarios) -> pa.Table:
    onset = outcome.onset[scen.loan]
    lead = np.where(scen.real & ~np.isnat(onset), (onset - scen.trace_on).astype(np.int64), -1)
    return pa.table(
        {
            "customer_id": ids("customer", scen.customer + 1),
            "loan_id": ids("loan", scen.loan + 1),
            "scenario": pa.array(list(SCENARIOS), pa.string()).take(pa.array(scen.scenario.astype(np.int64))),
            "role": pc.if_else(pa.array(scen.real), "real", "benign"),
            "trace_on": dates(scen.trace_on),
            "default_onset_on": _opt_dates(onset),
            "lead_days": pa.array(lead, mask=lead < 0),
            "fraud": pa.array(scen.real & FRAUD[scen.scenario]),
        }
    )


def borrower_truth(loans: Loans, outcome: Outcome, n_customers: int) -> pa.Table:
    far = np.datetime64("2100-01-01", "D")
    first90 = np.full(n_customers, far)
    np.minimum.at(first90, loans.customer, np.where(np.isnat(outcome.first_90dpd), far, outcome.first_90dpd))
    onset = np.full(n_customers, far)
    np.minimum.at(onset, loans.customer, np.where(np.isnat(outcome.onset), far, outcome.onset))
    borrowers = np.unique(loans.customer)
    return pa.table(
        {
            "customer_id": ids("customer", borrowers + 1),
            "default_onset_on": dates(onset[borrowers], onset[borrowers] < far),
            "first_90dpd_on": dates(first90[borrowers], first90[borrowers] < far),
        }
    )
