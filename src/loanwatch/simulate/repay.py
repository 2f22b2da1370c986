"""The schedule in force and the money received: on time, early, late then cured, in two parts,
never (default), in arrears at a restructuring, as a recovery after default."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from loanwatch.simulate.book import Loans
from loanwatch.simulate.config import SimConfig
from loanwatch.simulate.credit import NAT, Fates, onset_dates
from loanwatch.simulate.frames import day, stream
from loanwatch.simulate.parties import Parties
from loanwatch.simulate.schedules import EQUAL_INSTALLMENT, Schedule, build_schedules


@dataclass
class Installments:
    loan: np.ndarray
    seq: np.ndarray
    due_on: np.ndarray
    principal_due: np.ndarray
    interest_due: np.ndarray
    fee_due: np.ndarray

    def __len__(self) -> int:
        return len(self.loan)

    @property
    def total(self) -> np.ndarray:
        return self.principal_due + self.interest_due + self.fee_due


@dataclass
class Repayments:
    loan: np.ndarray
    paid_on: np.ndarray
    amount: np.ndarray  # cents


@dataclass
class Outcome:
    """Per loan: what happened, as the ground truth records it."""

    onset: np.ndarray  # first payment missed for good (default onset), NaT none
    first_90dpd: np.ndarray  # first day with DPD > 90 (≤ end), NaT none
    written_off: np.ndarray
    prepaid: np.ndarray
    restructured: np.ndarray


def schedule_in_force(loans: Loans, sched: Schedule, fates: Fates) -> tuple[Installments, np.ndarray]:
    """Apply prepayments (the schedule ends at the prepaid installment, which carries all remaining
    principal) and restructurings (what is not yet due at the restructuring date is replaced by a new,
    longer level-payment schedule). Returns the schedule and each row's 'new schedule' flag."""
    keep = np.ones(len(sched), bool)
    principal = sched.principal_due.copy()
    p = fates.prepay_seq[sched.loan]
    prepaid_rows = p > 0
    keep &= ~(prepaid_rows & (sched.seq > p))
    # the prepaid installment absorbs the principal of every later one
    later = prepaid_rows & (sched.seq >= p)
    carry = np.zeros(len(loans), np.int64)
    np.add.at(carry, sched.loan[later], sched.principal_due[later])
    at_p = prepaid_rows & (sched.seq == p)
    principal[at_p] = carry[sched.loan[at_p]]
    r = fates.restructured[sched.loan]
    replaced = ~np.isnat(r) & (sched.due_on > r)
    remaining = np.zeros(len(loans), np.int64)
    np.add.at(remaining, sched.loan[replaced], sched.principal_due[replaced])
    count = np.zeros(len(loans), np.int32)
    np.add.at(count, sched.loan[replaced], 1)
    keep &= ~replaced
    redo = np.flatnonzero(remaining > 0)
    fates.restructured[~np.isin(np.arange(len(loans)), redo)] = NAT
    last_kept = np.zeros(len(loans), np.int32)
    np.maximum.at(last_kept, sched.loan[keep], sched.seq[keep])
    new = build_schedules(
        remaining[redo],
        loans.rate_micro[redo],
        np.full(len(redo), EQUAL_INSTALLMENT, np.int8),
        np.maximum(count[redo] * 2, 6),
        fates.restructured[redo],
        first_seq=last_kept[redo] + 1,
    )
    # kept rows and new rows are each sorted by (loan, seq) and a loan's new rows follow its kept
    # ones: insert instead of sorting 30 million rows
    kept = np.flatnonzero(keep)
    new_loan = redo[new.loan]
    at = np.searchsorted(sched.loan[kept], new_loan, side="right")

    def merged(old: np.ndarray, extra: np.ndarray) -> np.ndarray:
        return np.insert(old[kept], at, extra)

    loan = merged(sched.loan, new_loan)
    inst = Installments(loan, merged(sched.seq, new.seq), merged(sched.due_on, new.due_on),
                        merged(principal, new.principal_due), merged(sched.interest_due, new.interest_due),
                        loans.fee_cents[loan])
    is_new = np.insert(np.zeros(len(kept), bool), at, True)
    return inst, is_new


def draw_repayments(
    cfg: SimConfig,
    loans: Loans,
    parties: Parties,
    inst: Installments,
    is_new: np.ndarray,
    fates: Fates,
    warned: np.ndarray,
) -> tuple[Repayments, Outcome]:
    """Repayments of every installment by its behaviour; ``warned`` loans (a real, non-sudden default)
    pay late more often in the months before their default."""
    rng = stream(cfg.seed, "repayments")
    end = day(cfg.end)
    redefault = _redefault(rng, inst, is_new, len(loans))
    # what falls due after the end is not paid yet (bar a few days early): leave those rows out
    rows = np.flatnonzero(inst.due_on <= end)
    cur, cur_new = _subset(inst, rows), is_new[rows]
    n = len(cur)
    total = cur.total
    d = fates.default_seq[cur.loan]
    restructured = fates.restructured[cur.loan]
    was_restructured = ~np.isnat(restructured)
    d_new = redefault[cur.loan]
    unpaid = ((d > 0) & (cur.seq >= d) & ~was_restructured) | ((d_new > 0) & (cur.seq >= d_new))
    arrears = was_restructured & (d > 0) & (cur.seq >= d) & ~cur_new & ~unpaid
    z = parties.quality[loans.customer[cur.loan]]
    late_p = cfg.late_share * np.exp(-0.6 * z - 0.18)
    near_default = warned[cur.loan] & (d > 0) & (cur.seq >= d - 3) & (cur.seq < d)
    late_p = np.where(near_default, 0.6, late_p)
    u = rng.random(n)
    # late payers mostly catch up within a month, some within two, a few within three (all < 91 days)
    v = rng.random(n)
    late_days = np.where(v < 0.8, rng.integers(1, 30, n), np.where(v < 0.97, rng.integers(30, 60, n),
                                                                   rng.integers(60, 86, n)))
    delay = np.where(u < late_p, late_days, np.where(u > 0.9, -rng.integers(0, 4, n), 0))
    paid_on = cur.due_on + delay.astype("timedelta64[D]")
    paid_on[arrears] = restructured[arrears]
    normal = ~unpaid & ~arrears & (delay < 60)
    split = normal & (rng.random(n) < np.where(near_default, 0.3, cfg.partial_share)) & (total > 1)
    first_part = np.where(split, (total * rng.uniform(0.3, 0.8, n)).astype(np.int64), total)
    rest_on = paid_on + rng.integers(5, 26, n).astype("timedelta64[D]")
    pay = ~unpaid
    rows_loan = np.r_[cur.loan[pay], cur.loan[split]]
    rows_on = np.r_[paid_on[pay], rest_on[split]]
    rows_amount = np.r_[first_part[pay], (total - first_part)[split]]
    onset, first90 = _onsets(inst, fates, redefault, len(loans), end)
    written_off = _write_offs(cfg, rng, first90, end)
    rec_loan, rec_on, rec_amount = _recoveries(cfg, rng, cur, unpaid, onset, first90, written_off, end)
    rows_loan = np.r_[rows_loan, rec_loan]
    rows_on = np.r_[rows_on, rec_on]
    rows_amount = np.r_[rows_amount, rec_amount]
    # restructuring arrears arrive as one payment
    known = rows_on <= end
    out = _merge_same_day(rows_loan[known], rows_on[known], rows_amount[known])
    prepaid = np.full(len(loans), NAT)
    at = np.flatnonzero(fates.prepay_seq > 0)
    prepaid[at] = onset_dates_from(inst, at, fates.prepay_seq[at])
    prepaid[prepaid > end] = NAT
    return out, Outcome(onset, first90, written_off, prepaid, fates.restructured.copy())


def onset_dates_from(inst: Installments, loans: np.ndarray, seq: np.ndarray) -> np.ndarray:
    starts = np.searchsorted(inst.loan, loans)
    return inst.due_on[starts + seq - inst.seq[starts]]


def _subset(inst: Installments, rows: np.ndarray) -> Installments:
    return Installments(inst.loan[rows], inst.seq[rows], inst.due_on[rows], inst.principal_due[rows],
                        inst.interest_due[rows], inst.fee_due[rows])


def _redefault(rng, inst: Installments, is_new: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n, np.int32)
    first_new = np.full(n, np.iinfo(np.int32).max, np.int32)
    np.minimum.at(first_new, inst.loan[is_new], inst.seq[is_new])
    has = first_new < np.iinfo(np.int32).max
    last = np.zeros(n, np.int32)
    np.maximum.at(last, inst.loan[is_new], inst.seq[is_new])
    when = first_new + rng.integers(1, 6, n)
    again = has & (rng.random(n) < 0.3) & (when <= last)
    out[again] = when[again]
    return out


def _onsets(inst: Installments, fates: Fates, redefault: np.ndarray, n: int, end):
    """The first payment missed for good (a restructured loan's first default counts), and the
    first day with DPD > 90 of the installment missed for good."""
    sched = _as_schedule(inst)
    first_missed = onset_dates(sched, n, fates.default_seq)
    final_missed = np.where(
        redefault > 0, redefault, np.where(np.isnat(fates.restructured), fates.default_seq, 0)
    )
    final = onset_dates(sched, n, final_missed.astype(np.int32))
    first90 = final + np.timedelta64(91, "D")
    first90[first90 > end] = NAT
    first_missed[first_missed > end] = NAT
    return first_missed, first90


def _write_offs(cfg: SimConfig, rng, first90: np.ndarray, end) -> np.ndarray:
    when = first90 + rng.integers(180, 361, len(first90)).astype("timedelta64[D]")
    pick = ~np.isnat(first90) & (rng.random(len(first90)) < cfg.writeoff_share) & (when <= end)
    return np.where(pick, when, NAT)


def _recoveries(cfg: SimConfig, rng, inst: Installments, unpaid, onset, first90, written_off, end):
    """Collections recover 10–60% of what was due and unpaid, 120–400 days after the onset."""
    owed = np.zeros(len(onset), np.int64)
    due_unpaid = unpaid & (inst.due_on <= end)
    np.add.at(owed, inst.loan[due_unpaid], inst.total[due_unpaid])
    when = onset + rng.integers(120, 401, len(onset)).astype("timedelta64[D]")
    pick = (
        ~np.isnat(first90)
        & (owed > 0)
        & (rng.random(len(onset)) < cfg.recovery_share)
        & (when <= end)
        & (np.isnat(written_off) | (when < written_off))
    )
    at = np.flatnonzero(pick)
    amount = (owed[at] * rng.uniform(0.1, 0.6, len(at))).astype(np.int64)
    return at.astype(np.int64), when[at], np.maximum(amount, 1)


def _merge_same_day(loan, on, amount) -> Repayments:
    order = np.lexsort((on, loan))
    loan, on, amount = loan[order], on[order], amount[order]
    start = np.r_[True, (loan[1:] != loan[:-1]) | (on[1:] != on[:-1])] if len(loan) else np.array([], bool)
    group = np.cumsum(start) - 1
    sums = np.zeros(int(start.sum()), np.int64)
    np.add.at(sums, group, amount)
    return Repayments(loan[start], on[start], sums)


def _as_schedule(inst: Installments) -> Schedule:
    return Schedule(inst.loan, inst.seq, inst.due_on, inst.principal_due, inst.interest_due)
