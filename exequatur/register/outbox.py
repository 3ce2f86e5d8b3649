"""The relay's side of the transactional outbox (register.queries.record_act queues each
notice in its act's transaction; worker/relay.py delivers them).

A notice is pending until it is delivered and, where its record records the delivery (R14),
until the record has been told. Relays in several worker processes share the queue through a
lease: a claim holds a notice for a few seconds, renewed while a delivery is in flight, so a
relay that dies lets another take over without two delivering at once. A record's notices are
claimed together and in order, so a receiver sees them in the order the acts happened.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, false, or_, select, update

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


def claimable(now: datetime, limit: int, reported: tuple[str, ...] = (), record_id: str | None = None) -> Any:
    """The ids a claim takes: pending, free, of no record whose earlier notice another relay
    holds, oldest first. Both kinds of pending read by index (ix_notifications_pending and
    ix_notifications_to_report): a claim follows every act that queues a notice."""
    pending, free = _pending(reported), _free(now)
    held_elsewhere = select(notifications.c.record_id).where(pending, ~free)
    mine = [pending, free, notifications.c.record_id.not_in(held_elsewhere)]
    if record_id is not None:
        mine.append(notifications.c.record_id == record_id)
    return select(notifications.c.id).where(*mine).order_by(notifications.c.created_at, notifications.c.id).limit(limit)


def claim(
    engine: Engine,
    token: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    reported: tuple[str, ...] = (),
    record_id: str | None = None,
) -> list[dict[str, Any]]:
    """Claim up to `limit` pending notices under `token` until `now + lease`, a record's
    notices together: none of a record whose earlier notice another relay holds."""
    pending, free = _pending(reported), _free(now)
    with engine.begin() as conn:
        ids = [r.id for r in conn.execute(claimable(now, limit, reported, record_id))]
        if not ids:
            return []
        # The conditions again: a relay that claimed the same rows meanwhile wins them.
        conn.execute(
            update(notifications)
            .where(notifications.c.id.in_(ids), pending, free)
            .values(claimed_by=token, claimed_until=now + lease)
        )
        rows = conn.execute(
            select(notifications, records.c.kind)
            .join(records, records.c.id == notifications.c.record_id, isouter=True)
            .where(notifications.c.claimed_by == token, notifications.c.id.in_(ids))
            .order_by(notifications.c.created_at, notifications.c.id)
        )
        return [_aware(dict(r._mapping)) for r in rows]


def renew(engine: Engine, token: str, until: datetime) -> None:
    """Keep this relay's claims while a delivery is in flight."""
    with engine.begin() as conn:
        conn.execute(update(notifications).where(notifications.c.claimed_by == token).values(claimed_until=until))


def release(engine: Engine, token: str, notice_ids: list[str], retry_at: datetime) -> None:
    """Give notices back after a failure, to be tried again from `retry_at`."""
    with engine.begin() as conn:
        conn.execute(
            update(notifications)
            .where(notifications.c.claimed_by == token, notifications.c.id.in_(notice_ids))
            .values(claimed_by=None, claimed_until=retry_at, attempts=notifications.c.attempts + 1)
        )


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
    for key in ("delivered_at", "claimed_until", "reported_at", "created_at"):
        if row.get(key) is not None and row[key].tzinfo is None:
            row[key] = row[key].replace(tzinfo=UTC)
    return row


def backlog(engine: Engine) -> list[tuple[str, int, datetime | None]]:
    """Undelivered notices by recipient: how many, and since when the oldest waits (for the
    API's /metrics: a receiver that is down shows as a growing backlog)."""
    from sqlalchemy import func

    query = (
        select(notifications.c.recipient, func.count(), func.min(notifications.c.created_at))
        .where(notifications.c.delivered_at.is_(None))
        .group_by(notifications.c.recipient)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return [
        (recipient, count, oldest.replace(tzinfo=UTC) if oldest and oldest.tzinfo is None else oldest)
        for recipient, count, oldest in rows
    ]
