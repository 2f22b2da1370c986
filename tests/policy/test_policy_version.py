"""The policy version id names exactly the values that produced a result."""

from __future__ import annotations

import re
from collections.abc import Callable

from loanwatch.policy import load_policy_text

Edit = Callable[[str, str], str]


def version_id(text: str) -> str:
    return load_policy_text(text, "policy.yaml").version_id


def test_version_id_is_the_version_plus_eight_hex_digits(default_text: str) -> None:
    assert re.fullmatch(r"2026\.1\+[0-9a-f]{8}", version_id(default_text))


def test_version_id_is_stable(default_text: str) -> None:
    assert version_id(default_text) == version_id(default_text)


def test_comments_layout_and_decimal_spelling_do_not_change_it(
    default_text: str, edit: Edit,
) -> None:
    reformatted = edit("timezone: Asia/Shanghai        # IANA name; as-of dates end at "
                       "midnight here", "# a new comment\ntimezone:    'Asia/Shanghai'")
    assert version_id(reformatted) == version_id(default_text)
    respelt = edit("{due_within_days: 5, worst_share: 0.10}",
                   "{worst_share: 0.1, due_within_days: 5}")
    assert version_id(respelt) == version_id(default_text)


def test_any_value_change_changes_it(default_text: str, edit: Edit) -> None:
    base = version_id(default_text)
    changed = [
        edit("params: {window_days: 30, max_hops: 3,", "params: {window_days: 31, max_hops: 3,"),
        edit("    enabled: true\n    severity: low\n    params: {due_within_days",
             "    enabled: false\n    severity: low\n    params: {due_within_days"),
        edit("materiality_threshold: 0.00", "materiality_threshold: 0.01"),
        edit("{grade: 次级2, five_class: substandard}", "{grade: 次级2, five_class: doubtful}"),
    ]
    ids = {version_id(text) for text in changed}
    assert len(ids) == len(changed)
    assert all(i.startswith("2026.1+") and i != base for i in ids)


def test_the_version_field_is_part_of_it(edit: Edit) -> None:
    assert version_id(edit('version: "2026.1"', 'version: "2026.2"')).startswith("2026.2+")
