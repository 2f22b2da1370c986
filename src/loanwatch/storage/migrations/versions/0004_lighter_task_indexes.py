"""Fewer index entries per task: a nightly sync plans a million tasks at a go-live, and each
index entry is work the database does for each. The index on (kind, customer) goes (the one
on the customer finds a borrower's few tasks), and the index on the alert that triggered a
task keeps only the tasks that have one (most are scheduled, without an alert).

Revision ID: 0004_lighter_task_indexes
Revises: 0003_users_and_sessions
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_lighter_task_indexes"
down_revision = "0003_users_and_sessions"
branch_labels = None
depends_on = None

_WITH_ALERT = sa.text("alert_id IS NOT NULL")


def upgrade() -> None:
    op.drop_index("ix_tasks_kind_customer_id", table_name="tasks")
    op.drop_index("ix_tasks_alert_id", table_name="tasks")
    op.create_index("ix_tasks_alert_id", "tasks", ["alert_id"], postgresql_where=_WITH_ALERT,
                    sqlite_where=_WITH_ALERT)


def downgrade() -> None:
    op.drop_index("ix_tasks_alert_id", table_name="tasks")
    op.create_index("ix_tasks_alert_id", "tasks", ["alert_id"])
    op.create_index("ix_tasks_kind_customer_id", "tasks", ["kind", "customer_id"])
