"""Indexes that lead with the kind for the lists an act reads (its facts, its fan-outs): a
post's members, a member's households, the posts of a sending State in a receiving State.

Measured with the register at scale (bench/RESULTS.md item 8): with only single-column indexes,
SQLite planned "a post's heads" on the `kind` index, reading every member of every post, so an
act's register trip grew with the whole register. With (kind, <filter>) both equalities are
answered by one index on SQLite and PostgreSQL alike.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.create_index("ix_records_kind_post_id", ["kind", "post_id"])
        batch.create_index("ix_records_kind_member_id", ["kind", "member_id"])
        batch.create_index("ix_records_kind_states", ["kind", "receiving_state", "sending_state"])


def downgrade() -> None:
    with op.batch_alter_table("records") as batch:
        batch.drop_index("ix_records_kind_states")
        batch.drop_index("ix_records_kind_member_id")
        batch.drop_index("ix_records_kind_post_id")
