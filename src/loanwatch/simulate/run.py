"""``loanwatch simulate``: draw a lender's portfolio, its behaviour and its data, write the files."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from loanwatch.simulate import bureau, registry, statements, tables, truth
from loanwatch.simulate.activity import monthly_activity
from loanwatch.simulate.book import draw_loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.credit import draw_fates, onset_dates
from loanwatch.simulate.flows import draw_flows
from loanwatch.simulate.parties import draw_parties
from loanwatch.simulate.repay import draw_repayments, schedule_in_force
from loanwatch.simulate.scenarios import assign_scenarios
from loanwatch.simulate.schedules import build_schedules
from loanwatch.simulate.support import draw_collaterals, draw_covenants, draw_guarantees
from loanwatch.simulate.writer import TableWriter

Progress = Callable[[str, int, int], None]
STEPS = (
    "book",
    "behaviour",
    "customers",
    "loans",
    "installments",
    "repayments",
    "support",
    "incomes",
    "financials",
    "bureau_reports",
    "registry_events",
    "transactions",
    "ground truth",
)


@dataclass
class SimResult:
    out: Path
    rows: dict[str, int]
    truth_rows: dict[str, int]


def simulate(cfg: SimConfig, out: Path, fmt: str = "csv", progress: Progress | None = None) -> SimResult:
    cfg.validate()
    step = _stepper(progress)
    step("book")
    loans = draw_loans(cfg)
    parties, relations = draw_parties(cfg, loans)
    guarantees = draw_guarantees(cfg, loans, parties)
    colls = draw_collaterals(cfg, loans)
    sched = build_schedules(loans.principal, loans.rate_micro, loans.method, loans.term, loans.disbursed)
    step("behaviour")
    fates = draw_fates(cfg, loans, parties, sched, guarantees)
    onset = onset_dates(sched, len(loans), fates.default_seq)
    scen = assign_scenarios(cfg, loans, onset, fates.contagion, fates.contagion_from, colls, guarantees)
    warned = np.zeros(len(loans), bool)
    warned[scen.loan[scen.real]] = True
    inst, is_new = schedule_in_force(loans, sched, fates)
    del sched
    reps, outcome = draw_repayments(cfg, loans, parties, inst, is_new, fates, warned)
    customer_onset = _customer_onset(loans, outcome.onset, len(parties))
    activity = monthly_activity(cfg, len(parties), scen, customer_onset)
    sales = statements.monthly_sales(cfg, loans, parties)

    w = TableWriter(out, fmt)
    step("customers")
    w.write("customers", tables.customers(cfg, parties))
    w.write("relations", tables.relations(relations))
    step("loans")
    w.write("loans", tables.loans_table(cfg, loans, parties, outcome))
    step("installments")
    w.write("installments", tables.installments(inst))
    del inst
    step("repayments")
    w.write("repayments", tables.repayments(reps))
    step("support")
    w.write("guarantees", tables.guarantees(guarantees))
    w.write(
        "collaterals",
        tables.collaterals(colls, outcome, tables.collateral_descriptions(cfg, colls, loans, parties)),
    )
    w.write(
        "collateral_valuations",
        tables.collateral_valuations(
            cfg, colls, _collateral_drops(scen, colls, True), _collateral_drops(scen, colls, False), loans
        ),
    )
    w.write("covenants", tables.covenants(draw_covenants(cfg, loans, sales)))
    step("incomes")
    w.write("incomes", statements.incomes(cfg, loans, parties, activity))
    step("financials")
    w.write("financials", statements.financials(cfg, loans, parties, scen, activity, sales))
    step("bureau_reports")
    w.write("bureau_reports", bureau.bureau_reports(cfg, loans, parties, scen, customer_onset))
    step("registry_events")
    w.write("registry_events", registry.registry_events(cfg, loans, parties, scen))
    step("transactions")
    flows = draw_flows(cfg, loans, parties, scen, activity, sales)
    w.write("accounts", flows.accounts)
    w.write("contracts", flows.contracts)
    w.write("invoices", flows.invoices)
    w.write("transactions", flows.transactions)
    step("ground truth")
    t = TableWriter(out / truth.FOLDER, fmt)
    t.write("loans", truth.loan_truth(cfg, loans, outcome, scen))
    t.write("scenarios", truth.scenario_truth(loans, outcome, scen))
    t.write("borrowers", truth.borrower_truth(loans, outcome, len(parties)))
    t.write("flow_paths", flows.paths)
    made = {**settings(cfg), "rows": w.rows, "ground_truth_rows": t.rows}
    text = json.dumps(made, ensure_ascii=False, indent=2)
    (out / truth.FOLDER / "simulation.json").write_text(text, encoding="utf-8")
    step(None)
    return SimResult(out, dict(w.rows), dict(t.rows))


def settings(cfg: SimConfig) -> dict:
    """The configuration that made the data (dates as text)."""
    data = dataclasses.asdict(cfg)
    data["start"] = cfg.start.isoformat()
    data["end"] = cfg.end.isoformat()
    return data


def _stepper(progress: Progress | None) -> Callable[[str | None], None]:
    done = [0]

    def step(name: str | None) -> None:
        if progress is not None:
            progress(name or "done", done[0], len(STEPS))
        done[0] += 1

    return step


def _customer_onset(loans, onset: np.ndarray, n: int) -> np.ndarray:
    far = np.datetime64("2100-01-01", "D")
    out = np.full(n, far)
    np.minimum.at(out, loans.customer, np.where(np.isnat(onset), far, onset))
    return np.where(out == far, np.datetime64("NaT", "D"), out)


def _collateral_drops(scen, colls, real: bool) -> tuple[np.ndarray, np.ndarray]:
    """(collateral positions, first day of the drop) of the collateral scenario's loans."""
    rows = scen.of("collateral_drop", real)
    pos = np.searchsorted(colls.loan, scen.loan[rows])
    ok = (pos < len(colls.loan)) & (colls.loan[np.minimum(pos, len(colls.loan) - 1)] == scen.loan[rows])
    return pos[ok], scen.trace_on[rows][ok]
