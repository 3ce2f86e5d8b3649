"""Parked notices (dead letter): a notice that failed CONSULAR_NOTICE_MAX_ATTEMPTS deliveries
stops being tried, with its last error, until an operator sends it again (`exequatur notices
retry`). Its record's later notices wait behind it: a receiver sees a record's notices in order.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("parked_at", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("last_error", sa.String(500)))
        # Partial: only the parked few are indexed (for the list and the metric); a claim's
        # "not parked" must keep reading the pending indexes, not this one.
        parked = sa.text("parked_at IS NOT NULL")
        batch.create_index("ix_notifications_parked", ["parked_at"], sqlite_where=parked, postgresql_where=parked)


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_parked")
        batch.drop_column("last_error")
        batch.drop_column("parked_at")
