"""The worker: one process hosting every workflow and activity of the service."""

from __future__ import annotations

import concurrent.futures
from datetime import timedelta

from temporalio.client import Client
from temporalio.worker import Worker

from activities.notifications import deliver_notifications
from activities.register import read_profile, record_act, related_records
from workflows.lifecycles import CustodyWorkflow, MemberWorkflow, PostWorkflow, RelationsWorkflow

WORKFLOWS = [RelationsWorkflow, PostWorkflow, MemberWorkflow, CustodyWorkflow]
ACTIVITIES = [record_act, read_profile, deliver_notifications, related_records]


def build_worker(client: Client, task_queue: str, **overrides) -> Worker:  # type: ignore[no-untyped-def]
    options = dict(
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=16),
        # A short sticky timeout: after a worker crash, another picks the workflow up fast.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=3),
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    options.update(overrides)
    return Worker(client, **options)  # type: ignore[arg-type]


async def connect(settings) -> Client:  # type: ignore[no-untyped-def]
    return await Client.connect(**settings.client_options())


async def run_worker(client: Client, settings) -> None:  # type: ignore[no-untyped-def]
    """Run until SIGINT/SIGTERM, then drain: in-flight tasks finish within the grace period."""
    import asyncio
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Leaving the block drains: no new tasks are polled, in-flight activities get the grace period.
    async with build_worker(client, settings.task_queue,
                            graceful_shutdown_timeout=timedelta(seconds=settings.worker_grace_seconds)):
        await stop.wait()
