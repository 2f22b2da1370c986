"""系统管理 The admin page: users (add, change roles, reset a password, disable and enable),
the permission table and the branches. A refused change shows the page again with the
reason."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

import duckdb
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from loanwatch.security.permissions import ROLE_TITLES, Permission
from loanwatch.services.datapage import (
    admin_page,
    change_roles,
    create_user,
    disable_account,
    enable_account,
    reset_password,
)
from loanwatch.web.context import Caller, app_state, marts, require
from loanwatch.web.pages import render
from loanwatch.workflow.errors import WorkflowError

router = APIRouter()

Admin = Annotated[Caller, Depends(require(Permission.ADMIN_USERS))]
Marts = Annotated[duckdb.DuckDBPyConnection, Depends(marts)]
Text = Annotated[str, Form()]
Optional = Annotated[str | None, Form()]
Roles = Annotated[list[str] | None, Form()]

SCOPE_TITLES = {"all": ("全行", "whole book"), "branch": ("本机构", "own branch"),
                "own": ("本人客户", "own borrowers")}
DONE = {"added": ("已添加用户", "User added"), "roles": ("已修改角色", "Roles changed"),
        "password": ("已重置密码，该用户需重新登录", "Password reset; the user must log in again"),
        "disabled": ("已停用账号，该用户已被登出", "Account disabled; the user is logged out"),
        "enabled": ("已启用账号", "Account enabled")}


def _page(request: Request, who: Caller, con: duckdb.DuckDBPyConnection, status_code: int = 200,
          **values: object) -> HTMLResponse:
    found = admin_page(con, app_state(request).store)
    return render(request, "admin.html", who, status_code, found=found, role_titles=ROLE_TITLES,
                  scope_titles=SCOPE_TITLES, done=DONE, **values)


def _done(what: str, user_id: str) -> RedirectResponse:
    return RedirectResponse("/admin?" + urlencode({"done": what, "user": user_id}), status_code=303)


@router.get("/admin", response_class=HTMLResponse)
def admin(request: Request, who: Admin, con: Marts, done: str | None = None,
          user: str | None = None) -> HTMLResponse:
    return _page(request, who, con, notice=(done, user) if done in DONE else None)


def _refused(request: Request, who: Caller, con: duckdb.DuckDBPyConnection, e: Exception,
             **values: object) -> HTMLResponse:
    status = 409 if isinstance(e, WorkflowError) and not isinstance(e, ValueError) else 422
    return _page(request, who, con, status, error=str(e), **values)


@router.post("/admin/users", response_class=HTMLResponse)
def add(request: Request, who: Admin, con: Marts, user_id: Text, password: Text,
        display_name: Optional = None, roles: Roles = None, branch_id: Optional = None,
        manager_id: Optional = None) -> Response:
    state = app_state(request)
    form = {"user_id": user_id, "display_name": display_name, "roles": roles or [],
            "branch_id": branch_id, "manager_id": manager_id}
    try:
        made = create_user(state.store, **form, password=password, by=who.user_id,
                           at=state.now())
    except (ValueError, WorkflowError) as e:
        return _refused(request, who, con, e, form=form)
    return _done("added", made.user_id)


@router.post("/admin/users/{user_id}/roles", response_class=HTMLResponse)
def roles(request: Request, who: Admin, con: Marts, user_id: str, roles: Roles = None,
          branch_id: Optional = None, manager_id: Optional = None) -> Response:
    state = app_state(request)
    try:
        change_roles(state.store, user_id, roles or [], branch_id=branch_id,
                     manager_id=manager_id, by=who.user_id, at=state.now())
    except (ValueError, WorkflowError) as e:
        return _refused(request, who, con, e)
    return _done("roles", user_id)


@router.post("/admin/users/{user_id}/password", response_class=HTMLResponse)
def password(request: Request, who: Admin, con: Marts, user_id: str,
             password: Text) -> Response:
    state = app_state(request)
    try:
        reset_password(state.store, user_id, password, by=who.user_id, at=state.now())
    except (ValueError, WorkflowError) as e:
        return _refused(request, who, con, e)
    return _done("password", user_id)


@router.post("/admin/users/{user_id}/disable", response_class=HTMLResponse)
def disable(request: Request, who: Admin, con: Marts, user_id: str) -> Response:
    state = app_state(request)
    try:
        disable_account(state.store, user_id, by=who.user_id, at=state.now())
    except WorkflowError as e:
        return _refused(request, who, con, e)
    return _done("disabled", user_id)


@router.post("/admin/users/{user_id}/enable", response_class=HTMLResponse)
def enable(request: Request, who: Admin, con: Marts, user_id: str) -> Response:
    state = app_state(request)
    enable_account(state.store, user_id, by=who.user_id, at=state.now())
    return _done("enabled", user_id)
