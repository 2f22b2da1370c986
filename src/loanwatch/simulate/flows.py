"""Account flows of the simulated book: accounts, transactions, purchase contracts and VAT invoices.

The baseline (salaries, spending, settlement with buyers and suppliers) is what the monitoring must
not flag; each loan adds its disbursement and the use of its proceeds; the flow scenarios add the
money trails of fraud (backflow, prohibited use, payment to an individual, fake contracts) and their
innocent look-alikes. Transactions come in parts of ``BLOCK`` customers so that a large book never
sits in memory at once. This module assembles the pieces drawn by the ``flow_*`` modules.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.flow_accounts import Book, Traits, accounts_table, draw_book, draw_traits
from loanwatch.simulate.flow_baseline import salaries, settlement, spending, transactions_table
from loanwatch.simulate.flow_documents import (
    contract_invoices,
    contracts_table,
    invoices_table,
    sales_invoices,
)
from loanwatch.simulate.flow_moves import Moves, concat, take
from loanwatch.simulate.flow_paths import (
    BACKFLOW,
    Path,
    backflow,
    contract_payments,
    disbursements,
    draw_plan,
    entrusted,
    paths_table,
    prohibited,
    prohibited_lookalikes,
    refunds,
    self_paid,
)
from loanwatch.simulate.frames import ids, stream
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.scenarios import Scenarios

BLOCK = 100_000  # customers per transactions part: bounds the memory of one part


@dataclass
class Flows:
    """The flow tables of the data contract, and the ground truth of the flow scenarios."""

    accounts: pa.Table
    contracts: pa.Table
    invoices: pa.Table
    transactions: Iterable[pa.Table]  # parts of BLOCK customers, the same on every iteration
    paths: pa.Table  # per flow case: account_id paid counterparty_account at hop 0, 1, …


class _Transactions:
    """The transactions table in parts of ``BLOCK`` customers (with the loans and paths they hold),
    built afresh, and identically, on every iteration."""

    def __init__(
        self,
        cfg: SimConfig,
        parties: Parties,
        activity: np.ndarray,
        sales: np.ndarray,
        traits: Traits,
        book: Book,
        loan_moves: Moves,
        loan_ids: pa.Array,
    ) -> None:
        self._args = (cfg, parties, activity, sales, traits, book)
        self._moves = take(loan_moves, np.argsort(loan_moves.key, kind="stable"))
        self._loan_ids = loan_ids

    def __iter__(self) -> Iterator[pa.Table]:
        cfg, parties, activity, sales, traits, book = self._args
        first_id = 0
        for b, lo in enumerate(range(0, len(parties), BLOCK)):
            who = np.arange(lo, min(lo + BLOCK, len(parties)))
            rng = stream(cfg.seed, f"flows-baseline-{b}")
            s, e = np.searchsorted(self._moves.key, [lo, who[-1] + 1])
            parts = [
                salaries(cfg, parties, activity, traits, who, rng),
                spending(cfg, parties, activity, traits, book, who, rng),
                settlement(cfg, parties, activity, sales, traits, book, who, rng),
                take(self._moves, slice(s, e)),
            ]
            table = transactions_table(cfg, concat(parts), book, self._loan_ids, first_id)
            first_id += table.num_rows
            yield table


def draw_flows(
    cfg: SimConfig,
    loans: Loans,
    parties: Parties,
    scen: Scenarios,
    activity: np.ndarray,
    monthly_sales: np.ndarray,
) -> Flows:
    """Accounts, contracts, invoices, the transactions (lazily, in parts) and the flow ground truth.

    ``activity`` is customers × months (1.0 = a normal month); ``monthly_sales`` the normal monthly
    sales of each enterprise in cents (0 for individuals)."""
    plan = draw_plan(cfg, loans, scen)
    real_backflow = (plan.case == BACKFLOW) & plan.real
    book = draw_book(cfg, len(loans), parties, int((plan.hops - loans.entrusted)[real_backflow].sum()))
    traits = draw_traits(cfg, loans, parties, book)
    payouts = [disbursements(loans, plan), entrusted(cfg, loans, plan, traits, book)]
    payouts.append(self_paid(cfg, loans, plan, book))
    path = Path.concat(
        [
            backflow(cfg, loans, parties, plan, book),
            refunds(cfg, loans, plan),
            prohibited(cfg, loans, plan, book),
            prohibited_lookalikes(cfg, loans, parties, plan, book, monthly_sales),
            contract_payments(loans, plan),
        ]
    )
    invoices = concat(
        [
            contract_invoices(cfg, loans, plan, book),
            sales_invoices(cfg, parties, activity, monthly_sales, traits, book),
        ]
    )
    loan_moves = concat([*payouts, take(path.moves, np.flatnonzero(path.fresh))])
    loan_ids = ids("loan", np.arange(len(loans)) + 1)
    return Flows(
        accounts_table(cfg, book),
        contracts_table(cfg, loans, parties, plan, book),
        invoices_table(invoices, book),
        _Transactions(cfg, parties, activity, monthly_sales, traits, book, loan_moves, loan_ids),
        paths_table(path, plan, book),
    )
