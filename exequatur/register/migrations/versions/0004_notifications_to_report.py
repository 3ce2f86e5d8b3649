"""An index for the relay's second kind of pending notice: delivered, its record not yet told.

The relay claims notices not delivered (ix_notifications_pending) or delivered to a recipient
whose delivery the record records (R14) and not yet reported. Without an index for the second,
every claim scanned the whole table, documents and all, and a claim follows every act that
queues a notice: each claim cost more as the register grew.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_notifications_to_report", "notifications", ["recipient", "reported_at"])


def downgrade() -> None:
    op.drop_index("ix_notifications_to_report", "notifications")
