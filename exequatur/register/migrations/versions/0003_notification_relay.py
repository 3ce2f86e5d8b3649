"""The notice relay's lease and report columns (worker/relay.py).

Notices queued with their acts are delivered by a relay in each worker process instead of an
activity per act; these columns let several workers share the queue without delivering a
notice twice at once, back off after a failure, and remember that the record was told.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64)))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True)))
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("reported_at", sa.DateTime(timezone=True)))
        batch.create_index("ix_notifications_pending", ["delivered_at", "created_at"])
    # Notices delivered before this revision were reported by the delivery activity.
    notifications = sa.table(
        "notifications",
        sa.column("delivered_at", sa.DateTime(timezone=True)),
        sa.column("reported_at", sa.DateTime(timezone=True)),
    )
    op.execute(
        notifications.update()
        .where(notifications.c.delivered_at.is_not(None))
        .values(reported_at=notifications.c.delivered_at)
    )


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_index("ix_notifications_pending")
        batch.drop_column("reported_at")
        batch.drop_column("attempts")
        batch.drop_column("claimed_until")
        batch.drop_column("claimed_by")
