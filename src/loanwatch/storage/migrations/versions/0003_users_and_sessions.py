"""People who log in to the console and the API, and their sessions.

Revision ID: 0003_users_and_sessions
Revises: 0002_work_records
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_users_and_sessions"
down_revision = "0002_work_records"
branch_labels = None
depends_on = None

_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("branch_id", _ID),
        sa.Column("manager_id", _ID),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_users"),
    )
    op.create_index("ix_users_branch_id", "users", ["branch_id"])
    op.create_table(
        "sessions",
        sa.Column("session_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("session_id", name="pk_sessions"),
    )
    op.create_index("ix_sessions_user_id", "sessions", ["user_id"])
    op.create_index("ix_sessions_expires_at", "sessions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("sessions")
    op.drop_table("users")
