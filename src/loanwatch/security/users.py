"""People who log in, and their sessions, as records with pure rules: a wrong password
counts, ``MAX_FAILURES`` in a row lock the account for ``LOCK_MINUTES``; a session lasts
``SESSION_HOURS`` from its last use and carries its own CSRF token for forms."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from loanwatch.security.passwords import new_token, token_digest
from loanwatch.security.permissions import Principal, Role

MAX_FAILURES = 5
LOCK_MINUTES = 15
SESSION_HOURS = 8


@dataclass(frozen=True, kw_only=True)
class User:
    user_id: str
    display_name: str
    password_hash: str
    roles: tuple[Role, ...]
    branch_id: str | None = None
    manager_id: str | None = None
    active: bool = True
    failed_logins: int = 0
    locked_until: dt.datetime | None = None
    version: int = 1

    def principal(self) -> Principal:
        return Principal(self.user_id, self.roles, self.branch_id, self.manager_id)


@dataclass(frozen=True, kw_only=True)
class Session:
    """``session_id`` is the SHA-256 of the token the browser holds."""

    session_id: str
    user_id: str
    csrf_token: str
    created_at: dt.datetime
    expires_at: dt.datetime
    version: int = 1


class LoginRefused(Exception):
    """Wrong user or password, a locked or disabled account; the message never says which
    of user and password was wrong."""


def locked(user: User, now: dt.datetime) -> bool:
    return user.locked_until is not None and now < user.locked_until


def failed(user: User, now: dt.datetime) -> User:
    """The user after a wrong password: the ``MAX_FAILURES``-th locks the account."""
    count = user.failed_logins + 1
    until = now + dt.timedelta(minutes=LOCK_MINUTES) if count >= MAX_FAILURES else None
    return replace(user, failed_logins=0 if until else count, locked_until=until,
                   version=user.version + 1)


def succeeded(user: User) -> User:
    if user.failed_logins == 0 and user.locked_until is None:
        return user
    return replace(user, failed_logins=0, locked_until=None, version=user.version + 1)


def open_session(user: User, now: dt.datetime) -> tuple[str, Session]:
    """A new session and the token to give the browser (shown once, stored hashed)."""
    token = new_token()
    return token, Session(session_id=token_digest(token), user_id=user.user_id,
                          csrf_token=new_token(), created_at=now,
                          expires_at=now + dt.timedelta(hours=SESSION_HOURS))
