"""The errors of the workflow layer; each is raised before anything changes, so the state a
caller holds is still the current one.

    WorkflowError                base: catch it to answer "no" to a person
    ├── IllegalTransition        the event makes no sense in the state (acknowledging a closed alert)
    ├── Conflict                 the version a person acted on is not the current one: someone
    │                            else changed it first (optimistic concurrency); reload and retry
    ├── SelfApproval             the maker of an action tried to approve or reject it: a second
    │                            person must (双人复核)
    └── InvalidEvent             the event is incomplete: a close without a comment, a blank reason
        ├── AttachmentRejected   a file too large, empty, or of a type not allowed
        ├── ChecklistIncomplete  a required checklist item left unanswered
        └── MissingAuthorisation a credit-bureau inquiry without the borrower's signed
                                 authorisation (征信授权书)
"""

from __future__ import annotations


class WorkflowError(Exception):
    """Base of every workflow error."""


class IllegalTransition(WorkflowError):
    """``event`` cannot happen to a ``subject`` in ``state``.

    ``state`` is the state's name; ``event`` the event, whose ``verb`` (a past participle,
    "acknowledged") makes the message read like the domain.
    """

    def __init__(self, state: str, event: object, *, subject: str = "alert",
                 hint: str | None = None) -> None:
        self.state = str(state)
        self.event = type(event).__name__
        self.subject = subject
        verb = getattr(event, "verb", self.event)
        article = "an" if subject[:1] in "aeiou" else "a"
        message = f"{article} {subject} that is {self.state.replace('_', ' ')} cannot be {verb}"
        super().__init__(f"{message}; {hint}" if hint else message)


class Conflict(WorkflowError):
    """A person acted on ``expected`` but the record is at ``current``: someone else won."""

    def __init__(self, subject: str, subject_id: str, expected: int, current: int) -> None:
        self.subject, self.subject_id = subject, subject_id
        self.expected, self.current = expected, current
        super().__init__(f"{subject} {subject_id} has changed since you loaded it: you acted on "
                         f"version {expected}, it is at version {current} now; reload it and "
                         "try again")


class SelfApproval(WorkflowError):
    """The person who proposed an action tried to approve or reject it (maker–checker)."""


class InvalidEvent(WorkflowError, ValueError):
    """The event lacks something the transition needs (a comment, a reason)."""


class AttachmentRejected(InvalidEvent):
    """A file breaks the attachment limits (size, content type)."""


class ChecklistIncomplete(InvalidEvent):
    """A task cannot be completed while a required checklist item is unanswered."""


class MissingAuthorisation(InvalidEvent):
    """A credit-bureau inquiry names no signed authorisation of the borrower (征信授权书)."""


def check_version(subject: str, subject_id: str, expected: int, current: int) -> None:
    """Raise ``Conflict`` unless a person acted on the current version."""
    if expected != current:
        raise Conflict(subject, subject_id, expected, current)
