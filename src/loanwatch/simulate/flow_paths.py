"""The loans' money: each loan's flow case, its disbursement and the payout of its proceeds
(entrusted or self-paid), the trails of the flow scenarios (backflow, prohibited use, refunds,
contract payments) and their ground-truth paths table."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SCENARIOS, SimConfig
from loanwatch.simulate.flow_accounts import Book, Traits
from loanwatch.simulate.flow_moves import DAY, MEMOS, Moves, clock, codes, concat, fan, moves, take, yuan
from loanwatch.simulate.frames import day, ids, money, stream
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.scenarios import Scenarios

#: where prohibited proceeds go, with the memo each kind of payment carries
PROHIBITED_MEMOS = {
    "securities": ("银证转账",),
    "futures": ("期货保证金",),
    "real_estate": ("购房款",),
    "lender": ("还款", "借款"),
}
USE_MEMOS = {
    "consumer": ("装修款", "购车款", "家电", "学费", "消费"),
    "enterprise": ("货款", "采购", "原材料款"),
    "fixed_asset": ("设备款", "工程款"),
}
BACKFLOW, PROHIBITED, TO_INDIVIDUAL, FAKE = (
    SCENARIOS.index(s) for s in ("backflow", "prohibited_use", "paid_to_individual", "fake_contract")
)


@dataclass
class Path:
    """Moves that make up a scenario's trace; ``fresh`` ones are not yet among the transactions."""

    moves: Moves
    loan: np.ndarray
    hop: np.ndarray
    fresh: np.ndarray

    @staticmethod
    def concat(parts: list[Path]) -> Path:
        return Path(
            concat([p.moves for p in parts]),
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("loan", "hop", "fresh")),
        )


@dataclass
class Plan:
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


def draw_plan(cfg: SimConfig, loans: Loans, scen: Scenarios) -> Plan:
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
    disb_at = clock(loans.disbursed, rng, 9, 15)
    return Plan(case, real, trace, hops, diverted, disb_at, none, none.copy(), zero, zero.copy())


def entrusted(cfg: SimConfig, loans: Loans, plan: Plan, traits: Traits, book: Book) -> Moves:
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
    next_day = clock(loans.disbursed[at] + 1, rng, 9, 16)
    plan.pay_at[at] = np.where(same_day, plan.disb_at[at] + rng.integers(600, 7200, len(at)), next_day)
    # a real prohibited use keeps part of the principal out of the contract, to spend it elsewhere
    kept = np.where((plan.case[at] == PROHIBITED) & plan.real[at], 1 - plan.diverted[at], 1.0)
    plan.pay_amount[at] = np.where(kept < 1, yuan(loans.principal[at] * kept, 100), loans.principal[at])
    return moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "受托支付", "entrusted", c, at)


def self_paid(cfg: SimConfig, loans: Loans, plan: Plan, book: Book) -> Moves:
    """自主支付: 1–4 payments to merchants or suppliers over 1–20 days, none above 75% of the
    principal (so no single payee looks like a concentration); mortgages pay the developer in full
    on the day. Records the first payment in ``plan``: a refund look-alike comes from that payee."""
    rng = stream(cfg.seed, "flows-self-paid")
    names = [p.name for p in cfg.products]
    at = np.flatnonzero(~loans.entrusted)
    house = loans.product[at] == (names.index("mortgage") if "mortgage" in names else -1)
    row, j = fan(np.where(house, 1, rng.integers(1, 5, len(at))))
    loan, n = at[row], np.bincount(row, minlength=len(at))[row]
    p = loans.principal[loan]
    share = rng.uniform(0.5, 0.95, len(at))[row] * (1 - plan.diverted[loan])
    weight = rng.random(len(loan)) + 0.3
    weight = weight / np.bincount(row, weight)[row]
    amount = np.where(house[row], p, yuan(p * np.minimum(share * weight, np.where(n == 1, 0.75, 0.6))))
    first = j == 0
    days = loans.disbursed[loan] + np.where(
        first, rng.integers(1, 6, len(loan)), rng.integers(1, 21, len(loan))
    )
    when = np.where(
        house[row], plan.disb_at[loan] + rng.integers(600, 7200, len(loan)), clock(days, rng, 9, 20)
    )
    ent = loans.enterprise[loan]
    dst = np.where(ent, book.draw(rng, "supplier", len(loan)), book.draw(rng, "merchant", len(loan)))
    dst = np.where(house[row], book.draw(rng, "real_estate", len(loan)), dst)
    fixed = loans.product[loan] == (names.index("fixed_asset") if "fixed_asset" in names else -1)
    memo = np.select(
        [house[row], fixed, ent],
        [codes(MEMOS, "购房款")[0], _pick(rng, USE_MEMOS["fixed_asset"], len(loan)),
         _pick(rng, USE_MEMOS["enterprise"], len(loan))],
        _pick(rng, USE_MEMOS["consumer"], len(loan)),
    )  # fmt: skip
    keep = amount > 0
    plan.payee[loan[first]], plan.pay_at[loan[first]] = dst[first], when[first]
    plan.pay_amount[loan[first]] = amount[first]
    c = loans.customer[loan]
    return take(moves(c, dst, when, amount, memo, "transfer", c), np.flatnonzero(keep))


def _pick(rng: np.random.Generator, memos: tuple[str, ...], n: int) -> np.ndarray:
    return codes(MEMOS, *memos)[rng.integers(0, len(memos), n)]


def disbursements(loans: Loans, plan: Plan) -> Moves:
    c = loans.customer
    return moves(-1, c, plan.disb_at, loans.principal, "放款", "core", c, np.arange(len(loans)), 0)


def backflow(cfg: SimConfig, loans: Loans, parties: Parties, plan: Plan, book: Book) -> Path:
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
    when = clock((begin[:, None] + offset).ravel(), rng, 8, 20).reshape(n, 4)
    when[:, 0] = np.where(ent == 1, plan.pay_at[at], when[:, 0])
    amount = _backflow_amounts(rng, loans, plan, at, ent)
    row, hop = np.nonzero(k[None, :] <= h[:, None])
    memo = _pick(rng, ("往来款", "转账"), len(row))
    src, dst = nodes[row, hop], nodes[row, hop + 1]
    mv = moves(src, dst, when[row, hop], amount[row, hop], memo, "transfer", c[row])
    return Path(mv, at[row], hop, ~((hop == 0) & (ent[row] == 1)))


def _backflow_nodes(rng, parties: Parties, book: Book, c, ent, h, payee) -> np.ndarray:
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


def _backflow_amounts(rng, loans: Loans, plan: Plan, at: np.ndarray, ent: np.ndarray) -> np.ndarray:
    n = len(at)
    # rounded up to 100 yuan, so that the share holds after shaving
    diverted = (np.ceil(loans.principal[at] * plan.diverted[at] / 10_000) * 10_000).astype(np.int64)
    amount = np.zeros((n, 4), np.int64)
    amount[:, 0] = np.where(ent == 1, plan.pay_amount[at], diverted)
    for k in range(1, 4):
        cut = np.where(rng.random(n) < 0.5, 0, yuan(amount[:, k - 1] * rng.uniform(0.005, 0.03, n)))
        amount[:, k] = np.where(ent == k, diverted, amount[:, k - 1] - cut)
    return amount


def refunds(cfg: SimConfig, loans: Loans, plan: Plan) -> Path:
    """Backflow look-alike: whoever was paid with the proceeds refunds 5–15% of the principal."""
    rng = stream(cfg.seed, "flows-refunds")
    at = np.flatnonzero((plan.case == BACKFLOW) & ~plan.real & (plan.payee >= 0))
    n, c, d = len(at), loans.customer[at], loans.disbursed[at].astype(np.int64)
    amount = yuan(loans.principal[at] * rng.uniform(0.05, 0.15, n), 100)
    amount = np.minimum(amount, yuan(plan.pay_amount[at] * 0.8))
    days = np.minimum(np.maximum(plan.trace[at].astype(np.int64), plan.pay_at[at] // DAY + 1), d + 29)
    payment = moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "转账", "transfer", c)
    refund = moves(plan.payee[at], c, clock(days, rng, 9, 18), amount, "退款", "transfer", c)
    return Path(concat([payment, refund]), np.r_[at, at], np.repeat([0, 1], n), np.repeat([False, True], n))


def prohibited(cfg: SimConfig, loans: Loans, plan: Plan, book: Book) -> Path:
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
    total = yuan(loans.principal[at] * plan.diverted[at], 100)
    two = rng.random(n) < 0.4
    first = np.where(two, yuan(total * rng.uniform(0.4, 0.7, n), 100), total)
    day1 = np.clip(plan.trace[at].astype(np.int64), d + 1, d + 24)
    row = np.r_[np.arange(n), np.flatnonzero(two)]
    days = np.r_[day1, (day1 + rng.integers(1, 6, n))[two]]
    amount = np.r_[first, (total - first)[two]]
    mv = moves(c[row], dst[row], clock(days, rng, 9, 17), amount, memo[row], "online", c[row])
    return Path(mv, at[row], np.repeat([0, 1], [n, two.sum()]), np.ones(len(row), bool))


def prohibited_lookalikes(
    cfg: SimConfig, loans: Loans, parties: Parties, plan: Plan, book: Book, sales: np.ndarray
) -> Path:
    """Prohibited-use look-alike, 2–5 months after the proceeds were spent: an enterprise pays rent
    to a developer, an individual moves a little of its salary to its brokerage account."""
    rng = stream(cfg.seed, "flows-lookalikes")
    at = np.flatnonzero((plan.case == PROHIBITED) & ~plan.real)
    days = loans.disbursed[at] + rng.integers(61, 151, len(at))
    at, days = at[days <= day(cfg.end)], days[days <= day(cfg.end)]
    n, c, ent = len(at), loans.customer[at], loans.enterprise[at]
    dst = np.where(ent, book.draw(rng, "real_estate", n), book.draw(rng, "securities", n))
    base = np.where(ent, np.maximum(sales[c], loans.principal[at] // 10), parties.income[c] // 12)
    amount = yuan(base * np.where(ent, rng.uniform(0.03, 0.08, n), rng.uniform(0.05, 0.3, n)))
    memo = np.where(ent, MEMOS.index("房租"), MEMOS.index("银证转账"))
    mv = moves(c, dst, clock(days, rng, 9, 17), amount, memo, "online", c)
    return Path(mv, at, np.zeros(n, np.int64), np.ones(n, bool))


def contract_payments(loans: Loans, plan: Plan) -> Path:
    """The entrusted payment is the trace of paid_to_individual and the subject of fake contracts."""
    at = np.flatnonzero(np.isin(plan.case, [TO_INDIVIDUAL, FAKE]))
    c, n = loans.customer[at], len(at)
    mv = moves(c, plan.payee[at], plan.pay_at[at], plan.pay_amount[at], "受托支付", "entrusted", c, at)
    return Path(mv, at, np.zeros(n, np.int64), np.zeros(n, bool))


def paths_table(path: Path, plan: Plan, book: Book) -> pa.Table:
    """Ground truth of each flow case: ``account_id`` paid ``counterparty_account`` at hop 0, 1, …"""
    keep = np.flatnonzero(path.moves.amount > 0)
    order = keep[np.lexsort((path.hop[keep], path.loan[keep]))]
    mv, loan = take(path.moves, order), path.loan[order]
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
