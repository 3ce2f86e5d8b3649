"""Outbound notifications (Art. 14 to the district authorities, Art. 24 to the foreign
ministry): to the webhook when one is configured, else to the outbox folder, once each.
The relay (worker/relay.py) delivers them; the activity serves workflows started before it."""

from __future__ import annotations

import contextvars
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
from temporalio import activity

from exequatur.core.settings import get_settings
from exequatur.models.messages import Delivered, DeliveryResult
from exequatur.register import outbox, queries
from exequatur.register.db import register_engine


def _write_outbox(notice_id: str, document: dict) -> None:
    outbox = get_settings().outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{notice_id}.json"
    if target.exists():
        return
    temporary = outbox / f".{notice_id}.tmp"
    temporary.write_text(json.dumps(document, indent=2, default=str))
    os.replace(temporary, target)  # atomic: a reader never sees half a notice


def _post_webhook(
    url: str,
    notice_id: str,
    document: dict,
    signers: list[Any],
    renew: Callable[[], None] | None,
) -> None:
    """POST under the Standard Webhooks specification (docs/webhooks.md): `webhook-id` is the
    notice's id, the same on every attempt, so a receiver drops a repeat after a crash;
    `webhook-timestamp` the Unix second of this attempt; `webhook-signature` one `v1,<base64>`
    HMAC-SHA256 of "<id>.<timestamp>.<body>" per secret (two during a rotation)."""
    body = json.dumps(document, default=str, sort_keys=True)
    sent_at = datetime.now(UTC)
    headers = {
        "webhook-id": notice_id,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "content-type": "application/json",
    }
    if signers:
        headers["webhook-signature"] = " ".join(signer.sign(notice_id, sent_at, body) for signer in signers)
    with _renewing(renew):
        response = httpx.post(url, content=body.encode(), headers=headers, timeout=10)
    response.raise_for_status()


@contextmanager
def _renewing(renew: Callable[[], None] | None, every: float = 1.0) -> Iterator[None]:
    """Renew the claim (and heartbeat, in an activity) while a slow receiver holds the call: a
    worker that dies mid-call is noticed within the lease, not the call's timeout."""
    if renew is None:
        yield
        return
    done = threading.Event()
    context = contextvars.copy_context()  # the caller's context (an activity's), for the thread

    def beat() -> None:
        while not done.wait(every):
            try:
                context.run(renew)
            except Exception:  # the register away for a moment: the next beat tries again
                pass

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


def deliver(row: dict, renew: Callable[[], None] | None = None) -> str:
    """Deliver one queued notice: to the webhook when one is configured, else to the outbox
    folder. Returns the channel. `renew` is called every second while a receiver holds the call."""
    settings = get_settings()
    document = {**row["document"], "notification_id": row["id"]}
    if settings.webhook_url:
        _post_webhook(settings.webhook_url, row["id"], document, settings.webhook_signers(), renew)
        return "webhook"
    _write_outbox(row["id"], document)
    return "outbox"


@activity.defn(name="deliver-notifications")
def deliver_notifications(record_id: str) -> DeliveryResult:
    """Deliver every undelivered notice of a record; the register keeps each delivery time.

    Workflows that started before the relay (worker/relay.py) still call this; it takes the
    relay's lease on the record's notices, so the two never deliver one notice at once."""
    engine, token = register_engine(), f"activity-{uuid.uuid4().hex[:12]}"
    lease = outbox.LEASE
    claimed = outbox.claim(engine, token, None, lease, 1000, record_id=record_id)

    def renew() -> None:
        activity.heartbeat(record_id)
        outbox.renew(engine, token, None, lease)

    for row in claimed:
        if row["delivered_at"] is None:
            channel = deliver(row, renew)
            queries.mark_delivered(engine, row["id"], channel, datetime.now(UTC))
        activity.heartbeat(row["id"])
    # Every delivered notice of the record, not only this attempt's: an earlier attempt (or the
    # relay) may have delivered one and the workflow still records it (R14), at most once.
    delivered = [
        Delivered(id=row["id"], recipient=row["recipient"], delivered_at=row["delivered_at"])
        for row in queries.delivered(engine, record_id)
    ]
    return DeliveryResult(delivered=delivered)
