"""Errors of the batch that a user can fix, kept apart so the command line can catch them
without loading the marts."""


class ExportError(Exception):
    """The mart, the date or the output file cannot be exported; the message says why."""
