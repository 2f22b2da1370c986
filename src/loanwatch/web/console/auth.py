"""The login page, logging out, and the language switch."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlparse

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loanwatch.security.users import LoginRefused
from loanwatch.services.auth import login, logout
from loanwatch.web.context import (
    LANG_COOKIE,
    SESSION_COOKIE,
    Caller,
    app_state,
    caller,
)
from loanwatch.web.i18n import LANGS
from loanwatch.web.pages import render

router = APIRouter()


def _local(path: str | None) -> str:
    """Only a path of this site to go back to after login (no open redirect)."""
    if not path or not path.startswith("/") or path.startswith("//") or urlparse(path).netloc:
        return "/"
    return path


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return render(request, "login.html", None, next=_local(next), error=None)


@router.post("/login", response_class=HTMLResponse)
def login_form(request: Request, user: Annotated[str, Form()], password: Annotated[str, Form()],
               next: Annotated[str, Form()] = "/") -> Response:
    state = app_state(request)
    try:
        token, session, _ = login(state.store, user.strip(), password, state.now())
    except LoginRefused as e:
        return render(request, "login.html", None, status_code=401, next=_local(next),
                      error=str(e), user=user)
    response = RedirectResponse(_local(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=state.secure_cookies, max_age=8 * 3600, path="/")
    return response


@router.post("/logout")
def logout_form(request: Request, who: Annotated[Caller, Depends(caller)]) -> Response:
    state = app_state(request)
    logout(state.store, request.cookies.get(SESSION_COOKIE, ""), state.now())
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{lang}")
def switch_language(lang: str, request: Request, back: str = "/") -> Response:
    response = RedirectResponse(_local(back), status_code=303)
    if lang in LANGS:
        response.set_cookie(LANG_COOKIE, lang, samesite="lax", max_age=365 * 86400, path="/")
    return response


