"""The register's first tables: records, acts, profiles, notifications.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "records",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False, index=True),
        sa.Column("sending_state", sa.String(3), index=True),
        sa.Column("receiving_state", sa.String(3), index=True),
        sa.Column("post_id", sa.String(64), index=True),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "acts",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("act_id", sa.String(128), nullable=False, unique=True),
        sa.Column("record_id", sa.String(64), nullable=False, index=True),
        sa.Column("record_seq", sa.Integer, nullable=False),
        sa.Column("act", sa.String(64), nullable=False),
        sa.Column("party", sa.String(8), nullable=False),
        sa.Column("principal", sa.String(64), nullable=False),
        sa.Column("state_code", sa.String(32), nullable=False),
        sa.Column("article", sa.String(64), nullable=False),
        sa.Column("effective_date", sa.Date, nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("body", sa.JSON, nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.UniqueConstraint("record_id", "record_seq", name="uq_acts_record_seq"),
    )
    op.create_table(
        "profiles",
        sa.Column("state", sa.String(3), primary_key=True),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(128), primary_key=True),
        sa.Column("record_id", sa.String(64), nullable=False, index=True),
        sa.Column("recipient", sa.String(32), nullable=False),
        sa.Column("article", sa.String(64), nullable=False),
        sa.Column("document", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
        sa.Column("channel", sa.String(16)),
    )


def downgrade() -> None:
    for table in ("notifications", "profiles", "acts", "records"):
        op.drop_table(table)
