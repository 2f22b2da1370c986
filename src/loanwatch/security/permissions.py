"""Who may do what (权限): roles, permissions, and the slice of the book a person sees.

Every endpoint of the console and the API declares the permission it needs; a role is a set
of permissions (``ROLE_PERMISSIONS``, the permission table); the **scope** limits the data:
a customer manager sees only the borrowers they manage, a branch head their branch, the
others the whole book. Personal data is masked unless the role may unmask it (each unmasking
is audited by the caller).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    RISK_OFFICER = "risk_officer"          # 风险经理: the whole book, reviews and approves
    BRANCH_HEAD = "branch_head"            # 支行行长: their branch
    CUSTOMER_MANAGER = "customer_manager"  # 客户经理: their own borrowers
    COLLECTOR = "collector"                # 催收员
    AUDITOR = "auditor"                    # 审计: reads everything, the audit trail included
    READ_ONLY = "read_only"


class Permission(StrEnum):
    VIEW_DASHBOARD = "view_dashboard"
    VIEW_ALERTS = "view_alerts"
    ACT_ALERTS = "act_alerts"              # acknowledge, comment, close
    ASSIGN_ALERTS = "assign_alerts"
    VIEW_BORROWERS = "view_borrowers"
    UNMASK_PII = "unmask_pii"
    VIEW_TASKS = "view_tasks"
    ACT_TASKS = "act_tasks"
    VIEW_COLLECTIONS = "view_collections"
    ACT_COLLECTIONS = "act_collections"
    PROPOSE_ACTIONS = "propose_actions"
    APPROVE_ACTIONS = "approve_actions"
    REVIEW_CLASSIFICATION = "review_classification"    # propose an override
    APPROVE_CLASSIFICATION = "approve_classification"  # approve someone else's
    VIEW_DATA = "view_data"                # imports, quarantine, quality, policy
    VIEW_REPORTS = "view_reports"          # the portfolio report (贷后风险报告) of the whole book
    VIEW_AUDIT = "view_audit"
    ADMIN_USERS = "admin_users"


class Scope(StrEnum):
    ALL = "all"
    BRANCH = "branch"
    OWN = "own"


P = Permission
_READ = frozenset({P.VIEW_DASHBOARD, P.VIEW_ALERTS, P.VIEW_BORROWERS, P.VIEW_TASKS,
                   P.VIEW_COLLECTIONS})
_MANAGER = _READ | {P.ACT_ALERTS, P.ACT_TASKS, P.PROPOSE_ACTIONS, P.REVIEW_CLASSIFICATION}
# a customer manager and a collector read borrower reports of their slice (view_borrowers),
# not the report of the whole book

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.RISK_OFFICER: _MANAGER | {P.ASSIGN_ALERTS, P.ACT_COLLECTIONS, P.APPROVE_ACTIONS,
                                   P.APPROVE_CLASSIFICATION, P.VIEW_DATA, P.UNMASK_PII,
                                   P.VIEW_REPORTS},
    Role.BRANCH_HEAD: _MANAGER | {P.ASSIGN_ALERTS, P.APPROVE_ACTIONS, P.APPROVE_CLASSIFICATION,
                                  P.VIEW_REPORTS},
    Role.CUSTOMER_MANAGER: _MANAGER,
    Role.COLLECTOR: frozenset({P.VIEW_DASHBOARD, P.VIEW_COLLECTIONS, P.ACT_COLLECTIONS,
                               P.VIEW_BORROWERS, P.PROPOSE_ACTIONS}),
    Role.AUDITOR: _READ | {P.VIEW_DATA, P.VIEW_AUDIT, P.VIEW_REPORTS},
    Role.READ_ONLY: _READ | {P.VIEW_REPORTS},
}

ROLE_SCOPES: dict[Role, Scope] = {
    Role.ADMIN: Scope.ALL, Role.RISK_OFFICER: Scope.ALL, Role.BRANCH_HEAD: Scope.BRANCH,
    Role.CUSTOMER_MANAGER: Scope.OWN, Role.COLLECTOR: Scope.ALL, Role.AUDITOR: Scope.ALL,
    Role.READ_ONLY: Scope.ALL,
}

ROLE_TITLES: dict[Role, tuple[str, str]] = {
    Role.ADMIN: ("系统管理员", "Administrator"), Role.RISK_OFFICER: ("风险经理", "Risk officer"),
    Role.BRANCH_HEAD: ("支行负责人", "Branch head"),
    Role.CUSTOMER_MANAGER: ("客户经理", "Customer manager"),
    Role.COLLECTOR: ("催收员", "Collector"), Role.AUDITOR: ("审计", "Auditor"),
    Role.READ_ONLY: ("只读", "Read-only"),
}


@dataclass(frozen=True)
class Principal:
    """The person behind a request: their id, roles, and the slice of the book they see.
    ``manager_id`` is their code in the lender's data (loans.manager_id, customers.manager_id)."""

    user_id: str
    roles: tuple[Role, ...]
    branch_id: str | None = None
    manager_id: str | None = None

    @property
    def permissions(self) -> frozenset[Permission]:
        return frozenset().union(*(ROLE_PERMISSIONS[r] for r in self.roles))

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def scope(self) -> Scope:
        """The widest scope of their roles."""
        scopes = {ROLE_SCOPES[r] for r in self.roles}
        for s in (Scope.ALL, Scope.BRANCH, Scope.OWN):
            if s in scopes:
                return s
        return Scope.OWN

    def sees(self, branch_id: str | None, manager_id: str | None) -> bool:
        """Whether a borrower or loan of this branch and manager is in their slice."""
        if self.scope is Scope.ALL:
            return True
        if self.scope is Scope.BRANCH:
            return branch_id is not None and branch_id == self.branch_id
        return manager_id is not None and manager_id in (self.manager_id, self.user_id)
