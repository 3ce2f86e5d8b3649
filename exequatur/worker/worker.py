"""The worker: one process hosting every workflow and activity of the service."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import timedelta
from typing import Any

import structlog
from temporalio.client import Client
from temporalio.runtime import PrometheusConfig, Runtime, TelemetryConfig
from temporalio.worker import Worker

from exequatur.activities.notifications import deliver_notifications
from exequatur.activities.register import read_profile, record_act, record_acts, related_records
from exequatur.core.settings import Settings
from exequatur.worker.runner import WORKFLOW_RUNNER
from exequatur.workflows.lifecycles import WORKFLOWS as WORKFLOW_CLASSES

log = structlog.get_logger("exequatur.worker")
WORKFLOWS = list(WORKFLOW_CLASSES.values())
ACTIVITIES = [record_act, record_acts, read_profile, deliver_notifications, related_records]


def build_worker(client: Client, task_queue: str, **overrides: Any) -> Worker:
    options: dict[str, Any] = dict(
        task_queue=task_queue,
        workflows=WORKFLOWS,
        activities=ACTIVITIES,
        workflow_runner=WORKFLOW_RUNNER,
        activity_executor=concurrent.futures.ThreadPoolExecutor(max_workers=16),
        # A short sticky timeout: after a worker crash, another picks the workflow up fast.
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=3),
        graceful_shutdown_timeout=timedelta(seconds=5),
    )
    options.update(overrides)
    return Worker(client, **options)


async def connect(settings: Settings) -> Client:
    return await Client.connect(**settings.client_options(), runtime=metrics_runtime(settings.worker_metrics_address))


def metrics_runtime(address: str) -> Runtime | None:
    """The SDK's own metrics (task latencies, slots, polls, activity failures) for Prometheus
    at http://<address>/metrics; None keeps the default runtime, which exports nothing."""
    if not address:
        return None
    try:
        return Runtime(telemetry=TelemetryConfig(metrics=PrometheusConfig(bind_address=address)))
    except ValueError as exc:  # the port is taken, e.g. a second worker on one host: work on, unmeasured
        structlog.get_logger("exequatur.worker").warning(
            "worker metrics not served; set CONSULAR_WORKER_METRICS_ADDRESS", address=address, error=str(exc)
        )
        return None


async def run_worker(client: Client, settings: Settings) -> None:
    """Run until SIGINT/SIGTERM, then drain: in-flight tasks finish within the grace period."""
    import signal

    from exequatur.worker.health import WorkerHealth

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    # Leaving the block drains: no new tasks are polled, in-flight activities get the grace period.
    async with (
        WorkerHealth().serving(settings.worker_health_address) as health,
        serving(
            client,
            settings.task_queue,
            graceful_shutdown_timeout=timedelta(seconds=settings.worker_grace_seconds),
            max_cached_workflows=settings.worker_cached_workflows,
        ),
    ):
        health.polling = True
        await stop.wait()
        health.draining = True
        log.info("draining", grace_seconds=settings.worker_grace_seconds)


@asynccontextmanager
async def serving(client: Client, task_queue: str, **overrides: Any) -> AsyncIterator[Worker]:
    """The worker and, beside it, the relay that delivers the register's queued notices."""
    from exequatur.worker.relay import NoticeRelay

    async with build_worker(client, task_queue, **overrides) as running:
        relay = NoticeRelay(client)
        relaying = asyncio.create_task(relay.run())
        try:
            yield running
        finally:
            # Drain like the worker: the deliveries under way are recorded, within the grace period.
            relay.stop()
            grace = running.config().get("graceful_shutdown_timeout") or timedelta(seconds=5)
            try:
                await asyncio.wait_for(asyncio.shield(relaying), grace.total_seconds())
            except TimeoutError:
                relaying.cancel()
                with suppress(asyncio.CancelledError):
                    await relaying
