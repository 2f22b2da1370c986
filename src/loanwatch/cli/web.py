"""``loanwatch serve`` (the console and the API), ``loanwatch user …`` and ``loanwatch demo``."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from loanwatch.cli.common import WorkspaceOpt, app, cells, errors, fail, open_workspace, out
from loanwatch.security.passwords import WeakPassword
from loanwatch.security.permissions import ROLE_TITLES, Role
from loanwatch.services.auth import add_user, disable_user, enable_user, set_password, set_roles
from loanwatch.services.store import open_store

user_app = typer.Typer(help="用户 Users of the console and the API.", no_args_is_help=True)
app.add_typer(user_app, name="user")

StoreOpt = Annotated[str | None, typer.Option(
    "--store-url", help="Operational store (default $LOANWATCH_STORE_URL, else the workspace's "
    "SQLite file).")]
RolesOpt = Annotated[list[Role], typer.Option("--role", help="Role (repeatable).")]


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


def _actor() -> str:
    return os.environ.get("LOANWATCH_USER") or getpass.getuser()


def _password(given: str | None) -> str:
    if given:
        return given
    if (env := os.environ.get("LOANWATCH_PASSWORD")):
        return env
    first = getpass.getpass("password: ")
    if first != getpass.getpass("again: "):
        raise fail("the two passwords differ")
    return first


@app.command()
def serve(workspace: WorkspaceOpt, store_url: StoreOpt = None,
          host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="Port.")] = 8000,
          secure_cookies: Annotated[bool, typer.Option(
              "--secure-cookies", help="Mark cookies Secure (behind HTTPS).")] = False) -> None:
    """启动控制台 Serve the web console and the REST API (OpenAPI at /api/openapi.json)."""
    import uvicorn

    from loanwatch.web.app import create_app

    ws = open_workspace(workspace)
    with errors():
        web = create_app(ws.root, store_url, secure_cookies=secure_cookies)
    out.print(f"LoanWatch console on http://{host}:{port}/  (workspace {ws.root})", highlight=False)
    uvicorn.run(web, host=host, port=port, log_level="warning")


@user_app.command("add")
def user_add(user: str, workspace: WorkspaceOpt, role: RolesOpt,
             name: Annotated[str | None, typer.Option(help="Display name.")] = None,
             branch: Annotated[str | None, typer.Option(help="Branch (branch heads).")] = None,
             manager: Annotated[str | None, typer.Option(
                 help="Their manager code in the lender's data (customer managers).")] = None,
             password: Annotated[str | None, typer.Option(
                 help="Password (default: $LOANWATCH_PASSWORD, else asked).")] = None,
             store_url: StoreOpt = None) -> None:
    """添加用户 Add a user with roles."""
    ws = open_workspace(workspace)
    store = open_store(ws.root, store_url)
    try:
        add_user(store, user_id=user, password=_password(password), roles=tuple(role),
                 display_name=name, branch_id=branch, manager_id=manager, by=_actor(), at=_now())
    except (WeakPassword, ValueError) as e:
        raise fail(str(e)) from None
    except Exception as e:  # a second user of that name
        if "Conflict" in type(e).__name__ or "Integrity" in type(e).__name__:
            raise fail(f"there is a user {user} already") from None
        raise
    finally:
        store.close()
    out.print(f"user {user} added: {', '.join(r.value for r in role)}", highlight=False)


@user_app.command("passwd")
def user_passwd(user: str, workspace: WorkspaceOpt,
                password: Annotated[str | None, typer.Option(help="New password.")] = None,
                store_url: StoreOpt = None) -> None:
    """修改密码 Set a user's password (unlocks the account, ends their sessions)."""
    ws = open_workspace(workspace)
    store = open_store(ws.root, store_url)
    try:
        set_password(store, user, _password(password), by=_actor(), at=_now())
    except (WeakPassword, LookupError) as e:
        raise fail(str(e).strip("'\"")) from None
    finally:
        store.close()
    out.print(f"password of {user} set", highlight=False)


@user_app.command("role")
def user_role(user: str, workspace: WorkspaceOpt, role: RolesOpt,
              branch: Annotated[str | None, typer.Option(help="Branch.")] = None,
              manager: Annotated[str | None, typer.Option(help="Manager code.")] = None,
              store_url: StoreOpt = None) -> None:
    """设置角色 Replace a user's roles."""
    ws = open_workspace(workspace)
    store = open_store(ws.root, store_url)
    try:
        set_roles(store, user, tuple(role), by=_actor(), at=_now(), branch_id=branch,
                  manager_id=manager)
    except (LookupError, ValueError) as e:
        raise fail(str(e).strip("'\"")) from None
    finally:
        store.close()
    out.print(f"{user}: {', '.join(r.value for r in role)}", highlight=False)


@user_app.command("disable")
def user_disable(user: str, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """停用用户 Disable a user: no more logins, their sessions end (audited)."""
    _set_active(user, workspace, store_url, disable_user)
    out.print(f"{user} disabled", highlight=False)


@user_app.command("enable")
def user_enable(user: str, workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """启用用户 Let a disabled user log in again (audited)."""
    _set_active(user, workspace, store_url, enable_user)
    out.print(f"{user} enabled", highlight=False)


def _set_active(user: str, workspace: Path, store_url: str | None,
                change: Callable[..., object]) -> None:
    ws = open_workspace(workspace)
    store = open_store(ws.root, store_url)
    try:
        change(store, user, by=_actor(), at=_now())
    except LookupError as e:
        raise fail(str(e).strip("'\"")) from None
    finally:
        store.close()


@user_app.command("list")
def user_list(workspace: WorkspaceOpt, store_url: StoreOpt = None) -> None:
    """用户列表 The users and their roles."""
    ws = open_workspace(workspace)
    store = open_store(ws.root, store_url)
    try:
        with store.session() as s:
            users = s.users.list(limit=None)
    finally:
        store.close()
    table = RichTable("user", "name", "roles", "branch", "manager", "active")
    for u in users:
        table.add_row(*cells(u.user_id, u.display_name, ", ".join(r.value for r in u.roles),
                             u.branch_id, u.manager_id, u.active))
    out.print(table)


# (user, roles, branch, manager) of the demo; the manager code is the busiest one of the data
DEMO_USERS = (("admin", (Role.ADMIN,)), ("risk", (Role.RISK_OFFICER,)),
              ("manager", (Role.CUSTOMER_MANAGER,)), ("branch", (Role.BRANCH_HEAD,)),
              ("collector", (Role.COLLECTOR,)), ("auditor", (Role.AUDITOR,)),
              ("viewer", (Role.READ_ONLY,)))


def _busiest(ws) -> tuple[str | None, str | None]:
    """The manager with the most loans and their branch, for the demo's manager and head."""
    try:
        with ws.connect(read_only=True) as con:
            row = con.execute("SELECT manager_id, any_value(branch_id), count(*) n FROM loans "
                              "WHERE manager_id IS NOT NULL GROUP BY 1 ORDER BY n DESC, 1 "
                              "LIMIT 1").fetchone()
    except Exception:  # no data imported yet
        return None, None
    return (row[0], row[1]) if row else (None, None)


@app.command()
def demo(workspace: WorkspaceOpt, store_url: StoreOpt = None,
         password: Annotated[str | None, typer.Option(
             help="Their password (default: a new random one, printed).")] = None) -> None:
    """演示用户 Create the demo users (one per role) and print their password."""
    ws = open_workspace(workspace)
    secret = password or f"lw-{secrets.token_urlsafe(9)}"
    manager, branch = _busiest(ws)
    store = open_store(ws.root, store_url)
    table = RichTable("user", "role", "branch", "manager")
    try:
        with store.session() as s:
            existing = {u.user_id for u in s.users.list(limit=None)}
        for user, roles in DEMO_USERS:
            if user in existing:
                set_password(store, user, secret, by=_actor(), at=_now())
            else:
                add_user(store, user_id=user, password=secret, roles=roles,
                         display_name=ROLE_TITLES[roles[0]][0],
                         branch_id=branch if user == "branch" else None,
                         manager_id=manager if user == "manager" else None,
                         by=_actor(), at=_now())
            table.add_row(*cells(user, roles[0].value, branch if user == "branch" else "",
                                 manager if user == "manager" else ""))
    except WeakPassword as e:
        raise fail(str(e)) from None
    finally:
        store.close()
    out.print(table)
    out.print(f"demo password 演示密码: {secret}", highlight=False)
