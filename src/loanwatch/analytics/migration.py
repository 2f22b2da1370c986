"""Month-on-month bucket migration (迁徙) and the roll and cure rates read from it.

METRICS.md: roll rate Mi -> Mi+1 = balance in Mi+1 at month end t that was in Mi at t-1 /
balance in Mi at t-1 (also C -> M1, C = M0); cure rate = balance back in M0 at t that was in
Mi at t-1 / balance in Mi at t-1. The book at t-1 is the loans with outstanding principal
(status active); at t a loan is in a bucket, or ``settled`` / ``written_off``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from loanwatch.analytics.expr import money, zero
from loanwatch.domain.calendar import previous_month_end


def previous_month_ends(dates: Sequence[dt.date]) -> dict[dt.date, dt.date]:
    """Each date's previous month end."""
    return {d: previous_month_end(d) for d in dates}


def bucket_migration(snapshot: ir.Table, previous: Mapping[dt.date, dt.date]) -> ir.Table:
    """Per as-of date and (from_bucket, to_state): loans, their balance a month before and
    now. ``snapshot`` holds both the dates and their previous month ends."""
    pairs = ibis.memtable(pa.table({"as_of": pa.array(list(previous), pa.date32()),
                                    "prev_as_of": pa.array(list(previous.values()), pa.date32())}))
    before = snapshot.filter(snapshot.status == "active", snapshot.outstanding_principal > 0)
    before = before.join(pairs, before.as_of == pairs.prev_as_of).select(
        "loan_id", as_of=pairs.as_of, from_bucket=before.bucket,
        balance_before=before.outstanding_principal)
    now = snapshot.select("loan_id", "as_of", "status", "bucket", "outstanding_principal")
    t = before.left_join(now, [before.loan_id == now.loan_id, before.as_of == now.as_of])
    on_book = (t.status == "active") & (t.outstanding_principal > 0)
    to_state = ibis.ifelse(on_book, t.bucket, t.status.coalesce("unknown"))
    t = t.mutate(to_state=to_state, balance_now=ibis.ifelse(on_book, t.outstanding_principal, zero()))
    return t.group_by("as_of", "from_bucket", "to_state").aggregate(
        loans=t.count(), balance_before=money(t.balance_before.sum()),
        balance_now=money(t.balance_now.sum()))


def roll_rates(migration: ir.Table, buckets: Sequence[str]) -> ir.Table:
    """Per as-of date and bucket Mi of the month before: its balance then, the balance rolled
    forward to the next bucket, the balance cured to the first bucket, and both rates."""
    m = migration
    nxt = ibis.cases(*((m.from_bucket == a, b) for a, b in zip(buckets, buckets[1:], strict=False)),
                     else_=ibis.null("string"))
    m = m.mutate(forward=ibis.ifelse(m.to_state == nxt, m.balance_now, zero()),
                 cured=ibis.ifelse((m.to_state == buckets[0]) & (m.from_bucket != buckets[0]),
                                   m.balance_now, zero()))
    t = m.group_by("as_of", "from_bucket").aggregate(
        loans_before=m.loans.sum().cast("int64"), balance_before=money(m.balance_before.sum()),
        rolled_forward=money(m.forward.sum()), cured=money(m.cured.sum()))
    before = t.balance_before.cast("float64").nullif(0)
    return t.mutate(roll_rate=t.rolled_forward.cast("float64") / before,
                    cure_rate=t.cured.cast("float64") / before)
