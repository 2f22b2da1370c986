"""What every request can reach: the workspace, its policy, the store, the clock; and who is
asking (session cookie for the console, ``Authorization: Bearer`` for API clients), in which
language, with which permissions. Handlers declare ``Depends(require(Permission.X))``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

import duckdb
from fastapi import Depends, Request

from loanwatch.batch.signals import signal_titles, title_pair
from loanwatch.policy import Policy
from loanwatch.security.passwords import same
from loanwatch.security.permissions import Permission, Principal
from loanwatch.security.users import Session
from loanwatch.services.auth import session_of
from loanwatch.services.store import Store
from loanwatch.web.i18n import DEFAULT_LANG, LANGS
from loanwatch.workspace import Workspace

SESSION_COOKIE = "lw_session"
LANG_COOKIE = "lw_lang"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class AppState:
    workspace: Workspace
    policy: Policy
    store: Store
    secure_cookies: bool
    clock: Callable[[], dt.datetime]

    def now(self) -> dt.datetime:
        return self.clock().replace(microsecond=0)

    @cached_property
    def signal_titles(self) -> dict[str, tuple[str, str]]:
        """Signal id -> (Chinese, English) title under the app's policy: looked up once."""
        return signal_titles(self.policy)

    def signal_title_fields(self, signal_id: str) -> dict[str, str]:
        """``title_zh`` and ``title_en`` of a signal for an API model (the id when unknown)."""
        zh, en = title_pair(self.signal_titles, signal_id)
        return {"title_zh": zh, "title_en": en}


class NotLoggedIn(Exception):
    """No live session: the console sends the browser to the login page, the API says 401."""


class Forbidden(Exception):
    """Logged in, but the role lacks the permission or the record is outside their slice."""


class CsrfRejected(Exception):
    """A form or a cookie-authenticated call without the session's CSRF token."""


@dataclass(frozen=True)
class Caller:
    principal: Principal
    session: Session
    lang: str
    by_cookie: bool

    @property
    def user_id(self) -> str:
        return self.principal.user_id


def app_state(request: Request) -> AppState:
    return request.app.state.lw


def lang_of(request: Request) -> str:
    wanted = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    return wanted if wanted in LANGS else DEFAULT_LANG


def _token(request: Request) -> tuple[str | None, bool]:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return header[7:].strip(), False
    return request.cookies.get(SESSION_COOKIE), True


async def caller(request: Request) -> Caller:
    state = app_state(request)
    token, by_cookie = _token(request)
    found = session_of(state.store, token, state.now())
    if found is None:
        raise NotLoggedIn()
    session, principal = found
    who = Caller(principal, session, lang_of(request), by_cookie)
    if by_cookie and request.method in UNSAFE:
        await _check_csrf(request, session)
    return who


async def _check_csrf(request: Request, session: Session) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        given = (await request.form()).get(CSRF_FIELD)
    if not isinstance(given, str) or not same(given, session.csrf_token):
        raise CsrfRejected()


def marts(request: Request) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the workspace's marts for one request. While a run holds
    the database, the request is answered 503 ("data is being refreshed")."""
    try:
        con = app_state(request).workspace.connect(read_only=True)
    except duckdb.IOException as e:
        raise DataBusy(str(e).splitlines()[0]) from None
    try:
        yield con
    finally:
        con.close()


class DataBusy(Exception):
    """The analytics database is locked by a run."""


def require(permission: Permission) -> Callable[..., Caller]:
    """A dependency giving the caller if they hold ``permission``, else 403."""

    def check(who: Annotated[Caller, Depends(caller)]) -> Caller:
        if not who.principal.can(permission):
            raise Forbidden(f"{permission.value} is needed")
        return who

    check.permission = permission  # type: ignore[attr-defined]  (read by the permission test)
    return check
