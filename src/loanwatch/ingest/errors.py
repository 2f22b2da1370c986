"""Errors of the import, all subclasses of ``ImportFailure``.

- ``ImportFailure``: the import applied nothing.
  - ``UnreadableFile``: a file cannot be read as a table (encoding, format, header).
  - ``StrictRejected``: ``--strict`` and at least one row was bad.
  - ``OutOfOrderImport``: the as-of date is before one already imported.
"""

from __future__ import annotations


class ImportFailure(Exception):
    """The import was refused as a whole; the workspace is unchanged."""


class UnreadableFile(ImportFailure):
    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class StrictRejected(ImportFailure):
    pass


class OutOfOrderImport(ImportFailure):
    pass


def first_line(error: BaseException) -> str:
    """The first line of an error's message: enough to name the problem on one line."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
