"""The notice relay: delivers the notices the register queues with each act (R14, R24.1),
beside the workflows rather than by them.

Each act that must be notified queues its notices in the act's own register transaction
(transactional outbox). A relay runs in every worker process: it claims pending notices under
a lease (register/outbox.py), delivers them, records the delivery, and where the record
records the delivery itself (the lifecycle's `reports`, e.g. R14 "records when") tells its
workflow by the `automatic-act` signal. It retries, backing off to five minutes, and parks a
notice after CONSULAR_NOTICE_MAX_ATTEMPTS failures (dead letter: /metrics, `GET /v1/notices`,
`exequatur notices retry`). The workflows' histories then hold the acts, not the deliveries: a webhook that is
down costs a workflow nothing, and the order of a record's notices is kept by the relay.

Not workflow code: it runs in the worker process beside the workflows, on the wall clock, and
talks to them only by signal (imports flow: models, register, activities, workflows, then this).

At least once: a relay that dies between delivering and recording lets another deliver again
after the lease, with the same `webhook-id` (docs/webhooks.md). The signal is safe to
repeat: the automatic act is performed only while the lifecycle allows it (once).
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from exequatur.activities.notifications import deliver
from exequatur.core.settings import get_settings
from exequatur.models.kinds import LIFECYCLES
from exequatur.models.messages import AutomaticAct
from exequatur.register import outbox, queries
from exequatur.register.db import register_engine

log = structlog.get_logger("exequatur.relay")
REPORTS: dict[tuple[str, str], str] = {
    (lifecycle.name, recipient): act for lifecycle in LIFECYCLES for recipient, act in lifecycle.reports
}
REPORTED_RECIPIENTS = tuple(sorted({recipient for _, recipient in REPORTS}))


class NoticeRelay:
    def __init__(
        self,
        client: Client,
        *,
        poll_seconds: float = 1.0,
        gather_seconds: float = 0.05,
        batch: int = 200,
        concurrency: int = 8,
    ) -> None:
        self.client = client
        self.poll_seconds = poll_seconds
        # Woken by an act, the relay waits this long before it looks, so that one pass (one
        # claim) takes the notices of the acts of that moment, not one pass an act.
        self.gather_seconds = gather_seconds
        self.batch = batch
        self.gate = asyncio.Semaphore(concurrency)  # records delivered at once (a record's notices in order)
        self.lease = outbox.LEASE
        self.max_attempts = get_settings().notice_max_attempts
        self._wake = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        self._stopping = False

    def wake(self) -> None:
        """From any thread: notices were queued, look now."""
        self._loop.call_soon_threadsafe(self._wake.set)

    def stop(self) -> None:
        """Finish the pass under way (its deliveries recorded, none left half done), then stop."""
        self._stopping = True
        self._wake.set()

    async def run(self) -> None:
        outbox.on_queued.append(self.wake)
        try:
            while not self._stopping:
                self._wake.clear()
                try:
                    claimed = await self.deliver_pending()
                except Exception as exc:  # the register away: look again after the poll interval
                    log.warning("notice relay pass failed", error=repr(exc))
                    claimed = 0
                if claimed < self.batch and not self._stopping:
                    try:
                        await asyncio.wait_for(self._wake.wait(), self.poll_seconds)
                        await asyncio.sleep(self.gather_seconds)
                    except TimeoutError:
                        pass
        finally:
            outbox.on_queued.remove(self.wake)

    async def deliver_pending(self) -> int:
        """One pass: claim, deliver, record, tell. Returns how many notices were claimed."""
        engine, token = register_engine(), f"relay-{uuid.uuid4().hex[:12]}"
        rows = await asyncio.to_thread(outbox.claim, engine, token, None, self.lease, self.batch, REPORTED_RECIPIENTS)
        if not rows:
            return 0
        by_record: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            by_record[row["record_id"]].append(row)
        renewing = asyncio.create_task(self._renew(engine, token))
        try:
            await asyncio.gather(*(self._deliver_record(engine, token, notices) for notices in by_record.values()))
        finally:
            renewing.cancel()
        return len(rows)

    async def _renew(self, engine: Any, token: str) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 4)
            try:
                await asyncio.to_thread(outbox.renew, engine, token, None, self.lease)
            except Exception as exc:
                log.warning("notice lease not renewed", error=repr(exc))

    async def _deliver_record(self, engine: Any, token: str, notices: list[dict[str, Any]]) -> None:
        async with self.gate:
            # The record's deliveries in one trip to a thread, in order; then the reports (a
            # report that fails holds nothing back from the receiver, who has had them in order).
            halt = threading.Event()
            try:
                failure = await asyncio.to_thread(_deliver_in_order, engine, token, self.lease, notices, halt)
            except asyncio.CancelledError:
                halt.set()  # the worker is going: the thread stops after the notice in hand
                raise
            for i, row in enumerate(notices):
                try:
                    if row["delivered_at"] is None:  # the delivery that failed, and the record's later ones
                        raise failure or RuntimeError("not delivered")
                    act = REPORTS.get((row["kind"], row["recipient"]))
                    if act is not None and row["reported_at"] is None:
                        await self._report(row, act)
                        await asyncio.to_thread(outbox.mark_reported, engine, row["id"], datetime.now(UTC))
                except Exception as exc:
                    # This one and the record's later notices wait: a receiver sees them in order.
                    rest = [n["id"] for n in notices[i:]]
                    parked = await asyncio.to_thread(
                        outbox.release, engine, token, rest, error=repr(exc), max_attempts=self.max_attempts
                    )
                    log.warning(
                        "notice parked: `exequatur notices retry` sends it again"
                        if parked
                        else "notice not delivered; will retry",
                        notice_id=row["id"],
                        attempts=row["attempts"] + 1,
                        error=repr(exc),
                    )
                    return

    async def _report(self, row: dict[str, Any], act: str) -> None:
        """Tell the record's workflow of the delivery, with the time the register keeps."""
        message = AutomaticAct(act=act, body={"delivered_at": row["delivered_at"].isoformat()})
        try:
            await self.client.get_workflow_handle(f"{row['kind']}-{row['record_id']}").signal("automatic-act", message)
        except RPCError as exc:
            if exc.status is not RPCStatusCode.NOT_FOUND:
                raise
            # The lifecycle has closed (a closed workflow takes no signal): nothing left to record.
            log.warning("delivery not reported: the record's workflow has closed", notice_id=row["id"])


def _deliver_in_order(
    engine: Any, token: str, lease: timedelta, notices: list[dict[str, Any]], halt: threading.Event | None = None
) -> Exception | None:
    """Deliver a record's notices in order, recording each delivery as it is made (so the
    register keeps its time); stops at the first that fails and returns what failed it, or
    before the next notice once `halt` is set (the rest stay claimed until the lease ends).
    A receiver that holds a call renews the claim from this thread, as the activity does: the
    relay's own renewal may wait behind the deliveries for a thread."""

    def renew() -> None:
        outbox.renew(engine, token, None, lease)

    for row in notices:
        if halt is not None and halt.is_set():
            return None
        if row["delivered_at"] is None:
            try:
                channel = deliver(row, renew)
                row["delivered_at"] = queries.mark_delivered(engine, row["id"], channel, datetime.now(UTC))
            except Exception as exc:  # this one and the record's later notices wait (the caller releases them)
                return exc
    return None
