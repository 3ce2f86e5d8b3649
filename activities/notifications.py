"""Outbound notifications (Art. 14 to the district authorities, Art. 24 to the foreign
ministry): to the webhook when one is configured, else to the outbox folder, once each."""

from __future__ import annotations

import hashlib
import hmac
import json
import contextvars
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
from pydantic import BaseModel
from temporalio import activity

from activities.register import _engine
from register import queries
from settings import get_settings


class Delivered(BaseModel):
    id: str
    recipient: str
    delivered_at: datetime


class DeliveryResult(BaseModel):
    delivered: list[Delivered]


def _write_outbox(notice_id: str, document: dict) -> None:  # type: ignore[type-arg]
    outbox = get_settings().outbox_dir
    outbox.mkdir(parents=True, exist_ok=True)
    target = outbox / f"{notice_id}.json"
    if target.exists():
        return
    temporary = outbox / f".{notice_id}.tmp"
    temporary.write_text(json.dumps(document, indent=2, default=str))
    os.replace(temporary, target)  # atomic: a reader never sees half a notice


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`Notification-Signature`: HMAC-SHA256 over "<timestamp>.<body>" (docs/webhooks.md). The
    timestamp is signed too, so a receiver can refuse an old notice replayed by a third party."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _post_webhook(url: str, notice_id: str, document: dict, secret: str | None) -> None:  # type: ignore[type-arg]
    # The id travels as a header too, so a receiver can drop a repeat after a crash; with a
    # secret, an HMAC-SHA256 of the timestamp and body proves the service sent it.
    body = json.dumps(document, default=str, sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {"Notification-Id": notice_id, "Notification-Timestamp": timestamp, "Content-Type": "application/json"}
    if secret:
        headers["Notification-Signature"] = signature(secret, timestamp, body)
    with _heartbeating(notice_id):
        response = httpx.post(url, content=body, headers=headers, timeout=10)
    response.raise_for_status()


@contextmanager
def _heartbeating(detail: str, every: float = 1.0) -> Iterator[None]:
    """Heartbeat while a slow receiver holds the call: a worker that dies mid-call is noticed
    within the heartbeat timeout (seconds), not the start-to-close timeout."""
    done = threading.Event()
    context = contextvars.copy_context()  # the activity's context, for the heartbeat thread

    def beat() -> None:
        while not done.wait(every):
            context.run(activity.heartbeat, detail)

    thread = threading.Thread(target=beat, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()


@activity.defn(name="deliver-notifications")
def deliver_notifications(record_id: str) -> DeliveryResult:
    """Deliver every undelivered notice of a record; the register keeps each delivery time."""
    engine, settings = _engine(), get_settings()
    delivered = []
    for row in queries.undelivered(engine, record_id):
        document = {**row["document"], "notification_id": row["id"]}
        if settings.webhook_url:
            secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
            _post_webhook(settings.webhook_url, row["id"], document, secret)
            channel = "webhook"
        else:
            _write_outbox(row["id"], document)
            channel = "outbox"
        queries.mark_delivered(engine, row["id"], channel, datetime.now(UTC))
        activity.heartbeat(row["id"])
    # Every delivered notice of the record, not only this attempt's: an earlier attempt may have
    # delivered one and failed before it could report it.
    for row in queries.delivered(engine, record_id):
        delivered.append(Delivered(id=row["id"], recipient=row["recipient"], delivered_at=row["delivered_at"]))
    return DeliveryResult(delivered=delivered)


