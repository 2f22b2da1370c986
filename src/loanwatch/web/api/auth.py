"""Tokens for API clients, and who the caller is."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from loanwatch.security.passwords import token_digest
from loanwatch.services.auth import login, logout
from loanwatch.web.context import Caller, app_state, caller

router = APIRouter(tags=["auth 登录"])


class Credentials(BaseModel):
    user: str
    password: str


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: str


class Me(BaseModel):
    user: str
    roles: list[str]
    permissions: list[str]
    scope: str
    branch_id: str | None
    manager_id: str | None


@router.post("/auth/token", response_model=Token, responses={401: {"description": "refused"}})
def token(credentials: Credentials, request: Request) -> Token:
    """Log in: a bearer token for the API (8 hours from the last login)."""
    state = app_state(request)
    value, session, _ = login(state.store, credentials.user, credentials.password, state.now())
    return Token(access_token=value, expires_at=session.expires_at.isoformat())


@router.post("/auth/logout", status_code=204, responses={401: {"description": "not logged in"}})
def end(who: Annotated[Caller, Depends(caller)], request: Request) -> None:
    """End the session of the token (or cookie) in use."""
    state = app_state(request)
    auth = request.headers.get("authorization", "")
    raw = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get(
        "lw_session", "")
    if token_digest(raw) == who.session.session_id:
        logout(state.store, raw, state.now())


@router.get("/me", response_model=Me, responses={401: {"description": "not logged in"}})
def me(who: Annotated[Caller, Depends(caller)]) -> Me:
    p = who.principal
    return Me(user=p.user_id, roles=[r.value for r in p.roles],
              permissions=sorted(x.value for x in p.permissions), scope=p.scope.value,
              branch_id=p.branch_id, manager_id=p.manager_id)
