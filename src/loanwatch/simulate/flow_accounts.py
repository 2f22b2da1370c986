"""The counterparty book: every account (customers', the shared counterparty pools', backflow
intermediaries'), the accounts table, and whom each customer regularly deals with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.flow_moves import LABELS
from loanwatch.simulate.frames import day, ids, stream
from loanwatch.simulate.identity import (
    COUNTERPARTY_SUFFIX,
    company_names,
    enterprise_suffix,
    person_names,
    tax_ids,
)
from loanwatch.simulate.parties import REGIONS, Parties

OTHER_BANKS = ("ICBC", "CCB", "ABC", "BOC", "CMB", "BOCOM", "CITIC", "SPDB")
PARTY_TYPES = ("individual", "enterprise", "unknown")
IND, ENT, UNK = range(3)
#: counterparties shared by many borrowers: kind, holder type, loans per counterparty, minimum count
POOLS: tuple[tuple[str, int, int, int], ...] = (
    ("supplier", ENT, 25, 40),
    ("buyer", ENT, 10, 60),
    ("employer", ENT, 40, 20),
    ("merchant", ENT, 25, 40),
    ("landlord", ENT, 200, 10),
    ("securities", ENT, 5000, 5),
    ("futures", ENT, 10000, 3),
    ("real_estate", ENT, 1000, 10),
    ("lender", ENT, 5000, 5),
    ("individual", IND, 20, 50),
    ("unknown", UNK, 100, 20),
)


@dataclass
class Book:
    """Every account: customers first (account i+1 is customer i's), then the counterparty pools."""

    n_customers: int
    start: dict[str, int]
    size: dict[str, int]
    holder: np.ndarray  # int8 PARTY_TYPES, with UNK appended (index -1 means no account)
    own: np.ndarray  # bool: this bank holds it and keeps all its rows; False appended
    region: np.ndarray  # int8
    names: pa.Array  # holder name of each account, then the LABELS
    account_ids: pa.Array

    def of(self, kind: str, k: np.ndarray) -> np.ndarray:
        return self.start[kind] + np.asarray(k, np.int64) % self.size[kind]

    def draw(self, rng: np.random.Generator, kind: str, n: int) -> np.ndarray:
        return self.start[kind] + rng.integers(0, self.size[kind], n)

    def tax_ids(self, acct: np.ndarray) -> pa.Array:
        """Customers' ids as in the customers table; sole proprietors (individuals) get a 92 prefix."""
        acct = np.asarray(acct, np.int64)
        region = self.region[acct]
        out = pc.if_else(pa.array(acct < self.n_customers), tax_ids(acct, region), tax_ids(acct, region, 1))
        tail = pc.utf8_slice_codeunits(out, 2)
        return pc.if_else(
            pa.array(self.holder[acct] == IND), pc.binary_join_element_wise("92", tail, ""), out
        )


def draw_book(cfg: SimConfig, n_loans: int, parties: Parties, n_intermediaries: int) -> Book:
    rng = stream(cfg.seed, "flows-accounts")
    nc = len(parties)
    size = {kind: max(minimum, n_loans // per) for kind, _, per, minimum in POOLS}
    size["intermediary"] = n_intermediaries
    start = dict(zip(size, nc + np.r_[0, np.cumsum(list(size.values()))[:-1]].astype(int), strict=True))
    n = nc + sum(size.values())
    holder = np.full(n, ENT, np.int8)
    holder[:nc] = np.where(parties.enterprise, ENT, IND)
    suffix = np.empty(n, object)
    suffix[:nc] = enterprise_suffix(parties.industry)
    for kind, party, _, _ in POOLS:
        holder[start[kind] : start[kind] + size[kind]] = party
        suffix[start[kind] : start[kind] + size[kind]] = COUNTERPARTY_SUFFIX.get(kind, "")
    # intermediaries of backflow paths: shell companies and private persons, at this bank
    inter = slice(start["intermediary"], n)
    holder[inter] = np.where(rng.random(n_intermediaries) < 0.6, ENT, IND)
    suffix[inter] = "商贸有限公司"
    own = np.zeros(n, bool)
    own[:nc] = own[inter] = True
    region = rng.integers(0, len(REGIONS), n).astype(np.int8)
    region[:nc] = parties.region
    num = np.arange(n)
    names = pc.if_else(pa.array(holder == ENT), company_names(num, region, suffix), person_names(num))
    names = pc.if_else(pa.array(holder == UNK), pa.scalar(None, pa.string()), names)
    return Book(
        nc, start, size, np.r_[holder, np.int8(UNK)], np.r_[own, False], region,
        pa.concat_arrays([names, pa.array(LABELS)]), ids("account", num + 1),
    )  # fmt: skip


def accounts_table(cfg: SimConfig, book: Book) -> pa.Table:
    rng = stream(cfg.seed, "flows-banks")
    n = len(book.account_ids)
    own = book.own[:n]
    bank = pa.array(list(OTHER_BANKS)).take(pa.array(rng.integers(0, len(OTHER_BANKS), n)))
    return pa.table(
        {
            "account_id": book.account_ids,
            "customer_id": ids("customer", np.arange(n) + 1, np.arange(n) < book.n_customers),
            "holder_name": book.names[:n],
            "holder_type": pa.array(list(PARTY_TYPES)).take(pa.array(book.holder[:n])),
            "bank_code": pc.if_else(pa.array(own), "OWN", bank),
            "is_own_bank": pa.array(own),
        }
    )


@dataclass
class Traits:
    """Per customer: when its everyday flows start and whom it regularly deals with."""

    first_month: np.ndarray  # month index of the first baseline month (cfg.months: none)
    salaried: np.ndarray
    payday: np.ndarray
    employer: np.ndarray  # accounts
    renter: np.ndarray
    rent_share: np.ndarray  # of the monthly salary
    supplier: np.ndarray
    buyer: np.ndarray  # first of its regular buyers (offset into the pool)
    landlord: np.ndarray


def draw_traits(cfg: SimConfig, loans: Loans, parties: Parties, book: Book) -> Traits:
    rng = stream(cfg.seed, "flows-traits")
    n = len(parties)
    first = np.full(n, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(first, loans.customer, loans.disbursed)
    # the bank sees an account from two months before the first loan, or from onboarding
    month = np.where(parties.borrower, _months(cfg, first) - 2, _months(cfg, parties.onboarded))
    salaried = ~parties.enterprise & (parties.borrower | (rng.random(n) < 0.3))
    everyday = parties.borrower | salaried
    return Traits(
        np.where(everyday, np.clip(month, 0, cfg.months - 1), cfg.months),
        salaried,
        rng.integers(5, 16, n),
        book.draw(rng, "employer", n),
        rng.random(n) < 0.3,
        rng.uniform(0.15, 0.3, n),
        book.draw(rng, "supplier", n),
        rng.integers(0, book.size["buyer"], n),
        book.draw(rng, "landlord", n),
    )


def _months(cfg: SimConfig, days: np.ndarray) -> np.ndarray:
    months = np.asarray(days, "datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - day(cfg.start).astype("datetime64[M]").astype(np.int64)
