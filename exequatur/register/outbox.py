"""The relay's side of the transactional outbox (register.queries.record_act queues each
notice in its act's transaction; worker/relay.py delivers them).

A notice is pending until it is delivered and, where its record records the delivery (R14),
until the record has been told. Relays in several worker processes share the queue through a
lease on the register's clock: a claim holds a notice for a few seconds, renewed while a
delivery is in flight, so a relay that dies lets another take over without two delivering at
once. A record's notices are claimed together and in order, so a receiver sees them in the
order the acts happened. A notice that keeps failing is parked after a number of attempts
(dead letter) until an operator sends it again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, false, func, or_, select, update

from exequatur.register.schema import notifications, records

# How long a claim on a notice lasts without renewal: after a worker dies mid-delivery, another
# takes the notice over within this (plus its relay's poll interval).
LEASE = timedelta(seconds=5)

# Called (from whichever thread wrote) after notices were queued: wakes this process's relay.
on_queued: list[Callable[[], None]] = []


def queued() -> None:
    for wake in list(on_queued):
        wake()


def _pending(reported: tuple[str, ...]) -> Any:
    told = and_(notifications.c.recipient.in_(reported), notifications.c.reported_at.is_(None)) if reported else false()
    return or_(notifications.c.delivered_at.is_(None), told)


def _free(now: datetime) -> Any:
    return or_(notifications.c.claimed_until.is_(None), notifications.c.claimed_until < now)


def database_now(conn: Connection) -> datetime:
    """The register's clock: leases are compared with it, so relays on hosts whose clocks differ
    agree on when a claim ends. SQLite lives on one host, whose clock it is."""
    if conn.dialect.name == "postgresql":
        now: datetime = conn.execute(select(func.now())).scalar_one()
        return now
    return datetime.now(UTC)


def claimable(now: datetime, limit: int, reported: tuple[str, ...] = (), record_id: str | None = None) -> Any:
    """The candidates of a claim: pending, not parked, free, oldest first. Both kinds of pending
    read by index (ix_notifications_pending and ix_notifications_to_report): a claim follows
    every act that queues a notice."""
    mine = [_pending(reported), notifications.c.parked_at.is_(None), _free(now)]
    if record_id is not None:
        mine.append(notifications.c.record_id == record_id)
    return (
        select(notifications.c.id, notifications.c.record_id)
        .where(*mine)
        .order_by(notifications.c.created_at, notifications.c.id)
        .limit(limit)
    )


def claim(
    engine: Engine,
    token: str,
    now: datetime | None = None,
    lease: timedelta = LEASE,
    limit: int = 200,
    reported: tuple[str, ...] = (),
    record_id: str | None = None,
) -> list[dict[str, Any]]:
    """Claim up to `limit` pending notices under `token` for `lease` on the register's clock
    (`now` only in tests). A notice is taken only together with every earlier pending notice of
    its record, so no relay ever holds a record's later notice while another holds (or has
    parked) an earlier one: a receiver sees a record's notices in order however many relays run.

    On PostgreSQL the candidates are locked `FOR UPDATE SKIP LOCKED`: relays claiming at once
    take different notices without waiting, and a candidate another relay is claiming is
    skipped, which breaks its record's chain here. SQLite has one writer at a time."""
    with engine.begin() as conn:
        now = now or database_now(conn)
        candidates = conn.execute(
            claimable(now, limit, reported, record_id).with_for_update(skip_locked=True, of=notifications)
        ).all()
        if not candidates:
            return []
        chosen = {row.id for row in candidates}
        # Each record's pending notices in order (parked and held ones included): take the
        # chosen ones up to the first that is not ours.
        keep, broken = [], set()
        in_order = conn.execute(
            select(notifications.c.id, notifications.c.record_id)
            .where(_pending(reported), notifications.c.record_id.in_({row.record_id for row in candidates}))
            .order_by(notifications.c.created_at, notifications.c.id)
        )
        for row in in_order:
            if row.record_id in broken:
                continue
            if row.id in chosen:
                keep.append(row.id)
            else:
                broken.add(row.record_id)
        if not keep:
            return []
        # The conditions again: on SQLite a relay that claimed the same rows meanwhile wins them.
        conn.execute(
            update(notifications)
            .where(notifications.c.id.in_(keep), _pending(reported), _free(now))
            .values(claimed_by=token, claimed_until=now + lease)
        )
        rows = conn.execute(
            select(notifications, records.c.kind)
            .join(records, records.c.id == notifications.c.record_id, isouter=True)
            .where(notifications.c.claimed_by == token, notifications.c.id.in_(keep))
            .order_by(notifications.c.created_at, notifications.c.id)
        )
        return [_aware(dict(r._mapping)) for r in rows]


def renew(engine: Engine, token: str, until: datetime | None = None, lease: timedelta = LEASE) -> None:
    """Keep this relay's claims while a delivery is in flight (until `lease` from the register's now)."""
    with engine.begin() as conn:
        until = until or database_now(conn) + lease
        conn.execute(update(notifications).where(notifications.c.claimed_by == token).values(claimed_until=until))


def release(
    engine: Engine,
    token: str,
    notice_ids: list[str],
    retry_at: datetime | None = None,
    *,
    error: str | None = None,
    max_attempts: int | None = None,
) -> bool:
    """Give notices back after the first of them failed: that one counts an attempt and keeps
    its error, the record's later ones simply wait; all are tried again from `retry_at` (by
    default the backoff of the failed one's attempts on the register's clock). After
    `max_attempts` the failed notice is parked (dead letter) and its record's later notices
    wait behind it. Returns whether it was parked."""
    if not notice_ids:
        return False
    failed, rest = notice_ids[0], notice_ids[1:]
    with engine.begin() as conn:
        now = database_now(conn)
        attempts = conn.execute(select(notifications.c.attempts).where(notifications.c.id == failed)).scalar_one() + 1
        parked = max_attempts is not None and attempts >= max_attempts
        conn.execute(
            update(notifications)
            .where(notifications.c.claimed_by == token, notifications.c.id == failed)
            .values(
                claimed_by=None,
                claimed_until=retry_at or now + backoff(attempts - 1),
                attempts=attempts,
                last_error=(error or "")[:500] or None,
                parked_at=now if parked else None,
            )
        )
        if rest:
            conn.execute(
                update(notifications)
                .where(notifications.c.claimed_by == token, notifications.c.id.in_(rest))
                .values(claimed_by=None, claimed_until=retry_at or now + backoff(attempts - 1))
            )
    return parked


def parked(engine: Engine, limit: int = 1000) -> list[dict[str, Any]]:
    """The parked notices, oldest first, with their attempts and last error (no document: an
    operator sees what failed and why, not the personal data it carries)."""
    columns = [
        notifications.c.id,
        notifications.c.record_id,
        notifications.c.recipient,
        notifications.c.article,
        notifications.c.created_at,
        notifications.c.attempts,
        notifications.c.last_error,
        notifications.c.parked_at,
    ]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns)
            .where(notifications.c.parked_at.is_not(None))
            .order_by(notifications.c.created_at, notifications.c.id)
            .limit(limit)
        )
        return [_aware(dict(r._mapping)) for r in rows]


def retry(engine: Engine, notice_ids: list[str] | None = None) -> list[str]:
    """Send parked notices again (all of them, or those named): their attempts start over and
    the next relay pass takes them, their records' later notices behind them. Returns the ids."""
    with engine.begin() as conn:
        where = [notifications.c.parked_at.is_not(None)]
        if notice_ids is not None:
            where.append(notifications.c.id.in_(notice_ids))
        ids = [row.id for row in conn.execute(select(notifications.c.id).where(*where))]
        if ids:
            conn.execute(
                update(notifications)
                .where(notifications.c.id.in_(ids))
                .values(parked_at=None, attempts=0, claimed_by=None, claimed_until=None)
            )
    queued()
    return ids


_MARK_REPORTED = (
    update(notifications)
    .where(notifications.c.id == bindparam("notice_id"), notifications.c.reported_at.is_(None))
    .values(reported_at=bindparam("at"))
)


def mark_reported(engine: Engine, notice_id: str, at: datetime) -> None:
    with engine.begin() as conn:
        conn.execute(_MARK_REPORTED, {"notice_id": notice_id, "at": at})  # built once, as queries' writes


def backoff(attempts: int) -> timedelta:
    """1 s, 2 s, 4 s ... at most 5 minutes between tries of a notice that keeps failing."""
    return timedelta(seconds=min(300, 2 ** min(attempts, 9)))


def _aware(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("delivered_at", "claimed_until", "reported_at", "created_at", "parked_at"):
        if row.get(key) is not None and row[key].tzinfo is None:
            row[key] = row[key].replace(tzinfo=UTC)
    return row


def backlog(engine: Engine) -> list[tuple[str, int, int, datetime | None]]:
    """Undelivered notices by recipient: how many, how many of them parked, and since when the
    oldest waits (for the API's /metrics: a receiver that is down shows as a growing backlog,
    a notice that never delivers as a parked one)."""
    query = (
        select(
            notifications.c.recipient,
            func.count(),
            func.count(notifications.c.parked_at),
            func.min(notifications.c.created_at),
        )
        .where(notifications.c.delivered_at.is_(None))
        .group_by(notifications.c.recipient)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        (recipient, count, parked, oldest.replace(tzinfo=UTC) if oldest and oldest.tzinfo is None else oldest)
        for recipient, count, parked, oldest in rows
    ]
