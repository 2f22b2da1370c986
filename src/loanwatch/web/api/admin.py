"""Users and their roles (argon2 passwords, every change audited), disabling and enabling
them, the permission table and the branches of the book."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import duckdb
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from loanwatch.security.permissions import Permission, Role
from loanwatch.services.datapage import (
    LIMITS,
    USER_ID,
    branches,
    change_roles,
    create_user,
    disable_account,
    enable_account,
    permission_table,
    reset_password,
    users,
)
from loanwatch.web.context import Caller, app_state, marts, require

router = APIRouter(prefix="/admin", tags=["admin 系统管理"])

Admin = Annotated[Caller, Depends(require(Permission.ADMIN_USERS))]
_ERRORS = {409: {"description": "the user exists already"},
           422: {"description": "weak password, no role or an unknown one"}}


# the store and the import log keep local times without an offset: published as plain text
# (an RFC 3339 "date-time" would need one)
LocalTime = Annotated[dt.datetime, WithJsonSchema(
    {"type": "string", "description": "local date and time, ISO 8601 without an offset"})]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class UserPublic(_Out):
    user_id: str
    display_name: str
    roles: list[str]
    branch_id: str | None
    manager_id: str | None
    active: bool
    locked_until: LocalTime | None


# The strength rule of security.passwords, published a little stricter (an ASCII letter and a
# digit or symbol) so that every password the schema admits is accepted; the service checks
# the rule itself and refuses a weak password with 422 and its reason.
Password = Annotated[str, Field(
    description="at least 10 characters, not only letters and not only digits",
    json_schema_extra={"minLength": 10, "pattern": r"^(?=.*[A-Za-z])(?=.*[0-9_\W]).{10,}$"})]
Roles = Annotated[list[Role], Field(min_length=1)]
Code = Annotated[str | None, Field(max_length=LIMITS["branch_id"])]


class UserCreate(BaseModel):
    user_id: Annotated[str, Field(pattern=USER_ID)]
    display_name: Annotated[str | None, Field(max_length=LIMITS["display_name"])] = None
    roles: Roles
    branch_id: Code = None
    manager_id: Code = None
    password: Password


class UserRoles(BaseModel):
    """New roles; a branch or manager code given replaces the old one."""

    roles: Roles
    branch_id: Code = None
    manager_id: Code = None


class PasswordReset(BaseModel):
    password: Password


class RolePublic(_Out):
    role: str
    scope: str
    permissions: dict[str, bool]


class BranchPublic(_Out):
    branch_id: str | None
    loans: int
    users: int


@router.get("/users", response_model=list[UserPublic])
def get_users(who: Admin, request: Request) -> list[UserPublic]:
    return [UserPublic.model_validate(u) for u in users(app_state(request).store)]


@router.post("/users", response_model=UserPublic, status_code=201, responses=_ERRORS)
def add(body: UserCreate, who: Admin, request: Request) -> UserPublic:
    """Add a user with an initial password (at least 10 characters, not only letters or
    only digits)."""
    state = app_state(request)
    made = create_user(state.store, **body.model_dump(mode="json"), by=who.user_id,
                       at=state.now())
    return UserPublic.model_validate(made)


@router.put("/users/{user_id}/roles", response_model=UserPublic,
            responses={404: {"description": "no such user"}, **_ERRORS})
def put_roles(user_id: str, body: UserRoles, who: Admin, request: Request) -> UserPublic:
    state = app_state(request)
    changed = change_roles(state.store, user_id, [r.value for r in body.roles],
                           branch_id=body.branch_id,
                           manager_id=body.manager_id, by=who.user_id, at=state.now())
    return UserPublic.model_validate(changed)


@router.put("/users/{user_id}/password", response_model=UserPublic,
            responses={404: {"description": "no such user"}, **_ERRORS})
def put_password(user_id: str, body: PasswordReset, who: Admin, request: Request) -> UserPublic:
    """A new password; the user's sessions end and a lock-out is lifted."""
    state = app_state(request)
    changed = reset_password(state.store, user_id, body.password, by=who.user_id, at=state.now())
    return UserPublic.model_validate(changed)


@router.post("/users/{user_id}/disable", response_model=UserPublic,
             responses={404: {"description": "no such user"},
                        409: {"description": "your own account: another administrator must"}})
def disable(user_id: str, who: Admin, request: Request) -> UserPublic:
    """Disable a user: they can no longer log in and their sessions end. A disabled user
    stays as they are."""
    state = app_state(request)
    return UserPublic.model_validate(disable_account(state.store, user_id, by=who.user_id,
                                                     at=state.now()))


@router.post("/users/{user_id}/enable", response_model=UserPublic,
             responses={404: {"description": "no such user"}})
def enable(user_id: str, who: Admin, request: Request) -> UserPublic:
    """Let a disabled user log in again (with their old password)."""
    state = app_state(request)
    return UserPublic.model_validate(enable_account(state.store, user_id, by=who.user_id,
                                                    at=state.now()))


@router.get("/permissions", response_model=list[RolePublic])
def get_permissions(who: Admin) -> list[RolePublic]:
    """The permission table: each role's scope and permissions."""
    return [RolePublic.model_validate(r) for r in permission_table()]


@router.get("/branches", response_model=list[BranchPublic])
def get_branches(who: Admin, request: Request,
                 con: Annotated[duckdb.DuckDBPyConnection, Depends(marts)]) -> list[BranchPublic]:
    """The branches of the loans in force, with their loan and user counts."""
    return [BranchPublic.model_validate(b) for b in branches(con, app_state(request).store)]
