"""Logging in and out, sessions, and managing users (``loanwatch user …``), on the store.
Every change to a user and every login refusal that locks an account writes an audit row. A
disabled user cannot log in (told so only once they give the right password) and has no
live session."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from loanwatch.security.passwords import hash_password, token_digest, verify_password
from loanwatch.security.permissions import Principal, Role
from loanwatch.security.users import (
    LoginRefused,
    Session,
    User,
    failed,
    locked,
    open_session,
    succeeded,
)
from loanwatch.services.store import Store
from loanwatch.workflow.audit import WriteAudit, audit

REFUSED = "wrong user name or password"
DISABLED = "the account is disabled: ask an administrator to enable it"


def _public(user: User) -> dict:
    return {"roles": [r.value for r in user.roles], "branch_id": user.branch_id,
            "manager_id": user.manager_id, "active": user.active}


def add_user(store: Store, *, user_id: str, password: str, roles: tuple[Role, ...],
             display_name: str | None = None, branch_id: str | None = None,
             manager_id: str | None = None, by: str, at: dt.datetime) -> User:
    if not roles:
        raise ValueError("a user needs at least one role")
    user = User(user_id=user_id, display_name=display_name or user_id,
                password_hash=hash_password(password), roles=tuple(roles), branch_id=branch_id,
                manager_id=manager_id)
    with store.session() as s:
        s.users.add(user)
        s.audit.append(WriteAudit(actor=by, action="add_user", entity="user", entity_id=user_id,
                                  at=at, before={}, after=_public(user)))
    return user


def _change(store: Store, user_id: str, by: str, at: dt.datetime, action: str, **changes) -> User:
    with store.session() as s:
        user = s.users.get(user_id)
        if user is None:
            raise LookupError(f"there is no user {user_id}")
        after = replace(user, **changes, version=user.version + 1)
        s.users.save(after, user.version)
        row = audit(_public(user), _public(after), actor=by, action=action, entity="user",
                    entity_id=user_id, at=at)
        if action == "set_password":
            row = WriteAudit(actor=by, action=action, entity="user", entity_id=user_id, at=at,
                             before={}, after={})  # never the hash
        s.audit.append(row)
        if action in ("set_password", "disable"):
            s.sessions.delete_many([x.session_id for x in s.sessions.list(limit=None,
                                                                          user_id=user_id)])
        return after


def set_password(store: Store, user_id: str, password: str, *, by: str, at: dt.datetime) -> User:
    """A new password (and an unlocked account); the user's sessions end."""
    return _change(store, user_id, by, at, "set_password", password_hash=hash_password(password),
                   failed_logins=0, locked_until=None)


def disable_user(store: Store, user_id: str, *, by: str, at: dt.datetime) -> User:
    """Stop a user: no more logins, and their sessions end. A disabled user stays disabled
    (nothing changes, nothing is audited)."""
    return _set_active(store, user_id, False, by=by, at=at)


def enable_user(store: Store, user_id: str, *, by: str, at: dt.datetime) -> User:
    """Let a disabled user log in again (an enabled one stays as they are)."""
    return _set_active(store, user_id, True, by=by, at=at)


def _set_active(store: Store, user_id: str, active: bool, *, by: str, at: dt.datetime) -> User:
    with store.session() as s:
        user = s.users.get(user_id)
    if user is None:
        raise LookupError(f"there is no user {user_id}")
    if user.active == active:
        return user
    return _change(store, user_id, by, at, "enable" if active else "disable", active=active)


def set_roles(store: Store, user_id: str, roles: tuple[Role, ...], *, by: str,
              at: dt.datetime, branch_id: str | None = None,
              manager_id: str | None = None) -> User:
    if not roles:
        raise ValueError("a user needs at least one role")
    changes: dict = {"roles": tuple(roles)}
    if branch_id is not None:
        changes["branch_id"] = branch_id
    if manager_id is not None:
        changes["manager_id"] = manager_id
    return _change(store, user_id, by, at, "set_roles", **changes)


def login(store: Store, user_id: str, password: str, now: dt.datetime) -> tuple[str, Session, User]:
    """A session for a right password; ``LoginRefused`` otherwise (also while locked, and
    for a disabled account: saying so only to whoever knows its password)."""
    with store.session() as s:
        user = s.users.get(user_id)
        if user is None:
            raise LoginRefused(REFUSED)
        if not user.active:
            raise LoginRefused(DISABLED if verify_password(user.password_hash, password)
                               else REFUSED)
        if locked(user, now):
            raise LoginRefused(f"the account is locked until {user.locked_until:%H:%M} after "
                               "repeated wrong passwords")
        if not verify_password(user.password_hash, password):
            after = failed(user, now)
            s.users.save(after, user.version)
            if after.locked_until:
                s.audit.append(WriteAudit(actor=user_id, action="lock", entity="user",
                                          entity_id=user_id, at=now, before={},
                                          after={"locked_until": after.locked_until.isoformat()}))
            failure = LoginRefused(REFUSED)
        else:
            after = succeeded(user)
            if after is not user:
                s.users.save(after, user.version)
            token, session = open_session(after, now)
            s.sessions.add(session)
            s.audit.append(WriteAudit(actor=user_id, action="login", entity="user",
                                      entity_id=user_id, at=now, before={}, after={}))
            return token, session, after
    raise failure  # after the unit of work committed the failure count


def session_of(store: Store, token: str | None, now: dt.datetime) -> tuple[Session, Principal] | None:
    """The live session of a token and who it is, or ``None``."""
    if not token:
        return None
    with store.session() as s:
        session = s.sessions.get(token_digest(token))
        if session is None or session.expires_at <= now:
            return None
        user = s.users.get(session.user_id)
        if user is None or not user.active:
            return None
        return session, user.principal()


def logout(store: Store, token: str, now: dt.datetime) -> None:
    with store.session() as s:
        session = s.sessions.get(token_digest(token))
        if session is not None:
            s.sessions.delete_many([session.session_id])
            s.audit.append(WriteAudit(actor=session.user_id, action="logout", entity="user",
                                      entity_id=session.user_id, at=now, before={}, after={}))
