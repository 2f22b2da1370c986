"""The ``loanwatch`` command. Each subcommand parses, calls one service and prints; the
subcommands live by topic in this package and register themselves on ``app``.

``main`` imports only the module of the subcommand it is asked for (``loanwatch import``
does not load the models, the reports or the marts: seconds at every start); ``--help``,
an unknown word and ``loanwatch.cli.app`` load them all."""

import importlib
import sys

# the modules that register subcommands, in the order ``loanwatch --help`` lists them
# (registration order is listing order; the post-loan work comes last, in its own order)
MODULES = ("backtest", "classify", "data", "marts", "models", "report", "web", "work",
           "alerts", "tasks", "collections", "actions")

# first word of the command line -> the module that registers it
HOME = {
    "backtest": "backtest", "classify": "classify",
    "init": "data", "import": "data", "quality": "data", "simulate": "data",
    "quarantine": "data", "policy": "data",
    "run": "marts", "export": "marts", "show": "marts",
    "model": "models", "report": "report",
    "serve": "web", "demo": "web", "user": "web",
    "sync": "work", "store": "work",
    "alerts": "alerts", "tasks": "tasks", "collections": "collections",
    "actions": "actions", "inquiry": "actions", "retention": "actions",
}

__all__ = ["HOME", "MODULES", "app", "load", "main"]


def load(modules: tuple[str, ...] = MODULES):
    """Register the subcommands of ``modules``; return the app."""
    for name in modules:
        importlib.import_module(f"{__name__}.{name}")
    from loanwatch.cli.common import app

    return app


def __getattr__(name: str):
    if name == "app":  # the whole command, as tests and embedders expect it
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    word = sys.argv[1] if len(sys.argv) > 1 else ""
    app = load((HOME[word],) if word in HOME else MODULES)
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
