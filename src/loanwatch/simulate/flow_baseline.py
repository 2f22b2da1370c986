"""The everyday baseline the monitoring must not flag (salaries, spending, enterprise settlement
with buyers and suppliers), and the transactions table built from moves."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.flow_accounts import PARTY_TYPES, Book, Traits
from loanwatch.simulate.flow_moves import CHANNELS, DAY, MEMOS, Moves, clock, codes, concat, fan, moves, split
from loanwatch.simulate.frames import day, expand, ids, money, month_days
from loanwatch.simulate.parties import Parties

DIRECTIONS = ("in", "out")


def salaries(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, traits: Traits, who: np.ndarray, rng
) -> Moves:
    """Individuals with a job: the monthly salary (income / 12 × activity) from their employer."""
    who = who[~parties.enterprise[who] & traits.salaried[who]]
    c, k = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    amount = np.rint(parties.income[c] // 12 * activity[c, k])
    at = clock(month_days(day(cfg.start), k, traits.payday[c]), rng, 9, 12)
    return moves(traits.employer[c], c, at, amount, "工资", "salary", c)


def spending(
    cfg: SimConfig, parties: Parties, activity: np.ndarray, traits: Traits, book: Book, who: np.ndarray, rng
) -> Moves:
    """Individual borrowers: rent (if they rent) and shopping, now and then a transfer to somebody."""
    who = who[~parties.enterprise[who] & parties.borrower[who]]
    c0, k0 = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    row, j = fan(1 + (rng.random(len(c0)) < 0.35))
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
    at = clock(month_days(day(cfg.start), k, dom), rng, 8, 22)
    return moves(c, dst, at, amount, memo, channel, c)


def settlement(
    cfg: SimConfig,
    parties: Parties,
    activity: np.ndarray,
    sales: np.ndarray,
    traits: Traits,
    book: Book,
    who: np.ndarray,
    rng,
) -> Moves:
    """Enterprise borrowers: 2–3 payments a month from regular buyers adding up exactly to the month's
    sales (monthly_sales × activity: the settlement volume at this bank); 1–3 payments out to a
    supplier, the payroll batch and the landlord."""
    who = who[parties.enterprise[who] & parties.borrower[who]]
    c0, k0 = expand(who, traits.first_month[who], np.full(len(who), cfg.months - 1))
    total = np.rint(sales[c0] * activity[c0, k0]).astype(np.int64)
    row, _ = fan(rng.integers(2, 4, len(c0)))
    c, k, n = c0[row], k0[row], len(row)
    buyer = book.of("buyer", traits.buyer[c] + rng.integers(0, 5, n) * 7)
    at = clock(month_days(day(cfg.start), k, rng.integers(1, 29, n)), rng, 8, 20)
    ins = moves(buyer, c, at, split(total, row, rng.random(n) + 0.5), "货款", "transfer", c)
    row, j = fan(rng.integers(1, 4, len(c0)))
    c, k, n = c0[row], k0[row], len(row)
    supplier = np.where(rng.random(n) < 0.7, traits.supplier[c], book.draw(rng, "supplier", n))
    dst = np.select([j == 0, j == 1], [supplier, -1], traits.landlord[c])
    share = np.select(
        [j == 0, j == 1], [rng.uniform(0.35, 0.6, n), rng.uniform(0.08, 0.18, n)], rng.uniform(0.02, 0.06, n)
    )
    memo = codes(MEMOS, "货款", "代发工资", "房租")[j]
    channel = codes(CHANNELS, "transfer", "batch", "transfer")[j]
    at = clock(month_days(day(cfg.start), k, rng.integers(1, 29, n)), rng, 8, 20)
    outs = moves(c, dst, at, np.rint(total[row] * share), memo, channel, c, -1, np.where(j == 1, 1, -1))
    return concat([ins, outs])


def transactions_table(cfg: SimConfig, mv: Moves, book: Book, loan_ids: pa.Array, first_id: int) -> pa.Table:
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
