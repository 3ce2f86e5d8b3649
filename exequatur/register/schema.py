"""Tables of the register. Changes go through an Alembic migration (register/migrations)."""

from __future__ import annotations

from sqlalchemy import JSON, Column, Date, DateTime, Index, Integer, MetaData, String, Table, UniqueConstraint, text

metadata = MetaData()

# One row per record (relations pair, post, member): its latest state as the workflow holds it.
records = Table(
    "records",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("sending_state", String(3), index=True),
    Column("receiving_state", String(3), index=True),
    Column("post_id", String(64), index=True),
    Column("role", String(16)),  # members only (migration 0002)
    Column("member_id", String(64), index=True),  # households only: the member (migration 0005)
    Column("state", String(32), nullable=False),
    Column("document", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_records_receiving_state_role", "receiving_state", "role"),
    # The lists an act reads, led by the kind (migration 0007; bench/RESULTS.md item 8).
    Index("ix_records_kind_post_id", "kind", "post_id"),
    Index("ix_records_kind_member_id", "kind", "member_id"),
    Index("ix_records_kind_states", "kind", "receiving_state", "sending_state"),
)

# Every accepted act, once: `act_id` is the Temporal update id, so a retried write is a no-op.
acts = Table(
    "acts",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("act_id", String(128), nullable=False, unique=True),
    Column("record_id", String(64), nullable=False, index=True),
    Column("record_seq", Integer, nullable=False),
    Column("act", String(64), nullable=False),
    Column("party", String(8), nullable=False),
    Column("principal", String(64), nullable=False),
    Column("state_code", String(32), nullable=False),
    Column("article", String(64), nullable=False),
    Column("effective_date", Date, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
    Column("body", JSON, nullable=False),
    Column("document", JSON, nullable=False),  # the record as this act left it (the first answer)
    UniqueConstraint("record_id", "record_seq", name="uq_acts_record_seq"),
)

profiles = Table(
    "profiles",
    metadata,
    Column("state", String(3), primary_key=True),
    Column("document", JSON, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Transactional outbox: a notification is queued with the act that causes it, delivered once.
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("record_id", String(64), nullable=False, index=True),
    Column("recipient", String(32), nullable=False),
    Column("article", String(64), nullable=False),
    Column("document", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Column("channel", String(16)),
    # The relay's lease (worker/relay.py, migration 0003): who holds the notice and until
    # when; after a failure, when to try again.
    Column("claimed_by", String(64)),
    Column("claimed_until", DateTime(timezone=True)),
    Column("attempts", Integer, nullable=False, server_default="0"),
    # When the record was told of the delivery (R14: the service records when it notified).
    Column("reported_at", DateTime(timezone=True)),
    # Dead letter (migration 0006): parked after CONSULAR_NOTICE_MAX_ATTEMPTS failed deliveries.
    Column("parked_at", DateTime(timezone=True)),
    Column("last_error", String(500)),
    Index(
        "ix_notifications_parked",
        "parked_at",
        sqlite_where=text("parked_at IS NOT NULL"),
        postgresql_where=text("parked_at IS NOT NULL"),
    ),
    Index("ix_notifications_pending", "delivered_at", "created_at"),
    Index("ix_notifications_to_report", "recipient", "reported_at"),  # migration 0004
)
