"""The pure helpers around collection cases (催收): the strategy of a bucket, the expected
loss that orders the work queue, the queue itself, and recovery figures."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from loanwatch.policy.workflow import Channel, CollectionPolicy
from loanwatch.workflow.collections import (
    CENT,
    DEFAULT_POLICY,
    LIVE,
    ZERO,
    CollectionCase,
    Outcome,
    PromiseStatus,
)


def strategy_for(bucket: str, buckets_in_order: Sequence[str],
                 policy: CollectionPolicy = DEFAULT_POLICY) -> tuple[Channel, ...]:
    """The channels of the last strategy starting at or before ``bucket`` in the bucket
    order; a bucket before every strategy (M0, not yet overdue) gets a reminder.

    >>> strategy_for("M4", ["M0", "M1", "M2", "M3", "M4"])
    (<Channel.VISIT: 'visit'>, <Channel.LETTER: 'letter'>, <Channel.LEGAL: 'legal'>)
    """
    order = {name: i for i, name in enumerate(buckets_in_order)}
    if bucket not in order:
        raise ValueError(f"unknown bucket {bucket!r} (buckets: {', '.join(buckets_in_order)})")
    started = [s for s in policy.strategies if order.get(s.from_bucket, len(order)) <= order[bucket]]
    if not started:
        return (Channel.REMINDER,)
    return max(started, key=lambda s: order[s.from_bucket]).channels


def expected_loss(outstanding: Decimal, pd: Decimal | None, bucket: str,
                  policy: CollectionPolicy = DEFAULT_POLICY) -> Decimal:
    """``outstanding`` times the model PD, or without one the bucket's weight (none: 0),
    to the cent, halves rounded up.

    >>> expected_loss(Decimal("10000"), None, "M2")
    Decimal('2000.00')
    """
    if pd is not None and not ZERO <= pd <= 1:
        raise ValueError(f"a PD is a share between 0 and 1, not {pd}")
    share = pd if pd is not None else policy.bucket_weights.get(bucket, ZERO)
    return (outstanding * share).quantize(CENT, rounding=ROUND_HALF_UP)


def queue(cases: Iterable[CollectionCase]) -> list[CollectionCase]:
    """The live cases in working order: largest expected loss first, then the longest
    overdue, then by case id."""
    live = [c for c in cases if c.status in LIVE]
    return sorted(live, key=lambda c: (-c.expected_loss, -c.dpd, c.case_id))


@dataclass(frozen=True, kw_only=True)
class RecoveryFigures:
    """What collection achieved over some cases. ``kept_rate`` is kept / (kept + broken),
    ``None`` while no promise has been judged; pending promises count only as made."""

    cases_opened: int
    closed_by_outcome: dict[Outcome, int]
    recovered: Decimal
    promises_made: int
    promises_kept: int
    promises_broken: int
    kept_rate: Decimal | None


def recovery_figures(cases: Iterable[CollectionCase]) -> RecoveryFigures:
    cases = list(cases)
    promises = [p for c in cases for p in c.promises]
    kept = sum(p.status is PromiseStatus.KEPT for p in promises)
    broken = sum(p.status is PromiseStatus.BROKEN for p in promises)
    judged = kept + broken
    return RecoveryFigures(
        cases_opened=len(cases),
        closed_by_outcome={o: sum(c.outcome is o for c in cases) for o in Outcome},
        recovered=sum((c.recovered for c in cases), ZERO),
        promises_made=len(promises), promises_kept=kept, promises_broken=broken,
        kept_rate=(Decimal(kept) / judged).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        if judged else None)
