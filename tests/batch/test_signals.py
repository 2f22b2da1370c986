"""Signal titles for people (batch/signals.py): the catalogue's and the policy's own threshold
signals by id in both languages, and the bare id for a signal the catalogue no longer has."""

from __future__ import annotations

from loanwatch.batch.signals import signal_label, signal_titles, title_pair
from loanwatch.policy import load_default_policy
from loanwatch.rules.catalogue import CATALOGUE
from tests.rules.test_threshold import entry, policy_with


def test_every_catalogue_signal_has_both_titles():
    titles = signal_titles(load_default_policy())
    assert set(CATALOGUE) <= set(titles)
    assert all(titles[i] == (s.title_zh, s.title_en) and all(titles[i]) for i, s in CATALOGUE.items())


def test_the_policys_own_threshold_signals_are_titled_too():
    own = entry()
    titles = signal_titles(policy_with(own))
    assert title_pair(titles, own.id) == (own.title_zh, own.title_en)
    assert signal_label(titles, own.id, "zh") == f"{own.title_zh} ({own.id})"
    assert signal_label(titles, own.id, "en") == f"{own.title_en} ({own.id})"
    assert own.id not in signal_titles(load_default_policy())


def test_an_unknown_signal_reads_as_its_id():
    titles = signal_titles(load_default_policy())
    assert signal_label(titles, "GONE-2", "zh") == signal_label(titles, "GONE-2", "en") == "GONE-2"
    assert title_pair(titles, "GONE-2") == ("GONE-2", "GONE-2")
