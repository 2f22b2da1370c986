"""The money moves the bank can see, each once: ``src`` paid ``dst``.

A transfer between two accounts of this bank shows twice in ``transactions`` (an ``out`` row
on the payer's account and an ``in`` row on the payee's); a transfer from an account at
another bank shows only as the ``in`` row of ours. So the moves are every ``out`` row, and
the ``in`` rows whose payer is not an account of this bank: an account elsewhere is followed
through what it pays into this bank, the only part of its flows that the bank sees."""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from loanwatch.analytics.expr import in_force

MOVE_COLUMNS = ("txn_id", "src", "dst", "at", "amount", "dst_customer", "dst_type", "dst_name",
                "dst_own", "memo", "channel", "loan_id")


def _own_accounts(accounts: ir.Table, t: ir.Table) -> ir.Table:
    """Accounts of this bank: flagged so in ``accounts``, or holding rows in ``t`` (a lender
    may send flows of accounts its accounts table lacks)."""
    a = accounts.filter(accounts.is_own_bank)
    return a.select(account=a.account_id).union(t.select(account=t.account_id)).distinct()


def visible_moves(transactions: ir.Table, accounts: ir.Table, start: dt.datetime,
                  end: dt.datetime, as_of: dt.date) -> ir.Table:
    """Every move from ``start`` to before ``end`` seen in ``transactions`` (versions in force
    at ``as_of``), with what is known of the payee (``dst_*``) from ``accounts``."""
    t = transactions.filter(in_force(transactions, as_of), transactions.occurred_at >= start,
                            transactions.occurred_at < end)
    accounts = accounts.filter(in_force(accounts, as_of))
    own = _own_accounts(accounts, t)
    out = t.filter(t.direction == "out")
    out = out.select(txn_id=out.txn_id, src=out.account_id, dst=out.counterparty_account,
                     at=out.occurred_at, amount=out.amount, name=out.counterparty_name,
                     type=out.counterparty_type, memo=out.memo, channel=out.channel,
                     loan_id=out.loan_id)
    into = t.filter(t.direction == "in", t.counterparty_account.notnull())
    into = into.anti_join(own, into.counterparty_account == own.account)
    into = into.select(txn_id=into.txn_id, src=into.counterparty_account, dst=into.account_id,
                       at=into.occurred_at, amount=into.amount, name=ibis.null("string"),
                       type=ibis.null("string"), memo=into.memo, channel=into.channel,
                       loan_id=into.loan_id)
    m = out.union(into)
    a = accounts.select(a_id=accounts.account_id, a_customer=accounts.customer_id,
                        a_name=accounts.holder_name, a_type=accounts.holder_type)
    m = m.left_join(a, m.dst == a.a_id)
    mine = own.select(o_account=own.account)
    m = m.left_join(mine, m.dst == mine.o_account)
    return m.select(txn_id=m.txn_id, src=m.src, dst=m.dst, at=m.at, amount=m.amount,
                    dst_customer=m.a_customer, dst_type=m.a_type.coalesce(m.type, "unknown"),
                    dst_name=m.name.coalesce(m.a_name), dst_own=m.o_account.notnull(),
                    memo=m.memo, channel=m.channel, loan_id=m.loan_id)
