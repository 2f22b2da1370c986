"""What people read for a signal id: its Chinese and English title, from the shipped catalogue
and the policy's own threshold signals. The console and the API look titles up here (they may
not reach the rules); an id the catalogue no longer has reads as itself."""

from __future__ import annotations

from collections.abc import Mapping

from loanwatch.policy import Policy
from loanwatch.rules.catalogue import signal_titles as _catalogue_titles

#: signal id -> (Chinese title, English title)
Titles = Mapping[str, tuple[str, str]]


def signal_titles(policy: Policy) -> dict[str, tuple[str, str]]:
    """Every signal that can fire under ``policy``, by id, with its two titles.

    >>> from loanwatch.policy import load_default_policy
    >>> signal_titles(load_default_policy())["REPAY-OVERDUE"]
    ('贷款逾期', 'Loan overdue')
    """
    return _catalogue_titles(policy)


def title_pair(titles: Titles, signal_id: str) -> tuple[str, str]:
    """The (Chinese, English) titles of ``signal_id``; the id twice when it is unknown."""
    return titles.get(signal_id, (signal_id, signal_id))


def signal_label(titles: Titles, signal_id: str, lang: str) -> str:
    """``title (ID)`` in ``lang`` (``zh`` or ``en``); the bare id when it is unknown.

    >>> signal_label({"X-1": ("甲", "A")}, "X-1", "en"), signal_label({}, "GONE", "zh")
    ('A (X-1)', 'GONE')
    """
    if signal_id not in titles:
        return signal_id
    zh, en = titles[signal_id]
    return f"{en if lang == 'en' else zh} ({signal_id})"
