"""What the data page (数据管理) and the admin page (系统管理) show. Data: the last imports,
their quarantined rows, data quality (the report of ``loanwatch quality``), the policy in
force (as ``loanwatch policy show`` prints it) and the dates synced into the store. Admin:
the users, the permission table, the branches of the book; adding a user, changing their
roles, resetting their password, disabling and enabling them (through ``services.auth``, which
audits each change)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from loanwatch.ingest import quality as quality_mod
from loanwatch.ingest import quarantine as quarantine_mod
from loanwatch.policy import Policy, policy_to_yaml
from loanwatch.security.permissions import ROLE_PERMISSIONS, ROLE_SCOPES, Permission, Role
from loanwatch.security.users import User
from loanwatch.services.auth import add_user, disable_user, enable_user, set_password, set_roles
from loanwatch.services.scope import rows, stored_dates
from loanwatch.services.store import Store
from loanwatch.workflow.errors import WorkflowError

#: how many of the newest imports the page lists (and whose quarantine it can show)
RECENT_IMPORTS = 20


@dataclass(frozen=True)
class ImportRun:
    import_id: int
    as_of: dt.date
    source: str
    started_at: dt.datetime
    finished_at: dt.datetime | None
    status: str
    strict: bool
    policy_version: str | None
    message: str | None
    tables: int
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def imports(con: duckdb.DuckDBPyConnection, limit: int = RECENT_IMPORTS) -> list[ImportRun]:
    """The newest imports first, with the rows read, loaded and quarantined over their tables."""
    found = rows(con, """
        SELECT i.import_id, i.as_of, i.source, i.started_at, i.finished_at, i.status, i.strict,
               i.policy_version, i.message, count(t.table_name) AS tables,
               coalesce(sum(t.rows_read), 0)::BIGINT AS rows_read,
               coalesce(sum(t.rows_loaded), 0)::BIGINT AS rows_loaded,
               coalesce(sum(t.rows_quarantined), 0)::BIGINT AS rows_quarantined
        FROM lw_imports i LEFT JOIN lw_import_tables t USING (import_id)
        GROUP BY ALL ORDER BY i.import_id DESC LIMIT ?""", [limit])
    return [ImportRun(**r) for r in found]


@dataclass(frozen=True)
class QuarantinedRow:
    import_id: int
    table: str
    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass(frozen=True)
class QuarantinePage:
    """One page of an import's refused rows (of one table, or all), and how many each table
    of the import had (one row may be refused for several reasons: one entry each)."""

    import_id: int | None
    table: str | None
    total: int
    page: int
    size: int
    rows: list[QuarantinedRow]
    by_table: dict[str, int]

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def quarantine_page(con: duckdb.DuckDBPyConnection, import_id: int | None = None,
                    table: str | None = None, page: int = 1, size: int = 50) -> QuarantinePage:
    """The quarantine of ``import_id`` (default the latest) as ``loanwatch quarantine show``
    reads it, a page at a time; ``LookupError`` for an import not among the recent ones."""
    import_id = import_id if import_id is not None else quarantine_mod.latest_import(con)
    if import_id is None:
        return QuarantinePage(None, table, 0, page, size, [], {})
    counts = [r for r in quarantine_mod.summary(con, RECENT_IMPORTS) if r[0] == import_id]
    if not counts and import_id not in {i.import_id for i in imports(con)}:
        raise LookupError(f"import {import_id} is not among the last {RECENT_IMPORTS} imports")
    by_table: dict[str, int] = {}
    for _, _, name, _, _, n in counts:
        by_table[name] = by_table.get(name, 0) + n
    total = by_table.get(table, 0) if table else sum(by_table.values())
    found = quarantine_mod.rows(con, import_id, table, page * size)[(page - 1) * size:]
    return QuarantinePage(import_id, table, total, page, size,
                          [QuarantinedRow(i, t, Path(f).name, line, column, value, reason)
                           for i, t, f, line, column, value, reason in found], by_table)


@dataclass(frozen=True)
class Gap:
    name: str
    description: str
    rows: int


@dataclass(frozen=True)
class DataQuality:
    """``loanwatch quality``: per table rows, null rates of the important columns, newest
    date, quarantine reasons of its latest import; and the referential gaps."""

    tables: list[quality_mod.TableQuality]
    gaps: list[Gap]


def data_quality(con: duckdb.DuckDBPyConnection) -> DataQuality:
    report = quality_mod.quality_report(con)
    return DataQuality(report.tables, [Gap(*g) for g in report.gaps])


@dataclass(frozen=True)
class PolicyText:
    version_id: str
    yaml: str


def policy_text(policy: Policy) -> PolicyText:
    """The policy in force as ``loanwatch policy show`` prints it."""
    return PolicyText(policy.version_id, policy_to_yaml(policy))


@dataclass(frozen=True)
class SyncedDate:
    as_of: dt.date
    synced: bool
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Syncs:
    latest: dt.date | None
    dates: list[SyncedDate]


def syncs(con: duckdb.DuckDBPyConnection, store: Store) -> Syncs:
    """Each date the marts hold, newest first, and whether (and with what) it was synced
    into the store."""
    with store.session() as s:
        latest = s.syncs.latest()
        found = [(d, s.syncs.counts(d)) for d in reversed(stored_dates(con, "loan_snapshot"))]
    return Syncs(latest, [SyncedDate(d, c is not None, dict(c or {})) for d, c in found])


@dataclass(frozen=True)
class DataPage:
    imports: list[ImportRun]
    quarantine: QuarantinePage
    quality: DataQuality
    policy: PolicyText
    syncs: Syncs


def data_page(con: duckdb.DuckDBPyConnection, store: Store, policy: Policy,
              import_id: int | None = None, table: str | None = None, page: int = 1,
              size: int = 50) -> DataPage:
    return DataPage(imports(con), quarantine_page(con, import_id, table, page, size),
                    data_quality(con), policy_text(policy), syncs(con, store))


# --- admin ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class UserRow:
    """A user as the admin sees them: never the password hash."""

    user_id: str
    display_name: str
    roles: list[str]
    branch_id: str | None
    manager_id: str | None
    active: bool
    locked_until: dt.datetime | None

    @classmethod
    def of(cls, user: User) -> UserRow:
        return cls(user.user_id, user.display_name, [r.value for r in user.roles],
                   user.branch_id, user.manager_id, user.active, user.locked_until)


def users(store: Store) -> list[UserRow]:
    with store.session() as s:
        return [UserRow.of(u) for u in s.users.list(limit=None, order_by=("user_id",))]


@dataclass(frozen=True)
class RoleRow:
    """A role's line of the permission table."""

    role: str
    scope: str
    permissions: dict[str, bool]


def permission_table() -> list[RoleRow]:
    return [RoleRow(r.value, ROLE_SCOPES[r].value,
                    {p.value: p in ROLE_PERMISSIONS[r] for p in Permission}) for r in Role]


@dataclass(frozen=True)
class Branch:
    branch_id: str | None
    loans: int
    users: int


def branches(con: duckdb.DuckDBPyConnection, store: Store) -> list[Branch]:
    """The branches of the loans in force (with their loan count) and of the users."""
    try:
        loans = {r["branch_id"]: r["loans"] for r in rows(
            con, "SELECT branch_id, count(*) AS loans FROM loans WHERE _valid_to IS NULL "
                 "GROUP BY 1")}
    except duckdb.CatalogException:
        loans = {}
    people: dict[str | None, int] = {}
    for u in users(store):
        if u.branch_id:
            people[u.branch_id] = people.get(u.branch_id, 0) + 1
    names = sorted(set(loans) | set(people), key=lambda b: (b is None, b or ""))
    return [Branch(b, loans.get(b, 0), people.get(b, 0)) for b in names]


@dataclass(frozen=True)
class AdminPage:
    users: list[UserRow]
    roles: list[RoleRow]
    permissions: list[str]
    branches: list[Branch]


def admin_page(con: duckdb.DuckDBPyConnection, store: Store) -> AdminPage:
    return AdminPage(users(store), permission_table(), [p.value for p in Permission],
                     branches(con, store))


class UserExists(WorkflowError):
    """A new user with the id of an existing one."""


class OwnAccount(WorkflowError):
    """An administrator disabling their own account (another administrator must)."""


#: a user id: what people type to log in (employee numbers, pinyin names, e-mail addresses)
USER_ID = r"^[A-Za-z0-9._@-]{1,64}$"
#: the longest name, branch and manager code the store keeps
LIMITS = {"display_name": 128, "branch_id": 64, "manager_id": 64}


def _check_fields(**values: str | None) -> None:
    for name, value in values.items():
        if value and len(value) > LIMITS[name]:
            raise ValueError(f"{name}: at most {LIMITS[name]} characters")


def roles_of(values: list[str]) -> tuple[Role, ...]:
    """Roles by name; an unknown name is a ``ValueError`` listing the known ones."""
    known = {r.value: r for r in Role}
    unknown = [v for v in values if v not in known]
    if unknown:
        raise ValueError(f"unknown role {', '.join(unknown)} (one of {', '.join(known)})")
    return tuple(dict.fromkeys(known[v] for v in values))


def create_user(store: Store, *, user_id: str, password: str, roles: list[str],
                display_name: str | None, branch_id: str | None, manager_id: str | None,
                by: str, at: dt.datetime) -> UserRow:
    """A new user (audited by ``services.auth``); ``UserExists`` for a taken id,
    ``ValueError`` for a weak password, no role or an unknown one."""
    user_id = user_id.strip()
    if not re.fullmatch(USER_ID, user_id):
        raise ValueError("a user id is 1 to 64 letters, digits or . _ @ -")
    _check_fields(display_name=display_name, branch_id=branch_id, manager_id=manager_id)
    wanted = roles_of(roles)
    with store.session() as s:
        if s.users.get(user_id) is not None:
            raise UserExists(f"there is already a user {user_id}")
    return UserRow.of(add_user(store, user_id=user_id, password=password, roles=wanted,
                               display_name=display_name or None, branch_id=branch_id or None,
                               manager_id=manager_id or None, by=by, at=at))


def change_roles(store: Store, user_id: str, roles: list[str], *, branch_id: str | None,
                 manager_id: str | None, by: str, at: dt.datetime) -> UserRow:
    """New roles (and branch or manager code, when given) for a user; their sessions stay."""
    _check_fields(branch_id=branch_id, manager_id=manager_id)
    return UserRow.of(set_roles(store, user_id, roles_of(roles), by=by, at=at,
                                branch_id=branch_id or None, manager_id=manager_id or None))


def reset_password(store: Store, user_id: str, password: str, *, by: str,
                   at: dt.datetime) -> UserRow:
    """A new password (a weak one is a ``ValueError``); the user's sessions end."""
    return UserRow.of(set_password(store, user_id, password, by=by, at=at))


def disable_account(store: Store, user_id: str, *, by: str, at: dt.datetime) -> UserRow:
    """Disable a user (their sessions end); ``OwnAccount`` for the administrator's own
    account, so that nobody locks themselves out, ``LookupError`` for an unknown user."""
    if user_id == by:
        raise OwnAccount("you cannot disable your own account: another administrator must")
    return UserRow.of(disable_user(store, user_id, by=by, at=at))


def enable_account(store: Store, user_id: str, *, by: str, at: dt.datetime) -> UserRow:
    """Let a disabled user log in again."""
    return UserRow.of(enable_user(store, user_id, by=by, at=at))
