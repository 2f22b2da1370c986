"""The shipped default policy loads, and its values are those of METRICS.md and SIGNALS.md."""

from __future__ import annotations

import doctest
import importlib
import re
from decimal import Decimal
from pathlib import Path

import pytest

import loanwatch.policy as policy_pkg
from loanwatch.policy import (
    SIGNAL_IDS,
    Action,
    DayCount,
    FiveClass,
    Policy,
    Severity,
    SignalGroup,
    load_default_policy,
    load_policy,
    load_policy_text,
    policy_to_yaml,
    signal_group,
)

SIGNALS_MD = Path(__file__).parents[2].parent / "shared/design/SIGNALS.md"
SIGNAL_ROW = re.compile(r"^\| ([A-Z]+-[A-Z-]+) \|", re.MULTILINE)


@pytest.fixture(scope="module")
def policy() -> Policy:
    return load_default_policy()


def documented_signal_ids() -> list[str]:
    assert SIGNALS_MD.is_file(), f"design document missing: {SIGNALS_MD}"
    ids = SIGNAL_ROW.findall(SIGNALS_MD.read_text(encoding="utf-8"))
    assert ids, f"no signal rows found in {SIGNALS_MD}"
    return ids


def test_every_documented_signal_is_in_the_policy_in_catalogue_order(policy: Policy) -> None:
    documented = documented_signal_ids()
    assert list(SIGNAL_IDS) == documented
    assert [signal_id for signal_id, _ in policy.signals.items()] == documented


def test_every_signal_has_a_group_and_the_groups_follow_the_sections() -> None:
    groups = [signal_group(signal_id) for signal_id in SIGNAL_IDS]
    assert set(groups) == set(SignalGroup)
    first_seen = list(dict.fromkeys(groups))
    assert first_seen == list(SignalGroup)  # sections A-J, in order
    assert groups == sorted(groups, key=first_seen.index)


def test_every_signal_is_enabled_and_recommends_an_action(policy: Policy) -> None:
    for signal_id, signal in policy.signals.items():
        assert signal.enabled, signal_id
        assert signal.actions, signal_id


@pytest.mark.parametrize(("signal_id", "severity", "params", "actions"), [
    ("REPAY-OVERDUE", "low",
     {"min_dpd": 1, "medium_min_dpd": 31, "high_min_dpd": 61, "critical_min_dpd": 91},
     ["remind", "collect"]),
    ("FLOW-BACKFLOW", "critical",
     {"window_days": 30, "max_hops": 3, "min_share": Decimal("0.10")},
     ["freeze_line", "early_recall"]),
    ("FLOW-PROHIBITED", "critical", {}, ["freeze_line", "early_recall"]),
    ("BUREAU-INQUIRY-SPIKE", "medium", {"inquiries_above": 6, "window_months": 3}, ["rerate"]),
    ("REG-PENALTY", "medium", {"equity_freeze_severity": Severity.HIGH}, ["inspect"]),
    ("IND-REPAY-TO-INCOME", "medium",
     {"ratio_above": Decimal("0.50"), "high_ratio_above": Decimal("0.70")},
     ["rerate", "remind"]),
    ("CLASS-DOWNGRADE", "high",
     {"critical_from_class": FiveClass.SPECIAL_MENTION,
      "critical_to_class": FiveClass.SUBSTANDARD, "overdue_only_severity": Severity.MEDIUM},
     ["early_recall", "preserve_assets", "collect"]),
    ("COLL-STATUS", "critical", {}, ["inspect", "preserve_assets"]),
    ("TASK-CONFIRMATION-LATE", "low", {}, ["inspect"]),
])
def test_signal_defaults_follow_the_catalogue(
    policy: Policy, signal_id: str, severity: str, params: dict[str, object],
    actions: list[str],
) -> None:
    signal = policy.signals[signal_id]
    assert signal.severity == Severity(severity)
    assert signal.params.model_dump() == params
    assert signal.actions == tuple(Action(a) for a in actions)


def test_buckets_are_those_of_metrics_md(policy: Policy) -> None:
    assert [(b.name, b.min_dpd, b.max_dpd) for b in policy.buckets] == [
        ("M0", 0, 0), ("M1", 1, 30), ("M2", 31, 60), ("M3", 61, 90), ("M4", 91, 120),
        ("M5", 121, 150), ("M6", 151, 180), ("M7+", 181, None),
    ]


def test_scalars_follow_metrics_md(policy: Policy) -> None:
    assert (policy.version, policy.timezone, policy.currency) == (
        "2026.1", "Asia/Shanghai", "CNY")
    assert policy.dpd.materiality_threshold == Decimal("0.00")
    assert policy.penalty.rate_multiplier == Decimal("1.5")
    assert policy.penalty.day_count is DayCount.ACT_360
    floors = policy.classification.dpd_above
    assert (floors.substandard, floors.doubtful, floors.loss) == (90, 270, 360)
    assert policy.classification.technical_overdue_max_days == 7
    assert policy.classification.non_retail.npl_share_above == Decimal("0.10")
    assert policy.classification.non_retail.bureau_90_plus_share_above == Decimal("0.20")
    observation = policy.classification.restructuring_observation
    assert (observation.min_periods, observation.min_months) == (2, 12)
    upgrade = policy.classification.upgrade
    assert (upgrade.min_periods, upgrade.min_months) == (2, 6)


def test_ladder_has_twelve_grades_mapped_onto_the_five_classes(policy: Policy) -> None:
    ladder = [(g.grade, g.five_class.value) for g in policy.classification.ladder]
    assert ladder == [
        *[(f"正常{i}", "normal") for i in range(1, 6)],
        *[(f"关注{i}", "special_mention") for i in range(1, 4)],
        ("次级1", "substandard"), ("次级2", "substandard"),
        ("可疑", "doubtful"), ("损失", "loss"),
    ]


def test_ifrs9_combining_and_inspections(policy: Policy) -> None:
    ifrs9 = policy.ifrs9
    assert (ifrs9.stage2_dpd_above, ifrs9.stage3_dpd_above) == (30, 90)
    assert ifrs9.stage3_from_class is FiveClass.SUBSTANDARD
    assert ifrs9.sicr.from_class is FiveClass.SPECIAL_MENTION
    assert (ifrs9.sicr.rating_down_notches, ifrs9.sicr.pd_ratio, ifrs9.sicr.pd_min_increase) == (
        3, Decimal("2.0"), Decimal("0.005"))
    (escalation,) = policy.combining.escalations
    assert (escalation.min_signals, escalation.min_severity, escalation.distinct_groups,
            escalation.raise_to) == (2, Severity.MEDIUM, True, Severity.HIGH)
    inspections = policy.inspections
    assert (inspections.first_within_days, inspections.debt_confirmation_every_days,
            inspections.rating_refresh_every_days) == (30, 92, 92)
    assert inspections.periodic_every_days.model_dump() == {
        "normal": 180, "special_mention": 90, "substandard": 30, "doubtful": 30, "loss": 30}


def test_load_policy_reads_a_file(tmp_path: Path, default_text: str) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(default_text, encoding="utf-8")
    assert load_policy(path) == load_default_policy()


def test_policy_to_yaml_loads_back_to_the_same_policy(policy: Policy) -> None:
    text = policy_to_yaml(policy)
    assert "window_days: 30" in text and "正常1" in text and "min_share: 0.10" in text
    again = load_policy_text(text, "shown.yaml")
    assert again == policy
    assert again.version_id == policy.version_id


def test_policy_is_immutable(policy: Policy) -> None:
    with pytest.raises(ValueError, match="frozen"):
        policy.currency = "USD"  # type: ignore[misc]


def test_unknown_signal_id_lookup_is_a_key_error(policy: Policy) -> None:
    with pytest.raises(KeyError, match="NOPE-NOPE"):
        policy.signals["NOPE-NOPE"]


def test_public_names_are_sorted_and_importable() -> None:
    assert policy_pkg.__all__ == sorted(policy_pkg.__all__)
    assert all(hasattr(policy_pkg, name) for name in policy_pkg.__all__)


@pytest.mark.parametrize("module", [
    "loanwatch.policy.vocabulary", "loanwatch.policy.signals", "loanwatch.policy.loader",
])
def test_doctest_examples_hold(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0
    assert result.failed == 0
