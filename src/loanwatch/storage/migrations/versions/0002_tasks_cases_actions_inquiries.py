"""The branch of each alert; tasks, collection cases, actions and credit-bureau inquiries
(each keyed, with the columns it is filtered on, a version and the whole record as JSON),
and the log of synced dates.

Revision ID: 0002_work_records
Revises: 0001_alerts_and_audit
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_work_records"
down_revision = "0001_alerts_and_audit"
branch_labels = None
depends_on = None

# spelled out rather than imported from tables.py: a revision is frozen once released
_ID = sa.String(64)


def _record(name: str, key: str, *columns: sa.Column, indexes: tuple[tuple[str, ...], ...]) -> None:
    op.create_table(
        name,
        sa.Column(key, _ID, nullable=False),
        *columns,
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint(key, name=f"pk_{name}"),
    )
    for cols in indexes:
        op.create_index(f"ix_{name}_{'_'.join(cols)}", name, list(cols))


def upgrade() -> None:
    with op.batch_alter_table("alerts") as alerts:
        alerts.add_column(sa.Column("branch_id", _ID))
    _record("tasks", "task_id",
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("customer_id", _ID, nullable=False),
            sa.Column("loan_id", _ID),
            sa.Column("owner", _ID, nullable=False),
            sa.Column("branch_id", _ID),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("due_on", sa.Date, nullable=False),
            sa.Column("alert_id", _ID),
            sa.Column("finished_at", sa.DateTime),
            indexes=(("owner", "status", "due_on"), ("branch_id", "status", "due_on"),
                     ("kind", "customer_id"), ("customer_id",), ("alert_id",)))
    _record("collection_cases", "case_id",
            sa.Column("loan_id", _ID, nullable=False),
            sa.Column("customer_id", _ID, nullable=False),
            sa.Column("owner", _ID, nullable=False),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("bucket", sa.String(16), nullable=False),
            sa.Column("dpd", sa.Integer, nullable=False),
            sa.Column("expected_loss", sa.Numeric(18, 2), nullable=False),
            sa.Column("opened_on", sa.Date, nullable=False),
            indexes=(("status", "expected_loss"), ("owner", "status"), ("loan_id",),
                     ("customer_id",)))
    _record("actions", "action_id",
            sa.Column("kind", sa.String(32), nullable=False),
            sa.Column("customer_id", _ID, nullable=False),
            sa.Column("loan_id", _ID),
            sa.Column("status", sa.String(16), nullable=False),
            sa.Column("proposed_by", _ID, nullable=False),
            indexes=(("status", "kind"), ("customer_id",), ("loan_id",)))
    _record("bureau_inquiries", "inquiry_id",
            sa.Column("customer_id", _ID, nullable=False),
            sa.Column("asked_by", _ID, nullable=False),
            sa.Column("asked_at", sa.DateTime, nullable=False),
            indexes=(("customer_id",), ("asked_at",)))
    op.create_table(
        "sync_runs",
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("synced_at", sa.DateTime, nullable=False),
        sa.Column("counts", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("as_of", name="pk_sync_runs"),
    )


def downgrade() -> None:
    for name in ("sync_runs", "bureau_inquiries", "actions", "collection_cases", "tasks"):
        op.drop_table(name)
    with op.batch_alter_table("alerts") as alerts:
        alerts.drop_column("branch_id")
