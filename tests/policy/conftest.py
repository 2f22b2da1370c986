"""Fixtures for the policy tests: the shipped text, and edits of it that must fail."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from loanwatch.policy import PolicyError, default_policy_text, load_policy_text

Edit = Callable[[str, str], str]


@pytest.fixture(scope="session")
def default_text() -> str:
    return default_policy_text()


@pytest.fixture
def edit(default_text: str) -> Edit:
    """The default text with the single occurrence of ``old`` replaced by ``new``."""

    def edit(old: str, new: str) -> str:
        assert default_text.count(old) == 1, f"{old!r} occurs {default_text.count(old)} times"
        return default_text.replace(old, new)

    return edit


def problems(text: str) -> tuple[str, ...]:
    """The lines of the PolicyError that loading ``text`` as policy.yaml raises."""
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "policy.yaml")
    return caught.value.problems


@pytest.fixture
def problems_of() -> Callable[[str], tuple[str, ...]]:
    return problems
