"""The shipped catalogue: each calculation belongs to a signal of the policy, and a signal the
policy switches off does not fire."""

from __future__ import annotations

import ibis

from loanwatch.policy import SIGNAL_IDS, Policy, load_default_policy
from loanwatch.rules.catalogue import CATALOGUE, evaluate
from tests.rules.test_repayment_rating import facts, snapshot


def test_every_calculation_is_a_signal_of_the_catalogue_with_titles():
    assert set(CATALOGUE) <= set(SIGNAL_IDS) and len(CATALOGUE) >= 26
    for signal_id, signal in CATALOGUE.items():
        assert signal.id == signal_id and signal.title_zh and signal.title_en


def only(*enabled: str) -> Policy:
    policy = load_default_policy().model_copy(deep=True)
    for signal_id, entry in policy.signals.items():
        entry.__dict__["enabled"] = signal_id in enabled
    return policy


def fired(policy: Policy) -> list[dict]:
    f = facts(snapshot=snapshot(("L", "active", 45)))
    return ibis.duckdb.connect().to_pyarrow(evaluate(f, policy)).to_pylist()


def test_evaluate_adds_the_signal_s_group_and_the_policy_s_actions():
    (row,) = fired(only("REPAY-OVERDUE"))
    assert (row["signal_id"], row["group"], row["severity"], row["actions"]) == (
        "REPAY-OVERDUE", "repayment", "medium", ["remind", "collect"])


def test_a_signal_switched_off_does_not_fire():
    assert fired(only()) == []
