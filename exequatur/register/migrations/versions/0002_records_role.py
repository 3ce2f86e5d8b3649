"""A role column on records, so the consular list reads heads and officers in one query.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.add_column(sa.Column("role", sa.String(16)))
        batch.create_index("ix_records_receiving_state_role", ["receiving_state", "role"])
    # Members recorded before this revision: the role is in their document.
    records = sa.table("records", sa.column("id"), sa.column("kind"), sa.column("role"), sa.column("document", sa.JSON))
    connection = op.get_bind()
    for row in connection.execute(sa.select(records.c.id, records.c.document).where(records.c.kind == "member")):
        connection.execute(records.update().where(records.c.id == row.id).values(role=row.document.get("role")))


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_index("ix_records_receiving_state_role")
        batch.drop_column("role")
