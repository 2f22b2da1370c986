"""A broken policy file is refused with one line per problem, naming the file and the key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from loanwatch.policy import PolicyError, load_policy, load_policy_text

Edit = Callable[[str, str], str]
Problems = Callable[[str], tuple[str, ...]]

# (what is wrong, text to replace, replacement, the exact problem line)
CASES = [
    ("zero window", "params: {window_days: 30,", "params: {window_days: 0,",
     "policy.yaml: signals.FLOW-BACKFLOW.params.window_days: must be greater than 0"),
    ("wrong type", "params: {window_days: 30,", "params: {window_days: thirty,",
     "policy.yaml: signals.FLOW-BACKFLOW.params.window_days: must be a valid integer "
     "(got 'thirty')"),
    ("fraction of a day", "params: {window_days: 30,", "params: {window_days: 30.5,",
     "policy.yaml: signals.FLOW-BACKFLOW.params.window_days: must be a valid integer "
     "(got 30.5)"),
    ("share over 100%", "max_hops: 3, min_share: 0.10}", "max_hops: 3, min_share: 1.5}",
     "policy.yaml: signals.FLOW-BACKFLOW.params.min_share: must be less than or equal to 1"),
    ("unknown param", "max_hops: 3, min_share: 0.10}", "max_hops: 3, min_share: 0.10, x: 1}",
     "policy.yaml: signals.FLOW-BACKFLOW.params.x: unknown key"),
    ("unknown section", "currency: CNY", "currency: CNY\nlanguage: zh",
     "policy.yaml: language: unknown key"),
    ("unknown signal", "  FLOW-PROHIBITED:", "  FOO-BAR:\n    enabled: true\n"
     "    severity: low\n    params: {}\n    actions: []\n  FLOW-PROHIBITED:",
     "policy.yaml: signals.FOO-BAR: unknown key"),
    ("misspelt key", "  technical_overdue_max_days: 7", "  technical_overdue_max_day: 7",
     "policy.yaml: classification.technical_overdue_max_day: unknown key "
     "(did you mean 'technical_overdue_max_days'?)"),
    ("misspelt signal id", "  FLOW-BACKFLOW:", "  FLOW-BACKFLWO:",
     "policy.yaml: signals.FLOW-BACKFLWO: unknown key (did you mean 'FLOW-BACKFLOW'?)"),
    ("missing key", "  day_count: ACT/360\n", "",
     "policy.yaml: penalty.day_count: missing key"),
    ("unknown severity", "severity: critical\n    params: {window_days",
     "severity: severe\n    params: {window_days",
     "policy.yaml: signals.FLOW-BACKFLOW.severity: must be 'info', 'low', 'medium', 'high' "
     "or 'critical' (got 'severe')"),
    ("unknown action", "actions: [remind, collect]", "actions: [remind, call]",
     "policy.yaml: signals.REPAY-OVERDUE.actions[1]: must be 'remind', 'inspect', 'rerate', "
     "'freeze_line', 'early_recall', 'repayment_plan', 'preserve_assets' or 'collect' "
     "(got 'call')"),
    ("repeated action", "actions: [remind, collect]", "actions: [remind, remind]",
     "policy.yaml: signals.REPAY-OVERDUE.actions[1]: duplicate action 'remind'"),
    ("gap between buckets", "{name: M2, min_dpd: 31,", "{name: M2, min_dpd: 32,",
     "policy.yaml: buckets[2].min_dpd: must be 31, right after M1 (max_dpd 30): "
     "buckets are contiguous"),
    ("overlapping buckets", "{name: M2, min_dpd: 31,", "{name: M2, min_dpd: 30,",
     "policy.yaml: buckets[2].min_dpd: must be 31, right after M1 (max_dpd 30): "
     "buckets are contiguous"),
    ("first bucket after 0", "  - {name: M0, min_dpd: 0, max_dpd: 0}\n", "",
     "policy.yaml: buckets[0].min_dpd: must be 0: the first bucket starts at DPD 0"),
    ("bucket ending before it starts", "{name: M1, min_dpd: 1, max_dpd: 30}",
     "{name: M1, min_dpd: 1, max_dpd: 0}",
     "policy.yaml: buckets[1].max_dpd: must not be less than min_dpd (1)"),
    ("closed last bucket", "{name: M7+, min_dpd: 181, max_dpd: null}",
     "{name: M7+, min_dpd: 181, max_dpd: 999}",
     "policy.yaml: buckets[7].max_dpd: must be null: the last bucket is open so every DPD "
     "has one"),
    ("dpd floors out of order", "    doubtful: 270 ", "    doubtful: 80  ",
     "policy.yaml: classification.dpd_above.doubtful: must be greater than substandard (90)"),
    ("ladder out of order", "{grade: 可疑, five_class: doubtful}",
     "{grade: 可疑, five_class: normal}",
     "policy.yaml: classification.ladder[10].five_class: must not be better than the grade "
     "before it (次级2: substandard): grades go from best to worst"),
    ("ladder grade twice", "{grade: 正常2,", "{grade: 正常1,",
     "policy.yaml: classification.ladder[1].grade: duplicate grade '正常1'"),
    ("stage 3 before stage 2", "stage3_dpd_above: 90", "stage3_dpd_above: 30",
     "policy.yaml: ifrs9.stage3_dpd_above: must be greater than stage2_dpd_above (30)"),
    ("severity steps out of order", "high_min_dpd: 61", "high_min_dpd: 20",
     "policy.yaml: signals.REPAY-OVERDUE.params.high_min_dpd: must be greater than "
     "medium_min_dpd (31)"),
    ("money with 3 decimals", "materiality_threshold: 0.00", "materiality_threshold: 0.001",
     "policy.yaml: dpd.materiality_threshold: must have no more than 2 decimal places"),
    ("unquoted version", 'version: "2026.1"', "version: 2026.1",
     "policy.yaml: version: must be text (put it in quotes) (got 2026.1)"),
    ("unknown time zone", "timezone: Asia/Shanghai ", "timezone: Asia/Shangai ",
     "policy.yaml: timezone: unknown time zone 'Asia/Shangai' (use an IANA name such as "
     "'Asia/Shanghai')"),
    ("escalation that lowers", "raise_to: high}", "raise_to: low}",
     "policy.yaml: combining.escalations[0].raise_to: must be more severe than min_severity "
     "(medium)"),
    ("params not a mapping", "params: {window_days: 30, max_hops: 3, min_share: 0.10}",
     "params: 5", "policy.yaml: signals.FLOW-BACKFLOW.params: must be a mapping (got 5)"),
    ("collection strategy on an unknown bucket", "      - {from_bucket: M2, channels: [call, visit]}",
     "      - {from_bucket: M9, channels: [call, visit]}",
     "policy.yaml: workflow.collections.strategies: names buckets that do not exist: M9 "
     "(buckets: M0, M1, M2, M3, M4, M5, M6, M7+)"),
    ("unknown collection channel", "from_bucket: M1, channels: [sms, call]",
     "from_bucket: M1, channels: [sms, pigeon]",
     "policy.yaml: workflow.collections.strategies[0].channels[1]: must be 'reminder', 'sms', "
     "'call', 'letter', 'visit' or 'legal' (got 'pigeon')"),
    ("unknown maker-checker action", "maker_checker: [freeze_line,", "maker_checker: [freeze,",
     "policy.yaml: workflow.approvals.maker_checker[0]: must be 'reminder', 'freeze_line', "
     "'early_recall', 'repayment_plan', 'asset_preservation' or 'write_off' (got 'freeze')"),
]


@pytest.mark.parametrize(("old", "new", "expected"), [case[1:] for case in CASES],
                         ids=[case[0] for case in CASES])
def test_a_wrong_value_is_named_by_its_key(
    edit: Edit, problems_of: Problems, old: str, new: str, expected: str,
) -> None:
    assert problems_of(edit(old, new)) == (expected,)


def test_every_problem_is_reported_on_its_own_line(edit: Edit) -> None:
    text = edit("params: {window_days: 30,", "params: {window_days: 0,").replace(
        "currency: CNY", "currency: yuan")
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "bank.yaml")
    assert str(caught.value).splitlines() == [
        "bank.yaml: currency: 'yuan' is not an ISO 4217 code such as 'CNY'",
        "bank.yaml: signals.FLOW-BACKFLOW.params.window_days: must be greater than 0",
    ]
    assert isinstance(caught.value, ValueError)


def test_broken_yaml_names_the_line(problems_of: Problems) -> None:
    text = "version: '2026.1'\ntimezone: Asia/Shanghai\n  currency: CNY\n"
    (problem,) = problems_of(text)
    # the wording after "not allowed" differs between libyaml and pure-Python PyYAML
    assert problem.startswith(
        "policy.yaml: line 3, column 11: YAML syntax error: mapping values are not allowed")


def test_broken_yaml_in_the_default_is_refused(edit: Edit, problems_of: Problems) -> None:
    (problem,) = problems_of(edit("  dpd_above:", "  dpd_above\n"))
    assert problem.startswith("policy.yaml: line ")
    assert "YAML syntax error" in problem


def test_a_repeated_key_is_an_error_not_a_silent_override(problems_of: Problems) -> None:
    text = "version: '2026.1'\ncurrency: CNY\ncurrency: USD\n"
    assert problems_of(text) == (
        "policy.yaml: line 3, column 1: duplicate key 'currency' (first at line 2)",)


@pytest.mark.parametrize(("text", "expected"), [
    ("", "policy.yaml: the file is empty, expected a mapping of policy keys"),
    ("# only a comment\n", "policy.yaml: the file is empty, expected a mapping of policy keys"),
    ("- 1\n- 2\n", "policy.yaml: the file is a list, expected a mapping of policy keys"),
])
def test_a_file_that_is_not_a_mapping(problems_of: Problems, text: str, expected: str) -> None:
    assert problems_of(text) == (expected,)


def test_a_missing_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    with pytest.raises(PolicyError, match=r"policy\.yaml: cannot read the file"):
        load_policy(path)
