"""Errors of the engines, kept apart so the command line can catch them without loading
Ibis."""


class EngineUnavailable(Exception):
    """An engine's optional dependency is missing; the message says how to install it."""
