"""Account flows of the simulated book: accounts, transactions, purchase contracts and VAT invoices.

The baseline (salaries, spending, settlement with buyers and suppliers) is what the monitoring must
not flag; each loan adds its disbursement and the use of its proceeds; the flow scenarios add the
money trails of fraud (backflow, prohibited use, payment to an individual, fake contracts) and their
innocent look-alikes. Transactions come in parts of ``BLOCK`` customers so that a large book never
sits in memory at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SCENARIOS, SimConfig
from loanwatch.simulate.frames import dates, day, expand, ids, money, month_days, stream
from loanwatch.simulate.identity import (
    COUNTERPARTY_SUFFIX,
    company_names,
    enterprise_suffix,
    person_names,
    tax_ids,
)
from loanwatch.simulate.parties import REGIONS, Parties
from loanwatch.simulate.scenarios import Scenarios

BLOCK = 100_000  # customers per transactions part: bounds the memory of one part
DAY = 86_400
VAT = 0.13
OTHER_BANKS = ("ICBC", "CCB", "ABC", "BOC", "CMB", "BOCOM", "CITIC", "SPDB")
PARTY_TYPES = ("individual", "enterprise", "unknown")
IND, ENT, UNK = range(3)
DIRECTIONS = ("in", "out")
CHANNELS = ("core", "entrusted", "transfer", "online", "pos", "salary", "batch")
MEMOS = (
    "放款", "受托支付", "工资", "消费", "房租", "转账", "往来款", "货款", "代发工资", "采购", "原材料款",
    "设备款", "工程款", "装修款", "购车款", "家电", "学费", "购房款", "退款", "银证转账", "期货保证金",
    "还款", "借款",
)  # fmt: skip
LABELS = ("贷款发放", "代发工资")  # counterparty names of rows that have no counterparty account
INVOICE_STATUS = ("normal", "void", "red")
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
#: where prohibited proceeds go, with the memo each kind of payment carries
PROHIBITED_MEMOS = {
    "securities": ("银证转账",),
    "futures": ("期货保证金",),
    "real_estate": ("购房款",),
    "lender": ("还款", "借款"),
}
#: goods bought with entrusted proceeds, by industry (parties.INDUSTRIES order); equipment last
GOODS = (
    ("面粉", "食用油", "包装材料"),
    ("棉纱", "化纤面料", "染料"),
    ("化工原料", "塑料粒子", "有机溶剂"),
    ("钢材", "轴承", "液压件"),
    ("电子元器件", "集成电路", "印制电路板"),
    ("钢筋", "水泥", "商品混凝土"),
    ("日用百货", "五金制品", "纸制品"),
    ("家用电器", "服装", "食品饮料"),
    ("燃油", "轮胎", "托盘货架"),
    ("食材", "冷链食品", "厨房用品"),
    ("服务器", "网络设备", "软件许可"),
    ("办公设备", "计算机", "办公家具"),
    ("数控机床", "生产线设备", "工业机器人"),
)
USE_MEMOS = {
    "consumer": ("装修款", "购车款", "家电", "学费", "消费"),
    "enterprise": ("货款", "采购", "原材料款"),
    "fixed_asset": ("设备款", "工程款"),
}
BACKFLOW, PROHIBITED, TO_INDIVIDUAL, FAKE = (
    SCENARIOS.index(s) for s in ("backflow", "prohibited_use", "paid_to_individual", "fake_contract")
)


@dataclass
class Flows:
    """The flow tables of the data contract, and the ground truth of the flow scenarios."""

    accounts: pa.Table
    contracts: pa.Table
    invoices: pa.Table
    transactions: Iterable[pa.Table]  # parts of BLOCK customers, the same on every iteration
    paths: pa.Table  # per flow case: account_id paid counterparty_account at hop 0, 1, …


# --- small helpers -----------------------------------------------------------------------------


def _column(value, n: int, dtype=np.int64) -> np.ndarray:
    """A scalar repeated n times, or the array itself (no copy)."""
    return np.full(n, value, dtype) if np.ndim(value) == 0 else np.asarray(value, dtype)


def _code(table: tuple[str, ...], value: str | np.ndarray, n: int) -> np.ndarray:
    return _column(table.index(value) if isinstance(value, str) else value, n, np.int8)


def _codes(table: tuple[str, ...], *values: str) -> np.ndarray:
    return np.array([table.index(v) for v in values], np.int8)


def _clock(days: np.ndarray, rng: np.random.Generator, from_hour: int, to_hour: int) -> np.ndarray:
    """Seconds since 1970 at a random time of each day (business hours differ by kind of payment)."""
    d = np.asarray(days, "datetime64[D]").astype(np.int64)
    return d * DAY + rng.integers(from_hour * 3600, to_hour * 3600, len(d))


def _yuan(cents: np.ndarray, step: int = 1) -> np.ndarray:
    """Round down to ``step`` whole yuan: people transfer round sums."""
    return (np.floor(np.asarray(cents) / (100 * step)) * 100 * step).astype(np.int64)


def _fan(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row number and position 0..count-1 of ``count`` sub-rows for every row."""
    counts = np.asarray(counts, np.int64)
    row = np.repeat(np.arange(len(counts)), counts)
    return row, np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)


def _split(total: np.ndarray, row: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Integer parts of each row's total in proportion to the weights, summing exactly to it."""
    share = weight / np.bincount(row, weight, len(total))[row]
    part = np.floor(total[row] * share).astype(np.int64)
    rest = total - np.bincount(row, part, len(total)).astype(np.int64)
    last = np.r_[row[1:] != row[:-1], True] if len(row) else np.zeros(0, bool)
    part[last] += rest[row[last]]
    return part


def _months(cfg: SimConfig, days: np.ndarray) -> np.ndarray:
    months = np.asarray(days, "datetime64[D]").astype("datetime64[M]").astype(np.int64)
    return months - day(cfg.start).astype("datetime64[M]").astype(np.int64)


@dataclass
class _Moves:
    """Money moving between two accounts; this bank keeps a row on each side that it holds."""

    src: np.ndarray  # paying account (-1: none, e.g. the loan itself)
    dst: np.ndarray  # receiving account (-1: none, e.g. a payroll batch)
    at: np.ndarray  # int64 seconds since 1970
    amount: np.ndarray  # int64 cents
    memo: np.ndarray  # int8 MEMOS
    channel: np.ndarray  # int8 CHANNELS
    key: np.ndarray  # customer whose transactions part holds the rows
    loan: np.ndarray  # loan carried on the rows (-1: none)
    label: np.ndarray  # int8 LABELS naming a missing counterparty (-1: none)


def _moves(src, dst, at, amount, memo, channel, key, loan=-1, label=-1) -> _Moves:
    n = len(at)
    return _Moves(
        _column(src, n), _column(dst, n), _column(at, n), _column(amount, n), _code(MEMOS, memo, n),
        _code(CHANNELS, channel, n), _column(key, n), _column(loan, n), _column(label, n, np.int8),
    )  # fmt: skip


@dataclass
class _Path:
    """Moves that make up a scenario's trace; ``fresh`` ones are not yet among the transactions."""

    moves: _Moves
    loan: np.ndarray
    hop: np.ndarray
    fresh: np.ndarray

    @staticmethod
    def concat(parts: list[_Path]) -> _Path:
        return _Path(
            _concat([p.moves for p in parts]),
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("loan", "hop", "fresh")),
        )


# --- accounts ----------------------------------------------------------------------------------


@dataclass
class _Book:
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


def _book(cfg: SimConfig, n_loans: int, parties: Parties, n_intermediaries: int) -> _Book:
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
    return _Book(
        nc, start, size, np.r_[holder, np.int8(UNK)], np.r_[own, False], region,
        pa.concat_arrays([names, pa.array(LABELS)]), ids("account", num + 1),
    )  # fmt: skip


def _accounts_table(cfg: SimConfig, book: _Book) -> pa.Table:
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
class _Traits:
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


def _traits(cfg: SimConfig, loans: Loans, parties: Parties, book: _Book) -> _Traits:
    rng = stream(cfg.seed, "flows-traits")
    n = len(parties)
    first = np.full(n, np.datetime64("2100-01-01"), "datetime64[D]")
    np.minimum.at(first, loans.customer, loans.disbursed)
    # the bank sees an account from two months before the first loan, or from onboarding
    month = np.where(parties.borrower, _months(cfg, first) - 2, _months(cfg, parties.onboarded))
    salaried = ~parties.enterprise & (parties.borrower | (rng.random(n) < 0.3))
    everyday = parties.borrower | salaried
    return _Traits(
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


# --- the loans: cases, payouts, scenario trails --------------------------------------------------


@dataclass
class _Plan:
    """Per loan: its flow case and the first payout of its proceeds."""

    case: np.ndarray  # int8 SCENARIOS index of its flow case (-1: none)
    real: np.ndarray  # bool
    trace: np.ndarray  # datetime64[D]
    hops: np.ndarray  # hops after the proceeds left (real backflow)
    diverted: np.ndarray  # share of the principal a real case takes away
    disb_at: np.ndarray  # seconds
    payee: np.ndarray  # account of the entrusted payment, or of the first self-paid use
    party: np.ndarray  # contract counterparty account (-1: no contract)
    pay_at: np.ndarray
    pay_amount: np.ndarray


def _plan(cfg: SimConfig, loans: Loans, scen: Scenarios) -> _Plan:
    """One flow case per loan (the first listed); contract scenarios only on entrusted loans."""
    rng = stream(cfg.seed, "flows-cases")
    n = len(loans)
    rows = np.flatnonzero(np.isin(scen.scenario, [BACKFLOW, PROHIBITED, TO_INDIVIDUAL, FAKE]))
    _, first = np.unique(scen.loan[rows], return_index=True)
    rows = rows[np.sort(first)]
    contract_only = np.isin(scen.scenario[rows], [TO_INDIVIDUAL, FAKE])
    rows = rows[~contract_only | loans.entrusted[scen.loan[rows]]]
    at = scen.loan[rows]
    case = np.full(n, -1, np.int8)
    case[at] = scen.scenario[rows]
    real = np.zeros(n, bool)
    real[at] = scen.real[rows]
    trace = loans.disbursed.copy()
    trace[at] = np.clip(scen.trace_on[rows], loans.disbursed[at] + 1, loans.disbursed[at] + 20)
    hops = np.where((case == BACKFLOW) & real, rng.choice([1, 2, 3], n, p=[0.4, 0.4, 0.2]), 0)
    # backflow: 55–95% leaves, so that after the hops' shaving (≤ 3% each) at least half comes back
    diverted = np.where(real & (case == BACKFLOW), rng.uniform(0.55, 0.95, n), 0.0)
    diverted = np.where(real & (case == PROHIBITED), rng.uniform(0.35, 0.8, n), diverted)
    none = np.full(n, -1, np.int64)
    zero = np.zeros(n, np.int64)
    disb_at = _clock(loans.disbursed, rng, 9, 15)
    return _Plan(case, real, trace, hops, diverted, disb_at, none, none.copy(), zero, zero.copy())


def _entrusted(cfg: SimConfig, loans: Loans, plan: _Plan, traits: _Traits, book: _Book) -> _Moves:
    """受托支付: the bank pays the contract's counterparty the same or the next day (records the
    payee, contract party and payment in ``plan``)."""
    rng = stream(cfg.seed, "flows-entrusted")
    at = np.flatnonzero(loans.entrusted)
    c = loans.customer[at]
    supplier = np.where(rng.random(len(at)) < 0.5, traits.supplier[c], book.draw(rng, "supplier", len(at)))
    person = book.draw(rng, "individual", len(at))
    to_person = plan.case[at] == TO_INDIVIDUAL
    plan.party[at] = np.where(to_person & ~plan.real[at], person, supplier)
    plan.payee[at] = np.where(to_person, person, supplier)
    same_day = rng.random(len(at)) < 0.6
    next_day = _clock(loans.disbursed[at] + 1, rng, 9, 16)
    plan.pay_at[at] = np.where(same_day, plan.disb_at[at] + rng.integers(600, 7200, len(at)), next_day)
    # a real prohibited use keeps part of the principal out of the contract, to spend it elsewhere
    kept = np.where((plan.case[at] == PROHIBITED) & plan.real[at], 1 - plan.diverted[at], 1.0)
    plan.pay_amount[at] = np.where(kept < 1, _yuan(loans.principal[at] * kept, 100), loans.principal[at])
    return _moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "受托支付", "entrusted", c, at)


def _self_paid(cfg: SimConfig, loans: Loans, plan: _Plan, book: _Book) -> _Moves:
    """自主支付: 1–4 payments to merchants or suppliers over 1–20 days, none above 75% of the
    principal (so no single payee looks like a concentration); mortgages pay the developer in full
    on the day. Records the first payment in ``plan``: a refund look-alike comes from that payee."""
    rng = stream(cfg.seed, "flows-self-paid")
    names = [p.name for p in cfg.products]
    at = np.flatnonzero(~loans.entrusted)
    house = loans.product[at] == (names.index("mortgage") if "mortgage" in names else -1)
    row, j = _fan(np.where(house, 1, rng.integers(1, 5, len(at))))
    loan, n = at[row], np.bincount(row, minlength=len(at))[row]
    p = loans.principal[loan]
    share = rng.uniform(0.5, 0.95, len(at))[row] * (1 - plan.diverted[loan])
    weight = rng.random(len(loan)) + 0.3
    weight = weight / np.bincount(row, weight)[row]
    amount = np.where(house[row], p, _yuan(p * np.minimum(share * weight, np.where(n == 1, 0.75, 0.6))))
    first = j == 0
    days = loans.disbursed[loan] + np.where(
        first, rng.integers(1, 6, len(loan)), rng.integers(1, 21, len(loan))
    )
    when = np.where(
        house[row], plan.disb_at[loan] + rng.integers(600, 7200, len(loan)), _clock(days, rng, 9, 20)
    )
    ent = loans.enterprise[loan]
    dst = np.where(ent, book.draw(rng, "supplier", len(loan)), book.draw(rng, "merchant", len(loan)))
    dst = np.where(house[row], book.draw(rng, "real_estate", len(loan)), dst)
    fixed = loans.product[loan] == (names.index("fixed_asset") if "fixed_asset" in names else -1)
    memo = np.select(
        [house[row], fixed, ent],
        [_codes(MEMOS, "购房款")[0], _pick(rng, USE_MEMOS["fixed_asset"], len(loan)),
         _pick(rng, USE_MEMOS["enterprise"], len(loan))],
        _pick(rng, USE_MEMOS["consumer"], len(loan)),
    )  # fmt: skip
    keep = amount > 0
    plan.payee[loan[first]], plan.pay_at[loan[first]] = dst[first], when[first]
    plan.pay_amount[loan[first]] = amount[first]
    c = loans.customer[loan]
    return _take(_moves(c, dst, when, amount, memo, "transfer", c), np.flatnonzero(keep))


def _pick(rng: np.random.Generator, memos: tuple[str, ...], n: int) -> np.ndarray:
    return _codes(MEMOS, *memos)[rng.integers(0, len(memos), n)]


def _disbursements(loans: Loans, plan: _Plan) -> _Moves:
    c = loans.customer
    return _moves(-1, c, plan.disb_at, loans.principal, "放款", "core", c, np.arange(len(loans)), 0)


def _backflow(cfg: SimConfig, loans: Loans, parties: Parties, plan: _Plan, book: _Book) -> _Path:
    """资金回流: the proceeds leave (to an own-bank intermediary, or to the supplier by the entrusted
    payment) and come back through 1–3 more hops to the borrower or its legal representative, all
    within 30 days; each hop 1–5 days after the last, keeping the amount or shaving a little off."""
    rng = stream(cfg.seed, "flows-backflow")
    at = np.flatnonzero((plan.case == BACKFLOW) & plan.real)
    n, c, d = len(at), loans.customer[at], loans.disbursed[at].astype(np.int64)
    ent = loans.entrusted[at].astype(np.int64)  # 1: the entrusted payment is hop 0
    h = plan.hops[at].astype(np.int64)
    nodes = _backflow_nodes(rng, parties, book, c, ent, h, plan.payee[at])
    k = np.arange(4)
    offset = np.cumsum(rng.integers(1, 6, (n, 4)) * ((k > ent[:, None]) & (k <= h[:, None])), axis=1)
    lower = np.where(ent == 1, plan.pay_at[at] // DAY + 1, d + 1)
    begin = np.maximum(plan.trace[at].astype(np.int64), lower)
    begin = np.maximum(np.minimum(begin, d + 29 - offset[:, -1]), lower)
    when = _clock((begin[:, None] + offset).ravel(), rng, 8, 20).reshape(n, 4)
    when[:, 0] = np.where(ent == 1, plan.pay_at[at], when[:, 0])
    amount = _backflow_amounts(rng, loans, plan, at, ent)
    row, hop = np.nonzero(k[None, :] <= h[:, None])
    memo = _pick(rng, ("往来款", "转账"), len(row))
    src, dst = nodes[row, hop], nodes[row, hop + 1]
    mv = _moves(src, dst, when[row, hop], amount[row, hop], memo, "transfer", c[row])
    return _Path(mv, at[row], hop, ~((hop == 0) & (ent[row] == 1)))


def _backflow_nodes(rng, parties: Parties, book: _Book, c, ent, h, payee) -> np.ndarray:
    """Accounts along each path: borrower, [supplier], fresh own-bank intermediaries, destination."""
    n = len(c)
    m = h - ent
    first = book.start["intermediary"] + np.cumsum(m) - m
    rep = parties.legal_rep[c]
    dest = np.where((rep >= 0) & (rng.random(n) < 0.5), rep, c)
    nodes = np.full((n, 5), -1, np.int64)
    nodes[:, 0] = c
    nodes[:, 1] = np.where(ent == 1, payee, -1)
    for k in range(1, 5):
        i = k - 1 - ent
        nodes[:, k] = np.where((i >= 0) & (i < m), first + i, nodes[:, k])
    nodes[np.arange(n), h + 1] = dest
    return nodes


def _backflow_amounts(rng, loans: Loans, plan: _Plan, at: np.ndarray, ent: np.ndarray) -> np.ndarray:
    n = len(at)
    # rounded up to 100 yuan, so that the share holds after shaving
    diverted = (np.ceil(loans.principal[at] * plan.diverted[at] / 10_000) * 10_000).astype(np.int64)
    amount = np.zeros((n, 4), np.int64)
    amount[:, 0] = np.where(ent == 1, plan.pay_amount[at], diverted)
    for k in range(1, 4):
        cut = np.where(rng.random(n) < 0.5, 0, _yuan(amount[:, k - 1] * rng.uniform(0.005, 0.03, n)))
        amount[:, k] = np.where(ent == k, diverted, amount[:, k - 1] - cut)
    return amount


def _refunds(cfg: SimConfig, loans: Loans, plan: _Plan) -> _Path:
    """Backflow look-alike: whoever was paid with the proceeds refunds 5–15% of the principal."""
    rng = stream(cfg.seed, "flows-refunds")
    at = np.flatnonzero((plan.case == BACKFLOW) & ~plan.real & (plan.payee >= 0))
    n, c, d = len(at), loans.customer[at], loans.disbursed[at].astype(np.int64)
    amount = _yuan(loans.principal[at] * rng.uniform(0.05, 0.15, n), 100)
    amount = np.minimum(amount, _yuan(plan.pay_amount[at] * 0.8))
    days = np.minimum(np.maximum(plan.trace[at].astype(np.int64), plan.pay_at[at] // DAY + 1), d + 29)
    payment = _moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "转账", "transfer", c)
    refund = _moves(plan.payee[at], c, _clock(days, rng, 9, 18), amount, "退款", "transfer", c)
    return _Path(_concat([payment, refund]), np.r_[at, at], np.repeat([0, 1], n), np.repeat([False, True], n))


def _prohibited(cfg: SimConfig, loans: Loans, plan: _Plan, book: _Book) -> _Path:
    """挪用: 35–80% of the principal goes within 30 days to a broker, a futures house, a developer
    or a lender, in one or two transfers."""
    rng = stream(cfg.seed, "flows-prohibited")
    at = np.flatnonzero((plan.case == PROHIBITED) & plan.real)
    n, c, d = len(at), loans.customer[at], loans.disbursed[at].astype(np.int64)
    kind = np.where(
        loans.enterprise[at],
        rng.choice(4, n, p=[0.35, 0.15, 0.3, 0.2]),
        rng.choice(4, n, p=[0.45, 0, 0.35, 0.2]),
    )
    dst, memo = np.zeros(n, np.int64), np.zeros(n, np.int8)
    for i, name in enumerate(PROHIBITED_MEMOS):
        hit = np.flatnonzero(kind == i)
        dst[hit] = book.draw(rng, name, len(hit))
        memo[hit] = _pick(rng, PROHIBITED_MEMOS[name], len(hit))
    total = _yuan(loans.principal[at] * plan.diverted[at], 100)
    two = rng.random(n) < 0.4
    first = np.where(two, _yuan(total * rng.uniform(0.4, 0.7, n), 100), total)
    day1 = np.clip(plan.trace[at].astype(np.int64), d + 1, d + 24)
    row = np.r_[np.arange(n), np.flatnonzero(two)]
    days = np.r_[day1, (day1 + rng.integers(1, 6, n))[two]]
    amount = np.r_[first, (total - first)[two]]
    mv = _moves(c[row], dst[row], _clock(days, rng, 9, 17), amount, memo[row], "online", c[row])
    return _Path(mv, at[row], np.repeat([0, 1], [n, two.sum()]), np.ones(len(row), bool))


def _prohibited_lookalikes(
    cfg: SimConfig, loans: Loans, parties: Parties, plan: _Plan, book: _Book, sales: np.ndarray
) -> _Path:
    """Prohibited-use look-alike, 2–5 months after the proceeds were spent: an enterprise pays rent
    to a developer, an individual moves a little of its salary to its brokerage account."""
    rng = stream(cfg.seed, "flows-lookalikes")
    at = np.flatnonzero((plan.case == PROHIBITED) & ~plan.real)
    days = loans.disbursed[at] + rng.integers(61, 151, len(at))
    at, days = at[days <= day(cfg.end)], days[days <= day(cfg.end)]
    n, c, ent = len(at), loans.customer[at], loans.enterprise[at]
    dst = np.where(ent, book.draw(rng, "real_estate", n), book.draw(rng, "securities", n))
    base = np.where(ent, np.maximum(sales[c], loans.principal[at] // 10), parties.income[c] // 12)
    amount = _yuan(base * np.where(ent, rng.uniform(0.03, 0.08, n), rng.uniform(0.05, 0.3, n)))
    memo = np.where(ent, MEMOS.index("房租"), MEMOS.index("银证转账"))
    mv = _moves(c, dst, _clock(days, rng, 9, 17), amount, memo, "online", c)
    return _Path(mv, at, np.zeros(n, np.int64), np.ones(n, bool))


def _contract_payments(loans: Loans, plan: _Plan) -> _Path:
    """The entrusted payment is the trace of paid_to_individual and the subject of fake contracts."""
    at = np.flatnonzero(np.isin(plan.case, [TO_INDIVIDUAL, FAKE]))
    c, n = loans.customer[at], len(at)
    mv = _moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "受托支付", "entrusted", c, at)
    return _Path(mv, at, np.zeros(n, np.int64), np.zeros(n, bool))


# --- contracts and invoices ----------------------------------------------------------------------


def _contracts_table(cfg: SimConfig, loans: Loans, parties: Parties, plan: _Plan, book: _Book) -> pa.Table:
    """One purchase contract per entrusted loan, signed 1–30 days before the disbursement, for the
    payment or a little more; goods fit the borrower's industry (equipment for fixed-asset loans)."""
    rng = stream(cfg.seed, "flows-contracts")
    at = np.flatnonzero(loans.entrusted)
    n, pay, party = len(at), plan.pay_amount[at], plan.party[at]
    more = (np.ceil(pay * rng.uniform(1.0, 1.1, n) / 10_000) * 10_000).astype(np.int64)
    names = [p.name for p in cfg.products]
    fixed = loans.product[at] == (names.index("fixed_asset") if "fixed_asset" in names else -1)
    group = np.where(fixed, len(GOODS) - 1, np.maximum(parties.industry[loans.customer[at]], 0))
    goods = pa.array([g for options in GOODS for g in options])
    sole = pa.array(book.holder[party] == IND)
    return pa.table(
        {
            "contract_id": ids("contract", np.arange(n) + 1),
            "loan_id": ids("loan", at + 1),
            "counterparty_name": book.names.take(pa.array(party)),
            "counterparty_tax_id": pc.if_else(sole, pa.scalar(None, pa.string()), book.tax_ids(party)),
            "amount": money(np.where(rng.random(n) < 0.5, pay, more)),
            "signed_on": dates(loans.disbursed[at] - rng.integers(1, 31, n).astype("timedelta64[D]")),
            "goods": goods.take(pa.array(group * 3 + rng.integers(0, 3, n))),
        }
    )


@dataclass
class _Invoices:
    contract: np.ndarray  # contract number (-1: not tied to a contract)
    seller: np.ndarray  # accounts stand for their holders
    buyer: np.ndarray
    day: np.ndarray  # datetime64[D]
    total: np.ndarray  # signed cents, tax included (价税合计)
    status: np.ndarray  # int8 INVOICE_STATUS


def _contract_invoices(cfg: SimConfig, loans: Loans, plan: _Plan, book: _Book) -> _Invoices:
    """1–3 invoices per entrusted payment from the contract's counterparty 5–45 days later, whose
    totals add up to the payment; fake contracts and their look-alikes bend them."""
    rng = stream(cfg.seed, "flows-invoices")
    at = np.flatnonzero(loans.entrusted)
    row, j = _fan(rng.integers(1, 4, len(at)))
    loan = at[row]
    total = _split(plan.pay_amount[at], row, rng.random(len(row)) + 0.5)
    pay_day = (plan.pay_at[loan] // DAY).astype("datetime64[D]")
    issued = pay_day + rng.integers(5, 46, len(row)).astype("timedelta64[D]")
    inv = _Invoices(row, plan.party[loan], loans.customer[loan], issued, total, np.zeros(len(row), np.int8))
    return _fake_documents(cfg, rng, plan, book, inv, loan, j)


def _fake_documents(cfg: SimConfig, rng, plan: _Plan, book: _Book, inv: _Invoices, loan, j) -> _Invoices:
    """Real fake contracts: no invoice ever, invoices voided, reversed by red ones, or sold by another
    company; look-alikes: invoices 61–120 days late, or one voided and reissued at once. Invoices
    after the end are not issued yet."""
    fake = plan.case[loan] == FAKE
    real, benign = fake & plan.real[loan], fake & ~plan.real[loan]
    variant = rng.integers(0, 4, len(plan.case))[loan]
    end = day(cfg.end)
    inv.status[real & (variant == 1)] = INVOICE_STATUS.index("void")
    other = np.flatnonzero(real & (variant == 3))
    step = 1 + rng.integers(0, book.size["supplier"] - 1, len(other))
    inv.seller[other] = book.of("supplier", inv.seller[other] - book.start["supplier"] + step)
    late = np.flatnonzero(benign & (variant % 2 == 0))
    inv.day[late] += rng.integers(56, 76, len(late)).astype("timedelta64[D]")
    redo = benign & (variant % 2 == 1) & (j == 0)
    inv.status[redo] = INVOICE_STATUS.index("void")
    issued = (inv.day <= end) & ~(real & (variant == 0))
    red = _take(inv, np.flatnonzero(issued & real & (variant == 2)))
    red.total, red.status[:] = -red.total, INVOICE_STATUS.index("red")
    red.day = np.minimum(red.day + rng.integers(3, 31, len(red.day)).astype("timedelta64[D]"), end)
    again = _take(inv, np.flatnonzero(issued & redo))
    again.status[:] = INVOICE_STATUS.index("normal")
    again.day = np.minimum(again.day + rng.integers(0, 2, len(again.day)).astype("timedelta64[D]"), end)
    return _concat([_take(inv, np.flatnonzero(issued)), red, again])


def _sales_invoices(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, sales: np.ndarray, traits: _Traits, book: _Book
) -> _Invoices:
    """One invoice a quarter from each enterprise borrower to a regular buyer, for a part of the
    quarter's sales: sales invoices that are not tied to a contract."""
    rng = stream(cfg.seed, "flows-sales-invoices")
    who = np.flatnonzero(parties.enterprise & parties.borrower)
    base = int(day(cfg.start).astype("datetime64[M]").astype(np.int64))
    first = -((-(base + traits.first_month[who])) // 3)
    c, q = expand(who, first, np.full(len(who), (base + cfg.months - 3) // 3))
    last = q * 3 + 2 - base
    act = activity[c, last - 2] + activity[c, last - 1] + activity[c, last]
    total = _yuan(sales[c] * act * rng.uniform(0.3, 0.5, len(c)))
    end_of_quarter = (day(cfg.start).astype("datetime64[M]") + last + 1).astype("datetime64[D]") - 1
    issued = end_of_quarter - rng.integers(0, 10, len(c)).astype("timedelta64[D]")
    buyer = book.of("buyer", traits.buyer[c] + rng.integers(0, 5, len(c)) * 7)
    return _Invoices(np.full(len(c), -1), c, buyer, issued, total, np.zeros(len(c), np.int8))


def _invoices_table(inv: _Invoices, book: _Book) -> pa.Table:
    """Numbered in the order of issue: 2-digit year, 2-digit province of the seller, 16-digit serial."""
    inv = _take(inv, np.argsort(inv.day, kind="stable"))
    n = len(inv.day)
    year = inv.day.astype("datetime64[Y]").astype(np.int64) + 1970
    province = np.array([int(code[:2]) for code, _ in REGIONS])[book.region[inv.seller]]
    head = pc.utf8_lpad(pc.cast(pa.array(year % 100 * 100 + province), pa.string()), 4, "0")
    serial = pc.utf8_lpad(pc.cast(pa.array(np.arange(n) + 1), pa.string()), 16, "0")
    gross = np.abs(inv.total)
    amount = np.rint(gross / (1 + VAT)).astype(np.int64)
    sign = np.where(inv.total < 0, -1, 1)
    return pa.table(
        {
            "invoice_no": pc.binary_join_element_wise(head, serial, ""),
            "seller_tax_id": book.tax_ids(inv.seller),
            "seller_name": book.names.take(pa.array(inv.seller)),
            "buyer_tax_id": book.tax_ids(inv.buyer),
            "buyer_name": book.names.take(pa.array(inv.buyer)),
            "issued_on": dates(inv.day),
            "amount": money(sign * amount),
            "tax_amount": money(sign * (gross - amount)),
            "status": pa.array(list(INVOICE_STATUS)).take(pa.array(inv.status)),
            "contract_id": ids("contract", inv.contract + 1, inv.contract >= 0),
        }
    )


def _take(obj, idx):
    return type(obj)(*(getattr(obj, f.name)[idx] for f in dataclasses.fields(obj)))


def _concat(parts: list):
    cls = type(parts[0])
    return cls(*(np.concatenate([getattr(p, f.name) for p in parts]) for f in dataclasses.fields(cls)))


# --- everyday flows ------------------------------------------------------------------------------


def _salaries(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, traits: _Traits, who: np.ndarray, rng
) -> _Moves:
    """Individuals with a job: the monthly salary (income / 12 × activity) from their employer."""
    who = who[~parties.enterprise[who] & traits.salaried[who]]
    c, k = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    amount = np.rint(parties.income[c] // 12 * activity[c, k])
    at = _clock(month_days(day(cfg.start), k, traits.payday[c]), rng, 9, 12)
    return _moves(traits.employer[c], c, at, amount, "工资", "salary", c)


def _spending(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, traits: _Traits, book: _Book, who: np.ndarray, rng
) -> _Moves:
    """Individual borrowers: rent (if they rent) and shopping, now and then a transfer to somebody."""
    who = who[~parties.enterprise[who] & parties.borrower[who]]
    c0, k0 = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    row, j = _fan(1 + (rng.random(len(c0)) < 0.35))
    c, k, n = c0[row], k0[row], len(row)
    salary = parties.income[c] // 12
    rent = traits.renter[c] & (j == 0)
    other = ~rent & (rng.random(n) < 0.08)
    dst = np.where(other, book.draw(rng, "unknown", n), book.draw(rng, "merchant", n))
    dst = np.where(rent, traits.landlord[c], dst)
    spend = salary * activity[c, k] * rng.uniform(0.1, 0.35, n)
    amount = np.rint(np.where(rent, salary * traits.rent_share[c], spend))
    dom = np.where(rent, rng.integers(1, 6, n), rng.integers(1, 29, n))
    memo = np.select([rent, other], [MEMOS.index("房租"), MEMOS.index("转账")], MEMOS.index("消费"))
    channel = np.select(
        [rent, other], [CHANNELS.index("transfer"), CHANNELS.index("online")], CHANNELS.index("pos")
    )
    at = _clock(month_days(day(cfg.start), k, dom), rng, 8, 22)
    return _moves(c, dst, at, amount, memo, channel, c)


def _settlement(
    cfg: SimConfig,
    parties: Parties,
    activity: np.ndarray,
    sales: np.ndarray,
    traits: _Traits,
    book: _Book,
    who: np.ndarray,
    rng,
) -> _Moves:
    """Enterprise borrowers: 2–3 payments a month from regular buyers adding up exactly to the month's
    sales (monthly_sales × activity: the settlement volume at this bank); 1–3 payments out to a
    supplier, the payroll batch and the landlord."""
    who = who[parties.enterprise[who] & parties.borrower[who]]
    c0, k0 = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    total = np.rint(sales[c0] * activity[c0, k0]).astype(np.int64)
    row, _ = _fan(rng.integers(2, 4, len(c0)))
    c, k, n = c0[row], k0[row], len(row)
    buyer = book.of("buyer", traits.buyer[c] + rng.integers(0, 5, n) * 7)
    at = _clock(month_days(day(cfg.start), k, rng.integers(1, 29, n)), rng, 8, 20)
    ins = _moves(buyer, c, at, _split(total, row, rng.random(n) + 0.5), "货款", "transfer", c)
    row, j = _fan(rng.integers(1, 4, len(c0)))
    c, k, n = c0[row], k0[row], len(row)
    supplier = np.where(rng.random(n) < 0.7, traits.supplier[c], book.draw(rng, "supplier", n))
    dst = np.select([j == 0, j == 1], [supplier, -1], traits.landlord[c])
    share = np.select(
        [j == 0, j == 1], [rng.uniform(0.35, 0.6, n), rng.uniform(0.08, 0.18, n)], rng.uniform(0.02, 0.06, n)
    )
    memo = _codes(MEMOS, "货款", "代发工资", "房租")[j]
    channel = _codes(CHANNELS, "transfer", "batch", "transfer")[j]
    at = _clock(month_days(day(cfg.start), k, rng.integers(1, 29, n)), rng, 8, 20)
    outs = _moves(c, dst, at, np.rint(total[row] * share), memo, channel, c, -1, np.where(j == 1, 1, -1))
    return _concat([ins, outs])


# --- transactions --------------------------------------------------------------------------------


class _Transactions:
    """The transactions table in parts of ``BLOCK`` customers (with the loans and paths they hold),
    built afresh, and identically, on every iteration."""

    def __init__(
        self,
        cfg: SimConfig,
        parties: Parties,
        activity: np.ndarray,
        sales: np.ndarray,
        traits: _Traits,
        book: _Book,
        loan_moves: _Moves,
        loan_ids: pa.Array,
    ) -> None:
        self._args = (cfg, parties, activity, sales, traits, book)
        self._moves = _take(loan_moves, np.argsort(loan_moves.key, kind="stable"))
        self._loan_ids = loan_ids

    def __iter__(self) -> Iterator[pa.Table]:
        cfg, parties, activity, sales, traits, book = self._args
        first_id = 0
        for b, lo in enumerate(range(0, len(parties), BLOCK)):
            who = np.arange(lo, min(lo + BLOCK, len(parties)))
            rng = stream(cfg.seed, f"flows-baseline-{b}")
            s, e = np.searchsorted(self._moves.key, [lo, who[-1] + 1])
            parts = [
                _salaries(cfg, parties, activity, traits, who, rng),
                _spending(cfg, parties, activity, traits, book, who, rng),
                _settlement(cfg, parties, activity, sales, traits, book, who, rng),
                _take(self._moves, slice(s, e)),
            ]
            table = _transactions_table(cfg, _concat(parts), book, self._loan_ids, first_id)
            first_id += table.num_rows
            yield table


def _transactions_table(
    cfg: SimConfig, mv: _Moves, book: _Book, loan_ids: pa.Array, first_id: int
) -> pa.Table:
    """A row on each side of every move that this bank holds, by account and time."""
    paid = mv.amount > 0
    out, into = np.flatnonzero(paid & book.own[mv.src]), np.flatnonzero(paid & book.own[mv.dst])
    row = np.r_[out, into]
    account = np.r_[mv.src[out], mv.dst[into]]
    at = mv.at[row]
    order = np.argsort(account << 30 | (at - day(cfg.start).astype(np.int64) * DAY), kind="stable")
    row, account, at = row[order], account[order], at[order]
    outgoing = order < len(out)
    cp = np.where(outgoing, mv.dst[row], mv.src[row])
    loan = mv.loan[row]
    name = np.where(cp >= 0, cp, len(book.account_ids) + mv.label[row].astype(np.int64))
    return pa.table(
        {
            "txn_id": ids("txn", first_id + np.arange(len(row)) + 1),
            "account_id": book.account_ids.take(pa.array(account)),
            "occurred_at": pa.array(at.view("datetime64[s]")),
            "direction": pa.array(list(DIRECTIONS)).take(pa.array(outgoing.view(np.int8))),
            "amount": money(mv.amount[row]),
            "counterparty_account": book.account_ids.take(pa.array(cp, mask=cp < 0)),
            "counterparty_name": book.names.take(pa.array(name)),
            "counterparty_type": pa.array(list(PARTY_TYPES)).take(pa.array(book.holder[cp])),
            "channel": pa.array(list(CHANNELS)).take(pa.array(mv.channel[row])),
            "memo": pa.array(list(MEMOS)).take(pa.array(mv.memo[row])),
            "loan_id": loan_ids.take(pa.array(loan, mask=loan < 0)),
        }
    )


def _paths_table(path: _Path, plan: _Plan, book: _Book) -> pa.Table:
    """Ground truth of each flow case: ``account_id`` paid ``counterparty_account`` at hop 0, 1, …"""
    keep = np.flatnonzero(path.moves.amount > 0)
    order = keep[np.lexsort((path.hop[keep], path.loan[keep]))]
    mv, loan = _take(path.moves, order), path.loan[order]
    return pa.table(
        {
            "loan_id": ids("loan", loan + 1),
            "scenario": pa.array(list(SCENARIOS)).take(pa.array(plan.case[loan].astype(np.int64))),
            "role": pc.if_else(pa.array(plan.real[loan]), "real", "benign"),
            "hop": pa.array(path.hop[order].astype(np.int32)),
            "account_id": book.account_ids.take(pa.array(mv.src)),
            "counterparty_account": book.account_ids.take(pa.array(mv.dst)),
            "amount": money(mv.amount),
            "occurred_at": pa.array(mv.at.astype("datetime64[s]")),
        }
    )


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
    plan = _plan(cfg, loans, scen)
    backflow = (plan.case == BACKFLOW) & plan.real
    book = _book(cfg, len(loans), parties, int((plan.hops - loans.entrusted)[backflow].sum()))
    traits = _traits(cfg, loans, parties, book)
    payouts = [_disbursements(loans, plan), _entrusted(cfg, loans, plan, traits, book)]
    payouts.append(_self_paid(cfg, loans, plan, book))
    path = _Path.concat(
        [
            _backflow(cfg, loans, parties, plan, book),
            _refunds(cfg, loans, plan),
            _prohibited(cfg, loans, plan, book),
            _prohibited_lookalikes(cfg, loans, parties, plan, book, monthly_sales),
            _contract_payments(loans, plan),
        ]
    )
    invoices = _concat(
        [
            _contract_invoices(cfg, loans, plan, book),
            _sales_invoices(cfg, parties, activity, monthly_sales, traits, book),
        ]
    )
    loan_moves = _concat([*payouts, _take(path.moves, np.flatnonzero(path.fresh))])
    loan_ids = ids("loan", np.arange(len(loans)) + 1)
    return Flows(
        _accounts_table(cfg, book),
        _contracts_table(cfg, loans, parties, plan, book),
        _invoices_table(invoices, book),
        _Transactions(cfg, parties, activity, monthly_sales, traits, book, loan_moves, loan_ids),
        _paths_table(path, plan, book),
    )
