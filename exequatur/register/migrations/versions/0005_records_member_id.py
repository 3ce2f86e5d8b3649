"""A member_id column on records: a household (family member or private staff, Arts. 1(1)(i),
24(1)(b)-(c)) names the member it belongs to, and the member's workflow finds its households by
it when the member's functions end (53(3), 53(5)).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("member_id", sa.String(64)))
        batch.create_index("ix_records_member_id", ["member_id"])


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_index("ix_records_member_id")
        batch.drop_column("member_id")
