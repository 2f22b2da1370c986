"""The bank's own threshold signals (policy ``threshold_signals``): an indicator of the
``indicators`` mart compared with a number fires per borrower, with the indicator's Chinese
label in the evidence; a broken entry is a policy error naming the key."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal

import ibis
import pyarrow as pa
import pytest

from loanwatch.domain.indicators import INDICATOR_BY_NAME
from loanwatch.policy import (
    Policy,
    PolicyError,
    ThresholdSignal,
    default_policy_text,
    load_default_policy,
    load_policy_text,
    policy_to_yaml,
)
from loanwatch.rules.catalogue import evaluate, signal_titles
from loanwatch.rules.signal import FIRING
from loanwatch.rules.threshold import threshold_firings
from loanwatch.rules.warning_level import Escalation, warning_levels
from tests.rules.test_repayment_rating import facts

AS_OF = dt.date(2026, 6, 10)
RATIO = pa.decimal128(18, 6)
# A, B, C around 0.90; D has no statement (NULL)
INDICATORS = ibis.memtable(pa.table({
    "customer_id": pa.array(["A", "B", "C", "D"]),
    "as_of": pa.array([AS_OF] * 4, pa.date32()),
    "debt_ratio": pa.array([Decimal("0.89"), Decimal("0.9"), Decimal("0.930012"), None], RATIO),
    "bureau_overdue_amount": pa.array([Decimal("12000"), None, Decimal("9999.99"), None],
                                      pa.decimal128(18, 2)),
    "inquiries_3m": pa.array([7, 6, None, 0], pa.int64()),
    "net_loss": pa.array([True, False, None, False], pa.bool_()),
}))


def entry(indicator: str = "debt_ratio", op: str = ">", value: str = "0.90", **kw) -> ThresholdSignal:
    fields = {"id": "CUSTOM-LEVERAGE-90", "title_zh": "资产负债率超过90%",
              "title_en": "Debt ratio above 90%", "group": "G", "indicator": indicator, "op": op,
              "value": Decimal(value), "severity": "high", "actions": ["rerate", "inspect"],
              "enabled": True} | kw
    return ThresholdSignal.model_validate(fields)


def fired(e: ThresholdSignal) -> dict[str, tuple[str | None, str, str]]:
    rows = ibis.duckdb.connect().to_pyarrow(threshold_firings(INDICATORS, e)).to_pylist()
    return {r["customer_id"]: (r["loan_id"], r["severity"], r["evidence"]) for r in rows}


@pytest.mark.parametrize("op, who", [
    (">", {"C"}), (">=", {"B", "C"}), ("<", {"A"}), ("<=", {"A", "B"}), ("=", {"B"}),
    ("!=", {"A", "C"}),
])
def test_each_comparison_at_its_boundary_and_null_never_fires(op, who):
    assert set(fired(entry(op=op))) == who


def test_firings_are_borrower_level_with_the_entry_s_severity_and_schema():
    e = entry()
    assert threshold_firings(INDICATORS, e).schema() == FIRING
    assert fired(e) == {"C": (None, "high", "资产负债率 0.93 > 0.90")}


@pytest.mark.parametrize("indicator, op, value, expected", [
    ("debt_ratio", ">=", "0.9", {"B": "资产负债率 0.90 >= 0.9", "C": "资产负债率 0.93 >= 0.9"}),
    ("debt_ratio", "<", "0.895", {"A": "资产负债率 0.89 < 0.895"}),
    ("bureau_overdue_amount", ">=", "10000", {"A": "他行逾期金额 12,000.00 >= 10,000.00"}),
    ("inquiries_3m", ">", "6", {"A": "近3个月征信查询次数 7 > 6"}),
    ("net_loss", "=", "1", {"A": "净亏损 1 = 1"}),
])
def test_evidence_is_the_label_the_value_the_comparison_and_the_threshold(indicator, op, value,
                                                                          expected):
    got = fired(entry(indicator, op, value))
    assert {c: ev for c, (_, _, ev) in got.items()} == expected


def test_evidence_shows_up_to_four_decimals_of_a_ratio():
    got = fired(entry(op=">", value="0.93"))
    assert got["C"][2] == "资产负债率 0.93 > 0.93"  # 0.930012 is above 0.93, shown rounded


def policy_with(*entries: ThresholdSignal) -> Policy:
    return load_default_policy().model_copy(update={"threshold_signals": entries})


def only_thresholds(*entries: ThresholdSignal) -> Policy:
    policy = policy_with(*entries).model_copy(deep=True)
    for _, signal in policy.signals.items():
        signal.__dict__["enabled"] = False
    return policy


def evaluated(policy: Policy, indicators: ibis.Table | None = INDICATORS) -> list[dict]:
    f = replace(facts(), indicators=indicators)
    return ibis.duckdb.connect().to_pyarrow(evaluate(f, policy)).to_pylist()


def test_evaluate_adds_the_entry_s_id_group_and_actions():
    (row,) = evaluated(only_thresholds(entry()))
    assert (row["signal_id"], row["group"], row["customer_id"], row["loan_id"], row["actions"]) == (
        "CUSTOM-LEVERAGE-90", "financial", "C", None, ["rerate", "inspect"])


def test_a_disabled_entry_or_no_indicators_mart_does_not_fire():
    assert evaluated(only_thresholds(entry(enabled=False))) == []
    assert evaluated(only_thresholds(entry()), indicators=None) == []


def test_the_titles_of_the_policy_s_own_signals_are_known():
    titles = signal_titles(policy_with(entry()))
    assert titles["CUSTOM-LEVERAGE-90"] == ("资产负债率超过90%", "Debt ratio above 90%")
    assert "REPAY-OVERDUE" in titles


@pytest.mark.parametrize("group, stored", [
    ("G", "financial"), ("A", "repayment"), ("J", "workflow"), ("settlement", "settlement"),
    ("custom", "custom"), ("bank_watch_2", "bank_watch_2"),
])
def test_a_group_is_a_letter_a_group_name_or_the_bank_s_own(group, stored):
    assert entry(group=group).group == stored


def test_a_custom_group_counts_as_another_group_when_levels_combine():
    """A custom signal and a catalogue signal, both medium: two groups, so high."""
    a = evaluated(only_thresholds(entry(group="custom", severity="medium")))
    alerts = ibis.memtable(pa.table({
        "customer_id": pa.array(["C", "C"]), "loan_id": pa.array([None, None], pa.string()),
        "signal_id": pa.array([a[0]["signal_id"], "FIN-LIQUIDITY"]),
        "group": pa.array([a[0]["group"], "financial"]),
        "severity": pa.array(["medium", "medium"]), "status": pa.array(["open", "open"])}))
    empty = ibis.memtable(pa.table({
        "loan_id": pa.array([], pa.string()), "customer_id": pa.array([], pa.string()),
        "guarantor_customer_id": pa.array([], pa.string()),
        "_valid_from": pa.array([], pa.date32()), "_valid_to": pa.array([], pa.date32())}))
    rows = ibis.duckdb.connect().to_pyarrow(warning_levels(
        alerts, empty, empty, (Escalation(2, "medium", True, "high"),), AS_OF)).to_pylist()
    assert [(r["customer_id"], r["level"], r["raised"]) for r in rows] == [("C", "high", True)]


# -- the policy file ------------------------------------------------------------------------

EXAMPLE = re.compile(r"threshold_signals: \[\]\n((?:#.*\n)+)")


def with_example(**changes: str) -> str:
    """The default policy with its commented example switched on, keys replaced by ``changes``."""
    text = default_policy_text()
    block = EXAMPLE.search(text)
    assert block, "the default policy ships a commented threshold signal example"
    lines = [line[1:] for line in block.group(1).splitlines()]
    for key, value in changes.items():
        lines = [re.sub(rf"^(\s+-? *{key}:).*$", rf"\1 {value}", line) for line in lines]
    return text.replace(block.group(0), "threshold_signals:\n" + "\n".join(lines) + "\n")


def problems(text: str) -> tuple[str, ...]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "policy.yaml")
    return caught.value.problems


def test_the_shipped_example_loads_and_the_default_has_none():
    assert load_default_policy().threshold_signals == ()
    (own,) = load_policy_text(with_example(), "policy.yaml").threshold_signals
    assert (own.id, own.indicator, own.op.value, own.value, own.group) == (
        "CUSTOM-LEVERAGE-90", "debt_ratio", ">", Decimal("0.90"), "financial")


def test_a_policy_with_threshold_signals_writes_back_to_the_same_policy():
    policy = load_policy_text(with_example(), "policy.yaml")
    again = load_policy_text(policy_to_yaml(policy), "again.yaml")
    assert again == policy and again.version_id == policy.version_id


def test_threshold_signals_change_the_policy_version():
    assert (load_policy_text(with_example(), "policy.yaml").version_id
            != load_default_policy().version_id)


@pytest.mark.parametrize("changes, problem", [
    ({"indicator": "debt_ratoi"},
     "policy.yaml: threshold_signals[0].indicator: unknown indicator 'debt_ratoi' (did you mean "
     "'debt_ratio'?): use a column of the indicators mart (income_change, "),
    ({"id": "FIN-LEVERAGE"},
     "policy.yaml: threshold_signals[0].id: 'FIN-LEVERAGE' is a signal of the catalogue "
     "(section signals): choose another id, e.g. 'CUSTOM-FIN-LEVERAGE'"),
    ({"id": "custom leverage"}, "policy.yaml: threshold_signals[0].id: must match pattern"),
    ({"op": '"=>"'}, "policy.yaml: threshold_signals[0].op: must be '>', '>=', '<', '<=', '=' or "
                     "'!=' (got '=>')"),
    ({"value": "ninety"}, "policy.yaml: threshold_signals[0].value: must be a number"),
    ({"group": "K"}, "policy.yaml: threshold_signals[0].group: 'K' is not a group: use a letter "
                     "A-J of SIGNALS.md"),
    ({"severity": "severe"}, "policy.yaml: threshold_signals[0].severity: must be 'info'"),
    ({"actions": "[rerate, rerate]"},
     "policy.yaml: threshold_signals[0].actions[1]: duplicate action 'rerate'"),
    ({"enabled": "yes please"}, "policy.yaml: threshold_signals[0].enabled: must be a valid boolean"),
])
def test_a_broken_entry_is_refused_with_a_clear_line(changes, problem):
    (line,) = problems(with_example(**changes))
    assert line.startswith(problem), line


def test_two_entries_with_one_id_are_refused():
    text = with_example()
    block = text[text.index("threshold_signals:\n"):text.index("\n\n", text.index("threshold_signals:\n"))]
    twice = block + "\n" + block.split("\n", 1)[1]
    (line,) = problems(text.replace(block, twice))
    assert line == ("policy.yaml: threshold_signals[1].id: duplicate threshold signal id "
                    "'CUSTOM-LEVERAGE-90'")


def test_every_indicator_can_be_named():
    for name in INDICATOR_BY_NAME:
        assert entry(name).indicator == name
