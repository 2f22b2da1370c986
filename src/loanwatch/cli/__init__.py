"""The ``loanwatch`` command. Each subcommand parses, calls one service and prints; the
subcommands live by topic in this package and register themselves on ``app``."""

import sys

from loanwatch.cli import (  # noqa: F401  (registers the subcommands)
    backtest,
    classify,
    data,
    marts,
    models,
    report,
    web,
    work,
)

# the post-loan work, in the order ``loanwatch --help`` lists it (sync, store, alerts, tasks,
# collections, actions, inquiry, retention): registration order is listing order
from loanwatch.cli import alerts, tasks, collections, actions  # noqa: F401  # isort: skip
from loanwatch.cli.common import app

__all__ = ["app", "main"]


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
