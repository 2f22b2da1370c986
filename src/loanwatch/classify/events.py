"""CLASS-DOWNGRADE events: a loan whose five-level class worsened between two runs.

Severity: into non-performing from 关注 (the step regulators watch most) is critical, any
other step into non-performing high, a step inside the performing or non-performing
classes medium. The event keeps the rules that set the new class (its evidence)."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from loanwatch.classify.classification import rank_of
from loanwatch.classify.floors import SPECIAL_MENTION, SUBSTANDARD

EVENT = "CLASS-DOWNGRADE"


def class_downgrades(before: ir.Table, now: ir.Table) -> ir.Table:
    """One row per loan whose class at ``now`` is worse than at ``before``."""
    b = before.select(b_loan_id=before.loan_id, previous_as_of=before.as_of,
                      from_class=before.five_class, from_rank=rank_of(before.five_class))
    t = now.join(b, now.loan_id == b.b_loan_id)
    t = t.mutate(to_rank=rank_of(t.five_class))
    t = t.filter(t.to_rank > t.from_rank)
    into_npl = (t.to_rank >= SUBSTANDARD) & (t.from_rank < SUBSTANDARD)
    severity = ibis.cases((into_npl & (t.from_rank == SPECIAL_MENTION), "critical"),
                          (into_npl, "high"), else_="medium")
    return t.select("as_of", "loan_id", "customer_id", "branch_id", "manager_id",
                    event=ibis.literal(EVENT), previous_as_of=t.previous_as_of,
                    from_class=t.from_class, to_class=t.five_class, severity=severity,
                    reasons=t.reasons, outstanding_principal=t.outstanding_principal)
