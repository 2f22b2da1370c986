"""The alerts of the workflow and the append-only audit trail.

Revision ID: 0001_alerts_and_audit
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_alerts_and_audit"
down_revision = None
branch_labels = None
depends_on = None

# spelled out rather than imported from tables.py: a revision is frozen once released
_ID = sa.String(64)


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", _ID, nullable=False),
        sa.Column("signal_id", _ID, nullable=False),
        sa.Column("customer_id", _ID, nullable=False),
        sa.Column("loan_id", _ID),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("evidence", sa.Text, nullable=False),
        sa.Column("actions", sa.JSON, nullable=False),
        sa.Column("owner", _ID, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("last_seen_on", sa.Date, nullable=False),
        sa.Column("live_since", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("cleared_on", sa.Date),
        sa.Column("disposition", sa.String(16)),
        sa.Column("closed_by", _ID),
        sa.Column("closed_at", sa.DateTime),
        sa.Column("close_comment", sa.Text),
        sa.Column("notes", sa.JSON, nullable=False),
        sa.Column("reopened_count", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("alert_id", name="pk_alerts"),
    )
    op.create_index("ix_alerts_signal_id_customer_id_loan_id", "alerts",
                    ["signal_id", "customer_id", "loan_id"])
    op.create_index("ix_alerts_status_owner", "alerts", ["status", "owner"])
    op.create_index("ix_alerts_owner", "alerts", ["owner"])
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("actor", _ID, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", _ID, nullable=False),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_audit_events"),
    )
    op.create_index("ix_audit_events_entity_entity_id_id", "audit_events",
                    ["entity", "entity_id", "id"])


def downgrade() -> None:
    op.drop_table("audit_events")
    op.drop_table("alerts")
